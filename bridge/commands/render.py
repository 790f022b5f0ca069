"""``multitrack render SONG.mid --out DIR``: a take (stems, preview, song.json) from any MIDI.

The stems are picked from the file's tracks (``multitrack.stems_split``); chord symbols come
from the file's markers, or are recognised from its chords and bass when it has none.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multitrack.take import Take


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="render a MIDI file to a take: four stem WAVs, preview, song.json",
        description=(
            "Read any MIDI file (type 0 or 1), sort its parts into melody, chords, bass and "
            "drums, and write a new take folder under --out: song.mid, one 24-bit WAV per stem "
            "(all the same length, from bar 1 beat 1), preview.png and song.json with the chord "
            "symbols (from the file's markers, or recognised)."
        ),
    )
    p.add_argument("midi", type=Path, metavar="SONG.mid", help="the MIDI file to render")
    p.add_argument("--out", type=Path, required=True, help="folder that holds the takes")
    p.add_argument("--name", help="take folder name (default: next take-NNN)")
    p.add_argument("--soundfont", type=Path, help=".sf2/.sf3 to render with (default: TimGM6mb)")
    p.add_argument(
        "--sample-rate", type=int, default=44100, metavar="HZ", help="44100 (default) or 48000"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from multitrack.midi_io import read_midi
    from multitrack.recognise import recognise_song
    from multitrack.render import check_sample_rate
    from multitrack.take import write_take

    check_sample_rate(args.sample_rate)  # before reading anything
    song = read_midi(args.midi)
    recognised = not song.chords
    if recognised:
        song = replace(song, chords=recognise_song(song))
    meta = {"source": str(args.midi), "chords_from": "recognised" if recognised else "markers"}
    with progress_bar("rendering") as progress:
        take = write_take(
            song,
            args.out,
            name=args.name,
            meta=meta,
            soundfont=args.soundfont,
            sample_rate=args.sample_rate,
            progress=progress,
        )
    print_take(take)
    return 0


@contextmanager
def progress_bar(desc: str) -> Iterator[Callable[[float, str], None]]:
    """A ``progress(fraction, stage)`` callback drawing a tqdm bar on stderr (a terminal
    only)."""
    from tqdm import tqdm

    with tqdm(total=100, desc=desc, unit="%", file=sys.stderr, leave=False, disable=None) as bar:

        def progress(fraction: float, stage: str) -> None:
            bar.set_postfix_str(stage)
            bar.update(max(0, round(fraction * 100) - bar.n))

        yield progress


def print_take(take: Take) -> None:
    """Where the files are, and what the take holds, on stdout."""
    import json

    record = json.loads(take.files["json"].read_text(encoding="utf-8"))
    chords = " ".join(row["symbol"] for row in record.get("chords", [])) or "(none)"
    print(f"take: {take.dir}")
    print(f"  {record['key']}, {record['tempo']:g} BPM, {record['meter']}, {record['bars']} bars")
    print(f"  chords: {chords}")
    from multitrack.stems import STEMS

    for key in ("midi", *STEMS, "preview", "json"):
        print(f"  {key:8s}{take.files[key]}")
