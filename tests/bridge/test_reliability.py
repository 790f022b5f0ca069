"""Issue 14's faults, each on real sockets, files and processes: status replies that fit a
datagram, one server per output folder, non-finite floats, a full disk, bad --out and
--checkpoint, job ids starting with '-', idle TCP connections, the listen backlog and chord
symbols refused at the request."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from osc_testing import MULTITRACK, WAIT, ServeProcess, running_server, tiny_checkpoint

from bridge import protocol, wire
from bridge.cli import build_parser, main
from bridge.client import OscClient
from bridge.commands.serve import example_runner
from bridge.outdir import FolderLock, FolderLockedError, clean_stale_takes
from bridge.transport import LISTEN_BACKLOG, TcpServer
from models.request import GenerateRequest, LimitError
from multitrack.errors import ChordSymbolError, DiskFullError
from multitrack.example import example_song
from multitrack.take import temp_prefix, write_take

LONG = "和弦" * 2000  # 4,000 characters, 12,000 bytes of UTF-8


def failing_runner(spec: Any, progress: Any, cancelled: Any) -> Any:
    raise ChordSymbolError(f"chord symbol {LONG!r} is unknown")


def test_status_fits_a_datagram_after_jobs_with_long_errors(tmp_path: Path) -> None:
    with running_server(tmp_path, failing_runner, capacity=30) as server:
        with OscClient(*server.address, timeout=WAIT) as client:
            for i in range(20):
                assert not client.run_job(protocol.GENERATE, [f"j{i}", "pop"]).ok
            reply = client.status()
            assert reply is not None and reply.address == protocol.STATE
            record = json.loads(reply.args[1])
            assert record["truncated"] is True and record["version"]
            shown = record["jobs"]
            assert len(shown) + record.get("omitted", 0) == 20
            assert all(j["error"]["code"] == "bad_chord" for j in shown)
            assert all(
                len(j["error"]["message"]) <= protocol.STATE_MESSAGE_CHARS + 1 for j in shown
            )
            one = client.status("j3")
            assert one is not None and json.loads(one.args[1])["job"] == "j3"
    encoded = wire.encode_message(protocol.STATE, list(protocol.state("", record)[1]))
    assert len(encoded) <= protocol.MAX_STATE_BYTES


def test_a_second_server_on_the_same_folder_leaves_the_first_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = ServeProcess(out, "--example", "--example-pause", "30", log=tmp_path / "a.log")
    try:
        with OscClient("127.0.0.1", first.port, timeout=WAIT) as client:
            client.send(protocol.GENERATE, ["mine", "pop"])
            while True:  # the take is half written
                reply = client.receive(WAIT)
                assert reply is not None
                if reply.address == protocol.PROGRESS and str(reply.args[2]).startswith("render"):
                    break
            building = [p for p in out.iterdir() if p.name.endswith(".tmp")]
            assert len(building) == 1
            second = subprocess.run(
                [str(MULTITRACK), "serve", "--port", str(first.port), "--out", str(out),
                 "--example"],
                capture_output=True, text=True, timeout=WAIT * 3,
            )  # fmt: skip
            assert second.returncode == 2
            message = second.stderr.strip()
            assert "\n" not in message and "Traceback" not in message
            assert f"another multitrack serve (pid {first.proc.pid}) is using" in message
            assert building[0].is_dir()  # the first server's take in progress survived
    finally:
        first.kill()


def test_stale_cleanup_runs_after_the_bind_and_only_for_dead_writers(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        out = tmp_path / "out"
        out.mkdir()
        of_dead = out / f"{temp_prefix(dead.pid)}x.tmp"
        of_alive = out / f"{temp_prefix(alive.pid)}y.tmp"
        of_dead.mkdir()
        of_alive.mkdir()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            result = subprocess.run(
                [str(MULTITRACK), "serve", "--port", str(port), "--out", str(out), "--example"],
                capture_output=True, text=True, timeout=WAIT * 3,
            )  # fmt: skip
        assert result.returncode == 2 and "cannot listen" in result.stderr
        assert of_dead.is_dir() and of_alive.is_dir()  # nothing removed without the bind
        with running_server(out):
            assert not of_dead.exists() and of_alive.is_dir()
    finally:
        alive.kill()
        alive.wait()


def test_the_folder_lock_is_exclusive_and_dies_with_its_owner(tmp_path: Path) -> None:
    first, second = FolderLock(tmp_path), FolderLock(tmp_path)
    first.acquire()
    with pytest.raises(FolderLockedError, match=f"pid {os.getpid()}"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
    assert clean_stale_takes(tmp_path) == []


def float_flags() -> Iterator[tuple[str, str]]:
    def walk(parser: Any, prefix: str) -> Iterator[tuple[str, str]]:
        for action in parser._actions:
            if action.type is float:
                yield prefix, action.dest
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{prefix} {name}")

    yield from walk(build_parser(), "multitrack")


def test_no_cli_flag_takes_a_plain_float() -> None:
    assert list(float_flags()) == []  # every float flag goes through finite_float


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "pop", "--guidance", "nan"],
        ["generate", "pop", "--bpm", "inf"],
        ["generate", "pop", "--bpm=-inf"],
        ["serve", "--grace", "nan"],
        ["send", "ping", "--timeout", "inf"],
        ["parse", "pop", "--bpm", "NaN"],
    ],
)
def test_non_finite_floats_are_refused_on_one_line(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([*argv, *(["--out", str(tmp_path)] if argv[0] == "generate" else [])])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "finite" in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_request_refuses_non_finite_numbers() -> None:
    for field in ("guidance", "bpm"):
        for value in (float("nan"), float("inf")):
            with pytest.raises(LimitError, match=field):
                GenerateRequest("pop", **{field: value})


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs (needs root): a take does not fit."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_in_the_take_writer_server_and_cli(full_disk: Path) -> None:
    with pytest.raises(DiskFullError, match="no space left on the disk holding"):
        write_take(example_song(), full_disk, name="direct", meta={})
    with running_server(full_disk, example_runner(full_disk)) as server:
        with OscClient(*server.address, timeout=WAIT) as client:
            result = client.run_job(protocol.GENERATE, ["big", "pop"])
    assert not result.ok and result.terminal is not None
    assert result.terminal.args[1] == "disk_full"
    assert f"no space left on the disk holding {full_disk}" in result.terminal.args[2]
    done = subprocess.run(
        [str(MULTITRACK), "generate", "pop", "--bars", "2", "--steps", "2", "--out",
         str(full_disk), "--checkpoint", str(tiny_checkpoint())],
        capture_output=True, text=True, timeout=WAIT * 3,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().startswith("multitrack: error: no space left on the disk holding")
    assert "\n" not in done.stderr.strip() and "Traceback" not in done.stderr
    assert sorted(p.name for p in full_disk.iterdir()) == [".multitrack-serve.lock"]


def test_disk_full_from_a_real_enospc() -> None:
    from multitrack.take import disk_full

    with pytest.raises(OSError) as info, open("/dev/full", "wb") as sink:
        sink.write(b"x" * 65536)
        sink.flush()
    assert isinstance(disk_full(info.value, Path("/tmp")), DiskFullError)


def test_serve_out_a_file_and_a_corrupt_checkpoint_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert main(["serve", "--out", str(afile), "--example"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"multitrack: error: --out {afile} is a file, not a folder; give a folder for the takes"
    )
    truncated, garbage = tmp_path / "truncated.pt", tmp_path / "garbage.pt"
    truncated.write_bytes(tiny_checkpoint().read_bytes()[:5000])
    garbage.write_bytes(b"\x80\x02not a checkpoint" * 64)
    for bad in (truncated, garbage):
        for argv in (
            ["generate", "pop", "--out", str(tmp_path / "o"), "--checkpoint", str(bad)],
            ["serve", "--port", "0", "--out", str(tmp_path / "s"), "--checkpoint", str(bad)],
        ):
            assert main(argv) == 2
            *before, last = capsys.readouterr().err.strip().splitlines()
            assert before in ([], ["loading model…"])  # serve's progress line
            assert last.startswith(f"multitrack: error: checkpoint {bad} is corrupt"), last


def test_take_names_may_not_start_with_a_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "pop", "--name=-rf", "--out", str(tmp_path)]) == 2
    assert "not starting with a dot, a dash" in capsys.readouterr().err
    with running_server(tmp_path) as server, OscClient(*server.address, timeout=WAIT) as client:
        reply = client.request(
            protocol.GENERATE, ["-rf", "pop"], until=lambda r: True, timeout=WAIT
        )
        assert reply is not None and reply.args[:2] == ("-rf", "bad_job")
    assert not (tmp_path / "-rf").exists()


def test_idle_tcp_connections_are_closed_but_not_while_a_job_runs(tmp_path: Path) -> None:
    runner = example_runner(tmp_path, pause=1.0)
    with running_server(tmp_path, runner, tcp=True, idle_timeout=0.2) as server:
        with socket.create_connection(server.address, timeout=WAIT) as idle:
            assert idle.recv(1) == b""  # closed by the server
        with OscClient(*server.address, tcp=True, timeout=WAIT) as client:
            result = client.run_job(protocol.GENERATE, ["slow", "pop"])  # outlasts idle_timeout
            assert result.ok, result.to_json()


def test_listen_backlog_holds_the_load_bench() -> None:
    assert TcpServer.request_queue_size == LISTEN_BACKLOG >= 50


def test_unknown_chords_are_refused_at_the_request(tmp_path: Path) -> None:
    write_take(example_song(), tmp_path, name="src", meta={"prompt": "x"})
    with running_server(tmp_path) as server, OscClient(*server.address, timeout=WAIT) as client:
        for chords in ("Xyz", "Am Hmaj13"):
            result = client.run_job(protocol.REGENERATE, ["e", "src", "chords", chords])
            assert result.terminal is not None and result.terminal.args[1] == "bad_chord"
            assert result.attributes is None  # never accepted, never queued
            status = client.status("e")
            assert status is not None and status.args[1] == "unknown_job"


@pytest.mark.parametrize("loads_torch", [False, True])
def test_a_reader_that_goes_away_ends_the_command_quietly(
    tmp_path: Path, loads_torch: bool
) -> None:
    """``multitrack generate ... | head -2``: the take is whole, no traceback, exit 0."""
    argv = [str(MULTITRACK), "parse", "pop in C"]
    if loads_torch:
        argv = [str(MULTITRACK), "generate", "pop in C", "--bars", "2", "--steps", "2", "--out",
                str(tmp_path), "--checkpoint", str(tiny_checkpoint()), "--local"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before the command prints a line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=WAIT * 3) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    if loads_torch:
        assert json.loads((tmp_path / "take-001" / "song.json").read_text())["bars"] == 2


def test_a_command_line_that_ends_without_teardown_leaves_a_whole_take(tmp_path: Path) -> None:
    # bridge.cli ends a real command line that loaded torch with os._exit (no interpreter
    # teardown): the take, the summary and the detached preview must all be there regardless
    import json
    import time

    import soundfile

    done = subprocess.run(
        [str(MULTITRACK), "generate", "pop in C major", "--bars", "2", "--steps", "2", "--out",
         str(tmp_path), "--checkpoint", str(tiny_checkpoint()), "--local", "--json"],
        capture_output=True, text=True, timeout=WAIT * 3,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    take = tmp_path / summary["take"]
    assert json.loads((take / "song.json").read_text())["bars"] == 2
    for stem in ("melody", "chords", "bass", "drums"):
        assert soundfile.info(str(take / f"{stem}.wav")).frames > 0
    deadline = time.monotonic() + WAIT
    while not (take / "preview.png").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (take / "preview.png").read_bytes().startswith(b"\x89PNG")


def test_the_detached_preview_does_not_hold_the_callers_pipes(tmp_path: Path) -> None:
    # A script reads the command's output through a pipe: it must end when the command
    # does, not when the forked child has drawn the preview (it held stdout and stderr open,
    # 0.45-0.8 s of every piped cold command). The child here takes 3 s to "draw".
    marker = tmp_path / "drawn"
    code = (
        "import time\n"
        "import multitrack.take as take\n"
        f"take.finish_take = lambda t: (time.sleep(3), open({str(marker)!r}, 'w').close())\n"
        "from bridge.commands import generate\n"
        "class Pending:\n"
        "    pending = True\n"
        "generate._finish(Pending(), detach=True)\n"
        "print('summary', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=WAIT)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "summary\n", done.stderr
    assert not marker.exists()  # the output ended while the child was still drawing


def test_serve_with_a_soundfont_that_cannot_load_stops_before_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it printed "ready" and then failed every job with bad_soundfont after sampling it
    missing = tmp_path / "nope.sf2"
    argv = ["serve", "--port", "0", "--out", str(tmp_path / "s"), "--soundfont", str(missing)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("multitrack: error:") and "nope.sf2" in err[0]
    assert not (tmp_path / "s").exists()
