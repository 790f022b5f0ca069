"""``multitrack parse``: the real CLI entry point, in process."""

from __future__ import annotations

import json

import pytest

from bridge.cli import main


def test_parse_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "一首欢快的儿童钢琴曲,C大调,四四拍", "--json", "--no-embedding"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["key"], record["meter"], record["mood"]) == ("C major", "4/4", "happy")
    assert record["programs"]["melody"] == 0


def test_parse_text_with_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "sad", "piano", "--bpm", "72", "--stems", "melody,chords"]) == 0
    out = capsys.readouterr().out
    assert "bpm       72" in out
    assert "stems     melody, chords" in out
    assert "mood: sad (sad)" in out


def test_parse_bad_key_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "piano", "--key", "H"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("multitrack: error: 'H' is not a key")


def test_parse_names_the_drum_kit_not_a_piano(capsys: pytest.CaptureFixture[str]) -> None:
    """The drums' program 0 was shown as 'drums 0 Acoustic Grand Piano'."""
    assert main(["parse", "rock", "--no-embedding"]) == 0
    out = capsys.readouterr().out
    assert "drums 0 Standard Kit" in out and "drums 0 Acoustic" not in out
