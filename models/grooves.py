"""A style's grooves: the commonest bar rhythms of a stem, fitted on the training corpus.

The corpus is written in MMA's grooves: its held-out windows' comping bars strike one of
their style's 12 commonest rhythms 0.93 of the time, its bass bars 0.96 (session 19). A
``RhythmBook`` holds one style's commonest rhythms of one stem in one meter, counted over the
training split (``models.recipe.corpus_facts``) and kept in the checkpoint's meta
(``comping_rhythms``, ``bass_rhythms``), so a model retrained on a producer's library plays
that library's grooves. The comping reader (``models.comping._comping_rhythm``) and the
bass's (``models.lines._groove_rhythm``) weigh each bar's reading against them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from multitrack.song import Note, Song

# The share a rhythm outside the book is taken to have (``RhythmBook.bonus``).
RHYTHM_FLOOR = 0.01
# Rhythms kept a style and meter.
RHYTHM_BOOK_SIZE = 12
# How hard a reading that aims at a density (a new take's style's, an edit's source's) may
# pull toward the book (``RhythmBook.pulled``): ``closest_reading`` tries each
# with every threshold shift. The network comps some styles at a density no threshold
# reaches (it is sure of its strikes), and at weight 1 their grooves lose to it. On bare
# style prompts' fresh takes (`bench/style_density.py --seed 30000`, where it was chosen):
# styles within 20% of their windows, comping / bass, 0.84 / 0.71 -> 0.94 / 0.77 (mean
# |log ratio| 0.110 / 0.152 -> 0.100 / 0.132); `bench/realism.py --split train` 0.595 ->
# 0.588. (1.0,) reads as session 19 did.
GROOVE_PULLS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
# A stronger pull is tried only while no reading has come within this share of the aim: at
# 32 bars, trying every pull took the decoding from 0.30 to 0.76 s of a take
# (`bench/generate_speed.py`). 0 tries every pull.
PULL_WITHIN = 0.05

Rhythm = tuple[tuple[int, int], ...]  # (step in the bar, length) of each strike


def share_bonus(share: float | None, weight: float) -> float:
    """``weight`` times log(share / ``RHYTHM_FLOOR``): what a book's pattern with ``share``
    of its bars is worth to a reading; 0 for a pattern outside the book (None)."""
    if share is None:
        return 0.0
    return weight * math.log(max(share, RHYTHM_FLOOR) / RHYTHM_FLOOR)


@dataclass(frozen=True)
class RhythmBook:
    """A style's commonest bar rhythms of one stem in one meter (the comping's strikes, the
    bass's notes): each pattern (its steps) with its share of the style's bars that play,
    played with the lengths it most often has. ``weight`` scales each rhythm's ``bonus``
    (``pulled``); ``lean`` adds nats for each strike a rhythm has beyond a bar's own reading
    (``leaning``; negative: for each one fewer), for a reading that aims at a density.
    ``named``: the producer asked for these grooves by name (``models.aims.walking_book``):
    every bar that plays takes the one of them the network finds likeliest, however far
    from its own reading. ``singles``: the share of the style's comping strikes (in the
    meter) that sound one voice (``models.recipe.corpus_facts``' ``comping_singles``; None
    unknown), which tells a style that strikes chords from one that picks single notes
    (``models.comping.CHORDAL_SINGLES``)."""

    rhythms: tuple[Rhythm, ...]
    shares: tuple[float, ...]
    weight: float = 1.0
    lean: float = 0.0
    named: bool = False
    singles: float | None = None
    _share_of: dict[tuple[int, ...], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shares = {tuple(t for t, _ in r): s for r, s in zip(self.rhythms, self.shares, strict=True)}
        object.__setattr__(self, "_share_of", shares)

    def bonus(self, steps: Sequence[int]) -> float:
        """``weight`` times log(share / ``RHYTHM_FLOOR``) of the pattern striking ``steps``,
        0 outside the book."""
        return share_bonus(self._share_of.get(tuple(steps)), self.weight)

    def masks(self, bar: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.float32]]:
        """(K, ``bar``) steps each rhythm sounds (a strike held its length) and strikes on,
        and its (K,) ``bonus``."""
        sounding = np.zeros((len(self.rhythms), bar), bool)
        onsets = np.zeros((len(self.rhythms), bar), bool)
        for k, rhythm in enumerate(self.rhythms):
            for t, length in rhythm:
                if t < bar:
                    sounding[k, t : min(bar, t + max(1, length))] = True
                    onsets[k, t] = True
        bonus = np.array([self.bonus([t for t, _ in r]) for r in self.rhythms], np.float32)
        return sounding, onsets, bonus

    def pulled(self, pull: float, lean: float = 0.0) -> RhythmBook:
        """This book with its ``weight`` times ``pull`` and its ``lean``."""
        if pull == 1.0 and lean == self.lean:
            return self
        return replace(self, weight=self.weight * pull, lean=lean)

    def leaning(
        self, bonus: NDArray[np.float32], counts: NDArray[Any], own: int
    ) -> NDArray[np.float32]:
        """``bonus`` (K,) with ``lean`` nats for each strike a rhythm (``counts``, K) has
        beyond a bar's ``own``."""
        if self.lean == 0.0:
            return bonus
        return (bonus + self.lean * (counts - own)).astype(np.float32)

    @classmethod
    def from_meta(cls, entries: Sequence[Any]) -> RhythmBook:
        """From the checkpoint meta's ``[[[[step, length], ...], share], ...]``."""
        rhythms = tuple(tuple((int(t), int(d)) for t, d in r) for r, _ in entries)
        return cls(rhythms, tuple(float(share) for _, share in entries))


