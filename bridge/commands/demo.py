"""``multitrack demo --out DIR [--prompt P]``: the first thing ``make demo`` runs.

Until the model ships, it renders the built-in example song (8 bars, A minor, all four stems)
as a take and says where the files are; ``render_example`` does that part on its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multitrack.take import Take


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="make a first take to listen to (the built-in example song for now)",
        description=(
            "Write a take folder under --out: song.mid, four stem WAVs, preview.png and "
            "song.json. Until the model ships this renders the built-in example song and the "
            "prompt is only recorded."
        ),
    )
    p.add_argument("--out", type=Path, default=Path("out"), help="folder that holds the takes")
    p.add_argument("--prompt", default="", help="the prompt (recorded; the model comes later)")
    p.add_argument("--name", help="take folder name (default: next take-NNN)")
    p.add_argument("--soundfont", type=Path, help=".sf2/.sf3 to render with (default: TimGM6mb)")
    p.add_argument(
        "--sample-rate", type=int, default=44100, metavar="HZ", help="44100 (default) or 48000"
    )
    p.set_defaults(func=run)


def render_example(
    out: Path,
    *,
    name: str | None = None,
    prompt: str = "",
    soundfont: Path | None = None,
    sample_rate: int = 44100,
    progress: Callable[[float, str], None] | None = None,
) -> Take:
    """The built-in example song written as a new take under ``out``."""
    from multitrack.example import example_song
    from multitrack.take import write_take

    meta = {"requested_prompt": prompt, "model": None, "source": "built-in example song"}
    return write_take(
        example_song(),
        out,
        name=name,
        meta=meta,
        soundfont=soundfont,
        sample_rate=sample_rate,
        progress=progress,
    )


def run(args: argparse.Namespace) -> int:
    from bridge.commands.render import print_take, progress_bar

    if args.prompt:
        print("multitrack: no model yet; rendering the built-in example song", file=sys.stderr)
    with progress_bar("demo") as progress:
        take = render_example(
            args.out,
            name=args.name,
            prompt=args.prompt,
            soundfont=args.soundfont,
            sample_rate=args.sample_rate,
            progress=progress,
        )
    print_take(take)
    return 0
