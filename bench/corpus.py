"""Corpus build and read speed on this machine.

Run: .venv/bin/python bench/corpus.py [CACHE_DIR]  (needs the parsed-tune cache from a build,
default data/cache/tunes, and the Debian package mma). Prints, for one chunk of 48 tunes in
one process: windows built per second and the share of time MMA takes; then MMA alone per
bar; then examples read per second from the committed fixture.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from multitrack.corpus.accompaniment import Chart, grooves_for, render_charts
from multitrack.corpus.build import ChunkJob, build_chunk, learn_harmony
from multitrack.corpus.sources_music21 import load_tunes
from multitrack.corpus.store import iter_examples
from multitrack.song import ChordSpan, Meter

FIXTURE = Path(__file__).parents[1] / "tests" / "fixtures" / "corpus"


def main() -> int:
    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/cache/tunes")
    tunes, _ = load_tunes(cache)
    sample = [t for t in tunes if not t.voices][1000:1048]
    model = learn_harmony([], None)
    with tempfile.TemporaryDirectory() as tmp:
        job = ChunkJob(0, tuple(t.to_json() for t in sample), 0, tmp, 2000, model.to_json())
        t0 = time.perf_counter()
        counts = build_chunk(job)
        chunk = time.perf_counter() - t0
    windows = sum(counts["split"].values())
    groove = grooves_for(("8beat",), "4/4")[0]
    chords = tuple(ChordSpan(i * 16, 16, ("C", "Am", "F", "G7")[i % 4]) for i in range(400))
    t0 = time.perf_counter()
    render_charts([Chart(groove, chords, 400, Meter(4, 4))])
    per_bar = (time.perf_counter() - t0) / 400
    t0 = time.perf_counter()
    read = sum(1 for _ in iter_examples(FIXTURE, "train"))
    reading = time.perf_counter() - t0
    print(
        f"build: {windows} windows from {len(sample)} tunes in {chunk:.1f} s = {windows / chunk:.0f} windows/s (1 process)"
    )
    print(f"mma: {per_bar * 1000:.2f} ms a bar (one 400-bar chart, 8Beat)")
    print(f"read: {read / reading:.0f} examples/s from the fixture")
    return 0


if __name__ == "__main__":
    sys.exit(main())
