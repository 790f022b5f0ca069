"""The Song: four stems of notes on a 16th-note grid, with tempo, meter, key and programs.

Times are grid steps (16th notes) counted from bar 1 beat 1; a 4/4 bar is 16 steps, a 6/8
bar 12. Containers hold data and check it where it enters, nothing more (pretty_midi's
habit); the verbs live in the modules that use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from multitrack.errors import MusicError
from multitrack.limits import MAX_BARS as MAX_BARS
from multitrack.limits import MAX_BPM as MAX_BPM
from multitrack.limits import MIN_BPM as MIN_BPM
from multitrack.stems import DEFAULT_PROGRAMS as DEFAULT_PROGRAMS
from multitrack.stems import DRUM_CLASS_COUNT, stem_spec
from multitrack.stems import PITCHED_STEMS as PITCHED_STEMS
from multitrack.stems import STEMS as STEMS
from multitrack.theory import Key

if TYPE_CHECKING:
    from multitrack.chords import Chord

STEPS_PER_BEAT = 4  # 16th notes per quarter note

DRUM_CLASSES: tuple[str, ...] = (
    "kick",
    "snare",
    "closed_hat",
    "open_hat",
    "low_tom",
    "mid_tom",
    "high_tom",
    "crash",
    "ride",
)
assert len(DRUM_CLASSES) == DRUM_CLASS_COUNT
# The GM note each class is written as.
DRUM_NOTES: tuple[int, ...] = (36, 38, 42, 46, 45, 47, 50, 49, 51)
# Every GM percussion note (35-81) folded onto the nearest of the nine classes, for reading
# drums from MIDI made elsewhere.
_GM_TO_CLASS: dict[int, int] = {
    35: 0, 36: 0,  # kicks
    37: 1, 38: 1, 39: 1, 40: 1,  # snares, side stick, clap
    42: 2, 44: 2, 54: 2, 69: 2, 70: 2, 82: 2,  # closed / pedal hat, tambourine, shakers
    46: 3, 55: 3,  # open hat, splash
    41: 4, 43: 4, 45: 4, 64: 4, 66: 4,  # floor and low toms, low conga/timbale
    47: 5, 48: 5, 63: 5, 65: 5, 68: 5,  # mid toms
    50: 6, 60: 6, 61: 6, 62: 6, 67: 6,  # high tom, bongos
    49: 7, 52: 7, 57: 7,  # crashes, china
    51: 8, 53: 8, 56: 8, 59: 8, 80: 8, 81: 8,  # rides, bell, cowbell, triangle
}  # fmt: skip


def drum_class(gm_note: int) -> int | None:
    """The drum class index (0-8) for a GM percussion note, or None if it has none."""
    if gm_note in _GM_TO_CLASS:
        return _GM_TO_CLASS[gm_note]
    if 35 <= gm_note <= 81:
        return 2  # remaining hand percussion reads best as a hat-like pulse
    return None


@dataclass(frozen=True, order=True)
class Note:
    """One note. ``start`` and ``duration`` in grid steps; ``pitch`` a MIDI number (for the
    drum stem, a class index 0-8 from ``DRUM_CLASSES``); ``velocity`` 1-127."""

    start: int
    pitch: int
    duration: int = 1
    velocity: int = 96

    def __post_init__(self) -> None:
        if self.start < 0:
            raise MusicError(f"note start must be >= 0 steps, got {self.start}")
        if self.duration < 1:
            raise MusicError(f"note duration must be >= 1 step, got {self.duration}")
        if not 0 <= self.pitch <= 127:
            raise MusicError(f"note pitch must be 0-127, got {self.pitch}")
        if not 1 <= self.velocity <= 127:
            raise MusicError(f"note velocity must be 1-127, got {self.velocity}")

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(frozen=True)
class Meter:
    """A time signature on the 16th grid: 4/4, 3/4, 2/4 or 6/8."""

    numerator: int = 4
    denominator: int = 4

    def __post_init__(self) -> None:
        if (self.numerator, self.denominator) not in SUPPORTED_METERS:
            raise MusicError(
                f"meter {self.numerator}/{self.denominator} is not supported; "
                "use one of 4/4, 3/4, 2/4, 6/8"
            )

    @classmethod
    def parse(cls, text: str) -> Meter:
        parts = text.strip().split("/")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise MusicError(f"meter {text!r} is not of the form N/D, e.g. 4/4 or 6/8")
        return cls(int(parts[0]), int(parts[1]))

    @property
    def steps_per_bar(self) -> int:
        return self.numerator * 16 // self.denominator

    @property
    def quarters_per_bar(self) -> float:
        return self.numerator * 4 / self.denominator

    @property
    def beats_per_bar(self) -> int:
        """Counted beats: quarters in x/4, dotted quarters in 6/8."""
        return 2 if (self.numerator, self.denominator) == (6, 8) else self.numerator

    @property
    def steps_per_beat(self) -> int:
        return self.steps_per_bar // self.beats_per_bar

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


SUPPORTED_METERS: frozenset[tuple[int, int]] = frozenset({(4, 4), (3, 4), (2, 4), (6, 8)})


@dataclass(frozen=True)
class Stem:
    """The notes of one stem, sorted, with its GM program (0-127)."""

    name: str
    notes: tuple[Note, ...] = ()
    program: int = 0

    def __post_init__(self) -> None:
        pitched = stem_spec(self.name).pitched
        if not 0 <= self.program <= 127:
            raise MusicError(f"GM program must be 0-127, got {self.program}")
        if not pitched and any(n.pitch >= len(DRUM_CLASSES) for n in self.notes):
            raise MusicError("drum notes must be class indices 0-8")
        object.__setattr__(self, "notes", tuple(sorted(self.notes)))


@dataclass(frozen=True)
class ChordSpan:
    """A chord held from ``start`` for ``duration`` grid steps.

    ``chord`` is the typed ``multitrack.chords.Chord``, parsed once, here, where a span is
    made (``ChordSymbolError`` for a symbol that is not a chord); everything that reasons
    about the harmony reads it. ``symbol`` is the chord's spelling as it was written or
    recognised ("Am7", "A#", "N.C."), kept for the edges only (MIDI markers, song.json, the
    preview), so a producer's "A#" comes back as "A#", not "Bb".
    """

    start: int
    duration: int
    symbol: str
    chord: Chord = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from multitrack.chords import parse_chord  # multitrack.chords imports this module

        object.__setattr__(self, "chord", parse_chord(self.symbol))


@dataclass(frozen=True)
class Section:
    """One section of a song's form: ``bars`` bars from 0-based bar ``start``. Sections that
    share a ``letter`` ("A", "B" ...; intros "I", outros "O") are the same music returning;
    ``label`` is the producer's name for it ("Verse 1", "Chorus"). See ``multitrack.form``."""

    start: int
    bars: int
    letter: str
    label: str = ""

    @property
    def end(self) -> int:
        return self.start + self.bars


