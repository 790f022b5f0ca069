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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from models.augment import drop_conditions, sample_inpaint_masks
from models.autoencoder import READER_PREFIX, as_pitch_reader, reconstruction_loss
from models.checkpoint import CheckpointError, build, save_checkpoint
from models.config import ModelConfig
from models.dataset import MAX_STEPS, TrainingArrays, batch_cond, batch_rolls
from models.schedule import add_noise, cosine_alpha_bar, v_target
from multitrack.atomic import atomic_file
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
    # The same for styles, multiplied in: count(s) ** -style_balance. The corpus gives celtic
    # 12,360 windows and pop 3,197; bare "<style> in <key>" takes comp alike whatever the style
    # (docs/model.md, "Session 17").
    style_balance: float = 0.0
    # Share of diffusion steps drawn from the long windows (16 and 32 bars), when there are.
    long_share: float = 0.3
    # Decoder tuning (before diffusion): the encoders (so the latents) stay as they are, the
    # decoders learn to read latents perturbed by Gaussian noise of up to ``decoder_noise``
    # latent standard deviations, the size of the denoiser's own errors (bench/melody_probe.py).
    decoder_steps: int = 0
    decoder_noise: float = 0.8
    lr_decoder: float = 3e-4
    # Weight of the melody's latent channels in the diffusion loss (1 = every channel alike).
    # The melody's pitch content is what tells takes from the corpus (docs/model.md), and its
    # 8 channels are a quarter of the latent; a weight w gives them w / (w + 3) of the loss.
    melody_weight: float = 1.0
    # Learning rate of the denoiser layers the checkpoint training starts from lacks
    # (``init_from``; ``Trainer.new_layers``), as a multiple of ``lr_diffusion``: the phrase
    # mix at the base rate hardly left its start in 4,500 steps (docs/model.md, session 11).
    new_layer_lr: float = 1.0
    # Fine-tuning on a producer's library (``models.recipe.run_training``'s ``replay``):
    # share of diffusion steps drawn from a sample of the base corpus's windows instead, so
    # the styles the library lacks are rehearsed, not forgotten.
    replay_share: float = 0.0


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


def mode_weights(
    modes: np.ndarray, balance: float, *others: tuple[np.ndarray, float]
) -> np.ndarray:
    """Sampling probabilities of windows: each window of mode m gets count(m) ** -balance,
    times count(k) ** -b for each further (keys, b) of ``others`` (styles), normalised (see
    ``TrainConfig.mode_balance``, ``style_balance``)."""
    weights = np.ones(len(modes), np.float64)
    for keys, b in ((modes, balance), *others):
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        weights *= counts.astype(np.float64)[inverse] ** -b
    return weights / weights.sum()


def _new_layer(name: str) -> bool:
    """A denoiser parameter a checkpoint may lack: layers added since, which start at zero
    (the tracks of 0.4, the feel's adaptive-norm input, the local mix of ``local_kernel``,
    the phrase mix of ``phrase_bars``)."""
    return name.startswith(("track_", "feel_")) or ".local." in name or ".phrase." in name


