"""Attributes -> the integer/float conditioning the denoiser reads.

Each attribute has a null value (index 0, or 128 for programs, 0 BPM, a zero text vector
with ``text_on`` 0): the null is what classifier-free guidance drops to and what a prompt
that does not say something is conditioned on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from models.tracks import CHORD_ROWS, FEEL_ROWS, TRACK_ROWS
from multitrack.song import STEMS
from multitrack.stems import NULL_STEMS as NULL_STEMS  # one index per subset of stems + unknown
from multitrack.stems import PROGRAM_STEMS
from multitrack.styles import STYLE_IDS, style_index

MODES: tuple[str, ...] = (
    "major",
    "minor",
    "dorian",
    "phrygian",
    "lydian",
    "mixolydian",
    "gong",
    "shang",
    "jue",
    "zhi",
    "yu",
)
METERS: tuple[str, ...] = ("4/4", "3/4", "2/4", "6/8")
NULL_PROGRAM = 128
N_STYLES = len(STYLE_IDS) + 1
N_MODES = len(MODES) + 1
N_METERS = len(METERS) + 1


def mode_index(mode: str | None) -> int:
    return 0 if mode is None else MODES.index(mode) + 1


def meter_index(meter: str | None) -> int:
    return 0 if meter is None else METERS.index(meter) + 1


def stems_index(stems: Sequence[str] | None) -> int:
    """Bit mask of the playing stems (melody = bit 0 ... drums = bit 3); None -> null."""
    if stems is None:
        return NULL_STEMS
    return sum(1 << STEMS.index(s) for s in stems)


@dataclass(frozen=True)
class Condition:
    """One example's conditioning, numpy/python side."""

    style: str | None = None
    mode: str | None = None
    meter: str | None = None
    bpm: float | None = None
    programs: tuple[int | None, ...] = (None,) * len(PROGRAM_STEMS)
    stems: tuple[str, ...] | None = None
    text: np.ndarray | None = None  # (512,) float32 sentence embedding
    tracks: np.ndarray | None = None  # (8, F) int models.tracks rows; None = all unknown


@dataclass
class CondBatch:
    """A batch of conditioning tensors, each (B,) unless noted."""

    style: torch.Tensor
    mode: torch.Tensor
    meter: torch.Tensor
    bpm: torch.Tensor  # float, 0 = unknown
    programs: torch.Tensor  # (B, 3)
    stems: torch.Tensor
    text: torch.Tensor  # (B, 512)
    text_on: torch.Tensor  # float 0/1
    tracks: torch.Tensor  # (B, 8, F) long, models.tracks rows, 0 = unknown

    def nulled(self, drop: torch.Tensor) -> CondBatch:
        """Replace rows where ``drop`` (B,) is True by the null condition."""
        keep = ~drop
        return CondBatch(
            style=self.style * keep,
            mode=self.mode * keep,
            meter=self.meter * keep,
            bpm=self.bpm * keep,
            programs=torch.where(keep[:, None], self.programs, NULL_PROGRAM),
            stems=torch.where(keep, self.stems, NULL_STEMS),
            text=self.text * keep[:, None],
            text_on=self.text_on * keep,
            tracks=self.tracks * keep[:, None, None],
        )

    def without_chords(self) -> CondBatch:
        """This batch with its chord track unknown (the section track and the prompt stay)."""
        tracks = self.tracks.clone()
        tracks[:, CHORD_ROWS] = 0
        return replace(self, tracks=tracks)

    def without_feel(self) -> CondBatch:
        """This batch with its feel track unknown (the chords, sections and prompt stay)."""
        tracks = self.tracks.clone()
        tracks[:, FEEL_ROWS] = 0
        return replace(self, tracks=tracks)

    @staticmethod
    def cat(batches: Sequence[CondBatch]) -> CondBatch:
        return CondBatch(*(torch.cat([getattr(b, f) for b in batches]) for f in _FIELDS))


_FIELDS = ("style", "mode", "meter", "bpm", "programs", "stems", "text", "text_on", "tracks")


def known_programs(
    programs: Sequence[int | None], seen: Mapping[str, Sequence[int]] | None
) -> tuple[int | None, ...]:
    """The program tokens to condition on: each of ``PROGRAM_STEMS``' programs as asked when
    the training corpus had that stem play it (``seen``, the checkpoint's ``programs_seen``),
    else the nearest such program of its General MIDI family (the eight programs from
    ``8 * (p // 8)``), else None (the null token). A program the network never saw has an
    embedding training never moved from its random start: guofeng's default chords program,
    104 Sitar, made 18 of 20 guofeng takes play drums where 2 of 20 windows do. The take
    still sounds the asked program; only the conditioning changes. Without ``seen`` (a
    checkpoint saved before it was recorded) the programs are taken as asked."""
    if seen is None:
        return tuple(programs)
    out: list[int | None] = []
    for stem, program in zip(PROGRAM_STEMS, programs, strict=True):
        known = seen.get(stem, ())
        if program is None or program in known:
            out.append(program)
            continue
        family = [q for q in known if q // 8 == program // 8]
        out.append(min(family, key=lambda q: (abs(q - program), q)) if family else None)
    return tuple(out)


def collate(conds: Sequence[Condition], *, text_dim: int = 512, frames: int = 1) -> CondBatch:
    """Stack python-side conditions into tensors; tracks are padded or cut to ``frames``
    (the longest given track when longer)."""
    frames = max([frames, *(c.tracks.shape[1] for c in conds if c.tracks is not None)])
    tracks = np.zeros((len(conds), len(TRACK_ROWS), frames), np.int64)
    for i, c in enumerate(conds):
        if c.tracks is not None:
            tracks[i, :, : c.tracks.shape[1]] = c.tracks
    text = np.zeros((len(conds), text_dim), np.float32)
    text_on = np.zeros(len(conds), np.float32)
    for i, c in enumerate(conds):
        if c.text is not None:
            text[i] = c.text
            text_on[i] = 1.0
    return CondBatch(
        style=torch.tensor([style_index(c.style) for c in conds], dtype=torch.long),
        mode=torch.tensor([mode_index(c.mode) for c in conds], dtype=torch.long),
        meter=torch.tensor([meter_index(c.meter) for c in conds], dtype=torch.long),
        bpm=torch.tensor([c.bpm or 0.0 for c in conds], dtype=torch.float32),
        programs=torch.tensor(
            [[NULL_PROGRAM if p is None else p for p in c.programs] for c in conds],
            dtype=torch.long,
        ),
        stems=torch.tensor([stems_index(c.stems) for c in conds], dtype=torch.long),
        text=torch.from_numpy(text),
        text_on=torch.from_numpy(text_on),
        tracks=torch.from_numpy(tracks),
    )
