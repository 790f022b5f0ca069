"""The copyright guard: no take repeats a 2-bar melody passage of the training set verbatim.

A passage is the melody's notes starting inside two consecutive bars, described
transposition-invariantly: (onset within the span, interval to the passage's first
pitch, duration) per note, plus the bar length. Passages with fewer than ``MIN_NOTES`` notes
(a held note, a two-note figure) are too generic to be anyone's melody and are not indexed.
The index is a sorted array of 64-bit hashes shipped beside the checkpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from multitrack.atomic import atomic_file
from multitrack.song import Song

MIN_NOTES = 5
GUARD_FILE = "guard.npy"


def passage_hashes(song: Song, *, bars: int = 2) -> list[int]:
    """Hashes of every ``bars``-bar melody passage, starting at each bar line."""
    bar = song.meter.steps_per_bar
    notes = song.stems["melody"].notes
    out: list[int] = []
    for first in range(max(0, song.bars - bars + 1)):
        lo, hi = first * bar, (first + bars) * bar
        inside = [n for n in notes if lo <= n.start < hi]
        if len(inside) < MIN_NOTES:
            continue
        p0 = inside[0].pitch
        desc = [bar] + [
            v for n in inside for v in (n.start - lo, n.pitch - p0, min(n.end, hi) - n.start)
        ]
        digest = hashlib.blake2b(np.asarray(desc, np.int16).tobytes(), digest_size=8).digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


class CopyGuard:
    """Membership test of a take's passages against the training set's."""

    def __init__(self, hashes: NDArray[np.int64]) -> None:
        self.hashes = np.unique(hashes.astype(np.int64))

    @classmethod
    def build(cls, songs: Iterable[Song]) -> CopyGuard:
        return cls(np.asarray([h for s in songs for h in passage_hashes(s)], np.int64))

    def save(self, path: Path) -> None:
        with atomic_file(path) as handle:
            np.save(handle, self.hashes)

    @classmethod
    def load_beside(cls, checkpoint: Path | None) -> CopyGuard | None:
        from models.checkpoint import DEFAULT_CHECKPOINT

        path = (DEFAULT_CHECKPOINT if checkpoint is None else Path(checkpoint)).parent / GUARD_FILE
        return cls(np.load(path, allow_pickle=False)) if path.is_file() else None

    def copied(self, song: Song) -> int:
        """How many of the song's passages occur in the training set."""
        hs = np.asarray(passage_hashes(song), np.int64)
        if hs.size == 0 or self.hashes.size == 0:
            return 0
        idx = np.searchsorted(self.hashes, hs).clip(max=self.hashes.size - 1)
        return int((self.hashes[idx] == hs).sum())

    def copies(self, song: Song) -> bool:
        return self.copied(song) > 0
