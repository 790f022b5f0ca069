"""The Reaper ReaScripts under lua5.4 against a recording stub of the `reaper` API, talking
to a real server through the real `multitrack send` (see run_reaper.lua for the checks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.commands.serve import example_runner
from bridge.server import OscServer, ServerConfig

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE.parents[1] / "examples" / "reaper"
LUA = shutil.which("lua5.4")


@pytest.mark.skipif(LUA is None, reason="lua5.4 is not installed (make sysdeps-test)")
def test_generate_then_regenerate_from_edited_chords(tmp_path: Path) -> None:
    server = OscServer(ServerConfig(out=tmp_path, port=0), example_runner(tmp_path))
    server.start()
    try:
        run = subprocess.run(
            [str(LUA), str(HERE / "run_reaper.lua"), str(SCRIPTS),
             str(Path(sys.executable).with_name("multitrack")), str(server.address[1])],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        server.stop(grace=0)
    assert run.returncode == 0, run.stderr + run.stdout
    assert "ALL OK" in run.stdout
    takes = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))  # not the lock
    assert len(takes) == 2 and all(t.startswith("job-") for t in takes)
