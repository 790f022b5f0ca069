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

from dataclasses import dataclass

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
from multitrack.song import STEMS, Note, Song
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
