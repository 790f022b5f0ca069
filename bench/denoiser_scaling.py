"""Denoiser time and memory over 8, 16, 32, 64 bars: linear attention grows linearly.

Each size runs in a fresh subprocess so peak RSS is its own. Printed beside it: the same
shapes through softmax attention (quadratic) for contrast. Ratios are to the 8-bar figure; times are the minimum of 30 passes (the machine is shared).

    .venv/bin/python bench/denoiser_scaling.py
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, torch
import torch.nn.functional as F
from models.config import ModelConfig
from models.checkpoint import build
from models.conditioning import Condition, collate
import models.denoiser as dn
torch.set_num_threads(1)
bars, mode, fold = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if mode == "softmax":
    def softmax_attention(q, k, v, *, cos=None, sin=None, key_mask=None, eps=1e-6):
        return F.scaled_dot_product_attention(q, k, v)
    dn.linear_attention = softmax_attention
cfg = ModelConfig()
ae, den = build(cfg)
frames = bars * 4 * fold
cond = collate([Condition()])
x = torch.randn(1, ae.latent_channels, frames)
fpb = torch.tensor([4])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with torch.no_grad():
    den(x, torch.tensor([500]), cond, known=x, mask=torch.zeros_like(x), frames_per_bar=fpb)
    times = []
    for _ in range(30):
        t = time.perf_counter()
        den(x, torch.tensor([500]), cond, known=x, mask=torch.zeros_like(x), frames_per_bar=fpb)
        times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": min(times), "extra_mb": (peak - base) / 1024}))
"""


def measure(bars: int, mode: str, fold: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(bars), mode, str(fold)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(fold: int) -> None:
    print(f"one denoiser forward pass, sequence = bars x 4 frames x {fold}")
    print(
        f"{'bars':>5} {'frames':>7} | {'linear ms':>9} {'x8':>5} {'MB':>7} | {'softmax ms':>10} {'x8':>5} {'MB':>7}"
    )
    first: dict[str, dict[str, float]] = {}
    for bars in (8, 16, 32, 64):
        row = {mode: measure(bars, mode, fold) for mode in ("linear", "softmax")}
        for mode in row:
            first.setdefault(mode, row[mode])
        lin, soft = row["linear"], row["softmax"]
        print(f"{bars:>5} {bars * 4 * fold:>7} | {lin['seconds'] * 1e3:>9.1f} "
              f"{lin['seconds'] / first['linear']['seconds']:>5.2f} {lin['extra_mb']:>7.1f} | "
              f"{soft['seconds'] * 1e3:>10.1f} {soft['seconds'] / first['softmax']['seconds']:>5.2f} "
              f"{soft['extra_mb']:>7.1f}")  # fmt: skip


def main() -> None:
    table(1)  # the real lengths: one song of 8..64 bars (fixed costs dominate)
    print()
    table(16)  # 16 songs' worth of frames in one sequence, where attention cost shows


if __name__ == "__main__":
    main()
