"""The chords stem read from the autoencoder decoder's logits, as a band comps.

``models.decoding`` reads a take's stems; this module is its comping reader: the chords
stem's hold and onset rows are thresholded at calibrated logits and read as strikes
(``_chord_notes``), a bar may return to an earlier bar's notes (``_chord_bars``) or keep an
earlier bar's rhythm with its own chords (``_comping_rhythm``), and the onset threshold may
move to meet a strikes-a-bar aim (``read_comping``).

The module-level constants are the reader's settings; each says how it was chosen. The
benches override them by ``setattr`` on this module (bench/realism.py ``--decoder``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from models.config import CHORDS_ROWS
from models.grooves import Rhythm, RhythmBook, cheapest, closest_reading, pulls_of, strike_rhythm
from models.representation import F32
from multitrack.features import onsets_per_bar
from multitrack.grid import Roll, note_runs, roll_to_notes
from multitrack.harmony import fold_pitch_classes
from multitrack.song import Note

# Extra log-odds a chords onset must clear beyond the calibrated threshold (see
# ``read_comping``). 0 decodes as 0.4 did: its chords stem re-struck more often than the
# windows (chords onsets a bar 4.13 against 3.49 on bench/realism.py's 200 held-out windows,
# DPM-10 x4); 1.5: 3.93 (3.96 with 8 motif nats). On 100 training-split windows' captions the
# realism classifier went 0.76 -> 0.74 with it alone.
CHORDS_ONSET_SHIFT = 1.5

# A chord edit keeps the band's comping density (``models.decoding.decode_logits``'s
# ``comping``), a new take its style's (``models.aims.BandAims.density``): the chords
# stem's onset threshold moves by the one of these (log-odds, added to
# ``CHORDS_ONSET_SHIFT``) whose reading strikes closest to the strikes a bar asked for.
# Under a forced progression the network comps denser than the take it edits (the edits'
# median 1.21 of their style's windows against their sources' 0.96, bench/chord_edits.py).
# An empty tuple reads every edit at ``CHORDS_ONSET_SHIFT``, as before session 12. Up to 4
# until session 19; the network comps busier than the sparse styles (guofeng, country, pop,
# march) even at 4, and a style's grooves (``RhythmBook``) thin it further up the range: with
# them, 5, 6 and 8 took fresh takes' styles within 20% of their windows' strikes a bar from
# 0.81 to 0.87 (`bench/style_density.py`) and 310 edits' from 0.74 to 0.77 (recogniser 0.932
# -> 0.929); -2 and -3 brought bluegrass's 11 strikes a bar closer but noise strikes with them
# (EDM edits' recogniser 0.91 -> 0.80 at -3). Session 20, taking aims in their meter: -1.5
# and -2 took 340 edits' styles within 20% of their windows' comping from 0.77 to 0.82
# (recogniser 0.926 either way), but with strikes the network was unsure of, a sixteenth
# long: comping notes a sixteenth long 0.103 -> 0.136 of them (held-out windows 0.103), the
# boosted held-back classifier on notes 0.815 -> 0.853 (`bench/realism_heldback.py`). Not taken.
COMPING_SHIFTS: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)


# The chords stem is read as strikes (``_chord_notes``): voices struck on one step are
# released together, a voice still held when two or more others strike is struck with them,
# and a held run no onset starts that is shorter than ``CHORD_STRAY_STEPS`` is dropped. Off
# (``CHORD_STRIKES = False``), each pitch row is read on its own as 0.4 did: beside held-out
# windows its comping voices came and went one by one (docs/model.md, "Session 7").
CHORD_STRIKES = True
CHORD_STRAY_STEPS = 2
# Voices struck together end at the upper median of their own ends (``_chord_notes``); with
# ``CHORD_VOICES_RING`` a voice the network holds longer rings on to its own end, up to the
# next block strike and the bar line. Off, every voice of a strike ended at the median, as
# 0.4.2 shipped: its strikes released all their voices together 0.805 of the time against
# bench/realism.py's held-out windows' 0.697 (training split: 0.731 against 0.683; ringing
# on: 0.671; classifier 0.637 -> 0.627, with the session's sampling changes). Not capped at
# the bar line, the voices of one chord sounded into the next: chord edits' bars sounding the
# forced chord (bench/chord_edits.py, recogniser) 0.893 -> 0.895, capped 0.902
# (docs/model.md, "Session 15").
CHORD_VOICES_RING = True

# Comping that returns (``_chord_bars``): a bar of the chords stem that sounds the same pitch
# classes as an earlier bar plays that bar's notes when the network finds them at most this
# many nats (summed log-odds over the thresholds) less likely than its own reading. 0 turns
# it off, as 0.4.1 decoded. Chosen on 200 training-split windows' captions over 4, 8 and 16:
# chords bars returning (Jaccard of a bar's notes with its best match) 0.545 -> 0.548 /
# 0.559 / 0.577 against the windows' 0.668; the classifier 0.730 -> 0.728 / 0.725 / 0.727,
# within its noise; comping onsets and polyphony unchanged (docs/model.md, "Session 9").
CHORD_BAR_NATS = 16.0


# A block strike (two or more voices) also strikes the rows whose onset log-odds are within
# this many of the threshold there: the voices the network half heard. The takes' comping
# struck 2.06 voices a strike against the windows' 2.46 (the realism classifier's largest
# tell since session 7) and spread them 4.7 semitones against 6.9. On 200 training-split
# windows' captions at 0 / 1 / 2 / 3: polyphony 2.06 / 2.16 / 2.27 / 2.35, `bench/realism.py
# --split train` 0.630 / 0.610 / 0.588 / 0.590; at 2 the held-back voicing span 4.7 -> 5.4,
# edits' chords by pitch classes 0.947 -> 0.946, by the recogniser 0.953 -> 0.946
# (docs/model.md, "Session 18"). 0: off.
VOICE_SHIFT = 2.0
# ... up to this many voices a strike, the likeliest first: the corpus's comping strikes 5 or
# more voices 1.9% of the time (jazz 34%, waltz 19%, the rest 0-3%), chord edits had 6.4%
# (36 edits, one a style, session 19). 0: no limit. The network's own voices are never
# dropped.
VOICE_FILL = 4
# A strike of one voice in a bar whose reading strikes a block elsewhere takes its
# half-heard voices too (``VOICE_SHIFT``): the network's comping under a style that strikes
# chords lets some strikes through with one voice, where an arpeggio bar (classical,
# lullaby, guofeng: no block in the bar) strikes one note at a time. Bare prompts, 8 takes a
# style, share of single-voice strikes (training windows'): jazz 0.35 -> 0.21 (0.16), rumba
# 0.23 -> 0.12 (0.06), swing 0.25 -> 0.16 (0.11), rock 0.23 -> 0.18 (0.03), reggae 0.27 ->
# 0.26 (0.01); classical and lullaby as they were. Tuning seeds: `bench/realism.py --split
# train --n 200` 0.578 -> 0.565, polyphony 2.17 -> 2.25 (2.46), struck alone 0.328 -> 0.303
# (0.267); 340 chord edits (`--seed 20000`) recogniser 0.924 -> 0.929, chroma 0.938 -> 0.940,
# the per-style density shares as they were (docs/model.md, "Session 27"). False: block
# strikes only, as sessions 18-26 read.
SINGLES_IN_BLOCK_BARS = True
# ... and in every bar, where the take's style strikes chords: at most this share of its
# training windows' comping strikes (in the meter) sound one voice
# (``models.grooves.RhythmBook.singles``). Bare prompts (/tmp/exp/s28/voices.py, 6 takes a
# style, tuning seeds) struck lone voices far more often than their windows where a bar
# held no block to go by: hymn 0.43 (windows 0.03), cha-cha 0.52 (0.14), lo-fi 0.31 (0.11),
# blues 0.20 (0.05). 0: only in bars with a block, as session 27 read.
CHORDAL_SINGLES = 0.15

# Comping that keeps its rhythm (``_comping_rhythm``): a bar of the chords stem takes an
# earlier bar's strikes (their steps and lengths), voiced with its own reading's chords, when
# that rhythm strikes at least as often as the bar's own reading and the network finds it at
# most this many nats (summed strike log-odds over the threshold) less likely. A band's
# comping pattern holds across chord changes: the corpus's held-out windows strike the same
# steps in 0.52 of their bar pairs, 0.4.2's takes 0.29 (session 18). 0 turns it off.
# On 200 training-split windows' captions (`bench/realism.py --split train`; with the
# session's other decoder changes, 0.615 off): every rhythm allowed, 0.597 at 8 nats, but the
# comping thinned (strikes a bar 3.06 -> 2.93, windows 3.57) and with it the bass's share of
# notes in the chord (long takes 0.558 -> 0.520, windows 0.588); a rhythm with no fewer
# strikes than the bar's own, 0.617 at 8 and 0.630 at 16 nats, strikes 3.10 / 3.16, bar pairs
# striking alike 0.41 / 0.51 (off 0.33, windows 0.59), the bass in the chord as before. The
# classifier moves within its noise; the comping's rhythm is the corpus's more often.
CHORD_RHYTHM_NATS = 16.0

# A style's grooves (``models.grooves.RhythmBook``): a bar of the chords stem may be played
# in one of the most common comping rhythms of its style and meter in the training split (checkpoint meta
# ``comping_rhythms``, ``models.recipe.corpus_facts``), voiced with its own chords, when the
# network finds it at most ``CHORD_RHYTHM_NATS`` less likely and it is likelier under the
# book by more than that (``_comping_rhythm``): the score of a bar's rhythm is the network's
# cost minus ``RHYTHM_BOOK_WEIGHT`` times log(share / ``models.grooves.RHYTHM_FLOOR``), a rhythm outside the
# book taken to have the floor's share. The corpus's bars strike one of their style's 12
# commonest rhythms 0.91 of the time, 0.4.2's takes 0.56 (60 held-out windows' captions,
# session 19). 0 turns it off.
RHYTHM_BOOK_WEIGHT = 1.0
# A bar the network left silent (nothing struck, nothing ringing into it), after a bar that
# comps, may play one of the book's rhythms with the chord struck last, chosen as above from
# a cost of every strike's log-odds (``_comping_rhythm``): a bare "jazz in C major" take
# (seed 501) struck 1.25 times a bar against its style's 4.65, leaving three of eight bars
# silent where the grooves cost 6-17 nats. At weight 1 it seldom plays; pulled (the density
# asked, ``models.grooves.GROOVE_PULLS``) it does. Tuning seeds: fresh takes' styles within
# 20% comping 0.82 -> 0.88 (`bench/style_density.py --seed 30000`; country 0.70 -> 0.94),
# 340 edits' 0.71 -> 0.77, recogniser 0.924 -> 0.926, chroma 0.938 -> 0.941
# (`bench/chord_edits.py --n 340 --seed 20000`); `bench/realism.py --split train` 0.568 ->
# 0.565. False leaves such a bar silent, as before session 20.
FILL_SILENT = True
# How hard a reading aiming at a density may lean, after the pulls, toward the grooves with
# more strikes than a bar's own (fewer, when the readings are all busier than the aim): nats
# a strike added to a book rhythm's bonus (``RhythmBook.lean``,
# ``models.grooves.closest_reading``). Off for the comping. Session 23, tuning seeds: (1, 2,
# 4, 8) took fresh takes to their aims more closely (mean |log ratio| to the windows 0.106
# -> 0.088; ballad 0.76 -> 0.96, classical 0.75 -> 0.93 of their windows) and 340 edits'
# comping within 20% of their style per edit 0.71 -> 0.79, but not per style (0.79 either
# way: rumba, swing, lullaby and folk then reach training aims 1.2-1.4 times their held-out
# windows), and bars flipped one by one: comping bars returning the bar before's notes 0.638
# -> 0.617 (windows 0.668), `bench/realism.py --split train` 0.570 -> 0.582. The bass leans
# (``models.decoding.BASS_LEANS``).
COMPING_LEANS: tuple[float, ...] = ()


def _chord_notes(hold: NDArray[np.bool_], struck: NDArray[np.bool_], bar: int = 0) -> list[Note]:
    """Notes of a polyphonic stem from its thresholded hold and onset rows (rows, T), as a
    band's comping plays. A step where two or more voices' onsets fire is a block strike: a
    voice still held there is struck again with the others. Voices struck on the same step
    end at the upper median of their own ends, and no later than the next block strike
    (never into the same row's next note); with ``CHORD_VOICES_RING`` one held longer rings
    on to its own end, up to the next block strike and the end of its ``bar`` (steps; 0: no
    bar line). A voice struck alone (a broken chord) may ring on under the next one. A held
    run that no onset starts and that is shorter than ``CHORD_STRAY_STEPS`` is a stray and
    dropped. Pitches are row indices."""
    sounding = hold | struck
    blocks = np.flatnonzero(struck.sum(axis=0) >= 2)
    pieces: list[tuple[int, int, int]] = []  # (start, end, row), sorted by row then start
    for row in np.flatnonzero(sounding.any(axis=1)):
        for a, b in note_runs(sounding[row], struck[row]):
            if not struck[row, a] and b - a < CHORD_STRAY_STEPS:
                continue
            cuts = blocks[(blocks > a) & (blocks < b)].tolist()
            pieces.extend((x, y, int(row)) for x, y in zip([a, *cuts], [*cuts, b], strict=True))
    limit: dict[tuple[int, int], int] = {}  # (row, start) -> the row's next piece's start
    for (a, _, r), (a2, _, r2) in itertools.pairwise(pieces):
        if r2 == r:
            limit[r, a] = a2
    groups: dict[int, list[tuple[int, int]]] = {}
    for a, b, r in pieces:
        groups.setdefault(a, []).append((b, r))
    notes: list[Note] = []
    for a, members in groups.items():
        ends = sorted(b for b, _ in members)
        end = ends[len(ends) // 2]
        later = blocks[blocks > a]
        if len(members) > 1 and len(later):
            end = min(end, int(later[0]))
        for b, r in members:
            own = end
            if CHORD_VOICES_RING and b > end:  # rings on, to the next strike or bar line
                own = min(b, int(later[0]) if len(later) else b)
                own = max(end, min(own, (a // bar + 1) * bar)) if bar > 0 else own
            notes.append(Note(a, r, min(own, limit.get((r, a), own)) - a))
    return sorted(notes)


def _chord_bars(
    hold_lo: F32, struck_lo: F32, bar: int, nats: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Hold and strike rows of the chords stem from their log-odds over their thresholds
    (rows, T): each bar either its own (the positive log-odds) or, within ``nats`` of it, an
    earlier bar that sounds the same pitch classes, note for note: a band comps a chord the
    way it comped it before, which per-row thresholds rarely reproduce exactly. A bar that
    strikes nothing is no pattern to return to. Rows are 12 to an octave, at most 128."""
    hold, struck = hold_lo > 0, struck_lo > 0
    bars = hold.shape[1] // bar if bar > 0 else 0
    if nats <= 0 or bars < 2:
        return hold, struck
    rows = hold.shape[0]
    grid = np.zeros((bars, 128), bool)  # the rows each bar sounds, as pitch rows from 0
    grid[:, :rows] = (hold | struck)[:, : bars * bar].reshape(rows, bars, bar).any(axis=2).T
    classes = fold_pitch_classes(grid) > 0  # (bars, 12)
    strikes = np.asarray(struck[:, : bars * bar].reshape(rows, bars, bar).any(axis=(0, 2)))
    for b in range(1, bars):  # a copied bar keeps its classes: ``classes`` stays true
        at = slice(b * bar, (b + 1) * bar)
        same = np.flatnonzero(strikes[:b] & (classes[:b] == classes[b]).all(axis=1))
        if not len(same):
            continue
        h_lo, o_lo = hold_lo[:, at], struck_lo[:, at]
        own = float(np.maximum(h_lo, 0).sum() + np.maximum(o_lo, 0).sum())
        h = hold[:, : b * bar].reshape(rows, b, bar)[:, same]  # (rows, candidates, bar)
        o = struck[:, : b * bar].reshape(rows, b, bar)[:, same]
        # what reading each earlier bar's notes here costs against the bar's own reading
        cost = own - (h * h_lo[:, None]).sum(axis=(0, 2)) - (o * o_lo[:, None]).sum(axis=(0, 2))
        ok = np.flatnonzero(cost <= nats)
        if len(ok):
            j = int(same[ok[cost[ok] <= cost[ok].min()][-1]])  # the closest of the cheapest
            was = slice(j * bar, (j + 1) * bar)
            hold[:, at], struck[:, at] = hold[:, was], struck[:, was]
            strikes[b] = True
    return hold, struck


def _comping_rhythm(
    notes: list[Note], strike_lo: F32, bar: int, nats: float, book: RhythmBook | None = None
) -> list[Note]:
    """``notes`` of the chords stem with each bar either as read or played in another
    rhythm, voiced with the bar's own chords (``_revoiced``). First, given a style's
    ``book``, the book's rhythm (or the bar's own) whose cost against the reading, less
    ``RHYTHM_BOOK_WEIGHT`` times its ``RhythmBook.bonus``, is least, among those costing at
    most ``nats``. Then, when some earlier bar's strike rhythm costs at most ``nats`` against
    it and strikes no less often (never fewer strikes: ``CHORD_RHYTHM_NATS``), that one: the
    earlier bar's strike steps, each held as long as it was. ``strike_lo`` (T,): the log-odds
    over the threshold of the step's likeliest strike; a rhythm's cost is what the own
    reading's strikes gain minus what the rhythm's steps do. A bar that strikes nothing keeps
    silent, unless (``FILL_SILENT``) nothing rings into it from the bar before, which comps:
    then it may take a book rhythm (its cost every strike's log-odds) with the chord that bar
    struck last."""
    bars = len(strike_lo) // bar if bar > 0 else 0
    if nats <= 0 or bars < 1 or (bars < 2 and book is None):
        return notes
    by_bar: list[list[Note]] = [[] for _ in range(bars)]
    rest: list[Note] = []
    for n in notes:
        (by_bar[n.start // bar] if n.start < bars * bar else rest).append(n)
    styled = book if book is not None and RHYTHM_BOOK_WEIGHT > 0 and book.rhythms else None
    if styled is not None:
        _, onsets, bonus = styled.masks(bar)
        strikes, bonus = onsets.astype(np.float32), RHYTHM_BOOK_WEIGHT * bonus
        counts = onsets.sum(axis=1)
    rhythms: list[Rhythm] = []
    for b in range(bars):
        own = by_bar[b]
        mine = strike_rhythm(own, b * bar)
        gain = strike_lo[b * bar : (b + 1) * bar]
        if own and styled is not None:
            base = float(gain[[t for t, _ in mine]].clip(min=0).sum())
            steps = tuple(t for t, _ in mine)
            # each book rhythm's cost against the bar's own reading
            k, score = cheapest(
                base - strikes @ gain, styled.leaning(bonus, counts, len(mine)), nats
            )
            if score < -RHYTHM_BOOK_WEIGHT * styled.bonus(steps):
                mine = styled.rhythms[k]
                if tuple(t for t, _ in mine) != steps:
                    by_bar[b] = _revoiced(own, mine, b * bar, bar)
        if not own and styled is not None and FILL_SILENT and b and by_bar[b - 1]:
            held = any(n.start + n.duration > b * bar for n in by_bar[b - 1])
            last = max(n.start for n in by_bar[b - 1])
            chord = sorted({n.pitch for n in by_bar[b - 1] if n.start == last})
            # a silent bar: every strike is the rhythm's cost
            k, score = cheapest(-(strikes @ gain), styled.leaning(bonus, counts, 0), nats)
            if not held and score < 0:
                mine = styled.rhythms[k]
                by_bar[b] = [Note(b * bar + t, p, max(1, length)) for t, length in mine
                             for p in chord]  # fmt: skip
        if b and own:
            base = float(gain[[t for t, _ in mine]].clip(min=0).sum())
            best: tuple[float, int] | None = None
            for j, other in enumerate(rhythms):
                if len(other) < len(mine) or other == mine:  # never fewer strikes
                    continue
                cost = base - float(gain[[t for t, _ in other]].sum())
                if cost <= nats and (best is None or cost <= best[0]):
                    best = (cost, j)
            if best is not None:
                mine = rhythms[best[1]]
                by_bar[b] = _revoiced(own, mine, b * bar, bar)
        rhythms.append(mine)
    return sorted([n for bar_notes in by_bar for n in bar_notes] + rest)


def _revoiced(
    own: Sequence[Note], rhythm: Sequence[tuple[int, int]], start: int, bar: int
) -> list[Note]:
    """The pitches of a bar's own chord notes played in ``rhythm`` (step, length): a strike
    the bar's own reading has too keeps its notes as read; another strikes again the chord
    in force there, held ``length``: the notes sounding there that were struck at or after
    the bar's last block strike (two or more voices) before it, else the bar's last own
    strike before it (the reading changes chord only where it strikes), at most as many
    voices as the bar's fullest own strike. Before the bar's first own strike it is left out
    (no chord is carried back across a change). A voice ringing on from an earlier chord is
    not struck again with the next: joined, the two had sounded as a cluster of up to eight
    voices in an edit's comping (session 19)."""
    struck: dict[int, list[Note]] = {}
    for n in own:
        struck.setdefault(n.start, []).append(n)
    fullest = max((len(v) for v in struck.values()), default=0)
    out: list[Note] = []
    for t, length in rhythm:
        at = start + t
        if at in struck:
            out.extend(struck[at])
            continue
        before = [a for a in struck if a < at]
        if not before:
            continue
        blocks = [a for a in before if len(struck[a]) >= 2]
        since = max(blocks) if blocks else min(before)
        ringing = [n for n in own if since <= n.start <= at < n.start + n.duration]
        chord = ringing or struck[max(before)]
        latest = sorted(chord, key=lambda n: -n.start)[:fullest]  # the latest struck first
        end = min(at + length, start + bar)
        out.extend(Note(at, p, end - at) for p in sorted({n.pitch for n in latest}))
    return _cut_at_strikes(out)


def _cut_at_strikes(notes: list[Note]) -> list[Note]:
    """``notes`` with each one ending no later than its pitch's next strike."""
    out: list[Note] = []
    for n in notes:
        later = [m.start for m in notes if m.pitch == n.pitch and m.start > n.start]
        out.append(replace(n, duration=min(n.duration, min(later) - n.start)) if later else n)
    return out


def _half_heard(
    struck: NDArray[np.bool_], onset_lo: F32, block: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """``struck`` (rows, T) with each ``block`` step's rows whose onset log-odds are within
    ``VOICE_SHIFT`` of the threshold struck too, the likeliest first, while the step has
    fewer than ``VOICE_FILL`` voices (0: all of them)."""
    extra = (onset_lo > -VOICE_SHIFT) & block[None, :] & ~struck
    if VOICE_FILL <= 0:
        return struck | extra
    out = struck.copy()
    for t in np.flatnonzero(extra.any(axis=0)):
        room = VOICE_FILL - int(struck[:, t].sum())
        if room > 0:
            rows = np.flatnonzero(extra[:, t])
            out[rows[np.argsort(-onset_lo[rows, t], kind="stable")[:room]], t] = True
    return out


def read_comping(
    out: F32,
    logit_t: float,
    bar: int,
    bars: int,
    strikes_a_bar: float | None,
    book: RhythmBook | None = None,
) -> list[Note]:
    """The chords stem's notes (pitches are row indices) read from its logits (C, T) at the
    calibrated onset threshold, or, given ``strikes_a_bar``, at the ``COMPING_SHIFTS`` one
    whose strikes a bar come closest to it (the smaller shift on a tie); ``book``: the
    take's style's grooves in its meter (``_comping_rhythm``)."""

    strikes: dict[float, tuple[list[Note], F32]] = {}  # by shift: the pulls share them
    singles = book.singles if book is not None else None
    chordal = singles is not None and singles <= CHORDAL_SINGLES  # every lone voice is filled

    def read(extra: float, pull: float, lean: float) -> list[Note]:
        if extra not in strikes:
            onset_lo = out[CHORDS_ROWS:] - (logit_t + CHORDS_ONSET_SHIFT + extra)
            hold, struck = _chord_bars(out[:CHORDS_ROWS] - logit_t, onset_lo, bar,
                                       CHORD_BAR_NATS)  # fmt: skip
            if not CHORD_STRIKES:
                roll = Roll(onset=struck.T.astype(np.float32), hold=hold.T.astype(np.float32),
                            velocity=np.zeros((out.shape[1], CHORDS_ROWS), np.float32))  # fmt: skip
                return roll_to_notes(roll)
            if VOICE_SHIFT > 0:  # a block strike takes the voices the network half heard
                voices = struck.sum(axis=0)
                block = voices >= 2
                if SINGLES_IN_BLOCK_BARS:
                    bars_of = np.arange(len(voices)) // bar
                    blocky = np.zeros(int(bars_of.max(initial=0)) + 1, bool)
                    blocky[bars_of[block]] = True
                    blocky |= chordal
                    block = block | ((voices == 1) & blocky[bars_of])
                struck = _half_heard(struck, onset_lo, block)
            strikes[extra] = _chord_notes(hold, struck, bar), onset_lo.max(axis=0)
        notes, strike_lo = strikes[extra]
        return _comping_rhythm(notes, strike_lo, bar, CHORD_RHYTHM_NATS,
                               book and book.pulled(pull, lean))  # fmt: skip

    return closest_reading(read, lambda notes: onsets_per_bar(notes, bars), strikes_a_bar,
                    COMPING_SHIFTS, pulls_of(book),
                    COMPING_LEANS if book is not None else ())  # fmt: skip
