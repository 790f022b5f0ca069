"""Captions: how a producer would ask for a window, in Chinese, English and both mixed.

Built from the window's attributes only (style names from ``multitrack.styles``, GM
instrument names, key, tempo, meter, mood words chosen by tempo and mode), through several
templates per language; each template may leave attributes out, as real prompts do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from multitrack.styles import style
from multitrack.theory import Key

# GM programs (0-based) we name exactly: (English, Chinese).
_INSTRUMENTS: dict[int, tuple[str, str]] = {
    0: ("piano", "钢琴"), 1: ("bright piano", "明亮钢琴"), 4: ("electric piano", "电钢琴"),
    5: ("electric piano", "电钢琴"), 6: ("harpsichord", "羽管键琴"), 10: ("music box", "八音盒"),
    11: ("vibraphone", "颤音琴"), 16: ("organ", "风琴"), 17: ("organ", "风琴"),
    19: ("church organ", "管风琴"), 21: ("accordion", "手风琴"), 24: ("nylon guitar", "尼龙弦吉他"),
    25: ("acoustic guitar", "木吉他"), 26: ("jazz guitar", "爵士吉他"), 27: ("clean guitar", "清音电吉他"),
    29: ("overdriven guitar", "过载吉他"), 30: ("distortion guitar", "失真吉他"),
    32: ("acoustic bass", "原声贝斯"), 33: ("electric bass", "电贝斯"), 34: ("picked bass", "拨片贝斯"),
    36: ("slap bass", "击勾贝斯"), 38: ("synth bass", "合成贝斯"), 40: ("violin", "小提琴"),
    42: ("cello", "大提琴"), 46: ("harp", "竖琴"), 48: ("strings", "弦乐"), 56: ("trumpet", "小号"),
    58: ("tuba", "大号"), 61: ("brass", "铜管"), 62: ("synth brass", "合成铜管"),
    65: ("alto sax", "中音萨克斯"), 66: ("tenor sax", "次中音萨克斯"), 71: ("clarinet", "单簧管"),
    73: ("flute", "长笛"), 75: ("pan flute", "排箫"), 77: ("shakuhachi", "尺八"),
    80: ("square lead", "方波合成器"), 81: ("saw lead", "锯齿波合成器"), 89: ("warm pad", "温暖铺底"),
    104: ("sitar", "西塔琴"), 105: ("banjo", "班卓琴"), 106: ("shamisen", "三味线"),
    107: ("koto", "古筝"), 110: ("fiddle", "小提琴"),
}  # fmt: skip
# In Chinese styles the same GM patches stand for Chinese instruments (the prompt parser's
# choices: 古筝 -> Koto, 琵琶 -> Shamisen, 二胡 -> Fiddle, 箫 -> Shakuhachi, 笛子 -> Flute).
_CHINESE_INSTRUMENTS: dict[int, tuple[tuple[str, str], ...]] = {
    73: (("dizi", "笛子"), ("bamboo flute", "竹笛")),
    75: (("pan flute", "排箫"),),
    77: (("xiao", "箫"),),
    106: (("pipa", "琵琶"),),
    107: (("guzheng", "古筝"), ("guzheng", "筝")),
    110: (("erhu", "二胡"),),
    46: (("harp", "竖琴"),),
}
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("piano", "钢琴"), ("mallets", "钟琴"), ("organ", "风琴"), ("guitar", "吉他"),
    ("bass", "贝斯"), ("strings", "弦乐"), ("strings", "弦乐"), ("brass", "铜管"),
    ("sax", "萨克斯"), ("flute", "笛子"), ("synth lead", "合成器"), ("synth pad", "合成铺底"),
    ("synth", "合成器"), ("ethnic", "民族乐器"), ("percussion", "打击乐"), ("effects", "音效"),
)  # fmt: skip

# (fast, major-like) -> moods (English, Chinese)
_MOODS: dict[tuple[bool, bool], tuple[tuple[str, str], ...]] = {
    (True, True): (("upbeat", "欢快"), ("cheerful", "活泼"), ("energetic", "充满活力"), ("bright", "明亮")),
    (False, True): (("warm", "温暖"), ("gentle", "温柔"), ("peaceful", "宁静"), ("relaxed", "轻松")),
    (True, False): (("driving", "激昂"), ("tense", "紧张"), ("dark", "暗黑"), ("restless", "躁动")),
    (False, False): (("melancholic", "忧伤"), ("sad", "悲伤"), ("moody", "深沉"), ("nostalgic", "怀旧")),
}  # fmt: skip
_GUOFENG_NAMES = ("国风", "古风", "中国风")
_ENGLISH_ALIASES: dict[str, tuple[str, ...]] = {
    "guofeng": ("guofeng", "Chinese traditional", "Chinese-style", "ancient Chinese style"),
    "hiphop": ("hip hop", "hip-hop", "boom bap"),
    "edm": ("EDM", "trance", "electronic dance"),
    "lofi": ("lo-fi", "lofi", "lo-fi hip hop"),
}
_METER_ZH = {"4/4": "四四拍", "3/4": "三拍子", "2/4": "二四拍", "6/8": "八六拍"}


def instrument_name(
    program: int, *, chinese: bool = False, rng: random.Random | None = None
) -> tuple[str, str]:
    """(English, Chinese) name of a GM program (0-based); ``chinese`` names the patch as the
    Chinese instrument it stands for in guofeng (Fiddle -> erhu 二胡)."""
    if chinese and program in _CHINESE_INSTRUMENTS:
        names = _CHINESE_INSTRUMENTS[program]
        return rng.choice(names) if rng is not None else names[0]
    return _INSTRUMENTS.get(program, _FAMILIES[program // 8])


@dataclass(frozen=True)
class CaptionFacts:
    """What a caption may say about a window."""

    style: str | None  # None: a window from a user's library, style unknown
    key: Key
    bpm: int
    meter: str
    bars: int
    melody_program: int
    chords_program: int
    bass_program: int


def mood_words(facts: CaptionFacts, rng: random.Random) -> tuple[str, str]:
    """A mood (English, Chinese) fitting the tempo (fast from 110 BPM) and the mode."""
    key = facts.key
    return rng.choice(_MOODS[(facts.bpm >= 110, not key.is_minor)])


def captions(facts: CaptionFacts, rng: random.Random) -> tuple[str, str, str]:
    """One Chinese, one English and one mixed caption, templates drawn with ``rng``."""
    key = facts.key
    if facts.style is None:
        en_style, zh_style = rng.choice((("track", "音乐"), ("song", "歌曲"), ("piece", "曲子")))
    else:
        st = style(facts.style)
        en_style = rng.choice(_ENGLISH_ALIASES.get(facts.style, (st.english,)))
        zh_style = rng.choice(_GUOFENG_NAMES) if facts.style == "guofeng" else st.chinese
    mood_en, mood_zh = mood_words(facts, rng)
    chinese = facts.style == "guofeng"
    mel_en, mel_zh = instrument_name(facts.melody_program, chinese=chinese, rng=rng)
    ch_en, ch_zh = instrument_name(facts.chords_program, chinese=chinese, rng=rng)
    bass_en, bass_zh = instrument_name(facts.bass_program)
    key_en, key_zh = str(key), key.chinese_name
    bpm, bars, meter = facts.bpm, facts.bars, facts.meter
    meter_zh = _METER_ZH[meter]
    zh = rng.choice(
        (
            f"一首{mood_zh}的{zh_style}曲子,{mel_zh}主奏,每分钟{bpm}拍",
            f"{zh_style}风格,{key_zh},{bpm}拍每分钟,{meter_zh}",
            f"{mood_zh}的{zh_style}音乐,{mel_zh}旋律,{ch_zh}伴奏,{bass_zh}",
            f"来一段{bars}小节的{zh_style},{key_zh},速度{bpm}",
            f"{zh_style},{mood_zh},{mel_zh}",
            f"写一首{zh_style}歌,{key_zh},BPM {bpm},{mel_zh}和{ch_zh}",
            f"{mood_zh}一点的{zh_style}伴奏,{bars}小节",
        )
    )
    en = rng.choice(
        (
            f"{mood_en} {en_style} in {key_en}, {bpm} bpm, {mel_en} lead",
            f"{en_style} track, {key_en}, {bpm} BPM, {meter}, {ch_en} chords and {bass_en}",
            f"a {mood_en} {en_style} tune with a {mel_en} melody",
            f"{bars} bars of {en_style} at {bpm} bpm in {key_en}",
            f"{en_style}, {mood_en}, {mel_en}",
            f"{mood_en} {en_style} beat, {bpm} bpm, {ch_en} comping",
            f"{en_style} in {meter}, {key_en}",
        )
    )
    mixed = rng.choice(
        (
            f"一首{en_style}风格的曲子,{key_en},{bpm} bpm",
            f"{mood_zh}的 {en_style} beat,{mel_en} lead,{bpm} BPM",
            f"{zh_style} {bars} bars,{key_en},{mel_zh}主奏",
            f"{mood_en} {zh_style},{key_zh},{bpm}bpm",
            f"{en_style} 伴奏,{ch_zh} chords,每分钟{bpm}拍",
        )
    )
    return zh, en, mixed
