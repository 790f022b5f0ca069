"""Song <-> the model's arrays, in a key-normalised frame.

Every song is transposed before it meets the network, and transposed back to the asked key
afterwards: the network learns scale degrees, not twelve copies of each pattern, and the
output key is exact by construction. Two frames (``KEY_FRAMES``; a checkpoint names its own):

- ``signature`` (models from 0.3): the key's relative major moves to C, so every diatonic
  or pentatonic mode sounds on the white keys: A minor stays on A, D dorian on D, G zhi on
  G. Minor and modal windows (21% of the corpus) then share their pitch rows with the
  major ones, and the mode token says where the tonic sits.
- ``tonic`` (0.1, 0.2): the tonic moves to C whatever the mode. A minor window then uses
  rows (E flat, A flat, B flat) that major music never does, learned from 5% of the data.

Per stem, on the 16th grid:

- melody, bass: monophonic; ``pitch`` (T,) int, 0 = rest, r = row r-1 of the stem's window;
  ``onset`` (T,) 0/1.
- chords: ``hold`` and ``onset`` (T, 48) 0/1.
- drums: ``onset`` (T, 9) 0/1.

``stem_channels`` turns these into the (C, T) float inputs of the autoencoder; the decoder
predicts logits in the same layout and ``decode_*`` reads notes back from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from models.config import (
    BASS_LOW,
    BASS_ROWS,
    CHORDS_LOW,
    CHORDS_ROWS,
    DEFAULT_KEY_FRAME,
    DRUM_ROWS,
    MELODY_LOW,
    MELODY_ROWS,
    check_key_frame,
)
from multitrack.grid import Roll, note_runs, roll_to_notes
from multitrack.harmony import fold_pitch_classes, harmony_pitch_classes, sounding
from multitrack.song import STEMS, Note, Song, Stem
from multitrack.theory import Key

IntArray = NDArray[np.int64]
U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

STEM_CHANNELS: dict[str, int] = {
    "melody": MELODY_ROWS + 2,  # rest + pitch rows (one-hot) + onset
    "chords": 2 * CHORDS_ROWS,  # hold rows + onset rows
    "bass": BASS_ROWS + 2,
    "drums": DRUM_ROWS,
}
_WINDOW = {"melody": (MELODY_LOW, MELODY_ROWS), "bass": (BASS_LOW, BASS_ROWS)}

# Positive-class weights of the autoencoder's binary losses (rolls are sparse). A logit
# trained with weight w on positives sits log(w) above the calibrated one, so the decoder
# subtracts log(w) before thresholding: otherwise 0.5 means p = 1 / (1 + w) and the output
# fills with weak notes (chords precision 0.44 at 0.5 vs 0.57 calibrated, same weights).
POS_WEIGHT = {"melody": 3.0, "bass": 3.0, "chords": 4.0, "drums": 4.0}

# Velocities are not modelled: a producer gets even, metrically accented velocities that the
# DAW's MIDI clips make easy to reshape. Per stem: base velocity, extra on strong beats.
_VELOCITY = {"melody": (88, 12), "chords": (72, 8), "bass": (92, 10), "drums": (84, 24)}


def key_shift(key: Key, key_frame: str = DEFAULT_KEY_FRAME) -> int:
    """Semitones that move the key into the model's frame (``signature``: its relative major
    to C; ``tonic``: its tonic to C), in -6..+5 (the smallest register change)."""
    anchor = key.tonic if check_key_frame(key_frame) == "tonic" else key.relative_major_tonic
    shift = (-anchor) % 12
    return shift - 12 if shift > 5 else shift


def fold(pitch: int, low: int, rows: int) -> int:
    """Move a pitch by octaves into [low, low + rows)."""
    while pitch < low:
        pitch += 12
    while pitch >= low + rows:
        pitch -= 12
    return pitch


@dataclass(frozen=True)
class SongArrays:
    """One song in the model's frame; all arrays span ``steps`` grid steps."""

    melody_pitch: IntArray
    melody_onset: U8
    bass_pitch: IntArray
    bass_onset: U8
    chords_hold: U8
    chords_onset: U8
    drums: U8

    @property
    def steps(self) -> int:
        return int(self.melody_pitch.shape[0])


def _mono(
    notes: tuple[Note, ...], steps: int, low: int, rows: int, shift: int, *, top: bool
) -> tuple[IntArray, U8]:
    pitch = np.zeros(steps, np.int64)
    onset = np.zeros(steps, np.uint8)
    # Lower notes first for a top line, higher first for a bass line: the last write wins.
    order = sorted(notes, key=lambda n: (n.pitch if top else -n.pitch, n.start))
    for n in order:
        if n.start >= steps:
            continue
        row = fold(n.pitch + shift, low, rows) - low + 1
        end = min(n.end, steps)
        pitch[n.start : end] = row
        onset[n.start] = 1
        if end < steps and pitch[end] == row:
            onset[end] = 1
    onset[pitch == 0] = 0
    return pitch, onset


