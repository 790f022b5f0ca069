"""The corpus store: shards round-trip examples exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multitrack.corpus.store import (
    Example,
    ShardWriter,
    read_corpus,
    read_manifest,
    read_shard_arrays,
    write_shard,
)
from multitrack.errors import OutputError
from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.theory import Key


def _example(i: int) -> Example:
    song = Song(
        bars=4,
        tempo=96.0 + i,
        meter=Meter(3, 4),
        key=Key(9, "minor"),
        stems={
            "melody": Stem("melody", (Note(0, 69, 4, 90), Note(4, 72, 8, 80)), 107),
            "chords": Stem("chords", (Note(0, 57, 12), Note(0, 60, 12), Note(0, 64, 12)), 48),
            "bass": Stem("bass", (Note(0, 45, 12, 100),), 32),
            "drums": Stem("drums", (Note(0, 0, 1, 110), Note(4, 2, 1, 70)), 0),
        },
        chords=(ChordSpan(0, 12, "Am"), ChordSpan(12, 12, "F")),
        style="waltz",
    )
    return Example(song, ("一首华尔兹", f"waltz {i}"), "essen", f"han1/{i}")


def test_shard_round_trips_examples_exactly(tmp_path: Path) -> None:
    examples = [_example(i) for i in range(3)]
    write_shard(tmp_path / "train" / "shard-00000.npz", examples)
    back = read_corpus(tmp_path, "train")
    assert back == examples


def test_shard_arrays_have_the_documented_layout(tmp_path: Path) -> None:
    write_shard(tmp_path / "s.npz", [_example(0), _example(1)])
    arrays = read_shard_arrays(tmp_path / "s.npz")
    assert arrays.notes.dtype == np.int16 and arrays.notes.shape == (16, 6)
    assert arrays.offsets.tolist() == [0, 8, 16]
    assert arrays.notes[0].tolist() == [0, 0, 0, 69, 4, 90]
    assert arrays.meter.tolist() == [[3, 4], [3, 4]]
    assert arrays.meta[1]["piece"] == "han1/1"


def test_shard_writer_splits_into_shards(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "test", size=2)
    for i in range(5):
        writer.add(_example(i))
    writer.flush()
    assert writer.shards == 3 and writer.windows == 5
    assert [e.piece for e in read_corpus(tmp_path, "test")] == [f"han1/{i}" for i in range(5)]


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="build the corpus first"):
        read_corpus(tmp_path, "train")
    with pytest.raises(OutputError, match="unknown corpus split"):
        read_corpus(tmp_path, "valid")
    with pytest.raises(OutputError, match="is not a corpus"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"windows": 1}))
    assert read_manifest(tmp_path) == {"windows": 1}