def weighted_mean(
    err: torch.Tensor, weight: torch.Tensor, channel_weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of ``err`` (B, C, F), already multiplied by ``weight`` (1 on the frames the loss
    counts), with each channel counted ``channel_weight`` (1, C, 1) times."""
    if channel_weight is None:
        return err.sum() / weight.sum().clamp(min=1)
    return (err * channel_weight).sum() / (weight * channel_weight).sum().clamp(min=1)


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
        self.new_layers: tuple[str, ...] = ()  # denoiser parameters ``init_from`` lacked
        self.opt_den = self._den_optimiser()
        self.step_ae = self.step_den = self.step_dec = 0
        self.opt_dec = torch.optim.AdamW(
            [p for s in STEMS for p in self.ae.decoders[s].parameters()], lr=train_cfg.lr_decoder
        )
        self.rng = np.random.default_rng(train_cfg.seed * 1000 + self.rank)
        self.state_path = run_dir / "state.pt"
        self.initialised = False  # networks taken from a checkpoint (``init_from``)
        if self.state_path.exists():
            self._resume()

    def _den_optimiser(self) -> torch.optim.AdamW:
        """The denoiser's optimiser: the layers ``init_from``'s checkpoint lacked
        (``new_layers``) in a group of their own, at ``new_layer_lr`` times the rate (the
        group exists whenever they do, so a resumed state always fits)."""
        named = list(self.den.named_parameters())
        groups: list[dict[str, Any]] = [
            {"params": [p for n, p in named if n not in self.new_layers], "scale": 1.0}
        ]
        if self.new_layers:
            groups.append({"params": [p for n, p in named if n in self.new_layers],
                           "scale": self.cfg.new_layer_lr})  # fmt: skip
        return torch.optim.AdamW(groups, lr=self.cfg.lr_diffusion)

    def init_from(self, path: Path) -> None:
        """Start from a checkpoint's autoencoder (with its latent statistics) and denoiser;
        denoiser layers the checkpoint lacks (``_new_layer``) keep their initial values, which
        leave the network's output as it was. The autoencoder is not trained
        again."""
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            ae = {k: v.float() for k, v in payload["autoencoder"].items()}
            den = {k: v.float() for k, v in payload["denoiser"].items()}
        except Exception as exc:  # not a checkpoint at all: the user's error, said in a line
            raise CheckpointError(
                f"--init-from {path} is not a Multitrack checkpoint ({type(exc).__name__})"
            ) from None
        if self.ae.pitch_reader is not None and not any(k.startswith(READER_PREFIX) for k in ae):
            # a checkpoint saved without a pitch reader: its melody decoder reads the pitches
            ae.update(as_pitch_reader(ae))
        if self.ae.pitch_reader is None:
            ae = {k: v for k, v in ae.items() if not k.startswith(READER_PREFIX)}
        try:
            self.ae.load_state_dict(ae)
            missing, unexpected = self.den.load_state_dict(den, strict=False)
        except RuntimeError:  # a tensor of another shape: a model of another size
            missing, unexpected = [], ["(tensor shapes)"]
        if unexpected or any(not _new_layer(k) for k in missing):
            wrong = ", ".join((unexpected or [k for k in missing if not _new_layer(k)])[:3])
            raise CheckpointError(
                f"--init-from {path} does not fit the model being trained ({wrong}): train "
                "with the size it was trained at (no --tiny for the shipped model)"
            )
        self.step_ae = self.cfg.ae_steps
        self.initialised = True
        self.new_layers = tuple(missing)
        self.opt_den = self._den_optimiser()
        if self.rank == 0:
            log.info("initialised from %s (new layers: %s)", path, ", ".join(missing))

    # -- state ------------------------------------------------------------------------
    def _resume(self) -> None:
        state = torch.load(self.state_path, map_location="cpu", weights_only=True)
        self.ae.load_state_dict(state["autoencoder"])
        self.den.load_state_dict(state["denoiser"])
        self.opt_ae.load_state_dict(state["opt_ae"])
        self.new_layers = tuple(state.get("new_layers", ()))
        self.opt_den = self._den_optimiser()
        self.opt_den.load_state_dict(state["opt_den"])
        self.step_ae, self.step_den = int(state["step_ae"]), int(state["step_den"])
        self.initialised = bool(state.get("initialised", False))
        self.step_dec = int(state.get("step_dec", 0))
        if "opt_dec" in state:
            self.opt_dec.load_state_dict(state["opt_dec"])
        if self.rank == 0:
            log.info("resumed at ae step %d, diffusion step %d", self.step_ae, self.step_den)

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
            "initialised": self.initialised,
            "new_layers": list(self.new_layers),
            "step_dec": self.step_dec,
            "opt_dec": self.opt_dec.state_dict(),
        }
        with atomic_file(self.state_path) as handle:
            torch.save(state, handle)

    def export(
        self, path: Path, meta: dict[str, Any], priors: dict[str, np.ndarray] | None = None
    ) -> None:
        if self.rank == 0:
            meta = {**meta, "ae_steps": self.step_ae, "diffusion_steps": self.step_den,
                    "train_config": asdict(self.cfg)}  # fmt: skip
            save_checkpoint(
                path, self.model_cfg, self.ae, self.den, meta=meta, half=True, priors=priors
            )

    def _log(self, record: dict[str, Any]) -> None:
        if self.rank == 0:
            with open(self.run_dir / "log.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            log.info("%s", " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                       for k, v in record.items()))  # fmt: skip

    def _crops(self, data: TrainingArrays) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """A batch of autoencoder crops {stem: (B, C, AE_CROP)} and their step mask (B,
        AE_CROP). The autoencoder is convolutional: it trains on 4-bar crops (a quarter of
        the cost), starting on a bar line of 4/4 so the stride phase matches inference."""
        idx = self.rng.integers(len(data), size=self.cfg.ae_batch)
        start = 16 * int(self.rng.integers(0, (data.width - AE_CROP) // 16 + 1))
        rolls = {
            k: v[:, :, start : start + AE_CROP]
            for k, v in batch_rolls(data, idx, data.width).items()
        }
        return rolls, step_mask(data, idx, data.width)[:, start : start + AE_CROP]

    # -- stage 1: autoencoder ---------------------------------------------------------
    def train_autoencoder(
        self, data: TrainingArrays, on_step: Callable[[int], None] | None = None
    ) -> None:
        ae = _wrap(self.ae, self.world)
        self.ae.train()
        cfg = self.cfg
        t0 = time.time()
        while self.step_ae < cfg.ae_steps:
            rolls, mask = self._crops(data)
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
        if not self.initialised and self.step_dec == 0:
            self.ae.keep_pitch_reader()  # the melody decoder as trained, before any tuning
        self.ae.eval()
        self.save()

    @torch.no_grad()
    def fit_latent_stats(self, data: TrainingArrays, *, windows: int = 4096) -> None:
        """Per-channel mean and std of latents over real frames, so diffusion sees unit scale."""
        idx = np.random.default_rng(0).permutation(len(data))[:windows]
        zs = []
        for i in range(0, len(idx), 256):
            part = idx[i : i + 256]
            z = self.ae.encode_raw(batch_rolls(data, part, data.width))  # (B, C, F)
            fmask = step_mask(data, part, data.width)[:, :: self.ae.cfg.compression] > 0
            zs.append(z.permute(0, 2, 1)[fmask])
        allz = torch.cat(zs)
        self.ae.latent_mean.copy_(allz.mean(0))
        self.ae.latent_std.copy_(allz.std(0).clamp(min=1e-3))

    @torch.no_grad()
    def encode_all(self, data: TrainingArrays) -> torch.Tensor:
        out = []
        for i in range(0, len(data), 256):
            idx = np.arange(i, min(i + 256, len(data)))
            out.append(self.ae.encode(batch_rolls(data, idx, data.width)))
        return torch.cat(out)  # (N, C, F)

    def train_decoders(self, data: TrainingArrays) -> None:
        """Tune the decoders on noisy latents of frozen encoders (``TrainConfig.decoder_*``):
        a latent a little off the encoder's now decodes to the nearest plausible part
        rather than to pitches scattered by the error."""
        self.ae.train()
        cfg = self.cfg
        t0 = time.time()
        std = self.ae.latent_std[None, :, None]
        while self.step_dec < cfg.decoder_steps:
            rolls, mask = self._crops(data)
            with torch.no_grad():
                z = self.ae.encode_raw(rolls)
            sigma = torch.from_numpy(self.rng.random(cfg.ae_batch).astype(np.float32))
            noise = torch.from_numpy(self.rng.standard_normal(z.shape).astype(np.float32))
            z = z + cfg.decoder_noise * sigma[:, None, None] * std * noise
            for g in self.opt_dec.param_groups:
                g["lr"] = _lr(self.step_dec, cfg.decoder_steps, cfg.lr_decoder, warmup=50)
            with _autocast(cfg.bf16):
                logits = self.ae.decode_raw(z)
                losses = reconstruction_loss({k: v.float() for k, v in logits.items()}, rolls, mask)
                loss = torch.stack(list(losses.values())).sum()
            self.opt_dec.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_dec.step()
            self.step_dec += 1
            if self.step_dec % 50 == 0 or self.step_dec == cfg.decoder_steps:
                self._log({"stage": "decoder", "step": self.step_dec, "loss": loss.item(),
                           **{k: v.item() for k, v in losses.items()},
                           "sec": round(time.time() - t0, 1)})  # fmt: skip
            if self.step_dec % cfg.save_every == 0:
                self.save()
                self.export(self.run_dir / "snapshot.pt", {"snapshot": True})
        self.ae.eval()
        self.save()

    def take_decoders(self, path: Path) -> None:
        """Load the stem decoders of ``path``, whose encoders must be this run's."""
        payload = torch.load(path, map_location="cpu", weights_only=True)
        theirs = {k: v.float() for k, v in payload["autoencoder"].items()}
        mine = self.ae.state_dict()
        if any(not torch.equal(mine[k], theirs[k]) for k in mine if k.startswith("encoders.")):
            raise ValueError(f"{path} has other encoders: its decoders read other latents")
        self.ae.load_state_dict({**mine, **{k: v for k, v in theirs.items()
                                            if k.startswith(("decoders.", READER_PREFIX)) and k in mine}})  # fmt: skip

    # -- stage 2: diffusion -----------------------------------------------------------
    def train_diffusion(
        self,
        sets: Sequence[tuple[TrainingArrays, torch.Tensor]],
        on_step: Callable[[int], None] | None = None,
        replay: tuple[TrainingArrays, torch.Tensor] | None = None,
    ) -> None:
        """Diffusion on frozen latents. ``sets`` are (arrays, latents (N, C, F)) of windows
        padded to different widths (short windows, long ones that carry whole forms); a step
        draws its batch from one set (the long set with ``long_share``), sized so every step
        holds about ``batch`` x ``MAX_STEPS`` grid steps. ``replay``: windows of the corpus a
        fine-tuned model learnt first, a step's batch with ``replay_share``."""
        den = _wrap(self.den, self.world)
        self.den.train()
        cfg, dcfg = self.cfg, self.model_cfg.diffusion
        alpha_bar = cosine_alpha_bar(dcfg.train_timesteps)
        comp = self.ae.cfg.compression
        t0 = time.time()
        every = [*sets, *([replay] if replay is not None else [])]
        weights = [
            np.cumsum(mode_weights(data.mode, cfg.mode_balance, (data.style, cfg.style_balance)))
            for data, _ in every
        ]
        channel_weight = torch.ones(1, sets[0][1].shape[1], 1)
        channel_weight[:, self.ae.stem_slice("melody")] = cfg.melody_weight
        while self.step_den < cfg.diffusion_steps:
            if replay is not None and self.rng.random() < cfg.replay_share:
                which = len(sets)  # the replayed windows' (the draw only when there are)
            else:
                which = 1 if len(sets) > 1 and self.rng.random() < cfg.long_share else 0
            data, latents = every[which]
            batch = max(1, cfg.batch * MAX_STEPS // data.width)
            if cfg.mode_balance or cfg.style_balance:
                cumulative = weights[which]
                pick = np.searchsorted(cumulative, self.rng.random(batch) * cumulative[-1])
                idx = np.minimum(pick, len(data) - 1)
            else:
                idx = self.rng.integers(len(data), size=batch)
            x0 = latents[idx]
            b, _, f = x0.shape
            fmask = step_mask(data, idx, data.width)[:, ::comp]  # (B, F)
            cond = drop_conditions(batch_cond(data, idx, self.rng), self.rng, dcfg,
                                   data.frames_per_bar[idx])  # fmt: skip
            known_mask = sample_inpaint_masks(self.rng, b, f, data.frames_per_bar[idx],
                                              data.steps[idx] // comp, self.ae)  # fmt: skip
            t = torch.from_numpy(self.rng.integers(dcfg.train_timesteps, size=b))
            noise = torch.from_numpy(self.rng.standard_normal(x0.shape).astype(np.float32))
            x_t = add_noise(x0, noise, t, alpha_bar)
            x_t = known_mask * x0 + (1 - known_mask) * x_t
            fpb = torch.from_numpy(data.frames_per_bar[idx].astype(np.int64))
            for g in self.opt_den.param_groups:
                g["lr"] = g.get("scale", 1.0) * _lr(
                    self.step_den, cfg.diffusion_steps, cfg.lr_diffusion
                )
            with _autocast(cfg.bf16):
                v = den(
                    x_t, t, cond, known=x0, mask=known_mask, frames_per_bar=fpb, frame_mask=fmask
                )
            target = v_target(x0, noise, t, alpha_bar)
            weight = (1 - known_mask) * fmask[:, None]
            err = F.mse_loss(v.float(), target, reduction="none") * weight
            loss = weighted_mean(err, weight, channel_weight)
            self.opt_den.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.den.parameters(), 1.0)
            self.opt_den.step()
            self.step_den += 1
            if self.step_den % 50 == 0 or self.step_den == cfg.diffusion_steps:
                per_stem = {  # each stem's own mean squared error, unweighted
                    s: weighted_mean(err[:, self.ae.stem_slice(s)],
                                     weight[:, self.ae.stem_slice(s)]).item()
                    for s in STEMS
                }  # fmt: skip
                self._log({"stage": "diffusion", "step": self.step_den, "loss": loss.item(),
                           **per_stem, "set": which, "sec": round(time.time() - t0, 1)})  # fmt: skip
            if self.step_den % cfg.save_every == 0:
                self.save()
            if self.step_den % (4 * cfg.save_every) == 0:
                self.export(self.run_dir / "snapshot.pt", {"snapshot": True})
            if on_step is not None:
                on_step(self.step_den)
        self.den.eval()
        self.save()
