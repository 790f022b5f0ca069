"""Handing a ``multitrack generate`` to a running ``multitrack serve``.

A cold command spends seconds importing torch and loading the model and the text models; a
running server has them warm. When a server owns the command's ``--out`` folder (its lock
is held) and answers a ping on 127.0.0.1 at the default port within a moment, a plain new
take (no edit, no checkpoint, font, rate or precision of its own) is sent to it as an OSC
``generate`` and the command waits for ``done``. ``--local`` always runs in process.
``MULTITRACK_SERVE_PORT`` names another port to look on (bench/cold_start.py uses it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bridge import protocol
from bridge.arguments import JOB_ID
from models.precision import DEFAULT_PRECISION
from multitrack.errors import MultitrackError

DEFAULT_PORT = 9000
PING_TIMEOUT = 0.25  # seconds: a server that answers later is busy or not ours
JOB_TIMEOUT = 600.0
# generate flags the OSC generate verb takes as options, by name (bridge.verbs)
OPTIONS = ("bars", "seed", "bpm", "key", "meter", "guidance", "steps", "stems", "form",
           "variations")  # fmt: skip
# flags that make a request the server's generate cannot take: edits, and a model, font,
# rate or precision of the command's own
LOCAL_ONLY = {"source": None, "keep": None, "repaint": None, "chords": None,
              "chords_midi": None, "extend": None, "intro": None, "checkpoint": None,
              "soundfont": None, "sample_rate": 44100, "precision": DEFAULT_PRECISION}  # fmt: skip


def can_hand_off(args: argparse.Namespace) -> bool:
    """Whether the request is a plain new take a server could make as asked."""
    if getattr(args, "local", False):
        return False
    return all(getattr(args, name, default) == default for name, default in LOCAL_ONLY.items())


def served(out: Path) -> bool:
    """A live ``multitrack serve`` holds the lock of ``out`` (bridge.outdir)."""
    from bridge.outdir import LOCK_NAME, _try_lock

    path = out / LOCK_NAME
    if not path.is_file():
        return False
    try:
        with open(path, encoding="utf-8") as handle:
            free = _try_lock(handle)  # taken and dropped at once when no server holds it
    except OSError:
        return False
    return not free


def serve_port() -> int:
    text = os.environ.get("MULTITRACK_SERVE_PORT", "")
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else DEFAULT_PORT


def hand_off(args: argparse.Namespace, port: int | None = None) -> Path | None:
    """Run the request on the server owning ``args.out``; the take folder, or None when no
    server is there to take it (the caller runs it here). Raises ``MultitrackError`` with
    the server's message when the server refuses or fails the job."""
    from bridge.client import OscClient
    from multitrack.take import next_take_name

    out = Path(args.out)
    if not can_hand_off(args) or not served(out):
        return None
    port = serve_port() if port is None else port
    name = args.name if args.name is not None else next_take_name(out)
    if not JOB_ID.fullmatch(name):
        return None  # a take name the protocol cannot carry as a job id (e.g. Chinese)
    with OscClient("127.0.0.1", port, timeout=JOB_TIMEOUT) as client:
        pong = client.ping(timeout=PING_TIMEOUT)
        if pong is None or pong.address != protocol.PONG:
            return None
        print(
            f"multitrack: handing the job to multitrack serve on udp://127.0.0.1:{port} "
            "(--local runs it here)",
            file=sys.stderr,
            flush=True,
        )
        result = client.run_job(protocol.GENERATE, [name, args.prompt, *_options(args)])
    if result.terminal is None:
        raise MultitrackError(f"multitrack serve on port {port} did not finish the job in time")
    if result.terminal.address == protocol.ERROR:
        raise MultitrackError(f"multitrack serve: {result.terminal.args[2]}")
    take_dir = Path(str(result.terminal.args[1]))
    if take_dir.parent.resolve() != out.resolve():
        print(
            f"multitrack: note: the server wrote the take into {take_dir.parent}", file=sys.stderr
        )
    return take_dir


def _options(args: argparse.Namespace) -> list[Any]:
    pairs: list[Any] = []
    for name in OPTIONS:
        value = getattr(args, name, None)
        if value is None or (name == "variations" and value == 1):
            continue
        pairs += [name, value]
    return pairs
