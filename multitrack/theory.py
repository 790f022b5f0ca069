"""Keys and scales: the seven diatonic modes a producer names and the Chinese pentatonic modes.

Pitch classes are integers 0-11 with C = 0. A ``Key`` is a tonic pitch class and a mode; its
scale is the mode's intervals above the tonic.

The Chinese pentatonic modes 宫 商 角 徵 羽 (gong, shang, jue, zhi, yu) all use one pentatonic
collection, the gong collection ``gong, gong+2, gong+4, gong+7, gong+9`` (do re mi sol la);
the mode names which of its five notes is the tonic. So the tonic of a zhi (徵) mode is the
fifth of its gong: "D zhi" uses the G-gong collection G A B D E and its scale is D E G A B.
This is the usual Chinese convention (徵 = sol): the name is the tonic's role, not its position.

Spelling follows the key signature: a key whose signature has flats spells its pitch classes
with flats ("Eb major", "F minor", "Bb dorian"); sharp keys and C use sharps. The one tie,
six accidentals, is broken as common practice does: "F# major" but "Eb minor".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from multitrack.errors import MusicError

SHARP_NAMES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES: tuple[str, ...] = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

_LETTERS: dict[str, int] = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARPS = "#♯"
_FLATS = "b♭"

# Scale intervals in semitones above the tonic, tonic first.
MODE_INTERVALS: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "gong": (0, 2, 4, 7, 9),  # 宫: do re mi sol la
    "shang": (0, 2, 5, 7, 10),  # 商: re mi sol la do
    "jue": (0, 3, 5, 8, 10),  # 角: mi sol la do re
    "zhi": (0, 2, 5, 7, 9),  # 徵: sol la do re mi
    "yu": (0, 3, 5, 7, 10),  # 羽: la do re mi sol
}
MODES: tuple[str, ...] = tuple(MODE_INTERVALS)
PENTATONIC_MODES: tuple[str, ...] = ("gong", "shang", "jue", "zhi", "yu")

# Semitones from the tonic up to the tonic of the major scale (or gong) sharing its notes.
_TO_RELATIVE_MAJOR: dict[str, int] = {
    "major": 0,
    "minor": 3,
    "dorian": 10,
    "phrygian": 8,
    "lydian": 7,
    "mixolydian": 5,
    "gong": 0,
    "shang": 10,
    "jue": 8,
    "zhi": 5,
    "yu": 3,
}
# Letters from the tonic back to the relative major's tonic (D dorian -> C: one letter).
_LETTERS_TO_RELATIVE_MAJOR: dict[str, int] = {
    "major": 0,
    "minor": 5,
    "dorian": 1,
    "phrygian": 2,
    "lydian": 3,
    "mixolydian": 4,
    "gong": 0,
    "shang": 1,
    "jue": 2,
    "zhi": 4,
    "yu": 5,
}
_MAJOR_STEPS: tuple[int, ...] = (0, 2, 4, 5, 7, 9, 11)
_LETTER_ORDER = "CDEFGAB"
_ACCIDENTALS: dict[int, str] = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}
_MINOR_MODES: frozenset[str] = frozenset({"minor", "dorian", "phrygian", "jue", "yu"})
# Major-key tonics (pitch classes) whose signatures use flats: F Bb Eb Ab Db.
_FLAT_MAJOR_TONICS: frozenset[int] = frozenset({5, 10, 3, 8, 1})

CHINESE_MODE_NAMES: dict[str, str] = {
    "gong": "宫",
    "shang": "商",
    "jue": "角",
    "zhi": "徵",
    "yu": "羽",
}

# Every accepted spelling of a mode (lower case), mapped to its mode.
_MODE_WORDS: dict[str, str] = {
    "": "major",
    "maj": "major",
    "major": "major",
    "ionian": "major",
    "大调": "major",
    "大调式": "major",
    "调": "major",  # "C调" is how Chinese musicians say C major
    "m": "minor",
    "min": "minor",
    "minor": "minor",
    "aeolian": "minor",
    "小调": "minor",
    "小调式": "minor",
    "dorian": "dorian",
    "多利亚": "dorian",
    "phrygian": "phrygian",
    "弗里几亚": "phrygian",
    "lydian": "lydian",
    "利底亚": "lydian",
    "mixolydian": "mixolydian",
    "混合利底亚": "mixolydian",
}
for _mode, _han in CHINESE_MODE_NAMES.items():
    for _suffix in ("", "调", "调式", "mode"):
        _MODE_WORDS[_mode + _suffix] = _mode
        _MODE_WORDS[_han + _suffix] = _mode
# Traditional forms and the common simplified variant of 徵 (zhi).
_MODE_WORDS.update({"征": "zhi", "征调": "zhi", "征调式": "zhi", "宮": "gong", "宮調": "gong"})

_KEY_PATTERN = re.compile(r"^(?P<sign>[升降]?)(?P<letter>[A-Ga-g])(?P<acc>[#♯b♭]?)(?P<rest>.*)$")


def pitch_class_name(pc: int, *, flats: bool) -> str:
    """The name of a pitch class 0-11: 'C#' or 'Db' as ``flats`` asks."""
    if not 0 <= pc <= 11:
        raise MusicError(f"pitch class must be 0-11, got {pc}")
    return FLAT_NAMES[pc] if flats else SHARP_NAMES[pc]


def parse_pitch_class(text: str) -> int:
    """A note name to its pitch class: 'C' -> 0, 'F#' -> 6, 'Bb' -> 10, 'Cb' -> 11.

    One letter A-G (either case) followed by any number of sharps (#, ♯) or flats (b, ♭).
    """
    name = text.strip()
    if not name or name[0].upper() not in _LETTERS:
        raise MusicError(f"{text!r} is not a note name (A-G, then # or b)")
    pc = _LETTERS[name[0].upper()]
    for char in name[1:]:
        if char in _SHARPS:
            pc += 1
        elif char in _FLATS:
            pc -= 1
        else:
            raise MusicError(f"{text!r} is not a note name (A-G, then # or b)")
    return pc % 12


def uses_flats(relative_major: int) -> bool:
    """Whether the major key (or gong) on this pitch class is written with flats."""
    return relative_major % 12 in _FLAT_MAJOR_TONICS


@dataclass(frozen=True)
class Key:
    """A tonic pitch class (0-11, C = 0) and a mode from ``MODES``."""

    tonic: int
    mode: str = "major"

    def __post_init__(self) -> None:
        if not isinstance(self.tonic, int) or not 0 <= self.tonic <= 11:
            raise MusicError(f"key tonic must be a pitch class 0-11, got {self.tonic!r}")
        if self.mode not in MODE_INTERVALS:
            raise MusicError(f"unknown mode {self.mode!r}; modes are {', '.join(MODES)}")

    @classmethod
    def parse(cls, text: str) -> Key:
        """Read a key as a producer writes it.

        Accepts "A minor", "Am", "a" (a lower-case letter alone is minor), "Eb major", "F#
        minor", "C", "D dorian", "D zhi", "D 徵", "D徵调", "C大调", "A小调", "升F小调", "降E大调"
        and music21's "E- major".
        Raises ``MusicError`` naming the text when it is not a key.
        """
        raw = text.strip()
        match = _KEY_PATTERN.match(raw)
        if match is None:
            raise MusicError(_bad_key(text))
        letter, acc, rest = match["letter"], match["acc"], match["rest"]
        tonic = _LETTERS[letter.upper()]
        if acc:
            tonic += 1 if acc in _SHARPS else -1
        if match["sign"]:
            if acc:
                raise MusicError(_bad_key(text))
            tonic += 1 if match["sign"] == "升" else -1
        if not acc and not match["sign"] and re.match(r"-(\s|$)", rest):
            tonic -= 1  # music21 writes flats as '-': "E- major"
            rest = rest[1:]
        word = re.sub(r"[\s_\-]+", "", rest)
        if word == "":
            mode = "minor" if letter.islower() else "major"  # "a", "eb": lower case is minor
        elif word == "m":
            mode = "minor"
        else:
            lowered = word.lower()
            if lowered not in _MODE_WORDS:
                raise MusicError(_bad_key(text))
            mode = _MODE_WORDS[lowered]
        return cls(tonic % 12, mode)

    @property
    def is_minor(self) -> bool:
        """True for the modes with a minor third above the tonic: minor, dorian, phrygian,
        jue (角) and yu (羽)."""
        return self.mode in _MINOR_MODES

    @property
    def is_pentatonic(self) -> bool:
        return self.mode in PENTATONIC_MODES

    @property
    def relative_major_tonic(self) -> int:
        """Pitch class of the major key (for pentatonic modes: the gong) with the same notes:
        A minor -> 0 (C), D dorian -> 0, D zhi -> 7 (G gong)."""
        return (self.tonic + _TO_RELATIVE_MAJOR[self.mode]) % 12

    @property
    def relative_minor_tonic(self) -> int:
        """Pitch class of the minor key (for pentatonic modes: the yu) with the same notes."""
        return (self.relative_major_tonic + 9) % 12

    @property
    def flats(self) -> bool:
        """Whether this key is spelt with flats (see the module notes)."""
        rel = self.relative_major_tonic
        return uses_flats(rel) or (rel == 6 and self.is_minor)

    @property
    def tonic_name(self) -> str:
        return pitch_class_name(self.tonic, flats=self.flats)

    @property
    def chinese_name(self) -> str:
        """The key in Chinese: 'A小调', 'C大调', 'D徵调'; church modes keep their English name."""
        if self.mode in CHINESE_MODE_NAMES:
            return f"{self.tonic_name}{CHINESE_MODE_NAMES[self.mode]}调"
        if self.mode in ("major", "minor"):
            return f"{self.tonic_name}{'大' if self.mode == 'major' else '小'}调"
        return str(self)

    def pitch_classes(self) -> tuple[int, ...]:
        """The scale as pitch classes, tonic first: A minor -> (9, 11, 0, 2, 4, 5, 7)."""
        return tuple((self.tonic + i) % 12 for i in MODE_INTERVALS[self.mode])

    def note_names(self) -> tuple[str, ...]:
        """The scale spelt with one letter per degree of its major (gong) scale, tonic first:
        D zhi -> ('D', 'E', 'G', 'A', 'B'); F# major -> (..., 'D#', 'E#')."""
        first = _LETTER_ORDER.index(self.tonic_name[0])
        letter = (first - _LETTERS_TO_RELATIVE_MAJOR[self.mode]) % 7
        rel = self.relative_major_tonic
        names: dict[int, str] = {}
        for i, step in enumerate(_MAJOR_STEPS):
            name = _LETTER_ORDER[(letter + i) % 7]
            pc = (rel + step) % 12
            offset = (pc - _LETTERS[name] + 6) % 12 - 6
            names[pc] = name + _ACCIDENTALS[offset]
        return tuple(names[pc] for pc in self.pitch_classes())

    def degree(self, pc: int) -> int | None:
        """1-based scale degree of a pitch class, or None when it is outside the scale."""
        scale = self.pitch_classes()
        return scale.index(pc % 12) + 1 if pc % 12 in scale else None

    def midi_signature(self) -> str:
        """The key signature as mido's ``key_signature`` meta message names it: 'C', 'Eb',
        'F#m', 'Bbm'. Other modes name the key with the same signature, minor when the mode is
        minor-like: D dorian -> 'Am', G mixolydian -> 'C', D zhi -> 'G', A yu -> 'Am'."""
        flats = self.flats
        if self.is_minor:
            return pitch_class_name(self.relative_minor_tonic, flats=flats) + "m"
        return pitch_class_name(self.relative_major_tonic, flats=flats)

    def __str__(self) -> str:
        return f"{self.tonic_name} {self.mode}"


def _bad_key(text: str) -> str:
    return (
        f"{text!r} is not a key; write a tonic and a mode, e.g. 'A minor', 'Eb major', 'Am', "
        f"'D dorian', 'D zhi' or 'D 徵' (modes: {', '.join(MODES)})"
    )
