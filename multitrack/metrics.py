"""Musical metrics of a Song: pure functions over its notes on the 16th-note grid.

MuseGAN's EB, UPC, QN, DP and TD (Dong et al. 2018), the chord-tone ratio of the melody on
strong beats, pitch-class entropy and groove consistency (Wu & Yang 2020), polyphony, pitch
range, note density and inter-onset interval, plus key agreement through the
Krumhansl-Schmuckler profiles of ``multitrack.keyfinding``. ``song_metrics`` gathers them
under stable names; every definition, with its unit, is written out in docs/metrics.md. A
metric that has nothing to measure (no melody, one bar, ...) is ``None``, never a made-up
number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from multitrack.harmony import (
    chord_tone_ratio,
    fold_pitch_classes,
    pitch_class_histogram,
    sounding,
)
from multitrack.keyfinding import (
    KeyEstimate,
    key_of_histogram,
    key_relation,
    profiles,
)
from multitrack.song import PITCHED_STEMS, STEMS, Note, Song
from multitrack.theory import Key

MetricValue = float | str | bool | None

# Notes at least this many grid steps long are "qualified" (MuseGAN's QN; see docs/metrics.md).
QUALIFIED_STEPS = 2
# Harte, Sandler & Gasser 2006: radii of the fifths, minor-thirds and major-thirds circles.
_TC_RADII = (1.0, 1.0, 0.5)
_TC_ANGLES = (7 * math.pi / 6, 3 * math.pi / 2, 2 * math.pi / 3)

# The numeric features, in order: what reference sets collect and OA compares.
FEATURES: tuple[str, ...] = (
    *(f"eb_{s}" for s in STEMS),
    "eb",
    *(f"upc_{s}" for s in PITCHED_STEMS),
    "upc",
    *(f"qn_{s}" for s in PITCHED_STEMS),
    "qn",
    "dp",
    "td",
    "chord_tone_ratio",
    "pc_entropy_melody",
    "pc_entropy",
    "groove_consistency",
    "polyphony_chords",
    "polyphony",
    *(f"pitch_range_{s}" for s in PITCHED_STEMS),
    *(f"density_{s}" for s in STEMS),
    *(f"ioi_{s}" for s in STEMS),
)
KEY_FIELDS: tuple[str, ...] = (
    "key_found",
    "key_correlation",
    "key_asked",
    "key_relation",
    "key_agrees",
)


# -- rolls ---------------------------------------------------------------------------------


def _bars(song: Song, grid: NDArray[np.generic]) -> NDArray[np.generic]:
    """(steps, ...) -> (bars, steps_per_bar, ...)."""
    return grid.reshape(song.bars, song.meter.steps_per_bar, *grid.shape[1:])


def _notes(song: Song, stem: str) -> tuple[Note, ...]:
    """The stem's notes that start inside the song."""
    return tuple(n for n in song.stem(stem).notes if n.start < song.steps)


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


# -- MuseGAN -------------------------------------------------------------------------------


def empty_bar_ratio(song: Song, stem: str) -> float:
    """EB: the share of bars (0-1) in which ``stem`` sounds no note at all."""
    active = _bars(song, sounding(song, stem)).any(axis=(1, 2))
    return float(1.0 - active.mean())


def used_pitch_classes(song: Song, stem: str) -> float | None:
    """UPC: pitch classes (0-12) sounding per bar, averaged over the stem's non-empty bars."""
    held = np.asarray(_bars(song, sounding(song, stem)).any(axis=1))
    per_bar = fold_pitch_classes(held) > 0
    counts = per_bar.sum(axis=1)
    counts = counts[counts > 0]
    return float(counts.mean()) if counts.size else None


def qualified_note_ratio(
    notes: Sequence[Note], *, min_steps: int = QUALIFIED_STEPS
) -> float | None:
    """QN: the share of notes (0-1) lasting at least ``min_steps`` grid steps (default an 8th)."""
    if not notes:
        return None
    return sum(n.duration >= min_steps for n in notes) / len(notes)


