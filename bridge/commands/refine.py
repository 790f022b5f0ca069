"""``multitrack refine TAKE FEEDBACK``: a new take from an earlier one and what the producer
said about it ("太沉闷了", "再欢快一点", "不够中国风", "more drums", "slower", "brighter").

The take's attributes are changed by the feedback (``models.text.feedback``). A plain take
(made from its prompt and seed) is generated again with them: its prompt and seed, the
changed tempo, key and stems. Any other take (an edit, a render, a later variation, a
refine) keeps its own notes at the new tempo (drums written in by the model when more are
asked of a take without them), unless the key or scale changes (``models.refinement.
resamples``). The changes the model is not told are then made on the notes
(``models.refinement.realise``), and the new take's song.json records the chain:
``refine.source``, ``refine.feedback``, ``refine.change``, ``refine.changed``,
``refine.notes``. The feedback also goes into the preference store (``multitrack prefs``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from models.request import DEFAULT_STEPS, CancelFn, ProgressFn

if TYPE_CHECKING:
    from models.pipeline import Pipeline
    from models.request import GenerateRequest
    from multitrack.take import Take

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "refine",
        help='a new take from an earlier one and feedback ("太沉闷了", "more drums")',
        description=(
            "Generate a new take from TAKE changed by relative FEEDBACK in Chinese or English: "
            "energy, tempo, brighter or darker, register, more or fewer drums, more Chinese. "
            "Try `multitrack parse --feedback TEXT` to see what a phrase changes."
        ),
    )
    p.add_argument("take", type=Path, help="the take folder the feedback is about")
    p.add_argument("feedback", nargs="+", help='e.g. "太沉闷了" or "more drums, slower"')
    p.add_argument("--out", type=Path, help="folder for the new take (default: TAKE's folder)")
    p.add_argument("--name", help="new take folder name (default: next take-NNN)")
    p.add_argument("--seed", type=int, help="random seed (default: the take's)")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampler steps")
    p.add_argument("--checkpoint", type=Path, help="model checkpoint (default: the shipped one)")
    p.add_argument("--soundfont", type=Path, help=".sf2/.sf3 to render with")
    p.add_argument("--sample-rate", type=int, default=44100, choices=(44100, 48000))
    p.add_argument("--json", action="store_true", help="print song.json instead of a summary")
    p.set_defaults(func=run)


def refine_take(
    pipeline: Pipeline,
    source_dir: Path,
    feedback: str,
    out_root: Path,
    *,
    name: str | None = None,
    seed: int | None = None,
    steps: int = DEFAULT_STEPS,
    progress: ProgressFn | None = None,
    cancelled: CancelFn | None = None,
    soundfont: Path | None = None,
    sample_rate: int = 44100,
) -> Take:
    """A new take under ``out_root`` from the take in ``source_dir`` and ``feedback``, for
    ``multitrack refine`` and OSC ``/multitrack/refine`` alike; the feedback also goes into
    the preference store (a store that cannot be written only warns)."""
    from bridge.service import take_meta
    from models import refinement as rf
    from models.request import Cancelled
    from multitrack.take import read_take, write_take

    song, record = read_take(source_dir)
    refinement = rf.plan_refinement(song, record, feedback)
    if progress is not None:
        progress(0.0, "refining")
    sampled = rf.resamples(refinement)
    request: GenerateRequest | None
    if sampled:
        chords = rf.typed_chords(song, refinement, record)
        request = rf.refine_request(refinement, record, seed=seed, steps=steps, chords=chords)
    else:  # its own notes, changed
        request = rf.notes_request(song, refinement, record, steps=steps)
    if request is not None:
        gen = pipeline.generate(request, progress=progress, cancelled=cancelled)
        if cancelled is not None and cancelled():
            raise Cancelled("cancelled")
        base, meta = gen.song, take_meta(request, gen, pipeline)
    else:
        base = rf.kept_notes(song, refinement)
        meta = {key: record[key] for key in ("prompt", "seed", "model") if key in record}
    new_song = rf.realise(base, refinement, seed=int(meta.get("seed") or 0))
    meta = {**meta, **rf.chain_meta(refinement, source_dir, record, sampled=sampled)}

    def write_progress(fraction: float, stage: str) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("cancelled")
        if progress is not None:
            progress(0.8 + 0.2 * fraction, stage)

    take = write_take(new_song, out_root, name=name, meta=meta, soundfont=soundfont,
                      sample_rate=sample_rate, progress=write_progress)  # fmt: skip
    _remember(out_root, record, feedback, refinement.change.to_json(), take.dir.name)
    return take


def run(args: argparse.Namespace) -> int:
    from bridge.service import load_pipeline
    from models.refinement import plan_refinement
    from models.request import SEED, STEPS
    from multitrack.errors import OutputError
    from multitrack.take import read_take

    feedback = " ".join(args.feedback)
    STEPS.check(args.steps)  # as OSC refine checks them, before the model loads
    if args.seed is not None:
        SEED.check(args.seed)
    if not args.take.is_dir():
        raise OutputError(f"no take {args.take}: there is no such folder to refine")
    song, record = read_take(args.take)
    plan_refinement(song, record, feedback)  # bad feedback: refused before the model loads
    out_root = args.out if args.out is not None else args.take.parent
    pipeline = load_pipeline(args.checkpoint)
    take = refine_take(pipeline, args.take, feedback, out_root, name=args.name, seed=args.seed,
                       steps=args.steps, soundfont=args.soundfont,
                       sample_rate=args.sample_rate)  # fmt: skip
    new_record = json.loads(take.files["json"].read_text(encoding="utf-8"))
    if args.json:
        print(json.dumps(new_record, ensure_ascii=False, indent=2))
        return 0
    print(f"take: {take.dir}  (refined from {args.take})")
    for line in new_record["refine"]["changed"] or ["(nothing changed)"]:
        print(f"  {line}")
    return 0


def _remember(
    root: Path, record: dict[str, object], feedback: str, change: dict[str, object], new: str
) -> None:
    """Feedback into the preference store; a store that cannot be written only warns (the
    take is already written, and preferences never block generation)."""
    from multitrack.errors import MultitrackError
    from multitrack.prefs import PreferenceStore

    try:
        store = PreferenceStore.open(root)
        store.add_feedback(str(record.get("take") or ""), feedback, change, new_take=new)
    except MultitrackError as exc:
        print(f"multitrack: warning: {exc}", file=sys.stderr)
