"""The server over real UDP and TCP sockets on 127.0.0.1, writing real example takes."""

from __future__ import annotations

import json
import socket
import struct
import threading
from pathlib import Path
from typing import Any

import pytest
from osc_testing import WAIT, gated, preview_appears, running_server, take_complete

from bridge import protocol, wire
from bridge.client import OscClient, Reply
from bridge.commands.serve import example_runner
from bridge.outdir import LOCK_NAME, clean_stale_takes
from bridge.protocol import JobSpec
from bridge.resolution import job_request
from bridge.server import ServerConfig, ServerError
from bridge.verbs import parse_request
from multitrack.example import example_song
from multitrack.take import read_take, write_take
from multitrack.theory import Key

ATTRIBUTE_KEYS = {
    "key", "bpm", "meter", "bars", "style", "programs", "stems", "mood", "energy", "dynamics",
    "understood", "ignored", "conflicts", "nearest",
}  # fmt: skip


def test_ping_over_udp_and_reply_port(tmp_path: Path) -> None:
    with running_server(tmp_path) as server, OscClient(*server.address, timeout=WAIT) as client:
        pong = client.ping()
        assert pong is not None and pong.address == "/multitrack/pong"
        assert pong.args[0].startswith("multitrack ") and pong.args[0].endswith(" osc/1")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.settimeout(WAIT)
            client.send(protocol.PING, [listener.getsockname()[1]])
            data = listener.recv(65536)
            assert wire.decode_packet(data)[0][0] == "/multitrack/pong"
            client.send(protocol.STATUS, ["reply_port", listener.getsockname()[1]])
            address, args = wire.decode_packet(listener.recv(65536))[0]
            assert address == "/multitrack/state" and args[0] == ""
            assert json.loads(args[1])["capacity"] == 8


def test_generate_end_to_end_with_notes(tmp_path: Path) -> None:
    with running_server(tmp_path) as server, OscClient(*server.address, timeout=WAIT) as client:
        result = client.run_job(
            protocol.GENERATE, ["t1", "欢快的流行歌, 8 bars", "bars", 8, "bpm", 100, "notes", 1]
        )
        assert result.ok, result.to_json()
        assert result.attributes is not None and ATTRIBUTE_KEYS <= set(result.attributes)
        assert result.attributes["bars"] == 8 and result.attributes["bpm"] == 100
        assert result.progress and result.progress[-1][0] == 1.0
        record = result.to_json()
        assert record["take_dir"] == str(tmp_path / "t1")
        assert take_complete(tmp_path / "t1")
        assert preview_appears(tmp_path / "t1")
        assert record["song"]["tempo"] == 100.0
        song, _ = read_take(tmp_path / "t1")
        assert sorted(record["notes"]) == ["bass", "chords", "drums", "melody"]
        for stem in ("melody", "chords", "bass"):
            expected = [
                [n.pitch, n.start / 4, n.duration / 4, n.velocity] for n in song.stems[stem].notes
            ]
            assert record["notes"][stem] == expected
        assert len(record["notes"]["drums"]) == len(song.stems["drums"].notes)
        assert {row[0] for row in record["notes"]["drums"]} <= {36, 38, 42, 46, 45, 47, 50, 49, 51}
        status = client.status("t1")
        assert status is not None and json.loads(status.args[1])["state"] == "done"


