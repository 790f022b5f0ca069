"""models.text.parse_prompt: the product phrases, every field's readers, negation, conflicts
and bad input. Lexicon-path tests pass ``use_embedding=False``; the fallback tests load the
real sentence encoder."""

from __future__ import annotations

import json
import random

import pytest

from models.text import PromptAttributes, parse_prompt
from models.text.instruments import INSTRUMENTS
from models.text.lexicon import LEXICON, MOODS
from multitrack.song import STEMS
from multitrack.styles import STYLE_IDS, STYLES


def lex(prompt: str) -> PromptAttributes:
    return parse_prompt(prompt, use_embedding=False)


# -- the five product phrases (issue 4) ---------------------------------------------------------
def test_zen_guzheng_solo() -> None:
    a = parse_prompt("一段充满东方禅意的古筝独奏,节奏舒缓,带有雨声环境音")
    assert a.style == "guofeng"
    assert a.mood == "zen"
    assert a.energy == "low"
    assert a.programs["melody"] == 107 and a.programs["chords"] == 107  # Koto for 古筝
    assert a.stems == ("melody", "chords")  # a solo: one instrument, no bass, no drums
    assert a.bpm is not None and 60 <= a.bpm <= 76  # slow, inside guofeng's range
    assert a.ambience == ("rain",) and not a.ignored  # the ambience stem (issue 17)
    assert "ambience: rain (雨声环境音)" in a.understood


def test_happy_children_piano_piece() -> None:
    a = parse_prompt("一首欢快的儿童钢琴曲,C大调,四四拍")
    assert (a.key, a.meter) == ("C major", "4/4")
    assert a.mood == "happy"
    assert "mood: also playful (儿童)" in a.understood
    assert a.programs["melody"] == 0 and a.programs["chords"] == 0
    assert a.bpm == 122  # upbeat: 112-132
    assert a.stems == STEMS


def test_jiangnan_garden_pipa_xiao() -> None:
    a = parse_prompt("江南园林意境,琵琶与箫合奏,节奏渐强")
    assert a.style == "guofeng"
    assert a.programs["melody"] == 77  # 箫 (wind) leads: Shakuhachi
    assert a.programs["chords"] == 106  # 琵琶 (plucked, can play chords): Shamisen
    assert a.dynamics == "crescendo"
    assert "江南园林" in a.ignored
    assert a.nearest["text"] == "江南园林"
    assert a.nearest["style"][0][0] == "guofeng"


def test_cyberpunk_edm_with_peking_opera() -> None:
    a = parse_prompt("赛博朋克电音融合京剧唱腔")
    # fused (issue 17): the opera's style takes melody and harmony, EDM the groove
    assert (a.style, a.groove_style) == ("guofeng", "edm")
    assert a.programs["melody"] == 53  # 唱腔: Voice Oohs
    assert "style: guofeng for melody and harmony (京剧), edm for the groove (电音)" in a.understood
    assert a.bpm == 126  # the groove's tempo
    assert not a.conflicts


@pytest.mark.parametrize(
    ("prompt", "style", "groove"),
    [
        ("国风电音", "guofeng", "edm"),
        ("电音国风,古筝", "guofeng", "edm"),
        ("中国风摇滚", "guofeng", "rock"),
        ("古典嘻哈", "classical", "hiphop"),
        ("celtic reggae", "celtic", "reggae"),
        ("jazz meets reggae", "jazz", "reggae"),
        ("爵士融合放克", "jazz", "funk"),
        ("jazz trio, swing feel", "jazz", None),  # a hint, no fusion word: not fused
        ("苏格兰风笛进行曲", "march", None),
        ("摇滚", "rock", None),
    ],
)
def test_fused_styles(prompt: str, style: str, groove: str | None) -> None:
    a = parse_prompt(prompt, use_embedding=False)
    assert (a.style, a.groove_style) == (style, groove)
    assert PromptAttributes.from_json(a.to_json()).groove_style == groove


def test_guofeng_dizi_with_a_famous_piece() -> None:
    a = parse_prompt("古风笛子+雨打芭蕉")
    assert a.style == "guofeng"
    assert a.programs["melody"] == 73  # 笛子: Flute
    assert "chords" not in a.named_programs
    assert a.ignored == ()


