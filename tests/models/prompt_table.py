"""The prompt table (tests/fixtures/prompts.json) and how one row is scored, shared by
tests/models/test_text_table.py and bench/parse_accuracy.py.

Each row: {"prompt", "lang": zh/en/mixed, "expect": {...}}. Always checked: key, bpm,
meter, bars, style, mood, dynamics (absent = null) and stems (absent = all four). Checked
when given: energy, and programs per named stem. A list means "any of these", except for
bpm and bars where two numbers [lo, hi] mean an inclusive range.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TABLE = FIXTURES / "prompts.json"
HOLDOUT = FIXTURES / "prompts_holdout.json"  # written later, never used to tune the lexicon
ALWAYS = ("key", "bpm", "meter", "bars", "style", "mood", "dynamics", "stems")
ALL_STEMS = ["melody", "chords", "bass", "drums"]


def load_table(path: Path = TABLE) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8")))


def _ok(field: str, got: Any, want: Any) -> bool:
    if field in ("bpm", "bars") and isinstance(want, list):
        if len(want) == 2 and all(isinstance(w, int | float) for w in want):
            return got is not None and want[0] <= got <= want[1]
        return got in want
    if field == "stems":
        return list(got) == list(want)
    if isinstance(want, list):
        return got in want
    return bool(got == want)


def score_row(record: dict[str, Any], expect: dict[str, Any]) -> list[tuple[str, bool, Any, Any]]:
    """(field, ok, got, want) for every checked field of one row."""
    out: list[tuple[str, bool, Any, Any]] = []
    for field in ALWAYS:
        want = expect.get(field, ALL_STEMS if field == "stems" else None)
        out.append((field, _ok(field, record[field], want), record[field], want))
    if "energy" in expect:
        out.append(
            (
                "energy",
                _ok("energy", record["energy"], expect["energy"]),
                record["energy"],
                expect["energy"],
            )
        )
    for stem, want in expect.get("programs", {}).items():
        got = record["programs"][stem]
        out.append((f"programs.{stem}", _ok("program", got, want), got, want))
    return out
