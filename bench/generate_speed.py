"""Prompt to all files written (song.mid, four WAVs, song.json, preview.png) on a warm model.

Prints, for 8 and 32 bars, the median wall time over runs, the split (text, sampling,
decode, render + write), the speed as a ratio to the music's own length, and the peak RSS of
the process. Targets (issue 5): 8 bars median <= 1 s (>= 15x real time at 120 BPM), 32 bars
<= 3 s, peak RSS <= 1.5 GB.

    .venv/bin/python bench/generate_speed.py [--runs 7] [--checkpoint PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bridge.service import generate_take, load_pipeline
from models.request import GenerateRequest

PROMPTS = [
    "lo-fi hip hop in A minor, 85 bpm, mellow electric piano",
    "一段充满东方禅意的古筝独奏,节奏舒缓",
    "upbeat pop in C major, 120 bpm",
    "一首欢快的儿童钢琴曲,C大调,四四拍",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    pipeline = load_pipeline(args.checkpoint)
    load_s = time.perf_counter() - t0
    print(f"model load {load_s:.2f} s; threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as tmp:
        generate_take(pipeline, GenerateRequest("warm up", bars=8, bpm=120), Path(tmp))  # warm-up
        for bars in (8, 32):
            totals, splits, music = [], [], 0.0
            for i in range(args.runs):
                req = GenerateRequest(PROMPTS[i % len(PROMPTS)], bars=bars, bpm=120, seed=i)
                t = time.perf_counter()
                take = generate_take(pipeline, req, Path(tmp))
                total = time.perf_counter() - t
                record = json.loads(take.files["json"].read_text(encoding="utf-8"))
                gen_t = record["timings"]
                write = total - sum(gen_t.values())
                splits.append(
                    [gen_t.get("text", 0), gen_t.get("sampling", 0), gen_t.get("decode", 0), write]
                )
                totals.append(total)
                music = bars * 4 * 60 / 120
            med = float(np.median(totals))
            s = np.median(np.array(splits), axis=0)
            print(f"{bars:>2} bars: median {med:.3f} s (min {min(totals):.3f}) = {music / med:.1f}x real time "
                  f"| text {s[0]:.3f} sampling {s[1]:.3f} decode {s[2]:.3f} render+write {s[3]:.3f}")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
