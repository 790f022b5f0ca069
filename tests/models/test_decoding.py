"""The chords stem read as strikes (models.decoding._chord_notes)."""

from __future__ import annotations

import itertools

import numpy as np

from models.decoding import CHORD_STRAY_STEPS, _chord_notes
from multitrack.song import Note


def rows(steps: int, *spans: tuple[int, int, int]) -> np.ndarray:
    """(rows=8, steps) bool with True on each (row, start, end) span."""
    out = np.zeros((8, steps), bool)
    for row, a, b in spans:
        out[row, a:b] = True
    return out


def test_voices_struck_together_are_released_together() -> None:
    # a triad struck on step 0 whose voices' holds fade at 3, 4 and 6: all end at 4
    hold = rows(16, (0, 0, 3), (2, 0, 4), (4, 0, 6))
    struck = rows(16, (0, 0, 1), (2, 0, 1), (4, 0, 1))
    assert _chord_notes(hold, struck) == [Note(0, 0, 4), Note(0, 2, 4), Note(0, 4, 4)]


def test_a_voice_held_across_a_strike_is_struck_with_it() -> None:
    # row 0 holds for the whole bar; rows 2 and 4 strike on 0 and again on 8
    hold = rows(16, (0, 0, 16), (2, 0, 16), (4, 0, 16))
    struck = rows(16, (0, 0, 1), (2, 0, 1), (4, 0, 1), (2, 8, 9), (4, 8, 9))
    notes = _chord_notes(hold, struck)
    assert {(n.start, n.duration) for n in notes} == {(0, 8), (8, 8)}
    assert sorted(n.pitch for n in notes if n.start == 8) == [0, 2, 4]


def test_a_short_hold_no_onset_starts_is_a_stray_and_a_long_one_is_a_note() -> None:
    hold = rows(16, (0, 0, 4), (5, 6, 6 + CHORD_STRAY_STEPS - 1), (7, 8, 16))
    struck = rows(16, (0, 0, 1))
    assert _chord_notes(hold, struck) == [Note(0, 0, 4), Note(8, 7, 8)]


def test_broken_chords_stay_broken_and_no_note_overlaps_its_row() -> None:
    # an arpeggio: one voice struck a step, each ringing to the bar's end
    hold = rows(8, (0, 0, 8), (2, 1, 8), (4, 2, 8))
    struck = rows(8, (0, 0, 1), (2, 1, 2), (4, 2, 3))
    notes = _chord_notes(hold, struck)
    assert [n.start for n in notes if n.pitch in (2, 4) and n.start in (1, 2)] == [1, 2]
    for row in range(8):
        mine = sorted(n for n in notes if n.pitch == row)
        assert all(a.end <= b.start for a, b in itertools.pairwise(mine))
