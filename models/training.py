"""Training: the autoencoder first, then diffusion on its (frozen) latents.

Runs alone or under ``torchrun --nproc_per_node N`` (DistributedDataParallel over gloo on
CPU): each rank draws its own batches from a rank-seeded generator and gradients are
averaged. bf16 autocast on CPU. State is saved every ``save_every`` steps and at the end,
so a stopped run resumes where it was.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from models.autoencoder import Autoencoder, reconstruction_loss
from models.checkpoint import build, save_checkpoint
from models.conditioning import CondBatch
from models.config import ModelConfig
from models.dataset import MAX_STEPS, TrainingArrays, batch_cond, batch_rolls
from models.schedule import add_noise, cosine_alpha_bar, v_target
from multitrack.song import STEMS

log = logging.getLogger(__name__)
AE_CROP = 64  # grid steps per autoencoder training crop


@dataclass(frozen=True)
class TrainConfig:
    ae_steps: int = 3000
    diffusion_steps: int = 8000
    batch: int = 64
    ae_batch: int = 32
    lr_ae: float = 1e-3
    lr_diffusion: float = 4e-4
    latent_noise: float = 0.1
    save_every: int = 250
    seed: int = 0
    bf16: bool = True
    # Diffusion batches draw a window of mode m with weight count(m) ** -mode_balance: 0 is
    # uniform over windows (77% major), 0.5 gives each mode a share ~ sqrt(count) (minor
    # 5.4% -> 10.7%), 1 every mode alike.
    mode_balance: float = 0.0


def distributed() -> tuple[int, int]:
    """(rank, world size); starts the gloo process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def _wrap(module: nn.Module, world: int) -> nn.Module:
    return nn.parallel.DistributedDataParallel(module) if world > 1 else module


def _autocast(enabled: bool) -> Any:
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


def step_mask(arrays: TrainingArrays, idx: np.ndarray, steps: int) -> torch.Tensor:
    real = arrays.steps[idx].astype(np.int64)
    return torch.from_numpy((np.arange(steps)[None] < real[:, None]).astype(np.float32))


def mode_weights(modes: np.ndarray, balance: float) -> np.ndarray:
    """Sampling probabilities of windows: each window of mode m gets count(m) ** -balance,
    normalised (see ``TrainConfig.mode_balance``)."""
    _, inverse, counts = np.unique(modes, return_inverse=True, return_counts=True)
    weights = counts.astype(np.float64)[inverse] ** -balance
    return weights / weights.sum()


def _lr(step: int, total: int, base: float, warmup: int = 200) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return float(base * 0.5 * (1 + np.cos(np.pi * progress)))  # a float: states load weights-only


