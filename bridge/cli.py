"""The ``multitrack`` command: one entry point, one sub-command module each.

Sub-command modules live in ``bridge.commands`` and expose ``register(subparsers)``, which
adds their parsers with ``set_defaults(func=run)``. They import heavy things (torch, music21)
inside ``run`` so ``multitrack --help`` stays fast. User errors (``MultitrackError``) print
one line and exit 2; nothing a producer typed ends in a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from multitrack.errors import MultitrackError

COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "generate",
    "refine",
    "rate",
    "prefs",
    "render",
    "chords",
    "parse",
    "evaluate",
    "corpus",
    "prepare",
    "train",
    "serve",
    "send",
    "daw",
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a bad flag reported on one line (no usage block) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="multitrack",
        description="Four bar-aligned stems (melody, chords, bass, drums) from a prompt.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"bridge.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bridge.commands.{name}":
                raise
            continue  # a command not built yet
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # a real command line (not main() called from Python: tests, scripts) may return before
    # its take's preview.png is drawn (bridge.commands.generate)
    args.from_shell = argv is None
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code = args.func(args)
    except MultitrackError as exc:
        print(f"multitrack: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (``multitrack generate ... | head``): what was made is on disk
        # (a take is written whole before its summary is printed); say nothing more to it
        _quiet_stdout()
        code = 0
    except OSError as exc:
        from multitrack.take import DISK_FULL_ERRNOS, disk_full

        if exc.errno not in DISK_FULL_ERRNOS:
            raise
        where = Path(exc.filename).parent if exc.filename else Path.cwd()
        print(f"multitrack: error: {one_line(str(disk_full(exc, where)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("multitrack: interrupted", file=sys.stderr)
        return 130
    if args.from_shell and "torch" in sys.modules:
        _exit_now(int(code or 0))
    return int(code or 0)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that nothing (the interpreter's last flush
    included) writes to a closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _exit_now(code: int) -> None:
    """End a finished command line that loaded torch without the interpreter's teardown,
    which then takes 0.5-0.75 s here (torch's modules and thread pools) of a cold ~4 s
    ``generate``. Nothing of ours waits on it: every file is written atomically and synced
    before the command returns, the forked preview drawing is its own process, and the
    streams and logging handlers are flushed here."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
    finally:  # a reader gone (a closed pipe) ends the command all the same
        os._exit(code)


def one_line(message: str) -> str:
    """A message as one line: a library's multi-line text joined with spaces."""
    return " ".join(message.split())


if __name__ == "__main__":
    sys.exit(main())
