"""Corpus storage: windows of songs with captions in compact npz shards.

Layout under a corpus root::

    root/manifest.json              counts, seed, build time, versions
    root/<split>/shard-00000.npz    one shard: up to a few thousand windows

A shard holds

* ``notes``: int16 (N, 6) rows ``(window, stem, start, pitch, duration, velocity)``, sorted
  by window; ``stem`` indexes ``STEMS``; ``start``/``duration`` in grid steps (16ths);
  ``pitch`` a MIDI number, or a drum class 0-8 for the drum stem;
* ``offsets``: int64 (W + 1,) where window ``w``'s notes are ``notes[offsets[w]:offsets[w+1]]``;
* ``bars`` int16 (W,), ``tempo`` float32 (W,) in BPM, ``meter`` int8 (W, 2) numerator and
  denominator, ``programs`` int16 (W, 4) GM programs per stem, ``style`` int16 (W,) the
  ``style_index`` (0 = none);
* ``meta``: one JSON string, a list of W objects ``{"key", "source", "piece", "captions",
  "chords": [[start, duration, symbol], ...], "sections": [[start bar, bars, letter,
  label], ...]}`` (sections since the song-form build; older shards read as none).

Only numbers and one string go into the file, so ``np.load`` runs with ``allow_pickle=False``.
Files are written through ``multitrack.atomic`` (temporary name in the same folder, fsync,
rename); a rebuilt corpus folder replaces the old one by ``replace_folder``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from multitrack.atomic import atomic_file, write_text_atomic
from multitrack.errors import OutputError
from multitrack.song import STEMS, ChordSpan, Meter, Note, Section, Song, Stem
from multitrack.styles import STYLE_IDS, style_index
from multitrack.theory import Key

SPLITS: tuple[str, ...] = ("train", "test")
FORMAT = "multitrack.corpus/1"
CORPUS_EXTRAS = ("harmony.json", "harmoniser.json")  # what `corpus build` writes beside them
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Example:
    """One training window: a song of 4 to 32 bars with its captions and where it came from.

    ``source`` names the collection ("essen", "oneill", "chorales", "prepare:<dir>" ...);
    ``piece`` identifies the tune inside it, the unit the train/test split holds out.
    """

    song: Song
    captions: tuple[str, ...]
    source: str
    piece: str


@dataclass(frozen=True)
class ShardArrays:
    """The raw arrays of one shard, for training code that wants rolls without Songs."""

    notes: NDArray[np.int16]  # (N, 6) window, stem, start, pitch, duration, velocity
    offsets: NDArray[np.int64]  # (W + 1,)
    bars: NDArray[np.int16]  # (W,)
    tempo: NDArray[np.float32]  # (W,) BPM
    meter: NDArray[np.int8]  # (W, 2) numerator, denominator
    programs: NDArray[np.int16]  # (W, 4) GM program per stem
    style: NDArray[np.int16]  # (W,) style_index, 0 = none
    meta: list[dict[str, Any]]  # (W,) key, source, piece, captions, chords

    @property
    def windows(self) -> int:
        return int(self.bars.shape[0])


def _atomic_npz(path: Path, arrays: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as fh:
        np.savez_compressed(fh, **arrays)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def check_replaceable(out: Path, source: Path | None = None) -> None:
    """Refuse to build into ``out`` when that would delete what is not a corpus: a folder
    holding anything but a corpus built before (its ``MANIFEST``), or one that is or holds
    ``source`` (the MIDI files being read)."""
    out = Path(out)
    if source is not None:
        src, dst = Path(source).resolve(), out.resolve()
        if src == dst or dst in src.parents:
            raise OutputError(
                f"--out {out} would replace the folder the MIDI files are read from "
                f"({source}); name a new folder for the corpus"
            )
    if out.is_file():
        raise OutputError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not _is_corpus(out):
        raise OutputError(
            f"--out {out} holds files that are not a corpus (no corpus {MANIFEST}), and "
            "building replaces the whole folder; name a new or empty folder"
        )


def _is_corpus(folder: Path) -> bool:
    """A folder a corpus build wrote: its manifest names this format, and it holds nothing
    but the manifest and the splits' folders (a web app's manifest.json is not one)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    names = {p.name for p in folder.iterdir()}
    return (
        isinstance(manifest, dict)
        and str(manifest.get("format", "")).startswith("multitrack.corpus")
        and names <= {MANIFEST, *SPLITS, *CORPUS_EXTRAS}
    )


