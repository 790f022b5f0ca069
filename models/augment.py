"""Training-time augmentation of diffusion batches: classifier-free dropout of the
conditioning (attributes, text, chord, section and feel tracks) and the inpainting masks that
teach the denoiser to keep stems and bars."""

from __future__ import annotations

import numpy as np
import torch

from models.autoencoder import Autoencoder
from models.conditioning import CondBatch
from models.config import DiffusionConfig
from models.tracks import CHORD_ROWS, FEEL_ROWS, SECTION_ROWS
from multitrack.song import STEMS


def drop_conditions(
    cond: CondBatch,
    rng: np.random.Generator,
    dcfg: DiffusionConfig,
    frames_per_bar: np.ndarray | None = None,
) -> CondBatch:
    """Classifier-free dropout: all conditioning with ``cond_dropout``, each attribute with
    ``attr_dropout``; the chord track whole with ``chord_dropout`` (else, in a
    ``chord_bar_dropout`` share of examples, each bar alone with one chance in two, so a
    progression given for some bars only is a case the model knows), the section track with
    ``section_dropout``, each feel row alone with ``feel_dropout``."""
    b = cond.style.shape[0]

    def drop(p: float) -> torch.Tensor:
        return torch.from_numpy(rng.random(b) < p)

    cond = cond.nulled(drop(dcfg.cond_dropout))
    keep = {
        name: ~drop(dcfg.attr_dropout)
        for name in ("style", "mode", "meter", "bpm", "programs", "stems", "text")
    }
    tracks = cond.tracks.clone()
    frames = tracks.shape[2]
    chord_off = drop(dcfg.chord_dropout)
    tracks[:, CHORD_ROWS] *= ~chord_off[:, None, None]
    bars_off = drop(dcfg.chord_bar_dropout) & ~chord_off
    for i in torch.nonzero(bars_off).flatten().tolist():
        fpb = int(frames_per_bar[i]) if frames_per_bar is not None else 4
        per_bar = torch.from_numpy(rng.random(-(-frames // fpb)) < 0.5)
        tracks[i, CHORD_ROWS] *= ~per_bar.repeat_interleave(fpb)[:frames]
    tracks[:, SECTION_ROWS] *= ~drop(dcfg.section_dropout)[:, None, None]
    for row in range(FEEL_ROWS.start, min(FEEL_ROWS.stop, tracks.shape[1])):
        tracks[:, row] *= ~drop(dcfg.feel_dropout)[:, None]
    return CondBatch(
        style=cond.style * keep["style"],
        mode=cond.mode * keep["mode"],
        meter=cond.meter * keep["meter"],
        bpm=cond.bpm * keep["bpm"],
        programs=torch.where(keep["programs"][:, None], cond.programs, 128),
        stems=torch.where(keep["stems"], cond.stems, 16),
        text=cond.text * keep["text"][:, None],
        text_on=cond.text_on * keep["text"],
        tracks=tracks,
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
