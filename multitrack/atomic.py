"""One atomic writer for every file the project writes.

A file appears whole or not at all: it is written under a temporary name in its own folder
(so the rename never crosses a file system), flushed to disk, then renamed over the final
name. On any failure, an exception in the caller's code included, the temporary file is
removed and the final name is left as it was. A file system error becomes an
``OutputError`` naming the file.

    with atomic_file(path) as handle:   # a binary handle
        mid.save(file=handle)
    with atomic_path(path) as tmp:      # a path, for libraries that open files themselves
        soundfile.write(tmp, audio, 44100, format="WAV")
    write_text_atomic(path, text)
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from multitrack.errors import OutputError


def _umask() -> int:
    """The process's umask, read without changing it where Linux says it (threads may be
    writing); set and restored otherwise."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Modes of what we write: what ``open`` and ``mkdir`` would give under the umask (a
# temporary file or folder is created private, 0600 / 0700, and would stay so after the
# rename: a DAW or a server running as another user could not read the take).
_UMASK = _umask()
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK
# Bytes free below which a failed write is taken for a full disk: libraries that write
# files themselves (libsndfile: "System error.") do not say why a write failed.
DISK_FULL_MARGIN = 1 << 20


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < DISK_FULL_MARGIN
    except OSError:
        return False


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path beside ``path`` for the caller to write; renamed onto ``path`` when
    the block ends without an exception, removed otherwise. A writer that needs a suffix
    (``np.save`` adds ``.npy`` to names without one) should write to a handle instead."""
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _sync(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException as exc:
        # measured before the temporary file is removed, which frees the space again
        full = isinstance(exc, Exception) and _nearly_full(tmp.parent)
        tmp.unlink(missing_ok=True)
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from exc
        raise


@contextmanager
def atomic_file(path: Path | str) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file beside ``path``; see ``atomic_path``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        yield handle


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_file(path) as handle:
        handle.write(data)


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _sync(path: Path) -> None:
    """Flush the file's data to disk, so the rename never publishes an empty file after a
    crash. (The folder itself is not synced: a lost rename leaves the old file, which is
    what atomicity promises.)"""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
