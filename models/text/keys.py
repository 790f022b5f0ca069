"""Key names in a prompt: C大调, a小调, 降E大调, 升F小调, D徵调, "in F# minor", "Bb major", "Dm",
"in the key of Eb", "B flat minor".

Read from normalised text that keeps its case (a lower-case letter before 小调 is the
German/Chinese habit for minor; "a" alone is an English article, so a lower-case "a" is a
tonic only after "in"/"key of" or before a Chinese mode word; a capital letter with no mode
is a key after "in"/"key of" or as a clause by itself: "slow blues, Bb", unless other lone
letters stand beside it: "A, B, A" is a form or a chord list). Keys are built and spelt by
``multitrack.theory.Key``, so "Eb major" and "F# minor" come out as everyone else writes them.
"""

from __future__ import annotations

import re

from models.text.quantities import Finding
from multitrack.errors import MusicError
from multitrack.theory import Key, parse_pitch_class

_CN_MODES: dict[str, str] = {
    "大调": "major", "大调式": "major", "调": "major", "调式": "major",
    "小调": "minor", "小调式": "minor",
    "多利亚": "dorian", "弗里几亚": "phrygian", "利底亚": "lydian", "混合利底亚": "mixolydian",
}  # fmt: skip
_PENTATONIC = {"宫": "gong", "商": "shang", "角": "jue", "徵": "zhi", "征": "zhi", "羽": "yu"}
_EN_MODES: dict[str, str] = {
    "major": "major", "maj": "major", "ionian": "major", "minor": "minor", "min": "minor",
    "aeolian": "minor", "dorian": "dorian", "phrygian": "phrygian", "lydian": "lydian",
    "mixolydian": "mixolydian", "gong": "gong", "shang": "shang", "jue": "jue", "zhi": "zhi",
    "yu": "yu", "m": "minor",
}  # fmt: skip

_CN_KEY = re.compile(
    r"(?<![A-Za-z])(?P<sign>[升降])?\s?(?P<pre>[#♯♭]|b(?=[A-G]))?(?P<letter>[A-Ga-g])"
    r"(?P<acc>[#♯b♭])?\s?"
    r"(?P<mode>混合利底亚|多利亚|弗里几亚|利底亚|大调式?|小调式?|[宫商角徵征羽]调?式?|调式?)"
)
_PREFIX = r"(?P<pre>(?i:in|key\s+of|key|key:|调性)\s*(?:the\s+)?)"
_EN_KEY = re.compile(
    rf"(?<![A-Za-z0-9#]){_PREFIX}?(?P<letter>[A-Ga-g])"
    r"(?P<acc>#|♯|♭|b(?![a-z])|-flat|-sharp|\s+flat|\s+sharp)?\s*"
    r"(?P<mode>(?i:major|minor|maj|min|dorian|phrygian|lydian|mixolydian|aeolian|ionian|gong|"
    r"shang|jue|zhi|yu))(?![A-Za-z])"
)
_BARE_KEY = re.compile(
    rf"(?<![A-Za-z0-9#♯♭]){_PREFIX}?(?P<letter>[A-G])(?P<acc>#|♯|b|♭)?(?P<mode>m|min|maj)?"
    r"(?![A-Za-z0-9#♯♭\-'&])"
)


def _key_name(letter: str, acc: str, mode: str, sign: str = "") -> str | None:
    accidental = acc.strip().lstrip("-")
    accidental = {"flat": "b", "sharp": "#"}.get(accidental, accidental)
    try:
        tonic = parse_pitch_class(letter.upper() + accidental)
    except MusicError:
        return None
    tonic += {"升": 1, "降": -1, "#": 1, "♯": 1, "♭": -1, "b": -1}.get(sign, 0)
    return str(Key(tonic % 12, mode))


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + "\u0001" * (end - start) + text[end:]


_CLAUSE_BEFORE = re.compile(r"(?:^|[,;:、，；：])\s*$")
_CLAUSE_AFTER = re.compile(r"^\s*(?:$|[,;.!、，；。！])")


def _alone(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a clause by itself: "slow blues, Bb", "F#, 90 bpm"."""
    return bool(_CLAUSE_BEFORE.search(text[:start]) and _CLAUSE_AFTER.match(text[end:]))


def read_keys(text: str) -> tuple[list[Finding], str]:
    """Key findings (value: "A minor", "Eb major", "D zhi") in normalised text that keeps
    its case, in order of appearance, and the text with their spans blanked."""
    found: list[Finding] = []
    for match in list(_CN_KEY.finditer(text)):
        word = match["mode"]
        if word in _CN_MODES:
            mode = _CN_MODES[word]
        else:
            mode = _PENTATONIC[word[0]]
        sign = match["sign"] or match["pre"] or ""
        if sign and match["acc"]:
            continue
        name = _key_name(match["letter"], match["acc"] or "", mode, sign)
        if name is not None:
            found.append(Finding("key", name, match.start(), match.end(), match.group()))
            text = _blank(text, match.start(), match.end())
    for pattern in (_EN_KEY, _BARE_KEY):
        matches = list(pattern.finditer(text))
        lone = [
            m for m in matches if not (m["pre"] or m["mode"]) and _alone(text, m.start(), m.end())
        ]
        for match in matches:
            letter, prefix = match["letter"], match["pre"]
            if pattern is _BARE_KEY and not prefix and not match["mode"]:
                if len(lone) != 1 or match is not lone[0]:
                    continue  # a capital letter is a key after "in" / "key of" or alone
            if letter == "a" and not prefix:
                continue  # "a minor key", "a major hit": the article, not A
            mode = _EN_MODES[(match["mode"] or "").lower()] if match["mode"] else "major"
            name = _key_name(letter, match["acc"] or "", mode)
            if name is None:
                continue
            start = match.start("letter")
            found.append(Finding("key", name, start, match.end(), text[start : match.end()]))
            text = _blank(text, start, match.end())
    found.sort(key=lambda f: f.start)
    return found, text
