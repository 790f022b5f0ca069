"""The stems table: one row per stem, and the files and containers read it."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from multitrack.errors import MusicError
from multitrack.example import example_song
from multitrack.midi_io import write_midi
from multitrack.song import DEFAULT_PROGRAMS, STEMS, Song
from multitrack.stems import (
    CHANNELS,
    DRUM_CHANNEL,
    NULL_STEMS,
    PITCHED_STEMS,
    PROGRAM_STEMS,
    STEM_SPECS,
    stem_spec,
)


def test_the_table_is_the_four_stems_in_order() -> None:
    assert STEMS == ("melody", "chords", "bass", "drums")
    assert PITCHED_STEMS == ("melody", "chords", "bass")
    assert PROGRAM_STEMS == ("melody", "chords", "bass")
    assert CHANNELS == {"melody": 0, "chords": 1, "bass": 2, "drums": DRUM_CHANNEL}
    assert DEFAULT_PROGRAMS == {"melody": 0, "chords": 4, "bass": 33, "drums": 0}
    assert NULL_STEMS == 16


def test_rows_are_consistent() -> None:
    assert len({s.channel for s in STEM_SPECS}) == len(STEM_SPECS)
    slots = sorted(s.program_slot for s in STEM_SPECS if s.program_slot is not None)
    assert slots == list(range(len(slots)))
    for spec in STEM_SPECS:
        low, rows = spec.window
        assert 0 <= low and low + rows <= 128 and rows > 0
        assert spec.wav_name == f"{spec.name}.wav"
    assert [s.name for s in STEM_SPECS if not s.pitched] == ["drums"]


def test_unknown_stem_is_a_music_error() -> None:
    with pytest.raises(MusicError, match="unknown stem 'vocals'; stems are melody, chords"):
        stem_spec("vocals")
    with pytest.raises(MusicError, match="unknown stem 'vocals'"):
        Song(bars=1).stem("vocals")


def test_song_mid_puts_each_stem_on_its_tables_channel(tmp_path: Path) -> None:
    path = tmp_path / "song.mid"
    write_midi(example_song(), path)
    seen: dict[str, set[int]] = {}
    for track in mido.MidiFile(path).tracks:
        name = next((m.name for m in track if m.type == "track_name"), "")
        seen[name] = {m.channel for m in track if m.type in ("note_on", "program_change")}
    for spec in STEM_SPECS:
        assert seen[spec.name] == {spec.channel}
