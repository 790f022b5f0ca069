"""Which pitch classes sound where: the harmony analysis that generation (best-of-k
reranking, ``models.ranking``; the model's chord inputs) and evaluation (``multitrack.metrics``)
share. Pure functions over a Song's notes on the 16th-note grid.

Generation depends on these definitions and on nothing in ``multitrack.metrics``: changing
how a take is scored for a report cannot change which notes are generated, while changing
a function here changes both, visibly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from multitrack.grid import stem_to_roll
from multitrack.keyfinding import key_of_histogram, key_relation
from multitrack.song import PITCHED_STEMS, ChordSpan, Meter, Song

BoolArray = NDArray[np.bool_]

# Strong beats as step offsets within a bar, per meter.
STRONG_BEATS: dict[str, tuple[int, ...]] = {
    "4/4": (0, 8),
    "3/4": (0,),
    "2/4": (0,),
    "6/8": (0, 6),
}


def sounding(song: Song, stem: str) -> BoolArray:
    """(steps, rows) bool: True where a note of ``stem`` sounds (onset or held)."""
    return stem_to_roll(song.stem(stem), song.steps).hold > 0


def fold_pitch_classes(grid: NDArray[np.generic]) -> NDArray[np.float64]:
    """(..., 128) pitch rows -> (..., 12) pitch classes, summed."""
    padded = np.zeros((*grid.shape[:-1], 132), np.float64)
    padded[..., :128] = grid
    return padded.reshape(*grid.shape[:-1], 11, 12).sum(axis=-2)


def strong_beat_steps(meter: Meter, bars: int) -> NDArray[np.int64]:
    """Grid steps of the strong beats: 1 and 3 in 4/4, 1 in 3/4 and 2/4, 1 and 4 in 6/8."""
    offsets = np.array(STRONG_BEATS[str(meter)], np.int64)
    starts = np.arange(bars, dtype=np.int64)[:, None] * meter.steps_per_bar
    return (starts + offsets[None, :]).reshape(-1)


def span_pitch_classes(spans: Sequence[ChordSpan], steps: int) -> BoolArray:
    """(steps, 12) bool: the pitch classes of the chord symbol held at each step (N.C. none)."""
    grid = np.zeros((steps, 12), np.bool_)
    for span in spans:
        pcs = sorted(span.chord.pitch_classes())
        if pcs:
            grid[max(0, span.start) : max(0, min(steps, span.start + span.duration)), pcs] = True
    return grid


def progression_histogram(spans: Sequence[ChordSpan]) -> NDArray[np.float64]:
    """(12,) duration-weighted pitch classes a chord progression sounds (N.C. adds none)."""
    steps = max((s.start + s.duration for s in spans), default=0)
    return span_pitch_classes(spans, steps).sum(axis=0).astype(np.float64)


def harmony_pitch_classes(song: Song) -> BoolArray:
    """(steps, 12) bool: the pitch classes the chords and bass stems sound at each step."""
    return fold_pitch_classes(sounding(song, "chords") | sounding(song, "bass")) > 0


def chord_tone_ratio(song: Song, *, spans: Sequence[ChordSpan] | None = None) -> float | None:
    """The share (0-1) of melody notes sounding on strong beats whose pitch class is a chord tone.

    Chord tones are the pitch classes sounding in the chords and bass stems at that step, or,
    with ``spans``, those of the chord symbol held there. Strong beats with no chord sounding
    are left out; ``None`` when no melody note sounds on a strong beat over a chord.
    """
    steps = strong_beat_steps(song.meter, song.bars)
    melody = sounding(song, "melody")[steps]  # (strong, 128)
    if spans is None:
        harmony = harmony_pitch_classes(song)
    else:
        harmony = span_pitch_classes(spans, song.steps)
    harmony = harmony[steps]  # (strong, 12)
    tones = total = 0
    for row, pcs in zip(melody, harmony, strict=True):
        if not pcs.any():
            continue
        pitches = np.flatnonzero(row)
        total += pitches.size
        tones += int(pcs[pitches % 12].sum())
    return tones / total if total else None


def pitch_class_histogram(song: Song, stems: Sequence[str] = PITCHED_STEMS) -> NDArray[np.float64]:
    """(12,) sounding length in quarter notes per pitch class, notes cut at the song's end."""
    hist = np.zeros(12, np.float64)
    for stem in stems:
        for n in song.stem(stem).notes:
            if n.start >= song.steps:
                continue
            hist[n.pitch % 12] += min(n.end, song.steps) - n.start
    return hist / 4.0


def key_agrees(song: Song) -> bool:
    """Whether the song sounds in its own key: the Krumhansl-Kessler analysis of its pitched
    stems names that key (or, for a modal key, its relative major/minor pair); False for a
    song whose pitch classes are flat (no notes)."""
    found = key_of_histogram(pitch_class_histogram(song))
    return found is not None and key_relation(found, song.key)[1]
