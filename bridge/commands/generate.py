"""``multitrack generate``: a new take from a prompt, or an edit of an earlier take."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.arguments import add_precision, finite_float
from models.request import DEFAULT_STEPS
from multitrack.errors import MultitrackError

PREVIEW_SECONDS = 60  # a detached preview drawing that takes longer is killed

if TYPE_CHECKING:
    from models.request import GenerateRequest
    from multitrack.take import Take


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="generate four stems from a prompt (or edit a take)",
        description=(
            "Generate melody, chords, bass and drums from a Chinese or English prompt into a new "
            "take folder under --out. Edit an earlier take with --from and --keep / --repaint / "
            "--chords / --chords-midi."
        ),
    )
    p.add_argument(
        "prompt",
        help='e.g. "lo-fi hip hop in A minor, 85 bpm" or "一段舒缓的古筝独奏"; with --from, "" '
        "keeps the take's own prompt",
    )
    p.add_argument("--out", type=Path, default=Path("out"), help="folder that holds the takes")
    p.add_argument("--name", help="take folder name (default: next take-NNN)")
    p.add_argument("--bars", type=int, help="length in bars (1-64)")
    p.add_argument(
        "--seed",
        type=int,
        help="random seed, same seed same music (default: drawn from the prompt; --from: the take's)",
    )
    p.add_argument("--bpm", type=finite_float, help="tempo, overrides the prompt")
    p.add_argument("--key", help='key, overrides the prompt: "A minor", "Eb", "F#m"')
    p.add_argument("--meter", help="4/4, 3/4, 2/4 or 6/8, overrides the prompt")
    p.add_argument(
        "--guidance", type=finite_float, help="classifier-free guidance scale (default 2)"
    )
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                   help=f"sampler steps (default {DEFAULT_STEPS}; 8-50 is typical)")  # fmt: skip
    p.add_argument("--stems", help="stems that play, e.g. melody,chords,bass")
    p.add_argument("--from", dest="source", type=Path, help="an earlier take folder to edit")
    p.add_argument("--keep", help="with --from: stems kept note for note, e.g. chords,bass")
    p.add_argument("--repaint", help="with --from: bars to regenerate, e.g. 5-8")
    p.add_argument(
        "--chords",
        help='force a progression: "Am F C G" (a bar each), "Am:2 F:2", "I V vi IV" (the key\'s)',
    )
    p.add_argument("--chords-midi", type=Path, help="force the progression of an edited chord clip")
    p.add_argument(
        "--form", help='sections, e.g. "AABA", "intro A A B A outro", "主歌-副歌-主歌-副歌"'
    )
    p.add_argument("--variations", type=int, default=1, help="takes from one request (1-8)")
    p.add_argument("--extend", type=int, help="with --from: bars added after the take")
    p.add_argument("--intro", type=int, help="with --from: bars added before the take")
    p.add_argument("--checkpoint", type=Path, help="model checkpoint (default: the shipped one)")
    p.add_argument("--soundfont", type=Path, help=".sf2/.sf3 to render with")
    p.add_argument("--sample-rate", type=int, default=44100, choices=(44100, 48000))
    add_precision(p)
    p.add_argument(
        "--local",
        action="store_true",
        help="run here even when a multitrack serve owning --out answers on port 9000",
    )
    p.add_argument("--json", action="store_true", help="print song.json instead of a summary")
    p.add_argument("--timings", action="store_true", help=argparse.SUPPRESS)  # stage seconds
    p.set_defaults(func=run)


def build_request(args: argparse.Namespace) -> GenerateRequest:
    """CLI flags -> the typed ``Ask`` (reading --chords-midi and --from) -> the request,
    through the same ``models.request.build_request`` the OSC server uses."""
    from bridge.protocol import MAX_PROMPT_CHARS
    from models.request import Ask, build_request, parse_bar_range, parse_stem_list
    from multitrack.progression import read_progression
    from multitrack.song import Meter
    from multitrack.theory import Key

    if len(args.prompt) > MAX_PROMPT_CHARS:  # the limit OSC keeps (only 1,000 are read)
        raise MultitrackError(
            f"the prompt is {len(args.prompt)} characters; at most {MAX_PROMPT_CHARS}"
        )
    chord_spans = None
    if args.chords_midi is not None:
        from bridge.commands.chords import clip_stems
        from multitrack.midi_io import read_midi
        from multitrack.recognise import recognise_song

        clip = read_midi(args.chords_midi)
        chord_spans = recognise_song(clip, stems=clip_stems(args.chords_midi, clip))
        # an empty, drums-only or chordless clip reads as N.C. throughout: nothing to force
        if all(span.chord.root is None for span in chord_spans):
            raise MultitrackError(f"{args.chords_midi}: no chords recognised in the clip")
    if args.keep is not None and not args.keep.strip():
        raise MultitrackError("--keep needs stem names, e.g. chords,bass")
    if args.chords is not None and not args.chords.strip():
        raise MultitrackError("the chord progression is empty")
    if args.stems is not None and not args.stems.strip():
        raise MultitrackError("--stems needs stem names, e.g. melody,chords,bass")
    for flag, added in (("--extend", args.extend), ("--intro", args.intro)):
        if added is not None and added < 1:
            raise MultitrackError(f"{flag} adds at least 1 bar, got {added}")
    if args.source is not None:
        fixed = [flag for flag, value in (("--bars", args.bars), ("--bpm", args.bpm),
                 ("--key", args.key), ("--meter", args.meter), ("--form", args.form))
                 if value is not None]  # fmt: skip
        if fixed:
            raise MultitrackError(
                f"{' and '.join(fixed)} cannot change a take being edited: --from keeps its "
                "length, tempo, key, meter and sections (add bars with --extend or --intro)"
            )
    ask = Ask(
        prompt=args.prompt,
        bars=args.bars,
        seed=args.seed,
        bpm=args.bpm,
        key=None if args.key is None else Key.parse(args.key),
        meter=None if args.meter is None else Meter.parse(args.meter),
        guidance=args.guidance,
        steps=args.steps,
        stems=parse_stem_list(args.stems) if args.stems else None,
        keep=parse_stem_list(args.keep) if args.keep else (),
        repaint=parse_bar_range(args.repaint) if args.repaint else None,
        progression=None if args.chords is None else read_progression(args.chords),
        chord_spans=chord_spans,
        form=None if args.form is None else _form(args.form),
        extend=args.extend or 0,
        prepend=args.intro or 0,
        variations=args.variations,
    )
    if args.source is None:
        return build_request(ask)
    from multitrack.take import read_take

    return build_request(ask, read_take(args.source))


def _form(text: str) -> str:
    from multitrack.form import form_letters

    form_letters(text)  # an unknown section word is a one-line error before the model loads
    return text


def run(args: argparse.Namespace) -> int:
    from multitrack.take import check_not_a_take, check_take_name

    lap = Laps()
    check_not_a_take(args.out)  # before the model loads
    if args.name is not None:
        check_take_name(args.name)
    request = build_request(args)
    if not request.prompt.strip() and request.source is None and not request.forces_chords:
        raise MultitrackError('the prompt is empty; describe the music, e.g. "upbeat pop in C"')
    lap("request")
    _warm_text(request.prompt)
    from bridge.handoff import hand_off

    take_dir = hand_off(args)  # a warm server owning --out makes it in a fraction of the time
    lap("handoff")
    take: Take | None = None
    if take_dir is None:
        take = _generate_here(args, request, lap)
        take_dir = take.dir
    try:
        code = _print_take(take_dir, as_json=args.json)
    except BrokenPipeError:
        if take is not None:  # the reader went away: the take still gets its preview
            from multitrack.take import finish_take

            finish_take(take)
        raise
    if take is not None:
        _finish(take, detach=getattr(args, "from_shell", False))
        lap("preview")
    if args.timings:
        print(json.dumps({"stages": lap.seconds}), file=sys.stderr)
    return code


def _finish(take: Take, *, detach: bool) -> None:
    """Draw the take's preview.png, once the take is in place and announced. ``detach``: in
    a forked child, so the command returns as soon as the files a DAW needs are there
    (matplotlib's first figure costs ~0.5 s of a cold command); the picture appears, written
    atomically, a moment later. A failure there leaves the take without its preview."""
    from multitrack.take import finish_take

    if not detach or not take.pending or not hasattr(os, "fork"):
        finish_take(take)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() != 0:
        return
    try:  # the child: no output, no cleanup handlers of the parent's, a bounded life
        # Let go of the inherited stdin, stdout and stderr: a caller reading the command's
        # output through a pipe (a script, a shell pipeline) sees its end when the
        # command exits, not when the preview is drawn (0.45-0.8 s later, measured).
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.setsid()
        signal.alarm(PREVIEW_SECONDS)
        logging.disable(logging.CRITICAL)
        finish_take(take)
    finally:
        os._exit(0)


def _warm_text(prompt: str) -> None:
    """Read the prompt (jieba, and the sentence encoder if the lexicon falls short) in a
    thread while this one probes for a server and imports torch: on 2 cores a cold Chinese
    prompt's ~1 s of text loading then mostly hides behind the import."""
    if not prompt.strip():
        return

    def work() -> None:
        from models.text import warm_text

        try:
            warm_text(prompt)
        except Exception:  # the generate call reads the prompt again and reports properly
            logging.getLogger(__name__).debug("warming the text side failed", exc_info=True)

    threading.Thread(target=work, name="warm-text", daemon=True).start()


class Laps:
    """Seconds between named points of a command (``--timings``; bench/cold_start.py)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 4)
        self._last = now


def _generate_here(args: argparse.Namespace, request: GenerateRequest, lap: Laps) -> Take:
    from tqdm import tqdm

    from bridge.service import generate_take, load_pipeline

    lap("import")
    pipeline = load_pipeline(args.checkpoint, precision=args.precision)
    lap("model load")
    # disable=None: no bar when stderr is not a terminal (scripts, DAWs, logs)
    with tqdm(
        total=100, desc="generating", unit="%", file=sys.stderr, leave=False, disable=None
    ) as bar:

        def progress(fraction: float, stage: str) -> None:
            bar.set_postfix_str(stage)
            bar.update(max(0, round(fraction * 100) - bar.n))

        take = generate_take(
            pipeline,
            request,
            args.out,
            name=args.name,
            progress=progress,
            soundfont=args.soundfont,
            sample_rate=args.sample_rate,
            defer_preview=True,  # drawn after the summary is printed
        )
    lap("generate and write")
    return take


def _print_take(take_dir: Path, *, as_json: bool) -> int:
    from multitrack.take import FILES

    record = json.loads((take_dir / FILES["json"]).read_text(encoding="utf-8"))
    if as_json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    chords = " ".join(row["symbol"] for row in record.get("chords", []))
    print(f"take: {take_dir}")
    if record.get("variations"):
        last = int(record["variations"])
        more = f"{take_dir.name}-2" + (f" .. {take_dir.name}-{last}" if last > 2 else "")
        print(f"  variations: {more}")
    if record.get("sections"):
        print("  sections: " + " ".join(row["label"] for row in record["sections"]))
    print(f"  {record['key']}, {record['tempo']:g} BPM, {record['meter']}, {record['bars']} bars")
    print(f"  chords: {chords}")
    attributes = record.get("attributes") or {}
    for line in attributes.get("conflicts") or () if isinstance(attributes, dict) else ():
        # a named stem that came out silent; an edit keeping its take's instruments and style
        # (models.editing.band_kept) where the prompt named others
        if str(line).startswith("stems:") or " plays on, not " in line or "take stays" in line:
            print(f"  note: {line}")
    from multitrack.stems import STEMS

    files = record.get("files") or FILES
    for stem in ("midi", *STEMS, "ambience", "preview"):
        if stem in files or stem in FILES:
            print(f"  {stem:9s}{take_dir / files.get(stem, FILES.get(stem, ''))}")
    return 0