def test_invalid_requests_get_error_replies(tmp_path: Path) -> None:
    with running_server(tmp_path) as server, OscClient(*server.address, timeout=WAIT) as client:
        write_take(example_song(), tmp_path, name="exists", meta={"prompt": "x"})
        write_take(example_song(), tmp_path, name="exist-3", meta={"prompt": "x"})
        cases: list[tuple[str, list[object], str, str]] = [
            ("/multitrack/explode", [], "", "unknown_address"),
            (protocol.GENERATE, ["../up", "p"], "../up", "bad_job"),
            (protocol.GENERATE, ["exists", "p"], "exists", "duplicate_job"),
            # a variation's name taken: refused at once, not after the work
            (protocol.GENERATE, ["exist", "p", "variations", 3], "exist", "duplicate_job"),
            (protocol.GENERATE, ["g", "p", "bars", 999], "g", "bad_value"),
            (protocol.REGENERATE, ["r", "nothing-here"], "r", "unknown_take"),
            (protocol.REGENERATE, ["r", "../exists"], "r", "bad_job"),
            (protocol.CANCEL, ["nobody"], "nobody", "unknown_job"),
            (protocol.STATUS, ["nobody"], "nobody", "unknown_job"),
        ]
        for address, args, job, code in cases:
            reply = client.request(address, args, until=lambda r: True, timeout=WAIT)
            assert reply is not None
            assert (reply.address, reply.args[:2]) == ("/multitrack/error", (job, code)), address
        # Replies sent to the server are ignored, so two peers cannot loop: the next answer
        # the client sees is the pong.
        client.send(protocol.DONE, ["x", "y"])
        client.send(protocol.ERROR, ["x", "y", "z"])
        pong = client.ping()
        assert pong is not None and pong.address == "/multitrack/pong"


def test_ping_and_status_answer_while_a_job_runs(tmp_path: Path) -> None:
    gate, started = threading.Event(), threading.Event()
    runner = gated(example_runner(tmp_path), gate, started)
    with (
        running_server(tmp_path, runner) as server,
        OscClient(*server.address, timeout=WAIT) as client,
    ):
        client.send(protocol.GENERATE, ["held", "p"])
        assert started.wait(WAIT)
        assert client.ping() is not None
        state = client.status()
        assert state is not None and json.loads(state.args[1])["running"] == "held"
        cancel = client.cancel("held")
        assert cancel is not None and json.loads(cancel.args[1])["stage"] == "cancelling"
        gate.set()
        result = client.run_job(protocol.GENERATE, ["after", "p"])
        assert result.ok
    assert not (tmp_path / "held").exists()


def test_token_is_required_when_set(tmp_path: Path) -> None:
    with running_server(tmp_path, token="s3cret") as server:
        with OscClient(*server.address, timeout=WAIT) as anonymous:
            reply = anonymous.ping()
            assert reply is not None and reply.args[1] == "unauthorized"
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as elsewhere:
                elsewhere.bind(("127.0.0.1", 0))
                port = elsewhere.getsockname()[1]
                # An unauthorised request is answered to its sender, never redirected.
                reply = anonymous.request(
                    protocol.GENERATE,
                    ["j", "p", "reply_port", port, "token", "wrong"],
                    until=lambda r: True,
                    timeout=WAIT,
                )
                assert reply is not None and reply.args[:2] == ("j", "unauthorized")
        with OscClient(*server.address, token="s3cret", timeout=WAIT) as member:
            reply = member.ping()
            assert reply is not None and reply.address == "/multitrack/pong"


def test_non_loopback_bind_needs_a_token(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match="--token"):
        ServerConfig(out=tmp_path, host="0.0.0.0")
    assert ServerConfig(out=tmp_path, host="0.0.0.0", token="t").token == "t"
    assert ServerConfig(out=tmp_path, host="localhost").token is None
    with pytest.raises(ServerError):
        ServerConfig(out=tmp_path, host="::", token="")


def test_generate_over_tcp_slip_and_size_prefixed(tmp_path: Path) -> None:
    with running_server(tmp_path, tcp=True) as server:
        with OscClient(*server.address, tcp=True, timeout=WAIT) as client:
            result = client.run_job(protocol.GENERATE, ["tcp1", "lofi", "notes", 1])
            assert result.ok and sorted(result.notes) == ["bass", "chords", "drums", "melody"]
        with socket.create_connection(server.address, timeout=WAIT) as raw:
            raw.sendall(wire.frame(wire.encode_message(protocol.PING, []), wire.SIZED))
            (size,) = struct.unpack(">I", raw.recv(4))
            body = b""
            while len(body) < size:
                body += raw.recv(size - len(body))
            assert wire.decode_packet(body)[0][0] == "/multitrack/pong"
        with socket.socket() as listener, OscClient(*server.address, tcp=True) as client:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            listener.settimeout(WAIT)
            client.send(protocol.PING, ["reply_port", listener.getsockname()[1]])
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(WAIT)
                reader = wire.FrameReader()
                packets: list[bytes] = []
                while not packets:
                    packets = reader.feed(conn.recv(65536))
                assert wire.decode_packet(packets[0])[0][0] == "/multitrack/pong"


