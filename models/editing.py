"""Edits: how a request's source take, kept stems, regenerated bars and forced chords
become the latent region the sampler keeps, and how kept notes go back in exactly.

An edit regenerates an open bar range (``open_bars``: a repaint range, the bars an
``extend`` adds after the take or a ``prepend`` before it) across every stem, and keeps the
stems ``keep`` names everywhere. Everything outside is the source's, note for note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import torch

from models.autoencoder import Autoencoder
from models.representation import all_channels, song_to_arrays
from models.request import GenerateRequest, RequestError
from multitrack.recognise import recognise_song
from multitrack.song import STEMS, ChordSpan, Meter, Note, Section, Song, Stem
from multitrack.voicing import voice_progression


def _given_end(request: GenerateRequest, meter: Meter) -> int | None:
    """Grid steps the progression a request forces lasts as given (typed chords placed
    once), or None when it forces none."""
    if request.progression is not None:
        spans = request.progression.place(meter)
    elif request.chords is not None:
        spans = request.chords
    else:
        return None
    return max((s.start + s.duration for s in spans), default=0)


def progression_bars(request: GenerateRequest, meter: Meter) -> int | None:
    """Whole bars the progression a request forces lasts as given (a part bar counts), or
    None when it forces none: a fresh take asked for no length is made this long when the
    progression outlasts the default length."""
    end = _given_end(request, meter)
    return None if end is None else -(-end // meter.steps_per_bar)


def forced_spans(request: GenerateRequest, frame: Song) -> tuple[ChordSpan, ...] | None:
    """The progression a request forces, as grid spans: typed chords repeated to fill the
    take. A progression longer than the take is refused, not cut.

    A repaint forces it in the repainted bars only: typed chords are laid from the first
    of them ("Dm G" over bars 3-4: Dm in bar 3), a clip's chords (``chords``, on the take's
    grid) are taken where they fall in them, and the bars kept play, and are labelled with,
    the source's own chords."""
    end = _given_end(request, frame.meter)
    if end is None:
        return None
    bar = frame.meter.steps_per_bar
    if request.repaint is not None:
        lo, hi = request.repaint[0] - 1, request.repaint[1]
    else:
        lo, hi = 0, frame.bars
    # a clip's chords on the take's grid are cut to a repaint's bars; typed chords must fit
    if end > (hi - lo) * bar and (request.progression is not None or request.repaint is None):
        room, longer = (f"the take has {frame.bars}", "take") if request.repaint is None else (
            f"the repainted bars are {hi - lo}", "range")  # fmt: skip
        raise RequestError(
            f"the chord progression lasts {end / bar:g} bars but {room}: give fewer chords or "
            f"a longer {longer}"
        )
    if request.progression is not None:
        placed = tuple(replace(s, start=s.start + lo * bar)
                       for s in request.progression.place(frame.meter, bars=hi - lo))  # fmt: skip
    else:
        placed = _clipped(request.chords or (), lo * bar, hi * bar)
    if request.repaint is None:
        return placed
    src = request.source
    own = (src.chords or recognise_song(src)) if src is not None else ()
    kept = (*_clipped(own, 0, lo * bar), *_clipped(own, hi * bar, frame.steps))
    return tuple(sorted((*kept, *placed), key=lambda s: s.start))


def silence_no_chord(
    song: Song,
    spans: Iterable[ChordSpan],
    keep: Iterable[str],
    bars: tuple[int, int] | None,
) -> Song:
    """``song`` with its chords and bass stems silent where a forced span is N.C. (a note
    starting there is dropped, one ringing into it ends where it starts), in the bars an
    edit writes (``bars``, 0-based [lo, hi); None: all) and in the stems it does not keep.
    The model is told N.C. but the corpus hardly has it, so it plays on through them."""
    rests = [(s.start, s.start + s.duration) for s in spans if s.chord.root is None]
    if bars is not None:
        bar = song.meter.steps_per_bar
        rests = [(max(a, bars[0] * bar), min(b, bars[1] * bar)) for a, b in rests]
        rests = [(a, b) for a, b in rests if b > a]
    if not rests:
        return song
    stems = dict(song.stems)
    for name in ("chords", "bass"):
        if name in keep:
            continue
        notes = []
        for n in stems[name].notes:
            if any(a <= n.start < b for a, b in rests):
                continue
            cut = min((a for a, _ in rests if n.start < a < n.end), default=n.end)
            notes.append(n if cut == n.end else replace(n, duration=cut - n.start))
        stems[name] = replace(stems[name], notes=tuple(notes))
    return replace(song, stems=stems)


def _clipped(spans: Iterable[ChordSpan], a: int, b: int) -> tuple[ChordSpan, ...]:
    """The parts of ``spans`` inside grid steps [a, b)."""
    out = []
    for s in spans:
        start, end = max(s.start, a), min(s.start + s.duration, b)
        if end > start:
            out.append(replace(s, start=start, duration=end - start))
    return tuple(out)