def song_to_arrays(
    song: Song, *, steps: int | None = None, key_frame: str = DEFAULT_KEY_FRAME
) -> SongArrays:
    """Encode a song (any key) into the model's key frame. ``steps`` pads or cuts the length."""
    steps = song.steps if steps is None else steps
    shift = key_shift(song.key, key_frame)
    mp, mo = _mono(song.stems["melody"].notes, steps, MELODY_LOW, MELODY_ROWS, shift, top=True)
    bp, bo = _mono(song.stems["bass"].notes, steps, BASS_LOW, BASS_ROWS, shift, top=False)
    hold = np.zeros((steps, CHORDS_ROWS), np.uint8)
    onset = np.zeros((steps, CHORDS_ROWS), np.uint8)
    for n in song.stems["chords"].notes:
        if n.start >= steps:
            continue
        row = fold(n.pitch + shift, CHORDS_LOW, CHORDS_ROWS) - CHORDS_LOW
        hold[n.start : min(n.end, steps), row] = 1
        onset[n.start, row] = 1
    drums = np.zeros((steps, DRUM_ROWS), np.uint8)
    for n in song.stems["drums"].notes:
        if n.start < steps:
            drums[n.start, n.pitch] = 1
    return SongArrays(mp, mo, bp, bo, hold, onset, drums)


def stem_channels(arrays: SongArrays, stem: str) -> F32:
    """The autoencoder input of one stem, (C, T) float32."""
    if stem in ("melody", "bass"):
        pitch = arrays.melody_pitch if stem == "melody" else arrays.bass_pitch
        onset = arrays.melody_onset if stem == "melody" else arrays.bass_onset
        rows = _WINDOW[stem][1]
        out = np.zeros((rows + 2, pitch.shape[0]), np.float32)
        out[pitch, np.arange(pitch.shape[0])] = 1.0
        out[rows + 1] = onset
        return out
    if stem == "chords":
        return np.concatenate([arrays.chords_hold.T, arrays.chords_onset.T]).astype(np.float32)
    if stem == "drums":
        return arrays.drums.T.astype(np.float32)
    raise ValueError(f"unknown stem {stem!r}")


def all_channels(arrays: SongArrays) -> dict[str, F32]:
    return {stem: stem_channels(arrays, stem) for stem in STEMS}


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
# Key suffix of a table fitted on the pentatonic-mode tunes alone (gong ... yu): in the key
# frame they keep to five rows an octave, which the all-tunes table dilutes with the 77% that
# are major (bench/fusion.py: 国风电音 melodies had 0.93 of their notes pentatonic, guofeng
# windows 0.99).
PENTATONIC = "/pentatonic"


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


# Extra log-odds a chords onset must clear beyond the calibrated threshold (see
# ``decode_logits``). 0 decodes as 0.4 did: its chords stem re-struck more often than the
# windows (chords onsets a bar 4.13 against 3.49 on bench/realism.py's 200 held-out windows,
# DPM-10 x4); 1.5: 3.93 (3.96 with 8 motif nats). On 100 training-split windows' captions the
# realism classifier went 0.76 -> 0.74 with it alone.
CHORDS_ONSET_SHIFT = 1.5


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


