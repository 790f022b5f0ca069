"""Prompt to all files written (song.mid, four WAVs, song.json, preview.png) on a warm model.

Each configuration (sampler, steps, candidates, precision) is timed in the same run, so
they compare as ratios to the first one ("today's": DDIM, 20 steps, 6 candidates). For each:
the median wall time over runs for 8 and 32 bars, its split (text, sampling, decode,
render + write), and the speed against the music's own length. Then, for the last
configuration: 64 bars and 4 variations of 8 bars; the denoiser's measured GFLOP/s beside
this machine's fp32 and bf16 matmul rates (the floor, issue 16); and the peak RSS.

    .venv/bin/python bench/generate_speed.py [--runs 5] [--checkpoint PATH] [--threads 2]
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
from torch.utils.flop_counter import FlopCounterMode

from bridge.service import generate_take, load_pipeline
from models.conditioning import CondBatch, Condition, collate
from models.pipeline import SAMPLERS, Pipeline
from models.request import GenerateRequest

PROMPTS = [
    "lo-fi hip hop in A minor, 85 bpm, mellow electric piano",
    "一段充满东方禅意的古筝独奏,节奏舒缓",
    "upbeat pop in C major, 120 bpm",
    "一首欢快的儿童钢琴曲,C大调,四四拍",
]
# (name, sampler, steps, candidates)
CONFIGS = [
    ("ddim-20 x6 (0.3's)", "ddim", 20, 6),
    ("dpm-10 x6", "dpm", 10, 6),
    ("dpm-10 x4", "dpm", 10, 4),
]


def time_takes(pipe: Pipeline, tmp: Path, bars: int, runs: int, steps: int, variations: int = 1):  # type: ignore[no-untyped-def]
    totals, splits = [], []
    for i in range(runs):
        req = GenerateRequest(PROMPTS[i % len(PROMPTS)], bars=bars, bpm=120, seed=i,
                              steps=steps, variations=variations)  # fmt: skip
        t = time.perf_counter()
        take = generate_take(pipe, req, tmp)
        total = time.perf_counter() - t
        record = json.loads(take.files["json"].read_text(encoding="utf-8"))
        gen_t = record["timings"]
        write = total - sum(gen_t.values())
        splits.append(
            [gen_t.get("text", 0), gen_t.get("sampling", 0), gen_t.get("decode", 0), write]
        )
        totals.append(total)
    return float(np.median(totals)), np.median(np.array(splits), axis=0)


def matmul_rate(dtype: torch.dtype, n: int = 1024, reps: int = 20) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def denoiser_flops(pipe: Pipeline, bars: int, candidates: int) -> float:
    """FLOPs of one guided sampler step (cond + uncond batch) for ``bars`` bars of 4/4."""
    b, f = 2 * candidates, bars * 4
    x = torch.zeros(b, pipe.ae.latent_channels, f)
    cond = CondBatch.cat([collate([Condition()], frames=f)] * b)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        pipe.den(x, torch.full((b,), 500), cond, known=x, mask=x,
                 frames_per_bar=torch.full((b,), 4))  # fmt: skip
    return float(counter.get_total_flops())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    pipeline = load_pipeline(args.checkpoint)
    print(f"model load {time.perf_counter() - t0:.2f} s; threads {torch.get_num_threads()}")
    base: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        generate_take(pipeline, GenerateRequest("warm up", bars=8, bpm=120), tmp)
        last_sampling = 0.0
        for name, sampler, steps, cands in CONFIGS:
            pipeline.scheduler = SAMPLERS[sampler](pipeline.model.config.diffusion.train_timesteps)
            pipeline.candidates = cands
            for bars in (8, 32):
                med, s = time_takes(pipeline, tmp, bars, args.runs, steps)
                base.setdefault(bars, med)
                music = bars * 4 * 60 / 120
                print(f"{name:20s} {bars:>2} bars: median {med:.3f} s ({med / base[bars]:.2f} of "
                      f"0.3's) = {music / med:.1f}x real time | text {s[0]:.3f} sampling "
                      f"{s[1]:.3f} decode {s[2]:.3f} render+write {s[3]:.3f}")  # fmt: skip
                if bars == 8:
                    last_sampling = float(s[1])
        _, sampler, steps, cands = CONFIGS[-1]
        med64, _ = time_takes(pipeline, tmp, 64, max(1, args.runs // 2), steps)
        var, _ = time_takes(pipeline, tmp, 8, args.runs, steps, variations=4)
        print(f"{CONFIGS[-1][0]}: 64 bars {med64:.3f} s; 4 variations of 8 bars {var:.3f} s")
    flops = denoiser_flops(pipeline, 8, cands) * steps
    print(f"denoiser: {flops / 1e9:.1f} GFLOP for 8 bars ({steps} steps x {2 * cands} rows) in "
          f"{last_sampling:.3f} s = {flops / 1e9 / max(last_sampling, 1e-9):.0f} GFLOP/s; "
          f"matmul here: fp32 {matmul_rate(torch.float32):.0f} GFLOP/s, "
          f"bf16 {matmul_rate(torch.bfloat16):.0f} GFLOP/s")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
