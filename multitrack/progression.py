"""Chord progressions as a producer types them ("Am F C G", "Am:2 F:2", "| C | G Am |",
"Am-F-C-G", "I V vi IV"): read once into a typed ``Progression``, then placed on a song's grid
of a meter and length (and key, for roman numerals). Single chord symbols are
``multitrack.chords``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from multitrack.chords import normalise_symbol
from multitrack.errors import ChordSymbolError, MusicError
from multitrack.song import SUPPORTED_METERS, ChordSpan, Meter
from multitrack.theory import MODE_INTERVALS, Key, pitch_class_name

# Grid steps a counted beat has in each meter: a duration in beats must land on the grid.
_BEAT_STEPS = sorted({Meter(n, d).steps_per_beat for n, d in SUPPORTED_METERS})


# A roman numeral chord ("vi", "V7", "bVII", "ii°", "IVmaj7"): an accidental, the degree
# (upper case major, lower case minor), a quality mark and an extension.
_ROMAN = re.compile(
    r"^(?P<acc>[b#♭♯]?)(?P<num>VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)"
    r"(?P<mark>°|o|ø|\+|dim|aug)?(?P<ext>maj7|M7|7|6|9|sus2|sus4)?$"
)
_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii")
# A degree as a digit, the key's own triad on it ("1645", "4536251", "6 4 1 5": the way
# numbered-notation players write a progression).
_DEGREE = re.compile(r"^[1-7]$")
_DEGREES = re.compile(r"(?<![\S])[1-7]{2,}(?![\S])")
# (quality of the numeral and its mark, extension) -> the chord symbol's suffix
_ROMAN_SUFFIX: dict[tuple[str, str], str] = {
    ("major", ""): "", ("major", "7"): "7", ("major", "maj7"): "maj7", ("major", "6"): "6",
    ("major", "9"): "9", ("major", "sus2"): "sus2", ("major", "sus4"): "sus4",
    ("minor", ""): "m", ("minor", "7"): "m7", ("minor", "maj7"): "m(maj7)", ("minor", "6"): "m6",
    ("minor", "9"): "m9",
    ("dim", ""): "dim", ("dim", "7"): "dim7", ("half", ""): "m7b5", ("half", "7"): "m7b5",
    ("aug", ""): "aug",
}  # fmt: skip
# Separators between chords besides spaces, commas and bar lines: arrows and dashes. A dash
# separates only before a root or a numeral ("Am-F-C-G", "I-V-vi-IV"), or between degrees
# ("1-6-4-5"): "C-7" is a jazz Cm7.
_ARROWS = re.compile(r"\s*(?:->|→|—|–)\s*")
_DASH = re.compile(r"\s*-\s*(?=[A-Ga-gIViv#♯♭]|b[IViv])|(?<=\b[1-7])\s*-\s*(?=[1-7]\b)")


@dataclass(frozen=True)
class ProgressionChord:
    """One chord of a typed progression: its normalised symbol (the writer's sharps or flats
    kept; a roman numeral as typed, ``roman``, named in the song's key when placed), a
    duration in counted beats (None: a bar, or a share of its bar) and the bar-line bar it
    sits in (None without bar lines)."""

    symbol: str
    beats: float | None = None
    bar: int | None = None
    roman: bool = False

    def named(self, key: Key | None) -> str:
        """The chord symbol: a roman numeral's in ``key`` (``ChordSymbolError`` without one)."""
        if not self.roman:
            return self.symbol
        if key is None:
            raise ChordSymbolError(
                f"chord {self.symbol!r} is a roman numeral: it needs the take's key (give one "
                "in the prompt or --key, or write chord names like 'Am F C G')"
            )
        return roman_chord(self.symbol, key)


def roman_chord(numeral: str, key: Key) -> str:
    """The chord symbol of a roman numeral in ``key``: its degree of the key's scale (a
    pentatonic key's parent major or natural minor), raised or lowered by its accidental,
    major in upper case, minor in lower; "vi" in C major is "Am", "VI" in A minor "F",
    "bVII" in C "Bb", "V7" in G "D7", "ii°" in A minor "Bdim". A digit is the scale's own
    triad on that degree: "6" in C major "Am", "5" in A minor "Em", "7" in C "Bdim"."""
    scale = MODE_INTERVALS[key.mode]
    if len(scale) != 7:  # a pentatonic key: its parent major or natural minor
        scale = MODE_INTERVALS["minor" if key.is_minor else "major"]
    if _DEGREE.match(numeral):  # "6": the triad the key's scale stacks on its sixth degree
        d = int(numeral) - 1
        third, fifth = ((scale[(d + k) % 7] - scale[d]) % 12 for k in (2, 4))
        triad = {(4, 7): "", (3, 7): "m", (3, 6): "dim", (4, 8): "aug"}[third, fifth]
        return normalise_symbol(
            pitch_class_name((key.tonic + scale[d]) % 12, flats=key.flats) + triad
        )
    match = _ROMAN.match(numeral)
    if match is None:
        raise ChordSymbolError(f"{numeral!r} is not a roman numeral chord, e.g. I, vi, V7, bVII")
    num, mark, ext = match["num"], match["mark"] or "", match["ext"] or ""
    shift = {"": 0, "b": -1, "♭": -1, "#": 1, "♯": 1}[match["acc"]]
    root = (key.tonic + scale[_NUMERALS.index(num.lower())] + shift) % 12
    quality = {"°": "dim", "o": "dim", "dim": "dim", "ø": "half", "+": "aug", "aug": "aug"}.get(
        mark, "major" if num.isupper() else "minor"
    )
    suffix = _ROMAN_SUFFIX.get((quality, "maj7" if ext == "M7" else ext))
    if suffix is None:
        raise ChordSymbolError(f"roman numeral {numeral!r}: {ext} on a {quality} chord is unknown")
    flats = key.flats or shift < 0
    return normalise_symbol(pitch_class_name(root, flats=flats) + suffix)


@dataclass(frozen=True)
class Progression:
    """A progression as a producer typed it, read once into chords; ``place`` puts it on the
    grid of a meter and length (known only once the song's frame is)."""

    chords: tuple[ProgressionChord, ...]
    text: str = ""  # as typed, for display

    def steps(self, meter: Meter) -> int:
        """Grid steps the progression lasts as typed, in ``meter`` (no key needed)."""
        return sum(d for d, _ in self._durations(meter))

    def place(
        self, meter: Meter, *, bars: int | None = None, key: Key | None = None
    ) -> tuple[ChordSpan, ...]:
        """ChordSpans (start and duration in grid steps from bar 1 beat 1); with ``bars`` the
        progression is repeated (or cut) to exactly ``bars`` bars; roman numerals are named
        in ``key``. Raises ``ChordSymbolError`` for durations that do not fit the meter or a
        roman numeral without a key, ``MusicError`` for a bad bar count."""
        if bars is not None and bars < 1:
            raise MusicError(f"a progression must last at least 1 bar, got {bars}")
        spans = [(d, chord.named(key)) for d, chord in self._durations(meter)]
        total = sum(d for d, _ in spans)
        target = total if bars is None else bars * meter.steps_per_bar
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

    def _durations(self, meter: Meter) -> list[tuple[int, ProgressionChord]]:
        """(duration in steps, chord) in order: a chord without a duration lasts a bar, and
        chords between bar lines share their bar."""
        bar_steps = meter.steps_per_bar
        spans: list[tuple[int, ProgressionChord]] = []
        in_bars: dict[int, list[ProgressionChord]] = {}
        for chord in self.chords:
            if chord.bar is not None:
                in_bars.setdefault(chord.bar, []).append(chord)
            else:
                steps = _beat_steps(chord, meter)
                spans.append((bar_steps if steps is None else steps, chord))
        for number, chords in in_bars.items():
            spans.extend(_place_bar(chords, meter, number))
        return spans


def read_progression(text: str) -> Progression:
    """Read a progression a producer types into typed chords, checking every symbol and
    duration now (where it enters), before any meter is known.

    - "Am F C G": one chord a bar.
    - "Am:2 F:2 C:4": durations in counted beats of the meter (quarter notes in x/4, dotted
      quarters in 6/8); a chord without a duration lasts a bar.
    - "| Am F | C G |": with bar lines each bar's chords share it equally, unless they carry
      durations, which must then add up to one bar. ``,``, arrows and a dash before a chord
      ("Am-F-C-G") separate chords like spaces.
    - "I V vi IV", "i-VI-III-VII", "ii7 V7 Imaj7": roman numerals, named in the take's key
      when placed (``roman_chord``); "1645", "6 4 1 5": degrees as digits, each the key's
      own triad on it.

    Symbols are normalised ("Cmin7" -> "Cm7"). Raises ``ChordSymbolError`` for unknown
    symbols, bad durations and an empty progression.
    """
    cleaned = text.replace("，", ",").replace("｜", "|").replace(",", " ").replace("、", " ")
    cleaned = _DASH.sub(" ", _ARROWS.sub(" ", cleaned))
    cleaned = _DEGREES.sub(lambda m: " ".join(m.group()), cleaned)  # "1645" -> "1 6 4 5"
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


def _place_bar(
    chords: list[ProgressionChord], meter: Meter, number: int
) -> list[tuple[int, ProgressionChord]]:
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
    return [(share if d is None else d, c) for c, d in zip(chords, steps, strict=True)]


def _read_token(token: str, bar: int | None) -> ProgressionChord:
    """'Am' -> Am lasting a bar; 'Am:2' -> Am for 2 counted beats; 'vi' -> the sixth degree
    (checked now, named when placed in a key)."""
    symbol, colon, beats_text = token.partition(":")
    roman = _ROMAN.match(symbol) is not None or _DEGREE.match(symbol) is not None
    if roman:
        roman_chord(symbol, Key(0, "major"))  # a numeral this reader cannot name fails here
    try:
        normalised = symbol if roman else normalise_symbol(symbol)
    except ChordSymbolError as error:  # a producer may have meant a degree
        raise ChordSymbolError(f"{error}; or degrees of the key: I V vi IV, 1645") from None
    if not colon:
        return ProgressionChord(normalised, None, bar, roman)
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
    return ProgressionChord(normalised, beats, bar, roman)


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