# -- keys ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ("C大调", "C major"),
        ("a小调", "A minor"),
        ("降E大调", "Eb major"),
        ("升F小调", "F# minor"),
        ("in F# minor", "F# minor"),
        ("Dm", "D minor"),
        ("Bb major", "Bb major"),
        ("B flat minor", "Bb minor"),
        ("降b小调", "Bb minor"),
        ("bE大调", "Eb major"),
        ("D徵调", "D zhi"),
        ("in the key of Eb", "Eb major"),
        ("12-bar blues in E", "E major"),
        ("C调", "C major"),
        ("小调的钢琴", "A minor"),
        ("a minor key ballad", "A minor"),
        ("a sad song", None),
        ("A sad song", None),
        ("EDM drop, FM synth", None),
        # a key alone in its clause (was ignored: "slow blues shuffle in 12/8, Bb")
        ("slow blues shuffle in 12/8, Bb", "Bb major"),
        ("sad piano, F#m", "F# minor"),
        ("jazz ballad, Eb, 70 bpm", "Eb major"),
        ("Bb, swing", "Bb major"),
        ("rock, E", "E major"),
        ("Bb, F, C", None),  # lone letters side by side: a list, not a key
        ("plan B, jazz", None),
        ("jazz, Bb7", None),  # a chord symbol
    ],
)
def test_keys(prompt: str, key: str | None) -> None:
    assert lex(prompt).key == key


def test_a_lone_key_is_understood_not_ignored() -> None:
    a = lex("slow blues shuffle in 12/8, Bb")
    assert "key: Bb major (Bb)" in a.understood
    assert not any(i.startswith("Bb") for i in a.ignored)


def test_two_keys_keep_the_first_and_say_so() -> None:
    a = lex("C大调和a小调")
    assert a.key == "C major"
    assert a.conflicts == ("key: C major (C大调) vs A minor (a小调) — kept C major (C大调)",)


# -- tempo --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "prompt",
    ["每分钟90拍", "90bpm", "90 BPM", "♩=90", "速度90", "每分钟九十拍", "tempo 90", "90拍",
     "一首90拍的抒情歌", "国风 90 拍 16小节", "九十拍", "九十拍的民谣"],
)  # fmt: skip
def test_explicit_tempo(prompt: str) -> None:
    assert lex(prompt).bpm == 90


def test_a_tempo_in_chinese_numerals_before_pai() -> None:
    assert lex("一百二十拍的摇滚").bpm == 120 and lex("八十五拍 抒情").bpm == 85


@pytest.mark.parametrize(
    ("prompt", "meter"), [("三拍子", "3/4"), ("3/4拍", "3/4"), ("4拍", None), ("四拍", None)]
)
def test_beats_that_are_not_a_tempo(prompt: str, meter: str | None) -> None:
    a = lex(prompt)
    assert a.bpm is None and a.meter == meter


@pytest.mark.parametrize(
    ("word", "lo", "hi"),
    [
        ("舒缓", 60, 76), ("慢板", 60, 76), ("中速", 92, 112), ("欢快", 112, 132),
        ("快速", 132, 160), ("激烈", 132, 160), ("slow", 60, 76), ("laid-back", 72, 92),
        ("upbeat", 112, 132), ("fast", 132, 160), ("急板", 160, 200), ("广板", 40, 60),
    ],
)  # fmt: skip
def test_tempo_words_map_to_their_range(word: str, lo: int, hi: int) -> None:
    bpm = lex(word).bpm
    assert bpm is not None and lo <= bpm <= hi


def test_a_number_beats_a_word_and_a_mismatch_is_noted() -> None:
    a = lex("快速, 90bpm")
    assert a.bpm == 90
    assert a.conflicts == ("tempo: 90 bpm vs 快速 (fast) — kept 90 bpm",)


def test_tempo_word_lands_inside_the_style_range() -> None:
    assert lex("慢速的朋克").bpm == 68  # slow 60-76 and punk 150-190 do not meet: the word wins
    assert lex("slow ballad").bpm == 68  # slow 60-76 within ballad 60-80
    assert lex("fast rock").bpm == 141  # fast 132-160 within rock 110-150: 132-150


def test_negated_fast_is_moderate() -> None:
    assert lex("不要太快,中国风").bpm == 96  # moderate 92-112 within guofeng 60-100
    assert lex("not too slow").bpm == 102


def test_out_of_range_tempo_is_ignored_with_a_note() -> None:
    a = lex("1000 bpm")
    assert a.bpm is None
    assert a.conflicts == ("tempo: 1000 bpm (1000 bpm) is outside 20-400 — ignored",)


# -- meter --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "meter"),
    [
        ("四四拍", "4/4"), ("三拍子", "3/4"), ("二四拍", "2/4"), ("四二拍", "2/4"),
        ("四三拍的圆舞曲", "3/4"), ("6/8", "6/8"), ("六八拍", "6/8"), ("3/4 time", "3/4"),
        ("waltz", "3/4"), ("华尔兹", "3/4"), ("Irish jig", "6/8"), ("polka", "2/4"),
        ("rock", None), ("march", None), ("五四拍的爵士", None),
    ],
)  # fmt: skip
def test_meters(prompt: str, meter: str | None) -> None:
    assert lex(prompt).meter == meter


def test_explicit_meter_beats_the_style() -> None:
    a = lex("waltz in 4/4")
    assert (a.style, a.meter) == ("waltz", "4/4")
    assert a.conflicts == ("meter: 4/4 (4/4) vs 3/4 (implied by waltz) — kept 4/4 (4/4)",)


