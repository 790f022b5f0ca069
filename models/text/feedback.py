"""Relative feedback on a take -> a typed change -> the take's attributes, changed.

A producer hears a take and says "太沉闷了" (too dull), "再欢快一点", "不够中国风", "more drums",
"slower", "brighter". ``parse_feedback`` reads such phrases, in Chinese and English, into a
``FeedbackChange``: energy up or down, a tempo factor, a brighter or darker mode, the melody's
register up or down, more/fewer/no drums, more pentatonic, a melody instrument.
``apply_feedback`` applies a change to a ``PromptAttributes`` (a take's own, from song.json).

How a clause is read: it is cut at punctuation and at and/和/并且; in each clause the quality
words are found ("沉闷", "欢快", "drums", "faster") and a marker around them gives the direction:
more (再, 更, 多, 加, 一点, 不够, "more", "not ... enough", a comparative like "faster") or less
(太, 过于, 有点, 少, "too", "less", "fewer"); 不要/去掉/"no"/"without" drop the drums. "太沉闷"
is less of dull: energy up and a little faster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from models.text.attributes import PromptAttributes
from models.text.instruments import BY_ID, INSTRUMENTS
from models.text.lexicon import MOOD_ENERGY
from models.text.orchestration import swapped_programs
from models.text.segmenter import normalise
from multitrack.default_keys import MINOR_MOODS
from multitrack.dynamics import dynamics_parts, join_dynamics

ENERGY_LEVELS = ("low", "medium", "high")
TEMPO_STEP = 1.12  # "faster": 12% more BPM; "slower": 12% fewer
DULL_TEMPO = 1.08  # "too dull": a little faster as well as more energy
MIN_BPM, MAX_BPM = 20.0, 400.0
# Melody instrument for "more Chinese" when the take's melody is not a Chinese one: dizi.
CHINESE_MELODY = "dizi"


@dataclass(frozen=True)
class Quality:
    """What "more of" a quality changes; "less of" is the opposite."""

    energy: int = 0
    tempo: float = 1.0
    mode: int = 0
    register: int = 0
    drums: int = 0
    chinese: bool = False


_Q = Quality
# Quality words (normalised) -> what more of them means. Longest match first.
QUALITIES: dict[str, Quality] = {
    **dict.fromkeys("沉闷|无聊|平淡|单调|乏味|闷|没劲|dull|boring|flat|bland|lifeless".split("|"), _Q(energy=-1, tempo=1 / DULL_TEMPO)),
    **dict.fromkeys("欢快|欢乐|轻快|明快".split("|"), _Q(energy=1, tempo=TEMPO_STEP, mode=1)),
    **dict.fromkeys("有活力|活力|活泼|激情|热烈|带劲|有劲|有力|动感|嗨|燃|热闹|劲爆|振奋|energetic|energy|lively|livelier|upbeat|exciting|punchy|punchier|intense|driving|hype".split("|"), _Q(energy=1)),
    **dict.fromkeys("安静|柔和|轻柔|轻|平静|温柔|舒缓|放松|calm|calmer|gentle|gentler|mellow|mellower|relaxed|soft|softer|quiet|quieter|chill|chiller".split("|"), _Q(energy=-1)),
    **dict.fromkeys("吵|闹|激烈|躁|燥|用力|loud|noisy|busy|aggressive|harsh|louder".split("|"), _Q(energy=1)),
    **dict.fromkeys("快|快速|急|fast|faster|quick|quicker|rushed|speed|tempo".split("|"), _Q(tempo=TEMPO_STEP)),
    **dict.fromkeys("慢|缓慢|拖|slow|slower|sluggish".split("|"), _Q(tempo=1 / TEMPO_STEP)),
    **dict.fromkeys("明亮|亮|阳光|开朗|开心|快乐|bright|brighter|happy|happier|cheerful|sunny|major".split("|"), _Q(mode=1, register=1)),
    **dict.fromkeys("暗|黑暗|忧郁|悲伤|伤感|压抑|阴郁|难过|dark|darker|sad|sadder|gloomy|moody|moodier|melancholic|minor".split("|"), _Q(mode=-1, register=-1)),
    **dict.fromkeys("高|尖|高音|high|higher|shrill".split("|"), _Q(register=1)),
    **dict.fromkeys("低|低沉|沉|低音|low|lower|deep|deeper".split("|"), _Q(register=-1)),
    **dict.fromkeys("鼓|鼓点|鼓声|打击乐|drums|drum|percussion|beat|beats|groove".split("|"), _Q(drums=1)),
    **dict.fromkeys("中国风|国风|古风|民族风|民族|中国|东方|五声|中国味|古典韵味|chinese|oriental|guofeng|asian|pentatonic".split("|"), _Q(chinese=True)),
}  # fmt: skip
# Comparatives that are "more" of themselves, and of an opposite they name.
_LESS_COMPARATIVES = {"fewer", "less", "softer", "quieter", "lighter", "smaller", "thinner"}
_MORE_COMPARATIVES = {"more", "louder", "heavier", "bigger", "harder", "busier", "stronger"}
_MORE_BEFORE = ("再多一点", "多一点", "多一些", "多点", "再加点", "多加点", "加点", "加一点", "加些",
                "再", "更加", "更有", "更", "再有", "多", "加强", "加", "增加",
                "不够", "还不够", "来点", "给点", "要", "more", "much more", "a bit more", "even more",
                "increase", "add", "extra", "bring up", "turn up", "boost")  # fmt: skip
_LESS_BEFORE = ("太过", "过于", "有点太", "有点", "有些", "太", "很", "好", "挺", "真", "这么", "那么", "少一点", "少点", "减少", "减弱", "不要那么",
                "别那么", "没那么", "降低", "too", "way too", "a bit too", "less", "fewer",
                "reduce", "tone down", "turn down", "cut")  # fmt: skip
_DROP_BEFORE = ("不要", "去掉", "拿掉", "删掉", "别要", "no", "without", "drop", "remove",
                "lose", "get rid of")  # fmt: skip
_MORE_AFTER = ("再多一点", "多一点", "多一些", "多点", "一点", "一些", "点", "些", "不够", "太少", "再多",
               "enough", "up")  # fmt: skip
_LESS_AFTER = ("太多", "太吵", "太重", "太响", "太满", "少一点", "少点", "少一些", "太大", "too much",
               "down", "less")  # fmt: skip
# Quality words whose "X down" is a phrasal verb asking for more of X: "slow down", "calm
# down", "quiet down" (other "X down": less X, "drums down", "tempo down").
_DOWN_IS_MORE = {"slow", "calm", "quiet", "chill", "mellow", "soft"}
_CLAUSE = re.compile(r"[,，。.!！?？;；、]+|\s+and\s+|\s+but\s+|和|并且|而且|但是|同时|然后")
_NOT_ENOUGH = re.compile(r"not\s+(?P<q>[a-z ]+?)\s+enough")
_INSTRUMENT_SWITCH = (
    "换成",
    "改成",
    "改用",
    "用",
    "换",
    "switch to",
    "use ",
    "on ",
    "with ",
    " for ",
    "play it on",
)


@dataclass(frozen=True)
class FeedbackChange:
    """A relative change to a take. ``energy``, ``mode`` (brighter +, darker -),
    ``register`` and ``drums`` are steps (drums -2: none); ``tempo`` a BPM factor;
    ``pentatonic`` asks for a pentatonic (Chinese) mode; ``melody`` an instrument id for the
    melody; ``swaps`` (old instrument id or None, new one): "把钢琴换成吉他" puts the guitar
    where the piano played, "switch to guitar" where its kind plays
    (``models.text.orchestration.swapped_programs``);
    ``key`` a key named outright ("换成D大调": "D major"), where "换成小调", "make it
    minor" are a ``mode`` step. ``understood`` says what each phrase did, ``ignored`` the
    clauses read as nothing."""

    text: str = ""
    energy: int = 0
    tempo: float = 1.0
    mode: int = 0
    register: int = 0
    drums: int = 0
    pentatonic: bool = False
    melody: str | None = None
    swaps: tuple[tuple[str | None, str], ...] = ()
    dynamics: str | None = None
    key: str | None = None  # a key named outright ("换成D大调", "in E minor")
    understood: tuple[str, ...] = ()
    ignored: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return self == FeedbackChange(self.text, understood=self.understood, ignored=self.ignored)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "energy": self.energy,
            "tempo": round(self.tempo, 4),
            "mode": self.mode,
            "register": self.register,
            "drums": self.drums,
            "pentatonic": self.pentatonic,
            "melody": self.melody,
            "swaps": [list(pair) for pair in self.swaps],
            "dynamics": self.dynamics,
            "key": self.key,
            "understood": list(self.understood),
            "ignored": list(self.ignored),
        }

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> FeedbackChange:
        return cls(
            text=str(record.get("text", "")),
            energy=int(record.get("energy", 0)),
            tempo=float(record.get("tempo", 1.0)),
            mode=int(record.get("mode", 0)),
            register=int(record.get("register", 0)),
            drums=int(record.get("drums", 0)),
            pentatonic=bool(record.get("pentatonic", False)),
            melody=record.get("melody"),
            swaps=tuple(
                (None if old is None else str(old), str(new))
                for old, new in record.get("swaps") or ()
                if new in BY_ID and (old is None or old in BY_ID)
            ),
            dynamics=record.get("dynamics") if record.get("dynamics") in _SHAPES else None,
            key=_known_key(record.get("key")),
            understood=tuple(record.get("understood") or ()),
            ignored=tuple(record.get("ignored") or ()),
        )


# A take that should swell or fade across its length ("渐强", "build up", "fade out"): the
# dynamics shape ``multitrack.dynamics`` plays, as the prompt's words for it ask.
_SHAPES = {
    "crescendo": re.compile(r"渐强|逐渐增强|越来越强|层层递进|渐入高潮|crescendo|build(?:s|ing)?[ -]up"),
    "diminuendo": re.compile(r"渐弱|逐渐减弱|越来越弱|淡出|渐隐|decrescendo|diminuendo|fade[ -]?out|fading out"),
}  # fmt: skip

_TERMS = sorted(QUALITIES, key=len, reverse=True)
# Every instrument's names, longest first, for "把钢琴换成吉他" / "switch to strings".
_INSTRUMENT_TERMS = sorted(
    ((normalise(t), i.id) for i in INSTRUMENTS for t in i.terms),
    key=lambda p: len(p[0]),
    reverse=True,
)
# The Chinese instruments a switch with no old one puts on the melody ("换成二胡").
_CHINESE_LEADS = [i for i in INSTRUMENTS if i.style == "guofeng" and i.kind != "bass"]
# Switch words that name no change alone ("on the piano", "with strings").
_WEAK_SWITCH = ("on ", "with ", " for ")
# "X instead of Y", "用X代替Y": the new instrument named first.
_INSTEAD = re.compile(r"instead of|rather than|代替|替代|取代")


def _instruments_in(clause: str) -> list[tuple[int, str]]:
    """(start, instrument id) of the instruments a clause names, in order; the longest name
    wins where names overlap, and a Latin name stands alone ("uke" is not in "duke")."""
    taken = [False] * len(clause)
    found: list[tuple[int, str]] = []
    for term, iid in _INSTRUMENT_TERMS:
        start = clause.find(term)
        while start >= 0:
            end = start + len(term)
            alone = not term.isascii() or (
                (start == 0 or not clause[start - 1].isalpha())
                and (end == len(clause) or not clause[end].isalpha())
            )
            if alone and not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                found.append((start, iid))
            start = clause.find(term, end)
    return sorted(found)


def _swap(clause: str) -> tuple[str | None, str] | None:
    """(the instrument a clause replaces or None, the one it asks for), or None: "把钢琴换成
    吉他" (piano, guitar), "换成吉他" / "switch to guitar" (None, guitar), "guitar instead of
    piano" (piano, guitar). An instrument named with no switch word asks for nothing."""
    named = _instruments_in(clause)
    if not named:
        return None
    instead = _INSTEAD.search(clause)
    if instead is not None:
        before = [iid for at, iid in named if at < instead.start()]
        after = [iid for at, iid in named if at >= instead.end()]
        if before:
            return (after[0] if after else None), before[-1]
    for at in sorted(clause.find(w) for w in _INSTRUMENT_SWITCH if w in clause):
        after = [iid for start, iid in named if start > at]
        before = [iid for start, iid in named if start < at]
        if not after:
            continue
        # "on"/"with" switch only to a Chinese lead ("more oriental, on erhu") or from an
        # instrument named before ("replace the piano with an organ"): "too much reverb on
        # the piano" asks for no piano
        weak = clause.startswith(_WEAK_SWITCH, at)
        if weak and not before and BY_ID[after[0]] not in _CHINESE_LEADS:
            continue
        return (before[-1] if before else None), after[0]
    return None


