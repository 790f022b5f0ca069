"""The generation pipeline: prompt -> attributes -> latent sampling -> Song.

The only place that sees everything (diffusers' pipeline): it parses the prompt, builds the
song frame (tempo, meter, key, bars, programs) from the attributes, prepares the known
latent and mask for editing, runs the guided DDIM loop, decodes, and splices kept material
back note for note.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.checkpoint import LoadedModel, load_checkpoint
from models.conditioning import CondBatch, Condition, collate
from models.guard import CopyGuard
from models.representation import all_channels, decode_logits, song_to_arrays
from models.request import Cancelled, GenerateRequest, RequestError
from models.schedule import DDIMScheduler
from models.text import (
    PromptAttributes,
    apply_overrides,
    default_bpm,
    embed_prompt,
    parse_prompt,
)
from multitrack.chords import parse_progression
from multitrack.keyfinding import key_of_histogram, scale_fit
from multitrack.metrics import chord_tone_ratio, key_metrics, progression_histogram
from multitrack.recognise import recognise_song
from multitrack.song import DEFAULT_PROGRAMS, STEMS, ChordSpan, Meter, Note, Song, Stem
from multitrack.theory import Key
from multitrack.voicing import voice_progression

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]
DEFAULT_BARS = 8
MAX_RESAMPLES = 4
# Candidates sampled in one batch per request; the best by ``candidate_rank`` is kept
# (best-of-k reranking, see docs/model.md). On the 3,000-step snapshot of v0.2 (68 prompts)
# 8 against 4 raised key agreement 0.91 -> 0.94 and the melody's chord-tone ratio
# 0.55 -> 0.62; 8 bars took 0.63 / 0.79 / 1.07 s with 4 / 6 / 8 (bench/generate_speed.py's
# setting), so 6 keeps a take under a second. Sampling time grows with candidates x bars,
# so long songs get fewer: at most ``CANDIDATE_BARS`` in all (4 at 32 bars, 2 at 64).
CANDIDATES = 6
CANDIDATE_BARS = 128


@dataclass
class Generation:
    """A generated song, the attributes it was made from, and how it was made."""

    song: Song
    attributes: dict[str, Any]
    seed: int
    resamples: int = 0
    timings: dict[str, float] = field(default_factory=dict)


MINOR_MOODS = frozenset(
    {"sad", "dark", "tense", "mysterious", "lonely", "angry", "nostalgic", "solemn"}
)
_MAJOR_TONICS = ("C", "G", "D", "F", "Bb", "Eb", "A", "E")
_MINOR_TONICS = ("A", "E", "D", "B", "G", "C", "F#", "F")


def default_key(attrs: PromptAttributes, seed: int) -> str:
    """A key for a prompt that names none: minor for dark moods, a pentatonic mode for
    guofeng, major otherwise; the tonic drawn from common keys by the request's seed."""
    rng = np.random.default_rng(seed)
    if attrs.style == "guofeng":
        return f"{_MAJOR_TONICS[int(rng.integers(5))]} {('gong', 'zhi', 'yu', 'shang')[int(rng.integers(4))]}"
    if attrs.mood in MINOR_MOODS:
        return f"{_MINOR_TONICS[int(rng.integers(len(_MINOR_TONICS)))]} minor"
    return f"{_MAJOR_TONICS[int(rng.integers(len(_MAJOR_TONICS)))]} major"


def song_frame(attrs: PromptAttributes, request: GenerateRequest) -> Song:
    """The empty song the sampler fills: length, tempo, meter, key, programs, style."""
    if request.source is not None:
        src = request.source
        return replace(src, stems={s: Stem(s, (), src.stems[s].program) for s in STEMS})
    meter = Meter.parse(attrs.meter) if attrs.meter else Meter()
    programs = {**DEFAULT_PROGRAMS, **attrs.programs}
    return Song(
        bars=attrs.bars or DEFAULT_BARS,
        tempo=float(attrs.bpm or default_bpm(attrs.style)),
        meter=meter,
        key=str(Key.parse(attrs.key or default_key(attrs, request.seed))),
        stems={s: Stem(s, (), programs[s]) for s in STEMS},
        style=attrs.style,
    )


