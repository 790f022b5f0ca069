"""Numbers with units in a prompt: tempo (90bpm, 每分钟90拍, ♩=90), meter (6/8, 四四拍, 三拍子),
length (8小节, 16 bars) and duration (30秒, 两分钟, 1分30秒, one minute).

Each reader scans normalised lower-case text and returns ``Finding``s with character spans;
the parser blanks those spans out before it cuts the rest into words, so "90" in "90bpm"
is never read twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.text.numbers import NUMBER, parse_number
from multitrack.song import SUPPORTED_METERS


@dataclass(frozen=True)
class Finding:
    """A value read from the prompt. ``field``: bpm, seconds, bars, meter, unsupported_meter
    or key; ``value`` a number (bpm, seconds, bars) or text ("6/8", "A minor");
    ``start``/``end`` the span in the normalised prompt; ``text`` what was written there."""

    field: str
    value: float | str
    start: int
    end: int
    text: str


_N = NUMBER
_BPM_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        rf"(?P<n>{_N})\s*(?:bpm(?![a-z])|b\.p\.m\.?|beats?\s+(?:per|a|each)\s+minute(?![a-z])|beats?/min(?![a-z])"
        r"|拍每分钟|拍/分钟?|拍/min(?![a-z])|拍每分|拍一分钟)",
        rf"每分钟\s*(?P<n>{_N})\s*(?:拍|下|beats?(?![a-z]))",
        rf"(?:(?<![a-z])bpm|(?<![a-z])tempo|速度|拍速)\s*(?:[:=]|为|是|设为|大约|约|of(?![a-z])|at(?![a-z])|around(?![a-z]))?\s*(?P<n>{_N})"
        r"(?!\s*(?:小节|bars?(?![a-z])|measures?(?![a-z])|秒|分钟|seconds?(?![a-z])|minutes?(?![a-z])|/))",
        rf"(?:♩|(?<![a-z])q|(?<![a-z])j)\s*=\s*(?P<n>{_N})",
        # "120拍", "90 拍的": a tempo, as producers say it; a count of 40-399 only, so that
        # "4拍" (beats) and "三拍子" (a meter) are not read as one
        r"(?<![\d./])(?P<n>[4-9]\d|[1-3]\d\d)\s*拍(?!子|号|/)",
        r"(?<![零〇一二两三四五六七八九十百])(?P<n>[一二三]百[零一二三四五六七八九十]*"
        r"|[四五六七八九]十[一二三四五六七八九]?)\s*拍(?!子|号|/)",
    )
)
_DURATION_PATTERNS: tuple[tuple[re.Pattern[str], float, float], ...] = tuple(
    (re.compile(p), minutes_scale, seconds_scale)
    for p, minutes_scale, seconds_scale in (
        (rf"(?P<m>{_N}|半)\s*(?:分钟|minutes?(?![a-z])|mins?(?![a-z]))(?:\s*(?:零|又|and)?\s*(?P<s>{_N})"
         r"\s*(?:秒钟?|seconds?(?![a-z])|secs?(?![a-z])))?", 60.0, 1.0),
        (rf"(?P<m>{_N})\s*分\s*(?P<s>{_N})\s*秒钟?", 60.0, 1.0),
        (rf"(?P<m>{_N})\s*分钟?半", 60.0, 1.0),
        (rf"(?P<s>{_N})\s*(?:秒钟?|seconds?(?![a-z])|secs?(?![a-z])|sec(?![a-z]))", 60.0, 1.0),
        (r"(?<![a-z])half\s+(?:a\s+)?minute(?![a-z])", 60.0, 1.0),
        (r"(?<![a-z])an?\s+minute(?![a-z])", 60.0, 1.0),
    )
)  # fmt: skip
_BARS_PATTERN = re.compile(
    rf"(?P<n>{_N})\s*个?\s*(?:小节|-?\s*bars?(?![a-z])|-?\s*measures?(?![a-z]))"
)
_METER_SLASH = re.compile(
    r"(?<![\d/.])(?P<a>\d{1,2})\s*/\s*(?P<b>\d{1,2})(?![\d/])\s*(?:拍子|拍号|拍|time(?![a-z])|meter(?![a-z]))?"
)
_CN_METER_DIGITS = "一二三四五六七八九"
_METER_CN_PAIR = re.compile(rf"(?P<a>[{_CN_METER_DIGITS}]|十二)(?P<b>[{_CN_METER_DIGITS}])拍子?")
_METER_CN_BEATS = re.compile(r"(?P<a>[二三四六])拍子")
_BEATS_METER = {"二": "2/4", "三": "3/4", "四": "4/4", "六": "6/8"}


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + "\u0001" * (end - start) + text[end:]


def _scan(
    text: str, pattern: re.Pattern[str], found: list[Finding], field: str, value_of: object
) -> str:
    """Run one pattern; append a Finding per match whose value is not None; blank it."""
    for match in list(pattern.finditer(text)):
        value = value_of(match)  # type: ignore[operator]
        if value is None:
            continue
        found.append(Finding(field, value, match.start(), match.end(), match.group()))
        text = _blank(text, match.start(), match.end())
    return text


def _number(match: re.Match[str], group: str = "n") -> float | None:
    raw = match.groupdict().get(group)
    return None if raw is None else parse_number(raw)


def _tempo(match: re.Match[str]) -> float | None:
    """A tempo's number, or None for one written negative ("-90 bpm", not a range's
    "80-90 bpm") or as an exponent's tail ("1e3 bpm"): no tempo a producer means."""
    at, text = match.start("n"), match.string
    before = text[at - 1] if at > 0 else " "
    digit_before = at > 1 and text[at - 2].isdigit()
    if (before in "-−" and not digit_before) or (before in "eE" and digit_before):
        return None
    return _number(match)