def test_unsupported_meter_is_reported() -> None:
    a = lex("五四拍的爵士")
    assert a.ignored == ("五四拍 (meter 5/4 is not supported: 4/4, 3/4, 2/4, 6/8)",)


# -- length -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "bars"),
    [
        ("8小节", 8), ("十六小节", 16), ("16 bars", 16), ("twelve bars", 12),
        ("30秒,每分钟120拍", 15), ("30 seconds at 120 bpm", 15), ("一分钟,每分钟60拍", 15),
        ("1分30秒, 每分钟80拍", 30), ("半分钟 100bpm", 13), ("6/8, 30秒, 每分钟120拍", 20),
        ("两分钟的摇篮曲", 33), ("1000 bars", 64), ("十分欢快", None),
    ],
)  # fmt: skip
def test_length(prompt: str, bars: int | None) -> None:
    assert lex(prompt).bars == bars


# -- styles, instruments, moods -----------------------------------------------------------------
@pytest.mark.parametrize("entry", STYLES, ids=STYLE_IDS)
def test_every_style_by_its_chinese_and_english_name(entry: object) -> None:
    for name in (entry.chinese, entry.english):  # type: ignore[attr-defined]
        assert lex(name).style == entry.id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("word", "style"),
    [
        ("国风", "guofeng"), ("古风", "guofeng"), ("中国风", "guofeng"), ("民谣", "folk"),
        ("城市民谣", "folk"), ("朋克", "punk"), ("摇摆", "swing"), ("电音", "edm"),
        ("lo-fi", "lofi"), ("凯尔特", "celtic"), ("抒情", "ballad"), ("摇篮曲", "lullaby"),
        ("抖音热梗BGM", "pop"), ("直播间暖场", "pop"), ("赛博朋克", "edm"), ("蒸汽朋克", None),
    ],
)  # fmt: skip
def test_style_variants(word: str, style: str | None) -> None:
    assert lex(word).style == style


def test_viral_bgm_is_high_energy_pop() -> None:
    a = lex("抖音热梗BGM")
    assert (a.style, a.energy) == ("pop", "high")


@pytest.mark.parametrize("inst", INSTRUMENTS, ids=[i.id for i in INSTRUMENTS])
def test_every_instrument_name_gives_its_program(inst: object) -> None:
    for term in inst.terms:  # type: ignore[attr-defined]
        a = lex(term)
        named = [a.programs[s] for s in a.named_programs]
        assert any(p in inst.programs for p in named), term  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("prompt", "melody"),
    [
        ("古筝独奏", 107),
        ("二胡主奏", 110),
        ("violin solo", 40),
        ("lead trumpet", 56),
        ("harmonica lead", 22),
    ],
)
def test_solo_and_lead_put_the_instrument_on_the_melody(prompt: str, melody: int) -> None:
    assert lex(prompt).programs["melody"] == melody


def test_solo_stems() -> None:
    assert lex("钢琴独奏").stems == ("melody", "chords")  # polyphonic: it comps itself
    assert lex("二胡独奏").stems == ("melody",)  # monophonic: the tune alone
    assert lex("纯钢琴").stems == ("melody", "chords")
    assert lex("smooth jazz with saxophone solo").stems == STEMS  # a featured solo


def test_two_instruments_split_melody_and_chords() -> None:
    a = lex("钢琴和大提琴")
    assert (a.programs["melody"], a.programs["chords"]) == (42, 0)
    b = lex("钢琴伴奏,小提琴主奏")
    assert (b.programs["melody"], b.programs["chords"]) == (40, 0)


def test_unnamed_programs_come_from_the_style() -> None:
    a = lex("进行曲")
    assert a.programs == {"melody": 56, "chords": 61, "bass": 58, "drums": 0}
    assert a.named_programs == ()


@pytest.mark.parametrize(
    ("word", "mood"),
    [
        ("欢快", "happy"), ("悲伤", "sad"), ("宁静", "calm"), ("禅意", "zen"), ("史诗", "epic"),
        ("紧张", "tense"), ("浪漫", "romantic"), ("怀旧", "nostalgic"), ("melancholic", "sad"),
    ],
)  # fmt: skip
def test_moods(word: str, mood: str) -> None:
    assert lex(word).mood == mood


@pytest.mark.parametrize(
    ("prompt", "energy"),
    [
        ("钢琴伴奏,小提琴主奏,浪漫", "medium"),  # was low: docs/prompts.md says medium
        ("romantic tango with accordion", "medium"),
        ("温柔的钢琴曲,柔和", "low"),  # an energy word still says low
        ("温柔的钢琴", "low"), ("tender piano", "low"),  # romantic, and gentle
        ("宁静", "low"), ("悲伤", "low"), ("禅意", "low"), ("梦幻", "low"), ("孤独", "low"),
        ("史诗", "high"), ("热血", "high"), ("愤怒", "high"), ("怀旧", "medium"),
    ],
)  # fmt: skip
def test_the_energy_a_mood_implies(prompt: str, energy: str) -> None:
    assert lex(prompt).energy == energy


