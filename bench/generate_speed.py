"""Prompt to all files written (song.mid, four WAVs, song.json, preview.png) on a warm model.

Each configuration (``--variants``, bench/variants.py: sampler, steps, candidates, precision)
is timed in the same run, runs interleaved (configuration 1, 2, 3, 1, 2, 3 ...) so a busy
machine's drift falls on all alike, and compared as ratios to the first one (by default 0.4's
``ddim-20x6-fp32+text``, then the shipped default). For each: the median wall time for 8 and
32 bars up to every file a DAW needs (the server's ``done``: preview.png is drawn after it),
its split (text, sampling, decode, render + write, preview), the speed against the music's
own length, the denoiser's measured GFLOP/s and its saved state in MB. Then, for the last
variant: 64 bars and 4 variations of 8 bars; this machine's fp32 and bf16 matmul rates
beside the denoiser's (the floor, issue 16); and the peak RSS.

    .venv/bin/python bench/generate_speed.py [--runs 5] [--threads 2] [--checkpoint PATH]
        [--variants ddim-20x6-fp32+text,dpm-10x4-fp32,dpm-10x4-int8,dpm-10x4-bf16]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from bridge.service import generate_take, load_pipeline
from models.conditioning import CondBatch, Condition, collate
from models.pipeline import CANDIDATE_BARS, CANDIDATES, Pipeline
from models.precision import DEFAULT_PRECISION, state_megabytes
from models.request import DEFAULT_STEPS, GenerateRequest
from models.sampling import DEFAULT_SAMPLER
from multitrack.take import finish_take

sys.path.insert(0, str(Path(__file__).parent))
from variants import Variant, parse_variants

SHIPPED = f"{DEFAULT_SAMPLER}-{DEFAULT_STEPS}x{CANDIDATES}-{DEFAULT_PRECISION}"

PROMPTS = [
    "lo-fi hip hop in A minor, 85 bpm, mellow electric piano",
    "一段充满东方禅意的古筝独奏,节奏舒缓",
    "upbeat pop in C major, 120 bpm",
    "一首欢快的儿童钢琴曲,C大调,四四拍",
]
SPLIT = ("text", "sampling", "decode", "render+write", "preview")


def time_take(pipe: Pipeline, tmp: Path, req: GenerateRequest) -> tuple[float, list[float]]:
    """Seconds to every file a DAW needs (preview deferred, as the server does) and the
    split, preview drawing last."""
    t = time.perf_counter()
    take = generate_take(pipe, req, tmp, defer_preview=True)
    to_done = time.perf_counter() - t
    t = time.perf_counter()
    finish_take(take)
    preview = time.perf_counter() - t
    gen_t = json.loads(take.files["json"].read_text(encoding="utf-8"))["timings"]
    write = to_done - sum(gen_t.values())
    return to_done, [gen_t.get("text", 0), gen_t.get("sampling", 0), gen_t.get("decode", 0),
                     write, preview]  # fmt: skip


def time_configs(pipes: list[Pipeline], configs: list[Variant], tmp: Path, bars: int, runs: int,
                 variations: int = 1) -> list[tuple[float, np.ndarray]]:  # fmt: skip
    """Per configuration: median seconds to done and the median split, runs interleaved."""
    totals: list[list[float]] = [[] for _ in configs]
    splits: list[list[list[float]]] = [[] for _ in configs]
    for i in range(runs):
        for j, (pipe, cfg) in enumerate(zip(pipes, configs, strict=True)):
            req = GenerateRequest(PROMPTS[i % len(PROMPTS)], bars=bars, bpm=120, seed=i,
                                  steps=cfg.steps, variations=variations)  # fmt: skip
            total, split = time_take(pipe, tmp, req)
            totals[j].append(total)
            splits[j].append(split)
    return [(float(np.median(t)), np.median(np.array(s), axis=0)) for t, s in zip(totals, splits, strict=True)]  # fmt: skip


def matmul_rate(dtype: torch.dtype, n: int = 1024, reps: int = 20) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    t = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def denoiser_flops(pipe: Pipeline, bars: int, candidates: int) -> float:
    """FLOPs of one guided sampler step (cond + uncond batch) for ``bars`` bars of 4/4,
    counted on the fp32 network (an int8 copy does the same arithmetic in other kernels)."""
    b, f = 2 * max(1, min(candidates, CANDIDATE_BARS // bars)), bars * 4
    x = torch.zeros(b, pipe.ae.latent_channels, f)
    cond = CondBatch.cat([collate([Condition()], frames=f)] * b)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        pipe.model.denoiser(x, torch.full((b,), 500), cond, known=x, mask=x,
                            frames_per_bar=torch.full((b,), 4))  # fmt: skip
    return float(counter.get_total_flops())


def evaluations(pipe: Pipeline, steps: int) -> int:
    pipe.sampler.scheduler.set_timesteps(steps)
    return len(pipe.sampler.scheduler.timesteps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variants", default=None, help="comma list; default: 0.4's, then shipped")
    ap.add_argument("--bars", default="8,32", help="comma list of lengths")
    ap.add_argument("--skip-extra", action="store_true", help="no 64 bars / variations")
    args = ap.parse_args()
    configs = parse_variants(args.variants or f"ddim-20x6-fp32+text,{SHIPPED}")
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    base = load_pipeline(args.checkpoint)
    print(f"model load {time.perf_counter() - t0:.2f} s; threads {torch.get_num_threads()}")
    pipes = [cfg.pipeline(base.model) for cfg in configs]
    for pipe in pipes:
        pipe.guard = base.guard
    for cfg, pipe in zip(configs, pipes, strict=True):
        used = pipe.precision.used
        size = state_megabytes(pipe.den)
        print(f"{cfg.name:24s} runs {used}: denoiser state {size:.2f} MB "
              f"({size / state_megabytes(base.den):.2f} of fp32); decoders "
              f"{state_megabytes(base.ae.decoders):.2f} MB (fp32 in every precision)")  # fmt: skip
    rates = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for bars in (int(b) for b in args.bars.split(",")):
            # every variant warm at this length first (new shapes build new kernels), so
            # the first variant timed does not pay for the others
            for pipe in pipes:
                generate_take(pipe, GenerateRequest("warm up", bars=bars, bpm=120), tmp)
            rows = time_configs(pipes, configs, tmp, bars, args.runs)
            first = rows[0][0]
            music = bars * 4 * 60 / 120
            for cfg, pipe, (med, s) in zip(configs, pipes, rows, strict=True):
                flops = denoiser_flops(pipe, bars, cfg.candidates) * evaluations(pipe, cfg.steps)
                rate = flops / 1e9 / max(float(s[1]), 1e-9)
                rates[(cfg.name, bars)] = (flops, rate)
                split = " ".join(f"{n} {v:.3f}" for n, v in zip(SPLIT, s, strict=True))
                print(f"{cfg.name:24s} {bars:>2} bars: to done {med:.3f} s ({med / first:.2f} "
                      f"of the first) = {music / med:.1f}x real time | {split} | denoiser "
                      f"{flops / 1e9:.1f} GFLOP = {rate:.0f} GFLOP/s")  # fmt: skip
        if not args.skip_extra:
            last = slice(len(pipes) - 1, None)
            ((med64, _),) = time_configs(
                pipes[last], configs[last], tmp, 64, max(1, args.runs // 2)
            )
            ((var, _),) = time_configs(pipes[last], configs[last], tmp, 8, args.runs, variations=4)
            print(f"{configs[-1].name}: 64 bars {med64:.3f} s; 4 variations of 8 bars {var:.3f} s")
    fp32, bf16 = matmul_rate(torch.float32), matmul_rate(torch.bfloat16)
    flops8, rate8 = rates.get((configs[0].name, 8), next(iter(rates.values())))
    print(f"the floor: 1024x1024 torch.mm here runs fp32 {fp32:.0f} GFLOP/s, bf16 {bf16:.0f} "
          f"GFLOP/s; the denoiser ({configs[0].name}, 8 bars, {flops8 / 1e9:.1f} GFLOP) runs "
          f"{rate8:.0f} GFLOP/s = {rate8 / fp32:.2f} of fp32 matmul: its sampling would take "
          f"{flops8 / 1e9 / fp32:.3f} s at the fp32 rate, {flops8 / 1e9 / bf16:.3f} s at bf16")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
