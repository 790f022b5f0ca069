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

from models import aims, structure
from models.aims import BandAims
from models.checkpoint import LoadedModel, load_checkpoint
from models.conditioning import CondBatch, Condition, collate, known_programs
from models.decoding import decode_logits
from models.editing import (
    forced_spans,
    kept_sections,
    known_region,
    open_bars,
    placed_source,
    progression_bars,
    silence_no_chord,
    sound_forced,
    splice,
    unsounded,
    voiced,
)
from models.grooves import RhythmBook
from models.guard import CopyGuard
from models.precision import DEFAULT_PRECISION, apply_precision, autocast
from models.ranking import (
    Scorer,
    candidate_rank,
    chords_key,
    distinct,
    rank,
    static_melody,
    top_ranked,
)
from models.representation import key_shift
from models.request import MAX_GENERATE_BARS, Cancelled, GenerateRequest, RequestError
from models.schedule import DDIMScheduler, DPMSolverScheduler
from models.structure import (
    closing_chords,
    phrase_plan,
    plan_sections,
    share_noise,
    tie,
    tie_groups,
    tie_notes,
)
from models.text import (
    PromptAttributes,
    apply_overrides,
    default_bpm,
    embed_prompt,
    parse_prompt,
)
from models.tracks import CHORD_ROWS, chord_track, song_tracks
from multitrack.chords import format_chord
from multitrack.default_keys import default_key
from multitrack.dynamics import apply_dynamics
from multitrack.form import form_bars
from multitrack.harmony import key_agrees, span_pitch_classes
from multitrack.ranges import playable_bass
from multitrack.recognise import recognise_song
from multitrack.song import DEFAULT_PROGRAMS, STEMS, ChordSpan, Meter, Section, Song, Stem
from multitrack.stems import PROGRAM_STEMS
from multitrack.styles import style as style_of
from multitrack.theory import Key

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]
DEFAULT_BARS = 8
MAX_RESAMPLES = 4  # draws again while every candidate copies a training window
# Candidates sampled in one batch per request; the first in its key is kept, unless its
# melody fits its chords less than the others up to ``models.ranking.FIT_ENOUGH`` (best-of-k
# reranking, see docs/model.md). Since the order no longer seeks the most chord tones
# (session 8), the candidates are mainly there for the key: on bench/quality.py's 204
# prompts key agreement was 0.990 / 0.951 / 0.902 with 6 / 3 / 2, and nothing else moved
# beyond its noise. So 3, and when none of them sounds in its key, ``KEY_RETRIES`` more
# draws of as many (about one take in twenty). Sampling time grows with candidates x bars,
# so long songs get fewer: at most ``CANDIDATE_BARS`` bars in all (2 at 64 bars).
CANDIDATES = 3
KEY_RETRIES = 1
# ... and when the best of them is a drone (``models.ranking.static_melody``), this many more
# (session 19; see ``models.ranking.STATIC_PENALTY``).
STATIC_RETRIES = 1
# A fresh take whose prompt names the stems that play ("二胡独奏加鼓", "only piano and bass")
# is drawn again, up to this many times, while no candidate plays every one of them, and a
# candidate that does ranks first: "erhu solo with drums" came back with no drums.
NAMED_RETRIES = 2
# A named stem plays when it has at least this many notes a bar: "只要钢琴和贝斯,安静的夜曲"
# (seed 120) came back with 4 scattered chord notes in 8 bars, and counted as playing.
PLAYS_A_BAR = 0.5
# A repaint of whole stems that shares more than this of the repainted stems' notes with the
# source says so in song.json: a drums repaint of a pop take came back 0.91-0.96 alike over
# three seeds (a batch of three had none under 0.8; "funk" or "rock" as the prompt 0.91,
# 0.92), a ballad's 0.99, a jazz take's 0.54-0.70.
REPAINT_ALIKE = 0.8
# A style whose training windows have drums less often than this rarely plays them, even
# told to (a drums repaint of a lullaby or classical take): its silence names the cause.
RARE_DRUMS = 0.1
# Under forced chords, the chords and bass the model wrote are moved onto each typed chord
# they do not sound (``models.editing.sound_forced``): a chord from outside the key (bVI,
# bVII, a secondary dominant) came back as another chord while song.json showed the typed
# one. False leaves the model's notes as sampled.
SOUND_FORCED = True
# A plain take (no forced chords, one variation, no preference model) samples one candidate
# first and keeps it when nothing could rank above it (in key, melody fit at least
# ``models.ranking.FIT_ENOUGH``); else it samples the rest of a batch and ranks them all.
FIRST_ALONE = True
CANDIDATE_BARS = 128
# Samplers over the same schedule (models.schedule). DPM-Solver++(2M) lands as close to a
# 500-step DDIM in 10 steps (max error 0.046 on a Gaussian) as DDIM does in 40 (0.073 at 20).
SAMPLERS: dict[str, type[DDIMScheduler]] = {"ddim": DDIMScheduler, "dpm": DPMSolverScheduler}
DEFAULT_SAMPLER = "dpm"
# A model with the feel track (``DenoiserConfig.feel``) is asked for the densities the
# decoder aims at (``models.aims.BandAims.feel``): a new take its style's, an edit its
# source's. False leaves the track unknown.
FEEL_TRACK = True
# Extra guidance toward a forced progression (``Pipeline._sample``): a third denoiser pass
# under forced chords only. Measured in bench/chord_edits.py (docs/model.md).
CHORD_GUIDANCE = 2.0
# The same for the feel track (``models.tracks.FEEL_ROWS``), on a model that has it: 0 no
# third pass.
FEEL_GUIDANCE = 0.0
# When the prompt's sentence vector conditions the model: ``unnamed``, only when the lexicon
# left words it could not name (``PromptAttributes.nearest``; the attributes carry the rest),
# so a prompt of known words never loads the encoder (~1.2 s cold); ``always``, every prompt
# (0.4's habit). Measured with bench/quality.py and bench/realism.py (docs/model.md).
TEXT_VECTORS = ("unnamed", "always")
DEFAULT_TEXT_VECTOR = "unnamed"


