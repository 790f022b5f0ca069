"""The model's frame: key-normalised arrays round-trip, and decoding is calibrated."""

from __future__ import annotations

import numpy as np

from models.config import CHORDS_ROWS
from models.representation import POS_WEIGHT, all_channels, decode_logits, song_to_arrays
from multitrack.song import STEMS, Note, Song


def _logits_of(song: Song) -> dict[str, np.ndarray]:
    """Confident logits (+-20) that say exactly what the song's arrays say."""
    return {k: v * 40 - 20 for k, v in all_channels(song_to_arrays(song)).items()}


def test_arrays_round_trip_in_the_asked_key() -> None:
    song = Song(bars=2, key="E minor").with_stem(
        "melody", [Note(0, 64, 4), Note(4, 67, 2), Note(6, 71, 10)]
    )
    song = song.with_stem("chords", [Note(0, 52, 16), Note(0, 55, 16), Note(16, 59, 16)])
    song = song.with_stem("bass", [Note(0, 40, 8), Note(8, 47, 8)])
    song = song.with_stem("drums", [Note(0, 0, 1), Note(8, 1, 1)])
    back = decode_logits(_logits_of(song), song)
    for stem in STEMS:
        got = [(n.start, n.pitch, n.duration) for n in back.stems[stem].notes]
        want = [(n.start, n.pitch, n.duration) for n in song.stems[stem].notes]
        assert sorted(got) == sorted(want), stem


def test_binary_rows_are_thresholded_for_their_positive_weight() -> None:
    """A chords row trained with positive weight w reads "on" only above logit log(w)."""
    song = Song(bars=1, key="C major")
    logits = {k: np.full_like(v, -20.0) for k, v in _logits_of(song).items()}
    row = 60 - 36  # middle C in the chords window (C2 = row 0)
    just_under = np.log(POS_WEIGHT["chords"]) - 0.1
    logits["chords"][row, :8] = just_under  # hold
    logits["chords"][CHORDS_ROWS + row, 0] = just_under  # onset
    assert decode_logits(logits, song).stems["chords"].notes == ()
    logits["chords"][row, :8] += 0.2
    logits["chords"][CHORDS_ROWS + row, 0] += 0.2
    notes = decode_logits(logits, song).stems["chords"].notes
    assert [(n.start, n.pitch, n.duration) for n in notes] == [(0, 60, 8)]
