"""The output folder a server owns: made (or refused) once, locked against a second server,
and cleared of the hidden half-written takes of writers that are gone.

The lock is an OS lock on ``<out>/.multitrack-serve.lock`` (``fcntl.flock``; ``msvcrt`` on
Windows), so it dies with its process: a killed server never leaves a stale lock. The file
holds the owner's pid for the message a second server prints.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import IO

from multitrack.errors import MultitrackError, OutputError
from multitrack.take import TEMP_TAKE, check_not_a_take

LOCK_NAME = ".multitrack-serve.lock"
STALE_WITHOUT_PID = 24 * 3600.0  # seconds: on Windows, where a pid cannot be probed


class FolderLockedError(MultitrackError):
    """Another server owns the output folder."""

    code = "server"


def prepare_folder(out: Path) -> Path:
    """``out`` made if missing; ``OutputError`` (one line) if it is a file or cannot be made."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder; give a folder for the takes")
    check_not_a_take(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the output folder {out}: {exc.strerror or exc}") from None
    return out


class FolderLock:
    """One server per output folder. ``acquire`` raises ``FolderLockedError`` naming the
    owner; ``release`` (or the process ending) frees it."""

    def __init__(self, out: Path) -> None:
        self.path = out / LOCK_NAME
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        if self._file is not None:
            return
        try:
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        if not _try_lock(handle):
            handle.seek(0)
            owner = handle.read().strip()
            handle.close()
            who = f" (pid {owner})" if owner.isdigit() else ""
            raise FolderLockedError(
                f"another multitrack serve{who} is using {self.path.parent}; stop it or give "
                "another --out"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None


def clean_stale_takes(out: Path) -> list[Path]:
    """Remove the hidden folders of takes whose writer is gone (``.take-<pid>-*.tmp``, see
    multitrack.take); a live writer's (a running ``multitrack generate``) are kept, and so
    is every finished take. Returns what was removed. Run only while holding the lock."""
    removed: list[Path] = []
    for path in sorted(out.glob(".take-*.tmp")):
        match = TEMP_TAKE.match(path.name)
        if match is None or not path.is_dir() or path.is_symlink():
            continue
        if _writer_alive(match[1], path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _writer_alive(pid_text: str | None, path: Path) -> bool:
    if pid_text is None:  # named before writers put their pid in: none is running now
        return False
    if sys.platform == "win32":  # no signal 0 to probe a pid with: go by age
        try:
            return time.time() - path.stat().st_mtime < STALE_WITHOUT_PID
        except OSError:
            return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
