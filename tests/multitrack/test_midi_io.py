from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import mido
import pytest

from multitrack.errors import MidiFileError, OutputError
from multitrack.example import example_song
from multitrack.midi_io import (
    estimate_key,
    read_midi,
    song_from_midi,
    song_to_midi,
    write_midi,
)
from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.stems_split import Part, split_stems
from multitrack.theory import Key

FIXTURES = Path(__file__).parent.parent / "fixtures" / "midi"


def _song(meter: Meter) -> Song:
    bar = meter.steps_per_bar
    return Song(
        bars=3,
        tempo=123.7,
        meter=meter,
        key=Key.parse("D zhi"),
        style="guofeng",
        stems={
            "melody": Stem("melody", (Note(0, 74, 3, 100), Note(3, 76, 1, 64), Note(bar, 79, bar)), 73),
            "chords": Stem("chords", tuple(Note(0, p, bar, 70) for p in (62, 66, 69)), 48),
            "bass": Stem("bass", (Note(0, 38, 2, 110), Note(2, 38, 2, 90), Note(bar + 1, 45, 5)), 32),
            "drums": Stem("drums", tuple(Note(i, i % 9, 1, 60 + i) for i in range(0, 2 * bar)), 0),
        },
        chords=(ChordSpan(0, bar, "D"), ChordSpan(bar, bar // 2, "A7/C#")),  # then a gap
    )  # fmt: skip


@pytest.mark.parametrize("meter", ["4/4", "3/4", "2/4", "6/8"])
def test_round_trip_is_exact_in_every_meter(tmp_path: Path, meter: str) -> None:
    song = _song(Meter.parse(meter))
    write_midi(song, tmp_path / "song.mid")
    assert read_midi(tmp_path / "song.mid") == song
    assert [p.name for p in tmp_path.iterdir()] == ["song.mid"]  # no temporary left behind


def test_example_song_round_trips(tmp_path: Path) -> None:
    song = example_song()
    write_midi(song, tmp_path / "ex.mid")
    assert read_midi(tmp_path / "ex.mid") == song


def test_written_file_has_named_tracks_programs_channels_and_meta(tmp_path: Path) -> None:
    song = _song(Meter(6, 8))
    write_midi(song, tmp_path / "song.mid")
    mid = mido.MidiFile(tmp_path / "song.mid")
    assert (mid.type, mid.ticks_per_beat) == (1, 480)
    names = [next(m.name for m in t if m.type == "track_name") for t in mid.tracks]
    assert names == ["multitrack", "melody", "chords", "bass", "drums"]
    programs = [
        [(m.channel, m.program) for m in t if m.type == "program_change"] for t in mid.tracks
    ]
    assert programs == [[], [(0, 73)], [(1, 48)], [(2, 32)], [(9, 0)]]
    drum_notes = {m.note for m in mid.tracks[4] if m.type == "note_on"}
    assert drum_notes == {36, 38, 42, 46, 45, 47, 50, 49, 51}
    assert {m.channel for m in mid.tracks[4] if m.type == "note_on"} == {9}
    conductor = mid.tracks[0]
    ts = next(m for m in conductor if m.type == "time_signature")
    assert (ts.numerator, ts.denominator) == (6, 8)
    assert next(m.key for m in conductor if m.type == "key_signature") == "G"  # D zhi: G gong
    assert next(m.tempo for m in conductor if m.type == "set_tempo") == mido.bpm2tempo(123.7)
    ticks, markers = 0, []
    for m in conductor:
        ticks += m.time
        if m.type == "marker":
            markers.append((ticks, m.text))
    assert markers == [(0, "D"), (12 * 120, "A7/C#")]
    assert ticks == 3 * 12 * 120  # the conductor ends at the song's end


@pytest.mark.parametrize(
    ("key", "signature"),
    [("A minor", "Am"), ("Eb major", "Eb"), ("C major", "C"), ("F# minor", "F#m"),
     ("D zhi", "G"), ("E yu", "Em"), ("F# dorian", "C#m"), ("C gong", "C"), ("Bb lydian", "F"),
     ("G mixolydian", "C"), ("E phrygian", "Am"), ("A shang", "G"), ("E jue", "Am"),
     ],
)  # fmt: skip
def test_key_signature_of_keys_and_modes(key: str, signature: str) -> None:
    assert Key.parse(key).midi_signature() == signature


def test_values_a_daw_changed_come_from_the_midi_not_our_record(tmp_path: Path) -> None:
    song = replace(example_song(), tempo=96.5)
    mid = song_to_midi(song)
    for msg in mid.tracks[0]:
        if msg.type == "set_tempo":
            msg.tempo = mido.bpm2tempo(100)
        if msg.type == "key_signature":
            msg.key = "Eb"
        if msg.type == "marker" and msg.text == "F":
            msg.text = "Dm"
    mid.save(tmp_path / "edited.mid")
    back = read_midi(tmp_path / "edited.mid")
    assert back.tempo == 100.0
    assert str(back.key) == "Eb major"
    assert [c.symbol for c in back.chords] == ["Am", "Dm", "C", "G"] * 2
    assert back.stems == song.stems


def test_type0_file_splits_channels_into_stems() -> None:
    song = read_midi(FIXTURES / "type0.mid")
    assert (song.bars, song.tempo, str(song.meter), str(song.key)) == (2, 100.0, "3/4", "G major")
    assert song.stems["melody"].notes == (
        Note(0, 79, 4, 90), Note(4, 76, 4, 90), Note(8, 74, 4, 90), Note(12, 79, 12, 90))  # fmt: skip
    assert song.stems["melody"].program == 73
    assert song.stems["chords"].notes == tuple(
        sorted(Note(s, p, 12, 70) for s, ps in ((0, (55, 59, 62)), (12, (55, 60, 64))) for p in ps)
    )
    assert song.stems["bass"].notes == (Note(0, 43, 12, 100), Note(12, 48, 12, 100))
    assert song.stems["drums"].notes == (Note(0, 0, 1, 110), Note(4, 1, 1, 100), Note(8, 1, 1, 100))
    assert song.chords == ()


def test_type1_with_tempo_changes_names_markers_and_no_key_signature() -> None:
    song = read_midi(FIXTURES / "type1_tempo_changes.mid")
    assert (song.bars, song.tempo, str(song.meter)) == (4, 120.0, "4/4")
    assert str(song.key) == "D minor"  # estimated from D F A C notes
    melody = song.stems["melody"]  # track 主旋律 (UTF-8 name)
    assert [n.pitch for n in melody.notes[:4]] == [74, 77, 81, 77]
    assert [n.start for n in melody.notes] == list(range(0, 64, 4))  # on the beat despite 60 BPM
    assert {n.duration for n in melody.notes} == {4}
    assert song.stems["bass"].program == 35  # "Fretless": bass by GM family
    assert [n.start for n in song.stems["bass"].notes] == list(range(0, 64, 8))
    assert len(song.stems["chords"].notes) == 16
    drums = song.stems["drums"].notes
    assert [n.pitch for n in drums] == [0, 1] * 8  # hand clap 39 reads as snare
    assert song.chords == (ChordSpan(0, 32, "Dm7"), ChordSpan(32, 32, "G7"))  # "Verse" ignored


def test_running_status_and_velocity_zero_note_offs() -> None:
    song = read_midi(FIXTURES / "running_status.mid")
    assert (song.bars, song.tempo, str(song.meter), str(song.key)) == (1, 120.0, "4/4", "C major")
    notes = [n for s in song.stems.values() for n in s.notes]
    assert sorted(notes) == [Note(0, 60, 2, 80), Note(2, 64, 2, 81), Note(4, 67, 4, 82),
                             Note(4, 72, 4, 83)]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "words"),
    [("truncated.mid", "truncated"), ("not_midi.mid", "not a readable MIDI file"),
     ("missing.mid", "does not exist")],
)  # fmt: skip
def test_bad_files_raise_naming_the_file(name: str, words: str) -> None:
    with pytest.raises(MidiFileError, match=words) as info:
        read_midi(FIXTURES / name)
    assert name in str(info.value)