def _find_qualities(clause: str) -> list[tuple[int, int, str]]:
    """(start, end, term) of quality words in a clause, longest first, not overlapping;
    English terms only as whole words."""
    taken = [False] * len(clause)
    found: list[tuple[int, int, str]] = []
    for term in _TERMS:
        ascii_term = term.isascii()
        pattern = rf"(?<![a-z]){re.escape(term)}(?![a-z])" if ascii_term else re.escape(term)
        for m in re.finditer(pattern, clause):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            found.append((m.start(), m.end(), term))
    return sorted(found)


def _direction(clause: str, start: int, end: int, term: str) -> int:
    """+1 more of the quality, -1 less, -2 none; 0 when nothing says which."""
    before = clause[:start].rstrip()
    after = clause[end:].lstrip()
    words_before = before.split()
    last_word = words_before[-1] if words_before else ""
    if any(before.endswith(m) for m in _DROP_BEFORE if not m.isascii()) or (
        last_word in {"no", "without", "drop", "remove", "lose"}
        or before.endswith(("get rid of", "drop the", "remove the", "lose the"))
    ):
        return -2
    if re.search(r"(?<![a-z])(no|not any|not) more\s*$", before):
        return -2 if QUALITIES[term].drums else -1  # "no more drums": none
    if re.search(
        r"(不要|别|不用|不必)(再)?(加|更多|多加)\s*$|(don't|do not|dont|no need to) add( any)?( more)?\s*$",
        before,
    ):
        return 0  # "不要再加鼓了", "don't add more drums": keep them as they are
    negated = re.search(r"(?<![a-z])(don't|do not|dont|never|not)\s*$", before)
    if _NOT_ENOUGH.search(clause) or after.startswith(("不够", "太少")):
        return 1
    if term in _DOWN_IS_MORE and re.match(r"(it |things |the \w+ )?down\b", after):
        return -1 if negated else 1  # "slow down": more of it; "don't slow down": less
    if re.match(
        r"((are|is|sound|sounds|feel|feels)\s+)?(way |a bit |a little |much )?too\b", after
    ):
        return -1  # "the drums are too loud", "drums too busy": fewer
    if any(after.startswith(m) for m in _LESS_AFTER):
        return -1
    if last_word in _LESS_COMPARATIVES or any(
        before.endswith(m) for m in _LESS_BEFORE if not m.isascii()
    ):
        return -1
    if re.search(
        r"(?<![a-z])(too|less|fewer|reduce|tone down|turn down|cut|it's|its|is|sounds|feels|so|"
        r"very|kind of|kinda|quite|rather|pretty)(\s+\w+)?\s*$",
        before,
    ):
        return -1
    if last_word in _MORE_COMPARATIVES or any(
        before.endswith(m) for m in _MORE_BEFORE if not m.isascii()
    ):
        return 1
    if re.search(
        r"(?<![a-z])(more|increase|add|extra|boost|bring up|turn up)(\s+\w+)?\s*$", before
    ):
        return 1
    if any(after.startswith(m) for m in _MORE_AFTER):
        return 1
    if term.endswith("er") and term.isascii():  # a bare comparative: "faster", "brighter"
        return 1
    if re.fullmatch(r"(再|更|加|快|慢|高|低)?", before[-1:] if before else ""):
        return 1 if before.endswith(("再", "更")) else 0
    return 0


