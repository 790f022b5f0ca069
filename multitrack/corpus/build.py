"""Build the shipped corpus: music21 melodies + harmony + MMA accompaniment -> npz shards.

``build_corpus`` parses (or loads from cache) every tune, learns chord changes from the
chorales, then fans chunks of tunes out over worker processes; each worker harmonises its
tunes, plans windows, renders their accompaniment with MMA and writes its own shards. The
corpus is built in a hidden folder beside ``out`` and renamed into place only when whole.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import platform
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from multitrack.corpus.accompaniment import MmaError, mma_available, render_charts
from multitrack.corpus.harmoniser import HarmonyModel, harmonise
from multitrack.corpus.store import (
    FORMAT,
    MANIFEST,
    SPLITS,
    ShardWriter,
    check_replaceable,
    replace_folder,
    write_json_atomic,
)
from multitrack.corpus.tunes import Tune
from multitrack.corpus.windows import VersionPlan, assemble, plan_versions
from multitrack.errors import OutputError
from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.theory import Key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildConfig:
    """Options of one corpus build. ``limit_*`` make small builds for tests."""

    out: Path
    seed: int = 0
    processes: int = 2
    cache_dir: Path = Path("data/cache")
    limit_files: int | None = None
    limit_chorales: int | None = None
    limit_tunes: int | None = None
    chunk_tunes: int = 48
    shard_size: int = 2000


def tune_key(tune: Tune) -> Key:
    """The key a tune is harmonised in. Western tunes whose final note suggested a rare
    mode (phrygian, lydian) are read in the major key of their signature instead."""
    key = Key(tune.tonic, tune.mode)
    if not tune.chinese and tune.mode in ("phrygian", "lydian"):
        return Key(key.relative_major_tonic, "major")
    if tune.voices:
        return _voices_key(tune, key)
    return key


def _voices_key(tune: Tune, key: Key) -> Key:
    """A four-voice piece's key: the major or minor key with its signature whose profile fits
    all its voices best (a chorale may end on a Phrygian half cadence, not its tonic)."""
    from multitrack.metrics import find_key

    meter = Meter.parse(tune.meter)
    bars = max(1, -(-tune.steps // meter.steps_per_bar))
    notes = tuple(Note(s, p, d) for voice in tune.voices for s, p, d in voice)
    found = find_key(Song(bars=bars, meter=meter, stems={"chords": Stem("chords", notes)}))
    if found is None:
        return key
    guess = Key(found.tonic, found.mode)
    return guess if guess.relative_major_tonic == key.relative_major_tonic else key


def _recogniser() -> Callable[..., tuple[ChordSpan, ...]] | None:
    try:
        from multitrack.recognise import recognise
    except ImportError:
        return None
    return recognise


def tune_harmony(tune: Tune, key: Key, model: HarmonyModel) -> tuple[tuple[ChordSpan, ...], str]:
    """(chord spans, how they were found: "recognised" or "derived") for a tune."""
    meter = Meter.parse(tune.meter)
    bars = -(-tune.steps // meter.steps_per_bar)
    recognise = _recogniser() if tune.voices else None
    if recognise is not None:
        notes = [Note(s, p, d) for voice in tune.voices for s, p, d in voice]
        try:
            return tuple(recognise(notes, meter, steps=bars * meter.steps_per_bar)), "recognised"
        except Exception as exc:  # a recogniser bug must not lose the chorale
            log.warning("recognise failed on %s: %s", tune.piece, exc)
    spans = harmonise(tune.notes, key, meter, bars=bars, phrase_ends=tune.phrase_ends, model=model)
    return spans, "derived"


def learn_harmony(tunes: Sequence[Tune], cache_dir: Path | None = None) -> HarmonyModel:
    """Chord changes counted on the chorales' recognised harmony and, given a cache folder,
    on the RomanText analyses' human labels (prior only without either)."""
    from multitrack.chords import Chord, parse_chord
    from multitrack.corpus.harmony_eval import rntxt_sequences
    from multitrack.corpus.sources_rntxt import rntxt_progressions

    progressions: list[tuple[Key, list[Chord]]] = []
    if cache_dir is not None:
        progressions.extend(rntxt_sequences(rntxt_progressions(cache_dir)))
    recognise = _recogniser()
    if recognise is None:
        log.warning("multitrack.recognise is absent: chorale harmony is not learned")
        return HarmonyModel.learn(progressions)
    for tune in tunes:
        if not tune.voices:
            continue
        spans, how = tune_harmony(tune, tune_key(tune), HarmonyModel())
        if how == "recognised":
            progressions.append((tune_key(tune), [parse_chord(s.symbol) for s in spans]))
    return HarmonyModel.learn(progressions)


