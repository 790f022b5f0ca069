"""The denoiser's loss on held-out windows: the same windows, noise and timesteps for every
checkpoint, so two checkpoints (or a run's snapshots) compare without the noise of a
training log's one-batch losses.

For N held-out windows (4 and 8 bars) the checkpoint's own encoder gives the latents; each
window gets a fixed timestep and noise (seeded), its caption and attributes, nothing kept
(the generation case), and the chord track either as the window has it (a forced
progression) or unknown (the model invents the harmony). Printed: each stem's mean squared
error of the v prediction, overall and by noise level (t < 300 shapes the notes; t >= 700
the whole), the unit the training log uses.

    .venv/bin/python bench/denoiser_loss.py --checkpoint A.pt --checkpoint B.pt [--n 1024]
        [--json out.json]

The held-out arrays are encoded once into data/cache/test_arrays.npz (the sentence encoder,
about a minute); another corpus's (``--corpus``, e.g. a library ``multitrack prepare`` made,
to see what fine-tuning on it learnt and forgot) into data/cache/test_arrays_<its name>.npz.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from models.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from models.dataset import MAX_STEPS, TrainingArrays, batch_cond, batch_rolls, load_training_arrays
from models.schedule import add_noise, cosine_alpha_bar, v_target
from models.training import step_mask
from multitrack.song import STEMS

BANDS = {"all": (0, 1000), "t<300": (0, 300), "300-700": (300, 700), "t>=700": (700, 1000)}


@torch.no_grad()
def losses(path: Path, data: TrainingArrays, n: int, seed: int) -> dict[str, dict[str, float]]:
    """{condition: {stem or stem@band: mse}} for checkpoint ``path``."""
    model = load_checkpoint(path)
    ae, den = model.autoencoder.float().eval(), model.denoiser.float().eval()
    rng = np.random.default_rng(seed)
    idx_all = rng.permutation(len(data))[:n]
    t_all = torch.from_numpy(rng.integers(1000, size=len(idx_all)))
    alpha_bar = cosine_alpha_bar(model.config.diffusion.train_timesteps)
    comp = ae.cfg.compression
    out: dict[str, dict[str, list[float]]] = {"chords given": {}, "chords unknown": {}}
    for start in range(0, len(idx_all), 64):
        idx = idx_all[start : start + 64]
        t = t_all[start : start + 64]
        x0 = ae.encode(batch_rolls(data, idx, data.width))
        gen = torch.Generator().manual_seed(seed + start)
        noise = torch.randn(x0.shape, generator=gen)
        x_t = add_noise(x0, noise, t, alpha_bar)
        fmask = step_mask(data, idx, data.width)[:, ::comp]
        fpb = torch.from_numpy(data.frames_per_bar[idx].astype(np.int64))
        zeros = torch.zeros_like(x0)
        target = v_target(x0, noise, t, alpha_bar)
        base = batch_cond(data, idx, np.random.default_rng(seed + start))
        for name in out:
            cond = base.without_chords() if name == "chords unknown" else base
            v = den(x_t, t, cond, known=zeros, mask=zeros, frames_per_bar=fpb, frame_mask=fmask)
            err = (v - target).pow(2) * fmask[:, None]
            for stem in STEMS:
                part = err[:, ae.stem_slice(stem)]
                frames = fmask.sum(dim=1) * part.shape[1]
                per = part.sum(dim=(1, 2)) / frames  # (B,) each window's mean
                for band, (lo, hi) in BANDS.items():
                    sel = (t >= lo) & (t < hi)
                    key = stem if band == "all" else f"{stem}@{band}"
                    out[name].setdefault(key, []).extend(per[sel].tolist())
    return {c: {k: float(np.mean(v)) for k, v in d.items()} for c, d in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", type=Path, action="append", default=None)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    paths = args.checkpoint or [DEFAULT_CHECKPOINT]
    key_frame = load_checkpoint(paths[0]).config.key_frame
    default = args.corpus.resolve() == Path("data/corpus").resolve()
    cache = Path("data/cache") / (
        "test_arrays.npz" if default else f"test_arrays_{args.corpus.name}.npz"
    )
    data = load_training_arrays(
        args.corpus, "test", cache, key_frame,
        max_steps=MAX_STEPS, captions=1,
    )  # fmt: skip
    print(f"{min(args.n, len(data))} held-out windows of {len(data)}")
    results = {}
    for path in paths:
        results[str(path)] = res = losses(path, data, args.n, args.seed)
        for cond, row in res.items():
            print(f"\n{path}  ({cond})")
            print(f"  {'stem':8s}" + "".join(f"{b:>10s}" for b in BANDS))
            for stem in STEMS:
                cells = [row[stem if b == "all" else f"{stem}@{b}"] for b in BANDS]
                print(f"  {stem:8s}" + "".join(f"{c:10.4f}" for c in cells))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