def _known_key(value: object) -> str | None:
    from multitrack.theory import Key

    try:
        return str(Key.parse(value)) if isinstance(value, str) else None
    except ValueError:
        return None


# A key is feedback when the clause asks for it ("换成D大调", "transpose to Eb", "in E minor
# please") or is the key alone ("D major"); "sad piano ballad in A minor" is a new prompt.
_KEY_LEAD = re.compile(
    r"\s*(?:(?:please\s+|let's\s+|can you\s+)?(?:transpose|change|switch|move|put|make|go|take)"
    r"(?:\s+(?:it|this|the key|the song|everything|that))?(?:\s+(?:up|down))?"
    r"(?:\s+(?:to|into|in))?|in|to|into|(?:请|帮我)?(?:换成|改成|变成|转成|换到|转到|改为|变为|转调到|"
    r"转调成|移调到|移到|升到|降到|用|换|转))?\s*(?:(?:the\s+)?key\s+of\s*)?",  # "key of E"
    re.IGNORECASE,
)
_KEY_TAIL = re.compile(r"\s*(?:key|instead|please|吧|调|试试|看看)?\s*[!！.。]*\s*", re.IGNORECASE)


def _key_asked(text: str, start: int, end: int) -> bool:
    """Whether the key at text[start:end] is asked for (``_KEY_LEAD`` ... ``_KEY_TAIL``)."""
    bounds = [m.span() for m in _CLAUSE.finditer(text)]
    lo = max((b for a, b in bounds if b <= start), default=0)
    hi = min((a for a, b in bounds if a >= end), default=len(text))
    return bool(_KEY_LEAD.fullmatch(text[lo:start]) and _KEY_TAIL.fullmatch(text[end:hi]))