def table_for(priors: Mapping[str, F32], stem: str, key: Key) -> F32 | None:
    """The note-to-note table ``stem`` decodes with in ``key``: the pentatonic tunes' own
    for a pentatonic mode when the checkpoint has one, else the stem's."""
    if key.is_pentatonic and f"{stem}{PENTATONIC}" in priors:
        return priors[f"{stem}{PENTATONIC}"]
    return priors.get(stem)


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
) -> list[Note]:
    """Segment decoding of a monophonic stem from (rows + 2, T) logits.

    A step sounds when the rest row is not the most likely; sounding runs are cut at
    predicted onsets; each segment takes a pitch by its summed log-probability over its
    steps. Deciding pitch per note rather than per step keeps a held note from flickering
    between neighbouring rows into fragments. The pitches of consecutive notes are chosen
    together (Viterbi). With ``harmony`` (steps, 12), a note whose pitch class sounds where it
    starts gains ``CHORD_TONE_BONUS``: where the network hesitates between neighbours, the
    chord tone wins.

    With ``transitions`` (rows, rows: ``log P(next | previous)``, ``models.prior``), the path
    scores ``PRIOR_WEIGHT`` times them between notes, and where one note follows another
    without a rest the decoder may also read the onset between them as a held note: the two
    merge when the onset's calibrated log-odds, scaled by ``MERGE_SCALE``, say so more than the
    prior's log-probability of repeating the pitch does. Without it (checkpoints saved
    without tables), a hand-set prior charges ``LEAP_COST`` per semitone of a leap beyond
    ``FREE_LEAP``.
    """
    z = logits[: rows + 1]
    logp = z - z.max(axis=0, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=0, keepdims=True))
    rest = logp[0]
    sound = np.log1p(-np.minimum(np.exp(rest), 1 - 1e-6)) - rest  # log-odds of sounding
    # A step sounds where the rest row is not the most likely (as 0.4 decoded); a bar may
    # then take an earlier bar's rhythm (``MOTIF_NATS``).
    own = logp.argmax(axis=0) != 0
    sounding, onset = _motif_rhythm(sound, logits[rows + 1] - onset_logit, bar, motif, own)
    runs = note_runs(sounding, onset)
    if not runs:
        return []
    emit = np.stack([logp[1:, a:b].sum(axis=1) for a, b in runs])  # (notes, rows)
    if harmony is not None:
        pcs = (low + np.arange(rows) - shift) % 12
        emit = emit + CHORD_TONE_BONUS * harmony[[a for a, _ in runs]][:, pcs]
    gain = -_leap_costs(rows) if transitions is None else PRIOR_WEIGHT * transitions
    same = np.arange(rows)
    score = emit[0]
    back = np.zeros((len(runs), rows), np.int64)
    held = np.full(len(runs), -np.inf)  # gain of reading boundary i as a held note
    for i in range(1, len(runs)):
        step = gain
        if transitions is not None and runs[i - 1][1] == runs[i][0]:
            held[i] = -MERGE_SCALE * (float(logits[rows + 1, runs[i][0]]) - onset_logit)
            step = gain.copy()
            step[same, same] = np.maximum(gain[same, same], held[i])
        total = score[:, None] + step  # (from, to)
        back[i] = total.argmax(axis=0)
        score = total.max(axis=0) + emit[i]
    path = [int(score.argmax())]
    for i in range(len(runs) - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    path.reverse()
    notes: list[Note] = []
    for i, ((a, b), row) in enumerate(zip(runs, path, strict=True)):
        if i and path[i - 1] == row and held[i] > gain[row, row]:
            held_note = notes[-1]
            notes[-1] = Note(held_note.start, held_note.pitch, b - held_note.start)
        else:
            notes.append(Note(a, low + row - shift, b - a))
    return notes


def decode_logits(
    logits: dict[str, F32],
    template: Song,
    *,
    threshold: float = 0.5,
    key_frame: str = DEFAULT_KEY_FRAME,
    priors: Mapping[str, F32] | None = None,
) -> Song:
    """Notes from decoder logits (C, T) per stem, transposed into ``template``'s key.

    Monophonic stems take the most likely row per step (rest included); onsets and
    polyphonic rows are thresholded sigmoid probabilities, calibrated for ``POS_WEIGHT``. The
    bass is decoded against the chords, the melody last, against the chords and bass
    (``_mono_notes``). Tempo, meter,
    key, programs and length come from ``template``; notes beyond its length are dropped.
    ``priors`` maps "melody" / "bass" to the checkpoint's fitted note-to-note tables
    (``models.prior``).
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
            table = None if priors is None else table_for(priors, stem, template.key)
            motif = MOTIF_NATS if stem == "melody" else 0.0
            notes = _mono_notes(out, rows, logit_t, low, shift, harmony, table, bar, motif)
        elif stem == "chords":
            roll = Roll(
                onset=(out[CHORDS_ROWS:] > logit_t + CHORDS_ONSET_SHIFT).T.astype(np.float32),
                hold=(out[:CHORDS_ROWS] > logit_t).T.astype(np.float32),
                velocity=np.zeros((steps, CHORDS_ROWS), np.float32),
            )
            notes = [
                Note(n.start, CHORDS_LOW + n.pitch - shift, n.duration) for n in roll_to_notes(roll)
            ]
        else:
            hits = np.argwhere(out > logit_t)
            notes = [Note(int(t), int(r), 1) for r, t in hits]
        notes = [
            Note(n.start, min(127, max(0, n.pitch)), n.duration, _velocity(stem, n.start, spb, bar))
            for n in notes
        ]
        stems[stem] = Stem(stem, tuple(notes), template.stems[stem].program)
    stems = {s: stems[s] for s in STEMS}
    return replace(template, stems=stems)
