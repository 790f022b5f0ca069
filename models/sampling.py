"""Sampling a batch of takes: the guided, seeded few-step denoising loop and its decoding.

The pipeline (``models.pipeline``) decides what to sample (the frame, the known latent and
its mask, the conditioning ``models.telling`` tells, the densities and grooves
``models.aims`` aims at); a ``Sampler`` draws ``k`` candidates from one seeded noise draw
with classifier-free guidance (and, under forced chords, extra guidance toward them), ties
the frames of returning sections, and reads each latent back as notes
(``models.decoding.decode_logits``).
"""

from __future__ import annotations

import time

import torch

from models import structure
from models.checkpoint import LoadedModel
from models.conditioning import CondBatch
from models.decoding import decode_logits
from models.grooves import DrumBook, RhythmBook
from models.precision import apply_precision, autocast
from models.request import CancelFn, Cancelled, GenerateRequest, ProgressFn
from models.schedule import DDIMScheduler, DPMSolverScheduler
from models.structure import share_noise, tie
from multitrack.harmony import span_pitch_classes
from multitrack.song import ChordSpan, Song

# Samplers over the same schedule (models.schedule). DPM-Solver++(2M) lands as close to a
# 500-step DDIM in 10 steps (max error 0.046 on a Gaussian) as DDIM does in 40 (0.073 at 20).
SAMPLERS: dict[str, type[DDIMScheduler]] = {"ddim": DDIMScheduler, "dpm": DPMSolverScheduler}
DEFAULT_SAMPLER = "dpm"
# Extra guidance toward a forced progression (``Sampler.sample``): a third denoiser pass
# under forced chords only. Measured in bench/chord_edits.py (docs/model.md).
CHORD_GUIDANCE = 2.0
# ... on the drums' latent channels too. Off, a chord edit's drums kept closer to their
# source's (a reggae take's kick, snare and hats came back as toms and a ride with it on),
# but the harmony followed less: tuning seeds (`bench/chord_edits.py --n 340 --seed 20000`),
# on -> off, recogniser 0.934 -> 0.927, chroma 0.939 -> 0.934, new melodies' chord-tone fit
# over the windows' +0.025 -> +0.018, drum bars in their source's patterns 0.473 -> 0.495
# (session 26). Kept on; the source's drum patterns (``models.aims.SOURCE_DRUMS``) keep the
# groove instead.
CHORD_GUIDANCE_DRUMS = True
# A chord edit's drums are led by its source's (``Sampler.sample``'s ``lead``): held as known
# while the timestep is above this (999 and 874 of 8 steps), so the band is written over the
# source's groove, then noised to that level and sampled on. Session 26, tuning seeds
# (`bench/chord_edits.py --n 340 --seed 20000`, with the source's drum patterns), no lead ->
# 750 / 500: drum bars in one of their source's patterns 0.729 -> 0.942 / 0.994, styles'
# drums within 20% of their windows 0.645 -> 0.710 / 0.677, recogniser 0.934 -> 0.924 /
# 0.927, chroma 0.939 -> 0.938 / 0.936, styles within 20% comping 0.824 -> 0.794 / 0.794,
# bass 0.853 -> 0.853 / 0.882. 1000 (the schedule's length): no lead.
LEAD_RELEASE = 750
# The same for the feel track (``models.tracks.FEEL_ROWS``), on a model that has it and is
# told it (``models.telling.Telling.asks_feel``): 0 no third pass.
FEEL_GUIDANCE = 0.0

Grooves = tuple[RhythmBook | None, RhythmBook | None]  # the comping's and the bass's