def _duration(match: re.Match[str]) -> float | None:
    groups = match.groupdict()
    text = match.group()
    if text.startswith("half"):
        return 30.0
    if "m" not in groups and "s" not in groups:
        return 60.0  # "a minute"
    minutes = 0.0
    if groups.get("m"):
        minutes = 0.5 if groups["m"] == "半" else (parse_number(groups["m"]) or 0.0)
    seconds = parse_number(groups["s"]) if groups.get("s") else 0.0
    if seconds is None:
        return None
    if text.rstrip().endswith("半") and groups.get("m") != "半":
        seconds += 30.0
    total = minutes * 60.0 + seconds
    return total if total > 0 else None


def _meter_of(a: int, b: int) -> str:
    """Either order is written in Chinese (四三拍 and 三四拍 are both 3/4): prefer the order
    that gives a supported meter, else the one whose denominator is a power of two."""
    for num, den in ((a, b), (b, a)):
        if (num, den) in SUPPORTED_METERS:
            return f"{num}/{den}"
    if b in (2, 4, 8, 16):
        return f"{a}/{b}"
    return f"{b}/{a}"


def _cn_digit(text: str) -> int:
    return 12 if text == "十二" else _CN_METER_DIGITS.index(text) + 1


def read_quantities(text: str) -> tuple[list[Finding], str]:
    """All tempo, duration, length and meter findings in normalised lower-case text, in the
    order they appear, and the text with their spans blanked (``\\x01``)."""
    found: list[Finding] = []
    for pattern in _BPM_PATTERNS:
        text = _scan(text, pattern, found, "bpm", _tempo)
    for pattern, _, _ in _DURATION_PATTERNS:
        text = _scan(text, pattern, found, "seconds", _duration)
    text = _scan(text, _BARS_PATTERN, found, "bars", _number)
    meters: list[Finding] = []
    text = _scan(text, _METER_SLASH, meters, "meter", lambda m: _meter_of(int(m["a"]), int(m["b"])))
    text = _scan(
        text,
        _METER_CN_PAIR,
        meters,
        "meter",
        lambda m: _meter_of(_cn_digit(m["a"]), _cn_digit(m["b"])),
    )
    text = _scan(text, _METER_CN_BEATS, meters, "meter", lambda m: _BEATS_METER[m["a"]])
    for finding in meters:
        num, den = (int(x) for x in str(finding.value).split("/"))
        if (num, den) not in SUPPORTED_METERS:
            finding = Finding(
                "unsupported_meter", finding.value, finding.start, finding.end, finding.text
            )
        found.append(finding)
    found.sort(key=lambda f: f.start)
    return found, text
