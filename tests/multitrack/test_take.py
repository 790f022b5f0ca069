from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from multitrack.atomic import DIR_MODE, FILE_MODE
from multitrack.errors import OutputError, SoundFontError
from multitrack.example import example_song
from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.take import finish_take, next_take_name, read_take, write_take
from multitrack.theory import Key

FILES = ["bass.wav", "chords.wav", "drums.wav", "melody.wav", "preview.png", "song.json",
         "song.mid"]  # fmt: skip


def _short_song() -> Song:
    """Two bars of 3/4 with a chord change on bar 2 beat 2."""
    return Song(
        bars=2,
        tempo=100.0,
        meter=Meter(3, 4),
        key=Key.parse("D zhi"),
        stems={
            "melody": Stem("melody", (Note(0, 74, 12), Note(12, 76, 12)), 73),
            "chords": Stem("chords", tuple(Note(0, p, 24, 70) for p in (55, 59, 62)), 0),
            "bass": Stem("bass", (Note(0, 43, 24),), 32),
        },
        chords=(ChordSpan(0, 16, "G"), ChordSpan(16, 8, "D/F#")),
    )


def test_take_holds_every_file_and_a_complete_song_json(tmp_path: Path) -> None:
    meta = {"prompt": "一段悲伤的钢琴曲", "seed": 7, "model": "test-0", "attributes": {"bpm": 96}}
    take = write_take(example_song(), tmp_path, meta=meta)
    assert take.dir == tmp_path / "take-001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take-001"]  # no temp folder left
    assert sorted(p.name for p in take.dir.iterdir()) == FILES
    assert sorted(take.files) == ["bass", "chords", "drums", "json", "melody", "midi", "preview"]
    assert all(path.is_file() and path.parent == take.dir for path in take.files.values())
    raw = take.files["json"].read_text(encoding="utf-8")
    assert "一段悲伤的钢琴曲" in raw  # UTF-8, not \u escapes
    record = json.loads(raw)
    assert record["format"] == "multitrack.take/1"
    assert (record["prompt"], record["seed"], record["model"]) == ("一段悲伤的钢琴曲", 7, "test-0")
    assert record["attributes"] == {"bpm": 96}
    assert (record["bars"], record["tempo"], record["meter"], record["key"], record["style"]) == (
        8, 96.0, "4/4", "A minor", "pop")  # fmt: skip
    assert record["programs"] == {"melody": 80, "chords": 0, "bass": 33, "drums": 0}
    assert record["sample_rate"] == 44100
    assert record["chords"][:5] == [
        {"bar": 1, "beat": 1.0, "symbol": "Am"}, {"bar": 2, "beat": 1.0, "symbol": "F"},
        {"bar": 3, "beat": 1.0, "symbol": "C"}, {"bar": 4, "beat": 1.0, "symbol": "G"},
        {"bar": 5, "beat": 1.0, "symbol": "Am"}]  # fmt: skip
    assert record["files"] == {"json": "song.json", "midi": "song.mid", "melody": "melody.wav",
                               "chords": "chords.wav", "bass": "bass.wav", "drums": "drums.wav",
                               "preview": "preview.png"}  # fmt: skip
    song, back = read_take(take.dir)
    assert song == example_song()
    assert back == record


def test_a_take_folder_and_its_files_are_as_readable_as_the_umask_allows(
    tmp_path: Path,
) -> None:
    take = write_take(_short_song(), tmp_path, meta={})
    finish_take(take)  # the preview too
    assert stat.S_IMODE(take.dir.stat().st_mode) == DIR_MODE
    assert len(list(take.dir.iterdir())) == 7
    for path in take.dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE, path.name


