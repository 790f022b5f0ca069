"""Notes from the autoencoder decoder's logits: the model's output read back as a Song.

``models.representation`` defines the arrays the network sees and predicts; this module
decides which notes those predictions are. Binary rows (chord hold/onset, drum onsets) are
thresholded at calibrated logits; the chords stem is read as a band comps
(``models.comping``); the monophonic stems are segmented into notes whose pitches are chosen
together under the checkpoint's fitted note-to-note tables and the decoded harmony
(``_mono_notes``), and the bass's bars may take its style's grooves (``_groove_rhythm``).

The module-level constants are the decoder's settings; each says how it was chosen. The
benches override them by ``setattr`` on this module (bench/realism.py ``--decoded-as-0.4``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.comping import read_comping
from models.config import CHORDS_LOW, DEFAULT_KEY_FRAME
from models.grooves import RhythmBook, cheapest, closest_reading, pulls_of
from models.prior import DEGREES, MINOR, MINOR_CLASS, PENTATONIC, mode_class
from models.representation import _WINDOW, F32, POS_WEIGHT, key_shift
from multitrack.grid import note_runs
from multitrack.harmony import fold_pitch_classes, harmony_pitch_classes, sounding
from multitrack.song import DRUM_CLASSES, STEMS, Note, Song, Stem
from multitrack.theory import Key

# Velocities are not modelled: a producer gets even, metrically accented velocities that the
# DAW's MIDI clips make easy to reshape. Per stem: base velocity, extra on strong beats.
_VELOCITY = {"melody": (88, 12), "chords": (72, 8), "bass": (92, 10), "drums": (84, 24)}


def _velocity(stem: str, start: int, steps_per_beat: int, steps_per_bar: int) -> int:
    base, accent = _VELOCITY[stem]
    if start % steps_per_bar == 0:
        return base + accent
    if start % steps_per_beat == 0:
        return base + accent // 2
    return base


# Melodic prior of the monophonic decoder: log-probability cost per semitone of a leap
# beyond a fifth between consecutive notes (see ``_mono_notes``).
LEAP_COST = 0.5
FREE_LEAP = 7
# Harmonic prior of the melody decoder: log-probability bonus of a note whose pitch class
# sounds in the decoded chords or bass where it starts (see ``_mono_notes``). 2 rather than
# 1 with 0.3 (bench/quality.py, 204 prompts): TD +10.7% -> +9.0%, chord-tone ratio +1.5% ->
# +3.3% of the reference; melody UPC, entropy and range barely move (docs/model.md).
CHORD_TONE_BONUS = 2.0
# The bass's own bonus for a note whose pitch class the chords stem sounds where it starts.
# 2 (the melody's) gave 0.535 of bass notes in the chord on bench/realism.py's held-out
# windows against their 0.596, past issue 11's 10% line. Chosen on 200 training-split
# windows' captions over 2, 3 and 4: bass in chord 0.561 / 0.575 / 0.590 against the
# windows' 0.583, classifier 0.703 / 0.705 / 0.717 (docs/model.md, "Session 10").
BASS_TONE_BONUS = 3.0
# Share of ``CHORD_TONE_BONUS`` a melody note gets when it starts off the beat (the bass
# gets it whole). 1.0 treats every note alike, as 0.4.1 did; 0 leaves notes between the
# beats free to pass between chord tones by step, as melodies do (passing and neighbour
# notes fall between beats). Chosen on 200 training-split windows' captions over 1, 0.5 and
# 0 (realism classifier 0.745 / 0.740 / 0.730, steps 0.401 / 0.411 / 0.424 against 0.480),
# then checked on bench/realism.py's 200 held-out windows: 0.762 -> 0.720, steps 0.414 ->
# 0.435 (corpus 0.507), pitch-class entropy 2.13 -> 2.17 (2.34), strong-beat chord tones
# 0.644 -> 0.645 (0.656); bass in chord 0.534 -> 0.536 (freeing the bass's off-beat notes
# too gave 0.710, bass in chord 0.529; docs/model.md, "Session 9").
CHORD_TONE_OFFBEAT = 0.0


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

# A model with a pitch reader (``models.autoencoder``; session 14), whose pitch rows are as
# sure of a generated latent's chromatic and leaping notes as of the rest, decodes its
# melody with these instead: its table (half interval distribution,
# ``models.prior.INTERVAL_MIX``) weighs 10 and the merge scale 8 (the same ratio, so a
# repeated pitch merges as often as before). Chosen on 200 training-split windows' captions:
# weight 2.5 / 4 / 6 / 8 / 10 (merge scale 2 / 3.2 / 4.8 / 6.4 / 8): classifier 0.760 / 0.723 /
# 0.685 / 0.670 / 0.660, steps 0.37 / 0.40 / 0.43 / 0.46 / 0.48 (windows 0.48), pitch-class
# entropy 2.34 / 2.32 / 2.31 / 2.30 / 2.30 (2.35). With the merge scale left at 2 under a
# weight of 6, repeats fell to 0.06 and notes a bar to 3.5. Its chord-tone bonus grows with
# the weight: 2 / 6 / 10 gave the quality bench's chord-tone ratio -14.4% / -10.3% / -8.6% of
# the reference's (0.4.1: -7.9%) and style 0.745 / 0.745 / 0.760, realism 0.673 / 0.668 /
# 0.665. The bass decodes as without a reader (its table at ``PRIOR_WEIGHT``, merges at
# ``MERGE_SCALE``; at the reader's 8: held-out realism 0.657 against 0.665, bass notes a bar
# 2.78 against 2.69, the windows' 2.76, both within noise). The degree correction is not
# read: the reader's takes use the degrees about as the windows do (pitch-class entropy
# 2.30 against 2.35, in scale 0.971 against 0.974; the tuned decoder's: 2.15, 0.995).
READER_PRIOR_WEIGHT = 10.0
READER_MERGE_SCALE = 8.0
READER_TONE_BONUS = 10.0
# Nats a melody note of at most ``SHORT_NOTE`` steps (an eighth) pays for being followed by
# the same pitch, struck again or held on. Fast notes move: in bench/realism.py's held-out
# windows a note of 1 step is followed by its own pitch 7% of the time and one of 2 steps 14%,
# where the reader's takes repeated 16% / 23% (after longer notes 19% against 20%). Within
# one latent frame both notes read the same pitch rows, and the table's single most likely
# move is the repeat (its steps split over four targets), so the path took it. Chosen on 200
# training-split windows' captions over 0 / 5 / 10 / 20 nats: repeats 0.203 / 0.166 / 0.133 /
# 0.094 (windows 0.171), steps 0.434 / 0.465 / 0.487 / 0.509 (0.480), classifier 0.628 /
# 0.635 / 0.642 / 0.710; held-out at 5: 0.635 -> 0.600, repeats 0.202 -> 0.162 (0.164), every
# melody target met (docs/model.md, "Session 16").
SHORT_REPEAT_COST = 5.0
SHORT_NOTE = 2

# Under a forced progression (a chord edit, ``--chords``) the melody and the bass are decoded
# against the chords the producer typed (their pitch classes where a symbol names a chord;
# N.C. falls back to what the decoded stems sound), not against what the decoded comping
# happens to sound, and the melody's chord-tone bonus is ``FORCED_MELODY_TONE_BONUS`` (a
# reader's; ``READER_TONE_BONUS`` otherwise). bench/chord_edits.py --n 102 --steps 8: new
# melodies' strong-beat chord-tone fit minus the style windows' -0.057 (decoded harmony) ->
# -0.035 (the typed chords, melody alone) -> -0.033 (melody and bass; recogniser 0.902 ->
# 0.912); bonus 15 / 20: -0.007 / +0.012, the melody's steps 0.439 (the fresh takes') -> 0.422 /
# 0.409, fourths and wider 0.173 -> 0.156 / 0.165 (docs/model.md, "Session 16").
FORCED_MELODY_HARMONY = True
FORCED_BASS_HARMONY = True
FORCED_MELODY_TONE_BONUS = 20.0


# A step where the drums strike both the closed and the open hi-hat keeps the open one. A
# kit has one hi-hat, and GM sound fonts put 42 and 46 in one exclusive class, so whichever
# sounds second cuts the other: the open hat's accent went unheard. The corpus has both in
# 56% of its open-hat steps (MMA's pedal hats and shakers fold onto the closed hat).
ONE_HAT = True
_CLOSED_HAT, _OPEN_HAT = DRUM_CLASSES.index("closed_hat"), DRUM_CLASSES.index("open_hat")


# Rhythmic motifs in the melody decoder (``_motif_rhythm``): a bar takes the rhythm of an
# earlier bar when the network finds that rhythm at most this many nats less likely than its
# own best guess (per-step independent sounding and onset probabilities). 0 turns it off.
# Chosen on 100 training-split 4/8-bar windows' captions (sampled latents replayed through the
# decoder; realism classifier 0.76 -> 0.75 at 8, 0.725 at 16; noise +-0.03), then checked on
# bench/realism.py's 200 held-out windows (DPM-10 x4; corpus: motif share 0.206, melody
# notes a bar 4.42): off 0.773 / 0.071 / 3.92, 8 nats 0.760 / 0.137 / 3.79, 16 nats
# 0.775 / 0.174 / 3.70. 16 returns to rhythms as often as the corpus does but thins the
# melody past issue 11's 15% notes-a-bar line; 8 keeps it (docs/model.md, "Session 6").
MOTIF_NATS = 8.0


# The same for the bass's onset threshold, given the bass notes a bar to come closest to (a
# new take's style's, an edit's source's: ``models.aims.BandAims.density``).
BASS_SHIFTS: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
# How hard the bass, read at a density (a new take's style's, an edit's source's), may lean
# toward its style's grooves with more notes a bar than a bar's own reading (fewer, when every
# reading plays busier than the aim), once the pulls (``models.grooves.GROOVE_PULLS``) leave it
# more than ``PULL_WITHIN`` off: nats a note added to a book rhythm's bonus
# (``models.grooves.RhythmBook.lean``, ``models.grooves.closest_reading``), each tried at the
# pull that came closest. A bar's choice stays among the book's rhythms the network finds at
# most ``BASS_BOOK_NATS`` less likely, so a lean cannot write a bass the network gives no
# sign of. Session 23, on the tuning seeds: fresh takes' bass within 20% of its style's
# windows 0.79 -> 0.82 of styles (`bench/style_density.py --seed 30000`); 340 edits' 0.82 ->
# 0.85 per style, 0.71 -> 0.74 per edit (`bench/chord_edits.py --n 340 --seed 20000`);
# `bench/realism.py --split train` 0.570 -> 0.557. Held-out, once: 340 edits' bass within
# 20% per style 0.85 -> 0.91, realism 0.588 -> 0.593, 8 bars' decode 0.066 -> 0.095 s
# (docs/model.md, "Session 23"). () reads as session 22 did.
BASS_LEANS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)

# A monophonic line is also cut where the network's most likely pitch changes and holds
# (``_pitch_changes``): it held ``PITCH_CUTS`` steps before the change and holds as many
# after it. 0 cuts at predicted onsets only, as 0.4 did, which read a figure whose onsets the
# onset row missed (a 6/8 jig's D-F-C-F, the pitch rows sure of each) as one held D.
PITCH_CUTS = 2

# A melody note is struck again at the bar line it would sound through (``_mono_notes``'s
# ``bar_lines``): the corpus's melodies start a note on 0.94 of their downbeats and hold one
# over the bar line 0.003 of the time, 0.4.2's takes 0.89 and 0.019 (held-out,
# bench/realism_heldback.py). False reads a held note across the bar line as before. On
# 200 training-split windows' captions (`bench/realism.py --split train`): classifier 0.628
# -> 0.615, motif share 0.200 -> 0.215 (windows 0.205), repeats 0.170 -> 0.179 (0.171).
MELODY_BAR_LINES = True

# Nats a melody's pitch path pays for a move against the direction of its last move
# (``_contour_path``). 0: none, one pitch row a state, as before. The takes' melodies
# zigzag: of their moves, 0.57 turn back against the last (training-split windows 0.49; the
# autoencoder round trip of the windows 0.50, so it is the sampled latents'). On 200
# training-split windows' captions: turns 0.57 / 0.55 / 0.54 / 0.51 at 0 / 1 / 2 / 4 nats,
# `bench/realism.py --split train` 0.615 -> 0.600 at 2 (0.5: 0.600, 1: 0.605), interval
# targets all met. Chosen with a bench/realism_heldback.py feature (``melody_turns``), which
# is then no longer held back (docs/metrics.md).
CONTOUR_TURN_COST = 2.0

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
# two notes (``_walking_moves``): a walking line moves on every beat, mostly by step.
WALKING_REPEAT_COST = 8.0
WALKING_STEP_BONUS = 2.0
# ... and weighs the network's pitch rows this much for a note it did not strike there
# itself (it held the last note over that beat, or rested).
WALKING_UNHEARD = 0.25


def _walking_moves(rows: int) -> F32:
    """(rows, rows) gains a walking bass's pitch path adds between two notes."""
    moves = np.abs(np.subtract.outer(np.arange(rows), np.arange(rows)))
    return np.where(moves == 0, -WALKING_REPEAT_COST,
                    np.where(moves <= 2, WALKING_STEP_BONUS, 0.0)).astype(np.float32)  # fmt: skip


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


