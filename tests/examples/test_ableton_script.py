"""The Ableton Live Remote Script on a stub of Live's real v2 framework and Live API
(live_stub.py), talking to a real server over UDP: generate into the Set's tempo and meter,
regenerate from an edited chords clip, the prompt's tempo asked about first, Live 11 without
audio clips, and bad input (server down, malformed replies, empty chords) leaving the Set as it
was."""

from __future__ import annotations

import ast
import json
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import daw_server
import live_stub
import pytest
from daw_server import Recorded

from models.text.parser import parse_prompt
from multitrack.take import read_take

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "ableton" / "Multitrack"
WAIT = 60.0
STEMS = ("melody", "chords", "bass", "drums")

server = daw_server.server  # the real-server fixture


def start_surface(
    version: int, address: tuple[str, int]
) -> tuple[Any, live_stub.CInstance, live_stub.Song]:
    song = live_stub.install(version)
    module = live_stub.load_script(SCRIPT)
    c_instance = live_stub.CInstance(song)
    surface = module.create_instance(c_instance)
    surface.server = address
    return surface, c_instance, song


def pump_until(c: live_stub.CInstance, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        assert time.monotonic() < deadline, f"timed out; messages: {c.messages[-5:]}"
        c.pump()
        time.sleep(0.01)


def track(song: live_stub.Song, name: str) -> live_stub.Track:
    return next(t for t in song.tracks if t.name == name)


def trigger(song: live_stub.Song, name: str, length: float = 4.0) -> live_stub.Clip:
    """The producer names a clip in the first MIDI track and selects it."""
    slot = song.tracks[0].clip_slots[0]
    if slot.clip is None:
        slot.create_clip(length)
    assert slot.clip is not None
    slot.clip.name = name
    song.view.detail_clip = slot.clip
    return slot.clip


@pytest.fixture(autouse=True)
def clean_modules() -> Iterator[None]:
    yield
    live_stub.uninstall()


def test_generate_fits_the_set_then_regenerate_in_live_12(server: Recorded, tmp_path: Path) -> None:
    surface, c, song = start_surface(12, server.address)
    song.tempo, song.signature_numerator, song.signature_denominator = 100.0, 3, 4
    gen = trigger(song, "!gen 欢快的流行歌 seed=3", length=12.0)  # a 4-bar clip in 3/4
    pump_until(c, lambda: any("is in scene 1" in m for m in c.messages))
    job = gen.name.split("(done ")[1].rstrip(")")
    take, record = read_take(tmp_path / job)
    assert record["prompt"] == "欢快的流行歌" and record["seed"] == 3
    request = server.requests[0]
    assert (request.bpm, str(request.meter), request.bars) == (100.0, "3/4", 4), "the Set's"
    assert record["tempo"] == 100.0  # (the example runner plays its own 8 bars of 4/4)
    assert (song.tempo, song.signature_numerator, song.signature_denominator) == (100.0, 3, 4)
    assert not any(name == "Song.tempo" for name, _ in live_stub.CALLS[2:]), "the Set's tempo stays"
    names = [t.name for t in song.tracks]
    assert names[1:] == [f"MT {s}" for s in STEMS] + [f"MT {s} audio" for s in STEMS]
    symbols = " ".join(row["symbol"] for row in record["chords"])
    for stem in STEMS:
        clip = track(song, f"MT {stem}").clip_slots[0].clip
        assert clip is not None and clip.length == record["bars"] * 4.0
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
    # the whole take is one undo step, over the ticks it took to go in
    pump_until(c, lambda: not surface.work)
    calls = [name for name, _ in live_stub.CALLS]
    assert calls.count("Song.begin_undo_step") == calls.count("Song.end_undo_step") == 1
    begin, end = calls.index("Song.begin_undo_step"), calls.index("Song.end_undo_step")
    assert begin < calls.index("Song.create_midi_track") and not song.undo_open
    assert end > max(i for i, name in enumerate(calls) if name == "Clip.add_new_notes")

    # The producer rewrites the chords clip (Dm then G) and asks for a regenerate.
    chords = track(song, "MT chords").clip_slots[0].clip
    assert chords is not None
    chords.notes = []
    chords.add_new_notes(tuple(
        live_stub.MidiNoteSpecification(pitch=p, start_time=s, duration=4.0, velocity=90)
        for p, s in ((50, 0.0), (53, 0.0), (57, 0.0), (55, 4.0), (59, 4.0), (62, 4.0))
    ))  # fmt: skip
    chords.name = f"{job} chords !regen keep=drums seed=5"
    song.view.detail_clip = chords
    pump_until(c, lambda: any("is in scene 2" in m for m in c.messages))
    new_job = chords.name.split("(done ")[1].rstrip(")")
    assert chords.name.startswith(f"{job} chords (done ")
    _, new_record = read_take(tmp_path / new_job)
    assert new_record["seed"] == 5 and new_record["prompt"] == "欢快的流行歌"
    for stem in STEMS:
        slots = track(song, f"MT {stem}").clip_slots
        assert slots[0].clip is not None and slots[1].clip is not None  # the old take stays
        assert slots[1].clip.name.startswith(f"{new_job} {stem}")
    assert len(song.scenes) == 2
    pump_until(c, lambda: not surface.work)
    calls = [name for name, _ in live_stub.CALLS]
    assert calls.count("Song.begin_undo_step") == calls.count("Song.end_undo_step") == 2
    surface.disconnect()
    assert ("ControlSurface.disconnect", ()) in live_stub.CALLS


def test_ambience_track_and_section_cue_points_in_live_12(server: Recorded, tmp_path: Path) -> None:
    """ambience.wav on its own audio track in the take's scene; the sections as cue points
    from the bar the song time is in, made only while the Set is stopped; a producer's cue
    point is never moved, renamed or deleted, even at a section's start."""
    surface, c, song = start_surface(12, server.address)
    song.current_song_time = 17.0  # inside bar 5 of 4/4: the take starts at beat 16
    song.settle()
    mark = len(live_stub.CALLS)
    drop = song.add_cue(32.0, "Drop")  # the producer's, where the take's Chorus 1 starts
    song.is_playing = True
    gen = trigger(song, "!gen 欢快的流行歌 AABB 雨声 seed=3")
    pump_until(c, lambda: any("is in scene 1" in m for m in c.messages))
    job = gen.name.split("(done ")[1].rstrip(")")
    _, record = read_take(tmp_path / job)
    labels = [x["label"] for x in record["sections"]]
    assert labels == ["Verse 1", "Verse 2", "Chorus 1", "Chorus 2"]
    ambience = track(song, "MT ambience audio").clip_slots[0].clip
    assert ambience is not None and ambience.file_path == str(tmp_path / job / "ambience.wav")
    assert ambience.name == f"{job} ambience"
    for _ in range(5):
        c.pump()
    assert song.cue_points == (drop,) and song.current_song_time == 17.0, "nothing while playing"
    assert not song.undo_open, "the take's undo step closed: the cue points wait outside it"
    assert not any(name == "Song.current_song_time" for name, _ in live_stub.CALLS[mark:])

    song.is_playing = False
    settled = lambda: not surface.work and song.current_song_time == 17.0  # noqa: E731
    pump_until(c, lambda: settled() and len(song.cue_points) == 4)
    assert [(q.time, q.name) for q in song.cue_points] == [
        (16.0, "Verse 1"), (24.0, "Verse 2"), (32.0, "Drop"), (40.0, "Chorus 2"),
    ]  # fmt: skip
    assert drop in song.cue_points and drop.name == "Drop"
    assert not any(n == "Song.set_or_delete_cue" and a == (32.0,) for n, a in live_stub.CALLS)

    # The producer renames our "Verse 2"; a second take (verse-chorus) at the same bar renames
    # our Verse 1, deletes our Chorus 2 (no section there now), keeps "Hook" and "Drop".
    song.cue_points[1].name = "Hook"
    gen = trigger(song, "!gen 欢快的流行歌 主歌-副歌 雨声 seed=4")
    pump_until(c, lambda: any("is in scene 2" in m for m in c.messages))
    pump_until(c, settled)
    assert [(q.time, q.name) for q in song.cue_points] == [
        (16.0, "Verse"), (24.0, "Hook"), (32.0, "Drop"),
    ]  # fmt: skip
    assert drop in song.cue_points and drop.name == "Drop"
    assert [t.name for t in song.tracks].count("MT ambience audio") == 1
    job2 = gen.name.split("(done ")[1].rstrip(")")
    second = track(song, "MT ambience audio").clip_slots[1].clip
    assert second is not None and second.file_path == str(tmp_path / job2 / "ambience.wav")


def test_a_tempo_the_prompt_names_is_asked_about_first(server: Recorded, tmp_path: Path) -> None:
    _surface, c, song = start_surface(12, server.address)
    song.loop, song.loop_length = True, 8.0  # the arrangement loop: 2 bars of 4/4
    clip = trigger(song, "!gen lo-fi 85 bpm seed=1")
    for _ in range(3):
        c.pump()
    assert clip.name == "!gen lo-fi 85 bpm seed=1 tempo=?"
    assert any("asks for 85 BPM, the Set is at 120 BPM" in m for m in c.messages)
    assert not any(p.is_dir() for p in tmp_path.iterdir()), "nothing sent before the answer"
    clip.name = "!gen lo-fi 85 bpm seed=1 tempo=no"
    pump_until(c, lambda: any("is in scene 1" in m for m in c.messages))
    job = clip.name.split("(done ")[1].rstrip(")")
    _, record = read_take(tmp_path / job)
    assert (server.requests[0].bpm, server.requests[0].bars) == (120.0, 2)
    assert (record["tempo"], song.tempo) == (120.0, 120.0)
    clip2 = song.tracks[0].clip_slots[0].clip
    assert clip2 is not None
    clip2.name = "!gen lo-fi 85 bpm seed=1 tempo=yes"
    pump_until(c, lambda: any("is in scene 2" in m for m in c.messages))
    job = clip2.name.split("(done ")[1].rstrip(")")
    _, record = read_take(tmp_path / job)
    assert (record["tempo"], song.tempo) == (85.0, 85.0)


def test_live_11_gets_midi_clips_without_audio(
    server: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    surface, c, song = start_surface(11, server.address)

    def refuse(cue: live_stub.CuePoint, value: str) -> None:
        raise RuntimeError("read-only")  # should a Live version refuse to name a cue point

    monkeypatch.setattr(live_stub.CuePoint, "name", property(lambda cue: cue._name, refuse))
    trigger(song, "!gen ballad 主歌-副歌 雨声 bars=4")  # ambience.wav: no audio clips before 12.0.5
    pump_until(c, lambda: any("is in scene 1" in m for m in c.messages))
    assert [t.name for t in song.tracks][1:] == [f"MT {s}" for s in STEMS]
    assert not any(name == "ClipSlot.create_audio_clip" for name, _ in live_stub.CALLS)
    assert any("audio clips need Live 12.0.5+" in m for m in c.messages)
    pump_until(c, lambda: not surface.work)
    assert [(q.time, q.name) for q in song.cue_points] == [(0.0, "1"), (16.0, "2")], "Live's names"
    assert not any("internal error" in m for m in c.messages)


def test_server_errors_and_garbage_never_reach_live(server: Recorded) -> None:
    surface, c, song = start_surface(12, server.address)
    clip = trigger(song, "!gen lofi bars=99")
    before = song.state()
    pump_until(c, lambda: "(error" in clip.name)
    assert "bars must be 1-64, got 99" in clip.name
    assert any("bars must be 1-64" in m for m in c.messages)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as evil:
        port = surface.sock.getsockname()[1]
        for junk in (b"", b"/x\0\0,q\0\0", b"#bundle\0" + b"\xff" * 30, b"\x00" * 7):
            evil.sendto(junk, ("127.0.0.1", port))
        pump_until(c, lambda: surface.malformed == 4)
    # a bad option: the clip says why and is not sent (its "!gen" name was, as the prompt)
    sent = len(server.requests)
    bad = trigger(song, "!gen lofi beat bpm=fast")
    for _ in range(5):
        c.pump()
    assert bad.name == "lofi beat bpm=fast (bpm must be a number; fix it, then put !gen in front)"
    assert len(server.requests) == sent and surface.jobs == {}
    empty = trigger(song, "!gen")
    for _ in range(5):
        c.pump()
    assert empty.name.startswith("(generate needs a prompt")
    not_ours = trigger(song, "my riff !regen")
    not_ours.notes = []
    for _ in range(5):
        c.pump()
    assert not_ours.name == "my riff (regenerate reads a take's chords clip, '<job> chords: …')"
    # a take's melody clip is not its chords: its notes would be read as the new progression
    melody = trigger(song, "live-20261204-000000-abcdef melody !regen seed=5")
    for _ in range(5):
        c.pump()
    assert melody.name.endswith("(regenerate reads a take's chords clip, '<job> chords: …')")
    assert "!regen" not in melody.name and len(server.requests) == sent
    empty_chords = trigger(song, "live-20261204-000000-abcdef chords: Am !regen")
    empty_chords.notes = []
    for _ in range(5):
        c.pump()
    assert empty_chords.name.endswith("(regenerate needs a '<job> chords' clip with notes)")
    assert any("chords clip is empty" in m for m in c.messages)
    assert surface.jobs == {} and surface.scheduled == 1, "nothing pending; the tick goes on"
    assert song.state()[3:] == before[3:], "no track, scene or clip was added"


def test_server_down_and_malformed_replies_end_the_job_cleanly(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake:  # a "server" that is silent
        fake.bind(("127.0.0.1", 0))
        surface, c, song = start_surface(12, fake.getsockname())
        surface.accept_timeout = 0.2
        clip = trigger(song, "!gen lofi")
        before = song.state()
        pump_until(c, lambda: "no answer from" in clip.name)
        assert any("is `multitrack serve` running?" in m for m in c.messages)
        module = __import__("Multitrack.osc", fromlist=["encode"])
        for reply in (
            ["/multitrack/done", "{job}", str(tmp_path), str(tmp_path / "missing.json")],
            ["/multitrack/notes", "{job}", "melody", 0, 1, 60, 0.0],
            ["/multitrack/progress", "{job}", "half"],
        ):
            clip = trigger(song, "!gen lofi")
            c.pump()
            (job,) = surface.jobs
            _, reply_to = fake.recvfrom(65536)
            args = [a.format(job=job) if isinstance(a, str) else a for a in reply[1:]]
            fake.sendto(module.encode(reply[0], args), reply_to)
            pump_until(c, lambda clip=clip: "malformed reply" in clip.name)
            assert surface.jobs == {}
        assert song.state()[3:] == before[3:], "the Set is as it was"
        assert surface.malformed == 3
        # a whole done reply from a server elsewhere, whose take is not on this disk
        clip = trigger(song, "!gen lofi")
        c.pump()
        (job,) = surface.jobs
        _, reply_to = fake.recvfrom(65536)
        far = "/srv/elsewhere/" + job
        paths = [far + "/" + n for n in ("song.json", "song.mid", "melody.wav", "chords.wav",
                                         "bass.wav", "drums.wav")]  # fmt: skip
        fake.sendto(module.encode("/multitrack/done", [job, far, *paths]), reply_to)
        pump_until(c, lambda: "is not on this machine" in clip.name)
        assert "--out folder shared here" in clip.name and surface.jobs == {}
        assert song.state()[3:] == before[3:]


def test_the_prompt_tempo_is_the_parsers() -> None:
    live_stub.install(12)
    module = live_stub.load_script(SCRIPT)
    prompts = {
        "lo-fi 85 bpm": 85.0, "每分钟90拍的民谣": 90.0, "速度 100 的摇滚": 100.0,
        "tempo of 72, sad piano": 72.0, "♩=60 慢板": 60.0, "120拍每分钟": 120.0,
        "欢快的流行歌": None, "慢一点的古筝": None, "8 bars of rock": None, "3/4 waltz": None,
    }  # fmt: skip
    for prompt, bpm in prompts.items():
        assert module.surface.prompt_tempo(prompt) == bpm, prompt
        said = [
            u
            for u in parse_prompt(prompt, use_embedding=False).understood
            if u.startswith("tempo:")
        ]
        named = [u for u in said if "bpm (" in u and "->" not in u]
        assert bool(named) == (bpm is not None), (prompt, said)


def test_the_script_is_python_3_7_and_uses_no_log_message() -> None:
    for path in SCRIPT.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        ast.parse(source, feature_version=(3, 7))  # Live 11 runs Python 3.7
        assert "log_message" not in source, path
        assert "self.song()" not in source, path


def test_mypy_checks_the_live_api_use(tmp_path: Path) -> None:
    """`make typecheck` runs mypy on the script against ableton-live-stubs: a wrong call fails."""
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    bad = tmp_path / "Multitrack"
    shutil.copytree(SCRIPT, bad, ignore=shutil.ignore_patterns("__pycache__"))
    builder = bad / "builder.py"
    text = builder.read_text(encoding="utf-8")
    builder.write_text(text.replace("slot.create_clip(length)", "slot.create_clip(str(length))"))
    mypy = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(root / "tests/examples/mypy_live.ini"),
    ]
    good = subprocess.run(mypy, cwd=root, capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stdout
    wrong = subprocess.run([*mypy, str(bad)], cwd=root, capture_output=True, text=True, timeout=300)
    assert wrong.returncode == 1 and '"create_clip" of "ClipSlot"' in wrong.stdout, wrong.stdout


def test_a_one_bar_clip_leaves_the_length_to_the_prompt(server: Recorded) -> None:
    # Live makes a one-bar clip on a double-click: that is no choice of length, and "16 bars"
    # or a song form in the prompt came back as a one-bar take (or an error)
    _surface, c, song = start_surface(12, server.address)
    clip = trigger(song, "!gen lofi hip hop, 16 bars", length=4.0)
    pump_until(c, lambda: "(done" in clip.name or "(error" in clip.name)
    assert server.requests[-1].bars is None  # the server reads "16 bars" from the prompt
    song.tracks[0].clip_slots[0].delete_clip()
    longer = trigger(song, "!gen lofi hip hop, 2 bars", length=16.0)  # 4 bars, the prompt says 2
    pump_until(c, lambda: "(done" in longer.name or "(error" in longer.name)
    assert server.requests[-1].bars is None
    song.tracks[0].clip_slots[0].delete_clip()
    chosen = trigger(song, "!gen lofi hip hop", length=16.0)  # a 4-bar clip: its length
    pump_until(c, lambda: "(done" in chosen.name or "(error" in chosen.name)
    assert server.requests[-1].bars == 4
    # no seed= in the name: a fresh one each time, so the same prompt again is a new take
    assert len({r.seed for r in server.requests[-3:]}) == 3
    # a song form in the prompt: the server gives it its length (a 4-bar clip refused it)
    song.tracks[0].clip_slots[0].delete_clip()
    form = trigger(song, "!gen 流行歌,主歌副歌主歌副歌", length=16.0)
    pump_until(c, lambda: "(done" in form.name or "(error" in form.name)
    assert server.requests[-1].bars is None and "(done" in form.name, form.name


def test_a_request_too_big_to_send_says_so_once(server: Recorded) -> None:
    # a datagram past the system's limit (macOS: 9,216 bytes; Linux: 65,507) raised inside the
    # tick, and the clip kept its "!regen", so it was sent again on every tick
    surface, c, song = start_surface(12, server.address)
    clip = trigger(song, "live-20261204-000000-abcdef chords: Am !regen", length=2048.0)
    clip.notes = [live_stub.MidiNote(36 + i % 60, i * 0.25, 0.125, 100, False) for i in range(8000)]
    for _ in range(5):
        c.pump()
    assert "!regen" not in clip.name and "could not send the request" in clip.name
    assert sum("could not send" in m for m in c.messages) == 1
    assert surface.jobs == {} and not server.requests


def test_a_step_that_fails_drops_only_its_own_take(server: Recorded) -> None:
    surface, c, _song = start_surface(12, server.address)
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("the track 'MT bass' was deleted while the take was going in")

    surface.work = [
        ("a", broken),
        ("a", lambda: done.append("a2")),
        ("b", lambda: done.append("b1")),
    ]
    surface.place()
    assert done == ["b1"] and surface.work == []
    assert any("Multitrack a: the take could not go in" in m for m in c.messages)


def test_a_take_that_fails_halfway_still_closes_its_undo_step(server: Recorded) -> None:
    """What went in before the failure stays one undo step; a take going in beside it shares
    the step, which closes with the last of them; disconnecting closes a step left open."""
    surface, _c, song = start_surface(12, server.address)

    def broken() -> None:
        raise RuntimeError("the track 'MT bass' was deleted while the take was going in")

    surface.work = [("a", surface.undo_begin), ("b", surface.undo_begin), ("a", broken),
                    ("a", surface.undo_end), ("b", surface.undo_end)]  # fmt: skip
    surface.place()
    calls = [name for name, _ in live_stub.CALLS]
    assert calls.count("Song.begin_undo_step") == calls.count("Song.end_undo_step") == 1
    assert not song.undo_open and surface.undo_depth == 0
    surface.work = [("c", surface.undo_begin), ("c", lambda: None)]
    surface.place()
    assert song.undo_open
    surface.disconnect()
    assert not song.undo_open

    def refused() -> None:
        raise RuntimeError("no undo step now")

    song.begin_undo_step = refused  # type: ignore[method-assign]  # a Live that opens none
    done: list[str] = []
    surface.work = [("d", surface.undo_begin), ("d", lambda: done.append("d")),
                    ("d", surface.undo_end)]  # fmt: skip
    surface.place()
    assert done == ["d"] and surface.undo_depth == 0, "the take still goes in"


def test_a_take_whose_notes_lost_a_datagram_is_not_placed(server: Recorded, tmp_path: Path) -> None:
    surface, _c, song = start_surface(12, server.address)
    clip = trigger(song, "lofi (queued live-x)")
    module = sys.modules[type(surface).__module__]
    job = module.Job("live-x", "generate", clip, "lofi", False)
    surface.jobs["live-x"] = job
    record = tmp_path / "song.json"
    record.write_text(json.dumps({"bars": 1, "tempo": 120.0}), encoding="utf-8")
    surface.on_reply("/multitrack/notes", ["live-x", "melody", 0, 2, 60, 0.0, 1.0, 90])
    for stem in ("chords", "bass", "drums"):  # chunk 1 of the melody never came
        surface.on_reply("/multitrack/notes", ["live-x", stem, 0, 1])
    wavs = [str(tmp_path / f"{s}.wav") for s in STEMS]
    surface.on_reply("/multitrack/done", ["live-x", str(tmp_path), str(record), "", *wavs])
    assert "some notes of melody did not arrive" in clip.name
    assert surface.work == [] and surface.jobs == {}
