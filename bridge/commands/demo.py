"""``multitrack demo --out DIR [--prompt P]``: the first thing ``make demo`` runs.

Generates a take from the prompt with the shipped model and says where the files are. Without
a checkpoint (a checkout that has not trained one) it renders the built-in example song
instead, and says so; ``render_example`` does that part on its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multitrack.take import Take


# Guofeng pop for a full band: all four stems play (the old guzheng-solo default left bass
# and drums silent). `make demo` (seed 0, FluidR3_GM.sf2): melody -22.8, chords -22.0, bass
# -21.7, drums -25.6 dBFS RMS.
DEFAULT_PROMPT = "国风流行歌,古筝和笛子,贝斯和鼓"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="make a first take to listen to from a default prompt",
        description=(
            "Generate a take folder under --out from --prompt with the shipped model: song.mid, "
            "four stem WAVs, preview.png and song.json."
        ),
    )
    p.add_argument("--out", type=Path, default=Path("out"), help="folder that holds the takes")
    p.add_argument("--prompt", default=DEFAULT_PROMPT, help="the prompt")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--name", help="take folder name (default: next take-NNN)")
    p.add_argument(
        "--soundfont",
        type=Path,
        help=".sf2/.sf3 to render with (default: FluidR3_GM.sf2 when installed, else TimGM6mb)",
    )
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
    from models.checkpoint import DEFAULT_CHECKPOINT
    from multitrack.render import best_soundfont

    if args.soundfont is None:
        args.soundfont = best_soundfont()
    print(f"soundfont: {args.soundfont}", file=sys.stderr)

    if DEFAULT_CHECKPOINT.is_file():
        from bridge.service import generate_take, load_pipeline
        from models.request import GenerateRequest

        print(f"prompt: {args.prompt}", file=sys.stderr)
        request = GenerateRequest(args.prompt, seed=args.seed)
        with progress_bar("demo") as progress:
            take = generate_take(
                load_pipeline(),
                request,
                args.out,
                name=args.name,
                progress=progress,
                soundfont=args.soundfont,
                sample_rate=args.sample_rate,
            )
        print_take(take)
        return 0
    print("multitrack: no checkpoint; rendering the built-in example song", file=sys.stderr)
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