def test_opposed_moods_conflict_and_compatible_ones_combine() -> None:
    assert lex("快乐又悲伤").conflicts == ("mood: happy (快乐) vs sad (悲伤) — kept happy (快乐)",)
    a = lex("悲伤而浪漫")
    assert a.mood == "sad" and "mood: also romantic (浪漫)" in a.understood and not a.conflicts


@pytest.mark.parametrize(
    ("word", "dynamics"),
    [("渐强", "crescendo"), ("渐弱", "diminuendo"), ("fade out", "diminuendo")],
)
def test_dynamics(word: str, dynamics: str) -> None:
    assert lex(word).dynamics == dynamics


@pytest.mark.parametrize(
    ("prompt", "dynamics"),
    [
        ("柔和的钢琴独奏,渐强", "soft crescendo"),  # was "soft": 渐强 dropped without a note
        ("soft piano, building up", "soft crescendo"),
        ("响亮的铜管,渐弱", "loud diminuendo"),
        ("fade out, loud drums", "loud diminuendo"),
        ("渐强,轻柔", "soft crescendo"),  # level first in the value, whatever the order
    ],
)
def test_a_level_and_a_shape_are_kept_both(prompt: str, dynamics: str) -> None:
    a = lex(prompt)
    assert a.dynamics == dynamics and not a.conflicts
    level, shape = dynamics.split()
    assert any(line.startswith(f"dynamics: {shape} (") for line in a.understood)
    assert any(line.startswith(f"dynamics: {level} (") for line in a.understood)


@pytest.mark.parametrize(
    ("prompt", "dynamics"),
    [
        ("epic orchestral build", "crescendo"),  # "build" was ignored
        ("strings that build, 90 bpm", "crescendo"),
        ("build me a lofi beat", None),  # the verb
        ("build a jazz tune", None),
    ],
)
def test_a_build_is_a_crescendo(prompt: str, dynamics: str | None) -> None:
    a = lex(prompt)
    assert a.dynamics == dynamics and "build" not in a.ignored


def test_opposed_dynamics_still_conflict_within_a_level_or_a_shape() -> None:
    a = lex("轻柔,响亮,渐强,渐弱")
    assert a.dynamics == "soft crescendo"
    assert a.conflicts == (
        "dynamics: soft (轻柔) vs loud (响亮) — kept soft (轻柔)",
        "dynamics: crescendo (渐强) vs diminuendo (渐弱) — kept crescendo (渐强)",
    )


# -- negation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "stems"),
    [
        ("不要鼓", ("melody", "chords", "bass")),
        ("no drums", ("melody", "chords", "bass")),
        ("without bass", ("melody", "chords", "drums")),
        ("没有贝斯的摇滚", ("melody", "chords", "drums")),
        ("不要旋律和和弦", ("bass", "drums")),
        ("只要鼓", ("drums",)),
        ("drums only", ("drums",)),
        ("只要鼓和贝斯", ("bass", "drums")),
        ("去掉旋律,只留伴奏", ("chords", "bass", "drums")),
        ("鼓励", STEMS),  # 鼓 inside a word is not drums
    ],
)
def test_stems_turned_off(prompt: str, stems: tuple[str, ...]) -> None:
    assert lex(prompt).stems == stems
    assert lex(prompt).stems_named == (stems != STEMS)


def test_stems_named_only_when_the_prompt_speaks_of_them() -> None:
    """Unnamed stems are the model's to choose for the style (models.pipeline)."""
    assert not lex("a hymn in G major").stems_named
    assert lex("a hymn in G major with drums").stems_named
    assert lex("钢琴独奏").stems_named


@pytest.mark.parametrize(
    "prompt",
    [
        "轻松一点的中国风伴奏,8小节",
        "温暖的古风音乐,二胡旋律,竖琴伴奏,原声贝斯",
        "jazz with upright bass",
    ],
)
def test_naming_a_part_that_plays_anyway_leaves_the_drums_to_the_style(prompt: str) -> None:
    """伴奏 or a bass instrument does not say drums play: the set stays unnamed (all four)."""
    a = lex(prompt)
    assert a.stems == STEMS and not a.stems_named


def test_negation_beats_a_mention() -> None:
    a = lex("no drums with heavy drums")
    assert a.stems == ("melody", "chords", "bass")
    assert a.conflicts == ("drums: no drums vs drums — kept no drums",)


def test_every_stem_off_keeps_all_four() -> None:
    a = lex("不要旋律,不要和弦,不要贝斯,不要鼓")
    assert a.stems == STEMS
    assert "stems: every stem was turned off — kept all four" in a.conflicts


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "prompt", ["", "   \n\t", "🎹🎵🎶", "asdf qwer zxcv", "。。。", "\x00\x01"]
)
def test_empty_and_noise_give_defaults(prompt: str) -> None:
    a = parse_prompt(prompt)
    assert (a.key, a.bpm, a.meter, a.bars, a.style, a.mood) == (None,) * 6
    assert a.stems == STEMS
    assert a.programs == {"melody": 0, "chords": 4, "bass": 33, "drums": 0}