def drum_pattern_ratio(song: Song) -> float | None:
    """DP: the share of drum onsets (0-1) on 8th-note positions (even grid steps)."""
    notes = _notes(song, "drums")
    if not notes:
        return None
    return sum(n.start % 2 == 0 for n in notes) / len(notes)


def tonal_centroid(chroma: NDArray[np.float64]) -> NDArray[np.float64]:
    """Harte et al. 2006: (..., 12) chroma (any non-negative weights) -> (..., 6) centroid.

    The chroma is L1-normalised first; an all-zero chroma maps to the origin.
    """
    pcs = np.arange(12)
    rows = []
    for radius, angle in zip(_TC_RADII, _TC_ANGLES, strict=True):
        rows.append(radius * np.sin(pcs * angle))
        rows.append(radius * np.cos(pcs * angle))
    phi = np.stack(rows)  # (6, 12)
    total = chroma.sum(axis=-1, keepdims=True)
    norm = np.divide(chroma, total, out=np.zeros_like(chroma, dtype=np.float64), where=total > 0)
    return norm @ phi.T


def tonal_distance(song: Song, first: str = "melody", second: str = "chords") -> float | None:
    """TD: Euclidean distance between the two stems' tonal centroids, per bar, averaged over
    the bars where both sound. Chroma is duration-weighted (sounding steps per pitch class)."""
    chroma_a = fold_pitch_classes(_bars(song, sounding(song, first)).sum(axis=1))
    chroma_b = fold_pitch_classes(_bars(song, sounding(song, second)).sum(axis=1))
    both = (chroma_a.sum(axis=1) > 0) & (chroma_b.sum(axis=1) > 0)
    if not both.any():
        return None
    gap = tonal_centroid(chroma_a[both]) - tonal_centroid(chroma_b[both])
    return float(np.linalg.norm(gap, axis=1).mean())


# -- harmony and pitch ---------------------------------------------------------------------


def pitch_class_entropy(notes: Sequence[Note]) -> float | None:
    """Shannon entropy in bits (0 to log2 12 = 3.585) of the notes' pitch-class histogram
    (one count per note)."""
    if not notes:
        return None
    counts = np.bincount([n.pitch % 12 for n in notes], minlength=12).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum()) + 0.0


def groove_consistency(song: Song, *, stems: Sequence[str] = STEMS) -> float | None:
    """Wu & Yang 2020: 1 - the mean Hamming distance (as a share of the bar's steps) between
    the onset patterns of every pair of bars, onsets pooled over ``stems``. 0-1; None for one bar.
    """
    if song.bars < 2:
        return None
    pattern = np.zeros(song.steps, np.float64)
    for stem in stems:
        starts = [n.start for n in _notes(song, stem)]
        pattern[starts] = 1.0
    bars = pattern.reshape(song.bars, song.meter.steps_per_bar)
    differ = bars @ (1 - bars).T + (1 - bars) @ bars.T  # (bars, bars) differing steps
    upper = np.triu_indices(song.bars, k=1)
    return float(1.0 - differ[upper].mean() / song.meter.steps_per_bar)


def polyphony(song: Song, stems: Sequence[str]) -> float | None:
    """Mean number of notes sounding together (summed over ``stems``) over sounding steps."""
    count = sum(sounding(song, s).sum(axis=1) for s in stems)
    heard = np.asarray(count)[np.asarray(count) > 0]
    return float(heard.mean()) if heard.size else None


def pitch_range(notes: Sequence[Note]) -> int | None:
    """Highest minus lowest MIDI pitch, in semitones."""
    if not notes:
        return None
    pitches = [n.pitch for n in notes]
    return max(pitches) - min(pitches)


def note_density(song: Song, stem: str) -> float:
    """Notes (onsets) per bar."""
    return len(_notes(song, stem)) / song.bars