def test_takes_are_numbered_named_and_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "take-007").mkdir()
    first = write_take(_short_song(), tmp_path, meta={}, sample_rate=48000)
    assert first.dir.name == "take-008" == json.loads(first.files["json"].read_bytes())["take"]
    named = write_take(_short_song(), tmp_path, name="副歌 A", meta={})
    assert named.dir == tmp_path / "副歌 A"
    before = (named.dir / "song.mid").read_bytes()
    with pytest.raises(OutputError, match="already exists; takes are never overwritten"):
        write_take(example_song(), tmp_path, name="副歌 A", meta={})
    assert (named.dir / "song.mid").read_bytes() == before
    assert next_take_name(tmp_path) == "take-009"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take-007", "take-008", "副歌 A"]


def test_read_take_follows_chords_edited_in_song_json(tmp_path: Path) -> None:
    take = write_take(_short_song(), tmp_path, meta={})
    song, record = read_take(take.dir)
    assert song == _short_song()
    assert record["chords"] == [{"bar": 1, "beat": 1.0, "symbol": "G"},
                                {"bar": 2, "beat": 2.0, "symbol": "D/F#"}]  # fmt: skip
    record["chords"] = [
        {"bar": 1, "beat": 1.0, "symbol": "Em"},
        {"bar": 2, "beat": 3, "symbol": "C"},
    ]
    record["key"] = "E minor"
    take.files["json"].write_text(json.dumps(record), encoding="utf-8")
    song, _ = read_take(take.dir)
    assert song.chords == (ChordSpan(0, 20, "Em"), ChordSpan(20, 4, "C"))
    assert str(song.key) == "E minor"
    assert song.stems == _short_song().stems


def test_a_silent_stem_keeps_the_program_song_json_records(tmp_path: Path) -> None:
    # song.mid has no track for a silent stem: it read back as program 0, and an edit that
    # wrote chords into a melody-and-drums take played them on a piano
    song = _short_song()
    silent = replace(song, stems={**song.stems, "chords": Stem("chords", (), 4)})
    take = write_take(silent, tmp_path, meta={})
    back, record = read_take(take.dir)
    assert record["programs"]["chords"] == 4 == back.stems["chords"].program
    assert not back.stems["chords"].notes
    # a stem that plays keeps its MIDI program; a hand-edited record's bad value is passed by
    record["programs"] = {"chords": "four", "melody": 200}
    take.files["json"].write_text(json.dumps(record), encoding="utf-8")
    back, _ = read_take(take.dir)
    assert back.stems["chords"].program == 0
    assert back.stems["melody"].program == song.stems["melody"].program


def test_a_hand_edited_song_json_is_read_or_refused_in_one_line(tmp_path: Path) -> None:
    """A beat of NaN or Infinity is no place for a chord: the take's own chords are read
    (as for any malformed chord row); an unknown style is refused as an OutputError."""
    take = write_take(_short_song(), tmp_path, meta={})
    _, record = read_take(take.dir)
    for beat in (float("nan"), float("inf")):
        record["chords"] = [{"bar": 1, "beat": beat, "symbol": "Em"}]
        take.files["json"].write_text(json.dumps(record), encoding="utf-8")
        assert read_take(take.dir)[0].chords == _short_song().chords
    record["style"] = "nonexistentstyle"
    take.files["json"].write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(OutputError, match="style 'nonexistentstyle' is not a style"):
        read_take(take.dir)


def test_progress_runs_from_zero_to_one(tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    write_take(_short_song(), tmp_path, meta={}, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert any("drums" in m for _, m in seen)


def test_a_failure_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_take(_short_song(), tmp_path, meta={"bad": object()})  # fails at song.json
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SoundFontError):
        write_take(_short_song(), tmp_path / "new", meta={}, soundfont=tmp_path / "none.sf2")
    with pytest.raises(OutputError, match="sample rate"):
        write_take(_short_song(), tmp_path / "new", meta={}, sample_rate=8000)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", " padded", "c:d"])
def test_bad_take_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="must be a plain folder name"):
        write_take(_short_song(), tmp_path, name=name, meta={})
    assert list(tmp_path.iterdir()) == []


def test_unwritable_root_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write takes into"):
        write_take(_short_song(), blocker / "out", meta={})