# A forced progression with less than this share of its pitch classes in the asked key's
# scale moves the take into the progression's own key (see ``chords_key``).
CHORDS_IN_KEY = 0.85


def chords_key(spans: tuple[ChordSpan, ...], asked: str) -> str:
    """The key a take with forced chords is made in: the asked one while the progression
    sits in its scale ("Am F C G" in G major: 92% of the chord tones), else the key the
    progression itself sounds in ("Am F C G" asked in Bb major: 75% -> C major). The model
    writes scale degrees of its key; a melody in Bb over C-major chords cannot fit them."""
    hist = progression_histogram(spans)
    found = key_of_histogram(hist)
    fit = scale_fit(hist, Key.parse(asked))
    if found is None or fit >= CHORDS_IN_KEY:
        return asked
    own = Key(found.tonic, found.mode)
    return str(own) if scale_fit(hist, own) > fit else asked


def harmonic_fit(song: Song, spans: tuple[ChordSpan, ...] | None) -> float:
    """How well the melody sits on the harmony: the chord-tone ratio of melody notes on
    strong beats, against forced chord symbols when there are some, else against the
    song's own chords and bass. Songs without a melody or harmony score 0."""
    value = chord_tone_ratio(song, spans=spans)
    return -1.0 if value is None else float(value)


def candidate_rank(song: Song, spans: tuple[ChordSpan, ...] | None) -> tuple[bool, float]:
    """Best-of-k order: a candidate that sounds in its asked key (the key-profile analysis of
    ``multitrack.metrics`` names it, or the relative pair of a modal key) beats one that does
    not; among equals, the better ``harmonic_fit`` wins. The tonic is exact by construction
    in the model's key-normalised frame, but the major/minor colour is sampled, and minor is
    the corpus's minority (6% of held-out windows): without this, a quarter of minor requests
    came back sounding in the dominant minor or the relative major. Under forced chords the
    progression already fixes the key, and the fit to it alone decides."""
    if spans is not None:
        return True, harmonic_fit(song, spans)
    agrees = bool(key_metrics(song, asked_key=song.key)["key_agrees"])
    return agrees, harmonic_fit(song, spans)