@dataclass
class Generation:
    """A generated song, the attributes it was made from, and how it was made."""

    song: Song
    attributes: dict[str, Any]
    seed: int
    resamples: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    variations: list[Song] = field(default_factory=list)  # further takes, best first


def song_frame(attrs: PromptAttributes, request: GenerateRequest) -> Song:
    """The empty song the sampler fills: length, tempo, meter, key, programs, style."""
    src = placed_source(request)
    if src is not None:
        return replace(src, stems={s: Stem(s, (), src.stems[s].program) for s in STEMS})
    meter = Meter.parse(attrs.meter) if attrs.meter else Meter()
    programs = {**DEFAULT_PROGRAMS, **attrs.programs}
    # no length asked: a form asked sets it (8 bars a section), as a progression does
    shaped = form_bars(attrs.form, MAX_GENERATE_BARS) if attrs.form else 0
    bars = attrs.bars or max(DEFAULT_BARS, shaped, progression_bars(request, meter) or 0)
    if bars > MAX_GENERATE_BARS:
        raise RequestError(
            f"the chord progression lasts {bars} bars; a take has at most {MAX_GENERATE_BARS}"
        )
    return Song(
        bars=bars,
        tempo=float(attrs.bpm or default_bpm(attrs.style, attrs.energy)),
        meter=meter,
        key=Key.parse(attrs.key)
        if attrs.key
        else default_key(style=attrs.style, mood=attrs.mood, seed=request.seed),
        stems={s: Stem(s, (), programs[s]) for s in STEMS},
        style=attrs.style,
    )


def _rewritten(
    request: GenerateRequest,
    spans: tuple[ChordSpan, ...] | None,
    bars: tuple[int, int] | None,
    keep: set[str],
) -> tuple[str, ...]:
    """The stems a repaint of whole stems writes again (its source plays them, the request
    keeps the others, no chords are forced, no bars repainted); () for any other request."""
    src = request.source
    if src is None or spans is not None or bars is not None or not request.keep:
        return ()
    return tuple(s for s in STEMS if s not in keep and src.stems[s].notes)


