"""What a caller asks the pipeline for: one typed request for generation and editing.

The CLI and the OSC server both build a ``GenerateRequest``; the pipeline checks it once,
here, and raises ``MultitrackError`` subclasses with messages a producer can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from multitrack.errors import MultitrackError
from multitrack.song import MAX_BARS, STEMS, ChordSpan, Meter, Song

MAX_GENERATE_BARS = 64
MIN_STEPS, MAX_STEPS = 1, 200
MAX_GUIDANCE = 30.0
MAX_VARIATIONS = 8


class RequestError(MultitrackError):
    code = "bad_request"


class Cancelled(MultitrackError):
    """Raised between sampler steps when the caller's cancel check says so."""

    code = "cancelled"


# Classifier-free guidance scale by default. bench/quality.py on v0.2 (204 prompts): 2.0
# gives key agreement 0.93 and style 0.77 where 3.0 gives 0.83 and 0.79; higher guidance
# pushed minor requests toward their relative major.
DEFAULT_GUIDANCE = 2.0


@dataclass(frozen=True)
class GenerateRequest:
    """A generation or an edit.

    ``bars``/``bpm``/``key``/``meter``/``stems`` override what the prompt says when given.
    Editing: ``source`` is the take's song; ``keep`` names stems kept note for note;
    ``repaint`` is a 1-based inclusive bar range regenerated while every other bar is kept;
    ``chords`` (grid spans) or ``chord_text`` ("Am F C G", "Am:2 F:2"; parsed against the
    song's meter and length) forces a progression: the chords and bass stems follow it.
    """

    prompt: str
    bars: int | None = None
    seed: int = 0
    bpm: float | None = None
    key: str | None = None
    meter: str | None = None
    guidance: float = DEFAULT_GUIDANCE
    steps: int = 20
    stems: tuple[str, ...] | None = None
    source: Song | None = None
    keep: tuple[str, ...] = ()
    repaint: tuple[int, int] | None = None
    chords: tuple[ChordSpan, ...] | None = None
    chord_text: str | None = None
    # Song form and length edits (multitrack.form): ``form`` "A A B A" / "intro verse chorus
    # outro" (None: the prompt's, else the style's default from 16 bars); ``extend`` bars
    # added after a source take, ``prepend`` bars before it (an intro); ``variations`` takes
    # returned from one request.
    form: str | None = None
    extend: int = 0
    prepend: int = 0
    variations: int = 1

    def __post_init__(self) -> None:
        if self.bars is not None and not 1 <= self.bars <= MAX_GENERATE_BARS:
            raise RequestError(f"bars must be 1-{MAX_GENERATE_BARS}, got {self.bars}")
        if self.guidance < 0 or self.guidance > MAX_GUIDANCE:
            raise RequestError(f"guidance must be 0-{MAX_GUIDANCE:g}, got {self.guidance:g}")
        if not MIN_STEPS <= self.steps <= MAX_STEPS:
            raise RequestError(f"steps must be {MIN_STEPS}-{MAX_STEPS}, got {self.steps}")
        if not 0 <= self.seed < 2**63:
            raise RequestError(f"seed must be a non-negative integer, got {self.seed}")
        if self.meter is not None:
            Meter.parse(self.meter)
        for name in (*(self.stems or ()), *self.keep):
            if name not in STEMS:
                raise RequestError(f"unknown stem {name!r}; stems are {', '.join(STEMS)}")
        if self.stems is not None and not self.stems:
            raise RequestError("at least one stem must play")
        if (self.keep or self.repaint) and self.source is None:
            raise RequestError("keep and repaint need a source take (--from)")
        if self.chords is not None and self.chord_text is not None:
            raise RequestError("give the progression as symbols or as a MIDI clip, not both")
        if self.chord_text is not None and not self.chord_text.strip():
            raise RequestError("the chord progression is empty")
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
        if not 1 <= self.variations <= MAX_VARIATIONS:
            raise RequestError(f"variations must be 1-{MAX_VARIATIONS}, got {self.variations}")
        if self.repaint is not None:
            lo, hi = self.repaint
            bars = self.source.bars if self.source is not None else MAX_BARS
            if not 1 <= lo <= hi <= bars:
                raise RequestError(f"repaint range {lo}-{hi} is outside bars 1-{bars}")


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
        raise RequestError(f"bar range {text!r} is not of the form 5-8") from None
    if lo < 1 or hi < lo:
        raise RequestError(f"bar range {text!r} must be increasing and start at 1 or later")
    return lo, hi


def parse_stem_list(text: str) -> tuple[str, ...]:
    """'chords,bass' -> ('chords', 'bass'), checked against the four stems."""
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    for name in names:
        if name not in STEMS:
            raise RequestError(f"unknown stem {name!r}; stems are {', '.join(STEMS)}")
    return names
