"""The instruments a producer names, as General MIDI programs, in Chinese and English.

Programs are 0-based, as MIDI sends them (0 = Acoustic Grand Piano). Chinese instruments
without a GM patch take the nearest timbre: 古筝/古琴 -> Koto, 琵琶 -> Shamisen, 二胡 -> Fiddle,
箫 -> Shakuhachi, 唢呐 -> Shanai, 扬琴 -> Dulcimer (docs/prompts.md lists every choice).

``kind`` decides which stem an instrument takes when the prompt gives it no role:
"mono" instruments lead (melody), "poly" ones can also comp (chords), "pad" prefers chords,
"bass" takes the bass stem. A few instruments sound different per stem ("合成器" is a saw lead
on the melody, a warm pad on the chords, a synth bass on the bass), hence three programs.
"""

from __future__ import annotations

from dataclasses import dataclass

from multitrack.stems import PITCHED_STEMS

GM_NAMES: tuple[str, ...] = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone",
    "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)",
    "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar",
    "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax",
    "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute",
    "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto",
    "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
)  # fmt: skip

KINDS: tuple[str, ...] = ("mono", "poly", "pad", "bass")


@dataclass(frozen=True)
class Instrument:
    """One nameable instrument: GM programs for (melody, chords, bass), how it plays, the
    style it hints at when the prompt names none, and its names (lower case)."""

    id: str
    programs: tuple[int, int, int]
    kind: str
    terms: tuple[str, ...]
    style: str | None = None
    can_bass: bool = False  # a low instrument that may take the bass stem when it is free

    def program_for(self, stem: str) -> int:
        """The GM program this instrument plays on ``stem`` (melody, chords or bass)."""
        return self.programs[PITCHED_STEMS.index(stem)]


def _one(
    id: str,
    program: int,
    kind: str,
    terms: str,
    style: str | None = None,
    *,
    can_bass: bool = False,
) -> Instrument:
    return Instrument(id, (program,) * 3, kind, tuple(terms.split("|")), style, can_bass)


