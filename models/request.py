"""What a caller asks the pipeline for: one typed request for generation and editing.

The CLI (``multitrack generate``) and the OSC server each read their input once into an
``Ask`` (typed: a ``Key``, a ``Meter``, a ``Progression`` of parsed chords) and turn it into
the ``GenerateRequest`` the pipeline runs through one function, ``build_request``, which also
reads an edit's source take the same way for both. The limits every entry point checks
(``BARS``, ``BPM``, ``GUIDANCE``, ``STEPS`` …) live here, once; a value outside one is a
``LimitError`` (code ``bad_value``) with the same message whichever way it came.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from multitrack.errors import MultitrackError
from multitrack.progression import Progression, read_progression
from multitrack.song import (
    MAX_BARS,
    MAX_BPM,
    MIN_BPM,
    STEMS,
    STEPS_PER_BEAT,
    ChordSpan,
    Meter,
    Note,
    Song,
)
from multitrack.theory import Key

ChordNote = tuple[int, float, float]  # pitch, start and length in quarter-note beats
Source = tuple[Song, Mapping[str, Any]]  # a take's song and its song.json record


class RequestError(MultitrackError):
    code = "bad_request"


class LimitError(RequestError):
    """A value outside its limit (a number too small, too large or not finite) or
    unreadable (a stem name, a bar range)."""

    code = "bad_value"


# What a caller of a long job passes in: a progress report (share done, stage) and a cancel
# check polled between sampler steps (``Cancelled``).
ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


class Cancelled(MultitrackError):
    """Raised between sampler steps when the caller's cancel check says so."""

    code = "cancelled"


@dataclass(frozen=True)
class Limit:
    """An inclusive numeric range an option must fall in; ``integer`` options are whole."""

    name: str
    lo: float
    hi: float
    integer: bool = False

    def check(self, value: float) -> float:
        """``value`` if it is finite and inside the range, else ``LimitError``."""
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            whole = self.integer and math.isfinite(value) and value == int(value)
            shown = str(int(value)) if whole else f"{value:g}"  # 2**63, not 9.22337e+18
            raise LimitError(f"{self.name} must be {self.span}, got {shown}")
        return value

    @property
    def span(self) -> str:
        if self.hi < 2**62:
            return f"{self.lo:g}-{self.hi:g}"
        return f"{self.lo:g} to {int(self.hi)}"  # a seed past the top was "0 or more"


MAX_GENERATE_BARS = 64
MIN_STEPS, MAX_STEPS = 1, 200
MAX_GUIDANCE = 30.0
MAX_VARIATIONS = 8
BARS = Limit("bars", 1, MAX_GENERATE_BARS, integer=True)
BPM = Limit("bpm", MIN_BPM, MAX_BPM)
GUIDANCE = Limit("guidance", 0.0, MAX_GUIDANCE)
STEPS = Limit("steps", MIN_STEPS, MAX_STEPS, integer=True)
SEED = Limit("seed", 0, 2**63 - 1, integer=True)
VARIATIONS = Limit("variations", 1, MAX_VARIATIONS, integer=True)
EXTEND = Limit("extend", 0, MAX_GENERATE_BARS, integer=True)

# Classifier-free guidance scale by default. bench/quality.py on v0.2 (204 prompts): 2.0
# gives key agreement 0.93 and style 0.77 where 3.0 gives 0.83 and 0.79; higher guidance
# pushed minor requests toward their relative major.
DEFAULT_GUIDANCE = 2.0
# Sampler steps (``models.sampling.DEFAULT_SAMPLER``, DPM-Solver++(2M)): 10 against DDIM's
# 20 within the noise of bench/quality.py's 204 prompts (TD +11.1% / +10.7% from the
# reference, mean OA 0.807 / 0.816, key 0.985 both; docs/model.md, "Session 6"). 8 against
# 10 (session 10), every bench within its noise: quality key / style / mean OA 0.980 / 0.779
# / 0.819 against 0.980 / 0.779 / 0.824; realism 0.690 against 0.702; edits' recogniser
# 0.911 against 0.908, kept 102 of 102; form pass 0.96 both; fusion EDM drums 21 against 19
# of 24. A fifth fewer denoiser evaluations (docs/model.md, "Session 10: where a 32-bar
# take's writing goes").
DEFAULT_STEPS = 8


