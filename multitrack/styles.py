"""The style vocabulary shared by the corpus, the prompt parser and the model.

One ``Style`` per id: its English and Chinese names, the meter it implies (or None when any
goes), its natural tempo range in BPM, default GM programs (0-based) per pitched stem, and
the MMA library files whose grooves render its accompaniment. The corpus builder draws from
``grooves``; the parser maps words onto ``id``; the model is conditioned on the id's index.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    id: str
    english: str
    chinese: str
    meter: str | None  # implied meter, e.g. "3/4" for a waltz; None: the source decides
    bpm: tuple[int, int]  # natural tempo range, inclusive
    programs: tuple[int, int, int]  # GM programs (melody, chords, bass), 0-based
    grooves: tuple[str, ...]  # MMA stdlib file stems (``/usr/share/mma/lib/stdlib/<x>.mma``)
    # Feel (multitrack.dynamics): the accent family velocities follow, and the swing ratio
    # (the on-beat note's share of a swung pair: 0.5 straight, 2/3 triplet swing) applied to
    # ``swing_unit``-step pairs (2: 8th notes, 1: 16th notes) when the MIDI is written.
    accents: str = "metric"
    swing: float = 0.5
    swing_unit: int = 2


STYLES: tuple[Style, ...] = (
    Style("pop", "pop", "流行", None, (90, 124), (80, 0, 33), ("8beat", "softrock"), accents="backbeat"),
    Style("ballad", "ballad", "抒情", None, (60, 80), (0, 48, 33), ("popballad", "pianoballad", "ballad", "rockballad")),
    Style("rock", "rock", "摇滚", "4/4", (110, 150), (29, 30, 34), ("basicrock", "50srock", "60srock", "folkrock"), accents="backbeat"),
    Style("punk", "punk", "朋克", "4/4", (150, 190), (30, 29, 34), ("basicrock", "bubblerock"), accents="backbeat"),
    Style("folk", "folk", "民谣", None, (80, 110), (73, 25, 32), ("folk", "folkballad", "bluefolk")),
    Style("country", "country", "乡村", None, (90, 130), (40, 25, 32), ("countryswing", "slowcountry", "hillcountry", "countrywaltz"), accents="backbeat"),
    Style("bluegrass", "bluegrass", "蓝草", "4/4", (120, 160), (105, 25, 32), ("bluegrass",), accents="backbeat"),
    Style("blues", "blues", "蓝调", None, (70, 110), (26, 4, 33), ("blues", "slowblues", "fastblues", "countryblues"), accents="swing", swing=0.67),
    Style("jazz", "jazz", "爵士", None, (90, 160), (65, 0, 32), ("jazzcombo", "mellowjazz", "modernjazz", "jazzguitar"), accents="swing", swing=0.64),
    Style("swing", "swing", "摇摆", "4/4", (120, 180), (56, 0, 32), ("swing", "easyswing", "bigband", "fastswing"), accents="swing", swing=0.67),
    Style("bebop", "bebop", "比博普", "4/4", (160, 220), (65, 0, 32), ("bebop",), accents="swing", swing=0.6),
    Style("ragtime", "ragtime", "拉格泰姆", "2/4", (90, 120), (0, 0, 0), ("ragtime",), accents="march"),
    Style("bossa_nova", "bossa nova", "波萨诺瓦", "4/4", (110, 140), (73, 24, 32), ("bossanova",), accents="bossa"),
    Style("samba", "samba", "桑巴", "4/4", (90, 110), (56, 24, 33), ("samba",), accents="clave"),
    Style("salsa", "salsa", "萨尔萨", "4/4", (150, 200), (56, 0, 33), ("salsa", "mambo", "son"), accents="clave"),
    Style("tango", "tango", "探戈", "4/4", (110, 130), (21, 0, 32), ("tango", "lighttango"), accents="habanera"),
    Style("rumba", "rumba", "伦巴", "4/4", (95, 115), (24, 0, 32), ("rhumba", "jazzrhumba", "bolero"), accents="clave"),
    Style("cha_cha", "cha-cha", "恰恰", "4/4", (110, 130), (56, 0, 33), ("chacha",), accents="clave"),
    Style("reggae", "reggae", "雷鬼", "4/4", (70, 90), (80, 17, 33), ("calypso", "ska"), accents="offbeat"),
    Style("ska", "ska", "斯卡", "4/4", (140, 180), (56, 16, 33), ("ska",), accents="offbeat"),
    Style("funk", "funk", "放克", "4/4", (95, 120), (62, 4, 36), ("bvfunk", "strut"), accents="backbeat", swing=0.54, swing_unit=1),
    Style("disco", "disco", "迪斯科", "4/4", (110, 128), (48, 4, 38), ("boneym", "dsoul"), accents="four"),
    Style("rnb", "R&B", "节奏布鲁斯", "4/4", (65, 100), (4, 4, 33), ("rb", "rb-ballad"), accents="backbeat", swing=0.56, swing_unit=1),
    Style("hiphop", "hip hop", "嘻哈", "4/4", (80, 100), (4, 0, 38), ("8beat",), accents="backbeat", swing=0.56, swing_unit=1),
    Style("lofi", "lo-fi", "低保真", "4/4", (70, 90), (4, 4, 33), ("8beat", "ballad"), accents="backbeat", swing=0.6, swing_unit=1),
    Style("edm", "EDM", "电音", "4/4", (120, 132), (81, 89, 38), ("trance",), accents="four"),
    Style("waltz", "waltz", "华尔兹", "3/4", (84, 180), (40, 48, 32), ("waltz", "vienesewaltz", "frenchwaltz", "jazzwaltz"), accents="waltz"),
    Style("march", "march", "进行曲", None, (100, 130), (56, 61, 58), ("march", "68march", "bwmarch"), accents="march"),
    Style("polka", "polka", "波尔卡", "2/4", (110, 140), (21, 0, 32), ("polka",), accents="march"),
    Style("hymn", "hymn", "赞美诗", None, (60, 90), (19, 19, 32), ("hymn", "spiritual", "popspiritual")),
    Style("celtic", "celtic", "凯尔特", None, (90, 130), (110, 25, 32), ("folk", "68swing", "arpeggio68")),
    Style("classical", "classical", "古典", None, (60, 100), (40, 48, 42), ("arpeggio44", "arpeggiowaltz", "broadway")),
    Style("lullaby", "lullaby", "摇篮曲", None, (55, 75), (10, 46, 32), ("lullaby", "arpeggiowaltz")),
    Style("guofeng", "Chinese traditional (guofeng)", "国风", None, (60, 100), (107, 104, 32), ("folkballad", "ballad", "arpeggio44", "lullaby")),
)  # fmt: skip

STYLE_IDS: tuple[str, ...] = tuple(s.id for s in STYLES)
_BY_ID = {s.id: s for s in STYLES}


def style(style_id: str) -> Style:
    """The style with this id; ``KeyError`` names the known ids."""
    try:
        return _BY_ID[style_id]
    except KeyError:
        raise KeyError(f"unknown style {style_id!r}; known: {', '.join(STYLE_IDS)}") from None


def style_index(style_id: str | None) -> int:
    """Index for conditioning: 0 means no style, styles count from 1."""
    return 0 if style_id is None else STYLE_IDS.index(style_id) + 1
