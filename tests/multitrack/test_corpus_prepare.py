"""`multitrack prepare`: a folder of real MIDI files, one broken, into corpus shards."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from bridge.cli import main
from bridge.commands.prepare import style_id
from multitrack.corpus.prepare import PrepareConfig, cut_window, prepare_corpus, song_windows
from multitrack.corpus.store import read_corpus, read_manifest
from multitrack.errors import MultitrackError, OutputError
from multitrack.example import example_song
from multitrack.midi_io import write_midi


def _library(folder: Path) -> None:
    (folder / "sub").mkdir(parents=True)
    write_midi(example_song(), folder / "song.mid")
    write_midi(example_song(), folder / "sub" / "copy.MID")
    (folder / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    # a type-0 file from elsewhere: one channel of melody only, 8 bars of quarter notes
    mid = mido.MidiFile(type=0, ticks_per_beat=96)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    for i in range(32):
        track.append(mido.Message("note_on", note=60 + (i * 5) % 12, velocity=90, time=0))
        track.append(mido.Message("note_off", note=60 + (i * 5) % 12, velocity=0, time=96))
    mid.save(folder / "type0.mid")
    (folder / "notes.txt").write_text("not midi, not read")


def test_windows_of_a_song() -> None:
    song = example_song()  # 8 bars
    windows = song_windows(song)
    assert [w.bars for w in windows] == [4, 4, 8]
    second = cut_window(song, 2, 4)
    bar = song.meter.steps_per_bar
    melody = [n for n in song.stems["melody"].notes if 2 * bar <= n.start < 6 * bar]
    assert [n.start for n in second.stems["melody"].notes] == [n.start - 2 * bar for n in melody]
    assert sum(c.duration for c in second.chords) <= 4 * bar


def test_prepare_skips_broken_files_and_writes_shards(tmp_path: Path) -> None:
    _library(tmp_path / "lib")
    manifest = prepare_corpus(PrepareConfig(tmp_path / "lib", tmp_path / "out", processes=1))
    assert manifest["files"] == 4 and manifest["files_used"] == 3
    assert manifest["skipped"] == {"truncated": 1}
    examples = read_corpus(tmp_path / "out", "train") + read_corpus(tmp_path / "out", "test")
    assert len(examples) == manifest["windows"] == 9  # 3 files x (4, 4, 8 bars)
    assert {e.piece for e in examples} == {"song.mid", "sub/copy.MID", "type0.mid"}
    assert all(e.source == "prepare:lib" and len(e.captions) == 3 for e in examples)
    own = [e for e in examples if e.piece == "song.mid"]
    assert own[0].song.chords and own[0].song.style == example_song().style
    assert read_manifest(tmp_path / "out")["windows"] == 9


def test_prepare_command_and_bad_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _library(tmp_path / "lib")
    assert (
        main(["prepare", str(tmp_path / "lib"), "--out", str(tmp_path / "c"), "--processes", "1"])
        == 0
    )
    assert "9 windows from 3 of 4 files" in capsys.readouterr().out
    assert main(["prepare", str(tmp_path / "nope"), "--out", str(tmp_path / "d")]) == 2
    assert "is not a folder of MIDI files" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    with pytest.raises(OutputError, match=r"holds no \.mid"):
        prepare_corpus(PrepareConfig(tmp_path / "empty", tmp_path / "e"))


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_prepare_never_deletes_what_is_not_a_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out is replaced whole, so it must be a corpus, new or empty: naming the MIDI folder,
    its parent or a folder of one's own files is refused before anything is written."""
    lib = tmp_path / "music" / "lib"
    _library(lib)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("keep me")
    before = _files(tmp_path)
    for out in (lib, tmp_path / "music", tmp_path / "mine"):
        assert main(["prepare", str(lib), "--out", str(out), "--processes", "1"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "--out" in err
    assert _files(tmp_path) == before
    # a corpus built before is replaced; so is an empty folder
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "c", tmp_path / "c", tmp_path / "empty"):
        assert main(["prepare", str(lib), "--out", str(out), "--processes", "1"]) == 0
    assert read_manifest(tmp_path / "c")["windows"] == 9
    assert read_manifest(tmp_path / "empty")["windows"] == 9
    # a folder with some other program's manifest.json is not a corpus
    app = tmp_path / "app"
    (app / "Samples").mkdir(parents=True)
    (app / "manifest.json").write_text('{"name": "my app"}')
    (app / "Samples" / "kick.wav").write_bytes(b"RIFF")
    assert main(["prepare", str(lib), "--out", str(app), "--processes", "1"]) == 2
    assert "not a corpus" in capsys.readouterr().err
    assert (app / "Samples" / "kick.wav").exists()
    (tmp_path / "c" / "notes.txt").write_text("mine")  # a corpus folder the producer wrote in
    assert main(["prepare", str(lib), "--out", str(tmp_path / "c"), "--processes", "1"]) == 2
    assert (tmp_path / "c" / "notes.txt").exists()


def test_a_small_library_trains_on_every_file_and_may_be_labelled_a_style(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # one file hashed into the ~5% held out had left a library nothing to train on
    (tmp_path / "lib").mkdir()
    write_midi(example_song(), tmp_path / "lib" / "mine.mid")
    args = ["prepare", str(tmp_path / "lib"), "--processes", "1", "--out"]
    assert main([*args, str(tmp_path / "a"), "--style", "Bossa Nova"]) == 0
    assert "all 3 to train on" in capsys.readouterr().out
    manifest = read_manifest(tmp_path / "a")
    assert manifest["splits"] == {"train": 3} and manifest["held_out"] is False
    assert manifest["styles"] == {"bossa_nova": 3}
    examples = read_corpus(tmp_path / "a", "train")
    assert {e.song.style for e in examples} == {"bossa_nova"}
    # its captions name the style, in either language, as the corpus's do
    assert all(any("bossa" in c or "波萨" in c for c in e.captions) for e in examples)
    assert main([*args, str(tmp_path / "b"), "--style", "国风"]) == 0
    assert {e.song.style for e in read_corpus(tmp_path / "b", "train")} == {"guofeng"}
    capsys.readouterr()
    # the words a prompt uses for a style name it here too; a mere hint names none
    words = ("lo-fi hip hop", "爵士乐", "Big Band")
    assert [style_id(w) for w in words] == ["lofi", "jazz", "swing"]
    with pytest.raises(MultitrackError, match="unknown style 'jazzy'"):
        style_id("jazzy")
    assert main([*args, str(tmp_path / "c"), "--style", "zydeco"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("multitrack: error: --style: unknown style")
    assert not (tmp_path / "c").exists()
