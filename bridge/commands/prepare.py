"""``multitrack prepare MIDI_DIR --out DIR``: a user's MIDI library in the corpus format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="turn a folder of MIDI files into training windows",
        description="Read every .mid/.midi under MIDI_DIR, pick melody/chords/bass/drums per "
        "file, recognise chords, cut 4- and 8-bar windows with captions and write npz shards "
        "(the format of `multitrack corpus build`). Broken files are skipped and counted.",
    )
    parser.add_argument("midi_dir", type=Path, metavar="MIDI_DIR", help="folder of MIDI files")
    parser.add_argument("--out", type=Path, required=True, help="output corpus folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the caption draws")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from multitrack.corpus.prepare import PrepareConfig, prepare_corpus
    from multitrack.errors import MultitrackError

    if args.processes < 1:
        raise MultitrackError(f"--processes must be 1 or more, got {args.processes}")
    config = PrepareConfig(
        midi_dir=args.midi_dir, out=args.out, seed=args.seed, processes=args.processes
    )
    manifest = prepare_corpus(config, progress=lambda m: print(m, file=sys.stderr, flush=True))
    skipped = manifest["skipped"]
    print(
        f"{manifest['windows']} windows from {manifest['files_used']} of {manifest['files']} files "
        f"at {args.out}; skipped {sum(skipped.values())}"
        + (f" ({', '.join(f'{k}: {v}' for k, v in skipped.items())})" if skipped else "")
    )
    return 0
