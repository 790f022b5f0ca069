"""Tempo, meter, programs and length read back from MIDI files with mido."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mido
import pytest

from multitrack.errors import MidiFileError
from multitrack.example import example_song
from multitrack.midi_io import write_midi
from multitrack.readback import midi_agreement, read_midi_facts
from multitrack.song import Meter


def test_our_file_reads_back_exactly(tmp_path: Path) -> None:
    song = example_song()
    path = tmp_path / "song.mid"
    write_midi(song, path)
    facts = read_midi_facts(path)
    assert (facts.midi_type, facts.ticks_per_beat) == (1, 480)
    assert (facts.tempo, facts.tempo_changes, facts.meter, facts.bars) == (96.0, 0, "4/4", 8)
    assert facts.key_signature == "Am"
    assert facts.programs == {"melody": 80, "chords": 0, "bass": 33, "drums": 0}
    assert facts.drums_on_channel_10 is True
    assert facts.markers == ("Am", "F", "C", "G") * 2
    checks = midi_agreement(
        facts, tempo=song.tempo, meter=str(song.meter), bars=song.bars, programs=song.programs
    )
    assert checks == dict.fromkeys(
        ("midi_tempo_ok", "midi_meter_ok", "midi_bars_ok", "midi_programs_ok"), True
    )
    assert midi_agreement(facts, tempo=97.0, bars=9, programs={"melody": 0}) == {
        "midi_tempo_ok": False,
        "midi_bars_ok": False,
        "midi_programs_ok": False,
    }


def test_a_silent_last_bar_and_an_odd_tempo_still_count(tmp_path: Path) -> None:
    song = replace(example_song(), bars=10, tempo=97.3, meter=Meter(4, 4))
    path = tmp_path / "long.mid"
    write_midi(song, path)
    facts = read_midi_facts(path)
    assert facts.bars == 10
    assert midi_agreement(facts, tempo=97.3)["midi_tempo_ok"]


def test_a_foreign_type0_file(tmp_path: Path) -> None:
    mid = mido.MidiFile(type=0, ticks_per_beat=96)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("time_signature", numerator=3, denominator=4))
    track.append(mido.Message("note_on", note=60, velocity=90, time=0))
    track.append(mido.Message("note_off", note=60, velocity=0, time=96 * 4))
    track.append(mido.MetaMessage("set_tempo", tempo=400000, time=0))
    mid.tracks.append(track)
    path = tmp_path / "foreign.mid"
    mid.save(path)
    facts = read_midi_facts(path)
    assert (facts.midi_type, facts.tempo, facts.meter, facts.bars) == (0, 150.0, "3/4", 2)
    assert facts.programs == {} and facts.drums_on_channel_10 is None


def test_missing_and_corrupt_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(MidiFileError, match=r"nothing\.mid: no such MIDI file"):
        read_midi_facts(tmp_path / "nothing.mid")
    good = tmp_path / "good.mid"
    write_midi(example_song(), good)
    cut = tmp_path / "cut.mid"
    cut.write_bytes(good.read_bytes()[:100])
    with pytest.raises(MidiFileError, match=r"cut\.mid: not a readable MIDI file"):
        read_midi_facts(cut)
    text = tmp_path / "notes.mid"
    text.write_text("not midi at all")
    with pytest.raises(MidiFileError, match=r"notes\.mid"):
        read_midi_facts(text)
