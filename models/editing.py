"""Edits: how a request's source take, kept stems, regenerated bars and forced chords
become the latent region the sampler keeps, and how kept notes go back in exactly.

An edit regenerates an open bar range (``open_bars``: a repaint range, the bars an
``extend`` adds after the take or a ``prepend`` before it) across every stem, and keeps the
stems ``keep`` names everywhere. Everything outside is the source's, note for note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import torch

from models.autoencoder import Autoencoder
from models.ranking import span_sounds
from models.representation import all_channels, song_to_arrays
from models.request import GenerateRequest, RequestError
from models.text.attributes import PromptAttributes
from models.text.instruments import program_label
from multitrack.chords import QUALITY_INTERVALS, Chord
from multitrack.recognise import recognise_song
from multitrack.song import STEMS, ChordSpan, Meter, Note, Section, Song, Stem
from multitrack.voicing import voice_progression


def _given_end(request: GenerateRequest, meter: Meter) -> int | None:
    """Grid steps the progression a request forces lasts as given (typed chords placed
    once), or None when it forces none."""
    if request.progression is not None:
        return request.progression.steps(meter)
    if request.chords is not None:
        return max((s.start + s.duration for s in request.chords), default=0)
    return None


def progression_bars(request: GenerateRequest, meter: Meter) -> int | None:
    """Whole bars the progression a request forces lasts as given (a part bar counts), or
    None when it forces none: a fresh take asked for no length is made this long when the
    progression outlasts the default length."""
    end = _given_end(request, meter)
    return None if end is None else -(-end // meter.steps_per_bar)


def forced_spans(request: GenerateRequest, frame: Song) -> tuple[ChordSpan, ...] | None:
    """The progression a request forces, as grid spans: typed chords, or a clip's, repeated
    to fill the take. A progression longer than the take is refused, not cut.

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
                       for s in request.progression.place(frame.meter, bars=hi - lo,
                                                          key=frame.key))  # fmt: skip
    elif request.repaint is None and request.chords:
        # a clip shorter than the take is repeated to fill it, as typed chords are: a 2-bar
        # clip on a 4-bar take labelled bars 3-4 with nothing while its band played on
        length = -(-end // bar) * bar
        tiled = [replace(s, start=s.start + k) for k in range(0, frame.steps, length)
                 for s in request.chords]  # fmt: skip
        placed = _clipped(tiled, 0, frame.steps)
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


def _nearest(pitch: int, pcs: frozenset[int] | set[int], taken: set[int]) -> int | None:
    """The pitch nearest ``pitch`` whose pitch class is in ``pcs`` and that is not
    ``taken`` (a semitone down before one up), at most a tritone away."""
    for d in (0, -1, 1, -2, 2, -3, 3, -4, 4, -5, 5, -6, 6):
        p = pitch + d
        if 0 <= p <= 127 and p % 12 in pcs and p not in taken:
            return p
    return None


def _sound_span(chords: list[Note], bass: list[Note], chord: Chord, a: int, b: int) -> None:
    """Moves, in place, the comping and bass notes in steps [a, b) that are not tones of
    ``chord`` to the nearest tone (their rhythm and register kept); notes ringing in from
    before on a pitch class foreign to it end at ``a``; the comping gains the root and the
    quality's third if it still lacks them, from the voice nearest each."""
    tones = chord.pitch_classes()
    for notes in (chords, bass):
        for i, n in enumerate(notes):
            if n.pitch % 12 in tones:
                continue
            if n.start < a < n.end:
                notes[i] = replace(n, duration=a - n.start)
            elif a <= n.start < b:
                taken = {m.pitch for m in notes if m.start == n.start and m is not n}
                p = _nearest(n.pitch, tones, taken)
                if p is not None:
                    notes[i] = replace(n, pitch=p)
    assert chord.root is not None
    third = (chord.root + QUALITY_INTERVALS[chord.quality][1]) % 12
    for pc in (chord.root, third):
        inside = [i for i, n in enumerate(chords) if a <= n.start < b]
        if not inside or any(chords[i].pitch % 12 == pc for i in inside):
            continue
        # the voice the move changes least, among those whose pitch class another voice keeps
        counts = Counter(chords[i].pitch % 12 for i in inside)
        spare = [i for i in inside if counts[chords[i].pitch % 12] > 1] or inside
        moves = [(abs(p - chords[i].pitch), i, p) for i in spare
                 if (p := _nearest(chords[i].pitch, {pc}, set())) is not None]  # fmt: skip
        if moves:
            _, i, p = min(moves)
            chords[i] = replace(chords[i], pitch=p)


def sound_forced(
    song: Song,
    spans: Iterable[ChordSpan],
    keep: Iterable[str],
    bars: tuple[int, int] | None,
) -> Song:
    """``song`` with the chords and bass stems it wrote made to sound each forced chord
    they miss (``models.ranking.span_sounds``), and a slash chord's bass on its first beat.

    The model writes its key's degrees: a chord borrowed from outside the key (bVI, bVII,
    a secondary dominant) came back as another chord while song.json showed the typed one.
    Only the spans the stems miss are touched, in the bars an edit writes (``bars``) and in
    the stems it does not keep; the notes keep the model's rhythm and voicing, each moved to
    the nearest tone of the chord."""
    keep = set(keep)
    bar = song.meter.steps_per_bar
    lo, hi = (0, song.steps) if bars is None else (bars[0] * bar, bars[1] * bar)
    chords = list(song.stems["chords"].notes)
    bass = list(song.stems["bass"].notes)
    beat = song.meter.steps_per_beat
    for span in spans:
        chord = span.chord
        a, b = max(span.start, lo), min(span.start + span.duration, hi)
        if chord.root is None or b <= a:
            continue
        probe = replace(song, stems={**song.stems,
                                     "chords": Stem("chords", tuple(chords), 0),
                                     "bass": Stem("bass", tuple(bass), 0)})  # fmt: skip
        if not span_sounds(probe, chord, a, b):
            _sound_span(chords if "chords" not in keep else [],
                        bass if "bass" not in keep else [], chord, a, b)  # fmt: skip
        if chord.bass is not None and "bass" not in keep and a == span.start:
            first = [i for i, n in enumerate(bass) if a <= n.start < a + beat]
            if first:
                i = min(first, key=lambda j: bass[j].start)
                p = _nearest(bass[i].pitch, {chord.bass}, set())
                if p is not None:
                    bass[i] = replace(bass[i], pitch=p)
    stems = dict(song.stems)
    for name, notes in (("chords", chords), ("bass", bass)):
        if name not in keep:
            ordered = tuple(sorted(notes, key=lambda n: (n.start, n.pitch)))
            stems[name] = replace(stems[name], notes=ordered)
    return replace(song, stems=stems)


def unsounded(song: Song, spans: Iterable[ChordSpan], bars: tuple[int, int] | None) -> list[int]:
    """The 1-based bars (in ``bars``, 0-based [lo, hi); None: all) where a forced chord's
    span starts that the chords and bass stems do not sound (``span_sounds``)."""
    bar = song.meter.steps_per_bar
    lo, hi = (0, song.steps) if bars is None else (bars[0] * bar, bars[1] * bar)
    out = set()
    for span in spans:
        a, b = max(span.start, lo), min(span.start + span.duration, hi)
        if span.chord.root is not None and b > a and not span_sounds(song, span.chord, a, b):
            out.add(a // bar + 1)
    return sorted(out)


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


def band_kept(record: dict[str, Any], attrs: PromptAttributes, frame: Song, source: Song) -> None:
    """An edit plays its take's instruments in its take's style (``song_frame``): in
    ``record`` (the attributes song.json keeps) the programs are the take's, an instrument
    the edit's prompt names that the take does not play is said not to be applied, not
    listed as understood; a style the prompt names that is not the take's is said to
    steer the new parts only."""
    understood = list(record["understood"])
    for stem in attrs.named_programs:
        asked, plays = attrs.programs.get(stem), frame.stems[stem].program
        if asked is None or asked == plays or not source.stems[stem].notes:
            continue  # (a stem the take leaves silent has no instrument to keep)
        understood = [u for u in understood if not u.startswith(f"{stem}: {asked} ")]
        record["conflicts"].append(
            f"{stem}: the take's {program_label(plays)} plays on, not {program_label(asked)}: "
            "an edit keeps its take's instruments (refine it, or make a new take, to change them)"
        )
    record["programs"] = {s: frame.stems[s].program for s in STEMS}
    if attrs.style and frame.style and attrs.style != frame.style:
        record["conflicts"].append(
            f"style: the take stays {frame.style} (its instruments, tempo and grooves); "
            f"the prompt's {attrs.style} only steers the parts the edit writes"
        )
    record["understood"] = understood
