"""Time-aligned conditioning tracks, one value per latent frame: the chord track, the
section track and the feel track (DESIGN.md, "Time-aligned conditioning tracks").

Eight integer rows (``TRACK_ROWS``), 0 meaning unknown everywhere, so a dropped track, a
frame the caller leaves open and classifier-free guidance's null all read the same:

- ``chord_root``: 1 = N.C., 2 + pitch class of the root in the model's key frame;
- ``chord_quality``: 1 + index in ``multitrack.chords.QUALITIES`` of the chord's trained
  quality (``MODEL_QUALITY``: an extended quality a producer types reads as the trained one
  it extends, Am9 as Am7, G13 as G7, so the encoding stays the one the model learnt);
- ``chord_bass``: 1 + pitch class of the sounding bass (the slash bass, else the root);
- ``section_letter``, ``section_position``, ``phrase_end``: ``multitrack.form.section_track``
  per bar, repeated over the bar's frames;
- ``comping_density``, ``bass_density`` (the feel track, from session 21): how busily the
  chords stem comps (distinct steps it strikes on) and the bass plays (notes), a quarter
  note, over the whole take: 1 = the stem is silent, else 2 + a bin on a log scale
  (``density_value``). A model without the feel track (``DenoiserConfig.feel``) reads the
  first six rows only.

The chord at a frame is the span sounding at the frame's first grid step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from multitrack.chords import MODEL_QUALITY, QUALITIES, Chord
from multitrack.form import LETTERS, MAX_BAR_IN_SECTION, section_track
from multitrack.song import ChordSpan, Section

TRACK_ROWS = ("chord_root", "chord_quality", "chord_bass",
              "section_letter", "section_position", "phrase_end",
              "comping_density", "bass_density")  # fmt: skip
CHORD_ROWS = slice(0, 3)
SECTION_ROWS = slice(3, 6)
FEEL_ROWS = slice(6, 8)
# The feel track's bins: events a quarter note from ``DENSITY_LOW`` up, each
# ``DENSITY_STEP`` times the one before (15%: a take aimed at a bin lands within 8% of
# its centre), ``DENSITY_BINS`` of them, the last taking everything busier (4 a quarter,
# every sixteenth, is bin 24).
DENSITY_LOW = 0.125
DENSITY_STEP = 1.15
DENSITY_BINS = 26
# Embedding sizes per row (index 0 = unknown).
TRACK_SIZES = (14, len(QUALITIES) + 1, 13, len(LETTERS) + 3, MAX_BAR_IN_SECTION + 1, 3,
               DENSITY_BINS + 2, DENSITY_BINS + 2)  # fmt: skip

Track = NDArray[np.int64]


def chord_values(chord: Chord, shift: int) -> tuple[int, int, int]:
    """(root, quality, bass) track values of one chord moved ``shift`` semitones into the
    model's key frame."""
    if chord.root is None:
        return 1, 0, 0
    bass = chord.root if chord.bass is None else chord.bass
    return (
        2 + (chord.root + shift) % 12,
        1 + QUALITIES.index(MODEL_QUALITY[chord.quality]),
        1 + (bass + shift) % 12,
    )


def chord_track(spans: Sequence[ChordSpan], frames: int, *, shift: int, compression: int) -> Track:
    """The chord rows (3, frames) of a progression (grid spans in the song's key)."""
    out = np.zeros((3, frames), np.int64)
    for span in spans:
        values = chord_values(span.chord, shift)
        lo = -(-span.start // compression)
        hi = -(-(span.start + span.duration) // compression)
        out[:, lo : min(hi, frames)] = np.array(values)[:, None]
    return out


def density_value(per_bar: float | None, quarters_per_bar: float) -> int:
    """The feel track's value of a stem playing ``per_bar`` events a bar (comping strikes,
    bass notes) in a bar of ``quarters_per_bar`` quarter notes: 0 unknown (None), 1 silent,
    else 2 + its bin."""
    if per_bar is None:
        return 0
    if per_bar <= 0:
        return 1
    per_quarter = per_bar / max(quarters_per_bar, 1e-9)
    k = round(math.log(max(per_quarter, DENSITY_LOW) / DENSITY_LOW) / math.log(DENSITY_STEP))
    return 2 + min(k, DENSITY_BINS - 1)


def feel_rows(
    comping: float | None, bass: float | None, quarters_per_bar: float, frames: int
) -> Track:
    """The feel rows (2, frames) of a take whose chords stem strikes ``comping`` times a bar
    and whose bass plays ``bass`` notes a bar (None: unknown, 0: silent)."""
    values = [density_value(v, quarters_per_bar) for v in (comping, bass)]
    return np.repeat(np.array(values, np.int64)[:, None], frames, axis=1)


def section_rows(sections: Sequence[Section], bars: int, frames_per_bar: int, frames: int) -> Track:
    """The section rows (3, frames) of a form over ``bars`` bars."""
    st = section_track(sections, bars)
    # The corpus labels letters only (A-D): intro and outro rows were never trained, so
    # the model reads their bars' letter as unknown (their position and phrase end stand).
    letter = np.where(st.letter > len(LETTERS), 0, st.letter)
    per_bar = np.stack([letter, st.position, st.phrase_end])  # (3, bars)
    out = np.repeat(per_bar, frames_per_bar, axis=1)[:, :frames]
    if out.shape[1] < frames:
        out = np.pad(out, ((0, 0), (0, frames - out.shape[1])))
    return out


def song_tracks(
    spans: Sequence[ChordSpan] | None,
    sections: Sequence[Section] | None,
    *,
    bars: int,
    frames_per_bar: int,
    frames: int,
    shift: int,
    compression: int,
    feel: tuple[float | None, float | None] | None = None,
) -> Track:
    """All eight rows (8, frames); ``None`` spans, sections or ``feel`` (comping strikes a
    bar, bass notes a bar: ``feel_rows``) leave their rows unknown."""
    out = np.zeros((len(TRACK_ROWS), frames), np.int64)
    if spans:
        out[CHORD_ROWS] = chord_track(spans, frames, shift=shift, compression=compression)
    if sections:
        out[SECTION_ROWS] = section_rows(sections, bars, frames_per_bar, frames)
    if feel is not None:
        quarters = frames_per_bar * compression / 4
        out[FEEL_ROWS] = feel_rows(feel[0], feel[1], quarters, frames)
    return out
