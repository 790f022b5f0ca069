"""`multitrack generate`: takes on disk, determinism, edits, and every bad input refused cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.cli import main
from multitrack.take import read_take


def generate(ckpt: Path, out: Path, *args: str) -> int:
    return main(["generate", *args, "--out", str(out), "--checkpoint", str(ckpt), "--steps", "3"])


def test_generate_writes_a_whole_take(tiny_checkpoint: Path, tmp_path: Path) -> None:
    assert (
        generate(tiny_checkpoint, tmp_path, "lo-fi hip hop in A minor, 85 bpm", "--bars", "4") == 0
    )
    take = tmp_path / "take-001"
    names = {p.name for p in take.iterdir()}
    assert names == {
        "song.mid",
        "melody.wav",
        "chords.wav",
        "bass.wav",
        "drums.wav",
        "song.json",
        "preview.png",
    }
    record = json.loads((take / "song.json").read_text(encoding="utf-8"))
    assert record["prompt"] == "lo-fi hip hop in A minor, 85 bpm"
    assert record["attributes"]["style"] == "lofi" and record["attributes"]["bpm"] == 85
    # no --seed: the prompt's own (models.request.prompt_seed)
    assert (record["bars"], record["key"], record["seed"]) == (4, "A minor", 3395595829)
    assert record["model"] == "multitrack-ldm-tiny"
    assert all("bar" in row and "symbol" in row for row in record["chords"])


def test_same_prompt_and_seed_give_the_same_midi(tiny_checkpoint: Path, tmp_path: Path) -> None:
    for _ in range(2):
        assert (
            generate(
                tiny_checkpoint,
                tmp_path,
                "一首欢快的儿童钢琴曲,C大调,四四拍",
                "--seed",
                "5",
                "--bars",
                "2",
            )
            == 0
        )
    assert (tmp_path / "take-001" / "song.mid").read_bytes() == (
        tmp_path / "take-002" / "song.mid"
    ).read_bytes()


def test_edits_keep_and_force_chords(tiny_checkpoint: Path, tmp_path: Path) -> None:
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--bars", "4") == 0
    first, _ = read_take(tmp_path / "take-001")
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--from", str(tmp_path / "take-001"),
                    "--keep", "chords,bass", "--seed", "9") == 0  # fmt: skip
    second, _ = read_take(tmp_path / "take-002")
    assert second.stems["chords"].notes == first.stems["chords"].notes
    assert second.stems["bass"].notes == first.stems["bass"].notes
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--from", str(tmp_path / "take-001"),
                    "--chords", "Am F C G") == 0  # fmt: skip
    record = json.loads((tmp_path / "take-003" / "song.json").read_text(encoding="utf-8"))
    assert [r["symbol"] for r in record["chords"]] == ["Am", "F", "C", "G"]


def test_an_edit_says_when_it_keeps_its_take_s_instruments(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(tiny_checkpoint, tmp_path, "lo-fi with electric piano", "--bars", "2") == 0
    capsys.readouterr()
    src = str(tmp_path / "take-001")
    assert generate(tiny_checkpoint, tmp_path, "hard rock, distorted guitar", "--from", src,
                    "--chords", "Am F") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "note: melody: the take's 4 Electric Piano 1 plays on, not 30 Distortion Guitar" in out
    assert "note: style: the take stays lofi" in out
    record = json.loads((tmp_path / "take-002" / "song.json").read_text(encoding="utf-8"))
    assert record["attributes"]["programs"]["melody"] == 4 == record["programs"]["melody"]
    # its own prompt: nothing to note
    assert generate(tiny_checkpoint, tmp_path, "", "--from", src, "--chords", "C G") == 0
    last = capsys.readouterr().out
    assert "note:" not in last, last


def test_an_edit_refuses_what_would_replace_the_take_or_be_ignored(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--extend 0 regenerated every note; --bpm / --key / --bars with --from were dropped
    without a word; --stems "" played every stem."""
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--bars", "2") == 0
    src = str(tmp_path / "take-001")
    for args, message in (
        (["--extend", "0"], "--extend adds at least 1 bar, got 0"),
        (["--intro", "-1"], "--intro adds at least 1 bar, got -1"),
        (["--bpm", "140", "--key", "C"], "--bpm and --key cannot change a take being edited"),
        (["--bars", "4"], "--bars cannot change a take being edited"),
    ):
        capsys.readouterr()
        assert generate(tiny_checkpoint, tmp_path, "", "--from", src, *args) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert generate(tiny_checkpoint, tmp_path, "pop", "--stems", " ") == 2
    assert "--stems needs stem names" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["take-001"]


