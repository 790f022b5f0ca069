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
