"""How fast the metrics are: song_metrics, key finding (histogram vs a music21 Stream), OA.

Prints numbers; run with `.venv/bin/python bench/metrics_speed.py`. Ratios within one run
are what to compare across machines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from music21 import note, stream

from multitrack.example import example_song
from multitrack.metrics import PITCHED_STEMS, find_key, song_metrics
from multitrack.reference import compare_to_reference
from multitrack.song import Note, Song, Stem


def best_of(fn: Callable[[], object], repeats: int = 5, inner: int = 20) -> float:
    """Best mean seconds per call over ``repeats`` rounds of ``inner`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return min(times)


def transposed(song: Song, shift: int) -> Song:
    stems = {
        name: Stem(
            name,
            tuple(replace(n, pitch=n.pitch + shift) for n in song.stem(name).notes)
            if name in PITCHED_STEMS
            else song.stem(name).notes,
            song.stem(name).program,
        )
        for name in song.stems
    }
    return replace(song, stems=stems)


def music21_key(song: Song) -> tuple[int, str]:
    part: stream.Stream = stream.Stream()
    for name in PITCHED_STEMS:
        for n in song.stem(name).notes:
            part.insert(n.start / 4, note.Note(n.pitch, quarterLength=n.duration / 4))
    found = part.analyze("krumhansl")
    return found.tonic.pitchClass, found.mode


def main() -> None:
    base = example_song()
    songs = [transposed(base, s) for s in range(-5, 7)]
    notes = sum(len(base.stem(s).notes) for s in base.stems)
    print(f"example song: {base.bars} bars, {notes} notes")
    t_metrics = best_of(lambda: song_metrics(base, asked_key="A minor"))
    print(f"song_metrics: {t_metrics * 1e3:.2f} ms per 8-bar song")
    t_hist = best_of(lambda: find_key(base))
    t_stream = best_of(lambda: music21_key(base), inner=5)
    print(f"find_key (duration histogram): {t_hist * 1e3:.3f} ms")
    print(f"music21 Stream + analyze('krumhansl'): {t_stream * 1e3:.2f} ms")
    print(f"histogram speed-up over Stream: {t_stream / t_hist:.0f}x")
    same = 0
    for s in songs:
        found = find_key(s)
        same += found is not None and (found.tonic, found.mode) == music21_key(s)
    print(f"same key as music21's Stream analysis: {same}/{len(songs)} transpositions")

    rng = np.random.default_rng(0)
    ref = {"td": rng.normal(0.3, 0.1, 5000).tolist(), "eb": rng.uniform(0, 0.3, 5000).tolist()}
    ours = {"td": rng.normal(0.35, 0.1, 200).tolist(), "eb": rng.uniform(0, 0.3, 200).tolist()}
    t_oa = best_of(lambda: compare_to_reference(ours, ref), repeats=3, inner=1)
    print(f"compare_to_reference, 200 vs 5000 values: {t_oa / 2 * 1e3:.1f} ms per feature")
    long = Song(
        bars=64,
        stems={"melody": Stem("melody", tuple(Note(4 * i, 60 + i % 12, 4) for i in range(256)))},
    )
    t_long = best_of(lambda: song_metrics(long), inner=5)
    print(f"song_metrics, 64 bars: {t_long * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
