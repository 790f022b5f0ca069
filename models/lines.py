"""A monophonic line (the melody, the bass) read from the autoencoder decoder's logits.

``models.decoding`` reads a take's stems; this module is its line reader: a line's
sounding steps are cut into notes at predicted onsets and where the likeliest pitch
changes (``_pitch_changes``), a bar may return to an earlier bar's rhythm
(``_motif_rhythm``) or take one of its style's grooves (``_groove_rhythm``, a walking
bass's too), and the notes' pitches are chosen together on a Viterbi path under the
checkpoint's note-to-note tables, the decoded harmony and the key's degrees
(``_mono_notes``), a bar may then return to an earlier bar's pitches (``_motif_pitches``).
``models.decoding.decode_logits`` gives each stem its settings.

The module-level constants are the reader's settings; each says how it was chosen. The
benches override them by ``setattr`` on this module (bench/realism.py ``--decoder``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.grooves import RhythmBook, cheapest
from models.representation import F32
from multitrack.grid import note_runs
from multitrack.song import Note

# Melodic prior of the monophonic decoder: log-probability cost per semitone of a leap
# beyond a fifth between consecutive notes (see ``_mono_notes``).
LEAP_COST = 0.5
FREE_LEAP = 7
# Harmonic prior of the melody decoder: log-probability bonus of a note whose pitch class
# sounds in the decoded chords or bass where it starts (see ``_mono_notes``). 2 rather than
# 1 with 0.3 (bench/quality.py, 204 prompts): TD +10.7% -> +9.0%, chord-tone ratio +1.5% ->
# +3.3% of the reference; melody UPC, entropy and range barely move (docs/model.md).
CHORD_TONE_BONUS = 2.0
# Weight of the fitted note-to-note prior (``models.prior``) against the network's summed
# per-step log-probabilities, and of an onset's log-odds against a repeated pitch's prior when
# the decoder weighs a held note against a repeat. Chosen on 60 training-split 8-bar windows'
# captions (the bench's held-out windows not looked at), over 1.5-3 and 1-3: repeats 0.27 ->
# 0.23, steps 0.29 -> 0.46, fourths-fifths 0.18 -> 0.08, notes a bar 5.1 -> 4.7 (windows:
# 0.13 / 0.46 / 0.12, 4.8). Stronger weights give more steps and fewer notes a bar; a smaller
# MERGE_SCALE merges more (1.5: repeats 0.21, but bars repeat their rhythm less, motif share
# 0.10 -> 0.09). The bass is decoded against the chords stem with the same chord-tone bonus
# (bass in chord 0.50 -> 0.55 with its own table; windows 0.58).
PRIOR_WEIGHT = 2.5
MERGE_SCALE = 2.0
# A note this many steps long or shorter pays ``short_repeat`` (the melody's:
# ``models.decoding.SHORT_REPEAT_COST``) for being followed by its own pitch
# (``_boundary_steps``).
SHORT_NOTE = 2
# A monophonic line is also cut where the network's most likely pitch changes and holds
# (``_pitch_changes``): it held ``PITCH_CUTS`` steps before the change and holds as many
# after it. 0 cuts at predicted onsets only, as 0.4 did, which read a figure whose onsets the
# onset row missed (a 6/8 jig's D-F-C-F, the pitch rows sure of each) as one held D.
PITCH_CUTS = 2

# Weight of the melody's pitch-class correction (``models.prior.fit_degrees``: the log-ratio,
# clipped to +-1, of how often the corpus and the model's own takes use each degree), added
# to a note's emission. The network under-uses the degrees that colour a line (takes of 400
# training-split windows' captions; major: the seventh 0.022 of notes against the windows'
# 0.057, the fourth 0.088 against 0.111; minor: the second 0.105 against 0.142). 0 turns it
# off. Chosen on 200 training-split windows' captions over 1, 2, 3 and 4 (fitted on 400
# others), then checked on bench/realism.py's 200 held-out windows (docs/model.md,
# "Session 10").
DEGREE_WEIGHT = 2.0

# Melodic motifs (``_motif_pitches``): a bar whose notes fall where an earlier bar's do takes
# that bar's pitches when the network and the note-to-note prior find them at most this many
# nats less likely than the bar's own best pitches. 0 turns it off. Chosen on 200
# training-split windows' captions over 4, 8 and 16 (melody bars returning, corpus 0.35:
# 0.21 -> 0.25 at 16, 4 and 8 hardly moved it; classifier within its noise), then checked on
# bench/realism.py's 200 held-out windows: 0.748 -> 0.743, bars returning d -0.58 -> -0.37.
PITCH_MOTIF_NATS = 16.0


# The bass's grooves (``_groove_rhythm``): a bar of the bass may be played in one of the
# commonest bass rhythms of its style and meter in the training split (checkpoint meta
# ``bass_rhythms``; ``models.grooves.RhythmBook``), when the network finds it at most this
# many nats less likely and the book likes it more by more than that: the score of a bar's
# rhythm is its cost minus ``BASS_BOOK_WEIGHT`` times log(share / ``models.grooves.RHYTHM_FLOOR``). The
# corpus's bass bars are one of their style's 12 commonest rhythms 0.96 of the time, 0.4.2's
# takes 0.78 (60 held-out windows' captions, session 19). 0 turns it off.
BASS_BOOK_NATS = 16.0
BASS_BOOK_WEIGHT = 1.0
# A bass asked to walk (``models.aims.walking_book``) pays ``WALKING_REPEAT_COST`` nats to
# play a pitch again and gains ``WALKING_STEP_BONUS`` for a step (1 or 2 semitones) between
# two notes (``_moves``): a walking line moves on every beat, mostly by step.
WALKING_REPEAT_COST = 8.0
WALKING_STEP_BONUS = 2.0
# ... and weighs the network's pitch rows this much for a note it did not strike there
# itself (it held the last note over that beat, or rested).
WALKING_UNHEARD = 0.25


def _intervals(rows: int) -> NDArray[np.int64]:
    """(rows, rows) semitones between every two pitch rows."""
    return np.abs(np.subtract.outer(np.arange(rows), np.arange(rows)))


def _moves(rows: int, repeat_cost: float, step_bonus: float) -> F32:
    """(rows, rows) gains a line's pitch path adds between two notes: ``-repeat_cost`` for
    the same pitch again, ``step_bonus`` for a step of 1 or 2 semitones."""
    moves = _intervals(rows)
    return np.where(moves == 0, -repeat_cost,
                    np.where(moves <= 2, step_bonus, 0.0)).astype(np.float32)  # fmt: skip


def _pitch_changes(best: NDArray[np.int64], own: NDArray[np.bool_], k: int) -> NDArray[np.bool_]:
    """(T,) True at the steps where the most likely pitch row ``best`` changes between two
    sounding steps (``own``) and each side holds its pitch ``k`` steps."""
    fwd, bwd = own.copy(), own.copy()  # the k steps from t on (up to t) share t's pitch
    for j in range(1, k):
        fwd[:-j] &= (best[j:] == best[:-j]) & own[j:]
        fwd[len(fwd) - j :] = False
        bwd[j:] &= (best[:-j] == best[j:]) & own[:-j]
        bwd[:j] = False
    change = np.zeros(len(best), bool)
    change[1:] = (best[1:] != best[:-1]) & fwd[1:] & bwd[:-1]
    return change


def _log_sigmoid(x: F32) -> F32:
    return -np.logaddexp(0.0, -x)


def _motif_rhythm(
    sound: F32, onset: F32, bar: int, nats: float, sounding: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Sounding and onset steps of a monophonic line from their log-odds (T,), each bar
    either its own rhythm (``sounding`` and the positive onsets) or, within ``nats`` of it,
    the rhythm of an earlier bar (the closest such; a bar that strikes nothing is no rhythm
    to return to): melodies state a rhythm and return to it, which per-step thresholds rarely
    reproduce exactly."""
    s_on, o_on = sounding.copy(), onset > 0
    bars = len(sound) // bar if bar > 0 else 0
    if nats <= 0 or bars < 2:
        return s_on, o_on
    ls_pos, ls_neg = _log_sigmoid(sound), _log_sigmoid(-sound)
    lo_pos, lo_neg = _log_sigmoid(onset), _log_sigmoid(-onset)
    s_bars = s_on[: bars * bar].reshape(bars, bar)  # views: a bar's new rhythm is a source
    o_bars = o_on[: bars * bar].reshape(bars, bar)  # for the bars after it
    for b in range(1, bars):
        at = slice(b * bar, (b + 1) * bar)
        # Every candidate rhythm at once: the bar's own (row 0) and each earlier bar's.
        s = np.concatenate([s_bars[b : b + 1], s_bars[:b]])
        o = np.concatenate([o_bars[b : b + 1], o_bars[:b]]) & s
        body = np.where(s, ls_pos[at], ls_neg[at])
        hits = np.where(o, lo_pos[at], lo_neg[at])
        loglik = body.sum(axis=1) + (s * hits).sum(axis=1)
        cost = loglik[0] - loglik
        same = (s[1:] == s[0]).all(axis=1) & (o[1:] == o[0]).all(axis=1)
        ok = np.flatnonzero(o[1:].any(axis=1) & ~same & (cost[1:] <= nats))
        if len(ok):
            j = ok[cost[1:][ok] <= cost[1:][ok].min()][-1]  # the closest of the cheapest
            s_bars[b], o_bars[b] = s[1 + j], o[1 + j]
    return s_on, o_on