def pulls_of(book: RhythmBook | None) -> tuple[float, ...]:
    """The pulls a reading aiming at a density tries (``GROOVE_PULLS``): (1.0,) with no book."""
    return GROOVE_PULLS if book is not None else (1.0,)


def cheapest(
    costs: NDArray[np.float32], bonus: NDArray[np.float32], nats: float
) -> tuple[int, np.floating[Any]]:
    """The index of the rhythm whose cost less its ``bonus`` is least among those costing at
    most ``nats``, and that score (inf when none does), in the costs' own precision: a bar
    whose own rhythm is that one then ties with its own bonus, and keeps its reading."""
    scores = np.where(costs <= nats, costs - bonus, np.inf)
    k = int(scores.argmin())
    return k, scores[k]


def closest_reading(
    read: Callable[[float, float, float], list[Note]],
    count: Callable[[list[Note]], float],
    aim: float | None,
    shifts: Sequence[float],
    pulls: Sequence[float] = (1.0,),
    leans: Sequence[float] = (),
) -> list[Note]:
    """``read(extra, pull, lean)`` at (0.0, 1.0, 0.0) when ``aim`` is None (or no
    ``shifts``), else the reading, over the threshold ``shifts`` and the grooves' ``pulls``
    (``GROOVE_PULLS``; (1.0,) for a line read without grooves), whose ``count`` comes
    closest to ``aim`` (the weaker pull, then the smaller shift, on a tie): the comping's
    (``models.comping.read_comping``) and the bass's (``models.decoding``). A stronger pull
    is tried only while no reading has come within ``PULL_WITHIN`` of the aim; then, while
    none has, each of ``leans``
    (``RhythmBook.lean``, nats a strike) at the pull that came closest, toward more strikes
    when that reading fell short of the aim and fewer when it overshot."""
    if aim is None or not shifts:
        return read(0.0, 1.0, 0.0)
    best: tuple[float, float, float, list[Note]] | None = None  # miss, count, pull, notes

    def closer(pull: float, lean: float) -> bool:
        """Try every shift at ``pull`` and ``lean``, keeping a reading closer than the best;
        whether the best is now close enough to stop."""
        nonlocal best
        for extra in sorted(shifts):
            notes = read(extra, pull, lean)
            n = count(notes)
            if best is None or abs(n - aim) < best[0]:
                best = (abs(n - aim), n, pull, notes)
        assert best is not None
        return best[0] <= PULL_WITHIN * aim

    for pull in pulls or (1.0,):
        if closer(pull, 0.0):
            break
    assert best is not None
    pull, sign = best[2], (1.0 if best[1] < aim else -1.0)
    for lean in leans:
        if best[0] <= PULL_WITHIN * aim or closer(pull, sign * lean):
            break
    return best[3]


def strike_rhythm(notes: Sequence[Note], start: int) -> tuple[tuple[int, int], ...]:
    """(step in the bar, length) of each strike of a bar's chord notes: their distinct
    starts, each as long as the longest of its notes up to the next strike."""
    starts = sorted({n.start for n in notes})
    out = []
    for i, a in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else None
        length = max(n.duration for n in notes if n.start == a)
        out.append((a - start, length if nxt is None else min(length, nxt - a)))
    return tuple(out)


