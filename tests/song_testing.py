"""Songs made by hand for tests (shared by conftest.py and the model tests)."""

from __future__ import annotations

from dataclasses import replace

from multitrack.song import Song, Stem
from multitrack.theory import Key


def transposed(song: Song, semitones: int, key: str) -> Song:
    stems = {
        name: Stem(
            name,
            tuple(
                n if name == "drums" else replace(n, pitch=n.pitch + semitones) for n in stem.notes
            ),
            stem.program,
        )
        for name, stem in song.stems.items()
    }
    return replace(song, stems=stems, key=Key.parse(key))
