"""The Song container and the piano-roll round trip."""

from __future__ import annotations

import numpy as np
import pytest

from multitrack.errors import MusicError
from multitrack.grid import (
    cut_notes,
    dedupe_notes,
    from_rolls,
    roll_to_notes,
    stem_to_roll,
    to_rolls,
)
from multitrack.song import DRUM_CLASSES, DRUM_NOTES, Meter, Note, Song, Stem, drum_class
from multitrack.theory import Key


def song_in(meter: Meter) -> Song:
    bar = meter.steps_per_bar
    return Song(
        bars=2,
        tempo=93.5,
        meter=meter,
        key=Key(4, "minor"),
        stems={
            "melody": Stem(
                "melody", (Note(0, 64, 3, 90), Note(3, 67, 1, 70), Note(bar, 71, bar, 100)), 73
            ),
            "chords": Stem(
                "chords",
                (Note(0, 52, bar), Note(0, 55, bar), Note(0, 59, bar), Note(bar, 55, 2)),
                0,
            ),
            "bass": Stem("bass", (Note(0, 40, 2), Note(2, 40, 2), Note(bar, 43, bar)), 33),
            "drums": Stem("drums", (Note(0, 0), Note(bar // 2, 1), Note(1, 2, 1, 60)), 0),
        },
    )


@pytest.mark.parametrize("meter", [Meter(4, 4), Meter(3, 4), Meter(2, 4), Meter(6, 8)])
def test_rolls_round_trip_exactly(meter: Meter) -> None:
    song = song_in(meter)
    assert from_rolls(song, to_rolls(song)) == song


def test_repeated_notes_stay_separate() -> None:
    stem = Stem("bass", (Note(0, 40, 2), Note(2, 40, 2)), 33)
    roll = stem_to_roll(stem, 8)
    assert roll.onset[:, 40].tolist() == [1, 0, 1, 0, 0, 0, 0, 0]
    assert roll_to_notes(roll) == [Note(0, 40, 2, 96), Note(2, 40, 2, 96)]


def test_roll_shapes_and_velocity_scale() -> None:
    rolls = to_rolls(song_in(Meter(4, 4)))
    assert rolls["melody"].onset.shape == (32, 128)
    assert rolls["drums"].onset.shape == (32, len(DRUM_CLASSES))
    assert np.isclose(rolls["melody"].velocity[0, 64], 90 / 127)


def test_meters_on_the_grid() -> None:
    assert [Meter(4, 4).steps_per_bar, Meter(3, 4).steps_per_bar, Meter(2, 4).steps_per_bar,
            Meter(6, 8).steps_per_bar] == [16, 12, 8, 12]  # fmt: skip
    assert Meter(6, 8).beats_per_bar == 2 and Meter(6, 8).steps_per_beat == 6
    assert Song(bars=2, meter=Meter(6, 8)).bar_beat(18) == (2, 2.0)
    with pytest.raises(MusicError, match="5/4"):
        Meter(5, 4)


def test_every_drum_class_reads_back_from_its_own_gm_note() -> None:
    assert [drum_class(n) for n in DRUM_NOTES] == list(range(9))
    assert drum_class(35) == 0 and drum_class(39) == 1 and drum_class(20) is None


def test_bad_values_are_refused_with_their_numbers() -> None:
    with pytest.raises(MusicError, match="got 0"):
        Song(bars=0)
    with pytest.raises(MusicError, match="10000"):
        Song(bars=4, tempo=10000)
    with pytest.raises(MusicError, match="tempo"):
        Song(bars=4, tempo=0)
    with pytest.raises(MusicError, match="duration"):
        Note(0, 60, 0)
    with pytest.raises(MusicError, match="unknown stem"):
        Song(bars=1).stem("vocals")


def test_cut_notes_windows_and_truncates() -> None:
    notes = [Note(0, 60, 8), Note(12, 62, 8), Note(20, 64, 4)]
    assert cut_notes(notes, 0, 16) == (Note(0, 60, 8), Note(12, 62, 4))
    assert cut_notes(notes, 16, 32) == (Note(4, 64, 4),)  # the note started before is left out


def test_dedupe_notes_keeps_the_loudest_then_longest_strike_and_cuts_overlaps() -> None:
    notes = [Note(0, 60, 4, 80), Note(0, 60, 8, 80), Note(0, 60, 2, 90), Note(2, 60, 4, 70)]
    assert dedupe_notes(notes) == [Note(0, 60, 2, 90), Note(2, 60, 4, 70)]
    assert dedupe_notes([Note(0, 60, 4, 80), Note(0, 60, 8, 80)]) == [Note(0, 60, 8, 80)]
    assert dedupe_notes([Note(0, 62, 8), Note(4, 62, 2), Note(0, 60, 1)]) == [
        Note(0, 60, 1), Note(0, 62, 4), Note(4, 62, 2)]  # fmt: skip