def bar_rhythms(song: Song, stem: str = "chords") -> list[Rhythm]:
    """Each bar's rhythm of ``stem`` (``strike_rhythm``: the comping's strikes, a line's
    notes), for the bars where it plays."""
    bar = song.meter.steps_per_bar
    by_bar: list[list[Note]] = [[] for _ in range(song.bars)]
    for n in song.stems[stem].notes:
        if n.start < song.bars * bar:
            by_bar[n.start // bar].append(n)
    return [strike_rhythm(notes, b * bar) for b, notes in enumerate(by_bar) if notes]


def book_key(style: str | None, meter: object) -> str:
    """The key of a style (None: every style) in a meter in the checkpoint meta's
    ``comping_rhythms`` and ``bass_rhythms``."""
    return f"{style or '*'} {meter}"


def fit_rhythm_books(
    counts: Mapping[str, Counter[Rhythm]], size: int = RHYTHM_BOOK_SIZE
) -> dict[str, list[Any]]:
    """``comping_rhythms`` (``bass_rhythms``) meta from each ``book_key``'s counted bar
    rhythms: its ``size`` commonest patterns, each with its share of the key's bars and its
    commonest lengths, shares rounded to 4 places."""
    out: dict[str, list[Any]] = {}
    for key, counted in sorted(counts.items()):
        total = sum(counted.values())
        patterns: Counter[tuple[int, ...]] = Counter()
        played: dict[tuple[int, ...], Counter[Rhythm]] = {}
        for rhythm, n in counted.items():
            steps = tuple(t for t, _ in rhythm)
            patterns[steps] += n
            played.setdefault(steps, Counter())[rhythm] += n
        out[key] = [
            [[list(x) for x in played[steps].most_common(1)[0][0]], round(n / total, 4)]
            for steps, n in patterns.most_common(size)
        ]
    return out


DrumPattern = frozenset[tuple[int, int]]  # (drum class row, step in the bar) of each hit


@dataclass(frozen=True)
class DrumBook:
    """The drum bar patterns a take plays (``drum_patterns``), each with its share of the
    bars that play: what an edit's drums play on from (``models.aims.BandAims.drums``).
    ``weight`` scales each pattern's bonus, as ``RhythmBook.weight`` does."""

    patterns: tuple[DrumPattern, ...]
    shares: tuple[float, ...]
    weight: float = 1.0
    _share_of: dict[DrumPattern, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shares = dict(zip(self.patterns, self.shares, strict=True))
        object.__setattr__(self, "_share_of", shares)

    def bonus(self, pattern: DrumPattern) -> float:
        """``weight`` times log(share / ``RHYTHM_FLOOR``) of ``pattern``, 0 outside the book."""
        return share_bonus(self._share_of.get(pattern), self.weight)

    def read(
        self, margin: NDArray[np.float32], hit: NDArray[np.bool_], bar: int, nats: float
    ) -> NDArray[np.bool_]:
        """``hit`` (rows, steps: the onsets read at the threshold) with each bar that plays
        either as read or played as one of the book's patterns, the one whose cost (the
        summed |``margin``|, log-odds over the threshold, of the cells it reads otherwise),
        less its bonus, is least among those costing at most ``nats``; the bar's own reading
        costs nothing and has its own bonus. A bar the network left silent stays silent."""
        out = hit.copy()
        rows = hit.shape[0]
        masks = np.zeros((len(self.patterns), rows, bar), bool)
        for k, pattern in enumerate(self.patterns):
            for r, t in pattern:
                if r < rows and t < bar:
                    masks[k, r, t] = True
        bonus = np.array([self.bonus(p) for p in self.patterns], np.float32)
        for b in range(hit.shape[1] // bar):
            own = hit[:, b * bar : (b + 1) * bar]
            if not own.any():
                continue
            cost = (np.abs(margin[:, b * bar : (b + 1) * bar]) * (masks != own)).sum(axis=(1, 2))
            k, score = cheapest(cost.astype(np.float32), bonus, nats)
            if score < -self.bonus(drum_pattern(own)):
                out[:, b * bar : (b + 1) * bar] = masks[k]
        return out


def drum_pattern(bar_hits: NDArray[np.bool_]) -> DrumPattern:
    """The (row, step) cells of one bar's drum onsets (rows, bar)."""
    return frozenset((int(r), int(t)) for r, t in np.argwhere(bar_hits))


def drum_patterns(song: Song) -> list[DrumPattern]:
    """Each bar's drum pattern (``DrumPattern``), for the bars where the drums play."""
    bar = song.meter.steps_per_bar
    by_bar: list[set[tuple[int, int]]] = [set() for _ in range(song.bars)]
    for n in song.stems["drums"].notes:
        if n.start < song.bars * bar:
            by_bar[n.start // bar].add((n.pitch, n.start % bar))
    return [frozenset(cells) for cells in by_bar if cells]