def _with_time_signature(numerator: int, denominator: int) -> mido.MidiFile:
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator))
    track.append(mido.Message("note_on", note=60, velocity=90))
    track.append(mido.Message("note_off", note=60, time=480 * 6))
    mid.tracks.append(track)
    return mid


def test_unsupported_meter_is_refused_and_aliases_are_mapped() -> None:
    with pytest.raises(MidiFileError, match=r"x\.mid is in 5/4"):
        song_from_midi(_with_time_signature(5, 4), source="x.mid")
    song = song_from_midi(_with_time_signature(12, 8))
    assert (str(song.meter), song.bars) == ("6/8", 2)  # 6 quarters = two 6/8 bars
    assert str(song_from_midi(_with_time_signature(2, 2)).meter) == "4/4"


def test_max_bars_cuts_the_song(tmp_path: Path) -> None:
    write_midi(example_song(), tmp_path / "ex.mid")
    song = read_midi(tmp_path / "ex.mid", max_bars=2)
    assert song.bars == 2
    assert max(n.end for s in song.stems.values() for n in s.notes) == 32
    assert [c.symbol for c in song.chords] == ["Am", "F"]


def test_write_into_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        write_midi(example_song(), tmp_path / "nope" / "song.mid")


def test_estimate_key_from_notes() -> None:
    a_minor = [Note(i * 4, p, 4) for i, p in enumerate([57, 60, 64, 69, 71, 72, 76, 69, 57])]
    assert str(estimate_key(a_minor)) == "A minor"
    g_major = [
        Note(i * 2, p, 8 if p == 67 else 2) for i, p in enumerate([67, 69, 71, 72, 74, 76, 78, 67])
    ]
    assert str(estimate_key(g_major)) == "G major"
    assert str(estimate_key([])) == "C major"


def _part(track: int, channel: int, name: str, program: int, notes: list[Note]) -> Part:
    return Part(track, channel, name, program, tuple(notes))


