"""A tiny corpus and a tiny trained model, shared by the model tests (built once a session)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from song_testing import transposed

from multitrack.corpus.store import Example, ShardWriter, write_json_atomic
from multitrack.example import example_song
from multitrack.song import Note, Section, Song, Stem

CAPTIONS = ("一首流行歌曲,A小调", "pop song in A minor, 96 bpm")

# The text-vector cache (models.text.cache) of this test session, and of the servers and
# CLIs it starts, lives in a temporary folder: tests never write the producer's own cache.
os.environ["MULTITRACK_CACHE_DIR"] = tempfile.mkdtemp(prefix="multitrack-test-cache-")


def tiny_examples() -> list[Example]:
    base = example_song()
    keys = ["A minor", "Bb minor", "B minor", "C minor", "G minor", "Ab minor"]
    shifts = [0, 1, 2, 3, -2, -1]
    out = []
    for shift, key in zip(shifts, keys, strict=True):
        song = replace(transposed(base, shift, key), style="pop")
        out.append(Example(song, CAPTIONS, "fixture", f"example-{shift}"))
        half = replace(song, bars=4, stems={
            k: Stem(k, tuple(n for n in v.notes if n.end <= 64), v.program) for k, v in song.stems.items()
        }, chords=tuple(c for c in song.chords if c.start < 64))  # fmt: skip
        out.append(Example(half, CAPTIONS, "fixture", f"example-{shift}"))
        if shift == 0:  # one 16-bar window with a form: the long set's path
            twice = replace(
                song,
                bars=16,
                stems={k: Stem(k, (*v.notes, *(replace(n, start=n.start + 128) for n in v.notes)),
                               v.program) for k, v in song.stems.items()},
                chords=(*song.chords, *(replace(c, start=c.start + 128) for c in song.chords)),
                sections=(Section(0, 8, "A", "Verse 1"), Section(8, 8, "A", "Verse 2")),
            )  # fmt: skip
            out.append(Example(twice, CAPTIONS, "fixture", f"example-{shift}"))
    return out


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for split in ("train", "test"):
        writer = ShardWriter(root / split, size=8)
        for ex in tiny_examples():
            writer.add(ex)
        writer.flush()
    write_json_atomic(root / "manifest.json", {"format": "multitrack.corpus/1", "windows": 13})
    return root


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from models.config import ModelConfig
    from models.recipe import run_training
    from models.training import TrainConfig

    out = tmp_path_factory.mktemp("ckpt")
    return run_training(
        tiny_corpus,
        out,
        model_cfg=ModelConfig.tiny(),
        train_cfg=TrainConfig(ae_steps=3, diffusion_steps=3, batch=4, save_every=2, bf16=False),
        run_dir=out / "run",
    )


def melody_notes(song: Song) -> tuple[Note, ...]:
    return song.stems["melody"].notes