class Trainer:
    """Holds the networks, optimiser state and the run folder of one training run."""

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig, run_dir: Path) -> None:
        self.model_cfg, self.cfg, self.run_dir = model_cfg, train_cfg, run_dir
        self.rank, self.world = distributed()
        torch.manual_seed(train_cfg.seed)  # same initial weights on every rank
        self.ae, self.den = build(model_cfg)
        self.opt_ae = torch.optim.AdamW(self.ae.parameters(), lr=train_cfg.lr_ae, weight_decay=0.0)
        self.opt_den = torch.optim.AdamW(self.den.parameters(), lr=train_cfg.lr_diffusion)
        self.step_ae = self.step_den = 0
        self.rng = np.random.default_rng(train_cfg.seed * 1000 + self.rank)
        self.state_path = run_dir / "state.pt"
        if self.state_path.exists():
            self._resume()

    # -- state ------------------------------------------------------------------------
    def _resume(self) -> None:
        state = torch.load(self.state_path, map_location="cpu", weights_only=True)
        self.ae.load_state_dict(state["autoencoder"])
        self.den.load_state_dict(state["denoiser"])
        self.opt_ae.load_state_dict(state["opt_ae"])
        self.opt_den.load_state_dict(state["opt_den"])
        self.step_ae, self.step_den = int(state["step_ae"]), int(state["step_den"])
        if self.rank == 0:
            log.warning("resumed at ae step %d, diffusion step %d", self.step_ae, self.step_den)

    def save(self) -> None:
        if self.rank != 0:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "autoencoder": self.ae.state_dict(),
            "denoiser": self.den.state_dict(),
            "opt_ae": self.opt_ae.state_dict(),
            "opt_den": self.opt_den.state_dict(),
            "step_ae": self.step_ae,
            "step_den": self.step_den,
        }
        tmp = self.state_path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.state_path)

    def export(self, path: Path, meta: dict[str, Any]) -> None:
        if self.rank == 0:
            meta = {**meta, "ae_steps": self.step_ae, "diffusion_steps": self.step_den,
                    "train_config": asdict(self.cfg)}  # fmt: skip
            save_checkpoint(path, self.model_cfg, self.ae, self.den, meta=meta, half=True)

    def _log(self, record: dict[str, Any]) -> None:
        if self.rank == 0:
            with open(self.run_dir / "log.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            log.warning("%s", " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                       for k, v in record.items()))  # fmt: skip

    # -- stage 1: autoencoder ---------------------------------------------------------
    def train_autoencoder(
        self, data: TrainingArrays, on_step: Callable[[int], None] | None = None
    ) -> None:
        ae = _wrap(self.ae, self.world)
        self.ae.train()
        cfg = self.cfg
        t0 = time.time()
        while self.step_ae < cfg.ae_steps:
            idx = self.rng.integers(len(data), size=cfg.ae_batch)
            # The autoencoder is convolutional: train on 4-bar crops (a quarter of the cost);
            # crops start on a bar line of 4/4 so the stride phase matches inference.
            start = 16 * int(self.rng.integers(0, (MAX_STEPS - AE_CROP) // 16 + 1))
            rolls = {
                k: v[:, :, start : start + AE_CROP]
                for k, v in batch_rolls(data, idx, MAX_STEPS).items()
            }
            mask = step_mask(data, idx, MAX_STEPS)[:, start : start + AE_CROP]
            for g in self.opt_ae.param_groups:
                g["lr"] = _lr(self.step_ae, cfg.ae_steps, cfg.lr_ae)
            with _autocast(cfg.bf16):
                logits, z = ae(rolls, cfg.latent_noise)
                losses = reconstruction_loss({k: v.float() for k, v in logits.items()}, rolls, mask)
                loss = sum(losses.values()) + 1e-3 * z.float().pow(2).mean()
            self.opt_ae.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.ae.parameters(), 1.0)
            self.opt_ae.step()
            self.step_ae += 1
            if self.step_ae % 50 == 0 or self.step_ae == cfg.ae_steps:
                rec = {"stage": "ae", "step": self.step_ae, "loss": loss.item(),
                       **{k: v.item() for k, v in losses.items()},
                       "sec": round(time.time() - t0, 1)}  # fmt: skip
                self._log(rec)
            if self.step_ae % cfg.save_every == 0:
                self.save()
            if on_step is not None:
                on_step(self.step_ae)
        self.ae.eval()
        self.save()

    @torch.no_grad()
    def fit_latent_stats(self, data: TrainingArrays, *, windows: int = 4096) -> None:
        """Per-channel mean and std of latents over real frames, so diffusion sees unit scale."""
        idx = np.random.default_rng(0).permutation(len(data))[:windows]
        zs = []
        for i in range(0, len(idx), 256):
            part = idx[i : i + 256]
            z = self.ae.encode_raw(batch_rolls(data, part, MAX_STEPS))  # (B, C, F)
            fmask = step_mask(data, part, MAX_STEPS)[:, :: self.ae.cfg.compression] > 0
            zs.append(z.permute(0, 2, 1)[fmask])
        allz = torch.cat(zs)
        self.ae.latent_mean.copy_(allz.mean(0))
        self.ae.latent_std.copy_(allz.std(0).clamp(min=1e-3))

    @torch.no_grad()
    def encode_all(self, data: TrainingArrays) -> torch.Tensor:
        out = []
        for i in range(0, len(data), 256):
            idx = np.arange(i, min(i + 256, len(data)))
            out.append(self.ae.encode(batch_rolls(data, idx, MAX_STEPS)))
        return torch.cat(out)  # (N, C, F)

    # -- stage 2: diffusion -----------------------------------------------------------
    def train_diffusion(self, data: TrainingArrays, latents: torch.Tensor,
                        on_step: Callable[[int], None] | None = None) -> None:  # fmt: skip
        den = _wrap(self.den, self.world)
        self.den.train()
        cfg, dcfg = self.cfg, self.model_cfg.diffusion
        alpha_bar = cosine_alpha_bar(dcfg.train_timesteps)
        comp = self.ae.cfg.compression
        t0 = time.time()
        cumulative = np.cumsum(mode_weights(data.mode, cfg.mode_balance))
        while self.step_den < cfg.diffusion_steps:
            if cfg.mode_balance:
                pick = np.searchsorted(cumulative, self.rng.random(cfg.batch) * cumulative[-1])
                idx = np.minimum(pick, len(data) - 1)
            else:
                idx = self.rng.integers(len(data), size=cfg.batch)
            x0 = latents[idx]
            b, _, f = x0.shape
            fmask = step_mask(data, idx, MAX_STEPS)[:, ::comp]  # (B, F)
            cond = drop_conditions(batch_cond(data, idx, self.rng), self.rng, dcfg.cond_dropout,
                                   dcfg.attr_dropout)  # fmt: skip
            known_mask = sample_inpaint_masks(self.rng, b, f, data.frames_per_bar[idx],
                                              data.steps[idx] // comp, self.ae)  # fmt: skip
            t = torch.from_numpy(self.rng.integers(dcfg.train_timesteps, size=b))
            noise = torch.from_numpy(self.rng.standard_normal(x0.shape).astype(np.float32))
            x_t = add_noise(x0, noise, t, alpha_bar)
            x_t = known_mask * x0 + (1 - known_mask) * x_t
            fpb = torch.from_numpy(data.frames_per_bar[idx].astype(np.int64))
            for g in self.opt_den.param_groups:
                g["lr"] = _lr(self.step_den, cfg.diffusion_steps, cfg.lr_diffusion)
            with _autocast(cfg.bf16):
                v = den(
                    x_t, t, cond, known=x0, mask=known_mask, frames_per_bar=fpb, frame_mask=fmask
                )
            target = v_target(x0, noise, t, alpha_bar)
            weight = (1 - known_mask) * fmask[:, None]
            loss = (
                F.mse_loss(v.float(), target, reduction="none") * weight
            ).sum() / weight.sum().clamp(min=1)
            self.opt_den.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.den.parameters(), 1.0)
            self.opt_den.step()
            self.step_den += 1
            if self.step_den % 50 == 0 or self.step_den == cfg.diffusion_steps:
                self._log({"stage": "diffusion", "step": self.step_den, "loss": loss.item(),
                           "sec": round(time.time() - t0, 1)})  # fmt: skip
            if self.step_den % cfg.save_every == 0:
                self.save()
            if self.step_den % (4 * cfg.save_every) == 0:
                self.export(self.run_dir / "snapshot.pt", {"snapshot": True})
            if on_step is not None:
                on_step(self.step_den)
        self.den.eval()
        self.save()


def drop_conditions(
    cond: CondBatch, rng: np.random.Generator, p_all: float, p_attr: float
) -> CondBatch:
    """Classifier-free dropout: all conditioning with ``p_all``, each attribute with ``p_attr``."""
    b = cond.style.shape[0]

    def drop(p: float) -> torch.Tensor:
        return torch.from_numpy(rng.random(b) < p)

    cond = cond.nulled(drop(p_all))
    keep = {
        name: ~drop(p_attr)
        for name in ("style", "mode", "meter", "bpm", "programs", "stems", "text")
    }
    return CondBatch(
        style=cond.style * keep["style"],
        mode=cond.mode * keep["mode"],
        meter=cond.meter * keep["meter"],
        bpm=cond.bpm * keep["bpm"],
        programs=torch.where(keep["programs"][:, None], cond.programs, 128),
        stems=torch.where(keep["stems"], cond.stems, 16),
        text=cond.text * keep["text"][:, None],
        text_on=cond.text_on * keep["text"],
    )


def sample_inpaint_masks(
    rng: np.random.Generator,
    b: int,
    frames: int,
    frames_per_bar: np.ndarray,
    real_frames: np.ndarray,
    ae: Autoencoder,
) -> torch.Tensor:
    """Known-region masks (B, C, F), 1 = kept. Mix: 40% none, 25% keep a random stem set,
    20% keep chords + bass, 15% repaint a bar range (keep all stems elsewhere)."""
    c = ae.latent_channels
    mask = np.zeros((b, c, frames), np.float32)
    for i in range(b):
        u = rng.random()
        real = int(real_frames[i])
        if u < 0.40:
            continue
        if u < 0.85:
            if u < 0.65:
                keep = [s for s in STEMS if rng.random() < 0.5]
                if not keep or len(keep) == len(STEMS):
                    keep = [STEMS[int(rng.integers(len(STEMS)))]]
            else:
                keep = ["chords", "bass"]
            for s in keep:
                mask[i, ae.stem_slice(s), :real] = 1.0
        else:
            fpb = int(frames_per_bar[i])
            bars = max(1, real // fpb)
            lo = int(rng.integers(bars))
            hi = int(rng.integers(lo, bars)) + 1
            mask[i, :, :real] = 1.0
            mask[i, :, lo * fpb : hi * fpb] = 0.0
    return torch.from_numpy(mask)


def run_training(
    corpus: Path,
    out: Path,
    *,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    run_dir: Path,
    max_windows: int | None = None,
) -> Path:
    """The whole recipe: encode the corpus, train the autoencoder, fit latent statistics,
    train diffusion, export the half-precision checkpoint and the copy guard into ``out``."""
    from models.dataset import load_training_arrays
    from models.guard import GUARD_FILE, CopyGuard
    from multitrack.corpus.store import iter_examples

    run_dir.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(model_cfg, train_cfg, run_dir)
    cache = run_dir / "train_arrays.npz"
    if trainer.rank == 0:
        data = load_training_arrays(corpus, "train", cache, model_cfg.key_frame)
    if trainer.world > 1:
        dist.barrier()  # rank 0 has written the cache; the others read it
    if trainer.rank != 0:
        data = load_training_arrays(corpus, "train", cache, model_cfg.key_frame)
    if max_windows is not None and len(data) > max_windows:
        data = _subset(data, max_windows)
    started = time.time()
    if trainer.step_ae < train_cfg.ae_steps:
        trainer.train_autoencoder(data)
    if trainer.step_den == 0 or not bool((trainer.ae.latent_std != 1).any()):
        trainer.fit_latent_stats(data)
        trainer.save()
    latents = trainer.encode_all(data)
    trainer.train_diffusion(data, latents)
    checkpoint = out / "multitrack.pt"
    if trainer.rank == 0:
        manifest = corpus / "manifest.json"
        meta = {
            "corpus": json.loads(manifest.read_text()) if manifest.exists() else {},
            "windows": len(data),
            "train_seconds": round(time.time() - started, 1),
            "world_size": trainer.world,
        }
        trainer.export(checkpoint, meta)
        guard = CopyGuard.build(ex.song for ex in iter_examples(corpus, "train"))
        guard.save(out / GUARD_FILE)
    if trainer.world > 1:
        dist.barrier()
    return checkpoint


def _subset(data: TrainingArrays, n: int) -> TrainingArrays:
    idx = np.random.default_rng(0).permutation(len(data))[:n]
    fields: dict[str, Any] = {k: (v[idx] if isinstance(v, np.ndarray) and k != "text" else v)
              for k, v in vars(data).items()}  # fmt: skip
    fields["caption_ids"] = [data.caption_ids[i] for i in idx]
    return TrainingArrays(**fields)