def evaluate_on_chorales(tunes: Sequence[Tune], cache_dir: Path | None) -> dict[str, Any] | None:
    """The harmoniser's agreement with the chorales' hidden harmony (see ``harmony_eval``),
    or None without chorales or a recogniser."""
    from multitrack.corpus.harmony_eval import evaluate_harmoniser, rntxt_sequences
    from multitrack.corpus.sources_rntxt import rntxt_progressions

    chorales = [t for t in tunes if t.voices]
    if not chorales or _recogniser() is None:
        return None
    extra = rntxt_sequences(rntxt_progressions(cache_dir, include_bach=False)) if cache_dir else []
    return evaluate_harmoniser(chorales, tune_key, extra=extra, segment_beats=(None,))


@dataclass(frozen=True)
class ChunkJob:
    index: int
    tunes: tuple[dict[str, Any], ...]
    seed: int
    folder: str
    shard_size: int
    model: dict[str, list[list[object]]]


def build_chunk(job: ChunkJob) -> dict[str, Any]:
    """Harmonise, plan, render and write one chunk of tunes; returns its counts."""
    model = HarmonyModel.from_json(job.model)
    counts: dict[str, Counter[str]] = {
        k: Counter() for k in ("split", "style", "source", "meter", "mode", "harmony", "skipped")
    }
    counts["train_style"] = Counter()
    plans: list[VersionPlan] = []
    for data in job.tunes:
        tune = Tune.from_json(data)
        key = tune_key(tune)
        try:
            spans, how = tune_harmony(tune, key, model)
        except Exception as exc:
            counts["skipped"][f"harmony failed ({type(exc).__name__})"] += 1
            continue
        counts["harmony"][how] += 1
        plans.extend(plan_versions(tune, spans, key, seed=job.seed))
    try:
        accs = render_charts([p.chart() for p in plans])
    except MmaError as exc:
        counts["skipped"][f"MMA failed: {exc}"] += sum(len(p.windows) for p in plans)
        return {k: dict(v) for k, v in counts.items()}
    writers = {
        split: ShardWriter(
            Path(job.folder) / split, size=job.shard_size, prefix=f"shard-{job.index:05d}"
        )
        for split in ("train", "test")
    }
    for plan, acc in zip(plans, accs, strict=True):
        for first_bar, bars in plan.windows:
            example = assemble(plan, acc, first_bar, bars, seed=job.seed)
            writers[plan.split].add(example)
            counts["split"][plan.split] += 1
            counts["style"][plan.style] += 1
            counts["source"][plan.tune.source] += 1
            counts["meter"][str(plan.meter)] += 1
            counts["mode"][plan.key.mode] += 1
            if plan.split == "train":
                counts["train_style"][plan.style] += 1
    for writer in writers.values():
        writer.flush()
    return {k: dict(v) for k, v in counts.items()}


def _versions() -> dict[str, str]:
    import music21
    import numpy

    versions = {
        "python": platform.python_version(),
        "music21": music21.__version__,
        "numpy": numpy.__version__,
    }
    try:
        import subprocess

        out = subprocess.run(["mma", "-v"], capture_output=True, text=True, check=False)
        found = re.findall(r"\b\d+\.\d+(?:\.\d+)?\b", out.stdout + out.stderr)
        versions["mma"] = found[-1] if found else "unknown"
    except OSError:
        versions["mma"] = "absent"
    return versions


