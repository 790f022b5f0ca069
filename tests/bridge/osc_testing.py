"""Shared pieces for the bridge tests: reply collectors, in-process and subprocess servers.

Everything here is real: real takes written by the example runner, real sockets on
127.0.0.1, the real ``multitrack serve`` process. Timeouts only stop a broken test; nothing
asserts on how long anything took.
"""

from __future__ import annotations

import functools
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bridge.commands.serve import example_runner
from bridge.jobs import Runner
from bridge.server import OscServer, ServerConfig

WAIT = 60.0  # seconds before a test gives up waiting; never reached when things work
ROOT = Path(__file__).resolve().parents[2]
MULTITRACK = Path(sys.executable).with_name("multitrack")

Reply = tuple[str, list[Any]]


class Collector:
    """A thread-safe reply sink usable as a job's ``ReplyFn``."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self._cond = threading.Condition()
        self.hook: Callable[[str, list[Any]], None] | None = None

    def __call__(self, address: str, args: list[Any]) -> None:
        with self._cond:
            self.replies.append((address, list(args)))
            self._cond.notify_all()
        if self.hook is not None:
            self.hook(address, args)

    def wait_for(self, predicate: Callable[[list[Reply]], bool], timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.replies):  # re-checked on every reply and 20 times a second
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out; replies so far: {self.replies}")
                self._cond.wait(0.05)

    def addresses(self, job: str | None = None) -> list[str]:
        with self._cond:
            return [a for a, args in self.replies if job is None or (args and args[0] == job)]


def terminal_count(replies: list[Reply], job: str) -> int:
    return sum(1 for a, args in replies if a in TERMINAL and args and args[0] == job)


TERMINAL = ("/multitrack/done", "/multitrack/error")


def gated(runner: Runner, gate: threading.Event, started: threading.Event | None = None) -> Runner:
    """A runner that waits for ``gate`` before doing the real work (to hold the worker)."""

    def run(spec: Any, progress: Any, cancelled: Any) -> Any:
        if started is not None:
            started.set()
        gate.wait(WAIT)
        return runner(spec, progress, cancelled)

    return run


@contextmanager
def running_server(out: Path, runner: Runner | None = None, **options: Any) -> Iterator[OscServer]:
    """An in-process server on a free 127.0.0.1 port, stopped afterwards."""
    config = ServerConfig(out=out, port=0, **options)
    server = OscServer(config, runner or example_runner(out))
    server.start()
    try:
        yield server
    finally:
        server.stop(grace=0.0)


class ServeProcess:
    """``multitrack serve`` in a subprocess; ``port`` is read from its ``ready`` line."""

    def __init__(self, out: Path, *args: str, log: Path) -> None:
        self.log = log
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [str(MULTITRACK), "serve", "--port", "0", "--out", str(out), *args],
            stdout=subprocess.PIPE,
            stderr=log.open("ab"),
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.port = self._wait_ready()

    def _wait_ready(self) -> int:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            match = re.match(r"ready (udp|tcp)://127\.0\.0\.1:(\d+) ", line)
            if match:
                return int(match[2])
        self.kill()
        raise AssertionError(f"server did not start: {self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)

    def terminate(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and the rest of stdout."""
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=120)
        return self.proc.returncode, out


def take_complete(take_dir: Path) -> bool:
    """A visible take folder is whole: every file a DAW reads there, song.json readable and
    listing preview.png, which the server draws just after `done` (it may still be coming)."""
    from multitrack.take import FILES, read_take

    needed = [name for key, name in FILES.items() if key != "preview"]
    if not all((take_dir / name).is_file() for name in needed):
        return False
    _, record = read_take(take_dir)
    return bool(record["files"]["preview"] == FILES["preview"])


def preview_appears(take_dir: Path, timeout: float = WAIT) -> bool:
    """preview.png shows up in ``take_dir`` (drawn after `done`), whole."""
    deadline = time.monotonic() + timeout
    path = take_dir / "preview.png"
    while not path.is_file():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return path.read_bytes().startswith(b"\x89PNG")


@functools.cache
def tiny_checkpoint() -> Path:
    """A tiny, untrained model (seeded) for real `multitrack serve` processes: it runs the
    whole pipeline (prompt, sampler, decode, take writer) in a second, making noise."""
    import torch

    from models.checkpoint import build, save_checkpoint
    from models.config import ModelConfig

    torch.manual_seed(0)
    config = ModelConfig.tiny()
    autoencoder, denoiser = build(config)
    path = Path(tempfile.mkdtemp(prefix="multitrack-tiny-")) / "tiny.pt"
    save_checkpoint(path, config, autoencoder, denoiser)
    return path


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port nothing listens on right now (for a helper process to bind)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
