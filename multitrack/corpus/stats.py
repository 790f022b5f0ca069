"""Corpus statistics: counts from the manifest and the metrics of the held-out split.

The held-out windows' metrics become the reference set generated music is measured
against (``multitrack.reference.write_reference``), written to ``<corpus>/reference.json``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from multitrack.atomic import write_bytes_atomic
from multitrack.corpus.store import iter_examples, iter_shards, read_manifest
from multitrack.song import Song

COUNT_KEYS = ("splits", "styles", "train_styles", "sources", "meters", "modes", "harmony")


def held_out_songs(root: Path, *, limit: int) -> Iterator[Song]:
    """The first ``limit`` windows of the test split (shards are in piece order)."""
    for example in itertools.islice(iter_examples(root, "test"), limit):
        yield example.song


def corpus_stats(root: Path, *, limit: int = 2000, reference: Path | None = None) -> dict[str, Any]:
    """Counts and held-out metrics of a built corpus; writes ``root/reference.json`` (and a
    copy at ``reference`` when given). ``limit`` bounds the windows measured."""
    from multitrack.reference import REFERENCE_FILENAME, write_reference

    root = Path(root)
    manifest = read_manifest(root)
    ref = write_reference(
        root / REFERENCE_FILENAME,
        held_out_songs(root, limit=limit),
        source=f"multitrack corpus {root.name}: held-out split, first {limit} windows",
    )
    if reference is not None:
        Path(reference).parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(reference, (root / REFERENCE_FILENAME).read_bytes())
    metrics = {name: _summary(values) for name, values in ref.features.items() if values}
    stats: dict[str, Any] = {
        "windows": manifest["windows"],
        "tunes": manifest.get("tunes"),
        **{k: manifest.get(k, {}) for k in COUNT_KEYS},
        "skipped": manifest.get("skipped", {}),
        "seed": manifest.get("seed"),
        "built": manifest.get("built"),
        "build_seconds": manifest.get("build_seconds"),
        "parse_seconds": manifest.get("parse_seconds"),
        "processes": manifest.get("processes"),
        "versions": manifest.get("versions", {}),
        "held_out": {
            "windows": ref.count,
            "key_agreement": ref.key_agreement,
            "metrics": metrics,
        },
    }
    stats["form"] = form_stats(root)
    harmoniser = root / "harmoniser.json"
    if harmoniser.exists():
        import json

        stats["harmoniser"] = json.loads(harmoniser.read_text(encoding="utf-8"))
    return stats


def form_stats(root: Path) -> dict[str, Any]:
    """How much of the corpus carries form labels: windows by length, windows where a
    section letter returns, and the bars lying in returning sections (both splits)."""
    by_bars: dict[int, int] = {}
    returning = bars_total = bars_returning = labelled = 0
    for split in ("train", "test"):
        for shard in iter_shards(root, split):
            for bars, meta in zip(shard.bars.tolist(), shard.meta, strict=True):
                by_bars[bars] = by_bars.get(bars, 0) + 1
                sections = meta.get("sections", [])
                labelled += bool(sections)
                letters = [x[2] for x in sections]
                again = {x for x in letters if letters.count(x) > 1}
                returning += bool(again)
                bars_total += bars
                bars_returning += sum(x[1] for x in sections if x[2] in again)
    return {
        "windows_by_bars": dict(sorted(by_bars.items())),
        "windows_labelled": labelled,
        "windows_with_a_returning_section": returning,
        "bars": bars_total,
        "bars_in_returning_sections": bars_returning,
    }


def _summary(values: list[float]) -> dict[str, float]:
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / n
    return {"mean": round(mean, 4), "std": round(math.sqrt(var), 4), "n": n}


def format_stats(stats: dict[str, Any]) -> str:
    """A human-readable summary of ``corpus_stats``."""
    lines = [
        f"windows: {stats['windows']} ({', '.join(f'{k} {v}' for k, v in stats['splits'].items())})"
        f" from {stats.get('tunes')} tunes, seed {stats.get('seed')}, built {stats.get('built')}"
        f" in {stats.get('build_seconds')} s",
    ]
    for key in ("sources", "styles", "meters", "modes", "harmony"):
        items = sorted(stats.get(key, {}).items(), key=lambda kv: -kv[1])
        lines.append(f"{key} ({len(items)}): " + ", ".join(f"{k} {v}" for k, v in items))
    skipped = stats.get("skipped", {})
    lines.append(
        f"skipped: {sum(skipped.values())} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()))
        + ")"
    )
    held = stats["held_out"]
    lines.append(
        f"held-out metrics over {held['windows']} windows (key agreement {held['key_agreement']}):"
    )
    for name, s in held["metrics"].items():
        lines.append(f"  {name:22s} {s['mean']:9.4f} ± {s['std']:.4f}")
    if "form" in stats:
        lines.append(f"form: {stats['form']}")
    if "harmoniser" in stats:
        lines.append(f"harmoniser on chorales: {stats['harmoniser']}")
    return "\n".join(lines)