@dataclass(frozen=True)
class GenerateRequest:
    """A generation or an edit, as the pipeline runs it.

    ``bars``/``bpm``/``key``/``meter``/``stems`` override what the prompt says when given.
    Editing: ``source`` is the take's song; ``keep`` names stems kept note for note;
    ``repaint`` is a 1-based inclusive bar range regenerated while every other bar is kept;
    ``chords`` (grid spans) or ``progression`` (typed chords placed on the song's meter and
    length) forces a progression: the chords and bass stems follow it. ``chord_text``
    ("Am F C G", "Am:2 F:2") is read into ``progression`` here, and ``key``/``meter``
    given as text into a ``Key``/``Meter``, so what runs is typed however it was built.
    """

    prompt: str
    bars: int | None = None
    seed: int = 0
    bpm: float | None = None
    key: Key | str | None = None
    meter: Meter | str | None = None
    guidance: float = DEFAULT_GUIDANCE
    steps: int = DEFAULT_STEPS
    stems: tuple[str, ...] | None = None
    source: Song | None = None
    keep: tuple[str, ...] = ()
    repaint: tuple[int, int] | None = None
    chords: tuple[ChordSpan, ...] | None = None
    chord_text: str | None = None
    progression: Progression | None = None
    # Song form and length edits (multitrack.form): ``form`` "A A B A" / "intro verse chorus
    # outro" (None: the prompt's, else the style's default from 16 bars); ``extend`` bars
    # added after a source take, ``prepend`` bars before it (an intro); ``variations`` takes
    # returned from one request.
    form: str | None = None
    extend: int = 0
    prepend: int = 0
    variations: int = 1

    def __post_init__(self) -> None:
        if self.bars is not None:
            BARS.check(self.bars)
        if self.bpm is not None:
            BPM.check(self.bpm)
        GUIDANCE.check(self.guidance)
        STEPS.check(self.steps)
        SEED.check(self.seed)
        VARIATIONS.check(self.variations)
        if isinstance(self.key, str):
            object.__setattr__(self, "key", Key.parse(self.key))
        if isinstance(self.meter, str):
            object.__setattr__(self, "meter", Meter.parse(self.meter))
        for name in (*(self.stems or ()), *self.keep):
            if name not in STEMS:
                raise LimitError(f"unknown stem {name!r}; stems are {', '.join(STEMS)}")
        if self.stems is not None and not self.stems:
            raise RequestError("at least one stem must play")
        if (self.keep or self.repaint) and self.source is None:
            raise RequestError("keep and repaint need a source take (--from)")
        if self.chord_text is not None:
            if self.progression is not None:
                raise RequestError("give the progression as text or as typed chords, not both")
            if not self.chord_text.strip():
                raise RequestError("the chord progression is empty")
            object.__setattr__(self, "progression", read_progression(self.chord_text))
        if self.chords is not None and self.progression is not None:
            raise RequestError("give the progression as symbols or as a MIDI clip, not both")
        if self.forces_chords and "chords" in self.keep:
            raise RequestError(
                "new chords replace the chords stem, so it can't be kept: keep the melody, "
                "bass or drums, or leave out the chords"
            )
        left_out = [s for s in self.keep if self.stems is not None and s not in self.stems]
        if left_out:
            raise RequestError(
                f"the kept {', '.join(left_out)} would play in a take whose stems leave "
                f"{'it' if len(left_out) == 1 else 'them'} out: add "
                f"{'it' if len(left_out) == 1 else 'them'} to the stems or keep less"
            )
        if set(self.keep) >= set(STEMS):
            raise RequestError("keeping every stem leaves nothing to regenerate")
        if (self.extend or self.prepend) and self.source is None:
            raise RequestError("extending needs a source take (--from)")
        if self.extend < 0 or self.prepend < 0:
            raise RequestError("bars to extend by must be positive")
        if self.source is not None and self.extend + self.prepend:
            total = self.source.bars + self.extend + self.prepend
            if total > MAX_GENERATE_BARS:
                raise RequestError(
                    f"the extended take would have {total} bars; at most {MAX_GENERATE_BARS}"
                )
            if self.repaint is not None:
                raise RequestError("extend or repaint, not both in one edit")
        if self.repaint is not None:
            lo, hi = self.repaint
            bars = self.source.bars if self.source is not None else MAX_BARS
            if not 1 <= lo <= hi <= bars:
                raise LimitError(f"repaint range {lo}-{hi} is outside bars 1-{bars}")

    @property
    def forces_chords(self) -> bool:
        return self.chords is not None or self.progression is not None

    def edit_record(self) -> dict[str, Any] | None:
        """song.json's ``edit``: what an edit kept and changed (None for a fresh take); the
        same record whichever way the edit came (CLI or OSC, symbols or a clip)."""
        if self.source is None:
            return None
        return {
            "keep": list(self.keep),
            "repaint": list(self.repaint) if self.repaint else None,
            "forced_chords": self.forces_chords,
            "extend": self.extend,
            "prepend": self.prepend,
        }


@dataclass(frozen=True)
class Ask:
    """What a caller asked, typed where it entered (CLI flags, OSC options), before an edit's
    source take is read. None means "the default" (or, for an edit, "the take's own")."""

    prompt: str = ""
    bars: int | None = None
    seed: int | None = None
    bpm: float | None = None
    key: Key | None = None
    meter: Meter | None = None
    guidance: float | None = None
    steps: int | None = None
    stems: tuple[str, ...] | None = None
    keep: tuple[str, ...] = ()
    repaint: tuple[int, int] | None = None
    progression: Progression | None = None
    chord_spans: tuple[ChordSpan, ...] | None = None
    chord_notes: tuple[ChordNote, ...] | None = None
    form: str | None = None
    extend: int = 0
    prepend: int = 0
    variations: int = 1

    def __post_init__(self) -> None:
        given = [self.progression, self.chord_spans, self.chord_notes]
        if sum(x is not None for x in given) > 1:
            raise RequestError("give the chords one way: symbols, a MIDI clip or chord notes")