_GF = "guofeng"
INSTRUMENTS: tuple[Instrument, ...] = (
    _one("piano", 0, "poly", "钢琴|大钢琴|三角钢琴|立式钢琴|原声钢琴|piano|pianos|acoustic piano|grand piano|upright piano|piano montuno"),
    _one("bright_piano", 1, "poly", "明亮钢琴|bright piano"),
    _one("honky_tonk", 3, "poly", "酒吧钢琴|honky-tonk|honky tonk|honky-tonk piano|honky tonk piano"),
    _one("electric_piano", 4, "poly", "电钢琴|电钢|电子钢琴|电子琴|罗兹|罗德琴|键盘|rhodes|electric piano|e-piano|epiano|wurlitzer|keys|keyboard|keyboards"),
    _one("harpsichord", 6, "poly", "羽管键琴|大键琴|拨弦古钢琴|harpsichord"),
    _one("clavinet", 7, "poly", "克拉维|clavinet|clav"),
    _one("celesta", 8, "poly", "钢片琴|celesta|celeste"),
    _one("glockenspiel", 9, "mono", "钟琴|铝板琴|钟片琴|glockenspiel|glock"),
    _one("music_box", 10, "poly", "八音盒|音乐盒|music box|musicbox"),
    _one("vibraphone", 11, "poly", "颤音琴|电颤琴|vibraphone|vibraphones"),
    _one("marimba", 12, "poly", "马林巴|马林巴琴|marimba"),
    _one("xylophone", 13, "mono", "木琴|xylophone"),
    _one("tubular_bells", 14, "mono", "管钟|钟声|tubular bells|chimes|bells"),
    _one("bianzhong", 14, "mono", "编钟|bianzhong", _GF),
    _one("yangqin", 15, "poly", "扬琴|yangqin", _GF),
    _one("dulcimer", 15, "poly", "dulcimer|hammered dulcimer|santur"),
    _one("organ", 16, "poly", "电风琴|电子风琴|哈蒙德|哈蒙德风琴|hammond|hammond organ|organ|organs"),
    _one("rock_organ", 18, "poly", "摇滚风琴|rock organ"),
    _one("church_organ", 19, "poly", "管风琴|教堂管风琴|教堂风琴|pipe organ|church organ"),
    _one("reed_organ", 20, "poly", "风琴|簧风琴|脚踏风琴|reed organ|harmonium"),
    _one("sheng", 20, "poly", "笙|sheng", _GF),
    _one("accordion", 21, "poly", "手风琴|accordion|accordian"),
    _one("harmonica", 22, "mono", "口琴|harmonica|blues harp|mouth organ"),
    _one("bandoneon", 23, "poly", "班多钮|班多纽|班多钮手风琴|bandoneon"),
    _one("nylon_guitar", 24, "poly", "尼龙吉他|古典吉他|尼龙弦吉他|西班牙吉他|尤克里里|nylon guitar|nylon-string guitar|classical guitar|spanish guitar|ukulele|uke"),
    # a flamenco guitar hints at the rumba, the corpus style nearest flamenco (models.text.lexicon.KIN_GENRES)
    _one("flamenco_guitar", 24, "poly", "弗拉门戈吉他|弗拉明戈吉他|flamenco guitar", "rumba"),
    _one("ruan", 24, "poly", "阮|中阮|大阮|柳琴|月琴|ruan", _GF),
    _one("guitar", 25, "poly", "吉他|木吉他|民谣吉他|原声吉他|吉它|guitar|guitars|acoustic guitar|acoustic guitars|steel-string guitar|12-string guitar"),
    _one("jazz_guitar", 26, "poly", "爵士吉他|jazz guitar|hollow-body guitar"),
    _one("electric_guitar", 27, "poly", "电吉他|清音吉他|清音电吉他|electric guitar|electric guitars|clean guitar|clean electric guitar"),
    _one("muted_guitar", 28, "poly", "闷音吉他|muted guitar|palm-muted guitar"),
    _one("overdrive_guitar", 29, "poly", "过载吉他|overdrive guitar|overdriven guitar|crunchy guitar"),
    _one("distortion_guitar", 30, "poly", "失真吉他|失真电吉他|重失真吉他|distorted guitar|distortion guitar|distorted guitars|heavy guitar|heavy guitars"),
    _one("acoustic_bass", 32, "bass", "低音提琴|原声贝斯|立式贝斯|倍大提琴|double bass|upright bass|acoustic bass|contrabass|standup bass"),
    _one("bass", 33, "bass", "贝斯|电贝斯|贝司|电贝司|低音吉他|bass|bass guitar|electric bass|fingered bass|bassline|bass line|basslines"),
    _one("picked_bass", 34, "bass", "拨片贝斯|picked bass"),
    _one("fretless_bass", 35, "bass", "无品贝斯|fretless bass|fretless"),
    _one("slap_bass", 36, "bass", "拍弦贝斯|击勾贝斯|勾弦贝斯|拍击贝斯|slap bass|slap|slapped bass"),
    _one("synth_bass", 38, "bass", "合成器贝斯|合成贝斯|电子贝斯|低音合成器|synth bass|synth-bass|808|808 bass|808s|sub bass|moog bass|reese bass"),
    _one("violin", 40, "mono", "小提琴|violin|violins"),
    _one("viola", 41, "mono", "中提琴|viola"),
    _one("cello", 42, "mono", "大提琴|cello|cellos|violoncello", can_bass=True),
    _one("pizzicato", 45, "poly", "拨弦弦乐|pizzicato|pizzicato strings"),
    _one("harp", 46, "poly", "竖琴|harp|harps"),
    _one("konghou", 46, "poly", "箜篌|konghou", _GF),
    _one("strings", 48, "poly", "弦乐|弦乐团|弦乐组|弦乐器|弦乐合奏|strings|string section|string ensemble|orchestral strings"),
    # an orchestra is strings that imply the classical style (its cello bass, its grooves)
    # when no genre is named: "epic orchestral" was electric bass and a piano's style
    _one("orchestra", 48, "poly", "管弦乐|管弦乐团|交响乐团|orchestra|orchestral|full orchestra|symphony orchestra", "classical"),
    _one("synth_strings", 50, "poly", "合成弦乐|synth strings"),
    _one("choir", 52, "poly", "合唱|合唱团|唱诗班|人声合唱|choir|choirs|chorus|aahs"),
    _one("voice", 53, "mono", "人声|哼唱|女声|男声|吟唱|唱腔|戏腔|vocal|vocals|voice|humming|oohs"),
    _one("trumpet", 56, "mono", "小号|小喇叭|短号|trumpet|trumpets|cornet|flugelhorn"),
    _one("trombone", 57, "mono", "长号|trombone|trombones", can_bass=True),
    _one("tuba", 58, "bass", "大号|低音号|tuba"),
    _one("muted_trumpet", 59, "mono", "弱音小号|muted trumpet"),
    _one("french_horn", 60, "mono", "圆号|法国号|french horn|horn"),
    _one("brass", 61, "poly", "铜管|铜管乐|铜管组|铜管乐队|brass|brass section|horns|horn section|brass band"),
    _one("synth_brass", 62, "poly", "合成铜管|synth brass"),
    _one("soprano_sax", 64, "mono", "高音萨克斯|soprano sax|soprano saxophone"),
    _one("sax", 65, "mono", "萨克斯|萨克斯风|萨克斯管|中音萨克斯|alto sax|alto saxophone|sax|saxophone|saxophones"),
    _one("tenor_sax", 66, "mono", "次中音萨克斯|tenor sax|tenor saxophone"),
    _one("baritone_sax", 67, "mono", "上低音萨克斯|baritone sax|bari sax", can_bass=True),
    _one("oboe", 68, "mono", "双簧管|oboe"),
    _one("english_horn", 69, "mono", "英国管|english horn|cor anglais"),
    _one("bassoon", 70, "mono", "大管|巴松|巴松管|bassoon", can_bass=True),
    _one("clarinet", 71, "mono", "单簧管|黑管|clarinet"),
    _one("hulusi", 71, "mono", "葫芦丝|巴乌|hulusi", _GF),
    _one("piccolo", 72, "mono", "短笛|piccolo"),
    _one("flute", 73, "mono", "长笛|flute|flutes"),
    _one("dizi", 73, "mono", "笛子|竹笛|笛|曲笛|梆笛|dizi|bamboo flute", _GF),
    _one("recorder", 74, "mono", "竖笛|直笛|recorder"),
    _one("pan_flute", 75, "mono", "排箫|排笛|pan flute|panpipes|pan pipes"),
    _one("xiao", 77, "mono", "箫|洞箫|萧|xiao", _GF),
    _one("shakuhachi", 77, "mono", "尺八|shakuhachi"),
    _one("whistle", 78, "mono", "口哨|锡哨|哨笛|爱尔兰哨笛|whistle|whistling|tin whistle|penny whistle", "celtic"),
    _one("ocarina", 79, "mono", "陶笛|ocarina"),
    _one("xun", 79, "mono", "埙|xun", _GF),
    _one("square_lead", 80, "mono", "方波|方波主音|square lead|square wave"),
    # chiptune is square waves on every pitched stem, a synth bass under them
    Instrument("chiptune", (80, 80, 38), "poly", tuple("芯片音乐|8-bit|8bit|8 bit|8位|8比特|chiptune|chip tune|chiptunes|红白机|fc音乐|game boy".split("|"))),
    Instrument("synth", (81, 89, 38), "poly", ("合成器", "合成器主音", "合成器音色", "电子合成器", "synth", "synths", "synthesizer", "synthesizers", "synth lead", "lead synth", "supersaw", "saw lead")),
    _one("pad", 89, "pad", "垫音|合成器垫音|铺底音色|pad|pads|synth pad|warm pad|ambient pad"),
    _one("new_age_pad", 88, "pad", "new age pad"),
    _one("sitar", 104, "poly", "西塔琴|sitar"),
    _one("banjo", 105, "poly", "班卓琴|班鸠琴|banjo|banjos"),
    _one("shamisen", 106, "poly", "三味线|shamisen"),
    _one("pipa", 106, "poly", "琵琶|pipa", _GF),
    _one("guzheng", 107, "poly", "古筝|筝|guzheng|zheng", _GF),
    _one("guqin", 107, "poly", "古琴|七弦琴|guqin", _GF),
    _one("koto", 107, "poly", "koto|日本筝"),
    _one("kalimba", 108, "poly", "卡林巴|拇指琴|kalimba|mbira"),
    _one("bagpipe", 109, "mono", "风笛|苏格兰风笛|bagpipe|bagpipes", "celtic"),
    _one("fiddle", 110, "mono", "fiddle|fiddles"),
    _one("erhu", 110, "mono", "二胡|胡琴|京胡|板胡|高胡|中胡|erhu|jinghu", _GF),
    _one("morin_khuur", 110, "mono", "马头琴|morin khuur", _GF),
    _one("suona", 111, "mono", "唢呐|suona|shanai", _GF),
    _one("steel_drums", 114, "mono", "钢鼓|steel drum|steel drums|steelpan"),
)  # fmt: skip

