"""The Ableton Live Remote Script against a recording stub of the Live API, talking to a real
server over UDP: generate from a '!gen' clip, regenerate from an edited chords clip, errors,
malformed packets, and the Live 10 API without audio clips."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import live_stub
import pytest

from bridge.commands.serve import example_runner
from bridge.server import OscServer, ServerConfig
from multitrack.take import read_take

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "ableton" / "Multitrack"
WAIT = 60.0
STEMS = ("melody", "chords", "bass", "drums")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OscServer]:
    srv = OscServer(ServerConfig(out=tmp_path, port=0), example_runner(tmp_path))
    srv.start()
    yield srv
    srv.stop(grace=0)


def start_surface(version: int, server: OscServer) -> tuple[Any, live_stub.CInstance]:
    song = live_stub.install(version)
    module = live_stub.load_script(SCRIPT)
    c_instance = live_stub.CInstance(song)
    surface = module.create_instance(c_instance)
    surface.server = server.address
    return surface, c_instance


def pump_until(c_instance: live_stub.CInstance, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        assert time.monotonic() < deadline, f"timed out; messages: {c_instance.messages[-5:]}"
        c_instance.pump()
        time.sleep(0.01)


def track(song: live_stub.Song, name: str) -> live_stub.Track:
    return next(t for t in song.tracks if t.name == name)


def trigger(song: live_stub.Song, name: str) -> live_stub.Clip:
    """The producer names a clip in the first MIDI track and selects it."""
    slot = song.tracks[0].clip_slots[0]
    if slot.clip is None:
        slot.create_clip(4.0)
    assert slot.clip is not None
    slot.clip.name = name
    song.view.detail_clip = slot.clip
    return slot.clip


@pytest.fixture(autouse=True)
def clean_modules() -> Iterator[None]:
    yield
    live_stub.uninstall()


def test_generate_then_regenerate_in_live_12(server: OscServer, tmp_path: Path) -> None:
    surface, c = start_surface(12, server)
    song = c.song
    gen = trigger(song, "!gen 欢快的流行歌 bars=8 seed=3")
    pump_until(c, lambda: any(m.endswith("is in scene 1") for m in c.messages))
    job = gen.name.split("(done ")[1].rstrip(")")
    take, record = read_take(tmp_path / job)
    assert record["prompt"] == "欢快的流行歌" and record["seed"] == 3
    assert (song.tempo, song.signature_numerator, song.signature_denominator) == (96.0, 4, 4)
    names = [t.name for t in song.tracks]
    assert names[1:] == [f"MT {s}" for s in STEMS] + [f"MT {s} audio" for s in STEMS]
    symbols = " ".join(row["symbol"] for row in record["chords"])
    for stem in STEMS:
        clip = track(song, f"MT {stem}").clip_slots[0].clip
        assert clip is not None and clip.length == 32.0
        assert clip.name == f"{job} {stem}" + (f": {symbols}" if stem == "chords" else "")
        expected = sorted(
            (
                live_stub.DRUM_GM[n.pitch] if stem == "drums" else n.pitch,
                n.start / 4,
                n.duration / 4,
            )
            for n in take.stems[stem].notes
        )
        assert sorted((n.pitch, n.start_time, n.duration) for n in clip.notes) == expected
        audio = track(song, f"MT {stem} audio").clip_slots[0].clip
        assert audio is not None and audio.file_path == str(tmp_path / job / f"{stem}.wav")
    chunks = [args[0] for name, args in live_stub.CALLS if name == "Clip.add_new_notes"]
    assert max(chunks) <= 64 and sum(chunks) == sum(len(take.stems[s].notes) for s in STEMS)

    # The producer rewrites the chords clip (Dm then G) and asks for a regenerate.
    chords = track(song, "MT chords").clip_slots[0].clip
    assert isinstance(chords, live_stub.Clip11)
    chords.notes = []
    chords.add_new_notes(tuple(
        live_stub.MidiNoteSpecification(pitch=p, start_time=s, duration=4.0, velocity=90)
        for p, s in ((50, 0.0), (53, 0.0), (57, 0.0), (55, 4.0), (59, 4.0), (62, 4.0))
    ))  # fmt: skip
    chords.name = f"{job} chords !regen keep=drums seed=5"
    song.view.detail_clip = chords
    pump_until(c, lambda: any(m.endswith("is in scene 2") for m in c.messages))
    new_job = chords.name.split("(done ")[1].rstrip(")")
    assert chords.name.startswith(f"{job} chords (done ")
    _, new_record = read_take(tmp_path / new_job)
    assert new_record["seed"] == 5 and new_record["prompt"] == "欢快的流行歌"
    for stem in STEMS:
        slots = track(song, f"MT {stem}").clip_slots
        assert slots[0].clip is not None and slots[1].clip is not None  # the old take stays
        assert slots[1].clip.name.startswith(f"{new_job} {stem}")
    assert len(song.scenes) == 2
    surface.disconnect()


def test_server_errors_and_garbage_never_reach_live(server: OscServer) -> None:
    surface, c = start_surface(12, server)
    clip = trigger(c.song, "!gen lofi bars=99")
    pump_until(c, lambda: "(error" in clip.name)
    assert "bars must be 1-64, got 99" in clip.name
    assert any("bars must be 1-64" in m for m in c.messages)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as evil:
        port = surface.sock.getsockname()[1]
        for junk in (b"", b"/x\0\0,q\0\0", b"#bundle\0" + b"\xff" * 30, b"\x00" * 7):
            evil.sendto(junk, ("127.0.0.1", port))
        pump_until(c, lambda: surface.malformed == 4)
    empty = trigger(c.song, "!gen")
    for _ in range(5):
        c.pump()
    assert empty.name.startswith("(generate needs a prompt")
    not_ours = trigger(c.song, "my riff !regen")
    not_ours.notes = []
    for _ in range(5):
        c.pump()
    assert not_ours.name == "my riff (regenerate needs a '<job> chords' clip with notes)"
    assert surface.jobs == {} and c.scheduled, "nothing pending; the tick keeps rescheduling"


def test_live_10_gets_midi_clips_without_audio(server: OscServer, tmp_path: Path) -> None:
    _surface, c = start_surface(10, server)
    trigger(c.song, "!gen ballad bars=4")
    pump_until(c, lambda: any(m.endswith("is in scene 1") for m in c.messages))
    names = [t.name for t in c.song.tracks]
    assert names[1:] == [f"MT {s}" for s in STEMS]
    assert any(name == "Clip.set_notes" for name, _ in live_stub.CALLS)
    assert not any(name == "Clip.add_new_notes" for name, _ in live_stub.CALLS)
    assert any("audio clips need Live 12" in line for line in c.log)