def replace_folder(built: Path, out: Path) -> None:
    """Put a fully built folder at ``out``, replacing any corpus there: the old one is moved
    aside first and removed only once the new one is in place. What ``check_replaceable``
    refuses is never replaced."""
    check_replaceable(out)
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(built, out)
    shutil.rmtree(old, ignore_errors=True)


def encode_examples(examples: Sequence[Example]) -> dict[str, Any]:
    """The shard arrays for ``examples`` (see the module docstring)."""
    rows: list[tuple[int, int, int, int, int, int]] = []
    offsets = [0]
    meta: list[dict[str, Any]] = []
    for w, ex in enumerate(examples):
        song = ex.song
        for s, name in enumerate(STEMS):
            for n in song.stems[name].notes:
                rows.append((w, s, n.start, n.pitch, n.duration, n.velocity))
        offsets.append(len(rows))
        meta.append(
            {
                "key": str(song.key),
                "source": ex.source,
                "piece": ex.piece,
                "captions": list(ex.captions),
                "chords": [[c.start, c.duration, c.symbol] for c in song.chords],
                "sections": [[x.start, x.bars, x.letter, x.label] for x in song.sections],
            }
        )
    notes = np.asarray(rows, np.int64).reshape(-1, 6)
    if notes.size and (notes.max() > np.iinfo(np.int16).max):
        raise OutputError("a note position exceeds the int16 range of the corpus format")
    return {
        "notes": notes.astype(np.int16),
        "offsets": np.asarray(offsets, np.int64),
        "bars": np.asarray([ex.song.bars for ex in examples], np.int16),
        "tempo": np.asarray([ex.song.tempo for ex in examples], np.float32),
        "meter": np.asarray(
            [(ex.song.meter.numerator, ex.song.meter.denominator) for ex in examples], np.int8
        ).reshape(-1, 2),
        "programs": np.asarray(
            [[ex.song.stems[n].program for n in STEMS] for ex in examples], np.int16
        ).reshape(-1, len(STEMS)),
        "style": np.asarray([style_index(ex.song.style) for ex in examples], np.int16),
        "meta": np.asarray(json.dumps(meta, ensure_ascii=False)),
    }


def write_shard(path: Path, examples: Sequence[Example]) -> None:
    """Write ``examples`` to one npz shard at ``path``, atomically."""
    _atomic_npz(Path(path), encode_examples(examples))


