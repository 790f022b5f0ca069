"""Harmoniser agreement on the Bach chorales (harmony hidden) and its speed.

Run: .venv/bin/python bench/harmoniser.py  (uses the parsed-tune cache in data/cache/tunes;
the first run parses the chorales, ~1 min). Prints agreement per beat at triad and root
level, learned transitions vs the prior alone, and tunes harmonised per second.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from multitrack.corpus.build import tune_key
from multitrack.corpus.harmoniser import harmonise
from multitrack.corpus.harmony_eval import evaluate_harmoniser, rntxt_sequences
from multitrack.corpus.sources_music21 import load_tunes
from multitrack.corpus.sources_rntxt import rntxt_progressions
from multitrack.song import Meter


def main() -> int:
    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/cache/tunes")
    tunes, _ = load_tunes(cache, limit_files=None)
    chorales = [t for t in tunes if t.source == "chorales"]
    started = time.perf_counter()
    monteverdi = rntxt_sequences(rntxt_progressions(cache, include_bach=False))
    result = evaluate_harmoniser(chorales, tune_key, extra=monteverdi)
    elapsed = time.perf_counter() - started
    print(json.dumps(result, indent=1))
    sample = [t for t in tunes if t.source != "chorales"][:500]
    t0 = time.perf_counter()
    for tune in sample:
        meter = Meter.parse(tune.meter)
        harmonise(tune.notes, tune_key(tune), meter, bars=-(-tune.steps // meter.steps_per_bar))
    rate = len(sample) / (time.perf_counter() - t0)
    print(f"evaluation: {elapsed:.1f} s; harmoniser: {rate:.0f} tunes/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
