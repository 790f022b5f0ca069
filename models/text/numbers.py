"""Numbers as producers write them: 90, 92.5, 九十, 一百二十, 两, twelve, twenty-four.

``NUMBER`` is a regular-expression fragment matching any of these (use it inside a larger
pattern, on normalised lower-case text); ``parse_number`` turns the matched text into a
float, or None when it is not a number after all.
"""

from __future__ import annotations

import re

_CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
_EN_ONES: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_EN_TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip

_EN_WORD = "|".join(sorted((*_EN_ONES, *_EN_TENS), key=len, reverse=True))
_EN_NUMBER = (
    rf"(?:(?:one |a )?hundred(?: and)? )?(?:(?:{'|'.join(_EN_TENS)})(?:[- ](?:{'|'.join(_EN_ONES)}))?"
    rf"|{_EN_WORD})"
)
NUMBER = rf"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+|(?<![a-z]){_EN_NUMBER}(?![a-z]))"


def chinese_number(text: str) -> int | None:
    """一百二十 -> 120, 十六 -> 16, 两 -> 2, 九十 -> 90, 一二零 -> 120 (digit by digit);
    None when the text is not a Chinese numeral."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    if not any(c in _CN_UNITS for c in text):
        value = 0
        for c in text:  # 一二零: read digit by digit
            value = value * 10 + _CN_DIGITS[c]
        return value
    total, digit = 0, None
    for c in text:
        if c in _CN_DIGITS:
            if digit is not None:
                return None  # two digits in a row inside a unit numeral: 二三十
            digit = _CN_DIGITS[c]
        else:
            unit = _CN_UNITS[c]
            total += (1 if digit is None else digit) * unit
            digit = None
    if digit is not None:
        total += digit
    return total


def english_number(text: str) -> int | None:
    """'twenty-four' -> 24, 'one hundred twenty' -> 120, 'sixteen' -> 16, else None."""
    words = re.split(r"[\s\-]+", text.strip().lower())
    total, current = 0, 0
    seen = False
    for word in words:
        if word in ("and", "a") or not word:
            continue
        if word in _EN_ONES:
            current += _EN_ONES[word]
        elif word in _EN_TENS:
            current += _EN_TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        else:
            return None
        seen = True
    return total + current if seen else None


def parse_number(text: str) -> float | None:
    """Digits, a Chinese numeral or English number words -> a float; None otherwise."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    value = chinese_number(text)
    if value is None:
        value = english_number(text)
    return None if value is None else float(value)
