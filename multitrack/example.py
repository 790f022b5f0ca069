"""The built-in example: an 8-bar pop loop in A minor at 96 BPM, Am F C G twice.

Hand-written and deterministic: ``make demo`` renders it until the model exists, and tests use
it as a known song with all four stems and its chord symbols.
"""

from __future__ import annotations

from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.theory import Key

BAR = 16  # grid steps in a 4/4 bar
PROGRESSION: tuple[str, ...] = ("Am", "F", "C", "G")
# Close voicings in C3-C5 that move by step (A C E -> A C F -> G C E -> G B D).
_VOICINGS: dict[str, tuple[int, ...]] = {
    "Am": (57, 60, 64),
    "F": (57, 60, 65),
    "C": (55, 60, 64),
    "G": (55, 59, 62),
}
# Bass roots in E1-E3 and the fifth below them.
_ROOTS: dict[str, tuple[int, int]] = {"Am": (45, 40), "F": (41, 36), "C": (48, 43), "G": (43, 38)}
# (step in bar, pitch, steps) per bar: two 4-bar phrases, the second an answer ending on G.
_MELODY: tuple[tuple[tuple[int, int, int], ...], ...] = (
    ((0, 76, 4), (4, 74, 2), (6, 72, 2), (8, 69, 6)),
    ((0, 72, 2), (2, 69, 2), (4, 72, 4), (8, 77, 4), (12, 76, 4)),
    ((0, 76, 6), (6, 74, 2), (8, 72, 4), (12, 67, 4)),
    ((0, 71, 4), (4, 74, 4), (8, 71, 2), (10, 67, 6)),
    ((0, 76, 4), (4, 74, 2), (6, 72, 2), (8, 69, 4), (12, 72, 4)),
    ((0, 77, 6), (6, 76, 2), (8, 72, 4), (12, 69, 4)),
    ((0, 67, 4), (4, 72, 4), (8, 76, 4), (12, 79, 4)),
    ((0, 74, 4), (4, 72, 2), (6, 71, 2), (8, 67, 8)),
)
_COMP = ((0, 6, 84), (6, 4, 70), (10, 6, 76))  # (step, steps, velocity): a syncopated push
KICK, SNARE, CLOSED_HAT, OPEN_HAT, LOW_TOM, MID_TOM, HIGH_TOM, CRASH = range(8)


def example_song() -> Song:
    """The example song: 8 bars of 4/4, A minor, 96 BPM, style ``pop``, all four stems
    (lead synth, piano, fingered bass, drums) and its chord symbols, one per bar."""
    bars = len(_MELODY)
    symbols = [PROGRESSION[bar % len(PROGRESSION)] for bar in range(bars)]
    melody = [
        Note(bar * BAR + step, pitch, steps, 100 if step == 0 else 88)
        for bar, phrase in enumerate(_MELODY)
        for step, pitch, steps in phrase
    ]
    chords = [
        Note(bar * BAR + step, pitch, steps, velocity)
        for bar, symbol in enumerate(symbols)
        for step, steps, velocity in _COMP
        for pitch in _VOICINGS[symbol]
    ]
    bass: list[Note] = []
    for bar, symbol in enumerate(symbols):
        root, fifth = _ROOTS[symbol]
        if bar == bars - 1:
            bass.append(Note(bar * BAR, root, BAR, 100))
            continue
        for step, pitch, steps in ((0, root, 6), (6, root, 2), (8, root, 4), (12, fifth, 4)):
            bass.append(Note(bar * BAR + step, pitch, steps, 100 if step == 0 else 90))
    return Song(
        bars=bars,
        tempo=96.0,
        meter=Meter(4, 4),
        key=Key(9, "minor"),
        stems={
            "melody": Stem("melody", tuple(melody), 80),
            "chords": Stem("chords", tuple(chords), 0),
            "bass": Stem("bass", tuple(bass), 33),
            "drums": Stem("drums", tuple(_drums(bars)), 0),
        },
        chords=tuple(ChordSpan(bar * BAR, BAR, symbol) for bar, symbol in enumerate(symbols)),
        style="pop",
    )


def _drums(bars: int) -> list[Note]:
    """Kick on 1 and 3 (plus a push into 3 every other bar), snare on 2 and 4, eighth-note
    hats with accents, crashes on the phrase starts and a tom fill into the loop point."""
    notes: list[Note] = []
    for bar in range(bars):
        at = bar * BAR
        last = bar == bars - 1
        notes += [Note(at, KICK, 2, 112), Note(at + 8, KICK, 2, 104)]
        if bar % 2 == 1:
            notes.append(Note(at + 6, KICK, 2, 92))
        notes += [Note(at + 4, SNARE, 2, 108)]
        if not last:
            notes.append(Note(at + 12, SNARE, 2, 108))
        for step in range(0, BAR, 2):
            if last and step >= 12:
                break
            if step == 14 and bar % 4 == 3:
                notes.append(Note(at + step, OPEN_HAT, 2, 80))
            elif not (bar % 4 == 0 and step == 0):
                notes.append(Note(at + step, CLOSED_HAT, 1, 78 if step % 4 == 0 else 58))
        if bar % 4 == 0:
            notes.append(Note(at, CRASH, 4, 100))
        if last:
            fill = ((12, HIGH_TOM), (13, HIGH_TOM), (14, MID_TOM), (15, LOW_TOM))
            notes += [Note(at + step, drum, 1, 100) for step, drum in fill]
    return notes
