"""An end-to-end corpus build on a handful of tunes: real harmoniser, real MMA, real shards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from multitrack.corpus.accompaniment import mma_available
from multitrack.corpus.build import BuildConfig, build_corpus
from multitrack.corpus.store import read_corpus, read_manifest, read_shard_arrays, shard_paths
from multitrack.corpus.tunes import Tune
from multitrack.errors import OutputError

pytestmark = pytest.mark.skipif(not mma_available(), reason="Debian package mma not installed")


def _tunes() -> list[Tune]:
    phrase = (67, 64, 62, 60, 62, 64, 67, 69)
    tunes = []
    for i, (meter, bar) in enumerate((("4/4", 16), ("3/4", 12), ("2/4", 8), ("6/8", 12))):
        notes = tuple((k * bar // 2, phrase[k % 8] + i, bar // 2) for k in range(24))
        tunes.append(Tune("essen", f"essen/t/{i}", f"t{i}", meter, i % 12, "major", notes))
    han = tuple((k * 4, (62, 64, 67, 69, 72)[k % 5], 4) for k in range(40))
    tunes.append(Tune("essen_han", "essen_han/han1/1", "han", "2/4", 2, "shang", han, True))
    return tunes


def test_build_writes_a_whole_corpus_deterministically(tmp_path: Path) -> None:
    config = BuildConfig(out=tmp_path / "corpus", processes=1, seed=7, chunk_tunes=2)
    manifest = build_corpus(config, tunes=_tunes())
    root = tmp_path / "corpus"
    assert read_manifest(root)["windows"] == manifest["windows"]
    train, test = read_corpus(root, "train"), read_corpus(root, "test")
    assert len(train) + len(test) == manifest["windows"] > 20
    assert manifest["harmony"] == {"derived": 5}
    assert "guofeng" in manifest["styles"] and manifest["sources"]["essen_han"] > 0
    for ex in train + test:
        song = ex.song
        assert song.bars in (4, 8, 16, 32) and song.style and song.chords and len(ex.captions) == 3
        assert sum(s.bars for s in song.sections) == song.bars
        assert song.stems["melody"].notes and song.stems["drums"].program == 0
        assert all(n.end <= song.steps for s in song.stems.values() for n in s.notes)
        assert str(song.meter) in ("4/4", "3/4", "2/4", "6/8")
    # held out by piece: no piece on both sides
    assert not {e.piece for e in train} & {e.piece for e in test}
    # nothing half-built is left beside the corpus
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]
    # same seed, same shards
    again = build_corpus(
        BuildConfig(out=tmp_path / "again", processes=1, seed=7, chunk_tunes=2), tunes=_tunes()
    )
    assert again["windows"] == manifest["windows"]
    for a, b in zip(
        shard_paths(root, "train"), shard_paths(tmp_path / "again", "train"), strict=True
    ):
        x, y = read_shard_arrays(a), read_shard_arrays(b)
        assert np.array_equal(x.notes, y.notes) and x.meta == y.meta


def test_an_empty_build_fails_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no windows"):
        build_corpus(BuildConfig(out=tmp_path / "corpus", processes=1), tunes=[])
    assert list(tmp_path.iterdir()) == []


def test_a_missing_mma_is_named_and_nothing_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(OutputError, match=r"MMA \(Debian package mma\) is not installed"):
        build_corpus(BuildConfig(out=tmp_path / "corpus", processes=1), tunes=_tunes())
    assert list(tmp_path.iterdir()) == []
