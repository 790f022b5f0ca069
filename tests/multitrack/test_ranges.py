"""A bass part in its instrument's range."""

from __future__ import annotations

from multitrack.ranges import playable_bass
from multitrack.song import Note, Song, Stem


def _song(program: int, *pitches: int) -> Song:
    notes = tuple(Note(4 * i, p, 4) for i, p in enumerate(pitches))
    return Song(bars=2, stems={"bass": Stem("bass", notes, program)})


def test_notes_below_a_four_string_bass_s_low_e_go_up_an_octave() -> None:
    """An edit's bass played B0, C#1 and D1 on an electric bass (program 33), whose low
    string is E1 (28): notes no player has."""
    got = playable_bass(_song(33, 23, 25, 26, 28, 40))
    assert [n.pitch for n in got.stems["bass"].notes] == [35, 37, 38, 28, 40]
    assert [n.pitch % 12 for n in got.stems["bass"].notes] == [11, 1, 2, 4, 4]


def test_a_cello_bass_stays_above_its_c2_and_a_synth_bass_goes_as_low_as_written() -> None:
    assert [n.pitch for n in playable_bass(_song(42, 24, 35, 36)).stems["bass"].notes] == [
        36, 47, 36]  # fmt: skip
    synth = _song(38, 23, 30)
    assert playable_bass(synth) == synth


def test_only_the_span_an_edit_wrote_is_raised() -> None:
    got = playable_bass(_song(33, 23, 23, 23, 23), span=(4, 12))
    assert [n.pitch for n in got.stems["bass"].notes] == [23, 35, 35, 23]
