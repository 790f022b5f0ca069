"""The generation pipeline: prompt -> attributes -> latent sampling -> Song.

The only place that sees everything (diffusers' pipeline): it parses the prompt, builds the
song frame (tempo, meter, key, bars, programs) from the attributes, prepares the known
latent and mask for editing, has ``models.telling`` say what the denoiser is told and
``models.sampling`` draw and decode the candidates, ranks them (``models.ranking``), and
splices kept material back note for note.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models import aims
from models.aims import BandAims, re_played
from models.checkpoint import LoadedModel, load_checkpoint
from models.editing import (
    band_kept,
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
from models.guard import CopyGuard
from models.precision import DEFAULT_PRECISION
from models.ranking import (
    Scorer,
    candidate_rank,
    chords_key,
    distinct,
    rank,
    static_melody,
    top_ranked,
)
from models.request import MAX_GENERATE_BARS, CancelFn, GenerateRequest, ProgressFn, RequestError
from models.sampling import DEFAULT_SAMPLER, Sampler
from models.structure import (
    phrase_plan,
    plan_sections,
    tie_groups,
    tie_notes,
)
from models.telling import Telling
from models.text import (
    PromptAttributes,
    apply_overrides,
    default_bpm,
    embed_prompt,
    parse_prompt,
)
from multitrack.chords import format_chord
from multitrack.default_keys import default_key
from multitrack.dynamics import apply_dynamics
from multitrack.form import form_bars
from multitrack.harmony import key_agrees
from multitrack.ranges import playable_bass
from multitrack.recognise import recognise_song
from multitrack.song import DEFAULT_PROGRAMS, STEMS, ChordSpan, Meter, Song, Stem
from multitrack.styles import style as style_of
from multitrack.theory import Key

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
# ... and named drums play when they strike at least this share of the style's drum floor
# (``models.telling.Telling.drum_floor``: its drummers' 5th percentile of hits a bar in the
# meter) a bar, as well. "jazz trio" (piano, bass and drums) came back with a drummer
# striking 0.5-2.1 hits a bar in 4 of 8 seeds, where the style's drummers strike 7 or more
# in 19 of 20 windows (session 29). Half: the network's drums run thinner than the windows'
# (``models.decoding.ONE_HAT``; funk 6.3 against 11.4). 0 counts any half note a bar.
NAMED_DRUM_FLOOR = 0.5
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
# A chord edit's drums are led by its source's through the early sampling steps
# (``models.sampling.LEAD_RELEASE``), so the band under the new chords is written over the
# groove it had. False: the drums are sampled from noise, as before session 26.
DRUM_LEAD = True
# A plain take (no forced chords, one variation, no preference model) samples one candidate
# first and keeps it when nothing could rank above it (in key, melody fit at least
# ``models.ranking.FIT_ENOUGH``); else it samples the rest of a batch and ranks them all.
FIRST_ALONE = True
CANDIDATE_BARS = 128
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
        if text_vector not in TEXT_VECTORS:
            raise ValueError(f"unknown text_vector {text_vector!r}: {', '.join(TEXT_VECTORS)}")
        self.candidates = candidates
        self.text_vector = text_vector
        self.first_alone = FIRST_ALONE
        self.model = model
        self.guard = guard
        self.version = model.config.version
        # the denoising loop and its decoding (``models.sampling``)
        self.sampler = Sampler(model, sampler, precision)
        # its autoencoder, its denoiser (int8: a quantised copy) and the precision it runs at
        sampling = self.sampler
        self.ae, self.den, self.precision = sampling.ae, sampling.den, sampling.precision
        self.key_frame = model.config.key_frame
        # each style's density and grooves a meter (checkpoint meta; ``models.aims``)
        self.band = BandAims.from_meta(model.meta)
        # what the denoiser is told (``models.telling``)
        self.tell = Telling.of(model, self.band)

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
        if spans is not None and not self.tell.has_tracks:
            # a model without a chord track: the progression is voiced by rule and pinned
            base = voiced(base if base is not None else frame, spans)
            keep |= {"chords", "bass"}
        wants_text = self.text_vector == "always" or bool(attrs.nearest)
        text = embed_prompt(request.prompt) if wants_text and request.prompt.strip() else None
        timings = {"text": time.perf_counter() - t0}
        playing, told = self.tell.playing(attrs, request)
        t1 = time.perf_counter()
        known, mask = known_region(self.ae, frame, base, keep, bars, key_frame=self.key_frame)
        phrases = phrase_plan(request, frame)
        walking = attrs.bass_line == "walking"
        played = re_played(request, base, spans, bars)  # what of its source an edit plays on
        comping, bass = self.band.density(frame, request, played, keep, walking)
        chord_edit = spans is not None and bars is None
        grooves = self.band.grooves(frame, walking, played, chord_edit=chord_edit)
        drums = self.band.drums(played, keep)
        lead = None
        drummed = base is not None and bool(base.stems["drums"].notes)
        if DRUM_LEAD and chord_edit and drummed and "drums" not in keep:
            lead = torch.zeros_like(mask)
            lead[:, self.ae.stem_slice("drums")] = 1.0
        tracks = self.tell.tracks(frame, spans, base, bars, phrases,
                                  self.tell.feel(frame, request),
                                  band="chords" in playing or "bass" in playing)  # fmt: skip
        cond = self.tell.condition(attrs, frame, text, tracks, told)
        fpb = frame.meter.steps_per_bar // self.ae.cfg.compression
        ties = tie_groups(phrases, fpb, known.shape[2]) if request.source is None else []
        free = request.source is None and spans is None  # neither an edit nor forced chords
        timings["encode"] = time.perf_counter() - t1

        def draw(attempt: int, k: int) -> tuple[list[Song], list[Song]]:
            seed = request.seed + attempt * 1_000_003
            sampled = self.sampler.sample(request, frame, known, mask, cond, seed, ties,
                                          progress, cancelled, timings, k, comping=comping,
                                          bass=bass, phrases=free, spans=spans, grooves=grooves,
                                          feel=self.tell.asks_feel, drums=drums,
                                          lead=lead)  # fmt: skip
            # returns sampled as one play as one (tie_notes)
            if ties and not self.sampler.tied_above:
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

        # a fresh take's named drums play as the style's drummers do, at least half as often
        floor = {s: PLAYS_A_BAR for s in named}
        if "drums" in floor and request.source is None:
            floor["drums"] = max(PLAYS_A_BAR, NAMED_DRUM_FLOOR * self.tell.drum_floor(frame))

        def complete(song: Song) -> bool:  # every stem the prompt named plays
            return all(len(song.stems[s].notes) >= floor[s] * song.bars for s in named)

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
        if request.source is not None:
            band_kept(record, attrs, frame, request.source)
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
            share = self.tell.drums_by_style.get(attrs.style or "")
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
        feel = (None, groove_bass) if self.tell.asks_feel else None
        playing = tuple(attrs.stems)  # told to the model as named, as a window's would be
        tracks = self.tell.tracks(song, song.chords or None, None, None, song.sections, feel,
                                  band="chords" in playing or "bass" in playing)  # fmt: skip
        cond = self.tell.condition(replace(attrs, style=groove), frame, None, tracks, playing)
        one = replace(request, variations=1)
        sampled = self.sampler.sample(one, frame, known, mask, cond, request.seed + 7, [], None,
                                      None, {}, self._batch(one, frame), bass=groove_bass,
                                      grooves=self.band.grooves(frame, walking),
                                      feel=self.tell.asks_feel)  # fmt: skip
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

    def _batch(self, request: GenerateRequest, frame: Song) -> int:
        """How many candidates one draw samples: ``self.candidates``, fewer for long songs
        (``CANDIDATE_BARS``), at least ``request.variations``."""
        return max(1, request.variations, min(self.candidates, CANDIDATE_BARS // frame.bars))
