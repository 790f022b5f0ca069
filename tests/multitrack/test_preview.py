from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from multitrack.errors import OutputError
from multitrack.example import example_song
from multitrack.preview import COLOURS, write_preview
from multitrack.song import Meter, Song


def _size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _has_colour(image: np.ndarray, colour: str) -> bool:
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool((np.abs(image[..., :3] - rgb).max(axis=-1) < 0.15).any())


def test_preview_draws_every_stem_in_its_colour(tmp_path: Path) -> None:
    path = tmp_path / "preview.png"
    write_preview(example_song(), path)
    assert _size(path) == (1200, 700)
    image = imread(str(path))
    for colour in COLOURS.values():  # velocity is opacity: near the colour
        assert _has_colour(image, colour)
    assert [p.name for p in tmp_path.iterdir()] == ["preview.png"]


def test_preview_of_an_empty_song_in_6_8(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    write_preview(Song(bars=3, meter=Meter(6, 8)), path)
    image = imread(str(path))
    assert not any(_has_colour(image, c) for c in COLOURS.values())


def test_preview_into_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        write_preview(example_song(), tmp_path / "missing" / "preview.png")


def test_quick_chord_changes_stack_their_symbols_instead_of_overprinting() -> None:
    """A 32-bar take's "Dsus4 G/D G" in two beats printed on top of each other."""
    from multitrack.preview import _label_rows
    from multitrack.song import ChordSpan, Song

    spans = (ChordSpan(0, 64, "G"), ChordSpan(64, 4, "Dsus4"), ChordSpan(68, 4, "G/D"),
             ChordSpan(72, 440, "G"))  # fmt: skip
    song = Song(bars=32, chords=spans)
    assert _label_rows(song) == [0, 0, 1, 2]
    assert _label_rows(Song(bars=4, chords=(ChordSpan(0, 16, "C"), ChordSpan(16, 48, "G")))) == [
        0,
        0,
    ]
