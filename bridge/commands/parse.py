"""``multitrack parse PROMPT [--json]``: what the prompt parser understands.

Prints the attributes a prompt asks for (key, tempo, meter, length, style, a GM program per
stem, the stems that play, mood, energy, dynamics) and the account of the parse: what was
understood, what was ignored, which contradictions were settled and how, and the sentence
embedding's nearest styles and moods. ``--json`` prints the very record that goes into
song.json and the bridge's ``accepted`` reply. ``--bars/--bpm/--key/--meter/--stems`` override
the prompt exactly as they do for ``multitrack generate``. ``--feedback "太沉闷了"`` reads relative
feedback on a take (``multitrack refine``) and shows the change and the attributes after it;
a prompt that reads as feedback by itself ("再欢快一点", "more drums") shows its change too.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bridge.arguments import finite_float


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parse",
        help="show what a prompt asks for (key, tempo, style, instruments, stems, mood)",
        description=(
            "Read a Chinese, English or mixed prompt into the attributes the model is "
            "conditioned on, and say what was understood and what was ignored. "
            "See docs/prompts.md."
        ),
    )
    p.add_argument("prompt", nargs="+", metavar="PROMPT", help="the prompt (quote it, or not)")
    p.add_argument("--json", action="store_true", help="print the attributes as JSON")
    p.add_argument("--bars", type=int, metavar="N", help="length in bars (overrides the prompt)")
    p.add_argument("--bpm", type=finite_float, metavar="BPM", help="tempo (overrides the prompt)")
    p.add_argument("--key", metavar="KEY", help="key, e.g. 'A minor' or Eb (overrides)")
    p.add_argument("--meter", metavar="N/D", help="4/4, 3/4, 2/4 or 6/8 (overrides)")
    p.add_argument("--stems", metavar="LIST", help="stems that play, e.g. melody,chords")
    p.add_argument(
        "--feedback",
        metavar="TEXT",
        help='relative feedback on a take, e.g. "太沉闷了" or "more drums": show the change',
    )
    p.add_argument(
        "--no-embedding",
        action="store_true",
        help="lexicon only: skip the sentence embedding (no nearest styles/moods)",
    )
    p.set_defaults(func=run)


def _format(record: dict[str, Any]) -> str:
    from models.text.instruments import GM_NAMES

    def show(value: Any) -> str:
        return "-" if value is None else str(value)

    # a drum part's program picks a kit (GS numbering), not a GM instrument
    kits = {0: "Standard Kit", 8: "Room Kit", 16: "Power Kit", 24: "Electronic Kit",
            25: "TR-808 Kit", 32: "Jazz Kit", 40: "Brush Kit", 48: "Orchestra Kit"}  # fmt: skip
    programs = ", ".join(
        f"{stem} {p} {kits.get(p, 'Kit') if stem == 'drums' else GM_NAMES[p]}"
        for stem, p in record["programs"].items()
    )
    lines = [
        f"key       {show(record['key'])}",
        f"bpm       {show(record['bpm'])}",
        f"meter     {show(record['meter'])}",
        f"bars      {show(record['bars'])}",
        f"style     {show(record['style'])}",
        f"programs  {programs}",
        f"stems     {', '.join(record['stems'])}",
        f"mood      {show(record['mood'])}",
        f"energy    {show(record['energy'])}",
        f"dynamics  {show(record['dynamics'])}",
        "understood:",
        *(f"  {line}" for line in record["understood"] or ["(nothing)"]),
        f"ignored:  {' | '.join(record['ignored']) or '(nothing)'}",
        "conflicts:",
        *(f"  {line}" for line in record["conflicts"] or ["(none)"]),
    ]
    nearest = record["nearest"]
    if nearest.get("style") or nearest.get("mood"):
        for name in ("style", "mood"):
            ranked = ", ".join(f"{d['id']} {d['score']:.2f}" for d in nearest.get(name, []))
            lines.append(f"nearest {name:5s} {ranked}  (to “{nearest.get('text', '')}”)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from models.request import parse_stem_list
    from models.text import apply_overrides, parse_prompt

    prompt = " ".join(args.prompt)
    attrs = parse_prompt(prompt, use_embedding=not args.no_embedding)
    attrs = apply_overrides(
        attrs,
        bars=args.bars,
        bpm=args.bpm,
        key=args.key,
        meter=args.meter,
        stems=None if args.stems is None else parse_stem_list(args.stems),
    )
    from models.text.feedback import apply_feedback, parse_feedback

    change = parse_feedback(args.feedback if args.feedback is not None else prompt)
    if args.feedback is not None:
        attrs = apply_feedback(attrs, change)
    record = attrs.to_json()
    if args.feedback is not None or not change.empty:
        record["feedback"] = change.to_json()
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        print(_format(record))
        if "feedback" in record:
            print("feedback:")
            for line in change.understood or ["(nothing understood)"]:
                print(f"  {line}")
            if change.ignored:
                print(f"  ignored: {' | '.join(change.ignored)}")
    return 0
