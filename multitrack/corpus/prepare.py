"""Prepare a user's own MIDI library in the corpus format.

Every ``.mid``/``.midi`` under a folder is read with ``multitrack.midi_io.read_midi`` (which
picks melody, chords, bass and drums per file by channel 10, track names, GM programs,
register and polyphony), its chords recognised from the chords and bass stems (or taken
from its chord markers), its form labelled from its melody (``multitrack.form``), and cut
into windows of 4, 8, 16 and 32 bars (``windows.WINDOWS``) with captions. Broken or
unusable files are skipped and counted by reason, never fatal. Files are spread over worker
processes; the result is built in a hidden folder and renamed into place when whole, like
``multitrack corpus build``.

A library may be labelled with one of the model's styles (``PrepareConfig.style``): its
windows then carry that style and their captions name it, so a model fine-tuned on it plays
the producer's "jazz" when asked for jazz. Unlabelled, a library teaches the model what a
prompt naming no style sounds like. A library of fewer than ``MIN_HELD_OUT_FILES`` files holds
none out: by the corpus's ~5% piece hash a one-file library had every window in the test
split and nothing to train on.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from multitrack.corpus.build import remove_stale
from multitrack.corpus.captions import CaptionFacts, captions
from multitrack.corpus.store import (
    FORMAT,
    MANIFEST,
    SPLITS,
    Example,
    ShardWriter,
    check_replaceable,
    replace_folder,
    write_json_atomic,
)
from multitrack.corpus.windows import WINDOWS, rng_for, slice_spans, split_of
from multitrack.errors import MultitrackError, OutputError
from multitrack.form import label_sections, window_sections
from multitrack.grid import cut_notes
from multitrack.song import Song, Stem
from multitrack.styles import STYLE_IDS

MIDI_SUFFIXES = (".mid", ".midi")
# A library of at least this many files holds out ~5% of its pieces (``windows.split_of``)
# for ``bench/denoiser_loss.py`` and the benches; a smaller one trains on every file.
MIN_HELD_OUT_FILES = 20


@dataclass(frozen=True)
class PrepareConfig:
    """Options of one preparation run."""

    midi_dir: Path
    out: Path
    seed: int = 0
    processes: int = 2
    chunk_files: int = 32
    shard_size: int = 2000
    min_melody_notes: int = 4
    style: str | None = None  # a ``multitrack.styles`` id every window is labelled with


def midi_files(folder: Path) -> list[Path]:
    """Every MIDI file under ``folder``, sorted; ``OutputError`` if it is not a folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder of MIDI files")
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())


def cut_window(song: Song, first_bar: int, bars: int) -> Song:
    """Bars ``first_bar``..``first_bar + bars`` of a song as a song of its own (notes that
    start inside are kept and cut at the window's end)."""
    bar = song.meter.steps_per_bar
    start, end = first_bar * bar, (first_bar + bars) * bar
    stems = {}
    for name, stem in song.stems.items():
        stems[name] = Stem(name, cut_notes(stem.notes, start, end), stem.program)
    return replace(
        song,
        bars=bars,
        stems=stems,
        chords=tuple(slice_spans(song.chords, start, end)),
        sections=window_sections(song.sections, first_bar, bars),
    )


def song_windows(song: Song, *, min_melody_notes: int = 4) -> list[Song]:
    """The windows (``windows.WINDOWS``) of a song with a melody in them, each with the
    song's form clipped to it (labelled from the melody when the song has none)."""
    if not song.sections:
        melody = song.stems["melody"].notes
        song = replace(song, sections=label_sections(melody, song.bars, song.meter.steps_per_bar))
    out: list[Song] = []
    for length, hop in WINDOWS:
        for first in range(0, song.bars - length + 1, hop):
            window = cut_window(song, first, length)
            if len(window.stems["melody"].notes) >= min_melody_notes:
                out.append(window)
    return out


def caption_facts(song: Song) -> CaptionFacts:
    """What a window's captions say of it (``multitrack.corpus.captions``)."""
    return CaptionFacts(
        style=song.style,
        key=song.key,
        bpm=round(song.tempo),
        meter=str(song.meter),
        bars=song.bars,
        melody_program=song.stems["melody"].program,
        chords_program=song.stems["chords"].program,
        bass_program=song.stems["bass"].program,
    )


def prepare_file(
    path: Path, root: Path, *, seed: int, min_melody_notes: int = 4, style: str | None = None
) -> list[Example]:
    """The examples of one MIDI file, labelled ``style`` (None: none); raises
    ``MultitrackError`` for a file that is unusable."""
    from multitrack.midi_io import read_midi
    from multitrack.recognise import recognise_song

    song = read_midi(path)
    if not song.stems["melody"].notes:
        raise MultitrackError(f"{path}: no melody found")
    if not song.chords:
        song = replace(song, chords=recognise_song(song))
    if style is not None:
        song = replace(song, style=style)
    piece = path.relative_to(root).as_posix()
    source = f"prepare:{root.name}"
    examples = []
    for window in song_windows(song, min_melody_notes=min_melody_notes):
        rng = rng_for(seed, piece, window.bars, window.chords, "captions")
        examples.append(Example(window, captions(caption_facts(window), rng), source, piece))
    return examples


