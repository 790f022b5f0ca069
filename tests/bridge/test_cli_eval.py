"""``multitrack eval`` on real MIDI files and take folders."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.cli import main
from multitrack.example import example_song
from multitrack.midi_io import write_midi
from multitrack.reference import write_reference
from multitrack.take import write_take
from multitrack.theory import Key


@pytest.fixture
def example_mid(tmp_path: Path) -> Path:
    path = tmp_path / "example.mid"
    write_midi(example_song(), path)
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["eval", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_one_midi_file_as_text(example_mid: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(example_mid)]) == 0
    out = capsys.readouterr().out
    assert "example.mid (midi): 8 bars, 96 BPM, 4/4" in out
    assert "key found C major (r=0.96), asked A minor: relative, does not agree" in out
    assert "chord_tone_ratio" in out and "groove_consistency" in out


def test_eval_json_has_metrics_midi_facts_and_aggregate(
    example_mid: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_json(capsys, str(example_mid), "--key", "C")
    (one,) = report["inputs"]
    assert one["kind"] == "midi"
    assert one["metrics"]["chord_tone_ratio"] == 1.0
    assert one["metrics"]["key_asked"] == "C major"
    assert one["metrics"]["key_agrees"] is True
    assert one["midi"]["tempo"] == 96.0 and one["midi"]["bars"] == 8
    assert report["aggregate"]["count"] == 1
    assert report["aggregate"]["key_agreement"] == 1.0
    assert report["aggregate"]["features"]["eb"]["mean"] == 0.0
    assert report["reference"] is None


def test_eval_many_inputs_against_a_reference(
    tmp_path: Path, example_mid: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.mid"
    write_midi(replace(example_song(), key=Key(0, "major")).with_stem("drums", []), other)
    ref = tmp_path / "ref.json"
    write_reference(ref, [example_song()] * 3, source="three examples")
    report = run_json(capsys, str(example_mid), str(other), "--reference", str(ref))
    assert report["aggregate"]["key_agreement"] == 0.5  # A minor no, C major yes
    comp = report["reference"]
    assert comp["source"] == "three examples" and comp["reference_count"] == 3
    assert comp["features"]["td"]["oa"] == pytest.approx(1.0, abs=1e-3)
    assert comp["features"]["eb_drums"]["relative_difference"] is None  # reference mean 0
    assert 0.0 < comp["mean_oa"] < 1.0

    assert main(["eval", str(example_mid), str(other), "--reference", str(ref)]) == 0
    out = capsys.readouterr().out
    assert "reference: three examples (3 songs, music21 key agreement 0.0%)" in out
    assert "mean OA: " in out


def test_a_folder_of_midi_files_is_a_reference(
    tmp_path: Path, example_mid: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    write_midi(example_song(), refs / "a.mid")
    report = run_json(capsys, str(example_mid), "--reference", str(refs))
    assert report["reference"]["reference_count"] == 1
    assert report["reference"]["mean_oa"] == 1.0


def test_a_take_folder_is_checked_against_its_song_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    take = write_take(example_song(), tmp_path, meta={"prompt": "an example"})
    report = run_json(capsys, str(take.dir))
    (one,) = report["inputs"]
    assert one["kind"] == "take"
    assert one["checks"] == dict.fromkeys(
        ("midi_tempo_ok", "midi_meter_ok", "midi_bars_ok", "midi_programs_ok"), True
    )
    assert one["metrics"]["key_asked"] == "A minor"
    assert main(["eval", str(take.dir)]) == 0
    assert "; all as asked" in capsys.readouterr().out

    # song.json says 100 BPM and 9 bars, the MIDI file holds 96 and 8: the file is what counts
    record_path = take.dir / "song.json"
    record = json.loads(record_path.read_text())
    record.update(tempo=100.0, bars=9)
    record_path.write_text(json.dumps(record))
    assert main(["eval", str(take.dir)]) == 0
    assert "NOT as asked: tempo, bars" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nothing.mid"], "nothing.mid: no such take folder or MIDI file"),
        (["notes.txt"], "notes.txt is neither a take folder nor a .mid file"),
        (["cut.mid"], "cut.mid"),  # the reader names the file
        (["good.mid", "--key", "H minor"], "'H minor' is not a key"),
        (["good.mid", "--reference", "missing.json"], "missing.json: no such reference set"),
        (["good.mid", "--reference", "empty"], "holds no reference.json, take folders or .mid"),
        (["empty"], "empty is not a take: song.json is missing"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_midi(example_song(), tmp_path / "good.mid")
    (tmp_path / "cut.mid").write_bytes((tmp_path / "good.mid").read_bytes()[:90])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    assert main(["eval", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("multitrack: error: ")
    assert message in captured.err