def prompt_seed(prompt: str) -> int:
    """A new take's seed when none is given: the CRC-32 of its prompt's words (whitespace
    collapsed), so one prompt gives one take, on any machine, and two prompts start from
    different noise. A fixed default gave every prompt the same starting noise, and with it
    much the same melodic contour: a lo-fi take and a guzheng solo, both seed 0, opened on
    the same held tonic and closed on the same climb of an octave."""
    return zlib.crc32(" ".join(prompt.split()).encode("utf-8"))


def build_request(ask: Ask, source: Source | None = None) -> GenerateRequest:
    """The one way a request is built, for the CLI and OSC alike. An edit (``source``, the
    take's song and song.json record) takes the take's length, tempo, key and meter; an
    empty prompt and a missing seed are the take's own, so what is regenerated keeps the
    take's style and text conditioning; a new take's missing seed is its prompt's
    (``prompt_seed``). Chord notes are recognised on the take's grid."""
    guidance = DEFAULT_GUIDANCE if ask.guidance is None else ask.guidance
    steps = DEFAULT_STEPS if ask.steps is None else ask.steps
    common: dict[str, Any] = {
        "guidance": guidance, "steps": steps, "stems": ask.stems, "keep": ask.keep,
        "repaint": ask.repaint, "progression": ask.progression, "form": ask.form,
        "extend": ask.extend, "prepend": ask.prepend, "variations": ask.variations,
    }  # fmt: skip
    if source is None:
        if ask.chord_notes is not None:
            raise RequestError("chord notes edit a take; name the take to edit")
        return GenerateRequest(prompt=ask.prompt, bars=ask.bars,
                               seed=prompt_seed(ask.prompt) if ask.seed is None else ask.seed,
                               bpm=ask.bpm,
                               key=ask.key, meter=ask.meter, chords=ask.chord_spans,
                               **common)  # fmt: skip
    song, record = source
    chords = ask.chord_spans
    if ask.chord_notes is not None:
        chords = recognise_chord_notes(ask.chord_notes, song)
    prompt, seed = ask.prompt, ask.seed
    own_prompt, own_seed = record.get("prompt"), record.get("seed")
    if not prompt.strip():
        prompt = own_prompt if isinstance(own_prompt, str) else ""
    if seed is None:
        seed = own_seed if isinstance(own_seed, int) and not isinstance(own_seed, bool) else 0
    return GenerateRequest(prompt=prompt, bars=song.bars, seed=seed, bpm=song.tempo,
                           key=song.key, meter=song.meter, source=song, chords=chords,
                           **common)  # fmt: skip


def recognise_chord_notes(notes: Sequence[ChordNote], song: Song) -> tuple[ChordSpan, ...]:
    """Chord spans of a DAW's edited chords clip (quarter-note beats from bar 1) on the
    song's grid; notes past the song's end are dropped, notes running over it are cut."""
    from multitrack.chords import NO_CHORD_SYMBOL
    from multitrack.errors import ChordSymbolError
    from multitrack.recognise import recognise

    grid: list[Note] = []
    for pitch, start, length in notes:
        step = round(start * STEPS_PER_BEAT)
        if step >= song.steps:
            continue
        end = min(song.steps, max(step + 1, round((start + length) * STEPS_PER_BEAT)))
        grid.append(Note(step, pitch, end - step))
    if not grid:
        raise ChordSymbolError(f"no chord note starts inside the take's {song.bars} bars")
    spans = tuple(recognise(grid, song.meter, steps=song.steps, key=song.key))
    if all(s.symbol == NO_CHORD_SYMBOL for s in spans):
        raise ChordSymbolError(
            f"the {len(grid)} chord note(s) sound no chord (too short or too few to name one)"
        )
    return spans


def parse_bar_range(text: str) -> tuple[int, int]:
    """'5-8' -> (5, 8); '3' -> (3, 3). 1-based, inclusive."""
    parts = text.strip().split("-")
    try:
        if len(parts) == 1:
            lo = hi = int(parts[0])
        elif len(parts) == 2:
            lo, hi = int(parts[0]), int(parts[1])
        else:
            raise ValueError
    except ValueError:
        raise LimitError(f"bar range {text!r} is not of the form 5-8") from None
    if lo < 1 or hi < lo:
        raise LimitError(f"bar range {text!r} must be increasing and start at 1 or later")
    return lo, hi


def parse_stem_list(text: str) -> tuple[str, ...]:
    """'chords,bass' -> ('chords', 'bass'), checked against the four stems."""
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    for name in names:
        if name not in STEMS:
            raise LimitError(f"unknown stem {name!r}; stems are {', '.join(STEMS)}")
    return names
