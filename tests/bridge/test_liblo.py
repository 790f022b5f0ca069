"""Interop with an independent OSC implementation: liblo's oscsend and oscdump talk to the
real `multitrack serve` over UDP (tiny model) and TCP (size-prefixed frames, example song);
Chinese prompts arrive intact."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from osc_testing import WAIT, ServeProcess, free_port, take_complete, tiny_checkpoint

pytestmark = pytest.mark.skipif(
    shutil.which("oscsend") is None or shutil.which("oscdump") is None,
    reason="liblo-tools is not installed (make sysdeps-test)",
)
PROMPT = "一段舒缓的古筝独奏，节奏舒缓"


class Dump:
    """oscdump listening on ``url``; ``lines`` are its output lines so far."""

    def __init__(self, url: str, log: Path) -> None:
        self.path = log
        self.proc = subprocess.Popen(["oscdump", "-L", url], stdout=log.open("wb"))

    def lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8", errors="replace").splitlines()

    def wait_for(self, address: str, job: str | None = None) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for line in self.lines():
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] == address:
                    if job is None or (len(parts) == 4 and parts[3].startswith(f'"{job}"')):
                        return line
            time.sleep(0.05)
        raise AssertionError(f"no {address} in oscdump output: {self.lines()}")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@contextmanager
def dump(url: str, log: Path, probe: list[str]) -> Iterator[Dump]:
    """Start oscdump and wait until it receives a probe message (so it is listening)."""
    d = Dump(url, log)
    try:
        deadline = time.monotonic() + WAIT
        while not any("/probe" in line for line in d.lines()):
            assert time.monotonic() < deadline, "oscdump did not start"
            subprocess.run(["oscsend", *probe, "/probe", "i", "1"], check=False, timeout=10)
            time.sleep(0.1)
        yield d
    finally:
        d.close()


def oscsend(*args: str) -> None:
    subprocess.run(["oscsend", *args], check=True, timeout=30)


def test_liblo_udp_generate_and_ping(tmp_path: Path) -> None:
    out = tmp_path / "out"
    server = ServeProcess(out, "--checkpoint", str(tiny_checkpoint()), log=tmp_path / "serve.log")
    port = free_port()
    try:
        with dump(str(port), tmp_path / "dump.txt", ["localhost", str(port)]) as d:
            s = str(server.port)
            oscsend("localhost", s, "/multitrack/ping", "si", "reply_port", str(port))
            assert d.wait_for("/multitrack/pong").split(" ", 3)[3].startswith('"multitrack ')
            oscsend("localhost", s, "/multitrack/generate", "sssisisisi", "zh-1", PROMPT, "bars",
                    "4", "seed", "7", "steps", "4", "reply_port", str(port))  # fmt: skip
            accepted = d.wait_for("/multitrack/accepted", "zh-1")
            attributes = json.loads(accepted.split(" ", 3)[3][len('"zh-1" "') : -1])
            assert attributes["bars"] == 4
            done = d.wait_for("/multitrack/done", "zh-1").split(" ", 3)
            assert done[2] == "ssssssss"
            paths = [p.strip('"') for p in done[3].split(" ")]
            assert paths[:2] == ["zh-1", str(out.resolve() / "zh-1")]
            assert [Path(p).name for p in paths[2:]] == [
                "song.json", "song.mid", "melody.wav", "chords.wav", "bass.wav", "drums.wav",
            ]  # fmt: skip
            assert "/multitrack/progress" in " ".join(d.lines())
            oscsend("localhost", s, "/multitrack/generate", "ssi", "zh-2", "bars", "0")
            # no reply_port: the error went to oscsend's own (closed) port; ask for the state
            oscsend("localhost", s, "/multitrack/status", "ssi", "zh-2", "reply_port", str(port))
            assert '"unknown_job"' in d.wait_for("/multitrack/error", "zh-2")
            # a stray argument before reply_port ("bars=4", as typed on a command line): the
            # error still reaches reply_port, and names the stray, not the port number
            oscsend("localhost", s, "/multitrack/generate", "ssssi", "zh-3", "pop", "bars=4",
                    "reply_port", str(port))  # fmt: skip
            stray = d.wait_for("/multitrack/error", "zh-3")
            assert '"bad_request"' in stray and "bars=4" in stray and str(port) not in stray
    finally:
        server.kill()
    record = json.loads((out / "zh-1" / "song.json").read_text(encoding="utf-8"))
    assert record["prompt"] == PROMPT and record["seed"] == 7 and record["bars"] == 4
    assert take_complete(out / "zh-1")


def test_liblo_done_carries_the_ambience_path_last(tmp_path: Path) -> None:
    """A take with ambience.wav: liblo's oscdump sees `done` with 9 strings, the 8 it always
    had in their places and the ambience path appended."""
    out = tmp_path / "out"
    server = ServeProcess(out, "--checkpoint", str(tiny_checkpoint()), log=tmp_path / "serve.log")
    port = free_port()
    try:
        with dump(str(port), tmp_path / "dump.txt", ["localhost", str(port)]) as d:
            oscsend("localhost", str(server.port), "/multitrack/generate", "sssisisi", "rain-1",
                    "古筝独奏,带有雨声环境音", "bars", "2", "steps", "2", "reply_port", str(port))  # fmt: skip
            done = d.wait_for("/multitrack/done", "rain-1").split(" ", 3)
    finally:
        server.kill()
    assert done[2] == "sssssssss"
    paths = [p.strip('"') for p in done[3].split(" ")]
    assert [Path(p).name for p in paths[2:]] == [
        "song.json", "song.mid", "melody.wav", "chords.wav", "bass.wav", "drums.wav",
        "ambience.wav",
    ]  # fmt: skip
    assert Path(paths[8]) == out.resolve() / "rain-1" / "ambience.wav" and Path(paths[8]).is_file()


def test_liblo_tcp_generate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    server = ServeProcess(out, "--tcp", "--example", log=tmp_path / "serve.log")
    port = free_port(socket.SOCK_STREAM)
    try:
        url = f"osc.tcp://localhost:{port}"
        with dump(f"osc.tcp://:{port}", tmp_path / "dump.txt", [url]) as d:
            oscsend(f"osc.tcp://localhost:{server.port}", "/multitrack/generate", "sssisi",
                    "tcp-1", "悲伤的钢琴曲", "bars", "2", "reply_port", str(port))  # fmt: skip
            d.wait_for("/multitrack/accepted", "tcp-1")
            d.wait_for("/multitrack/done", "tcp-1")
    finally:
        server.kill()
    record = json.loads((out / "tcp-1" / "song.json").read_text(encoding="utf-8"))
    assert record["prompt"] == "悲伤的钢琴曲" and record["job"] == "tcp-1"