def test_contradiction_keeps_the_first_word() -> None:
    a = lex("快速的慢歌")
    assert a.bpm is not None and 132 <= a.bpm <= 160
    assert a.conflicts == ("tempo: 快速 vs 慢歌 — kept 快速",)


def test_ten_thousand_characters() -> None:
    a = parse_prompt("悲伤的钢琴 90bpm " * 1000)
    assert (a.mood, a.bpm, a.programs["melody"]) == ("sad", 90, 0)
    assert a.ignored[-1].startswith("everything after the first 1000 characters")


def test_random_strings_never_raise() -> None:
    rng = random.Random(4)
    alphabet = "abcXYZ 0123456789#b/♩=,.!?、。不要鼓钢琴大调小调拍秒分钟快慢的和与😀\u200b\n"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        a = lex(text)
        assert not any("internal" in c for c in a.conflicts), text
        json.dumps(a.to_json(), ensure_ascii=False)


def test_every_lexicon_term_parses() -> None:
    for term in LEXICON:
        a = lex(term)
        assert not any("internal" in c for c in a.conflicts), term
        assert a.mood is None or a.mood in MOODS
        assert a.style is None or a.style in STYLE_IDS


# -- the embedding fallback ---------------------------------------------------------------------
def test_unnamed_prompt_adopts_the_nearest_style() -> None:
    for prompt in ("江南园林意境", "敦煌壁画里的飞天旋律"):
        a = parse_prompt(prompt)
        assert a.style == "guofeng", prompt
        assert any(u.startswith("style: guofeng (nearest in meaning") for u in a.understood)


def test_a_leftover_fragment_is_reported_but_not_adopted() -> None:
    a = parse_prompt("孤独的夜晚,萨克斯独奏")
    assert a.style is None and a.mood == "lonely"
    assert a.nearest["text"] == "夜晚" and a.nearest["adopt"] is False


def test_lexicon_only_has_no_nearest() -> None:
    assert parse_prompt("江南园林意境", use_embedding=False).nearest == {}


def test_a_refused_instrument_plays_nowhere() -> None:
    a = lex("不要钢琴")
    assert 0 not in (a.programs["melody"], a.programs["chords"])
    assert "melody: 4 Electric Piano 1 (instead of 不要钢琴)" in a.understood
    assert "instrument: 不要钢琴 (given to no stem)" in a.understood


def test_chinese_modes_without_a_tonic() -> None:
    assert lex("宫调式").key == "C gong"
    assert lex("徵调式").key == "G zhi"


def test_a_stem_turned_off_gets_no_stand_in_and_a_named_bass_joins_a_solo() -> None:
    """ "no bass" listed "bass: 32 Acoustic Bass (instead of no bass)" as understood, for a
    stem that does not play; "piano solo with bass" named a bass program and left it out."""
    a = lex("no bass")
    assert "bass" not in a.stems
    assert not any(u.startswith("bass:") for u in a.understood), a.understood
    b = lex("piano solo with bass")
    assert b.stems == ("melody", "chords", "bass") and b.programs["bass"] == 33
    assert lex("钢琴独奏").stems == ("melody", "chords")


def test_a_negative_or_exponent_tempo_is_not_read() -> None:
    """ "-90 bpm" was read as 90 BPM; a range's "80-90 bpm" still reads."""
    assert lex("-90 bpm").bpm is None and lex("节奏 -80 bpm").bpm is None
    assert lex("1e3 bpm").bpm is None
    assert lex("lofi, 80-90 bpm").bpm == 90 and lex("85 bpm").bpm == 85


def test_a_ballad_is_slow_even_where_another_style_wins() -> None:
    # "jazz ballad" kept jazz and came out at 125 bpm: the ballad's slowness was dropped
    attrs = parse_prompt("jazz ballad, 32 bars")
    assert attrs.style == "jazz" and attrs.bpm is not None and attrs.bpm <= 76
    assert parse_prompt("一首抒情歌").bpm == 68
    assert parse_prompt("upbeat rock ballad").bpm is not None
    assert parse_prompt("upbeat rock ballad").bpm >= 112  # the word named first wins