@dataclass(frozen=True)
class _Chunk:
    index: int
    files: tuple[str, ...]
    root: str
    folder: str
    seed: int
    shard_size: int
    min_melody_notes: int
    style: str | None
    hold_out: bool  # pieces go to the test split by ``split_of``; False: all train


def _prepare_chunk(chunk: _Chunk) -> dict[str, dict[str, int]]:
    root = Path(chunk.root)
    counts: dict[str, Counter[str]] = {
        k: Counter() for k in ("split", "meter", "mode", "skipped", "files")
    }
    writers = {
        split: ShardWriter(
            Path(chunk.folder) / split, size=chunk.shard_size, prefix=f"shard-{chunk.index:05d}"
        )
        for split in SPLITS
    }
    for name in chunk.files:
        path = Path(name)
        try:
            examples = prepare_file(
                path,
                root,
                seed=chunk.seed,
                min_melody_notes=chunk.min_melody_notes,
                style=chunk.style,
            )
        except MultitrackError as exc:
            counts["skipped"][_reason(str(exc), path)] += 1
            continue
        except Exception as exc:  # one broken file never stops the run
            counts["skipped"][f"unreadable ({type(exc).__name__})"] += 1
            continue
        if not examples:
            counts["skipped"]["shorter than 4 bars or no melody"] += 1
            continue
        counts["files"]["used"] += 1
        split = split_of(examples[0].piece) if chunk.hold_out else "train"
        for ex in examples:
            writers[split].add(ex)
            counts["split"][split] += 1
            counts["meter"][str(ex.song.meter)] += 1
            counts["mode"][ex.song.key.mode] += 1
    for writer in writers.values():
        writer.flush()
    return {k: dict(v) for k, v in counts.items()}


def _reason(message: str, path: Path) -> str:
    """A skip reason without the file name, so reasons count across files."""
    text = message.replace(str(path), "").strip(" :")
    for word in (
        "truncated",
        "not a readable MIDI",
        "type 2",
        "SMPTE",
        "tempo",
        "bars long",
        "meter",
        "no melody",
    ):
        if word in message:
            return word
    return text[:60] or "unusable"


def prepare_corpus(
    config: PrepareConfig, *, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Prepare ``config.midi_dir`` into ``config.out`` and return the manifest."""
    say = progress or (lambda message: None)
    started = time.time()
    files = midi_files(config.midi_dir)
    if not files:
        raise OutputError(f"{config.midi_dir} holds no .mid or .midi files")
    if config.style is not None and config.style not in STYLE_IDS:
        raise MultitrackError(f"unknown style {config.style!r}; known: {', '.join(STYLE_IDS)}")
    hold_out = len(files) >= MIN_HELD_OUT_FILES
    out = Path(config.out)
    check_replaceable(out, config.midi_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.preparing-{os.getpid()}"
    remove_stale(out.parent, f".{out.name}.preparing-")
    shutil.rmtree(tmp, ignore_errors=True)
    for split in SPLITS:
        (tmp / split).mkdir(parents=True)
    try:
        chunks = [
            _Chunk(i, tuple(str(f) for f in files[at : at + config.chunk_files]), str(config.midi_dir),
                   str(tmp), config.seed, config.shard_size, config.min_melody_notes,
                   config.style, hold_out)
            for i, at in enumerate(range(0, len(files), config.chunk_files))
        ]  # fmt: skip
        totals: dict[str, Counter[str]] = {}
        results: Any
        if config.processes > 1 and len(chunks) > 1:
            ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
            with ctx.Pool(config.processes) as pool:
                results = list(_gather(pool.imap(_prepare_chunk, chunks), totals, len(chunks), say))
        else:
            results = list(_gather(map(_prepare_chunk, chunks), totals, len(chunks), say))
        del results
        windows = sum(totals.get("split", Counter()).values())
        if windows == 0:
            raise OutputError(
                f"no usable windows in {config.midi_dir}: {dict(totals.get('skipped', {}))}"
            )
        manifest = {
            "format": FORMAT,
            "windows": windows,
            "splits": dict(totals.get("split", {})),
            "files": len(files),
            "files_used": totals.get("files", Counter())["used"],
            "sources": {f"prepare:{Path(config.midi_dir).name}": windows},
            "styles": {config.style: windows} if config.style else {},
            "held_out": hold_out,
            "meters": dict(sorted(totals.get("meter", {}).items())),
            "modes": dict(sorted(totals.get("mode", {}).items())),
            "skipped": dict(sorted(totals.get("skipped", {}).items())),
            "seed": config.seed,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.time() - started, 1),
            "processes": config.processes,
        }
        write_json_atomic(tmp / MANIFEST, manifest)
        replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _gather(
    results: Any, totals: dict[str, Counter[str]], n: int, say: Callable[[str], None]
) -> Sequence[None]:
    out: list[None] = []
    for i, counts in enumerate(results):
        for k, v in counts.items():
            totals.setdefault(k, Counter()).update(v)
        say(
            f"files {min(n, i + 1)}/{n} chunks: {sum(totals.get('split', Counter()).values())} windows"
        )
        out.append(None)
    return out