def _shift_notes(notes: Iterable[Note], steps: int) -> tuple[Note, ...]:
    return tuple(replace(n, start=n.start + steps) for n in notes)


def placed_source(request: GenerateRequest) -> Song | None:
    """The source take moved into the edit's frame: ``prepend`` empty bars before it and
    ``extend`` after (its notes, chords and sections shifted); the source as it is for
    other edits; None for a fresh take."""
    src = request.source
    if src is None or not (request.extend or request.prepend):
        return src
    shift = request.prepend * src.meter.steps_per_bar
    stems = {s: Stem(s, _shift_notes(src.stems[s].notes, shift), src.stems[s].program)
             for s in STEMS}  # fmt: skip
    return replace(
        src,
        bars=src.bars + request.prepend + request.extend,
        stems=stems,
        chords=tuple(replace(c, start=c.start + shift) for c in src.chords),
        sections=tuple(replace(x, start=x.start + request.prepend) for x in src.sections),
    )


def open_bars(request: GenerateRequest) -> tuple[int, int] | None:
    """The 0-based bar range [lo, hi) an edit regenerates in every stem, or None."""
    if request.repaint is not None:
        return request.repaint[0] - 1, request.repaint[1]
    src = request.source
    if src is None:
        return None
    if request.extend and request.prepend:
        raise RequestError("extend before or after the take, one at a time")
    if request.prepend:
        return 0, request.prepend
    if request.extend:
        return src.bars, src.bars + request.extend
    return None


def voiced(frame: Song, spans: tuple[ChordSpan, ...]) -> Song:
    """The frame with the progression voiced by rule into its chords and bass stems: what
    models without a chord track (before 0.4) pin as known region."""
    chords, bass = voice_progression(spans, frame.meter)
    return replace(frame.with_stem("chords", chords).with_stem("bass", bass), chords=spans)


def known_region(
    ae: Autoencoder,
    frame: Song,
    base: Song | None,
    keep: Iterable[str],
    bars: tuple[int, int] | None,
    *,
    key_frame: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The latent kept while sampling and its mask, each (1, C, F): the ``keep`` stems
    everywhere and, when ``bars`` is an open range, every stem outside it; zeros and an
    empty mask for a fresh song (``base`` None)."""
    comp = ae.cfg.compression
    frames = frame.steps // comp
    c = ae.latent_channels
    known = torch.zeros(1, c, frames)
    mask = torch.zeros(1, c, frames)
    if base is None:
        return known, mask
    # encoded in the frame's key, which forced chords may have moved off the source's
    base = replace(base, key=frame.key)
    arrays = song_to_arrays(base, steps=frame.steps, key_frame=key_frame)
    rolls = {k: torch.from_numpy(v)[None] for k, v in all_channels(arrays).items()}
    known = ae.encode(rolls)[:, :, :frames]
    for s in keep:
        mask[:, ae.stem_slice(s)] = 1.0
    if bars is not None:
        fpb = frame.meter.steps_per_bar // comp
        outside = torch.ones(frames)
        outside[bars[0] * fpb : bars[1] * fpb] = 0.0
        mask = torch.maximum(mask, outside.expand_as(mask))
    return known, mask


def splice(
    song: Song,
    base: Song | None,
    keep: Iterable[str],
    bars: tuple[int, int] | None,
    playing: tuple[str, ...],
) -> Song:
    """Put kept material back exactly: ``keep`` stems whole, and outside an open bar range
    every stem; silence stems that do not play (inside the range too)."""
    keep = set(keep)
    for s in STEMS:
        if base is not None and s in keep:
            song = song.with_stem(s, base.stems[s].notes)
        elif base is not None and bars is not None:
            bar = song.meter.steps_per_bar
            a, b = bars[0] * bar, bars[1] * bar
            old = [
                _clip(n, 0, a) if n.start < a else n
                for n in base.stems[s].notes
                if n.start < a or n.start >= b
            ]
            # new music only in a stem that plays: a repaint of a "no drums" take wrote fills
            fresh = song.stems[s].notes if s in playing else ()
            new = [_clip(n, a, b) for n in fresh if a <= n.start < b]
            song = song.with_stem(s, [n for n in old + new if n is not None])
        elif s not in playing:
            song = song.with_stem(s, ())
    return song


def kept_sections(base: Song | None, bars: tuple[int, int] | None) -> tuple[Section, ...]:
    """The source's sections that lie outside an open range (an extension keeps them)."""
    if base is None or bars is None:
        return ()
    return tuple(x for x in base.sections if x.end <= bars[0] or x.start >= bars[1])


def _clip(note: Note, lo: int, hi: int) -> Note | None:
    end = min(note.end, hi)
    return None if end <= note.start else replace(note, duration=end - note.start)
