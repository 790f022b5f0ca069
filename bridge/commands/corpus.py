"""``multitrack corpus build`` and ``multitrack corpus stats``: the training corpus."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("data/corpus")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("corpus", help="build or describe the training corpus")
    sub = parser.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    build = sub.add_parser(
        "build",
        help="build the corpus from the music21 corpus and MMA grooves",
        description="Parse the music21 melodies (cached), harmonise them, render MMA "
        "accompaniment and write npz shards (train/test split by piece).",
    )
    build.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="corpus folder (replaced when done)"
    )
    build.add_argument("--seed", type=int, default=0, help="seed of every random draw")
    build.add_argument("--processes", type=int, default=2, help="worker processes")
    build.add_argument("--cache", type=Path, default=Path("data/cache"), help="parsed-tune cache")
    build.add_argument("--limit-files", type=int, default=None, help="only the first N ABC files")
    build.add_argument("--limit-chorales", type=int, default=None, help="only N chorales")
    build.add_argument("--limit-tunes", type=int, default=None, help="only the first N tunes")
    build.set_defaults(func=run_build)
    stats = sub.add_parser(
        "stats",
        help="counts per source/style/meter/mode and metrics of the held-out split",
    )
    stats.add_argument("--corpus", type=Path, default=DEFAULT_OUT, help="corpus folder")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    stats.add_argument(
        "--reference", type=Path, default=None,
        help="where to write the metrics reference (default CORPUS/reference.json)",
    )  # fmt: skip
    stats.add_argument("--limit", type=int, default=2000, help="held-out windows measured")
    stats.set_defaults(func=run_stats)


def _check_positive(name: str, value: int | None) -> None:
    from multitrack.errors import MultitrackError

    if value is not None and value < 1:
        raise MultitrackError(f"{name} must be 1 or more, got {value}")


def run_build(args: argparse.Namespace) -> int:
    from multitrack.corpus.build import BuildConfig, build_corpus

    for name in ("processes", "limit_files", "limit_chorales", "limit_tunes"):
        _check_positive("--" + name.replace("_", "-"), getattr(args, name))
    config = BuildConfig(
        out=args.out,
        seed=args.seed,
        processes=args.processes,
        cache_dir=args.cache,
        limit_files=args.limit_files,
        limit_chorales=args.limit_chorales,
        limit_tunes=args.limit_tunes,
    )
    manifest = build_corpus(config, progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(
        f"{manifest['windows']} windows ({manifest['splits'].get('train', 0)} train, "
        f"{manifest['splits'].get('test', 0)} test) over {len(manifest['styles'])} styles "
        f"at {args.out} in {manifest['build_seconds']} s"
    )
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from multitrack.corpus.stats import corpus_stats, format_stats

    _check_positive("--limit", args.limit)
    stats = corpus_stats(args.corpus, limit=args.limit, reference=args.reference)
    text = json.dumps(stats, ensure_ascii=False, indent=1)
    if args.out is not None:
        from multitrack.corpus.store import write_json_atomic

        write_json_atomic(args.out, stats)
    print(text if args.json else format_stats(stats))
    return 0
