"""The Reaper ReaScripts under lua5.4 against a recording stub of the `reaper` API, talking
to a real server through the real `multitrack send` (see run_reaper.lua for the checks)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import daw_server
import pytest
from daw_server import Recorded

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE.parents[1] / "examples" / "reaper"
LUA = shutil.which("lua5.4")

server = daw_server.server  # the real-server fixture


@pytest.mark.skipif(LUA is None, reason="lua5.4 is not installed (make sysdeps-test)")
def test_generate_then_regenerate_from_edited_chords(tmp_path: Path, server: Recorded) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # a port nobody answers
        silent.bind(("127.0.0.1", 0))
        run = subprocess.run(
            [str(LUA), str(HERE / "run_reaper.lua"), str(SCRIPTS),
             str(Path(sys.executable).with_name("multitrack")), str(server.address[1]),
             str(silent.getsockname()[1])],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    assert "ALL OK" in run.stdout
    takes = sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert all(t.startswith("job-") for t in takes), takes
    # generate, regenerate, again later, fitted x4, tempo markers x2, over a change x2, quoted x8
    assert len(takes) == 2 + 2 + 4 + 2 + 2 + 8
