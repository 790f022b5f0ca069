"""``multitrack chords``: real MIDI files in, the recognised progression out."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

from bridge.cli import main
from multitrack.midi_io import write_midi
from multitrack.progression import parse_progression
from multitrack.song import Meter, Note, Song, Stem
from multitrack.theory import Key
from multitrack.voicing import voice_progression

FIXTURES = Path(__file__).parent.parent / "fixtures" / "midi"


def _song_file(tmp_path: Path, text: str, meter: Meter, bars: int) -> Path:
    spans = parse_progression(text, meter, bars=bars)
    chords, bass = voice_progression(spans, meter)
    song = Song(
        bars=bars,
        meter=meter,
        stems={
            "melody": Stem("melody", (Note(0, 81, 4), Note(4, 83, 4))),
            "chords": Stem("chords", tuple(chords), 4),
            "bass": Stem("bass", tuple(bass), 33),
        },
    )
    path = tmp_path / "song.mid"
    write_midi(song, path)
    return path


def test_table_of_a_written_song(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _song_file(tmp_path, "| Am | F | C/E | G7 |", Meter(4, 4), 4)
    assert main(["chords", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        " bar   beat  chord",
        "   1      1  Am",
        "   2      1  F",
        "   3      1  C/E",
        "   4      1  G7",
    ]


def test_symbols_are_spelt_in_the_files_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the take's song.json spells them: C#m and G#m/C# in A major, not Dbm."""
    spans = parse_progression("A C#m G#m/C# E", Meter(4, 4), bars=4)
    chords, bass = voice_progression(spans, Meter(4, 4))
    song = Song(bars=4, key=Key.parse("A major"),
                stems={"chords": Stem("chords", tuple(chords), 4),
                       "bass": Stem("bass", tuple(bass), 33)})  # fmt: skip
    write_midi(song, tmp_path / "a.mid")
    assert main(["chords", str(tmp_path / "a.mid"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["symbol"] for r in rows] == ["A", "C#m", "G#m/C#", "E"]


def test_json_rows_count_bars_and_beats_from_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _song_file(tmp_path, "Dm7:2 G7:2 Cmaj7", Meter(4, 4), 2)
    assert main(["chords", str(path), "--json", "--min-beats", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"bar": 1, "beat": 1.0, "symbol": "Dm7"},
        {"bar": 1, "beat": 3.0, "symbol": "G7"},
        {"bar": 2, "beat": 1.0, "symbol": "Cmaj7"},
    ]


def test_six_eight_counts_dotted_quarter_beats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _song_file(tmp_path, "Am:1 E:1 | Am", Meter(6, 8), 2)
    assert main(["chords", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"bar": 1, "beat": 1.0, "symbol": "Am"},
        {"bar": 1, "beat": 2.0, "symbol": "E"},
        {"bar": 2, "beat": 1.0, "symbol": "Am"},
    ]


def test_a_type_0_file_made_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One track, one channel of piano: arpeggiated C then a block F/A, written with mido."""
    track = mido.MidiTrack()
    q = 96
    events: list[tuple[int, mido.Message]] = []
    for i, pitch in enumerate([48, 55, 64, 67, 72, 67, 64, 55]):
        events += [(i * q // 2, mido.Message("note_on", note=pitch, velocity=80)),
                   ((i + 1) * q // 2, mido.Message("note_off", note=pitch))]  # fmt: skip
    for pitch in (45, 60, 65, 72):
        events += [(4 * q, mido.Message("note_on", note=pitch, velocity=80)),
                   (8 * q, mido.Message("note_off", note=pitch))]  # fmt: skip
    now = 0
    for tick, message in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(message.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(type=0, ticks_per_beat=q)
    mid.tracks.append(track)
    path = tmp_path / "piano.mid"
    mid.save(path)
    assert main(["chords", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["symbol"] for row in rows] == ["C", "F/A"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{fixtures}/missing.mid"], "MIDI file {fixtures}/missing.mid does not exist"),
        (["{fixtures}/truncated.mid"], "{fixtures}/truncated.mid is truncated"),
        (["{fixtures}/not_midi.mid"], "{fixtures}/not_midi.mid is not a readable MIDI file"),
        (["{fixtures}/type0.mid", "--min-beats", "0.3"], "--min-beats 0.3 must be a positive"),
        (
            ["{fixtures}/type0.mid", "--min-beats", "9"],
            "--min-beats 9 is longer than a 3/4 bar (3 beats)",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["chords", *(a.format(fixtures=FIXTURES) for a in args)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("multitrack: error: " + message.format(fixtures=FIXTURES))


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["chords", "--help"])
    assert info.value.code == 0
    assert "--json" in capsys.readouterr().out


def test_stems_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _song_file(tmp_path, "C", Meter(4, 4), 1)
    assert main(["chords", str(path), "--json", "--stems", "bass"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"bar": 1, "beat": 1.0, "symbol": "C"}]
    assert main(["chords", str(path), "--stems", "drums"]) == 2
    assert "'drums' is not a pitched stem" in capsys.readouterr().err


def test_the_bass_stem_is_read_as_the_bass_line_as_in_song_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A C struck short on each beat in the bass, under a C held over its third, read 'C/E'
    here (the lowest note of each step, the third while the bass rests) while the take's
    song.json, read with the bass stem as its bass line, said 'C'."""
    bass = tuple(Note(t, 36, 1) for t in range(0, 32, 4))
    held = tuple(Note(0, p, 32) for p in (64, 67, 72))
    song = Song(bars=2, stems={"chords": Stem("chords", held, 4),
                               "bass": Stem("bass", bass, 33)})  # fmt: skip
    write_midi(song, tmp_path / "c.mid")
    assert main(["chords", str(tmp_path / "c.mid"), "--json"]) == 0
    assert [r["symbol"] for r in json.loads(capsys.readouterr().out)] == ["C"]
