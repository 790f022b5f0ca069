"""``multitrack render`` and ``multitrack demo`` end to end: real files, real synth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bridge.cli import main
from multitrack.render import best_soundfont

FIXTURES = Path(__file__).parent.parent / "fixtures" / "midi"
TAKE_FILES = ["bass.wav", "chords.wav", "drums.wav", "melody.wav", "preview.png", "song.json",
              "song.mid"]  # fmt: skip


def test_render_a_midi_file_with_chord_markers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    midi = FIXTURES / "type1_tempo_changes.mid"
    assert main(["render", str(midi), "--out", str(out), "--sample-rate", "48000"]) == 0
    take = out / "take-001"
    assert sorted(p.name for p in take.iterdir()) == TAKE_FILES
    stdout = capsys.readouterr().out
    assert f"take: {take}" in stdout
    assert "chords: Dm7 G7" in stdout
    record = json.loads((take / "song.json").read_text(encoding="utf-8"))
    assert (record["source"], record["chords_from"]) == (str(midi), "markers")
    assert (record["key"], record["tempo"], record["bars"], record["sample_rate"]) == (
        "D minor", 120.0, 4, 48000)  # fmt: skip


def test_render_recognises_chords_when_the_file_has_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["render", str(FIXTURES / "type0.mid"), "--out", str(out), "--name", "mine"]) == 0
    record = json.loads((out / "mine" / "song.json").read_text(encoding="utf-8"))
    assert record["chords_from"] == "recognised"
    assert record["chords"] == [{"bar": 1, "beat": 1.0, "symbol": "G"},
                                {"bar": 2, "beat": 1.0, "symbol": "C"}]  # fmt: skip
    assert "chords: G C" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.mid"], "MIDI file {fixtures}/missing.mid does not exist"),
        (["truncated.mid"], "{fixtures}/truncated.mid is truncated"),
        (["not_midi.mid"], "{fixtures}/not_midi.mid is not a readable MIDI file"),
        (["type0.mid", "--soundfont", "{tmp}/none.sf2"], "SoundFont {tmp}/none.sf2 does not exist"),
        (["type0.mid", "--sample-rate", "22050"], "sample rate 22050 Hz is not supported"),
        (["type0.mid", "--name", "../up"], "take name '../up' must be a plain folder name"),
    ],
)
def test_render_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    argv = [a.format(tmp=tmp_path) for a in args]
    argv[0] = str(FIXTURES / argv[0])
    assert main(["render", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("multitrack: error: " + message.format(fixtures=FIXTURES, tmp=tmp_path))
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() or list(out.iterdir()) == []


def test_render_into_an_unwritable_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["render", str(FIXTURES / "type0.mid"), "--out", str(blocker / "out")]) == 2
    assert "cannot write takes into" in capsys.readouterr().err


def test_render_never_overwrites_a_take(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine").mkdir()
    argv = ["render", str(FIXTURES / "type0.mid"), "--out", str(tmp_path), "--name", "mine"]
    assert main(argv) == 2
    assert "already exists; takes are never overwritten" in capsys.readouterr().err
    assert list((tmp_path / "mine").iterdir()) == []


def test_demo_generates_from_the_default_prompt_with_the_shipped_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    take = tmp_path / "take-001"
    assert sorted(p.name for p in take.iterdir()) == TAKE_FILES
    assert f"take: {take}" in capsys.readouterr().out
    record = json.loads((take / "song.json").read_text(encoding="utf-8"))
    assert record["prompt"] == "国风流行歌,古筝和笛子,贝斯和鼓"
    assert record["attributes"]["style"] == "guofeng" and record["model"].startswith(
        "multitrack-ldm"
    )
    assert record["soundfont"] == best_soundfont().name
    for stem in ("melody", "chords", "bass", "drums"):  # a full band: every stem sounds
        audio, _ = soundfile.read(take / f"{stem}.wav")
        assert np.sqrt((audio**2).mean()) > 0.01, stem


def test_render_example_writes_the_built_in_song(tmp_path: Path) -> None:
    from bridge.commands.demo import render_example

    take = render_example(tmp_path, prompt="一段充满东方禅意的古筝独奏")
    record = json.loads((take.dir / "song.json").read_text(encoding="utf-8"))
    assert record["requested_prompt"] == "一段充满东方禅意的古筝独奏"
    assert (record["key"], record["bars"]) == ("A minor", 8)


@pytest.mark.parametrize("command", ["render", "demo"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--soundfont" in capsys.readouterr().out
