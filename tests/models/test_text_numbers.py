"""Numbers as producers write them."""

from __future__ import annotations

import pytest

from models.text.numbers import parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("90", 90.0), ("92.5", 92.5), ("九十", 90.0), ("一百二十", 120.0), ("十六", 16.0),
        ("两", 2.0), ("三十", 30.0), ("二十五", 25.0), ("一二零", 120.0), ("百", 100.0),
        ("twelve", 12.0), ("twenty-four", 24.0), ("one hundred twenty", 120.0), ("sixteen", 16.0),
        ("二三十", None), ("abc", None), ("", None),
    ],
)  # fmt: skip
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value