def mean_ioi(notes: Sequence[Note]) -> float | None:
    """Mean inter-onset interval between successive distinct onsets, in quarter notes."""
    onsets = np.unique([n.start for n in notes])
    if onsets.size < 2:
        return None
    return float(np.diff(onsets).mean() / 4.0)


# -- key -----------------------------------------------------------------------------------


def find_key(
    song: Song, *, stems: Sequence[str] = PITCHED_STEMS, method: str = "krumhansl"
) -> KeyEstimate | None:
    """The best of the 24 major/minor keys by music21's key-weight profiles (``method``
    "krumhansl" = Krumhansl-Schmuckler/Kessler, or "aarden" = Aarden-Essen, music21's
    ``analyze('key')`` default) correlated with the duration-weighted pitch-class histogram of
    ``stems`` — the computation of music21's ``KeyWeightKeyAnalysis`` without building a
    Stream. None when the histogram is flat (no notes, or every pitch class equally long)."""
    profiles(method)  # an unknown method is an error even for an empty song
    return key_of_histogram(pitch_class_histogram(song, stems), method=method)


def key_metrics(song: Song, *, asked_key: Key | None = None) -> dict[str, MetricValue]:
    """key_found, key_correlation, and, with ``asked_key``, key_asked/key_relation/key_agrees."""
    found = find_key(song)
    out: dict[str, MetricValue] = dict.fromkeys(KEY_FIELDS)
    if found is not None:
        out["key_found"] = found.name
        out["key_correlation"] = round(found.correlation, 6)
    if asked_key is not None:
        out["key_asked"] = str(asked_key)
        if found is None:
            out["key_relation"], out["key_agrees"] = None, False
        else:
            out["key_relation"], out["key_agrees"] = key_relation(found, asked_key)
    return out


# -- all together --------------------------------------------------------------------------


def song_metrics(song: Song, *, asked_key: Key | None = None) -> dict[str, MetricValue]:
    """Every metric of ``song`` under the stable names of ``KEY_FIELDS`` and ``FEATURES``,
    preceded by bars, tempo (BPM) and meter. Units per metric: docs/metrics.md."""
    notes = {s: _notes(song, s) for s in STEMS}
    pitched = [n for s in PITCHED_STEMS for n in notes[s]]
    out: dict[str, MetricValue] = {
        "bars": song.bars,
        "tempo": song.tempo,
        "meter": str(song.meter),
    }
    out.update(key_metrics(song, asked_key=asked_key))
    eb = {s: empty_bar_ratio(song, s) for s in STEMS}
    out.update({f"eb_{s}": eb[s] for s in STEMS})
    out["eb"] = _mean(list(eb.values()))
    upc = {s: used_pitch_classes(song, s) for s in PITCHED_STEMS}
    out.update({f"upc_{s}": upc[s] for s in PITCHED_STEMS})
    out["upc"] = _mean(list(upc.values()))
    out.update({f"qn_{s}": qualified_note_ratio(notes[s]) for s in PITCHED_STEMS})
    out["qn"] = qualified_note_ratio(pitched)
    out["dp"] = drum_pattern_ratio(song)
    out["td"] = tonal_distance(song)
    out["chord_tone_ratio"] = chord_tone_ratio(song)
    out["pc_entropy_melody"] = pitch_class_entropy(notes["melody"])
    out["pc_entropy"] = pitch_class_entropy(pitched)
    out["groove_consistency"] = groove_consistency(song)
    out["polyphony_chords"] = polyphony(song, ("chords",))
    out["polyphony"] = polyphony(song, PITCHED_STEMS)
    range_ = {s: pitch_range(notes[s]) for s in PITCHED_STEMS}
    out.update({f"pitch_range_{s}": None if v is None else float(v) for s, v in range_.items()})
    out.update({f"density_{s}": note_density(song, s) for s in STEMS})
    out.update({f"ioi_{s}": mean_ioi(notes[s]) for s in STEMS})
    return out
