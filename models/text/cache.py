"""Sentence vectors kept on disk, so a process that meets a prompt (or the description
tables) again does not load the sentence encoder (~1.3 s cold, most of it its tokenizer).

One SQLite file, ``$MULTITRACK_CACHE_DIR`` (default ``$XDG_CACHE_HOME/multitrack`` or
``~/.cache/multitrack``) / ``text-embeddings.sqlite3``; ``MULTITRACK_CACHE_DIR=off`` turns
it off. Entries are keyed by the encoder's name and version and the exact text, and hold the
float32 bytes the encoder gave, so a cached vector is the computed one bit for bit. Any
failure (read-only home, a corrupt file) is logged once and the cache is off for the process:
the encoder then runs as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FILE_NAME = "text-embeddings.sqlite3"
TIMEOUT = 2.0  # seconds to wait for another process's write

log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    """Where the cache lives, or None when ``MULTITRACK_CACHE_DIR=off``."""
    chosen = os.environ.get("MULTITRACK_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "multitrack"


class VectorCache:
    """float32 arrays by (namespace, text); ``get`` None on a miss."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._lock = threading.Lock()
        self._broken = False

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.namespace}\0{text}".encode()).hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        where = cache_dir()
        if where is None or self._broken:
            return None
        where.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(where / FILE_NAME, timeout=TIMEOUT)
        db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, rows INTEGER, data BLOB)"
        )
        return db

    def get(self, text: str, *, width: int) -> NDArray[np.float32] | None:
        with self._lock:
            try:
                db = self._connect()
                if db is None:
                    return None
                try:
                    row = db.execute(
                        "SELECT rows, data FROM vectors WHERE key = ?", (self._key(text),)
                    ).fetchone()
                finally:
                    db.close()
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)
                return None
        if row is None or len(row[1]) != row[0] * width * 4:
            return None
        return np.frombuffer(row[1], np.float32).reshape(row[0], width).copy()

    def put(self, text: str, vectors: NDArray[np.float32]) -> None:
        data = np.ascontiguousarray(vectors, np.float32)
        with self._lock:
            try:
                db = self._connect()
                if db is None:
                    return
                try:
                    with db:
                        db.execute(
                            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                            (self._key(text), data.shape[0], data.tobytes()),
                        )
                finally:
                    db.close()
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)

    def _give_up(self, exc: BaseException) -> None:
        if not self._broken:
            log.warning("text embedding cache off for this run (%s: %s)", cache_dir(), exc)
        self._broken = True