@pytest.mark.parametrize(
    ("prompt", "stems"),
    [
        # the instrument named beside "only" was dropped: each of these played one stem
        ("只要钢琴和贝斯,爵士,每分钟100拍", ("melody", "chords", "bass")),
        ("only piano and bass", ("melody", "chords", "bass")),
        ("只要古筝和鼓", ("melody", "chords", "drums")),
        ("just guitar and drums", ("melody", "chords", "drums")),
        ("drums and bass only", ("bass", "drums")),  # a trailing "only" takes both
        ("piano and bass only", ("melody", "chords", "bass")),
        ("just bass and drums", ("bass", "drums")),
        ("只要钢琴", ("melody", "chords")),
        # the instrument named before too
        ("钢琴曲,只要钢琴和贝斯", ("melody", "chords", "bass")),
        ("soft piano ballad, only piano and bass", ("melody", "chords", "bass")),
        ("piano music, only piano and drums", ("melody", "chords", "drums")),
    ],
)
def test_only_keeps_every_part_it_names(prompt: str, stems: tuple[str, ...]) -> None:
    assert parse_prompt(prompt).stems == stems


@pytest.mark.parametrize(
    ("prompt", "stems"),
    [
        # an English list stopped at its first comma: ['chords'], ['bass', 'drums'], ['chords']
        ("lofi beat, just chords, bass and drums", ("chords", "bass", "drums")),
        ("lo-fi with chords, bass and drums only", ("chords", "bass", "drums")),
        ("lofi, no melody, just chords bass drums", ("chords", "bass", "drums")),
        ("just chords, bass, drums", ("chords", "bass", "drums")),
        ("只要和弦、贝斯和鼓", ("chords", "bass", "drums")),
        ("only piano, bass", ("melody", "chords", "bass")),
        # a comma still ends the list where the next clause is not one
        ("just piano, soft and slow", ("melody", "chords")),
        ("只要钢琴,节奏舒缓,浪漫", ("melody", "chords")),
        ("纯钢琴,弦乐铺底", ("melody", "chords")),  # strings given a role, not listed
        ("不要鼓,钢琴和大提琴,浪漫", ("melody", "chords", "bass")),  # a negation: no list
    ],
)
def test_an_only_list_runs_across_commas_and_neighbours(
    prompt: str, stems: tuple[str, ...]
) -> None:
    a = lex(prompt)
    assert a.stems == stems and a.stems_named
    assert not a.conflicts


def test_a_piece_title_is_its_style_not_an_ambience() -> None:
    # 高山流水 (the guqin piece) was read as a stream to record and an "epic" mood
    attrs = parse_prompt("高山流水,古琴,宁静")
    assert attrs.style == "guofeng" and attrs.ambience == () and attrs.mood == "calm"
    assert parse_prompt("溪边流水声的古筝曲").ambience == ("stream",)


@pytest.mark.parametrize(
    "prompt", ["爵士三重奏", "jazz trio", "piano trio, swing", "爵士钢琴三重奏,慵懒的午后"]
)
def test_a_jazz_trio_is_piano_bass_and_drums(prompt: str) -> None:
    """爵士三重奏 gave four parts with a sax lead: a jazz trio has no horn."""
    a = lex(prompt)
    assert a.stems == STEMS and a.stems_named  # the trio's drums play
    assert a.programs["melody"] == 0 and a.programs["chords"] == 0  # the piano plays both
    assert a.programs["bass"] == 32  # the double bass
    assert not a.conflicts or all("swing" in c for c in a.conflicts)


def test_a_trio_keeps_the_lead_the_prompt_names() -> None:
    sax = lex("sax trio, bebop")
    assert sax.stems == ("melody", "bass", "drums") and sax.programs["melody"] == 65
    guitar = lex("guitar trio")
    assert guitar.stems == STEMS and guitar.programs["chords"] == 25
    assert lex("jazz trio, no drums").stems == ("melody", "chords", "bass")
    assert lex("爵士三重奏,钢琴、贝斯和鼓").programs["melody"] == 0


@pytest.mark.parametrize(
    "prompt", ["古典钢琴三重奏", "classical piano trio", "钢琴三重奏,古典,舒缓"]
)
def test_a_classical_trio_is_violin_piano_and_cello_without_drums(prompt: str) -> None:
    """古典钢琴三重奏 read as a jazz trio: 古典钢琴 was a name for the piano, so the style was
    lost, and the trio brought drums."""
    a = lex(prompt)
    assert a.style == "classical"
    assert a.stems == ("melody", "chords", "bass") and a.stems_named
    assert (a.programs["melody"], a.programs["chords"], a.programs["bass"]) == (40, 0, 42)
    assert not a.conflicts


@pytest.mark.parametrize("prompt", ["string quartet", "弦乐四重奏", "弦乐四重奏,忧伤,慢板"])
def test_a_string_quartet_is_violin_strings_and_cello_without_drums(prompt: str) -> None:
    """A string quartet was read as a string pad: the take had an electric bass and drums."""
    a = lex(prompt)
    assert a.style == "classical"
    assert a.stems == ("melody", "chords", "bass") and a.stems_named
    assert (a.programs["melody"], a.programs["chords"], a.programs["bass"]) == (40, 48, 42)
    assert not a.conflicts