def table_for(priors: Mapping[str, F32], stem: str, key: Key) -> F32 | None:
    """The note-to-note table ``stem`` decodes with in ``key``: the pentatonic tunes' own
    for a pentatonic mode, the minor-key tunes' for a minor key, when the checkpoint has
    one, else the stem's."""
    if key.is_pentatonic and f"{stem}{PENTATONIC}" in priors:
        return priors[f"{stem}{PENTATONIC}"]
    if mode_class(key) == MINOR_CLASS and f"{stem}{MINOR}" in priors:
        return priors[f"{stem}{MINOR}"]
    return priors.get(stem)


def degrees_for(priors: Mapping[str, F32], key: Key) -> F32 | None:
    """The melody's per-pitch-class correction (12,) in the key frame for ``key``
    (``models.prior.fit_degrees``), or None: none fitted, or a pentatonic mode (its own
    table keeps it to five notes)."""
    table = priors.get(f"melody{DEGREES}")
    cls = mode_class(key)
    return None if table is None or cls is None else table[cls]


def _leap_costs(rows: int) -> F32:
    d = np.abs(np.arange(rows)[:, None] - np.arange(rows)[None, :])
    return (LEAP_COST * np.maximum(0, d - FREE_LEAP)).astype(np.float32)


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
    the direction of the last (``_contour_path``, ``CONTOUR_TURN_COST``). With ``groove`` (the
    bass's), a bar may be played in one of its style's commonest rhythms (``_groove_rhythm``).
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
    if groove is not None:
        sounding, onset = _groove_rhythm(sound, onset_lo, bar, BASS_BOOK_NATS, sounding, onset,
                                         groove)  # fmt: skip
        if groove.named:  # a groove asked for by name strikes every note, a repeat too
            unheard = onset & (onset_lo <= 0)  # notes the network meant held or silent
            onset_lo = np.where(onset, np.inf, onset_lo)
    if bar_lines and bar > 0:  # a note sounding through a bar line is struck again there
        onset = onset.copy()
        onset[bar::bar] |= sounding[bar::bar]
    runs = note_runs(sounding, onset)
    if not runs:
        return []
    emit = np.stack([logp[1:, a:b].sum(axis=1) for a, b in runs])  # (notes, rows)
    if groove is not None and groove.named and WALKING_UNHEARD < 1:
        # a note the network held over or rested through says little of its own pitch
        starts = np.array([a for a, _ in runs])
        emit = emit * np.where(unheard[starts], WALKING_UNHEARD, 1.0)[:, None]
    if degrees is not None and DEGREE_WEIGHT:
        emit = emit + DEGREE_WEIGHT * degrees[(low + np.arange(rows)) % 12]
    if harmony is not None:
        pcs = (low + np.arange(rows) - shift) % 12
        starts = np.array([a for a, _ in runs])
        tone = CHORD_TONE_BONUS if tone_bonus is None else tone_bonus
        bonus = np.where(starts % beat == 0, 1.0, offbeat) * tone
        emit = emit + bonus[:, None] * harmony[starts][:, pcs]
    weight = PRIOR_WEIGHT if prior_weight is None else prior_weight
    gain = -_leap_costs(rows) if transitions is None else weight * transitions
    if groove is not None and groove.named:
        gain = gain + _walking_moves(rows).astype(gain.dtype)
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


def _mono_at(
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


def decode_logits(
    logits: dict[str, F32],
    template: Song,
    *,
    threshold: float = 0.5,
    key_frame: str = DEFAULT_KEY_FRAME,
    priors: Mapping[str, F32] | None = None,
    comping: float | None = None,
    bass: float | None = None,
    pitch_reader: bool = False,
    forced: NDArray[np.bool_] | None = None,
    rhythms: RhythmBook | None = None,
    bass_rhythms: RhythmBook | None = None,
) -> Song:
    """Notes from decoder logits (C, T) per stem, transposed into ``template``'s key.
    ``pitch_reader``: the melody's logits came through a pitch reader (``READER_*``).

    Monophonic stems take the most likely row per step (rest included); onsets and
    polyphonic rows are thresholded sigmoid probabilities, calibrated for ``POS_WEIGHT``. The
    bass is decoded against the chords, the melody last, against the chords and bass
    (``_mono_notes``). Tempo, meter,
    key, programs and length come from ``template``; notes beyond its length are dropped.
    ``priors`` maps "melody" / "bass" to the checkpoint's fitted note-to-note tables
    (``models.prior``). ``comping``: the chords stem's strikes a bar to come closest to
    (``COMPING_SHIFTS``; a chord edit keeping its source's density, a new take its
    style's), None for the threshold as calibrated; ``bass`` the same for the bass's notes
    a bar (``BASS_SHIFTS``). ``forced`` (steps, 12): the pitch classes of a forced
    progression's chords (``FORCED_MELODY_HARMONY``, ``FORCED_BASS_HARMONY``). ``rhythms``:
    the style's comping grooves in the take's meter (``models.grooves.RhythmBook``);
    ``bass_rhythms`` its bass's (``_groove_rhythm``).
    """
    shift = key_shift(template.key, key_frame)
    steps = template.steps
    spb, bar = template.meter.steps_per_beat, template.meter.steps_per_bar
    stems: dict[str, Stem] = {}
    # chords and bass first: the melody is decoded against the harmony they sound
    for stem in ("chords", "bass", "drums", "melody"):
        out = logits[stem][:, :steps]
        logit_t = float(np.log(threshold / (1 - threshold)) + np.log(POS_WEIGHT[stem]))
        notes: list[Note]
        if stem in ("melody", "bass"):
            low, rows = _WINDOW[stem]
            harmony = None
            so_far = replace(template, stems={**template.stems, **stems})
            if stem == "melody":
                harmony = harmony_pitch_classes(so_far)
            else:  # the bass against the chords stem alone
                harmony = fold_pitch_classes(sounding(so_far, "chords")) > 0
            use = FORCED_MELODY_HARMONY if stem == "melody" else FORCED_BASS_HARMONY
            if forced is not None and use:
                named = forced[: harmony.shape[0]]
                harmony = harmony.copy()
                rows_named = named.any(axis=1)
                harmony[: named.shape[0]][rows_named] = named[rows_named]
            table = None if priors is None else table_for(priors, stem, template.key)
            motif = MOTIF_NATS if stem == "melody" else 0.0
            offbeat = CHORD_TONE_OFFBEAT if stem == "melody" else 1.0
            degrees = None
            if stem == "melody" and priors is not None and not pitch_reader:
                degrees = degrees_for(priors, template.key)
            melody_tone = READER_TONE_BONUS if pitch_reader else CHORD_TONE_BONUS
            if forced is not None and pitch_reader:
                melody_tone = FORCED_MELODY_TONE_BONUS
            tone = melody_tone if stem == "melody" else BASS_TONE_BONUS
            weight = READER_PRIOR_WEIGHT if pitch_reader and stem == "melody" else PRIOR_WEIGHT
            merge = READER_MERGE_SCALE if pitch_reader and stem == "melody" else MERGE_SCALE
            rest = (low, shift, harmony, table, bar, motif, spb, offbeat, degrees, tone, weight,
                    merge, SHORT_REPEAT_COST if stem == "melody" else 0.0,
                    MELODY_BAR_LINES and stem == "melody",
                    CONTOUR_TURN_COST if stem == "melody" else 0.0,
                    bass_rhythms if stem == "bass" else None)  # fmt: skip
            notes = closest_reading(partial(_mono_at, out, rows, logit_t, rest),
                             lambda notes: len(notes) / template.bars,
                             bass if stem == "bass" else None, BASS_SHIFTS,
                             pulls_of(rest[-1]),
                             BASS_LEANS if rest[-1] is not None else ())  # fmt: skip
        elif stem == "chords":
            frame_notes = read_comping(out, logit_t, bar, template.bars, comping, rhythms)
            notes = [Note(n.start, CHORDS_LOW + n.pitch - shift, n.duration) for n in frame_notes]
        else:
            hit = out > logit_t
            if ONE_HAT:  # a drummer's one hi-hat is open or closed, and GM chokes one by the other
                hit[_CLOSED_HAT] &= ~hit[_OPEN_HAT]
            hits = np.argwhere(hit)
            notes = [Note(int(t), int(r), 1) for r, t in hits]
        notes = [
            Note(n.start, min(127, max(0, n.pitch)), n.duration, _velocity(stem, n.start, spb, bar))
            for n in notes
        ]
        stems[stem] = Stem(stem, tuple(notes), template.stems[stem].program)
    stems = {s: stems[s] for s in STEMS}
    return replace(template, stems=stems)