def test_regenerate_from_edited_chord_notes(tmp_path: Path) -> None:
    with running_server(tmp_path) as server, OscClient(*server.address, timeout=WAIT) as client:
        assert client.run_job(protocol.GENERATE, ["src", "pop"]).ok
        # The DAW's edited chords clip: Dm for a bar, G for a bar (quarter-note beats).
        edited = "50 0 4 53 0 4 57 0 4 55 4 4 59 4 4 62 4 4"
        result = client.run_job(
            protocol.REGENERATE, ["edit", "src", "chord_notes", edited, "keep", "drums"]
        )
        assert result.ok, result.to_json()
        assert result.attributes == {
            "from_job": "src", "keep": ["drums"], "chords": None, "chord_notes": 6,
            "repaint": None, "seed": None,
        }  # fmt: skip
        assert take_complete(tmp_path / "edit") and take_complete(tmp_path / "src")
    _, spec = parse_request(protocol.REGENERATE, ["e2", "src", "chord_notes", edited, "seed", 5])
    assert isinstance(spec, JobSpec)
    request = job_request(spec, tmp_path)
    assert request.source is not None and request.seed == 5
    assert request.chords is not None
    assert [(c.start, c.symbol) for c in request.chords[:2]] == [(0, "Dm"), (16, "G")]
    assert (request.bars, request.bpm, request.key) == (8, 96.0, Key(9, "minor"))


def test_chord_notes_that_sound_no_chord_are_refused(tmp_path: Path) -> None:
    with running_server(tmp_path) as server, OscClient(*server.address, timeout=WAIT) as client:
        assert client.run_job(protocol.GENERATE, ["src", "pop"]).ok
        for job, notes in (("short", "60 0 0.25"), ("late", "60 40 4")):
            result = client.run_job(protocol.REGENERATE, [job, "src", "chord_notes", notes])
            assert result.terminal is not None and result.terminal.args[1] == "bad_chord"
            assert not (tmp_path / job).exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["src"]


def test_stale_build_folders_are_cleaned_and_takes_kept(tmp_path: Path) -> None:
    take = write_take(example_song(), tmp_path, name="kept", meta={"prompt": "x"})
    stale = tmp_path / ".take-abc123.tmp"
    stale.mkdir()
    (stale / "song.mid").write_bytes(b"MThd")
    (tmp_path / ".git").mkdir()
    assert clean_stale_takes(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "kept"]
    assert take_complete(take.dir)


def test_load_20_clients_x_5_requests(tmp_path: Path) -> None:
    """All at once: every job is done or refused busy, each client hears only about its own
    jobs, and every take holds the request that made it."""
    clients, per_client = 20, 5
    results: dict[int, tuple[list[Reply], dict[str, Reply]]] = {}
    with running_server(tmp_path, capacity=4) as server:
        start = threading.Barrier(clients)

        def client_run(c: int) -> None:
            with OscClient(*server.address, timeout=WAIT) as client:
                jobs = [f"c{c:02d}-r{r}" for r in range(per_client)]
                start.wait(WAIT)
                for job in jobs:
                    client.send(protocol.GENERATE, [job, f"prompt of {job}"])
                seen: list[Reply] = []
                finals: dict[str, Reply] = {}
                while len(finals) < per_client:
                    reply = client.receive(WAIT)
                    assert reply is not None
                    seen.append(reply)
                    if reply.address in (protocol.DONE, protocol.ERROR):
                        assert reply.job not in finals, f"second terminal reply for {reply.job}"
                        finals[str(reply.job)] = reply
                results[c] = (seen, finals)

        threads = [threading.Thread(target=client_run, args=(c,)) for c in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT * 3)
    assert sorted(results) == list(range(clients))
    done = busy = 0
    for c, (seen, finals) in results.items():
        assert {r.job for r in seen} <= set(finals), f"client {c} heard about another's job"
        for job, reply in finals.items():
            if reply.address == protocol.DONE:
                done += 1
                record = json.loads((tmp_path / job / "song.json").read_text(encoding="utf-8"))
                assert (record["job"], record["prompt"]) == (job, f"prompt of {job}")
                assert reply.args[1] == str(tmp_path / job) and take_complete(tmp_path / job)
            else:
                assert reply.args[1] == "busy", reply
                busy += 1
    assert done + busy == clients * per_client and done >= 1 and busy >= 1
    assert len([p for p in tmp_path.iterdir() if p.name != LOCK_NAME]) == done