def test_a_string_quartet_in_another_genre_keeps_the_genre_and_drums_said_play() -> None:
    pop = lex("a pop song for string quartet")
    assert pop.style == "pop" and pop.stems == ("melody", "chords", "bass")
    assert lex("string quartet with drums").stems == STEMS
    assert lex("strings").stems_named is False  # a string pad names no ensemble


def test_a_guitar_named_by_no_kind_plays_the_style_s_guitar() -> None:
    """ "heavy metal with electric guitar" came back a clean guitar, "bossa nova with guitar"
    a steel-strung one: a guitar named by no kind is the style's own of that family."""
    for prompt in ("heavy metal with electric guitar", "电吉他,摇滚", "punk, electric guitar"):
        a = lex(prompt)
        assert {a.programs["melody"], a.programs["chords"]} == {29, 30}, prompt
    assert lex("blues electric guitar").programs["chords"] == 26  # the style's lead guitar
    assert lex("bossa nova with guitar").programs["melody"] == 24
    # a kind named is kept, a plain guitar stays acoustic where the style's is electric,
    # and a style without a guitar keeps the word's own
    assert lex("rock, clean guitar").programs["melody"] == 27
    assert lex("rock with guitar").programs["melody"] == 25
    assert lex("jazz with electric guitar").programs["melody"] == 27
    assert lex("pop with guitar").programs["melody"] == 25


def test_a_classical_trio_keeps_the_instruments_the_prompt_names() -> None:
    flute = lex("古典三重奏,长笛、钢琴和大提琴")
    assert (flute.programs["melody"], flute.programs["chords"], flute.programs["bass"]) == (
        73,
        0,
        42,
    )
    cello = lex("classical piano trio, cello lead")
    assert cello.programs["melody"] == 42 and not cello.conflicts


def test_a_prompt_s_energy_sets_the_tempo_it_does_not_name() -> None:
    """睡前的安静钢琴曲,很轻很轻 ("a quiet piano piece for bedtime, very very soft") took
    100 BPM, no style and no dynamics: a calm prompt was as fast as one that says nothing."""
    from models.text.resolve import default_bpm

    assert default_bpm("jazz", "low") < default_bpm("jazz") < default_bpm("jazz", "high")
    lo, hi = next(s for s in STYLES if s.id == "jazz").bpm
    assert lo <= default_bpm("jazz", "low") and default_bpm("jazz", "high") <= hi
    assert default_bpm(None, "low") == 76.0 and default_bpm(None) == 100.0
    bedtime = lex("睡前的安静钢琴曲,很轻很轻")
    assert (bedtime.style, bedtime.energy, bedtime.dynamics) == ("lullaby", "low", "soft")
    assert bedtime.bpm is None  # the prompt names no tempo: the take's is the default's
    calm = lex("a minute of calm ambient pads")  # a length in seconds, at the calm tempo
    assert calm.bars == round(60 * default_bpm(None, "low") / 60 / 4)


def test_a_wedding_march_is_in_a_major_key_and_a_funeral_march_in_a_minor_one() -> None:
    """婚礼进行曲,庄严 came out in E minor: 庄严 (stately) read as a minor, funereal mood."""
    from models.pipeline import song_frame
    from models.request import GenerateRequest

    for prompt, minor in (("婚礼进行曲,庄严", False), ("wedding march", False),
                          ("葬礼进行曲,肃穆", True), ("funeral march", True)):  # fmt: skip
        attrs = lex(prompt)
        assert attrs.style == "march"
        key = song_frame(attrs, GenerateRequest(prompt, seed=3)).key
        assert key.is_minor == minor, (prompt, key)


@pytest.mark.parametrize(
    "prompt", ["epic orchestral battle theme, 140 bpm", "管弦乐,气势磅礴", "epic cinematic trailer music",
               "电影配乐,史诗感", "film score for a chase scene"]
)  # fmt: skip
def test_an_orchestra_or_film_music_is_classical_with_a_bowed_bass(prompt: str) -> None:
    """'epic orchestral battle theme' came with no style, an electric bass under the strings,
    and "epic cinematic trailer music" was a piano over an electric piano."""
    a = lex(prompt)
    assert a.style == "classical"
    assert a.programs["bass"] == 42  # the cello, not an electric bass
    assert a.programs["chords"] == 48 and a.programs["melody"] in (40, 48)


def test_a_genre_named_beside_an_orchestra_keeps_its_style() -> None:
    a = lex("orchestral pop ballad")
    assert a.style == "pop" and a.programs["chords"] == 48
    assert lex("lo-fi hip hop with a string ensemble").style == "lofi"


@pytest.mark.parametrize("prompt", ["chiptune 8-bit game music", "8-bit boss fight, fast",
                                    "芯片音乐,红白机风格"])  # fmt: skip
def test_chiptune_is_square_waves_over_a_synth_bass(prompt: str) -> None:
    """chiptune gave a square lead over an electric piano and a fingered electric bass."""
    a = lex(prompt)
    assert (a.programs["melody"], a.programs["chords"], a.programs["bass"]) == (80, 80, 38)
    assert lex("chiptune with slap bass").programs["bass"] == 36  # a named bass wins
    assert lex("8-bit rock").programs["bass"] == 34  # so does the style's


