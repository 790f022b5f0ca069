"""``multitrack eval TAKE_OR_MIDI... [--reference DIR_OR_JSON] [--json] [--key KEY]``.

Scores take folders and MIDI files with the musical metrics (docs/metrics.md): per input, the
key music21 finds against the asked one, tempo/meter/bars/programs read back from the MIDI
file itself, and every feature; then the mean over the inputs and, with a reference set, each
feature's mean against the reference's with their overlapped area (OA) and the mean OA.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multitrack.errors import MidiFileError

if TYPE_CHECKING:
    from multitrack.reference import Reference
    from multitrack.song import Song
    from multitrack.theory import Key

MAX_COLUMNS = 4  # inputs shown side by side in the table; more show as mean/min/max


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score takes or MIDI files with the musical metrics",
        description=(
            "Score take folders (song.json + song.mid) and .mid files: key agreement, tempo/"
            "meter/bars/programs read back from the MIDI, MuseGAN's EB/UPC/QN/DP/TD, chord-"
            "tone ratio, pitch-class entropy, groove consistency and more (docs/metrics.md); "
            "with --reference, each feature against a reference set with its overlapped area."
        ),
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="TAKE_OR_MIDI", help="take or .mid")
    p.add_argument(
        "--reference",
        type=Path,
        metavar="DIR_OR_JSON",
        help="a reference set: reference.json, a folder holding one, or a folder of takes/.mid",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--key",
        metavar="KEY",
        help='the asked key, e.g. "A minor" or "D zhi" (default: a take\'s own key, or the '
        "MIDI key signature)",
    )
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Source:
    """One input: a take folder or a MIDI file, read."""

    path: Path
    kind: str  # "take" | "midi"
    song: Song
    midi: Path
    asked_key: Key | None
    expected: dict[str, Any]  # what the take says it holds: tempo, meter, bars, programs


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from multitrack.theory import Key

    key = Key.parse(args.key) if args.key is not None else None
    paths = [_checked(p) for p in args.inputs]
    reference = _load_reference(args.reference) if args.reference is not None else None
    results = []
    for path in tqdm(
        paths, desc="eval", unit="song", file=sys.stderr, disable=len(paths) < 2 or None
    ):
        results.append(evaluate(read_source(path, key=key)))
    report = build_report(results, reference)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    return 0


def _checked(path: Path) -> Path:
    if path.is_dir() or (path.is_file() and path.suffix.lower() in (".mid", ".midi")):
        return path
    if not path.exists():
        raise MidiFileError(f"{path}: no such take folder or MIDI file")
    raise MidiFileError(f"{path} is neither a take folder nor a .mid file")


def read_source(path: Path, *, key: Key | None = None) -> Source:
    """Read a take folder (through ``multitrack.take.read_take``) or a MIDI file."""
    from multitrack.midi_io import read_midi
    from multitrack.readback import read_midi_facts

    if path.is_dir():
        from multitrack.take import read_take

        song, meta = read_take(path)
        files = meta.get("files") if isinstance(meta.get("files"), dict) else {}
        midi = path / str((files or {}).get("midi", "song.mid"))
        expected = {
            "tempo": float(meta.get("tempo", song.tempo)),
            "meter": str(meta.get("meter", song.meter)),
            "bars": int(meta.get("bars", song.bars)),
            "programs": dict(meta.get("programs", song.programs)),
        }
        return Source(path, "take", song, midi, key or song.key, expected)  # song.json's key
    song = read_midi(path)
    # without a key signature the reader guessed the key from the notes: nothing was asked
    signed = read_midi_facts(path).key_signature is not None
    return Source(path, "midi", song, path, key or (song.key if signed else None), {})


def evaluate(source: Source) -> dict[str, Any]:
    """Metrics, MIDI facts and (for takes) the read-back checks of one input."""
    from multitrack.metrics import song_metrics
    from multitrack.readback import midi_agreement, read_midi_facts

    facts = read_midi_facts(source.midi)
    return {
        "input": str(source.path),
        "kind": source.kind,
        "metrics": song_metrics(source.song, asked_key=source.asked_key),
        "midi": facts.to_json(),
        "checks": midi_agreement(facts, **source.expected),
    }


def _load_reference(path: Path) -> Reference:
    """A reference file, a folder holding reference.json, or a folder of takes and .mid files."""
    from multitrack.reference import (
        REFERENCE_FILENAME,
        Reference,
        ReferenceFileError,
        read_reference,
        reference_features,
    )

    if path.is_file() or not path.exists() or (path / REFERENCE_FILENAME).is_file():
        return read_reference(path)
    entries = sorted(
        p
        for p in path.iterdir()
        if (p.is_dir() and (p / "song.json").is_file())
        or (p.is_file() and p.suffix.lower() in (".mid", ".midi"))
    )
    if not entries:
        raise ReferenceFileError(
            f"{path} holds no {REFERENCE_FILENAME}, take folders or .mid files"
        )
    songs = [read_source(p).song for p in entries]
    return Reference(reference_features(songs), len(songs), source=str(path))


def build_report(results: Sequence[dict[str, Any]], reference: Reference | None) -> dict[str, Any]:
    """Per-input results, the aggregate over them, and the comparison with ``reference``."""
    from multitrack.reference import collect_features, compare_to_reference

    features = collect_features(r["metrics"] for r in results)
    agrees = [r["metrics"]["key_agrees"] for r in results if r["metrics"]["key_agrees"] is not None]
    checks: dict[str, list[bool]] = {}
    for r in results:
        for name, ok in r["checks"].items():
            checks.setdefault(name, []).append(ok)
    aggregate = {
        "count": len(results),
        "key_agreement": sum(agrees) / len(agrees) if agrees else None,
        "checks": {name: sum(v) / len(v) for name, v in checks.items()},
        "features": {
            name: {
                "mean": sum(v) / len(v) if v else None,
                "min": min(v) if v else None,
                "max": max(v) if v else None,
                "count": len(v),
            }
            for name, v in features.items()
        },
    }
    comparison = None
    if reference is not None:
        comparison = compare_to_reference(features, reference.features)
        comparison.update(
            source=reference.source,
            reference_count=reference.count,
            reference_key_agreement=reference.key_agreement,
        )
    return {"inputs": list(results), "aggregate": aggregate, "reference": comparison}


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _input_lines(result: dict[str, Any]) -> list[str]:
    m, facts = result["metrics"], result["midi"]
    lines = [
        f"{result['input']} ({result['kind']}): {m['bars']} bars, {m['tempo']:g} BPM, {m['meter']}"
    ]
    key = f"  key found {m['key_found'] or '-'}"
    if m["key_correlation"] is not None:
        key += f" (r={m['key_correlation']:.2f})"
    if m["key_asked"] is not None:
        key += f", asked {m['key_asked']}: {m['key_relation'] or 'no key'}"
        key += ", agrees" if m["key_agrees"] else ", does not agree"
    lines.append(key)
    midi = f"  MIDI: tempo {_num(facts['tempo'], 2)}, meter {facts['meter'] or '-'}, "
    midi += f"{facts['bars']} bars, programs {facts['programs'] or '-'}"
    if result["checks"]:
        bad = [name[5:-3] for name, ok in result["checks"].items() if not ok]
        midi += "; all as asked" if not bad else f"; NOT as asked: {', '.join(bad)}"
    lines.append(midi)
    return lines


def format_report(report: dict[str, Any]) -> str:
    """The report as text: per-input lines, a feature table, agreement and mean OA."""
    from multitrack.metrics import FEATURES

    inputs, agg, comp = report["inputs"], report["aggregate"], report["reference"]
    lines: list[str] = []
    for result in inputs:
        lines += _input_lines(result)
    header = ["feature"]
    side_by_side = len(inputs) <= MAX_COLUMNS
    if side_by_side:
        header += [Path(r["input"]).name[:12] or r["input"][:12] for r in inputs]
        if len(inputs) > 1:
            header.append("mean")
    else:
        header += ["mean", "min", "max", "n"]
    if comp is not None:
        header += ["reference", "diff", "OA"]
    rows = [header]
    for name in FEATURES:
        stats = agg["features"][name]
        if side_by_side:
            row = [name] + [_num(r["metrics"][name]) for r in inputs]
            if len(inputs) > 1:
                row.append(_num(stats["mean"]))
        else:
            row = [
                name,
                _num(stats["mean"]),
                _num(stats["min"]),
                _num(stats["max"]),
                str(stats["count"]),
            ]
        if comp is not None:
            ref = comp["features"].get(name, {})
            diff = ref.get("relative_difference")
            row += [
                _num(ref.get("reference_mean")),
                "-" if diff is None else f"{diff:+.1%}",
                _num(ref.get("oa")),
            ]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines.append("")
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    n = agg["count"]
    if agg["key_agreement"] is not None:
        lines.append(f"key agreement: {agg['key_agreement']:.1%} of {n} input(s) with an asked key")
    for name, share in agg["checks"].items():
        lines.append(f"{name[5:-3]} as asked: {share:.1%}")
    if comp is not None:
        lines.append(
            f"reference: {comp['source'] or '-'} ({comp['reference_count']} songs"
            + (
                f", music21 key agreement {comp['reference_key_agreement']:.1%})"
                if comp["reference_key_agreement"] is not None
                else ")"
            )
        )
        lines.append(f"mean OA: {_num(comp['mean_oa'])}")
    return "\n".join(lines)
