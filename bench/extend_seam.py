"""Extend: are the old bars kept, and is there a seam after the join? (issue 12, 5)

For ``--n`` 8-bar takes (styles cycled), extend each by 8 bars and measure:

- old bars identical, note for note (every stem);
- in key: the share of melody notes in the key's scale, in the old bars against the new ones;
- groove: the Jaccard index of the drum onsets (position in bar, class) of consecutive bars,
  across the join (bar 8 -> 9 and 9 -> 10) against within the old bars and within the new.

    .venv/bin/python bench/extend_seam.py [--n 24] [--checkpoint PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from models.pipeline import Pipeline
from models.request import GenerateRequest
from multitrack.song import Song
from multitrack.styles import STYLES


def in_key(song: Song, lo: int, hi: int) -> float:
    scale = set(song.key.pitch_classes())
    bar = song.meter.steps_per_bar
    notes = [n for n in song.stems["melody"].notes if lo * bar <= n.start < hi * bar]
    return float(np.mean([n.pitch % 12 in scale for n in notes])) if notes else float("nan")


def drum_bar(song: Song, b: int) -> set[tuple[int, int]]:
    bar = song.meter.steps_per_bar
    return {(n.start % bar, n.pitch) for n in song.stems["drums"].notes if n.start // bar == b}


def groove(song: Song, pairs: list[tuple[int, int]]) -> float:
    out = []
    for a, b in pairs:
        x, y = drum_bar(song, a), drum_bar(song, b)
        if x or y:
            out.append(len(x & y) / len(x | y))
    return float(np.mean(out)) if out else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--checkpoint", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.load(args.checkpoint)
    styles = [s for s in STYLES if s.meter in (None, "4/4")]
    rows, t0 = [], time.time()
    for i in range(args.n):
        st = styles[i % len(styles)]
        src = pipe.generate(GenerateRequest(f"{st.english}", bars=8, seed=i, meter="4/4")).song
        new = pipe.generate(GenerateRequest("", source=src, extend=8, seed=i + 500)).song
        kept = all(
            [(n.start, n.pitch, n.duration) for n in new.stems[s].notes if n.start < src.steps]
            == [(n.start, n.pitch, n.duration) for n in src.stems[s].notes]
            for s in src.stems
        )
        rows.append({
            "style": st.id, "kept": kept,
            "in_key_old": in_key(new, 0, 8), "in_key_new": in_key(new, 8, 16),
            "groove_old": groove(new, [(b, b + 1) for b in range(7)]),
            "groove_join": groove(new, [(7, 8), (8, 9)]),
            "groove_new": groove(new, [(b, b + 1) for b in range(9, 15)]),
        })  # fmt: skip
    keys = ("in_key_old", "in_key_new", "groove_old", "groove_join", "groove_new")
    summary = {"takes": len(rows), "old_bars_identical": sum(r["kept"] for r in rows),
               **{k: round(float(np.nanmean([r[k] for r in rows])), 3) for k in keys},
               "seconds": round(time.time() - t0, 1)}  # fmt: skip
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