def test_variations_are_written_all_or_none(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """A variation's name already taken: the request fails before writing anything (it
    left the first takes behind, and used up their names)."""
    assert generate(tiny_checkpoint, tmp_path, "rock", "--bars", "2", "--name", "y-3") == 0
    assert generate(tiny_checkpoint, tmp_path, "jazz", "--bars", "2", "--name", "y",
                    "--variations", "3") == 2  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y-3"]
    assert generate(tiny_checkpoint, tmp_path, "jazz", "--bars", "2", "--name", "z",
                    "--variations", "3") == 0  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y-3", "z", "z-2", "z-3"]


def test_a_taken_variation_name_is_refused_before_the_model_runs(tmp_path: Path) -> None:
    # it used to be found after the takes were sampled (7 s on the shipped model)
    from typing import Any, cast

    from bridge.service import generate_take
    from models.request import GenerateRequest
    from multitrack.errors import OutputError

    class Unused:
        def generate(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("the model ran")

    (tmp_path / "foo-2").mkdir()
    request = GenerateRequest("rock", bars=2, variations=3)
    with pytest.raises(OutputError, match="foo-2 already exists"):
        generate_take(cast(Any, Unused()), request, tmp_path, name="foo")


def test_a_length_no_default_form_divides_is_made(tiny_checkpoint: Path, tmp_path: Path) -> None:
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--bars", "17") == 0
    record = json.loads((tmp_path / "take-001" / "song.json").read_text(encoding="utf-8"))
    assert record["bars"] == 17
    assert [r["label"] for r in record["sections"]][-1] == "Outro"


def test_a_progression_is_repeated_to_fill_a_take_and_never_cut(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chords shorter than the take loop; a fresh take asked for no length is as long as
    a progression that outlasts the default; an edit's take is never cut to fit one."""
    symbols = "C G Am F C G F C E Am".split()
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--chords", " ".join(symbols)) == 0
    record = json.loads((tmp_path / "take-001" / "song.json").read_text(encoding="utf-8"))
    assert record["bars"] == 10
    assert [r["symbol"] for r in record["chords"]] == symbols
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--bars", "4", "--chords", "Am F") == 0
    record = json.loads((tmp_path / "take-002" / "song.json").read_text(encoding="utf-8"))
    assert [r["symbol"] for r in record["chords"]] == ["Am", "F", "Am", "F"]
    capsys.readouterr()
    assert generate(tiny_checkpoint, tmp_path, "", "--from", str(tmp_path / "take-002"),
                    "--chords", "Am F C G E") == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "lasts 5 bars but the take has 4" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take-001", "take-002"]


def test_an_edit_with_an_empty_prompt_keeps_the_takes_prompt_and_seed(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    """The CLI's --from builds its request as OSC regenerate does (bridge.resolution)."""
    assert generate(tiny_checkpoint, tmp_path, "lo-fi hip hop", "--bars", "2", "--seed", "7") == 0
    assert generate(tiny_checkpoint, tmp_path, "", "--from", str(tmp_path / "take-001"),
                    "--repaint", "2-2") == 0  # fmt: skip
    record = json.loads((tmp_path / "take-002" / "song.json").read_text(encoding="utf-8"))
    assert (record["prompt"], record["seed"]) == ("lo-fi hip hop", 7)
    assert record["attributes"]["style"] == "lofi"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["", "--bars", "4"], "prompt is empty"),
        (["pop", "--bars", "0"], "bars must be 1-64"),
        (["pop", "--bars", "1000"], "bars must be 1-64"),
        (["pop", "--guidance", "-1"], "guidance"),
        (["pop", "--stems", "melody,vocals"], "unknown stem 'vocals'"),
        (["pop", "--chords", "Am Xyz7"], "Xyz7"),
        (["pop", "--bars", "4", "--chords", "C G Am F C G"], "lasts 6 bars but the take has 4"),
        (["pop", "--chords", " ".join(["C G Am F"] * 17)], "lasts 68 bars; a take has at most"),
        (["pop", "--keep", "chords"], "--from"),
        (["pop", "--key", "Q minor"], "Q minor"),
        (["pop", "--meter", "5/4"], "5/4"),
        (["pop " * 600, "--bars", "4"], "at most 2000"),  # OSC's limit (the CLI took 10,200)
        (["pop", "--seed", str(2**63)], f"seed must be 0 to {2**63 - 1}, got {2**63}"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tiny_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "out"
    assert generate(tiny_checkpoint, out, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("multitrack: error:") and message in err and err.count("\n") == 1
    assert not out.exists() or list(out.iterdir()) == []


def test_checkpoint_and_source_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generate(tmp_path / "missing.pt", tmp_path / "out", "pop") == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert generate(bad, tmp_path / "out", "pop") == 2
    assert "corrupt" in capsys.readouterr().err
    (tmp_path / "not-a-take").mkdir()
    assert (
        main(
            [
                "generate",
                "pop",
                "--from",
                str(tmp_path / "not-a-take"),
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )
    assert "not a take" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_edit_that_cannot_do_what_it_says_is_refused(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--keep chords with --chords kept the old chords stem and labelled it with the new
    chords; keeping all four stems wrote the same take again."""
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--bars", "2") == 0
    src = str(tmp_path / "take-001")
    for args, message in (
        (["--keep", "chords", "--chords", "Dm G"], "new chords replace the chords stem"),
        (["--keep", "melody,chords,bass,drums"], "keeping every stem leaves nothing"),
        (["--keep", "melody", "--stems", "drums"], "the kept melody would play in a take"),
    ):
        capsys.readouterr()
        assert generate(tiny_checkpoint, tmp_path, "", "--from", src, *args) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert [p.name for p in tmp_path.iterdir()] == ["take-001"]


def test_a_repaint_forces_its_chords_in_its_bars_and_the_rest_keep_theirs(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """song.json labelled every bar with the forced chords, though the kept bars play the
    source's; typed chords now start on the first repainted bar."""
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--bars", "6",
                    "--chords", "C F G Am") == 0  # fmt: skip
    src, _ = read_take(tmp_path / "take-001")
    assert generate(tiny_checkpoint, tmp_path, "", "--from", str(tmp_path / "take-001"),
                    "--repaint", "4-5", "--chords", "Dm E7") == 0  # fmt: skip
    record = json.loads((tmp_path / "take-002" / "song.json").read_text(encoding="utf-8"))
    rows = [(r["bar"], r["symbol"]) for r in record["chords"]]
    assert rows == [(1, "C"), (2, "F"), (3, "G"), (4, "Dm"), (5, "E7"), (6, "F")]
    capsys.readouterr()
    assert generate(tiny_checkpoint, tmp_path, "", "--from", str(tmp_path / "take-001"),
                    "--repaint", "4-5", "--chords", "Dm E7 F") == 2  # fmt: skip
    assert "lasts 3 bars but the repainted bars are 2" in capsys.readouterr().err
    new, _ = read_take(tmp_path / "take-002")
    bar = src.meter.steps_per_bar
    for stem in ("melody", "chords", "bass", "drums"):  # the kept bars play as they did
        for keep in (lambda n: n.start >= 5 * bar, lambda n: n.start < 3 * bar):
            assert [(n.start, n.pitch) for n in new.stems[stem].notes if keep(n)] == [
                (n.start, n.pitch) for n in src.stems[stem].notes if keep(n)
            ]


def test_no_chord_bars_are_silent_in_the_chords_and_bass(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    """docs/chords.md: N.C. is silent. The model is told N.C. but plays on through it."""
    assert generate(tiny_checkpoint, tmp_path, "pop in C", "--bars", "4",
                    "--chords", "N.C. Am N.C. G") == 0  # fmt: skip
    song, _ = read_take(tmp_path / "take-001")
    bar = song.meter.steps_per_bar
    for stem in ("chords", "bass"):
        for n in song.stems[stem].notes:
            for silent in (0, 2):
                assert n.end <= silent * bar or n.start >= (silent + 1) * bar, (stem, n)


def test_a_take_keeps_its_preview_when_the_reader_goes_away(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`multitrack generate ... | true`: the summary's BrokenPipeError skipped the preview,
    which song.json lists."""
    import bridge.commands.generate as command

    def gone(*_: object, **__: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(command, "_print_take", gone)
    monkeypatch.setattr("bridge.cli._quiet_stdout", lambda: None)
    assert generate(tiny_checkpoint, tmp_path, "pop", "--bars", "2") == 0
    assert (tmp_path / "take-001" / "preview.png").stat().st_size > 0


@pytest.mark.parametrize("clip", ["empty", "drums"])
def test_a_chord_clip_with_no_chords_is_refused(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], clip: str
) -> None:
    # an empty or drums-only --chords-midi clip was accepted: a take of N.C. throughout
    import mido

    midi = mido.MidiFile()
    track = mido.MidiTrack()
    midi.tracks.append(track)
    if clip == "drums":
        for _ in range(8):
            track.append(mido.Message("note_on", channel=9, note=36, velocity=100, time=0))
            track.append(mido.Message("note_off", channel=9, note=36, velocity=0, time=240))
    path = tmp_path / f"{clip}.mid"
    midi.save(path)
    out = tmp_path / "out"
    assert generate(tiny_checkpoint, out, "pop", "--bars", "4", "--chords-midi", str(path)) == 2
    err = capsys.readouterr().err
    assert "no chords recognised in the clip" in err and err.count("\n") == 1
    assert not out.exists() or list(out.iterdir()) == []


def test_out_at_an_earlier_take_is_refused(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --out take-001 wrote take-001/take-001 inside the earlier take
    assert generate(tiny_checkpoint, tmp_path, "pop", "--bars", "2") == 0
    take = tmp_path / "take-001"
    before = sorted(p.name for p in take.iterdir())
    capsys.readouterr()
    assert generate(tiny_checkpoint, take, "pop", "--bars", "2") == 2
    assert "is a take; give the folder that holds takes" in capsys.readouterr().err
    assert sorted(p.name for p in take.iterdir()) == before
