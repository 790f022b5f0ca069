"""Note-to-note priors of the monophonic decoders, fitted on the training corpus.

The network says, per grid step, how likely each pitch row is; it does not say how likely one
note is to follow another. Where its latents are uncertain (a generated latent decodes like a
true one plus noise: ``bench/melody_probe.py``), choosing each note's pitch from its own
steps alone gives lines that repeat and jump where the corpus steps (0.4 before this prior,
on 60 held-out 8-bar windows' captions: repeats 0.27 / steps 0.28 / fourths-fifths 0.18,
against the windows' 0.17 / 0.47 / 0.08).

A transition table ``log P(next row | row)`` in the model's key frame, counted over the
training split's non-overlapping 4-bar windows and smoothed toward the interval distribution
(so a rare row still moves by the usual intervals), is the decoder's melodic language model:
``models.decoding._mono_notes`` adds ``PRIOR_WEIGHT`` times it between consecutive notes
(an HMM with the network as emission). It lives in the checkpoint, so a model retrained on a
producer's library decodes with that library's line.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.representation import _WINDOW, song_to_arrays
from multitrack.song import Song

F32 = NDArray[np.float32]

# Key suffix of a table fitted on the pentatonic-mode tunes alone (gong ... yu): in the key
# frame they keep to five rows an octave, which the all-tunes table dilutes with the 77% that
# are major (bench/fusion.py: 国风电音 melodies had 0.93 of their notes pentatonic, guofeng
# windows 0.99).
PENTATONIC = "/pentatonic"
# How many counts of the interval distribution a row's own counts are mixed with.
SMOOTHING = 20.0
# The corpus's non-overlapping windows (multitrack.corpus.windows: 4 bars, hop 4).
TILE_BARS = 4


def _row_sequence(pitch: NDArray[np.int64], onset: NDArray[np.uint8]) -> list[int]:
    """Pitch rows (0-based) of the notes of one monophonic stem, in order."""
    return [int(pitch[t]) - 1 for t in np.flatnonzero(onset) if pitch[t] > 0]


def fit_transitions(songs: Iterable[Song], stem: str, key_frame: str) -> F32:
    """(rows, rows) float32 ``log P(next | previous)`` of ``stem``'s notes ("melody" or
    "bass") in the model's key frame, smoothed with ``SMOOTHING`` counts of the interval
    distribution. Uniform when ``songs`` have no two consecutive notes."""
    if stem not in ("melody", "bass"):
        raise ValueError(f"transitions are for the monophonic stems, not {stem!r}")
    rows = _WINDOW[stem][1]
    counts = np.zeros((rows, rows))
    for song in songs:
        arrays = song_to_arrays(song, key_frame=key_frame)
        pitch, onset = (
            (arrays.melody_pitch, arrays.melody_onset)
            if stem == "melody"
            else (arrays.bass_pitch, arrays.bass_onset)
        )
        for a, b in itertools.pairwise(_row_sequence(pitch, onset)):
            counts[a, b] += 1
    diff = np.arange(rows)[None, :] - np.arange(rows)[:, None] + rows - 1  # (from, to)
    by_interval = np.bincount(diff.ravel(), weights=counts.ravel(), minlength=2 * rows - 1) + 1
    backoff = by_interval[diff]
    backoff /= backoff.sum(axis=1, keepdims=True)
    table = (counts + SMOOTHING * backoff) / (counts.sum(axis=1, keepdims=True) + SMOOTHING)
    return np.log(table).astype(np.float32)


def corpus_priors(corpus: Path, key_frame: str) -> dict[str, F32]:
    """The melody and bass tables of a built corpus's training split, counted once per bar:
    over its 4-bar windows, which tile every tune without overlap (all windows when it has
    none)."""
    from multitrack.corpus.store import iter_examples

    songs = [ex.song for ex in iter_examples(corpus, "train")]
    tiles = [s for s in songs if s.bars == TILE_BARS] or songs
    priors = {stem: fit_transitions(tiles, stem, key_frame) for stem in ("melody", "bass")}
    pentatonic = [s for s in tiles if s.key.is_pentatonic]
    if pentatonic:
        priors[f"melody{PENTATONIC}"] = fit_transitions(pentatonic, "melody", key_frame)
    return priors
