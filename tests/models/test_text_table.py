"""The prompt tables, field by field: 244 prompts (about half Chinese, some mixed) plus a
60-prompt held-out table. Rows the parser is known to get wrong are strict xfails with the
reason, so an improvement or a regression both show up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prompt_table import HOLDOUT, TABLE, load_table, score_row

from models.text import parse_prompt

# Prompt -> why the parser disagrees with the producer's expectation.
KNOWN_MISSES: dict[str, str] = {
    "今天天气很好": "the embedding reads nice weather as happy; the table wants no mood",
    "葫芦丝,傣族风情,悠扬": "the embedding reads 傣族风情 悠扬 as solemn",
    "the quick brown fox jumps over the lazy dog": "quick and lazy are tempo words",
    "一段一分钟的轻快钢琴": "轻快 is read as happy as well as upbeat",
}

ROWS = [*load_table(TABLE), *load_table(HOLDOUT)]


def _param(row: dict[str, Any]) -> Any:
    marks = []
    if row["prompt"] in KNOWN_MISSES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[row["prompt"]]))
    return pytest.param(row, id=row["prompt"][:30], marks=marks)


def test_table_sizes() -> None:
    main = load_table(TABLE)
    assert len(main) >= 150
    zh = sum(r["lang"] == "zh" for r in main)
    assert 0.4 <= zh / len(main) <= 0.6
    assert sum(r["lang"] == "mixed" for r in main) >= 10


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_row(row: dict[str, Any]) -> None:
    record = parse_prompt(row["prompt"]).to_json()
    wrong = [(f, got, want) for f, ok, got, want in score_row(record, row["expect"]) if not ok]
    assert wrong == []


@pytest.mark.parametrize("path", [TABLE, HOLDOUT], ids=["main", "holdout"])
def test_field_accuracy_at_least_95_percent(path: Path) -> None:
    oks = [
        ok
        for row in load_table(path)
        for _, ok, _, _ in score_row(parse_prompt(row["prompt"]).to_json(), row["expect"])
    ]
    assert sum(oks) / len(oks) >= 0.95