def test_read_take_refuses_what_is_not_a_take(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is not a take: no such folder"):
        read_take(tmp_path / "missing")
    with pytest.raises(OutputError, match=r"is not a take: song\.json is missing"):
        read_take(tmp_path)
    (tmp_path / "song.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(OutputError, match=r"is not a take: song\.json is unreadable"):
        read_take(tmp_path)
    (tmp_path / "song.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(OutputError, match=r"not a multitrack\.take/1 record"):
        read_take(tmp_path)
    (tmp_path / "song.json").write_text('{"format": "multitrack.take/1"}', encoding="utf-8")
    with pytest.raises(OutputError, match=r"is not a take: song\.mid is missing"):
        read_take(tmp_path)
    (tmp_path / "song.mid").write_bytes(b"MThd\x00")
    with pytest.raises(OutputError, match=r"is not a take: .*song\.mid"):
        read_take(tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [("seed", "abc", "an integer"), ("tempo", "85 bpm", "a number"), ("seed", True, "an integer"),
     ("prompt", 3, "text")],
)  # fmt: skip
def test_read_take_refuses_a_hand_edit_that_breaks_a_field(
    tmp_path: Path, field: str, value: object, what: str
) -> None:
    # "seed": "abc" met refine with a ValueError traceback (and OSC with an internal error)
    take = write_take(_short_song(), tmp_path, meta={"seed": 1, "prompt": "pop"})
    path = take.dir / "song.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**record, field: value}), encoding="utf-8")
    with pytest.raises(OutputError, match=f"is not a take: song.json's {field} is not {what}"):
        read_take(take.dir)


def test_read_take_keeps_style_none(tmp_path: Path) -> None:
    take = write_take(replace(_short_song(), style=None), tmp_path, meta={})
    song, record = read_take(take.dir)
    assert record["style"] is None and song.style is None


def test_a_deferred_preview_is_listed_at_once_and_drawn_by_finish_take(tmp_path: Path) -> None:
    take = write_take(_short_song(), tmp_path, meta={"seed": 1}, defer_preview=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take-001"]  # in place, whole
    assert sorted(p.name for p in take.dir.iterdir()) == [f for f in FILES if f != "preview.png"]
    record = json.loads(take.files["json"].read_text(encoding="utf-8"))
    assert record["files"]["preview"] == "preview.png"
    finish_take(take)
    assert sorted(p.name for p in take.dir.iterdir()) == FILES  # no temporary file left
    assert take.files["preview"].read_bytes().startswith(b"\x89PNG")
    assert take.pending == []
    finish_take(take)  # nothing left to do: a no-op


def test_a_preview_that_cannot_be_drawn_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    take = write_take(_short_song(), tmp_path, meta={}, defer_preview=True)
    for path in take.dir.iterdir():
        path.unlink()
    take.dir.rmdir()  # the producer deleted the take before its preview was drawn
    finish_take(take)
    assert "could not finish take" in caplog.text and take.pending == []


def test_notes_a_daw_wrote_after_a_takes_end_grow_it_and_a_tail_is_cut(tmp_path: Path) -> None:
    """A melody note added in bar 3 of a 2-bar take was read as part of a 2-bar song,
    so an edit keeping the melody wrote a MIDI file longer than its audio."""
    import mido

    take = write_take(_short_song(), tmp_path, meta={})
    mid = mido.MidiFile(take.files["midi"])
    track = next(t for t in mid.tracks if any(m.type == "note_on" for m in t))
    channel = next(m.channel for m in track if m.type == "note_on")
    beat = mid.ticks_per_beat
    end = sum(m.time for m in track)
    track.insert(len(track) - 1, mido.Message("note_on", channel=channel, note=81, velocity=90,
                                              time=7 * beat - end))  # fmt: skip
    track.insert(len(track) - 1, mido.Message("note_off", channel=channel, note=81, time=beat))
    mid.save(take.files["midi"])
    song, _ = read_take(take.dir)
    assert song.bars == 3  # bar 3 of 3/4 starts on beat 6; the note starts on beat 7
    assert max(n.end for s in song.stems.values() for n in s.notes) <= song.steps
