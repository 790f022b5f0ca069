"""The copy guard: transposition-invariant 2-bar passages of the training melodies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from song_testing import transposed

from models.guard import CopyGuard, passage_hashes
from multitrack.example import example_song
from multitrack.song import Note


def test_a_transposed_copy_is_caught_and_a_new_melody_is_not(tmp_path: Path) -> None:
    song = example_song()
    guard = CopyGuard.build([song])
    assert guard.copies(transposed(song, 5, "D minor"))
    fresh = song.with_stem("melody", [Note(4 * i, 60 + (i * 5) % 12, 2) for i in range(32)])
    assert not guard.copies(fresh)
    guard.save(tmp_path / "guard.npy")
    again = CopyGuard.load_beside(tmp_path / "multitrack.pt")
    assert again is not None and again.copied(song) == guard.copied(song) > 0


def test_passages_with_few_notes_are_not_indexed() -> None:
    sparse = example_song().with_stem("melody", [Note(0, 60, 16), Note(32, 62, 16)])
    assert passage_hashes(sparse) == []


def test_hashes_depend_on_rhythm_and_bar_length() -> None:
    song = example_song()
    shifted = song.with_stem(
        "melody", [replace(n, start=n.start + 1) for n in song.stems["melody"].notes]
    )
    assert set(passage_hashes(song)).isdisjoint(passage_hashes(shifted))
