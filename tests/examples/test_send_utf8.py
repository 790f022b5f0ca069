"""`multitrack send` writes its JSON line as UTF-8 whatever the console's code page, so a DAW
script reading the pipe gets the Chinese prompt and emoji intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import daw_server
import pytest
from daw_server import Recorded

MULTITRACK = str(Path(sys.executable).with_name("multitrack"))

server = daw_server.server  # the real-server fixture


@pytest.mark.parametrize("code_page", ["cp1252", "cp936", "ascii"])
def test_send_prints_utf8_in_any_code_page(server: Recorded, code_page: str) -> None:
    prompt = '古风 80\'s "synth" 🎵'
    env = {**os.environ, "PYTHONIOENCODING": code_page, "PYTHONUTF8": "0"}
    run = subprocess.run(
        [MULTITRACK, "send", "generate", prompt, "--wait", "--bars", "2",
         "--port", str(server.address[1]), "--timeout", "60"],
        capture_output=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    record = json.loads(run.stdout.decode("utf-8").strip().splitlines()[-1])
    assert record["ok"] and record["song"]["prompt"] == prompt
