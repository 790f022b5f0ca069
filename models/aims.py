"""What a take's band aims at: how busily it comps and plays bass, and in which grooves.

The checkpoint's meta keeps each style's training windows' comping strikes and bass notes a
bar (``density_by_style``, and ``density_by_meter`` where a meter has enough windows) and its
commonest comping and bass bar rhythms a meter (``comping_rhythms``, ``bass_rhythms``;
``models.recipe.corpus_facts``, ``models.grooves.RhythmBook``). ``BandAims`` reads them and
answers for a request: the density the decoder reads its chords and bass at
(``models.decoding.decode_logits``), the grooves it reads them with, and the feel a model
with the feel track is asked for (``models.tracks.feel_rows``). A new take aims at its
style's; an edit plays on from the take it edits (``re_played``: a chord edit's source, the
bars an edit of bars keeps), at its density and in its own bar rhythms (``source_book``).
Music policy the pipeline calls; no torch here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from models.grooves import (
    DrumBook,
    RhythmBook,
    bar_rhythms,
    book_key,
    drum_patterns,
    fit_rhythm_books,
)
from models.request import GenerateRequest
from multitrack.features import Density, playing_a_bar
from multitrack.song import ChordSpan, Meter, Note, Song

T = TypeVar("T")

# A new take's comping and bass are read at its style's training density (``density``);
# False reads them at the calibrated thresholds, as before session 17.
STYLE_DENSITY = True
# A chord edit of the whole take reads its comping in its source's own grooves
# (``source_book``: each bar rhythm the source plays, with its share of its bars), not its
# style's: the band keeps its pattern under the new chords, as a producer expects of a chord
# track (its bass: ``CHORD_EDIT_SOURCE_BASS``). The network still writes each bar; a bar
# takes one of the source's rhythms only within ``models.comping.CHORD_RHYTHM_NATS`` of its
# own reading. Session 25, tuning seeds (`bench/chord_edits.py --n 340 --seed 20000`;
# /tmp/exp/s25/retain.py, 102 edits), off -> on (comping and bass) at
# ``SOURCE_GROOVE_WEIGHT`` 1 / 2 / 4: edits' comping bars striking one of their source's bar
# rhythms 0.567 -> 0.704 / 0.763 / 0.867, the same bar's 0.418 -> 0.492 / 0.546 / 0.594;
# bass bars 0.724 -> 0.748 / 0.771 / 0.792; comping strikes a bar within 10% of the
# source's 0.874 -> 0.924 / - / -, mean |log ratio| 0.050 -> 0.037 / 0.038 / 0.052; styles
# within 20% of their windows, comping / bass, 0.794 / 0.824 -> 0.824 / 0.853 (1 and 2),
# 0.824 / 0.824 (4); per edit 0.718 / 0.759 -> 0.729 / 0.759, 0.732 / 0.768, 0.706 / 0.759;
# recogniser 0.935 -> 0.930 / 0.931 / 0.930, chroma 0.941 -> 0.941 / 0.940 / 0.944. False
# reads an edit in its style's grooves, as before session 25.
SOURCE_GROOVES = True
# How much a source's grooves weigh against the network's reading (``RhythmBook.weight``;
# the pulls of a reading aiming at a density multiply it).
SOURCE_GROOVE_WEIGHT = 2.0
# ... and a chord edit's bass its source's too. Off: its bass plays its style's grooves, at
# its source's density, under the new roots. Tuning seeds (340 edits, as above) on -> off:
# recogniser 0.931 -> 0.934 (0.935 with neither), chroma 0.940 -> 0.939, styles within 20%
# unchanged (0.824 / 0.853); the bass's bars in its source's rhythms 0.77 -> about 0.72, its
# share before any source grooves. (A first held-out run with it on read the recogniser
# 0.930 -> 0.924, edits that wrote every stem 0.928 -> 0.917.) An edit of bars reads its bass
# in the kept bars' grooves either way (``OPEN_BAR_GROOVES``): no new chords there.
CHORD_EDIT_SOURCE_BASS = False
# An edit of bars (a repaint of some, an extension, bars before the take) reads its new bars'
# chords and bass at the density and in the grooves of the bars it keeps (``kept_bars``),
# as a chord edit of the whole take does its source's: the band plays on as it played.
# Session 25, 68 takes of 34 styles on tuning seeds (/tmp/exp/s25/open.py, rep.py), off ->
# on: an 8-bar extension's new bars comping in one of the kept bars' rhythms 0.838 -> 0.920,
# bass 0.826 -> 0.869; their strikes a bar against the kept bars', mean |log ratio| 0.158 ->
# 0.076, bass notes 0.115 -> 0.064; a repaint of bars 4-6: 0.820 -> 0.916, 0.823 -> 0.902,
# 0.159 -> 0.099, 0.161 -> 0.070. The repainted bars come back no more like the old ones
# (their (step, pitch) Jaccard with them: comping 0.314 -> 0.315, bass 0.199 -> 0.209).
# False reads them at the calibrated thresholds in the style's grooves, as before session 25.
OPEN_BAR_GROOVES = True
# ... and its drums in the source's own drum bar patterns (``source_drums``,
# ``models.decoding.DRUM_BOOK_NATS``), each with its share of the source's bars, at
# ``SOURCE_DRUM_WEIGHT``: the network wrote a chord edit's drums as a second fresh take of the
# prompt would (a drum bar's (step, class) Jaccard with its source's bar 0.65, two fresh takes'
# 0.68), and a reggae take's kick, snare and hats could come back as toms and a ride. Session
# 26, tuning seeds (`bench/chord_edits.py --n 340 --seed 20000`), off -> weight 2 (16 nats) /
# 8 (64 nats): the edits' drum bars playing one of their source's bar patterns exactly 0.473
# -> 0.593 / 0.729; their hits a bar against the style's windows, median 0.954 -> 0.945 /
# 0.932, styles within 20% 0.645 (the sources' own 0.677) unchanged; recogniser 0.934,
# chroma 0.939, comping and bass lines unchanged. False: the network's reading alone.
SOURCE_DRUMS = True
SOURCE_DRUM_WEIGHT = 8.0


def book_for(frame: Song, books: Mapping[str, T]) -> T | None:
    """What ``books`` (a table by ``book_key``: the comping's or the bass's grooves, the
    comping's voicing) holds for a take: its style's in its meter, else every style's in
    that meter (no style, or one the corpus never played in it), else None."""
    for style in (frame.style, None):
        book = books.get(book_key(style, frame.meter))
        if book is not None:
            return book
    return None


def source_book(song: Song, stem: str) -> RhythmBook | None:
    """The grooves ``song`` plays ``stem`` in (``models.grooves.bar_rhythms``): each of its
    bar rhythms with its share of the bars that play; None where it is silent."""
    counted = Counter(bar_rhythms(song, stem))
    if not counted:
        return None
    book = RhythmBook.from_meta(fit_rhythm_books({"": counted}, size=len(counted))[""])
    return book.pulled(SOURCE_GROOVE_WEIGHT)


def source_drums(song: Song) -> DrumBook | None:
    """The drum bar patterns ``song`` plays (``models.grooves.drum_patterns``), each with
    its share of the bars that play; None where the drums are silent."""
    counted = Counter(drum_patterns(song))
    if not counted:
        return None
    total = sum(counted.values())
    patterns = sorted(counted, key=lambda p: -counted[p])
    shares = tuple(counted[p] / total for p in patterns)
    return DrumBook(tuple(patterns), shares, SOURCE_DRUM_WEIGHT)


def kept_bars(song: Song, bars: tuple[int, int] | None) -> Song:
    """``song`` without bars [lo, hi) (0-based; its later bars moved up): what an edit of
    those bars keeps of it. The song itself for None."""
    if bars is None:
        return song
    lo, hi = bars
    bar = song.meter.steps_per_bar
    cut = (hi - lo) * bar

    def kept(notes: tuple[Note, ...]) -> tuple[Note, ...]:
        return tuple(replace(n, start=n.start - cut) if n.start >= hi * bar else n
                     for n in notes if not lo * bar <= n.start < hi * bar)  # fmt: skip

    stems = {name: replace(stem, notes=kept(stem.notes)) for name, stem in song.stems.items()}
    return replace(song, bars=max(1, song.bars - (hi - lo)), stems=stems, chords=(), sections=())


def walking_book(meter: Meter) -> RhythmBook:
    """The grooves of a walking bass (``PromptAttributes.bass_line`` "walking"): one note on
    every counted beat, a beat long (four quarters in 4/4, two dotted quarters in 6/8), in
    every bar the bass plays (``RhythmBook.named``): the producer asked for it by name."""
    beat = meter.steps_per_beat
    walk = tuple((b * beat, beat) for b in range(meter.beats_per_bar))
    return RhythmBook((walk,), (1.0,), named=True)


def re_played(
    request: GenerateRequest,
    base: Song | None,
    spans: tuple[ChordSpan, ...] | None,
    bars: tuple[int, int] | None,
) -> Song | None:
    """What of its source an edit plays on from, its new bars or chords read at its density
    and in its grooves: a chord edit of the whole take, its source (``base``); an edit of
    bars, the bars it keeps (``kept_bars``, with ``OPEN_BAR_GROOVES``); None for a new take
    or a repaint of stems without new chords."""
    if request.source is None or base is None:
        return None
    if bars is not None:
        return kept_bars(base, bars) if OPEN_BAR_GROOVES else None
    return base if spans is not None else None


@dataclass
class BandAims:
    """A checkpoint's density and groove tables (its meta), by style and meter."""

    # each style's training windows' comping strikes and bass notes a bar
    density_by_style: dict[str, dict[str, float]]
    # and in each meter it has enough windows in (by ``book_key``)
    density_by_meter: dict[str, dict[str, float]]
    # each style's commonest comping and bass rhythms a meter
    rhythm_books: dict[str, RhythmBook]
    bass_books: dict[str, RhythmBook]
    # each style's share of comping strikes of one voice, a meter (by ``book_key``)
    singles: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> BandAims:
        """The tables of a checkpoint's meta; a table it was saved without reads empty."""
        return cls(
            density_by_style=dict(meta.get("density_by_style", {})),
            density_by_meter=dict(meta.get("density_by_meter", {})),
            rhythm_books={
                k: RhythmBook.from_meta(v) for k, v in meta.get("comping_rhythms", {}).items()
            },
            bass_books={
                k: RhythmBook.from_meta(v) for k, v in meta.get("bass_rhythms", {}).items()
            },
            singles={k: float(v) for k, v in meta.get("comping_singles", {}).items()},
        )

    def means(self, style: str | None, meter: object) -> dict[str, float]:
        """A style's training windows' comping strikes and bass notes a bar (``"comping"``,
        ``"bass"``): in ``meter`` where the corpus has enough of them
        (``density_by_meter``; a stem too few of them play is left out, and read at the
        calibrated threshold), else over all its meters (``density_by_style``); empty for
        no style or one the corpus does not have."""
        if not style:
            return {}
        return self.density_by_meter.get(book_key(style, meter)) or self.density_by_style.get(
            style, {}
        )

    def grooves(
        self,
        frame: Song,
        walking: bool = False,
        source: Song | None = None,
        chord_edit: bool = False,
    ) -> tuple[RhythmBook | None, RhythmBook | None]:
        """The comping's and the bass's grooves a take is read with: its style's in its
        meter (``book_for``); an edit's that re-plays a take (``source``: a chord edit's
        source, or the bars an edit of bars keeps, ``re_played``), the source's own where
        that stem plays in it (``source_book``), but for a ``chord_edit``'s bass
        (``CHORD_EDIT_SOURCE_BASS``); a bass asked to walk, ``walking_book``'s. The comping's,
        whichever grooves it plays, carries the style's voicing (``singles_of``)."""
        comping, bass = book_for(frame, self.rhythm_books), book_for(frame, self.bass_books)
        if source is not None and SOURCE_GROOVES:
            comping = source_book(source, "chords") or comping
            if CHORD_EDIT_SOURCE_BASS or not chord_edit:
                bass = source_book(source, "bass") or bass
        if comping is not None:  # the style's voicing, whichever grooves it plays
            comping = replace(comping, singles=self.singles_of(frame))
        return comping, walking_book(frame.meter) if walking else bass

    def singles_of(self, frame: Song) -> float | None:
        """The share of comping strikes of one voice in a take's style and meter
        (``comping_singles``), else every style's in the meter; None unknown."""
        return book_for(frame, self.singles)

    def drums(self, source: Song | None, keep: set[str]) -> DrumBook | None:
        """The drum patterns an edit that re-plays a take (``re_played``) reads its drums
        with: the source's own (``source_drums``); None for a new take, a repaint of stems,
        kept drums, or with ``SOURCE_DRUMS`` off."""
        if source is None or not SOURCE_DRUMS or "drums" in keep:
            return None
        return source_drums(source)

    def feel(self, frame: Song, request: GenerateRequest) -> Density:
        """The feel a request asks a model with the feel track for (None leaves a row
        unknown): an edit's source's, where that stem plays in it (a repaint, a new
        progression, an extension keeps the band's feel); a new take's style's training
        windows' means in its meter (``means``), as the decoder reads it at (``density``)."""
        if request.source is not None:
            return playing_a_bar(request.source)
        means = self.means(frame.style, frame.meter)
        return means.get("comping"), means.get("bass")

    def density(
        self,
        frame: Song,
        request: GenerateRequest,
        played: Song | None,
        keep: set[str],
        walking: bool = False,
    ) -> Density:
        """(comping strikes a bar, bass notes a bar) the decoder reads a take's chords and
        bass at (``decode_logits``), None for the calibrated threshold.

        A chord edit of the whole take keeps its source's, for each stem it writes: the band
        keeps its feel under new chords. A new take reads at its style's training windows'
        means in its meter (``means``): the denoiser writes much the same comping whatever
        the style (bare "<style> in <key>" prompts comped at 1.8 times country's windows, of
        every meter then, and 0.4 times bluegrass's), and only 0.55 of styles' takes came
        within 20% of their windows' mean (docs/model.md, "Session 17"). The decoder's onset
        thresholds move only so far (``models.comping.COMPING_SHIFTS``,
        ``models.decoding.BASS_SHIFTS``): a take the network wrote busy stays busier than
        its style. An edit of bars (a repaint, an extension) reads at the density of the bars
        it keeps (``OPEN_BAR_GROOVES``, ``kept_bars``). ``played``: what of its source an edit
        plays on from (``re_played``); None for a repaint of stems without new chords, which
        reads as calibrated: it asks for other parts. A bass asked to walk (``walking``) is
        read at a note a beat, whatever the request, unless it is kept."""
        if request.source is None:
            means = self.means(frame.style, frame.meter) if STYLE_DENSITY else {}
            comping, bass = means.get("comping"), means.get("bass")
        elif played is None:
            comping, bass = None, None
        else:
            comping, bass = playing_a_bar(played)
            comping = None if "chords" in keep else comping
            bass = None if "bass" in keep else bass
        if walking and "bass" not in keep:
            bass = float(frame.meter.beats_per_bar)
        return comping, bass
