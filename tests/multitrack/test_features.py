"""Realism features (multitrack.features): comping synchrony and the feature vector."""

from __future__ import annotations

import numpy as np

from multitrack.features import FEATURES, feature_matrix, playing_a_bar, song_features
from multitrack.song import Note, Song
from multitrack.theory import Key


def _with_chords(notes: list[Note]) -> Song:
    return Song(bars=1, key=Key.parse("C major")).with_stem("chords", notes)


def test_block_chords_strike_and_release_together() -> None:
    block = _with_chords([Note(t, p, 4) for t in (0, 8) for p in (60, 64, 67)])
    f = song_features(block)
    assert f["chords_struck_alone"] == 0.0
    assert f["chords_release_together"] == 1.0
    assert f["chords_polyphony"] == 3.0


def test_voices_that_come_and_go_one_by_one_are_told_apart() -> None:
    broken = _with_chords([Note(0, 60, 16), Note(1, 64, 15), Note(2, 67, 14)])
    ragged = _with_chords([Note(0, 60, 2), Note(0, 64, 7), Note(0, 67, 12), Note(9, 72, 1)])
    assert song_features(broken)["chords_struck_alone"] == 1.0
    assert song_features(ragged)["chords_struck_alone"] == 0.25
    assert song_features(ragged)["chords_release_together"] == 0.0


def test_every_feature_is_a_finite_number_for_an_empty_song() -> None:
    row = feature_matrix([Song(bars=2, key=Key.parse("A minor"))])
    assert row.shape == (1, len(FEATURES)) and np.isfinite(row).all()


def test_a_four_bar_phrase_that_returns_scores_at_four_bars_not_one() -> None:
    from multitrack.features import returns_by_distance

    phrase = [[60, 62], [64, 65], [67, 69], [71, 72]]  # a different figure each bar
    notes = [Note(b * 16 + i * 8, p, 8) for b in range(8) for i, p in enumerate(phrase[b % 4])]
    song = Song(bars=8, key=Key.parse("C major")).with_stem("melody", notes)
    got = returns_by_distance([song], "melody")
    assert got == {1: 0.0, 2: 0.0, 3: 0.0, 4: 1.0}
    half = Song(bars=8, key=Key.parse("C major")).with_stem("melody", notes[:8])
    assert returns_by_distance([half], "melody", (4,)) == {4: 0.0}  # empty bars are not read


def test_playing_a_bar_counts_strikes_and_bass_notes_and_none_for_silence() -> None:
    # a chord's voices struck together are one strike; a silent stem is None, not 0
    song = Song(bars=2, key=Key.parse("C major"))
    assert playing_a_bar(song) == (None, None)
    song = song.with_stem("chords", [Note(t, p, 4) for t in (0, 8, 16) for p in (60, 64, 67)])
    song = song.with_stem("bass", [Note(t, 36, 4) for t in range(0, 32, 4)])
    assert playing_a_bar(song) == (1.5, 4.0)