# A mode asked outright, no tonic named ("换成小调", "make it minor", "in a major key"), the
# clause asking for it as for a key.
_MODE_WORD = re.compile(r"大调|小调|(?<![a-z])(?:major|minor)(?![a-z])")


def _mode_asked(clause: str) -> int:
    """+1 for a major key asked outright, -1 for a minor one, 0 for neither."""
    m = _MODE_WORD.search(clause)
    if m is None or not _key_asked(clause, m.start(), m.end()):
        return 0
    return 1 if m.group() in ("大调", "major") else -1


def parse_feedback(text: str) -> FeedbackChange:
    """Read relative feedback (Chinese, English or both) into a ``FeedbackChange``. Never
    raises: what it cannot read is listed in ``ignored``."""
    from models.text.keys import read_keys

    # "in a major key": the article, not A (a producer capitalises the key's letter)
    cased = re.sub(r"(?<![A-Za-z])a(?= (?:major|minor) key)", " ", normalise(text, lower=False))
    found, _ = read_keys(cased)
    keys = [k for k in found if _key_asked(cased, k.start, k.end)]
    blanked = cased
    for k in keys:
        blanked = blanked[: k.start] + "\u0001" * (k.end - k.start) + blanked[k.end :]
    norm = normalise(blanked)
    energy = register = mode = drums = 0
    tempo = 1.0
    pentatonic = False
    melody: str | None = None
    swaps: list[tuple[str | None, str]] = []
    dynamics: str | None = None
    key = keys[0].value if keys else None
    understood: list[str] = [f"key: {key} ({keys[0].text})"] if keys else []
    ignored: list[str] = []
    for clause in (c.strip(" \u0001") for c in _CLAUSE.split(norm)):
        if not clause or (keys and _KEY_LEAD.fullmatch(clause)):
            continue  # nothing, or the words that asked for the key ("换成", "key of")
        asked = _mode_asked(clause) if key is None else 0
        if asked:
            mode = asked
            understood.append(f"key: {'major' if mode > 0 else 'minor'} ({clause})")
            continue
        shape = next((d for d, words in _SHAPES.items() if words.search(clause)), None)
        if shape is not None:
            dynamics = shape
            understood.append(f"dynamics: {shape} ({clause})")
            continue
        swap = _swap(clause)  # an instrument named without 用/换成/"switch to" asks nothing
        named = None if swap is None else swap[1]
        if swap is not None and swap[0] is None and BY_ID[swap[1]] in _CHINESE_LEADS:
            melody = swap[1]  # "换成二胡", "more oriental, on erhu": the melody's
            understood.append(f"melody: {melody} ({clause})")
        elif swap is not None:
            swaps.append(swap)
            was = "" if swap[0] is None else f"{swap[0]} -> "
            understood.append(f"instrument: {was}{swap[1]} ({clause})")
        hits = _find_qualities(clause)
        if any(QUALITIES[t].drums for _, _, t in hits):  # "louder drums": the drums decide
            hits = [h for h in hits if QUALITIES[h[2]].drums]
        read = False
        for start, end, term in hits:
            way = _direction(clause, start, end, term)
            if way == 0:
                continue
            q = QUALITIES[term]
            if q.drums:
                drums = -2 if way == -2 else max(-1, min(1, drums + (1 if way > 0 else -1)))
                what = {1: "more drums", -1: "fewer drums", -2: "no drums"}[drums or way]
                understood.append(f"drums: {what} ({clause})")
                read = True
                continue
            sign = 1 if way > 0 else -1
            if q.chinese:
                if sign > 0:
                    pentatonic = True
                    melody = melody or CHINESE_MELODY
                    understood.append(f"more Chinese: pentatonic mode, Chinese melody ({clause})")
                    read = True
                continue
            energy += sign * q.energy
            tempo *= q.tempo**sign
            mode += sign * q.mode
            register += sign * q.register
            understood.append(f"{'more' if sign > 0 else 'less'} {term} ({clause})")
            read = True
        if not read and named is None:
            ignored.append(clause)
    return FeedbackChange(
        text=text,
        energy=max(-2, min(2, energy)),
        tempo=max(0.5, min(2.0, tempo)),
        mode=max(-1, min(1, mode)),
        register=max(-1, min(1, register)),
        drums=drums,
        pentatonic=pentatonic,
        melody=melody,
        swaps=tuple(swaps),
        dynamics=dynamics,
        key=None if key is None else str(key),
        understood=tuple(understood),
        ignored=tuple(ignored),
    )


