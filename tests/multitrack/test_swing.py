"""Swing in the MIDI ticks (and the audio), the straight grid in the Song and song.json."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

from multitrack.midi_io import read_midi, song_to_midi, write_midi
from multitrack.song import Meter, Note, Song, Stem
from multitrack.styles import style
from multitrack.swing import swing_of, swing_ticks, unswing_ticks
from multitrack.take import read_take, write_take


def _eighths(style_id: str | None, meter: Meter | None = None) -> Song:
    meter = meter or Meter()
    notes = tuple(Note(s, 72, 2, 90) for s in range(0, meter.steps_per_bar, 2))
    hats = tuple(Note(s, 2, 1, 70) for s in range(0, meter.steps_per_bar, 1))
    return Song(
        bars=1,
        meter=meter,
        style=style_id,
        stems={"melody": Stem("melody", notes, 65), "drums": Stem("drums", hats, 0)},
    )


def _onsets(mid: mido.MidiFile, track: int) -> list[int]:
    tick, out = 0, []
    for msg in mid.tracks[track]:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            out.append(tick)
    return out


def test_off_beat_eighths_are_delayed_by_the_ratio() -> None:
    mid = song_to_midi(_eighths("swing"), swing=2 / 3, swing_unit=2)
    assert _onsets(mid, 1) == [0, 320, 480, 800, 960, 1280, 1440, 1760]  # straight: 240 apart
    # 16ths in 8th swing: warped linearly inside the pair, beats stay put
    assert _onsets(mid, 4)[:5] == [0, 160, 320, 400, 480]
    straight = song_to_midi(_eighths(None))
    assert _onsets(straight, 1) == [0, 240, 480, 720, 960, 1200, 1440, 1680]


def test_sixteenth_swing_and_compound_meters() -> None:
    mid = song_to_midi(_eighths("lofi"), swing=0.6, swing_unit=1)
    assert _onsets(mid, 4)[:5] == [0, 144, 240, 384, 480]
    six_eight = song_to_midi(_eighths("jazz", Meter(6, 8)), swing=2 / 3)
    assert _onsets(six_eight, 1) == [0, 240, 480, 720, 960, 1200]  # no swung pairs in 6/8


def test_warp_inverts_and_refuses_bad_ratios() -> None:
    for step in range(33):
        tick = swing_ticks(step, 120, ratio=0.64, unit=2)
        assert unswing_ticks(tick, 120, ratio=0.64, unit=2) == pytest.approx(step * 120, abs=1)
    with pytest.raises(ValueError, match="swing ratio"):
        swing_ticks(2, 120, ratio=0.4, unit=2)


def test_styles_that_swing() -> None:
    swung = {
        s for s in ("jazz", "swing", "bebop", "blues", "lofi", "hiphop") if swing_of(s)[0] > 0.5
    }
    assert swung == {"jazz", "swing", "bebop", "blues", "lofi", "hiphop"}
    assert swing_of("bossa_nova") == (0.5, 2) and swing_of("rock") == (0.5, 2)
    assert style("swing").swing == 0.67 and swing_of(None) == (0.5, 2)


def test_reading_our_swung_file_gives_the_grid_back(tmp_path: Path) -> None:
    song = _eighths("swing")
    write_midi(song, tmp_path / "s.mid", swing=0.67)
    back = read_midi(tmp_path / "s.mid")
    assert back.stems["melody"].notes == song.stems["melody"].notes
    assert back.stems["drums"].notes == song.stems["drums"].notes


def test_a_swing_take_is_swung_in_song_mid_and_straight_in_song_json(tmp_path: Path) -> None:
    song = _eighths("swing")
    take = write_take(song, tmp_path, meta={"prompt": "swing"})
    mid = mido.MidiFile(take.files["midi"])
    ratio = style("swing").swing
    assert _onsets(mid, 1)[:2] == [0, round(ratio * 480)]
    back, record = read_take(take.dir)
    assert back.stems["melody"].notes == song.stems["melody"].notes
    assert json.loads(take.files["json"].read_text())["style"] == "swing"
    assert record["bars"] == 1
