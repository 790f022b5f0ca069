"""Chord progressions as a producer types them ("Am F C G", "Am:2 F:2", "| C | G Am |"):
read once into a typed ``Progression``, then placed on a song's grid of a meter and length.
Single chord symbols are ``multitrack.chords``."""

from __future__ import annotations

from dataclasses import dataclass

from multitrack.chords import normalise_symbol
from multitrack.errors import ChordSymbolError, MusicError
from multitrack.song import SUPPORTED_METERS, ChordSpan, Meter

# Grid steps a counted beat has in each meter: a duration in beats must land on the grid.
_BEAT_STEPS = sorted({Meter(n, d).steps_per_beat for n, d in SUPPORTED_METERS})


@dataclass(frozen=True)
class ProgressionChord:
    """One chord of a typed progression: its normalised symbol (the writer's sharps or flats
    kept), a duration in counted beats (None: a bar, or a share of its bar) and the bar-line
    bar it sits in (None without bar lines)."""

    symbol: str
    beats: float | None = None
    bar: int | None = None


@dataclass(frozen=True)
class Progression:
    """A progression as a producer typed it, read once into chords; ``place`` puts it on the
    grid of a meter and length (known only once the song's frame is)."""

    chords: tuple[ProgressionChord, ...]
    text: str = ""  # as typed, for display

    def place(self, meter: Meter, *, bars: int | None = None) -> tuple[ChordSpan, ...]:
        """ChordSpans (start and duration in grid steps from bar 1 beat 1); with ``bars`` the
        progression is repeated (or cut) to exactly ``bars`` bars. Raises
        ``ChordSymbolError`` for durations that do not fit the meter, ``MusicError`` for a
        bad bar count."""
        if bars is not None and bars < 1:
            raise MusicError(f"a progression must last at least 1 bar, got {bars}")
        bar_steps = meter.steps_per_bar
        spans: list[tuple[int, str]] = []  # (duration in steps, symbol)
        in_bars: dict[int, list[ProgressionChord]] = {}
        for chord in self.chords:
            if chord.bar is not None:
                in_bars.setdefault(chord.bar, []).append(chord)
            else:
                steps = _beat_steps(chord, meter)
                spans.append((bar_steps if steps is None else steps, chord.symbol))
        for number, chords in in_bars.items():
            spans.extend(_place_bar(chords, meter, number))
        total = sum(d for d, _ in spans)
        target = total if bars is None else bars * bar_steps
        result: list[ChordSpan] = []
        start = 0
        while start < target:
            for duration, symbol in spans:
                if start >= target:
                    break
                length = min(duration, target - start)
                result.append(ChordSpan(start, length, symbol))
                start += length
        return tuple(result)


def read_progression(text: str) -> Progression:
    """Read a progression a producer types into typed chords, checking every symbol and
    duration now (where it enters), before any meter is known.

    - "Am F C G": one chord a bar.
    - "Am:2 F:2 C:4": durations in counted beats of the meter (quarter notes in x/4, dotted
      quarters in 6/8); a chord without a duration lasts a bar.
    - "| Am F | C G |": with bar lines each bar's chords share it equally, unless they carry
      durations, which must then add up to one bar. ``,`` separates chords like spaces.

    Symbols are normalised ("Cmin7" -> "Cm7"). Raises ``ChordSymbolError`` for unknown
    symbols, bad durations and an empty progression.
    """
    cleaned = text.replace("，", ",").replace("｜", "|").replace(",", " ")
    chords: list[ProgressionChord] = []
    if "|" in cleaned:
        for index, segment in enumerate(s for s in cleaned.split("|") if s.strip()):
            chords.extend(_read_token(t, index + 1) for t in segment.split())
    else:
        chords.extend(_read_token(t, None) for t in cleaned.split())
    if not chords:
        raise ChordSymbolError("the chord progression is empty; write chords like 'Am F C G'")
    return Progression(tuple(chords), text.strip())


def parse_progression(text: str, meter: Meter, *, bars: int | None = None) -> tuple[ChordSpan, ...]:
    """``read_progression(text).place(meter, bars=bars)``: a typed progression on the grid."""
    if bars is not None and bars < 1:
        raise MusicError(f"a progression must last at least 1 bar, got {bars}")
    return read_progression(text).place(meter, bars=bars)


def _place_bar(chords: list[ProgressionChord], meter: Meter, number: int) -> list[tuple[int, str]]:
    """One bar between bar lines: chords without durations share what the others leave."""
    bar_steps = meter.steps_per_bar
    steps = [_beat_steps(c, meter) for c in chords]
    fixed = sum(d for d in steps if d is not None)
    free = [i for i, d in enumerate(steps) if d is None]
    if fixed > bar_steps or (not free and fixed != bar_steps):
        beats = fixed / meter.steps_per_beat
        raise ChordSymbolError(
            f"bar {number} of the progression holds {beats:g} beats of chords; "
            f"a {meter} bar holds {meter.beats_per_bar}"
        )
    share = 0
    if free:
        share, left = divmod(bar_steps - fixed, len(free))
        if left or share == 0:
            raise ChordSymbolError(
                f"bar {number} of the progression cannot share {bar_steps - fixed} "
                f"sixteenths between {len(free)} chords; give durations like Am:2"
            )
    return [(share if d is None else d, c.symbol) for c, d in zip(chords, steps, strict=True)]


def _read_token(token: str, bar: int | None) -> ProgressionChord:
    """'Am' -> Am lasting a bar; 'Am:2' -> Am for 2 counted beats."""
    symbol, colon, beats_text = token.partition(":")
    normalised = normalise_symbol(symbol)
    if not colon:
        return ProgressionChord(normalised, None, bar)
    try:
        beats = float(beats_text)
    except ValueError:
        beats = -1.0
    # On the sixteenth grid of some meter now; of the song's own meter when placed.
    if not (0 < beats < 1e4) or not any(
        abs(beats * n - round(beats * n)) <= 1e-9 for n in _BEAT_STEPS
    ):
        raise ChordSymbolError(
            f"chord {token!r}: the duration after ':' must be a positive number of beats "
            f"on the sixteenth grid, e.g. {symbol}:2 or {symbol}:1.5"
        )
    return ProgressionChord(normalised, beats, bar)


def _beat_steps(chord: ProgressionChord, meter: Meter) -> int | None:
    if chord.beats is None:
        return None
    steps = chord.beats * meter.steps_per_beat
    if abs(steps - round(steps)) > 1e-9:
        raise ChordSymbolError(
            f"chord {chord.symbol}:{chord.beats:g}: {chord.beats:g} beats of {meter} do not "
            "fall on the sixteenth grid"
        )
    return round(steps)
