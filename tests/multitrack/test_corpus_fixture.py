"""The committed corpus fixture: readable, every style, captions in three languages, and
`multitrack corpus stats` over it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bridge.cli import main
from multitrack.corpus.store import iter_shards, read_corpus, read_manifest
from multitrack.reference import read_reference
from multitrack.song import SUPPORTED_METERS
from multitrack.styles import STYLE_IDS

FIXTURE = Path(__file__).parents[1] / "fixtures" / "corpus"


def test_fixture_holds_every_style_in_both_splits() -> None:
    train, test = read_corpus(FIXTURE, "train"), read_corpus(FIXTURE, "test")
    manifest = read_manifest(FIXTURE)
    assert len(train) + len(test) == manifest["windows"]
    assert 200 <= len(train) <= 600 and len(test) >= 30
    assert {e.song.style for e in train} == set(STYLE_IDS)
    assert not {e.piece for e in train} & {e.piece for e in test}
    for ex in train + test:
        song = ex.song
        assert (song.meter.numerator, song.meter.denominator) in SUPPORTED_METERS
        assert song.bars in (4, 8) and song.chords and song.stems["melody"].notes
        zh, en, mixed = ex.captions
        assert any("\u4e00" <= c <= "\u9fff" for c in zh) and en.isascii()
        assert any("\u4e00" <= c <= "\u9fff" for c in mixed) and not mixed.isascii()
        assert any(c.isascii() and c.isalpha() for c in mixed)
    guofeng = [e for e in train if e.song.style == "guofeng"]
    assert all(e.source == "essen_han" for e in guofeng)
    assert sum(a.windows for a in iter_shards(FIXTURE, "train")) == len(train)


def test_stats_command_writes_json_and_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    out, ref = tmp_path / "corpus.json", tmp_path / "reference.json"
    code = main(
        [
            "corpus",
            "stats",
            "--corpus",
            str(corpus),
            "--json",
            "--out",
            str(out),
            "--reference",
            str(ref),
        ]
    )
    assert code == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats == json.loads(out.read_text(encoding="utf-8"))
    assert stats["windows"] == read_manifest(corpus)["windows"]
    assert set(stats["styles"]) == set(STYLE_IDS) and stats["sources"]
    held = stats["held_out"]
    assert held["windows"] == len(read_corpus(corpus, "test"))
    assert 0.0 <= held["metrics"]["chord_tone_ratio"]["mean"] <= 1.0
    assert read_reference(ref).count == held["windows"]
    assert (corpus / "reference.json").exists()
    assert main(["corpus", "stats", "--corpus", str(corpus)]) == 0
    assert "held-out metrics" in capsys.readouterr().out
    assert main(["corpus", "stats", "--corpus", str(tmp_path / "none")]) == 2
    assert "is not a corpus" in capsys.readouterr().err