def _alike(song: Song, source: Song | None, stems: tuple[str, ...]) -> float:
    """The share of ``stems``' notes (start, pitch) ``song`` and ``source`` have in common
    (Jaccard, averaged over the stems); 0 without stems."""
    if source is None or not stems:
        return 0.0
    shares = []
    for stem in stems:
        a = {(n.start, n.pitch) for n in song.stems[stem].notes}
        b = {(n.start, n.pitch) for n in source.stems[stem].notes}
        shares.append(len(a & b) / max(1, len(a | b)))
    return float(np.mean(shares))


def _forward_only(progress: ProgressFn | None) -> ProgressFn | None:
    """``progress`` called only with fractions at least the last one it was called with."""
    if progress is None:
        return None
    last = [0.0]

    def report(fraction: float, stage: str) -> None:
        if fraction >= last[0]:
            last[0] = fraction
            progress(fraction, stage)

    return report


class Pipeline:
    """A loaded model ready to generate. Thread-compatible: one call at a time."""

    def __init__(
        self,
        model: LoadedModel,
        *,
        guard: CopyGuard | None = None,
        candidates: int = CANDIDATES,
        sampler: str = DEFAULT_SAMPLER,
        precision: str = DEFAULT_PRECISION,
        text_vector: str = DEFAULT_TEXT_VECTOR,
    ) -> None:
        if candidates < 1:
            raise ValueError(f"candidates must be at least 1, got {candidates}")
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; samplers: {', '.join(SAMPLERS)}")
        if text_vector not in TEXT_VECTORS:
            raise ValueError(f"unknown text_vector {text_vector!r}: {', '.join(TEXT_VECTORS)}")
        self.candidates = candidates
        self.text_vector = text_vector
        self.first_alone = FIRST_ALONE
        self.chord_guidance = CHORD_GUIDANCE
        self.feel_guidance = FEEL_GUIDANCE
        self.model = model
        self.ae = model.autoencoder
        # the denoiser to sample with (int8: a quantised copy) and the precision it runs at
        self.den, self.precision = apply_precision(model.denoiser, precision)
        self.scheduler = SAMPLERS[sampler](model.config.diffusion.train_timesteps)
        self.guard = guard
        self.version = model.config.version
        self.key_frame = model.config.key_frame
        # programs each stem played in training (checkpoint meta; models.conditioning)
        self.programs_seen: dict[str, list[int]] | None = model.meta.get("programs_seen")
        # share of each style's training windows with drums (checkpoint meta; ``_playing``)
        self.drums_by_style: dict[str, float] = dict(model.meta.get("drums_by_style", {}))
        # each style's density and grooves a meter (checkpoint meta; ``models.aims``)
        self.band = BandAims.from_meta(model.meta)

    @classmethod
    def load(
        cls,
        checkpoint: Path | None = None,
        *,
        candidates: int = CANDIDATES,
        sampler: str = DEFAULT_SAMPLER,
        precision: str = DEFAULT_PRECISION,
    ) -> Pipeline:
        model = load_checkpoint(checkpoint)
        guard = CopyGuard.load_beside(checkpoint)
        return cls(model, guard=guard, candidates=candidates, sampler=sampler, precision=precision)

    def attributes(self, request: GenerateRequest) -> PromptAttributes:
        attrs = parse_prompt(request.prompt)
        src = request.source
        stems = request.stems
        if stems is None and src is not None:
            # an edit plays the stems its source plays (its prompt is usually the take's own,
            # naming the stems the take was first asked for): an edit of a melody-and-bass
            # take wrote chords and drums into it, one of a refine that added drums lost them
            stems = tuple(s for s in STEMS if src.stems[s].notes) or None
            # ... but a repaint of stems the source leaves silent (drums written into a
            # drumless take, every other stem kept) plays them: told the source's set, it
            # came back as silent as it went in
            rewritten = [s for s in STEMS if s not in request.keep]
            if request.keep and rewritten and stems and not set(rewritten) & set(stems):
                stems = tuple(s for s in STEMS if s in stems or s in rewritten)
        return apply_overrides(
            attrs,
            bars=request.bars if src is None else src.bars,
            bpm=request.bpm if src is None else src.tempo,
            key=request.key if src is None else src.key,
            meter=request.meter if src is None else str(src.meter),
            stems=stems,
            form=request.form if src is None else None,
        )

    @torch.no_grad()
    def generate(
        self,
        request: GenerateRequest,
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelFn | None = None,
        prefer: Scorer | None = None,
    ) -> Generation:
        """Generate or edit one song (and ``request.variations - 1`` more, best first);
        the same request and seed give the same notes. ``prefer`` is this producer's
        preference model (``multitrack.prefs``): its score joins the best-of-k ranking."""
        t0 = time.perf_counter()
        progress = _forward_only(progress)  # a second draw does not move the bar back
        attrs = self.attributes(request)
        frame = song_frame(attrs, request)
        spans = forced_spans(request, frame)
        conflicts: list[str] = []
        if spans is not None and "melody" not in request.keep and request.repaint is None:
            key = chords_key(spans, frame.key)
            if key != frame.key:
                conflicts.append(
                    f"key: the chords sound in {key}, not {frame.key}; the take follows the chords"
                )
                frame = replace(frame, key=key)
        base = placed_source(request)
        bars = open_bars(request)
        sections = plan_sections(request, attrs, frame, kept_sections(base, bars))
        frame = replace(frame, sections=sections)
        keep = set(request.keep)
        if spans is not None and not self.den.cfg.tracks:
            # a model without a chord track: the progression is voiced by rule and pinned
            base = voiced(base if base is not None else frame, spans)
            keep |= {"chords", "bass"}
        wants_text = self.text_vector == "always" or bool(attrs.nearest)
        text = embed_prompt(request.prompt) if wants_text and request.prompt.strip() else None
        timings = {"text": time.perf_counter() - t0}
        playing, told = self._playing(attrs, request)
        t1 = time.perf_counter()
        known, mask = known_region(self.ae, frame, base, keep, bars, key_frame=self.key_frame)
        phrases = phrase_plan(request, frame)
        walking = attrs.bass_line == "walking"
        comping, bass = self.band.density(frame, request, base, spans, bars, keep, walking)
        re_played = base if spans is not None and bars is None and request.source else None
        grooves = self.band.grooves(frame, walking, re_played)
        tracks = self._tracks(frame, spans, base, bars, phrases, self._feel(frame, request),
                              band="chords" in playing or "bass" in playing)  # fmt: skip
        cond = self._condition(attrs, frame, text, tracks, told)
        fpb = frame.meter.steps_per_bar // self.ae.cfg.compression
        ties = tie_groups(phrases, fpb, known.shape[2]) if request.source is None else []
        free = request.source is None and spans is None  # neither an edit nor forced chords
        timings["encode"] = time.perf_counter() - t1

        def draw(attempt: int, k: int) -> tuple[list[Song], list[Song]]:
            seed = request.seed + attempt * 1_000_003
            sampled = self._sample(request, frame, known, mask, cond, seed, ties, progress,
                                   cancelled, timings, k=k, comping=comping, bass=bass,
                                   phrases=free, spans=spans, grooves=grooves)  # fmt: skip
            if ties and not self._tied_above:  # returns sampled as one play as one (tie_notes)
                sampled = [tie_notes(c) for c in sampled]
            spliced = [splice(c, base, keep, bars, playing) for c in sampled]
            return spliced, [c for c in spliced if self.guard is None or not self.guard.copies(c)]

        named = playing if attrs.stems_named and request.source is None else ()
        if request.source is not None:
            # an edit keeps its band: a chord edit of a 16-bar jazz take came back without
            # its drums when the candidates that kept them missed their density
            src = request.source
            named = tuple(s for s in STEMS if len(src.stems[s].notes) >= PLAYS_A_BAR * src.bars)
            if not any(src.stems[s].notes for s in STEMS if s not in keep):
                named = tuple(s for s in STEMS if s not in keep)  # a repaint of silent stems

        def complete(song: Song) -> bool:  # every stem the prompt named plays
            return all(len(song.stems[s].notes) >= PLAYS_A_BAR * song.bars for s in named)

        orders: dict[int, tuple[bool, tuple[float, float]]] = {}  # by id: the pool keeps them

        def order(song: Song) -> tuple[bool, tuple[float, float]]:  # complete, then ranked
            if id(song) not in orders:
                orders[id(song)] = (complete(song), rank(song, spans, prefer, (comping, bass)))
            return orders[id(song)]

        resamples = attempt = 0
        pool: list[Song] = []
        done = lone = False
        if spans is None and prefer is None and request.variations == 1 and self.first_alone:
            # one candidate first, kept when nothing could rank above it (any batch it came
            # first in would keep it: the first of equals wins), sampling one instead of three
            _, pool = draw(0, 1)
            attempt, lone = 1, True
            done = bool(pool) and top_ranked(pool[0], (comping, bass)) and complete(pool[0])
        retries = KEY_RETRIES if spans is None else 0
        # a drone is drawn again only where the request writes the whole melody
        drones = STATIC_RETRIES if spans is None and "melody" not in keep and bars is None else 0
        missing = NAMED_RETRIES
        while not done:
            # after a lone first candidate, as many more as make one batch
            spliced, fresh = draw(attempt, max(1, self._batch(request, frame) - lone))
            attempt, lone = attempt + 1, False
            if not fresh and resamples < MAX_RESAMPLES:
                resamples += 1  # every candidate copies a training window: draw again
                continue
            pool += fresh or spliced
            if retries and not any(key_agrees(c) for c in pool):
                retries -= 1  # none sounds in its key: draw more to choose from
                continue
            if drones and static_melody(max(pool, key=order)):
                drones -= 1  # the best of them drones on a few pitches: draw more
                continue
            if named and missing and not any(complete(c) for c in pool):
                missing -= 1  # a stem the prompt named is silent in every one: draw more
                continue
            done = True
        # a stable sort: the first of equals wins
        ranked = sorted(pool, key=order, reverse=True)
        chosen = [self._finish(c, spans, request) for c in distinct(ranked, request.variations)]
        rewritten = _rewritten(request, spans, bars, keep)
        same = _alike(chosen[0], request.source, rewritten)
        groove = getattr(attrs, "groove_style", None)
        if groove and request.source is None:
            t2 = time.perf_counter()
            chosen = [self._regroove(c, attrs, groove, request) for c in chosen]
            timings["fusion"] = time.perf_counter() - t2
        chosen = [self._dynamics(c, attrs, request, keep, bars) for c in chosen]
        record = attrs.to_json()
        record["conflicts"] += conflicts
        if spans is not None:
            missed = unsounded(chosen[0], spans, open_bars(request))
            if missed:  # said, not hidden: song.json shows the typed chords
                record["conflicts"].append(
                    f"chords: the band does not sound the typed chord in bar(s) "
                    f"{', '.join(map(str, missed))}"
                )
        if not attrs.stems_named:  # the stems the model chose to play, not all it could
            record["stems"] = [s for s in record["stems"] if chosen[0].stems[s].notes]
        if same > REPAINT_ALIKE:  # said, not hidden: the repaint sounds as it went in
            record["conflicts"].append(
                f"stems: {', '.join(rewritten)} came back much as they were ({same:.0%} of their "
                "notes alike): with the stems kept, the model plays them much one way, whatever "
                "the seed or the style named"
            )
        silent = [s for s in named if len(chosen[0].stems[s].notes) < PLAYS_A_BAR * chosen[0].bars]
        if silent:  # asked for by name, and no draw played it: said, not hidden
            share = self.drums_by_style.get(attrs.style or "")
            hint = (
                f"{attrs.style} has drums in {share:.0%} of its training music; name a style "
                "that has them in the prompt, or try another seed"
                if "drums" in silent and share is not None and share < RARE_DRUMS
                else "try another seed"
            )
            record["conflicts"].append(
                f"stems: {', '.join(silent)} asked for, but silent in this take "
                f"(none of {attempt} draws played it); {hint}"
            )
        return Generation(chosen[0], record, request.seed, resamples, timings, chosen[1:])

    def _regroove(
        self,
        song: Song,
        attrs: PromptAttributes,
        groove: str,
        request: GenerateRequest,
    ) -> Song:
        """A fused style's second pass: the bass and drums are written again as the groove
        style plays them, over the first pass's chords, and the melody and chords stay as the
        first style wrote them (the model takes each stem's style from its own pass).

        The groove pass sees what its style's windows know: the groove style, all stems
        playing, its own bass program, the key's parent major or minor (an EDM window is
        never in a zhi mode), the chord track, and neither the prompt's text nor the first
        pass's notes. Given those, 0.4 left the drums out of most 国风电音 takes, as
        guofeng windows do (bench/fusion.py, docs/model.md)."""
        keep = {"melody", "chords"}
        key = song.key
        parent = (Key(key.relative_minor_tonic, "minor") if key.is_minor
                  else Key(key.relative_major_tonic, "major"))  # fmt: skip
        named = "bass" in attrs.named_programs  # a bass the prompt names stays the bass
        program = song.stems["bass"].program if named else style_of(groove).programs[2]
        bass = replace(song.stems["bass"], program=program)
        frame = replace(song, key=parent, stems={**song.stems, "bass": bass})
        known, mask = known_region(self.ae, frame, None, set(), None, key_frame=self.key_frame)
        walking = attrs.bass_line == "walking"
        groove_bass = (
            float(song.meter.beats_per_bar) if walking
            else self.band.means(groove, song.meter).get("bass") if aims.STYLE_DENSITY
            else None
        )  # fmt: skip
        feel = (None, groove_bass) if FEEL_TRACK and self.den.cfg.feel else None
        playing = tuple(attrs.stems)  # told to the model as named, as a window's would be
        tracks = self._tracks(song, song.chords or None, None, None, song.sections, feel,
                              band="chords" in playing or "bass" in playing)  # fmt: skip
        cond = self._condition(replace(attrs, style=groove), frame, None, tracks, playing)
        sampled = self._sample(replace(request, variations=1), frame, known, mask, cond,
                               request.seed + 7, [], None, None, {},
                               bass=groove_bass,
                               grooves=self.band.grooves(frame, walking))  # fmt: skip
        pool = [splice(replace(c, key=key), frame, keep, None, playing) for c in sampled]
        # ranked by the first pass's chords as triads over any bass: its recognised slash
        # chords describe its own inversions, not a bass line the groove must play (asking
        # for them took the fused takes' EDM grooves from 22 to 18 of 24, bench/fusion.py)
        roots = tuple(ChordSpan(c.start, c.duration, format_chord(replace(c.chord, bass=None)))
                      for c in song.chords)  # fmt: skip
        best = max(pool, key=lambda c: candidate_rank(c, roots or None))
        return replace(best, chords=song.chords, sections=song.sections)

    def _dynamics(
        self,
        song: Song,
        attrs: PromptAttributes,
        request: GenerateRequest,
        keep: set[str],
        bars: tuple[int, int] | None,
    ) -> Song:
        """Velocities from the style's accents, energy, dynamics and mood
        (``multitrack.dynamics``), and the bass in its instrument's range
        (``multitrack.ranges``), on what this request wrote: kept stems and kept bars keep
        the source's."""
        stems = [s for s in STEMS if s not in keep]
        step = song.meter.steps_per_bar
        span = None if bars is None else (bars[0] * step, bars[1] * step)
        if "bass" not in keep:  # in the bass instrument's range (multitrack.ranges)
            song = playable_bass(song, span)
        return apply_dynamics(song, style=song.style or attrs.style, energy=attrs.energy,
                              dynamics=attrs.dynamics, mood=attrs.mood, seed=request.seed,
                              stems=stems, span=span,
                              groove_style=getattr(attrs, "groove_style", None))  # fmt: skip

    def _finish(
        self, song: Song, spans: tuple[ChordSpan, ...] | None, request: GenerateRequest
    ) -> Song:
        """The chord symbols a take shows: the forced ones (their N.C. spans silent in the
        chords and bass it wrote), else what its stems sound."""
        if spans is not None:
            song = silence_no_chord(song, spans, request.keep, open_bars(request))
            if SOUND_FORCED:
                song = sound_forced(song, spans, request.keep, open_bars(request))
            return replace(song, chords=spans)
        if song.chords == () or request.keep or request.source is not None:
            return replace(song, chords=recognise_song(song))
        return song

    def _tracks(
        self,
        frame: Song,
        spans: tuple[ChordSpan, ...] | None,
        base: Song | None,
        bars: tuple[int, int] | None,
        phrases: tuple[Section, ...],
        feel: tuple[float | None, float | None] | None = None,
        band: bool = True,
    ) -> np.ndarray | None:
        """The chord, section and feel tracks (8, F) of a request: the forced progression,
        else the source's chords in the bars an edit keeps; the sections sampling follows
        (``phrases``: the form's, or a short take's phrase plan); the ``feel`` (``_feel``:
        comping strikes and bass notes a bar, None for unknown); and its closing chords
        (``models.structure.closing_chords``; ``band``: its chords or bass play). None for a
        model without tracks."""
        if not self.den.cfg.tracks:
            return None
        comp = self.ae.cfg.compression
        frames = frame.steps // comp
        fpb = frame.meter.steps_per_bar // comp
        shift = key_shift(frame.key, self.key_frame)
        tracks = song_tracks(spans, phrases, bars=frame.bars, frames_per_bar=fpb,
                             frames=frames, shift=shift, compression=comp,
                             feel=feel)  # fmt: skip
        if spans is not None:
            return tracks
        if base is not None and bars is not None:
            own = base.chords or recognise_song(base)
            tracks[CHORD_ROWS] = chord_track(own, frames, shift=shift, compression=comp)
            tracks[CHORD_ROWS, bars[0] * fpb : bars[1] * fpb] = 0
        closing = closing_chords(frame, fresh=base is None, repaint=bars, band=band)
        if closing:  # its last bars told, the rest as they were
            told = frames - len(closing) * fpb
            planned = chord_track(closing, frames, shift=shift, compression=comp)
            tracks[CHORD_ROWS, told:] = planned[:, told:]
        return tracks

    def _playing(
        self, attrs: PromptAttributes, request: GenerateRequest
    ) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """(the stems that play, the stems token the denoiser is told: None for null).

        Stems the prompt names are as named. For a new take whose prompt names none, in a
        style the checkpoint knows, whether drums play is drawn (seeded by the request) with
        the share of that style's training windows that have them, and the denoiser is told
        the drawn set, as 85% of its training examples were: its null token, seen in the
        other 15%, played drums in 18 of 20 guofeng takes (13 of 20 with known programs)
        where 2 of 20 guofeng windows have them (docs/model.md, "Session 7").
        An edit is told the stems its source plays (``attributes`` names them: under the null
        token a chord edit of a 16-bar jazz take dropped its drums, 161 hits to 0).
        Otherwise (an edit of a take that plays nothing, an unknown style, a checkpoint
        without the table) the null token: the model chooses, and every stem may play."""
        named = tuple(attrs.stems)
        if attrs.stems_named:
            return named, named
        share = self.drums_by_style.get(attrs.style or "")
        if share is None or request.source is not None:
            return named, None
        drums = np.random.default_rng([request.seed, 0xD4]).random() < share
        told = tuple(s for s in STEMS if s != "drums" or drums)
        return told, told

    def _feel(self, frame: Song, request: GenerateRequest) -> tuple[float | None, float | None]:
        """The feel track's (comping strikes a bar, bass notes a bar) a request asks the
        denoiser for (``BandAims.feel``; None leaves a row unknown): ``FEEL_TRACK`` off, or
        a model without the track (``DenoiserConfig.feel``), unknown."""
        if not FEEL_TRACK or not self.den.cfg.feel:
            return None, None
        return self.band.feel(frame, request)

    def _condition(
        self,
        attrs: PromptAttributes,
        frame: Song,
        text: np.ndarray | None,
        tracks: np.ndarray | None = None,
        stems: tuple[str, ...] | None = None,
    ) -> CondBatch:
        """The request's conditioning, one row; ``stems`` the stems token (None: null, the
        model chooses; ``_playing`` says which)."""
        key = frame.key
        return collate([
            Condition(
                style=attrs.style,
                mode=key.mode,
                meter=str(frame.meter),
                bpm=frame.tempo,
                programs=known_programs(
                    [frame.stems[s].program for s in PROGRAM_STEMS], self.programs_seen
                ),
                stems=stems,
                text=text,
                tracks=tracks,
            )
        ], frames=frame.steps // self.ae.cfg.compression)  # fmt: skip

    def _batch(self, request: GenerateRequest, frame: Song) -> int:
        """How many candidates one draw samples: ``self.candidates``, fewer for long songs
        (``CANDIDATE_BARS``), at least ``request.variations``."""
        return max(1, request.variations, min(self.candidates, CANDIDATE_BARS // frame.bars))

    @property
    def _tied_above(self) -> int:
        """The timestep down to which tied sections share their predictions: a model with a
        pitch reader ties its returns further (``models.structure``)."""
        reader = self.ae.pitch_reader is not None
        return structure.READER_TIED_ABOVE if reader else structure.TIED_ABOVE

    def _sample(
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
        k: int | None = None,
        comping: float | None = None,
        bass: float | None = None,
        phrases: bool = False,
        spans: tuple[ChordSpan, ...] | None = None,
        grooves: tuple[RhythmBook | None, RhythmBook | None] = (None, None),
    ) -> list[Song]:
        """``k`` songs (by default ``_batch``'s count) sampled together from one seeded noise
        draw; frames in one of ``ties`` are sampled as one (models.structure); ``comping``,
        ``bass``: the chords stem's strikes and the bass's notes a bar to decode to
        (``decode_logits``, ``BandAims.density``); ``spans`` a forced
        progression, pushed toward by ``chord_guidance`` and decoded against; ``grooves``: the
        comping's and the bass's the decoder reads them in (``BandAims.grooves``)."""
        t0 = time.perf_counter()
        comp = self.ae.cfg.compression
        c, frames = known.shape[1], known.shape[2]
        null = cond.nulled(torch.tensor([True]))
        if k is None:
            k = self._batch(request, frame)
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
        gf = self.feel_guidance if self.den.cfg.feel and FEEL_TRACK else 0.0
        if gf:
            passes.append(cond.without_feel())
        m = len(passes)
        both = CondBatch.cat([p for p in passes for _ in range(k)])
        fpb_t = torch.tensor([frame.meter.steps_per_bar // comp] * m * k)
        known = known.expand(k, -1, -1)
        mask = mask.expand(k, -1, -1)
        self.scheduler.set_timesteps(request.steps)
        n = len(self.scheduler.timesteps)
        g = request.guidance
        for i, t in enumerate(self.scheduler.timesteps.tolist()):
            if cancelled is not None and cancelled():
                raise Cancelled("cancelled")
            x = mask * known + (1 - mask) * x
            with autocast(self.precision.used):
                vs = self.den(torch.cat([x] * m), torch.full((m * k,), t), both,
                              known=torch.cat([known] * m), mask=torch.cat([mask] * m),
                              frames_per_bar=fpb_t).float().split(k)  # fmt: skip
            v = vs[1] + g * (vs[0] - vs[1])
            if gc:
                v = v + gc * (vs[0] - vs[2])
            if gf:
                v = v + gf * (vs[0] - vs[-1])
            if t > self._tied_above:
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
                priors=self.model.priors,
                comping=comping,
                bass=bass,
                pitch_reader=self.ae.pitch_reader is not None,
                forced=typed,
                rhythms=grooves[0],
                bass_rhythms=grooves[1],
            )
            for i in range(k)
        ]
        timings["decode"] = timings.get("decode", 0.0) + time.perf_counter() - t1
        return songs
