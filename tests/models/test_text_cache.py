"""The text-vector cache: vectors come back bit for bit, and a hit never loads the encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.text import embedding
from models.text.cache import VectorCache, cache_dir


def test_vectors_round_trip_bit_for_bit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTITRACK_CACHE_DIR", str(tmp_path))
    vectors = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    cache = VectorCache("enc-1")
    assert cache.get("一段古筝", width=8) is None
    cache.put("一段古筝", vectors)
    back = VectorCache("enc-1").get("一段古筝", width=8)
    assert back is not None and back.tobytes() == vectors.tobytes()
    assert VectorCache("enc-2").get("一段古筝", width=8) is None  # another encoder's namespace
    assert cache.get("一段古筝", width=16) is None  # a width that does not fit is a miss


def test_off_and_broken_caches_are_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MULTITRACK_CACHE_DIR", "off")
    assert cache_dir() is None
    VectorCache("e").put("x", np.zeros((1, 4), np.float32))
    assert VectorCache("e").get("x", width=4) is None
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("MULTITRACK_CACHE_DIR", str(tmp_path / "file"))
    broken = VectorCache("e")
    broken.put("x", np.zeros((1, 4), np.float32))
    assert broken.get("x", width=4) is None
    assert caplog.text.count("text embedding cache off") == 1  # said once, then quiet


def test_a_cached_prompt_does_not_load_the_encoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MULTITRACK_CACHE_DIR", str(tmp_path))
    first = embedding._Encoder()
    vector = first.encode(["古风笛子,雨打芭蕉"], cached=True)
    assert first._model is not None
    fresh = embedding._Encoder()  # a new process, as far as the encoder knows
    again = fresh.encode(["古风笛子,雨打芭蕉"], cached=True)
    assert fresh._model is None and again.tobytes() == vector.tobytes()
    ids, table = fresh.table("style")
    assert fresh._model is not None  # a table not cached yet loads it ...
    later = embedding._Encoder()
    ids2, table2 = later.table("style")
    assert later._model is None and ids2 == ids and table2.tobytes() == table.tobytes()  # ... once