def test_done_goes_out_before_the_preview_is_drawn(tmp_path: Path) -> None:
    """The DAW does not wait for preview.png: the take is in place with every other file
    and `done` is sent while the preview is still held back; it is drawn right after."""
    gate = threading.Event()
    example = example_runner(tmp_path)

    def runner(spec: JobSpec, progress: Any, cancelled: Any) -> Any:
        take = example(spec, progress, cancelled)
        assert len(take.pending) == 1 and not take.files["preview"].exists()
        draw = take.pending.pop()
        take.pending.append(lambda: (gate.wait(WAIT), draw()))
        return take

    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as client:  # fmt: skip
        result = client.run_job(protocol.GENERATE, ["p1", "pop"])
        assert result.ok, result.to_json()
        take_dir = tmp_path / "p1"
        assert not (take_dir / "preview.png").exists()
        assert take_complete(take_dir)  # song.json already lists preview.png
        gate.set()
        assert preview_appears(take_dir)


def test_a_failed_preview_is_logged_and_the_take_stands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    example = example_runner(tmp_path)

    def runner(spec: JobSpec, progress: Any, cancelled: Any) -> Any:
        take = example(spec, progress, cancelled)
        take.pending[:] = [lambda: (_ for _ in ()).throw(OSError("disk gone"))]
        return take

    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as client:  # fmt: skip
        first = client.run_job(protocol.GENERATE, ["f1", "pop"])
        second = client.run_job(protocol.GENERATE, ["f2", "pop"])  # the worker lives on
    assert first.ok and second.ok
    assert take_complete(tmp_path / "f1") and not (tmp_path / "f1" / "preview.png").exists()
    assert "could not finish take" in caplog.text and "disk gone" in caplog.text


def test_notes_replies_are_where_song_mid_plays_them_swing_and_all(tmp_path: Path) -> None:
    # the replies sent the straight grid while song.mid and the WAVs swing: the DAW's MIDI
    # clips played straight against swung audio
    from dataclasses import replace

    import mido

    from bridge.server import note_replies
    from multitrack.midi_io import PPQ

    song = replace(example_song(), style="jazz")  # swings its 8ths
    take = write_take(song, tmp_path, name="swung", meta={"prompt": "x"})
    sent: dict[str, list[float]] = {}
    for _, args in note_replies("swung", take):  # job stem index count (p s l v)...
        flat = list(args[4:])
        starts = [round(float(flat[i + 1]), 4) for i in range(0, len(flat), 4)]
        sent.setdefault(str(args[1]), []).extend(starts)
    mid = mido.MidiFile(take.files["midi"])
    for track in mid.tracks[1:]:
        name = next(m.name for m in track if m.type == "track_name")
        tick, starts = 0, []
        for m in track:
            tick += m.time
            if m.type == "note_on" and m.velocity > 0:
                starts.append(round(tick / PPQ, 4))
        assert sorted(sent.get(name, [])) == sorted(starts), name
    assert any(round(b % 1, 4) not in (0.0, 0.5) for b in sent["melody"])  # off-beats late