BY_ID: dict[str, Instrument] = {i.id: i for i in INSTRUMENTS}
assert len(BY_ID) == len(INSTRUMENTS), "instrument ids must be unique"

# Words that name a bass but no kind of one: a double bass where the style's (or a trio's)
# bass is one, else an electric bass (``models.text.orchestration._bass_of``): "jazz trio
# with piano, bass and drums" was an electric bass. "electric bass", "bass guitar",
# "upright bass" ... name the instrument. GM's bass programs: ``BASS_PROGRAMS``.
GENERIC_BASS = frozenset({"bass", "bassline", "bass line", "basslines", "贝斯", "贝司"})
BASS_PROGRAMS = range(32, 40)
# Words that name a guitar but no kind of one (``models.text.orchestration._guitar_of``):
# the style's own guitar where it has one in that family, else the steel-string acoustic
# (an electric guitar: the clean one), as before. An electric guitar in rock and punk is
# their overdriven lead and distorted rhythm ("heavy metal with electric guitar" came back
# clean), in blues its jazz guitar; a guitar in bossa nova, samba and rumba their nylon one
# (it came back steel-strung). A plain guitar stays acoustic where the style's is electric:
# the prompt tables take "后摇,吉他" and "slow blues, harmonica and guitar" so. "acoustic
# guitar", "木吉他", "clean guitar", "失真吉他" ... name the kind.
GENERIC_GUITARS: dict[str, range] = {
    **dict.fromkeys(("guitar", "guitars", "吉他", "吉它"), range(24, 25)),
    **dict.fromkeys(("electric guitar", "electric guitars", "电吉他"), range(26, 32)),
}
assert len(GM_NAMES) == 128


def program_label(program: int) -> str:
    """'107 Koto' for the understood list."""
    return f"{program} {GM_NAMES[program]}"
