"""``multitrack chords SONG.mid [--json] [--min-beats BEATS]``: the recognised progression.

Reads any MIDI file (ours or a DAW's), recognises chord symbols from its chords and bass stems
(``multitrack.recognise``) and prints one row per chord: bar and beat counted from 1, and the
symbol, spelt in the file's key as a take's song.json is (C#m in A major). ``--json`` prints the rows as a list of ``{"bar": int, "beat": float, "symbol": str}``.

Which stems are read: by default the chords and bass stems; but a file whose pitched notes all
come from one instrument (a piano clip, which the stem splitter cuts into a top line, a middle
and a bass) and a file with neither chords nor bass are read whole. ``--stems`` says exactly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.arguments import finite_float

if TYPE_CHECKING:
    from multitrack.song import Song


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chords",
        help="print the chord progression recognised in a MIDI file",
        description=(
            "Recognise the chord symbols of a MIDI file from its chords and bass parts and "
            "print them with their bar and beat (counted from 1). See docs/chords.md."
        ),
    )
    p.add_argument("midi", type=Path, metavar="SONG.mid", help="a MIDI file")
    p.add_argument(
        "--json",
        action="store_true",
        help='print a JSON list of {"bar": int, "beat": float, "symbol": str}',
    )
    p.add_argument(
        "--min-beats",
        type=finite_float,
        metavar="BEATS",
        help="shortest chord in beats (default: half a bar in 4/4 and 6/8, one beat in 3/4 "
        "and 2/4)",
    )
    p.add_argument(
        "--stems",
        metavar="LIST",
        help="pitched stems to read, e.g. chords,bass or melody,chords,bass (default: chords "
        "and bass, or everything for a one-instrument file)",
    )
    p.set_defaults(func=run)


def _stems(args: argparse.Namespace, song: Song) -> tuple[str, ...]:
    """The stems to read chords from (see the module notes)."""
    from multitrack.errors import MusicError
    from multitrack.song import PITCHED_STEMS

    if args.stems is not None:
        names = tuple(s.strip() for s in args.stems.split(",") if s.strip())
        for name in names:
            if name not in PITCHED_STEMS:
                raise MusicError(
                    f"--stems: {name!r} is not a pitched stem; use {', '.join(PITCHED_STEMS)}"
                )
        if not names:
            raise MusicError("--stems needs at least one of " + ", ".join(PITCHED_STEMS))
        return names
    return clip_stems(args.midi, song)


def clip_stems(path: Path, song: Song) -> tuple[str, ...]:
    """The stems a MIDI clip's chords are read from when nobody says: its chords and bass,
    or every pitched stem for a one-instrument clip or one with neither (the module notes);
    ``multitrack chords`` and ``generate --chords-midi`` read a clip alike."""
    import mido

    from multitrack.song import PITCHED_STEMS
    from multitrack.stems_split import parts_from_midi

    parts = [p for p in parts_from_midi(mido.MidiFile(path)) if not p.is_drums]
    if len(parts) <= 1 or not (song.stems["chords"].notes or song.stems["bass"].notes):
        return PITCHED_STEMS
    return ("chords", "bass")


def run(args: argparse.Namespace) -> int:
    from multitrack.errors import MusicError
    from multitrack.midi_io import read_midi
    from multitrack.recognise import chord_rows, recognise_song

    song = read_midi(args.midi)
    meter = song.meter
    min_steps: int | None = None
    if args.min_beats is not None:
        steps = args.min_beats * meter.steps_per_beat
        if args.min_beats <= 0 or steps != int(steps):
            raise MusicError(
                f"--min-beats {args.min_beats:g} must be a positive number of beats on the "
                f"sixteenth grid (a {meter} beat is {meter.steps_per_beat} sixteenths)"
            )
        min_steps = int(steps)
        if min_steps > meter.steps_per_bar:
            raise MusicError(
                f"--min-beats {args.min_beats:g} is longer than a {meter} bar "
                f"({meter.steps_per_bar // meter.steps_per_beat:g} beats): a chord ends at the "
                "bar line"
            )
    spans = recognise_song(song, min_steps=min_steps, stems=_stems(args, song))
    rows = chord_rows(spans, meter)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    print(f"{'bar':>4}  {'beat':>5}  chord")
    for row in rows:
        print(f"{row['bar']:>4}  {row['beat']:>5g}  {row['symbol']}")
    return 0
