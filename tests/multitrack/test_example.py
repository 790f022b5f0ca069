from __future__ import annotations

import itertools

from multitrack.example import example_song
from multitrack.song import Meter

CHORD_TONES = {"Am": {9, 0, 4}, "F": {5, 9, 0}, "C": {0, 4, 7}, "G": {7, 11, 2}}
ROOTS = {"Am": 9, "F": 5, "C": 0, "G": 7}


def test_example_song_is_an_8_bar_a_minor_loop_with_all_stems() -> None:
    song = example_song()
    assert (song.bars, song.tempo, song.meter, str(song.key), song.style) == (
        8, 96.0, Meter(4, 4), "A minor", "pop")  # fmt: skip
    assert [(c.start, c.duration, c.symbol) for c in song.chords] == [
        (bar * 16, 16, "Am F C G".split()[bar % 4]) for bar in range(8)
    ]
    assert song.programs == {"melody": 80, "chords": 0, "bass": 33, "drums": 0}
    assert all(song.stems[name].notes for name in song.stems)
    assert max(n.end for s in song.stems.values() for n in s.notes) == song.steps == 128
    assert example_song() == song  # deterministic


def test_example_stems_fit_their_chords_and_ranges() -> None:
    song = example_song()
    melody = song.stems["melody"].notes
    assert all(a.end <= b.start for a, b in itertools.pairwise(melody))  # monophonic
    for chord in song.chords:
        inside = [
            n for n in song.stems["chords"].notes if chord.start <= n.start < chord.start + 16
        ]
        assert {n.pitch % 12 for n in inside} == CHORD_TONES[chord.symbol]
        assert all(48 <= n.pitch <= 72 for n in inside)  # C3-C5
        bass = [n for n in song.stems["bass"].notes if chord.start <= n.start < chord.start + 16]
        assert bass[0].start == chord.start and bass[0].pitch % 12 == ROOTS[chord.symbol]
        assert all(28 <= n.pitch <= 52 for n in bass)  # E1-E3
        strong = [n for n in melody if n.start in (chord.start, chord.start + 8)]
        assert strong and all(n.pitch % 12 in CHORD_TONES[chord.symbol] for n in strong)


def test_example_drums_keep_a_backbeat() -> None:
    drums = example_song().stems["drums"].notes
    for bar in range(8):
        at = bar * 16
        assert any(n.start == at and n.pitch == 0 for n in drums)  # kick on 1
        assert any(n.start == at + 4 and n.pitch == 1 for n in drums)  # snare on 2
    assert {n.pitch for n in drums} == {0, 1, 2, 3, 4, 5, 6, 7}  # no ride
