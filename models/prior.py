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
``models.lines._mono_notes`` adds ``PRIOR_WEIGHT`` times it between consecutive notes
(an HMM with the network as emission). It lives in the checkpoint, so a model retrained on a
producer's library decodes with that library's line. ``table_for`` and ``degrees_for`` pick
the tables a take in a given key decodes with, by the names this module stores them under.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.representation import _WINDOW, key_shift, song_to_arrays
from multitrack.song import Song
from multitrack.theory import Key

F32 = NDArray[np.float32]

# Key suffix of a table fitted on the pentatonic-mode tunes alone (gong ... yu): in the key
# frame they keep to five rows an octave, which the all-tunes table dilutes with the 77% that
# are major (bench/fusion.py: 国风电音 melodies had 0.93 of their notes pentatonic, guofeng
# windows 0.99).
PENTATONIC = "/pentatonic"
# Key suffix of a table fitted on the minor-key tunes alone. The key frame puts a minor key's
# relative major on C, so A minor and C major share the white keys, and a table of all
# tunes (mostly major) pulls a minor line toward C major's degrees.
MINOR = "/minor"
# Key suffix of the melody's pitch-class correction (``fit_degrees``): (2, 12), a row per
# ``mode_class``.
DEGREES = "/degrees"
# Pseudo-counts per pitch class in ``fit_degrees``, and the largest correction (log-ratio).
DEGREE_COUNTS = 5.0
DEGREE_CLIP = 1.0
# ``mode_class`` of the minor keys: the row of a ``fit_degrees`` table, and the keys the
# ``MINOR`` tables are fitted on and read for.
MINOR_CLASS = 1
# How many counts of the interval distribution a row's own counts are mixed with.
SMOOTHING = 20.0
# Share of the melody tables' probability that is the interval distribution alone, the
# same from every row. With the pitch reader (``models.autoencoder``) the network says which
# degrees sound, and a table of rows alone pulled lines back to the commonest ones; half
# the mass on the interval keeps the line stepping without choosing its degrees
# (docs/model.md, "Session 14"). The bass's tables are not mixed.
INTERVAL_MIX = 0.5
# The corpus's non-overlapping windows (multitrack.corpus.windows: 4 bars, hop 4).
TILE_BARS = 4
# A fine-tuned model's tables (``corpus_priors``'s ``base``) are its library's mixed with the
# checkpoint's it started from, the library's share n / (n + BASE_TILES) for n tiles fitted:
# a 30-song library of 64 bars (480 tiles) decodes 0.7 in its own line; a one-song one (16
# tiles) keeps 0.93 of the checkpoint's, counted over some 54,000 tiles of the corpus.
BASE_TILES = 200


def _row_sequence(pitch: NDArray[np.int64], onset: NDArray[np.uint8]) -> list[int]:
    """Pitch rows (0-based) of the notes of one monophonic stem, in order."""
    return [int(pitch[t]) - 1 for t in np.flatnonzero(onset) if pitch[t] > 0]


def fit_transitions(songs: Iterable[Song], stem: str, key_frame: str, mix: float = 0.0) -> F32:
    """(rows, rows) float32 ``log P(next | previous)`` of ``stem``'s notes ("melody" or
    "bass") in the model's key frame, smoothed with ``SMOOTHING`` counts of the interval
    distribution, then mixed with it: ``mix`` of each row's probability is the interval's
    alone (``INTERVAL_MIX``). Uniform when ``songs`` have no two consecutive notes."""
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
    table = (1 - mix) * table + mix * backoff
    return np.log(table).astype(np.float32)