def _groove_rhythm(
    sound: F32,
    onset: F32,
    bar: int,
    nats: float,
    sounding: NDArray[np.bool_],
    onsets: NDArray[np.bool_],
    book: RhythmBook,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Sounding and onset steps (T,) of a monophonic line with each bar either as read
    (``sounding``, ``onsets``) or in one of ``book``'s rhythms (a note on each of its steps,
    held its length), the one whose cost against the reading (summed log-likelihood of
    the steps' sounding and onset log-odds ``sound``, ``onset``) less ``BASS_BOOK_WEIGHT``
    times its ``RhythmBook.bonus`` is least, among those costing at most ``nats``; in a
    ``RhythmBook.named`` book, the least costly of its rhythms. A bar that plays nothing
    keeps silent."""
    s_on, o_on = sounding.copy(), onsets.copy()
    bars = len(sound) // bar if bar > 0 else 0
    if nats <= 0 or bars < 1 or BASS_BOOK_WEIGHT <= 0 or not book.rhythms:
        return s_on, o_on
    s_book, o_book, bonus = book.masks(bar)
    bonus = BASS_BOOK_WEIGHT * bonus
    counts = o_book.sum(axis=1)
    ls_pos, ls_neg = _log_sigmoid(sound), _log_sigmoid(-sound)
    lo_pos, lo_neg = _log_sigmoid(onset), _log_sigmoid(-onset)
    for b in range(bars):
        at = slice(b * bar, (b + 1) * bar)
        s_own = s_on[at]
        if not s_own.any():
            continue
        starts = s_own & (o_on[at] | ~np.concatenate([[False], s_own[:-1]]))
        s = np.concatenate([s_own[None], s_book])
        o = np.concatenate([starts[None], o_book])
        body = np.where(s, ls_pos[at], ls_neg[at]).sum(axis=1)
        hits = (s * np.where(o, lo_pos[at], lo_neg[at])).sum(axis=1)
        costs = (body + hits)[0] - (body + hits)[1:]
        if book.named:
            j = int(costs.argmin())
            s_on[at], o_on[at] = s_book[j], o_book[j]
            continue
        j, score = cheapest(costs, book.leaning(bonus, counts, int(starts.sum())), nats)
        own_bonus = BASS_BOOK_WEIGHT * book.bonus(np.flatnonzero(starts).tolist())
        if score < -own_bonus:
            s_on[at], o_on[at] = s_book[j], o_book[j]
    return s_on, o_on


def _motif_pitches(
    path: list[int],
    runs: list[tuple[int, int]],
    emit: F32,
    step_gain: Callable[[int, int, int], float],
    bar: int,
    nats: float,
) -> list[int]:
    """The Viterbi ``path`` (a row per run) with a bar's pitches replaced by an earlier bar's
    where both bars place their notes alike (the same runs, relative to the bar) and the swap
    costs at most ``nats`` of the path's score (emissions, plus ``step_gain(i, from, to)``
    into, inside and out of the bar). Bars are visited in order, so a bar may return to a
    bar that itself returned; the cheapest, then the closest, earlier bar wins. A tune states
    a figure and comes back to it; per-note choices rarely land on the same pitches twice."""
    if nats <= 0 or bar <= 0 or len(runs) < 2:
        return path
    bars: dict[int, list[int]] = {}
    for i, (a, _) in enumerate(runs):
        bars.setdefault(a // bar, []).append(i)
    shape = {k: tuple((runs[i][0] - k * bar, runs[i][1] - k * bar) for i in idx)
             for k, idx in bars.items()}  # fmt: skip
    path = list(path)

    def local(rows: Sequence[int], idx: list[int]) -> float:
        first, last = idx[0], idx[-1]
        total = float(sum(emit[i, r] for i, r in zip(idx, rows, strict=True)))
        seq = [*([path[first - 1]] if first else []), *rows,
               *([path[last + 1]] if last + 1 < len(path) else [])]  # fmt: skip
        start = first if first else first + 1
        for n, (r0, r1) in enumerate(itertools.pairwise(seq)):
            total += step_gain(start + n, r0, r1)
        return total

    order = sorted(bars)
    for pos, k in enumerate(order):
        idx = bars[k]
        own = [path[i] for i in idx]
        base = local(own, idx)
        best: tuple[float, int] | None = None
        for j in order[:pos]:
            if shape[j] != shape[k]:
                continue
            rows = [path[i] for i in bars[j]]
            if rows == own:
                best = None
                break  # already a return
            cost = base - local(rows, idx)
            if cost <= nats and (best is None or cost <= best[0]):
                best = (cost, j)
        if best is not None:
            for i, r in zip(idx, [path[i] for i in bars[best[1]]], strict=True):
                path[i] = r
    return path


def _leap_costs(rows: int) -> F32:
    return (LEAP_COST * np.maximum(0, _intervals(rows) - FREE_LEAP)).astype(np.float32)


def _mono_notes(
    logits: F32,
    rows: int,
    onset_logit: float,
    low: int,
    shift: int,
    harmony: NDArray[np.bool_] | None = None,
    transitions: F32 | None = None,
    bar: int = 0,
    motif: float = 0.0,
    beat: int = 4,
    offbeat: float = 1.0,
    degrees: F32 | None = None,
    tone_bonus: float | None = None,
    prior_weight: float | None = None,
    merge_scale: float | None = None,
    short_repeat: float = 0.0,
    bar_lines: bool = False,
    turn_cost: float = 0.0,
    step_bonus: float = 0.0,
    groove: RhythmBook | None = None,
) -> list[Note]:
    """Segment decoding of a monophonic stem from (rows + 2, T) logits.

    A step sounds when the rest row is not the most likely; sounding runs are cut at
    predicted onsets; each segment takes a pitch by its summed log-probability over its
    steps. Deciding pitch per note rather than per step keeps a held note from flickering
    between neighbouring rows into fragments. The pitches of consecutive notes are chosen
    together (Viterbi). With ``harmony`` (steps, 12), a note whose pitch class sounds where it
    starts gains ``tone_bonus`` (by default ``CHORD_TONE_BONUS``; ``offbeat`` of it when it
    starts off the ``beat``, in steps): where the network hesitates between neighbours, the
    chord tone wins. With
    ``degrees`` (12,: by pitch class in the key frame), a note's emission also gains
    ``DEGREE_WEIGHT`` times its pitch class's entry.

    With ``transitions`` (rows, rows: ``log P(next | previous)``, ``models.prior``), the path
    scores ``PRIOR_WEIGHT`` times them between notes, and where one note follows another
    without a rest the decoder may also read the onset between them as a held note: the two
    merge when the onset's calibrated log-odds, scaled by ``MERGE_SCALE``, say so more than the
    prior's log-probability of repeating the pitch does. Without it (checkpoints saved
    without tables), a hand-set prior charges ``LEAP_COST`` per semitone of a leap beyond
    ``FREE_LEAP``. With ``motif``, bars may return to an earlier bar's rhythm
    (``_motif_rhythm``) and then to its pitches (``_motif_pitches``, ``PITCH_MOTIF_NATS``).
    With ``bar_lines``, a note sounding through a bar line is struck again there
    (``MELODY_BAR_LINES``); with ``turn_cost``, the pitch path pays it for each move against
    the direction of the last (``_contour_path``, ``CONTOUR_TURN_COST``); with ``step_bonus``,
    it gains that for each step of 1 or 2 semitones (the bass's: ``models.decoding.
    BASS_STEP_BONUS``). With ``groove`` (the bass's), a bar may be played in one of its style's
    commonest rhythms (``_groove_rhythm``), and a walking bass's moves are its own.
    """
    z = logits[: rows + 1]
    logp = z - z.max(axis=0, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=0, keepdims=True))
    rest = logp[0]
    sound = np.log1p(-np.minimum(np.exp(rest), 1 - 1e-6)) - rest  # log-odds of sounding
    # A step sounds where the rest row is not the most likely (as 0.4 decoded); a bar may
    # then take an earlier bar's rhythm (``MOTIF_NATS``).
    own = logp.argmax(axis=0) != 0
    onset_lo = logits[rows + 1] - onset_logit
    if PITCH_CUTS > 0:
        cuts = _pitch_changes(logp[1:].argmax(axis=0), own, int(PITCH_CUTS))
        onset_lo = np.where(cuts, np.maximum(onset_lo, 1.0), onset_lo)  # an onset, if weak
    sounding, onset = _motif_rhythm(sound, onset_lo, bar, motif, own)
    walking = groove is not None and groove.named  # a groove asked for by name
    unheard = None  # a walking bass's notes the network meant held or silent
    if groove is not None:
        sounding, onset = _groove_rhythm(sound, onset_lo, bar, BASS_BOOK_NATS, sounding, onset,
                                         groove)  # fmt: skip
    if walking:  # it strikes every note, a repeat too
        unheard = onset & (onset_lo <= 0)
        onset_lo = np.where(onset, np.inf, onset_lo)
    if bar_lines and bar > 0:  # a note sounding through a bar line is struck again there
        onset = onset.copy()
        onset[bar::bar] |= sounding[bar::bar]
    runs = note_runs(sounding, onset)
    if not runs:
        return []
    starts = np.array([a for a, _ in runs])
    emit = np.stack([logp[1:, a:b].sum(axis=1) for a, b in runs])  # (notes, rows)
    if unheard is not None and WALKING_UNHEARD < 1:
        # a note the network held over or rested through says little of its own pitch
        emit = emit * np.where(unheard[starts], WALKING_UNHEARD, 1.0)[:, None]
    if degrees is not None and DEGREE_WEIGHT:
        emit = emit + DEGREE_WEIGHT * degrees[(low + np.arange(rows)) % 12]
    if harmony is not None:
        pcs = (low + np.arange(rows) - shift) % 12
        tone = CHORD_TONE_BONUS if tone_bonus is None else tone_bonus
        bonus = np.where(starts % beat == 0, 1.0, offbeat) * tone
        emit = emit + bonus[:, None] * harmony[starts][:, pcs]
    weight = PRIOR_WEIGHT if prior_weight is None else prior_weight
    gain = -_leap_costs(rows) if transitions is None else weight * transitions
    if walking:
        gain = gain + _moves(rows, WALKING_REPEAT_COST, WALKING_STEP_BONUS).astype(gain.dtype)
    elif step_bonus:
        gain = gain + _moves(rows, 0.0, step_bonus).astype(gain.dtype)
    steps, held = _boundary_steps(runs, gain, onset_lo, bar if bar_lines else 0,
                                  transitions is not None, merge_scale, short_repeat)  # fmt: skip
    path = _contour_path(emit, steps, turn_cost) if turn_cost > 0 else _plain_path(emit, steps)
    if motif > 0 and PITCH_MOTIF_NATS > 0:

        def step_gain(i: int, r0: int, r1: int) -> float:
            g = float(gain[r0, r1])
            return max(g, float(held[i])) if r0 == r1 else g

        path = _motif_pitches(path, runs, emit, step_gain, bar, float(PITCH_MOTIF_NATS))
    notes: list[Note] = []
    for i, ((a, b), row) in enumerate(zip(runs, path, strict=True)):
        if i and path[i - 1] == row and held[i] > gain[row, row]:
            held_note = notes[-1]
            notes[-1] = Note(held_note.start, held_note.pitch, b - held_note.start)
        else:
            notes.append(Note(a, low + row - shift, b - a))
    return notes


def _boundary_steps(
    runs: list[tuple[int, int]],
    gain: F32,
    onset_lo: F32,
    bar_lines: int,
    merges: bool,
    merge_scale: float | None,
    short_repeat: float,
) -> tuple[list[F32], F32]:
    """Per boundary i (run i-1 -> run i), the (rows, rows) transition gains, and the gain of
    reading it as one held note (-inf where it cannot be: not adjacent, no note tables, or on
    a bar line of ``bar_lines`` steps): where the runs touch, the repeat may be read as held
    when the onset's log-odds, scaled by ``MERGE_SCALE``, say so more than the table's repeat
    does; after a short note the repeat pays ``short_repeat``. Index 0 is unused."""
    same = np.arange(gain.shape[0])
    held = np.full(len(runs), -np.inf)
    steps: list[F32] = [gain]
    for i in range(1, len(runs)):
        step = gain
        at_bar_line = bar_lines > 0 and runs[i][0] % bar_lines == 0
        if merges and runs[i - 1][1] == runs[i][0] and not at_bar_line:
            held[i] = -(MERGE_SCALE if merge_scale is None else merge_scale) * float(
                onset_lo[runs[i][0]]
            )
            step = gain.copy()
            step[same, same] = np.maximum(gain[same, same], held[i])
        if short_repeat and runs[i - 1][1] - runs[i - 1][0] <= SHORT_NOTE:
            step = step.copy()
            step[same, same] -= short_repeat
        steps.append(step)
    return steps, held


def _plain_path(emit: F32, steps: list[F32]) -> list[int]:
    """The Viterbi pitch path over the runs, one state a pitch row."""
    score = emit[0]
    back = np.zeros((len(emit), emit.shape[1]), np.int64)
    for i in range(1, len(emit)):
        total = score[:, None] + steps[i]  # (from, to)
        back[i] = total.argmax(axis=0)
        score = total.max(axis=0) + emit[i]
    path = [int(score.argmax())]
    for i in range(len(emit) - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def _contour_path(emit: F32, steps: list[F32], turn: float) -> list[int]:
    """The Viterbi pitch path with each state a pitch row and the direction of the last move
    into it (none yet, up, down; a repeat keeps it), charging ``turn`` nats for a move
    against that direction (``CONTOUR_TURN_COST``)."""
    n, rows = emit.shape
    rise = np.arange(rows)
    up = rise[None, :] > rise[:, None]  # (from, to)
    down = rise[None, :] < rise[:, None]
    stay = ~(up | down)
    score = np.full((3, rows), -np.inf)
    score[0] = emit[0]
    back = np.zeros((n, 3, rows, 2), np.int64)  # (from direction, from row)
    for i in range(1, n):
        new = np.full((3, rows), -np.inf)
        for d0 in range(3):
            total = score[d0][:, None] + steps[i]
            if d0 == 1:
                total = total - turn * down
            elif d0 == 2:
                total = total - turn * up
            for d1, mask in ((1, up), (2, down), (d0, stay)):
                cand = np.where(mask, total, -np.inf)
                best_from = cand.argmax(axis=0)
                value = cand[best_from, rise]
                better = value > new[d1]
                new[d1] = np.where(better, value, new[d1])
                back[i, d1, better, 0] = d0
                back[i, d1, better, 1] = best_from[better]
        score = new + emit[i][None, :]
    d, r = np.unravel_index(int(np.argmax(score)), score.shape)
    path = [int(r)]
    for i in range(n - 1, 0, -1):
        d, r = back[i, d, r]
        path.append(int(r))
    return path[::-1]


def read_line(
    out: F32,
    rows: int,
    logit_t: float,
    rest: tuple[Any, ...],
    extra: float,
    pull: float,
    lean: float = 0.0,
) -> list[Note]:
    """``_mono_notes`` with its onset threshold ``extra`` log-odds over ``logit_t`` and its
    grooves (the last of ``rest``) pulled ``pull`` and leaning ``lean`` nats a note
    (``RhythmBook.pulled``)."""
    groove = rest[-1]
    if groove is not None:
        rest = (*rest[:-1], groove.pulled(pull, lean))
    return _mono_notes(out, rows, logit_t + extra, *rest)
