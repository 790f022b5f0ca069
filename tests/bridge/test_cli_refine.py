"""`multitrack refine`, `rate`, `prefs` and `parse --feedback` on the tiny model: takes on
disk, the chain in song.json, the preference store, and bad input refused in one line."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from bridge.cli import main
from multitrack.prefs import STORE_NAME, PreferenceStore


def _generate(ckpt: Path, out: Path, prompt: str = "一段舒缓的古筝曲") -> Path:
    args = ["generate", prompt, "--out", str(out), "--checkpoint", str(ckpt), "--steps", "3"]
    assert main([*args, "--bars", "4"]) == 0
    return sorted(out.glob("take-*"))[-1]


def _refine(ckpt: Path, take: Path, *feedback: str) -> int:
    return main(["refine", str(take), *feedback, "--checkpoint", str(ckpt), "--steps", "3"])


def test_refine_writes_a_new_take_with_the_chain(tiny_checkpoint: Path, tmp_path: Path) -> None:
    source = _generate(tiny_checkpoint, tmp_path)
    before = {p.name: p.read_bytes() for p in source.iterdir()}
    assert _refine(tiny_checkpoint, source, "太沉闷了,再快一点") == 0
    new = tmp_path / "take-002"
    record = json.loads((new / "song.json").read_text(encoding="utf-8"))
    old = json.loads((source / "song.json").read_text(encoding="utf-8"))
    chain = record["refine"]
    assert chain["source"] == str(source) and chain["source_take"] == "take-001"
    assert chain["feedback"] == "太沉闷了,再快一点"
    assert chain["change"]["energy"] == 1 and chain["change"]["tempo"] > 1.2
    assert any(line.startswith("feedback: tempo") for line in chain["changed"])
    assert record["tempo"] > old["tempo"] and record["bars"] == old["bars"]
    assert record["attributes"]["energy"] != old["attributes"]["energy"]
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before  # source untouched
    store = PreferenceStore.open(tmp_path)
    assert store.feedback() == [("take-001", "太沉闷了,再快一点", "take-002")]
    store.close()
    # a refine of a refine counts the chain
    assert _refine(tiny_checkpoint, new, "slower") == 0
    third = json.loads((tmp_path / "take-003" / "song.json").read_text(encoding="utf-8"))
    assert third["refine"]["depth"] == 2 and third["tempo"] < record["tempo"]


def test_refining_an_edit_keeps_its_music(tiny_checkpoint: Path, tmp_path: Path) -> None:
    # a refine sampled the prompt and seed again: a chord edit came back with the chords it
    # replaced, an extension lost its bars' music; now it changes the edit's own notes
    from typing import Any

    from multitrack.song import Song
    from multitrack.take import read_take

    source = _generate(tiny_checkpoint, tmp_path, "lo-fi hip hop in A minor")
    edit = tmp_path / "edit"
    assert main(["generate", "", "--from", str(source), "--chords", "F G Em Am", "--name",
                 "edit", "--out", str(tmp_path), "--checkpoint", str(tiny_checkpoint),
                 "--steps", "3"]) == 0  # fmt: skip
    song, _ = read_take(edit)

    def refined(name: str, *feedback: str, of: Path = edit) -> tuple[Song, dict[str, Any]]:
        args = ["--name", name, "--checkpoint", str(tiny_checkpoint), "--steps", "3"]
        assert main(["refine", str(of), *feedback, *args]) == 0
        return read_take(tmp_path / name)

    def notes(s: Song, stem: str) -> list[tuple[int, int, int]]:
        return [(n.start, n.pitch, n.duration) for n in s.stems[stem].notes]

    faster, record = refined("faster", "faster")
    assert faster.tempo > song.tempo
    for stem in ("melody", "chords", "bass", "drums"):
        assert notes(faster, stem) == notes(song, stem), stem
    assert [c.symbol for c in faster.chords] == [c.symbol for c in song.chords]
    assert record["refine"]["notes"] == "the source's, changed"
    quiet, _ = refined("nodrums", "no drums")
    assert not quiet.stems["drums"].notes and notes(quiet, "melody") == notes(song, "melody")
    back, record = refined("drums-back", "more drums", of=tmp_path / "nodrums")
    assert notes(back, "chords") == notes(song, "chords") and back.stems["drums"].notes
    _, record = refined("darker", "darker")  # a new key: sampled again
    assert record["refine"]["notes"] == "sampled again"
    # a plain take keeps its notes too: sampled again at its new tempo it came back with
    # other chords and more than twice its melody notes
    plain, _ = read_take(source)
    slower, record = refined("plain", "slower", of=source)
    assert record["refine"]["notes"] == "the source's, changed"
    assert slower.tempo < plain.tempo
    for stem in ("melody", "chords", "bass", "drums"):
        assert notes(slower, stem) == notes(plain, stem), stem


def test_refine_bad_input_is_one_line(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _refine(tiny_checkpoint, tmp_path / "take-404", "太沉闷了") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no take" in err
    source = _generate(tiny_checkpoint, tmp_path)
    capsys.readouterr()
    assert _refine(tiny_checkpoint, source, "嗯……") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "says what to change" in err
    # steps and seed are checked as OSC refine checks them (the CLI wrote a take)
    for flag, value, said in (("--steps", "0", "steps must be 1-200"), ("--seed", "-1", "seed")):
        assert main(["refine", str(source), "slower", flag, value, "--checkpoint",
                     str(tiny_checkpoint)]) == 2  # fmt: skip
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err
    assert not (tmp_path / "take-002").exists()


def test_rate_and_prefs(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    take = _generate(tiny_checkpoint, tmp_path)
    capsys.readouterr()
    assert main(["rate", str(take), "1"]) == 0
    assert "rated take-001 +1" in capsys.readouterr().out
    assert main(["rate", str(take), "-1"]) == 0  # a later rating replaces the earlier
    capsys.readouterr()
    assert main(["prefs", "show", "--out", str(tmp_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ratings"] == {"take-001": -1} and shown["active"] is False
    for bad in ("2", "x", "-2"):
        assert main(["rate", str(take), bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "-1, 0 or 1" in err
    assert main(["rate", str(tmp_path / "nope"), "1"]) == 2
    assert "no take" in capsys.readouterr().err
    assert main(["prefs", "reset", "--out", str(tmp_path)]) == 0
    assert "2 entries removed" in capsys.readouterr().out
    assert main(["prefs", "show", "--out", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ratings"] == {}


def test_a_corrupt_store_is_set_aside_and_never_blocks(
    tiny_checkpoint: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    take = _generate(tiny_checkpoint, tmp_path)
    (tmp_path / STORE_NAME).write_bytes(b"this is not a database" * 100)
    assert main(["rate", str(take), "1"]) == 0
    assert (tmp_path / f"{STORE_NAME}.corrupt-1").read_bytes().startswith(b"this is not")
    assert "unreadable" in caplog.text
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        assert db.execute("SELECT rating FROM ratings").fetchall() == [(1,)]
    # generation does not read the store's health at all; a refine still writes its take
    (tmp_path / STORE_NAME).write_bytes(b"garbage again")
    assert _refine(tiny_checkpoint, take, "more drums") == 0
    assert (tmp_path / "take-002" / "song.json").is_file()


def test_an_unwritable_store_is_a_one_line_error(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    take = _generate(tiny_checkpoint, tmp_path)
    capsys.readouterr()
    (tmp_path / STORE_NAME).mkdir()  # a folder where the file should be: cannot be opened
    assert main(["rate", str(take), "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the preference store" in err
    assert (tmp_path / STORE_NAME).is_dir()  # nothing set aside: it was not a corrupt file
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["prefs", "show", "--out", str(blocker / "sub")]) == 2
    assert "no output folder" in capsys.readouterr().err


def test_rate_keys_by_folder_from_any_path_and_prefs_never_make_a_folder(
    tiny_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "rate . 1" inside a take rated "" into a store inside the take; a copied take was keyed
    # by its original's name (song.json's), so rating one replaced the other's
    import shutil

    take = _generate(tiny_checkpoint, tmp_path)
    shutil.copytree(take, tmp_path / "keeper")
    monkeypatch.chdir(take)
    assert main(["rate", ".", "-1"]) == 0
    assert "rated take-001 -1" in capsys.readouterr().out
    assert not (take / STORE_NAME).exists()
    assert main(["rate", str(tmp_path / "keeper"), "1"]) == 0
    capsys.readouterr()
    assert main(["prefs", "show", "--out", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ratings"] == {"take-001": -1, "keeper": 1}
    typo = tmp_path / "typo"
    for action in ("show", "reset"):
        assert main(["prefs", action, "--out", str(typo)]) == 2
        assert "no output folder" in capsys.readouterr().err
    assert not typo.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only folders")
def test_a_read_only_folder_is_a_one_line_error(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    take = _generate(tiny_checkpoint, tmp_path)
    capsys.readouterr()
    tmp_path.chmod(0o500)
    try:
        assert main(["rate", str(take), "1"]) == 2
    finally:
        tmp_path.chmod(0o700)
    assert "cannot write the preference store" in capsys.readouterr().err


def test_parse_shows_the_feedback_change(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "民谣", "--no-embedding", "--json", "--feedback", "太沉闷了"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["feedback"]["energy"] == 1 and record["feedback"]["text"] == "太沉闷了"
    assert any(u.startswith("feedback: tempo") for u in record["understood"])
    assert main(["parse", "more drums", "--no-embedding", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["feedback"]["drums"] == 1
    assert main(["parse", "sad piano ballad", "--no-embedding", "--json"]) == 0
    assert "feedback" not in json.loads(capsys.readouterr().out)


def test_a_form_given_beside_the_prompt_survives_a_refine(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    # --form was not recorded in song.json's attributes, so a refine fell back on the
    # style's default form and the DAW's markers changed with it
    from multitrack.take import read_take

    args = ["--out", str(tmp_path), "--checkpoint", str(tiny_checkpoint), "--steps", "2"]
    assert main(["generate", "pop song in C major", "--bars", "16", "--form", "A A B A",
                 "--name", "f1", *args]) == 0  # fmt: skip
    song, record = read_take(tmp_path / "f1")
    assert record["attributes"]["form"] == "A A B A"
    assert main(["refine", str(tmp_path / "f1"), "faster", "--name", "f2", *args[2:]]) == 0
    again, _ = read_take(tmp_path / "f2")
    assert [(s.start, s.bars, s.label) for s in again.sections] == [
        (s.start, s.bars, s.label) for s in song.sections
    ]