class Sampler:
    """A loaded model's denoiser (at ``precision``), autoencoder and ``sampler`` schedule."""

    def __init__(self, model: LoadedModel, sampler: str, precision: str) -> None:
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; samplers: {', '.join(SAMPLERS)}")
        self.ae = model.autoencoder
        # the denoiser to sample with (int8: a quantised copy) and the precision it runs at
        self.den, self.precision = apply_precision(model.denoiser, precision)
        self.scheduler = SAMPLERS[sampler](model.config.diffusion.train_timesteps)
        self.key_frame = model.config.key_frame
        self.priors = model.priors
        self.chord_guidance = CHORD_GUIDANCE
        self.feel_guidance = FEEL_GUIDANCE

    @property
    def tied_above(self) -> int:
        """The timestep down to which tied sections share their predictions: a model with a
        pitch reader ties its returns further (``models.structure``)."""
        reader = self.ae.pitch_reader is not None
        return structure.READER_TIED_ABOVE if reader else structure.TIED_ABOVE

    def sample(
        self,
        request: GenerateRequest,
        frame: Song,
        known: torch.Tensor,
        mask: torch.Tensor,
        cond: CondBatch,
        seed: int,
        ties: list[list[torch.Tensor]],
        progress: ProgressFn | None,
        cancelled: CancelFn | None,
        timings: dict[str, float],
        k: int,
        comping: float | None = None,
        bass: float | None = None,
        phrases: bool = False,
        spans: tuple[ChordSpan, ...] | None = None,
        grooves: Grooves = (None, None),
        feel: bool = False,
        drums: DrumBook | None = None,
        lead: torch.Tensor | None = None,
    ) -> list[Song]:
        """``k`` songs sampled together from one seeded noise draw; frames in one of
        ``ties`` are sampled as one (models.structure); ``comping``, ``bass``: the chords
        stem's strikes and the bass's notes a bar to decode to (``decode_logits``,
        ``BandAims.density``); ``spans`` a forced progression, pushed toward by
        ``chord_guidance`` and decoded against; ``grooves``: the comping's and the bass's
        the decoder reads them in (``BandAims.grooves``); ``feel``: the feel track is told,
        pushed toward by ``feel_guidance``; ``drums``: the drum bar patterns an edit plays
        on from (``BandAims.drums``); ``lead`` (1, C, F): latent cells held at ``known`` down
        to ``LEAD_RELEASE``, then noised to that level and sampled free (a chord edit's
        drums, ``models.pipeline.DRUM_LEAD``)."""
        t0 = time.perf_counter()
        comp = self.ae.cfg.compression
        c, frames = known.shape[1], known.shape[2]
        null = cond.nulled(torch.tensor([True]))
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(k, c, frames, generator=gen)
        if phrases:
            x = structure.phrase_noise(x, frame.meter.steps_per_bar // comp)
        x = share_noise(x, ties)
        # under a forced progression, a third pass without it: v_cond - v_unforced is the
        # direction toward the chords, pushed by ``chord_guidance`` on top of the prompt's
        gc = self.chord_guidance if spans is not None else 0.0
        passes = [cond, null] + ([cond.without_chords()] if gc else [])
        # with the feel track asked for, a pass without it: pushed by ``feel_guidance``
        gf = self.feel_guidance if feel else 0.0
        if gf:
            passes.append(cond.without_feel())
        m = len(passes)
        # the chord guidance pushes the stems that sound the chords; the drums, none
        harmonic = torch.ones(1, c, 1)
        if not CHORD_GUIDANCE_DRUMS:
            harmonic[:, self.ae.stem_slice("drums")] = 0.0
        both = CondBatch.cat([p for p in passes for _ in range(k)])
        fpb_t = torch.tensor([frame.meter.steps_per_bar // comp] * m * k)
        known = known.expand(k, -1, -1)
        mask = mask.expand(k, -1, -1)
        held = mask if lead is None else torch.maximum(mask, lead.expand_as(mask))
        self.scheduler.set_timesteps(request.steps)
        n = len(self.scheduler.timesteps)
        g = request.guidance
        for i, t in enumerate(self.scheduler.timesteps.tolist()):
            if cancelled is not None and cancelled():
                raise Cancelled("cancelled")
            if held is not mask and t <= LEAD_RELEASE:
                # the lead lets go: its cells start from the known latent noised to here
                noise = torch.randn(known.shape, generator=gen)
                noised = self.scheduler.add_noise(known, noise, torch.full((k,), t))
                x = torch.where((held > 0) & (mask == 0), noised, x)
                held = mask
            x = held * known + (1 - held) * x
            with autocast(self.precision.used):
                vs = self.den(torch.cat([x] * m), torch.full((m * k,), t), both,
                              known=torch.cat([known] * m), mask=torch.cat([held] * m),
                              frames_per_bar=fpb_t).float().split(k)  # fmt: skip
            v = vs[1] + g * (vs[0] - vs[1])
            if gc:
                v = v + gc * harmonic * (vs[0] - vs[2])
            if gf:
                v = v + gf * (vs[0] - vs[-1])
            if t > self.tied_above:
                v = tie(v, ties)
            x, _ = self.scheduler.step(v, t, x)
            if progress is not None:
                progress(0.1 + 0.7 * (i + 1) / n, "sampling")
        x = mask * known + (1 - mask) * x
        timings["sampling"] = timings.get("sampling", 0.0) + time.perf_counter() - t0
        t1 = time.perf_counter()
        with autocast(self.precision.used):
            decoded = {s: v.float() for s, v in self.ae.decode(x).items()}
        typed = None if spans is None else span_pitch_classes(spans, frame.steps)
        songs = [
            decode_logits(
                {s: v[i].numpy() for s, v in decoded.items()},
                frame,
                key_frame=self.key_frame,
                priors=self.priors,
                comping=comping,
                bass=bass,
                pitch_reader=self.ae.pitch_reader is not None,
                forced=typed,
                rhythms=grooves[0],
                bass_rhythms=grooves[1],
                drums=drums,
            )
            for i in range(k)
        ]
        timings["decode"] = timings.get("decode", 0.0) + time.perf_counter() - t1
        return songs