@pytest.mark.parametrize(
    ("prompt", "program"),
    [("jazz trio with piano, bass and drums", 32), ("爵士三重奏,钢琴,贝斯和鼓", 32),
     ("bluegrass with banjo and bass", 32), ("classical with piano and bass", 32),
     ("piano trio with bass", 32), ("Jazz with Bass", 32),
     ("pop song with bass and drums", 33), ("disco, funky bass", 33), ("bass and drums", 33),
     ("jazz with electric bass", 33), ("jazz with a bass guitar", 33),
     ("pop with an upright bass", 32), ("hip hop with synth bass", 38)],
)  # fmt: skip
def test_a_bass_named_by_no_kind_is_the_style_s_kind(prompt: str, program: int) -> None:
    # "jazz trio with piano, bass and drums" played an electric bass: a bass named by no
    # kind is a double bass where the style's bass is one, else an electric bass; a kind
    # named ("electric bass", "upright bass") is that kind, whatever the style
    a = lex(prompt)
    assert a.programs["bass"] == program and "bass" in a.stems
    assert any(u.startswith(f"bass: {program} ") for u in a.understood)


@pytest.mark.parametrize(
    ("prompt", "program"),
    [("jazz walking bass trio in F", 32), ("爵士,行走贝斯,F大调", 32),
     ("pop with a walking bass", 33), ("piano solo with a walking bass", 33),
     ("pop with a walking upright bass", 32)],
)  # fmt: skip
def test_a_walking_bass_is_a_bass_line_that_plays(prompt: str, program: int) -> None:
    # the bass plays in the style's own program (a jazz walking bass stays acoustic) unless
    # the prompt names the instrument
    a = lex(prompt)
    assert a.bass_line == "walking"
    assert a.programs["bass"] == program and "bass" in a.stems
    assert any(u.startswith("bass line: walking") for u in a.understood)
    assert not a.ignored
    assert PromptAttributes.from_json(a.to_json()).bass_line == "walking"
    assert lex("jazz trio in F").bass_line is None


@pytest.mark.parametrize("prompt", ["jazz, no walking bass", "爵士,不要行走贝斯"])
def test_no_walking_bass_is_a_bass_that_does_not_walk(prompt: str) -> None:
    a = lex(prompt)
    assert a.bass_line is None and "bass" in a.stems and not a.stems_named
    assert any(u.startswith("bass line: not walking") for u in a.understood)


@pytest.mark.parametrize(
    ("prompt", "style"),
    [("afrobeat groove with horns, 110 bpm", "funk"), ("dancehall riddim", "reggae"),
     ("reggaeton", "reggae"), ("uk drill beat, dark", "hiphop"), ("trip hop", "hiphop"),
     ("vaporwave", "lofi"), ("amapiano", "edm"), ("boogie woogie piano", "blues"),
     ("shoegaze with dreamy guitars", "rock"), ("emo", "punk"), ("motown", "rnb"),
     ("gypsy jazz with violin", "swing"), ("cumbia", "salsa"), ("bachata", "rumba"),
     ("蒸汽波", "lofi"), ("广场舞", "disco"), ("草原风格,马头琴", "guofeng"),
     ("弗拉门戈,吉他", "rumba"), ("后朋克", "punk")],
)  # fmt: skip
def test_a_genre_the_corpus_lacks_plays_as_its_nearest_style(prompt: str, style: str) -> None:
    # "dancehall" reached the sentence embedding, which heard a waltz in it and made it 3/4;
    # a genre the corpus has no windows of is played as the style nearest in groove, and
    # the parse says so
    a = lex(prompt)
    assert a.style == style
    assert a.meter is None  # none of these implies a meter; a waltz's 3/4 came with the guess
    assert any(u.startswith(f"style: {style} (") and "nearest style" in u for u in a.understood)
    assert not any("afrobeat" in i or "dancehall" in i for i in a.ignored)


def test_a_genre_the_corpus_has_is_not_called_a_neighbour() -> None:
    for prompt, style in [("trap", "hiphop"), ("陷阱说唱", "hiphop"), ("funk", "funk")]:
        a = lex(prompt)
        assert a.style == style
        assert not any("nearest" in u for u in a.understood)
    # a corpus genre named beside a neighbour wins; a neighbour wins over a regional hint
    assert lex("afrobeat-flavoured pop").style == "pop"
    assert lex("jamaican dancehall").style == "reggae"
    assert lex("minimalist lo-fi beat").style == "lofi"
    # a flamenco guitar with no style named hints at the rumba, as a 古筝 hints at guofeng
    a = lex("flamenco guitar solo")
    assert a.style == "rumba" and a.programs["melody"] == 24
    assert lex("pop with a flamenco guitar").style == "pop"