def test_split_stems_by_shape_makes_melody_and_bass_monophonic() -> None:
    high = [Note(i * 2, 72 + i % 5, 2) for i in range(16)] + [Note(0, 65, 2)]  # one double stop
    low = [Note(i * 4, 36 + i % 3, 5) for i in range(8)]  # legato: overlaps by one step
    pad = [Note(0, p, 16) for p in (60, 64, 67)]
    stems = split_stems(
        [_part(1, 0, "", 81, high), _part(2, 1, "", 0, low), _part(3, 2, "", 89, pad)]
    )
    assert stems["melody"].program == 81
    assert [n.pitch for n in stems["melody"].notes][:2] == [72, 73]  # top of the double stop
    assert stems["bass"].program == 0
    assert all(a.end <= b.start for a, b in itertools.pairwise(stems["bass"].notes))
    assert Note(0, 65, 2) in stems["chords"].notes  # the left-out note is still heard
    assert stems["chords"].program == 89


def test_one_hanging_note_does_not_make_a_melody_chords() -> None:
    # a flute line with one note-on never released (or held for ten bars) read as chords:
    # every note under it counted as an overlap, the melody came out empty and the piano
    # chords played on the flute's program
    line = [Note(i * 4, 72 + i % 5, 4) for i in range(32)]
    for held in (Note(0, 79, 32 * 4), Note(40, 79, 10 * 16)):
        flute = _part(1, 0, "", 73, [*line, held])
        piano = _part(2, 1, "", 0, [Note(b * 16, p, 16) for b in range(8) for p in (60, 64, 67)])
        assert flute.polyphony <= 0.2
        stems = split_stems([flute, piano])
        assert stems["melody"].program == 73 and len(stems["melody"].notes) >= 30
        assert stems["chords"].program == 0


def test_split_stems_by_name_and_gm_family() -> None:
    stems = split_stems(
        [
            _part(1, 0, "Synth Bass", 38, [Note(0, 60, 4)]),  # high but named bass
            _part(2, 1, "Vocal", 52, [Note(0, 55, 4), Note(0, 59, 4)]),
            _part(3, 2, "Strings", 48, [Note(0, 80, 4)]),
            _part(4, 9, "Perc", 0, [Note(0, 35, 1), Note(1, 81, 1), Note(2, 20, 1)]),
        ]
    )
    assert [n.pitch for n in stems["bass"].notes] == [60]
    assert [n.pitch for n in stems["melody"].notes] == [59]
    assert sorted(n.pitch for n in stems["chords"].notes) == [55, 80]
    assert [n.pitch for n in stems["drums"].notes] == [0, 8]  # note 20 has no drum class


def test_a_lone_piano_part_is_split_by_register() -> None:
    left = [Note(0, 36, 8), Note(8, 43, 8)]  # C2 G2
    inner = [Note(0, 55, 16), Note(0, 64, 16)]  # G3 E4 held
    right = [Note(0, 72, 4), Note(4, 74, 4), Note(8, 76, 8)]  # C5 D5 E5
    stems = split_stems([_part(1, 0, "Piano", 0, left + inner + right)])
    assert [n.pitch for n in stems["melody"].notes] == [72, 74, 76]
    assert [n.pitch for n in stems["bass"].notes] == [36, 43]
    assert sorted(n.pitch for n in stems["chords"].notes) == [55, 64]
    pad = split_stems([_part(1, 0, "", 89, [Note(0, p, 16) for p in (60, 64, 67, 71)])])
    assert not pad["melody"].notes and len(pad["chords"].notes) == 4  # narrow: left whole


def test_sections_are_markers_and_come_back(tmp_path: Path) -> None:
    from dataclasses import replace

    import mido

    from multitrack.example import example_song
    from multitrack.form import parse_form
    from multitrack.midi_io import read_midi, write_midi

    song = replace(example_song(), sections=parse_form("A B", 8))
    write_midi(song, tmp_path / "s.mid")
    texts = [m.text for m in mido.MidiFile(tmp_path / "s.mid").tracks[0] if m.type == "marker"]
    assert texts[0] == "Verse" and "Chorus" in texts
    back = read_midi(tmp_path / "s.mid")
    assert back.sections == song.sections
    assert [c.symbol for c in back.chords] == [c.symbol for c in song.chords]


def test_a_file_that_changes_tempo_is_read_at_one_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`multitrack render` of a 90 -> 140 BPM file played it all at 90 without a word."""
    mid = mido.MidiFile()
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90)))
    track.append(mido.Message("note_on", note=60, velocity=80))
    track.append(mido.Message("note_off", note=60, time=mid.ticks_per_beat * 8))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(140)))
    track.append(mido.Message("note_on", note=64, velocity=80))
    track.append(mido.Message("note_off", note=64, time=mid.ticks_per_beat * 4))
    mid.save(tmp_path / "change.mid")
    with caplog.at_level("WARNING", logger="multitrack.midi_io"):
        song = read_midi(tmp_path / "change.mid")
    assert song.tempo == 90
    assert "changes tempo; read at 90 BPM throughout" in caplog.text