class Pipeline:
    """A loaded model ready to generate. Thread-compatible: one call at a time."""

    def __init__(
        self, model: LoadedModel, *, guard: CopyGuard | None = None, candidates: int = CANDIDATES
    ) -> None:
        if candidates < 1:
            raise ValueError(f"candidates must be at least 1, got {candidates}")
        self.candidates = candidates
        self.model = model
        self.ae, self.den = model.autoencoder, model.denoiser
        self.scheduler = DDIMScheduler(model.config.diffusion.train_timesteps)
        self.guard = guard
        self.version = model.config.version
        self.key_frame = model.config.key_frame

    @classmethod
    def load(cls, checkpoint: Path | None = None, *, candidates: int = CANDIDATES) -> Pipeline:
        model = load_checkpoint(checkpoint)
        guard = CopyGuard.load_beside(checkpoint)
        return cls(model, guard=guard, candidates=candidates)

    def attributes(self, request: GenerateRequest) -> PromptAttributes:
        attrs = parse_prompt(request.prompt)
        src = request.source
        return apply_overrides(
            attrs,
            bars=request.bars if src is None else src.bars,
            bpm=request.bpm if src is None else src.tempo,
            key=request.key if src is None else src.key,
            meter=request.meter if src is None else str(src.meter),
            stems=request.stems,
        )

    @torch.no_grad()
    def generate(
        self,
        request: GenerateRequest,
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelFn | None = None,
    ) -> Generation:
        """Generate or edit one song; the same request and seed give the same notes."""
        t0 = time.perf_counter()
        attrs = self.attributes(request)
        frame = song_frame(attrs, request)
        forced = self._forced_chords(request, frame)
        conflicts: list[str] = []
        if forced is not None and "melody" not in request.keep and request.repaint is None:
            key = chords_key(forced.chords, frame.key)
            if key != frame.key:
                conflicts.append(
                    f"key: the chords sound in {key}, not {frame.key}; the take follows the chords"
                )
                frame, forced = replace(frame, key=key), replace(forced, key=key)
        text = embed_prompt(request.prompt) if request.prompt.strip() else None
        timings = {"text": time.perf_counter() - t0}
        playing = tuple(attrs.stems)
        t1 = time.perf_counter()
        known, mask = self._known_region(request, frame, forced)
        cond = self._condition(attrs, frame, text)
        timings["encode"] = time.perf_counter() - t1
        spans = forced.chords if forced is not None else None
        resamples = 0
        song = frame
        for attempt in range(MAX_RESAMPLES + 1):
            seed = request.seed + attempt * 1_000_003
            sampled = self._sample(
                request, frame, known, mask, cond, seed, progress, cancelled, timings
            )
            spliced = [self._splice(request, c, forced, playing) for c in sampled]
            fresh = [c for c in spliced if self.guard is None or not self.guard.copies(c)]
            if fresh or attempt == MAX_RESAMPLES:
                pool = fresh or spliced
                song = max(pool, key=lambda c: candidate_rank(c, spans))  # first of equals wins
                break
            resamples += 1
        if song.chords == () or forced is not None or request.keep:
            song = replace(
                song, chords=forced.chords if forced is not None else recognise_song(song)
            )
        record = attrs.to_json()
        record["conflicts"] += conflicts
        return Generation(song, record, request.seed, resamples, timings)

    def _forced_chords(self, request: GenerateRequest, frame: Song) -> Song | None:
        if request.chord_text is not None:
            spans = parse_progression(request.chord_text, frame.meter, bars=frame.bars)
        elif request.chords is not None:
            spans = request.chords
        else:
            return None
        end = max((s.start + s.duration for s in spans), default=0)
        if end > frame.steps:
            raise RequestError(
                f"the chord progression lasts {end / frame.meter.steps_per_bar:g} bars "
                f"but the song has {frame.bars}"
            )
        chords, bass = voice_progression(spans, frame.meter)
        song = frame.with_stem("chords", chords).with_stem("bass", bass)
        return replace(song, chords=tuple(spans))

    def _known_region(
        self, request: GenerateRequest, frame: Song, forced: Song | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The latent kept while sampling and its mask, each (1, C, F): kept stems, bars
        outside a repaint range and forced chords + bass; zeros for a fresh song."""
        comp = self.ae.cfg.compression
        frames = frame.steps // comp
        c = self.ae.latent_channels
        known = torch.zeros(1, c, frames)
        mask = torch.zeros(1, c, frames)
        base = request.source if request.source is not None else forced
        if forced is not None and request.source is not None:
            base = request.source.with_stem("chords", forced.stems["chords"].notes).with_stem(
                "bass", forced.stems["bass"].notes
            )
        if base is not None:
            # encoded in the frame's key, which forced chords may have moved off the source's
            base = replace(base, key=frame.key)
            rolls = {
                k: torch.from_numpy(v)[None]
                for k, v in all_channels(song_to_arrays(base, key_frame=self.key_frame)).items()
            }
            known = self.ae.encode(rolls)[:, :, :frames]
            keep = set(request.keep) | ({"chords", "bass"} if forced is not None else set())
            for s in keep:
                mask[:, self.ae.stem_slice(s)] = 1.0
            if request.repaint is not None:
                lo, hi = request.repaint
                fpb = frame.meter.steps_per_bar // comp
                outside = torch.ones(frames)
                outside[(lo - 1) * fpb : hi * fpb] = 0.0
                mask = torch.maximum(mask, outside.expand_as(mask))
        return known, mask

    def _condition(
        self, attrs: PromptAttributes, frame: Song, text: np.ndarray | None
    ) -> CondBatch:
        """The request's conditioning, one row."""
        key = Key.parse(frame.key)
        return collate([
            Condition(
                style=attrs.style,
                mode=key.mode,
                meter=str(frame.meter),
                bpm=frame.tempo,
                programs=tuple(frame.stems[s].program for s in STEMS[:3]),  # type: ignore[arg-type]
                # stems the prompt did not name are the model's to choose for the style
                # (a hymn or a classical piece often has no drums in the corpus)
                stems=tuple(attrs.stems) if attrs.stems_named else None,
                text=text,
            )
        ])  # fmt: skip

    def _sample(
        self,
        request: GenerateRequest,
        frame: Song,
        known: torch.Tensor,
        mask: torch.Tensor,
        cond: CondBatch,
        seed: int,
        progress: ProgressFn | None,
        cancelled: CancelFn | None,
        timings: dict[str, float],
    ) -> list[Song]:
        """``self.candidates`` songs (fewer for long songs: ``CANDIDATE_BARS``) sampled
        together from one seeded noise draw."""
        t0 = time.perf_counter()
        comp = self.ae.cfg.compression
        c, frames = known.shape[1], known.shape[2]
        null = cond.nulled(torch.tensor([True]))
        k = max(1, min(self.candidates, CANDIDATE_BARS // frame.bars))
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(k, c, frames, generator=gen)
        both = CondBatch.cat([cond] * k + [null] * k)
        fpb_t = torch.tensor([frame.meter.steps_per_bar // comp] * 2 * k)
        known = known.expand(k, -1, -1)
        mask = mask.expand(k, -1, -1)
        self.scheduler.set_timesteps(request.steps)
        n = len(self.scheduler.timesteps)
        g = request.guidance
        for i, t in enumerate(self.scheduler.timesteps.tolist()):
            if cancelled is not None and cancelled():
                raise Cancelled("cancelled")
            x = mask * known + (1 - mask) * x
            xx = torch.cat([x, x])
            v2 = self.den(xx, torch.full((2 * k,), t), both, known=torch.cat([known, known]),
                          mask=torch.cat([mask, mask]), frames_per_bar=fpb_t)  # fmt: skip
            v = v2[k:] + g * (v2[:k] - v2[k:])
            x, _ = self.scheduler.step(v, t, x)
            if progress is not None:
                progress(0.1 + 0.7 * (i + 1) / n, "sampling")
        x = mask * known + (1 - mask) * x
        timings["sampling"] = timings.get("sampling", 0.0) + time.perf_counter() - t0
        t1 = time.perf_counter()
        decoded = self.ae.decode(x)
        songs = [
            decode_logits(
                {s: v[i].numpy() for s, v in decoded.items()}, frame, key_frame=self.key_frame
            )
            for i in range(k)
        ]
        timings["decode"] = timings.get("decode", 0.0) + time.perf_counter() - t1
        return songs

    def _splice(
        self, request: GenerateRequest, song: Song, forced: Song | None, playing: tuple[str, ...]
    ) -> Song:
        """Put kept material back exactly; silence stems that do not play."""
        src = request.source
        for s in STEMS:
            if forced is not None and s in ("chords", "bass"):
                song = song.with_stem(s, forced.stems[s].notes)
            elif src is not None and s in request.keep:
                song = song.with_stem(s, src.stems[s].notes)
            elif src is not None and request.repaint is not None:
                lo, hi = request.repaint
                bar = song.meter.steps_per_bar
                a, b = (lo - 1) * bar, hi * bar
                old = [
                    _clip(n, 0, a) if n.start < a else n
                    for n in src.stems[s].notes
                    if n.start < a or n.start >= b
                ]
                new = [_clip(n, a, b) for n in song.stems[s].notes if a <= n.start < b]
                song = song.with_stem(s, [n for n in old + new if n is not None])
            elif s not in playing:
                song = song.with_stem(s, ())
        return song


def _clip(note: Note, lo: int, hi: int) -> Note | None:
    end = min(note.end, hi)
    return None if end <= note.start else replace(note, duration=end - note.start)