def build_corpus(
    config: BuildConfig,
    *,
    tunes: Sequence[Tune] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the corpus into ``config.out`` (replacing an older one only when done) and
    return its manifest. ``tunes`` replaces the music21 sources (tests, other collections)."""
    from multitrack.corpus.sources_music21 import load_tunes

    say = progress or (lambda message: log.info("%s", message))
    if not mma_available():
        raise OutputError(
            "MMA (Debian package mma) is not installed, so no accompaniment can be rendered: "
            "run `make sysdeps-corpus` and build again"
        )
    started = time.time()
    out = Path(config.out)
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.building-{os.getpid()}"
    remove_stale(out.parent, f".{out.name}.building-")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for split in SPLITS:
        (tmp / split).mkdir()
    try:
        if tunes is None:
            say("parsing tunes (cached after the first build)")
            loaded, skipped = load_tunes(
                config.cache_dir / "tunes",
                processes=config.processes,
                limit_files=config.limit_files,
                limit_chorales=config.limit_chorales,
                progress=lambda i, n: say(f"parsed {i}/{n} tunes"),
            )
        else:
            loaded, skipped = list(tunes), Counter()
        if config.limit_tunes:
            loaded = loaded[: config.limit_tunes]
        parsed_at = time.time()
        say(f"{len(loaded)} tunes ({sum(skipped.values())} skipped) in {parsed_at - started:.0f} s")
        model = learn_harmony(loaded, None if tunes is not None else config.cache_dir / "tunes")
        write_json_atomic(tmp / "harmony.json", model.to_json())
        evaluation = evaluate_on_chorales(
            loaded, None if tunes is not None else config.cache_dir / "tunes"
        )
        if evaluation is not None:
            write_json_atomic(tmp / "harmoniser.json", evaluation)
            say(f"harmoniser vs chorales: {evaluation.get('learned_default')}")
        jobs = [
            ChunkJob(
                index=i,
                tunes=tuple(t.to_json() for t in loaded[at : at + config.chunk_tunes]),
                seed=config.seed,
                folder=str(tmp),
                shard_size=config.shard_size,
                model=model.to_json(),
            )
            for i, at in enumerate(range(0, len(loaded), config.chunk_tunes))
        ]
        totals: dict[str, Counter[str]] = {}
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        if config.processes > 1 and len(jobs) > 1:
            with ctx.Pool(config.processes) as pool:
                results = pool.imap(build_chunk, jobs)
                _collect(results, totals, len(jobs), say)
        else:
            _collect(map(build_chunk, jobs), totals, len(jobs), say)
        for reason, n in skipped.items():
            totals.setdefault("skipped", Counter())[f"tune: {reason}"] += n
        windows = sum(totals.get("split", Counter()).values())
        if windows == 0:
            raise OutputError("the corpus build produced no windows; see the log for skips")
        manifest = {
            "format": FORMAT,
            "windows": windows,
            "splits": dict(totals.get("split", {})),
            "tunes": len(loaded),
            "styles": dict(sorted(totals.get("style", {}).items())),
            "train_styles": dict(sorted(totals.get("train_style", {}).items())),
            "sources": dict(sorted(totals.get("source", {}).items())),
            "meters": dict(sorted(totals.get("meter", {}).items())),
            "modes": dict(sorted(totals.get("mode", {}).items())),
            "harmony": dict(totals.get("harmony", {})),
            "skipped": dict(sorted(totals.get("skipped", {}).items())),
            "seed": config.seed,
            "config": {k: str(v) for k, v in asdict(config).items()},
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.time() - started, 1),
            "parse_seconds": round(parsed_at - started, 1),
            "processes": config.processes,
            "versions": _versions(),
        }
        write_json_atomic(tmp / MANIFEST, manifest)
        replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"corpus: {windows} windows at {out} in {manifest['build_seconds']} s")
    return manifest


def remove_stale(folder: Path, prefix: str) -> None:
    """Remove half-built folders ``<prefix><pid>`` left by builds that were killed."""
    for path in folder.glob(prefix + "*"):
        pid = path.name[len(prefix) :]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _collect(
    results: Any, totals: dict[str, Counter[str]], n: int, say: Callable[[str], None]
) -> None:
    for i, counts in enumerate(results):
        for k, v in counts.items():
            totals.setdefault(k, Counter()).update(v)
        if (i + 1) % 10 == 0 or i + 1 == n:
            windows = sum(totals.get("split", Counter()).values())
            say(f"chunks {i + 1}/{n}: {windows} windows")