def read_shard_arrays(path: Path) -> ShardArrays:
    """The raw arrays of one shard; ``OutputError`` names a shard that is missing or bad."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            return ShardArrays(
                notes=z["notes"],
                offsets=z["offsets"],
                bars=z["bars"],
                tempo=z["tempo"],
                meter=z["meter"],
                programs=z["programs"],
                style=z["style"],
                meta=json.loads(str(z["meta"])),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise OutputError(f"{path} is not a readable corpus shard: {exc}") from None


def _note(start: int, pitch: int, duration: int, velocity: int) -> Note:
    # Stored notes were checked when written; skip Note's checks on the hot read path.
    note = object.__new__(Note)
    object.__setattr__(note, "start", start)
    object.__setattr__(note, "pitch", pitch)
    object.__setattr__(note, "duration", duration)
    object.__setattr__(note, "velocity", velocity)
    return note


def decode_window(arrays: ShardArrays, w: int) -> Example:
    """Window ``w`` of a shard as an ``Example``."""
    lo, hi = int(arrays.offsets[w]), int(arrays.offsets[w + 1])
    block = arrays.notes[lo:hi].tolist()
    per_stem: list[list[Note]] = [[] for _ in STEMS]
    for _, s, start, pitch, dur, vel in block:
        per_stem[s].append(_note(start, pitch, dur, vel))
    programs = arrays.programs[w].tolist()
    stems = {name: Stem(name, tuple(per_stem[i]), programs[i]) for i, name in enumerate(STEMS)}
    meta = arrays.meta[w]
    style_i = int(arrays.style[w])
    num, den = (int(x) for x in arrays.meter[w])
    song = Song(
        bars=int(arrays.bars[w]),
        tempo=float(arrays.tempo[w]),
        meter=Meter(num, den),
        key=Key.parse(meta["key"]),  # strings on disk, so corpora written before still load
        stems=stems,
        chords=tuple(ChordSpan(int(a), int(b), str(c)) for a, b, c in meta["chords"]),
        style=STYLE_IDS[style_i - 1] if style_i > 0 else None,
        sections=tuple(
            Section(int(a), int(b), str(c), str(d)) for a, b, c, d in meta.get("sections", ())
        ),
    )
    return Example(song, tuple(meta["captions"]), meta["source"], meta["piece"])


def shard_paths(root: Path, split: str) -> list[Path]:
    """The shards of one split, in order; ``OutputError`` if the split is unknown or absent."""
    if split not in SPLITS:
        raise OutputError(f"unknown corpus split {split!r}; splits are {', '.join(SPLITS)}")
    folder = Path(root) / split
    if not folder.is_dir():
        raise OutputError(
            f"{folder} does not exist: build the corpus first (multitrack corpus build --out {root})"
        )
    return sorted(folder.glob("shard-*.npz"))


def iter_shards(root: Path, split: str) -> Iterator[ShardArrays]:
    """The raw arrays of each shard of a split, one shard in memory at a time."""
    for path in shard_paths(root, split):
        yield read_shard_arrays(path)


def iter_examples(root: Path, split: str) -> Iterator[Example]:
    """Every example of a split, streamed shard by shard."""
    for arrays in iter_shards(root, split):
        for w in range(arrays.windows):
            yield decode_window(arrays, w)


def read_corpus(root: Path, split: str) -> list[Example]:
    """Every example of a split as a list."""
    return list(iter_examples(root, split))


def read_manifest(root: Path) -> dict[str, Any]:
    """The corpus manifest; ``OutputError`` if the root holds no corpus."""
    path = Path(root) / MANIFEST
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(f"{root} is not a corpus ({MANIFEST} unreadable: {exc})") from None
    return data


class ShardWriter:
    """Collects examples of one split and writes a shard every ``size`` examples."""

    def __init__(self, folder: Path, *, size: int = 2000, prefix: str = "shard") -> None:
        self.folder = Path(folder)
        self.size = size
        self.prefix = prefix
        self._buffer: list[Example] = []
        self.shards = 0
        self.windows = 0

    def add(self, example: Example) -> None:
        self._buffer.append(example)
        if len(self._buffer) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        write_shard(self.folder / f"{self.prefix}-{self.shards:05d}.npz", self._buffer)
        self.shards += 1
        self.windows += len(self._buffer)
        self._buffer = []


def write_subset(
    src: Path, dst: Path, *, per_style: dict[str, int], note: str = ""
) -> dict[str, Any]:
    """A small corpus at ``dst`` (one shard per split) holding the first ``per_style[split]``
    windows of each style of ``src``: the committed test fixture. Returns its manifest."""
    from collections import Counter

    manifest: dict[str, Any] = {"format": FORMAT, "subset_of": str(src), "note": note}
    counts: dict[str, Counter[str]] = {
        "splits": Counter(),
        "styles": Counter(),
        "sources": Counter(),
    }
    for split in SPLITS:
        taken: Counter[str] = Counter()
        chosen = []
        for example in iter_examples(src, split):
            name = example.song.style or "none"
            if taken[name] < per_style.get(split, 0):
                taken[name] += 1
                chosen.append(example)
        write_shard(Path(dst) / split / "shard-00000.npz", chosen)
        counts["splits"][split] = len(chosen)
        counts["styles"].update(e.song.style or "none" for e in chosen)
        counts["sources"].update(e.source for e in chosen)
    manifest.update({k: dict(sorted(v.items())) for k, v in counts.items()})
    manifest["windows"] = sum(counts["splits"].values())
    write_json_atomic(Path(dst) / MANIFEST, manifest)
    return manifest