_BRIGHTER = {"minor": "major", "dorian": "mixolydian", "phrygian": "minor", "aeolian": "major",
             "yu": "gong", "jue": "gong", "shang": "zhi"}  # fmt: skip
_DARKER = {"major": "minor", "mixolydian": "dorian", "lydian": "major", "ionian": "minor",
           "dorian": "minor", "gong": "yu", "zhi": "shang", "shang": "yu"}  # fmt: skip
_PENTATONIC = {"major": "gong", "minor": "yu", "dorian": "shang", "phrygian": "jue",
               "mixolydian": "zhi", "lydian": "gong", "aeolian": "yu"}  # fmt: skip
_MINOR_MOODS = MINOR_MOODS  # the moods that ask for a minor key: multitrack.default_keys


def apply_feedback(attrs: PromptAttributes, change: FeedbackChange) -> PromptAttributes:
    """``attrs`` with ``change`` applied; each change is one line of ``understood``
    ("feedback: energy low -> medium (太沉闷了)"). The tempo needs ``attrs.bpm`` (a take's
    attributes have it; otherwise the style's default is the base)."""
    from models.text.resolve import default_bpm
    from multitrack.theory import Key

    notes: list[str] = []
    said = change.text
    out = attrs
    if change.energy:
        now = attrs.energy or (MOOD_ENERGY.get(attrs.mood or "") or "medium")
        want = ENERGY_LEVELS.index(now) + change.energy
        i = max(0, min(2, want))
        if ENERGY_LEVELS[i] != now:
            out = replace(out, energy=ENERGY_LEVELS[i])
            notes.append(f"energy {now} -> {ENERGY_LEVELS[i]}")
        # past the top or bottom level, or against a soft/loud marking: the dynamics' level
        # moves (a crescendo or diminuendo stays: "soft crescendo" -> "crescendo")
        level, shape = dynamics_parts(attrs.dynamics)
        louder = "loud" if want > 2 else None
        softer = "soft" if want < 0 else None
        new_level = louder if change.energy > 0 else softer
        against = (change.energy > 0 and level == "soft") or (change.energy < 0 and level == "loud")
        if against or (new_level is not None and level != new_level):
            now_dynamics = join_dynamics(new_level, shape)
            out = replace(out, dynamics=now_dynamics)
            notes.append(f"dynamics {attrs.dynamics or '-'} -> {now_dynamics or '-'}")
    if change.tempo != 1.0:
        base = attrs.bpm if attrs.bpm is not None else default_bpm(attrs.style, attrs.energy)
        bpm = float(round(max(MIN_BPM, min(MAX_BPM, base * change.tempo))))
        out = replace(out, bpm=bpm)
        notes.append(f"tempo {base:g} -> {bpm:g} bpm")
    key = Key.parse(attrs.key) if attrs.key else None
    if change.key is not None and change.key != attrs.key:
        new = Key.parse(change.key)
        out = replace(out, key=str(new))
        notes.append(f"key {attrs.key or '-'} -> {new}")
        key = new
    if change.mode:
        table = _BRIGHTER if change.mode > 0 else _DARKER
        if key is None:
            new = Key.parse("C major" if change.mode > 0 else "A minor")
        else:
            new = Key(key.tonic, table.get(key.mode, key.mode))
        if str(new) != attrs.key:
            out = replace(out, key=str(new))
            notes.append(f"key {attrs.key or '-'} -> {new}")
            key = new
        mood = attrs.mood
        if change.mode > 0 and mood in _MINOR_MOODS:
            out = replace(out, mood="hopeful")
            notes.append(f"mood {mood} -> hopeful")
        elif change.mode < 0 and mood is not None and mood not in _MINOR_MOODS:
            out = replace(out, mood="sad")
            notes.append(f"mood {mood} -> sad")
    if change.pentatonic:
        base_key = key or Key.parse("C major")
        new = Key(base_key.tonic, _PENTATONIC.get(base_key.mode, base_key.mode))
        if str(new) != out.key:
            notes.append(f"key {out.key or '-'} -> {new} (pentatonic)")
            out = replace(out, key=str(new))
    if change.melody is not None and change.melody in BY_ID:
        program = BY_ID[change.melody].program_for("melody")
        if out.programs.get("melody") != program:
            programs = {**out.programs, "melody": program}
            named = tuple(dict.fromkeys((*out.named_programs, "melody")))
            out = replace(out, programs=programs, named_programs=named)
            notes.append(f"melody {change.melody} (program {program})")
    for gone, wanted in change.swaps:
        programs = swapped_programs(out.programs, out.stems, gone, wanted)
        moved = [stem for stem in programs if programs[stem] != out.programs.get(stem)]
        if moved:
            named = tuple(dict.fromkeys((*out.named_programs, *moved)))
            notes += [f"{stem} {wanted} (program {programs[stem]})" for stem in moved]
            out = replace(out, programs=programs, named_programs=named)
    if change.drums:
        stems = list(out.stems)
        if change.drums > 0 and "drums" not in stems:
            stems.append("drums")
            notes.append("drums added")
        elif change.drums == -2 and "drums" in stems and len(stems) > 1:
            stems.remove("drums")
            notes.append("drums removed")
        else:
            notes.append(f"drums {'denser' if change.drums > 0 else 'sparser'}")
        order = ("melody", "chords", "bass", "drums")
        out = replace(out, stems=tuple(s for s in order if s in stems), stems_named=True)
    if change.register:
        notes.append(f"melody register {'up' if change.register > 0 else 'down'} an octave")
    if change.dynamics is not None:  # a new shape; the level stays ("soft" -> "soft crescendo")
        shaped = join_dynamics(dynamics_parts(out.dynamics)[0], change.dynamics)
        if shaped != out.dynamics:
            notes.append(f"dynamics {out.dynamics or '-'} -> {shaped}")
            out = replace(out, dynamics=shaped)
    lines = tuple(f"feedback: {n} ({said})" for n in notes)
    return replace(out, understood=(*out.understood, *lines))
