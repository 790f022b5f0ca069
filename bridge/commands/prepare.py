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
        "file, recognise chords, cut 4- to 32-bar windows with captions and write npz shards "
        "(the format of `multitrack corpus build`). Broken files are skipped and counted. "
        "Then fine-tune the shipped model on it: `multitrack train --corpus OUT --init-from "
        "<the shipped multitrack.pt> --out MODEL_DIR` (README, 'Your own library').",
    )
    parser.add_argument("midi_dir", type=Path, metavar="MIDI_DIR", help="folder of MIDI files")
    parser.add_argument("--out", type=Path, required=True, help="output corpus folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the caption draws")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--style",
        default=None,
        help="label every window with one of the model's styles (e.g. jazz, bossa_nova, 国风): "
        "a model fine-tuned on it plays your library when a prompt names that style; "
        "unlabelled, when a prompt names none",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from multitrack.corpus.prepare import PrepareConfig, prepare_corpus
    from multitrack.errors import MultitrackError

    if args.processes < 1:
        raise MultitrackError(f"--processes must be 1 or more, got {args.processes}")
    config = PrepareConfig(
        midi_dir=args.midi_dir,
        out=args.out,
        seed=args.seed,
        processes=args.processes,
        style=None if args.style is None else style_id(args.style),
    )
    manifest = prepare_corpus(config, progress=lambda m: print(m, file=sys.stderr, flush=True))
    skipped = manifest["skipped"]
    print(
        f"{manifest['windows']} windows from {manifest['files_used']} of {manifest['files']} files "
        f"at {args.out} ({_splits(manifest)}); skipped {sum(skipped.values())}"
        + (f" ({', '.join(f'{k}: {v}' for k, v in skipped.items())})" if skipped else "")
    )
    return 0


def _splits(manifest: dict[str, Any]) -> str:
    from multitrack.corpus.prepare import MIN_HELD_OUT_FILES

    splits = manifest["splits"]
    train, test = splits.get("train", 0), splits.get("test", 0)
    if not manifest.get("held_out", True):
        return (
            f"all {train} to train on: a library of fewer than {MIN_HELD_OUT_FILES} files "
            "holds none out"
        )
    return f"{train} to train on, {test} held out"


def style_id(text: str) -> str:
    """A style named by its id, English or Chinese name, in any case, with spaces or hyphens
    for underscores ("Bossa Nova" -> "bossa_nova"), or by any genre word a prompt may use for
    it ("lo-fi hip hop", "爵士乐", "big band"); ``MultitrackError`` naming the ids."""
    from models.text.lexicon import LEXICON, normalise_term
    from multitrack.errors import MultitrackError
    from multitrack.styles import STYLES

    wanted = text.strip().lower().replace("-", " ").replace("_", " ")
    for s in STYLES:
        names = (s.id.replace("_", " "), s.english.lower(), s.chinese)
        if wanted in names:
            return s.id
    # the prompt parser's words for a style; a hint ("jazzy", "拉丁") names none
    named = {
        sense.value
        for sense in LEXICON.get(normalise_term(text), ())
        if sense.field == "style" and not sense.weak
    }
    if len(named) == 1:
        return named.pop()
    raise MultitrackError(
        f"--style: unknown style {text!r}; known: {', '.join(s.id for s in STYLES)}"
    )