def corpus_priors(
    corpus: Path,
    key_frame: str,
    interval_mix: float = INTERVAL_MIX,
    base: Mapping[str, F32] | None = None,
) -> dict[str, F32]:
    """The melody and bass tables of a built corpus's training split, counted once per bar:
    over its 4-bar windows, which tile every tune without overlap (all windows when it has
    none). ``interval_mix``: the melody tables' ``INTERVAL_MIX`` (0 for a model without a
    pitch reader, whose tables are the rows' alone). ``base``: the tables of the checkpoint
    a fine-tuning run started from; each is mixed with the corpus's by ``blend`` (a table
    the corpus has no tunes for, e.g. the pentatonic one, is the base's)."""
    from multitrack.corpus.store import iter_examples

    songs = [ex.song for ex in iter_examples(corpus, "train")]
    tiles = [s for s in songs if s.bars == TILE_BARS] or songs
    mixes = {"melody": interval_mix, "bass": 0.0}
    fitted: dict[str, tuple[F32, int]] = {
        stem: (fit_transitions(tiles, stem, key_frame, mixes[stem]), len(tiles)) for stem in mixes
    }
    pentatonic = [s for s in tiles if s.key.is_pentatonic]
    if pentatonic:
        table = fit_transitions(pentatonic, "melody", key_frame, interval_mix)
        fitted[f"melody{PENTATONIC}"] = table, len(pentatonic)
    minor = [s for s in tiles if mode_class(s.key) == MINOR_CLASS]
    if minor:
        for stem in mixes:
            table = fit_transitions(minor, stem, key_frame, mixes[stem])
            fitted[f"{stem}{MINOR}"] = table, len(minor)
    if base is None:
        return {name: table for name, (table, _) in fitted.items()}
    return blend(fitted, base)


def blend(fitted: Mapping[str, tuple[F32, int]], base: Mapping[str, F32]) -> dict[str, F32]:
    """Tables fitted on a library (each with the tiles it was counted over) mixed with the
    ``base`` checkpoint's of the same name, in probability: the library's share is
    n / (n + ``BASE_TILES``). A table only one side has is that side's."""
    out = {name: np.asarray(table, np.float32) for name, table in base.items()}
    for name, (table, n) in fitted.items():
        if name not in out or out[name].shape != table.shape:
            out[name] = table
            continue
        share = n / (n + BASE_TILES)
        mixed = share * np.exp(table.astype(np.float64)) + (1 - share) * np.exp(out[name])
        out[name] = np.log(mixed).astype(np.float32)
    return out


def mode_class(key: Key) -> int | None:
    """The row of a ``fit_degrees`` table a key reads: 1 for minor, 0 for the other
    heptatonic modes (mostly major), None for the pentatonic modes."""
    if key.is_pentatonic:
        return None
    return MINOR_CLASS if key.mode == "minor" else 0


def table_for(priors: Mapping[str, F32], stem: str, key: Key) -> F32 | None:
    """The note-to-note table ``stem`` decodes with in ``key``: the pentatonic tunes' own
    for a pentatonic mode, the minor-key tunes' for a minor key, when the checkpoint has
    one, else the stem's."""
    if key.is_pentatonic and f"{stem}{PENTATONIC}" in priors:
        return priors[f"{stem}{PENTATONIC}"]
    if mode_class(key) == MINOR_CLASS and f"{stem}{MINOR}" in priors:
        return priors[f"{stem}{MINOR}"]
    return priors.get(stem)


def degrees_for(priors: Mapping[str, F32], key: Key) -> F32 | None:
    """The melody's per-pitch-class correction (12,) in the key frame for ``key``
    (``models.prior.fit_degrees``), or None: none fitted, or a pentatonic mode (its own
    table keeps it to five notes)."""
    table = priors.get(f"melody{DEGREES}")
    cls = mode_class(key)
    return None if table is None or cls is None else table[cls]


def _degree_counts(songs: Iterable[Song], key_frame: str) -> NDArray[np.float64]:
    counts = np.full((2, 12), DEGREE_COUNTS)
    for song in songs:
        cls = mode_class(song.key)
        if cls is None:
            continue
        shift = key_shift(song.key, key_frame)
        pcs = [(n.pitch + shift) % 12 for n in song.stems["melody"].notes]
        counts[cls] += np.bincount(pcs, minlength=12)
    return counts


def fit_degrees(real: Iterable[Song], generated: Iterable[Song], key_frame: str) -> F32:
    """(2, 12) float32: per ``mode_class`` and pitch class in the key frame, the log-ratio
    of how often ``real`` melodies use it to how often a model's ``generated`` takes do
    (``DEGREE_COUNTS`` pseudo-counts each, clipped to +-``DEGREE_CLIP``). Added to the
    melody decoder's emissions (``models.lines.DEGREE_WEIGHT``), it moves the model's
    use of each degree toward the corpus's; zero where the two agree."""
    r, g = _degree_counts(real, key_frame), _degree_counts(generated, key_frame)
    ratio = np.log(r / r.sum(axis=1, keepdims=True)) - np.log(g / g.sum(axis=1, keepdims=True))
    return np.clip(ratio, -DEGREE_CLIP, DEGREE_CLIP).astype(np.float32)