@dataclass(frozen=True)
class Song:
    """A piece: four stems, tempo in BPM (quarter notes a minute), meter, key and length.

    ``key`` is a typed ``multitrack.theory.Key``, parsed where it enters (a prompt, a MIDI
    key signature, song.json, the corpus) and formatted only at the edges (``str(key)``:
    "A minor", "D zhi").
    ``chords`` is the chord-symbol view (recognised or forced), kept with the song so the
    MIDI markers and song.json agree with what the producer saw.
    """

    bars: int
    tempo: float = 120.0
    meter: Meter = field(default_factory=Meter)
    key: Key = field(default_factory=lambda: Key(0, "major"))
    stems: Mapping[str, Stem] = field(default_factory=dict)
    chords: tuple[ChordSpan, ...] = ()
    style: str | None = None
    sections: tuple[Section, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.key, Key):
            raise TypeError(f"Song.key must be a multitrack.theory.Key, got {self.key!r}")
        if not 1 <= self.bars <= MAX_BARS:
            raise MusicError(f"length must be 1-{MAX_BARS} bars, got {self.bars}")
        if not MIN_BPM <= self.tempo <= MAX_BPM:
            raise MusicError(f"tempo must be {MIN_BPM:g}-{MAX_BPM:g} BPM, got {self.tempo:g}")
        stems = {
            name: self.stems.get(name, Stem(name, (), DEFAULT_PROGRAMS[name])) for name in STEMS
        }
        extra = set(self.stems) - set(STEMS)
        if extra:
            raise MusicError(f"unknown stem {sorted(extra)[0]!r}; stems are {', '.join(STEMS)}")
        object.__setattr__(self, "stems", stems)
        object.__setattr__(self, "chords", tuple(self.chords))
        object.__setattr__(self, "sections", tuple(self.sections))

    @property
    def steps(self) -> int:
        """Length in grid steps."""
        return self.bars * self.meter.steps_per_bar

    @property
    def seconds(self) -> float:
        return self.steps / STEPS_PER_BEAT * 60.0 / self.tempo

    @property
    def programs(self) -> dict[str, int]:
        return {name: stem.program for name, stem in self.stems.items()}

    def stem(self, name: str) -> Stem:
        return self.stems[stem_spec(name).name]

    def with_stem(self, name: str, notes: Iterable[Note], program: int | None = None) -> Song:
        old = self.stem(name)
        new = Stem(name, tuple(notes), old.program if program is None else program)
        return replace(self, stems={**self.stems, name: new})

    def step_seconds(self) -> float:
        """Seconds per grid step."""
        return 60.0 / self.tempo / STEPS_PER_BEAT

    def bar_beat(self, step: int) -> tuple[int, float]:
        """1-based bar and 1-based beat (in the meter's counted beats) of a grid step."""
        bar, within = divmod(step, self.meter.steps_per_bar)
        return bar + 1, 1.0 + within / self.meter.steps_per_beat
