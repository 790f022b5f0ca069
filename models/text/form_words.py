"""Song-form words in a prompt: AABB, ABAB, AABA ("AABA曲式", "A A B A form"), and runs of
section words in both languages ("verse chorus verse chorus", "主歌-副歌-主歌-副歌",
"intro, verse, chorus, outro", "前奏 主歌 副歌 尾声").

The result is one normalised form string that ``multitrack.form.parse_form`` reads: section
letters separated by spaces, intros and outros by name ("A A B A", "intro A B A B outro";
verse -> A, chorus -> B, bridge -> C, as ``multitrack.form.WORDS`` has them). A single
section word ("a song with a catchy chorus") is not a form and is left to the rest of the
parser. Findings are read from normalised text that keeps its case, before keys, so the
letters of "A A B A" never read as a key of A.
"""

from __future__ import annotations

import re

from models.text.quantities import Finding
from multitrack.form import INTRO, OUTRO, WORDS, FormError, form_letters

# Section words a prompt may use (结尾 and "ending" are left out: "结尾有水滴声" places a
# sound at the end, it does not ask for an outro).
_SECTION_WORDS = (
    "pre-chorus", "prechorus", "intro", "outro", "verses", "verse", "choruses", "chorus",
    "refrain", "bridge", "coda", "前奏", "引子", "主歌", "副歌", "桥段", "尾声",
)  # fmt: skip
_ALIASES = {"verses": "verse", "choruses": "chorus", "pre-chorus": "verse", "prechorus": "verse"}
_WORD = "|".join(re.escape(w) for w in sorted(_SECTION_WORDS, key=len, reverse=True))
_GLUE = r"(?:\s*(?:[-–—>→/、,，+|;；]|->|then(?![a-z])|and(?![a-z])|和|再|然后)?\s*)"
_FORM_NOUN = r"(?:曲式|结构|form(?![a-z])|structure(?![a-z]))"
_RUN = re.compile(
    rf"(?i)(?<![a-z])(?:{_WORD})(?![a-z])(?:{_GLUE}(?:{_WORD})(?![a-z]))*(?:\s*{_FORM_NOUN})?"
)
# Letter forms: AABB, ABAB, AABA, ABAC ... (3-8 letters A-D starting with A and holding a B),
# or spaced/dashed "A A B A", optionally with 曲式 / form before or after.
_LETTERS = re.compile(
    rf"(?i)(?:{_FORM_NOUN}\s*[:：]?\s*)?(?<![a-z])(?P<f>a[a-d]{{2,7}}|a(?:[\s\-–]+[a-d]){{3,7}})"
    rf"(?![a-z])(?:\s*{_FORM_NOUN})?"
)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + "\u0001" * (end - start) + text[end:]


def _normalised(letters: list[str]) -> str:
    names = {INTRO: "intro", OUTRO: "outro"}
    return " ".join(names.get(x, x) for x in letters)


def _words_form(text: str) -> str | None:
    words = [m.group().lower() for m in re.finditer(_WORD, text, flags=re.IGNORECASE)]
    words = [_ALIASES.get(w, w) for w in words]
    if len(words) < 2:
        return None
    letters = [WORDS.get(w, "A") for w in words]
    if all(x in (INTRO, OUTRO) for x in letters):  # "有前奏和尾声": a body between them
        letters = [x for x in letters if x == INTRO] + ["A"] + [x for x in letters if x == OUTRO]
    return _normalised(letters)


def read_form(text: str) -> tuple[list[Finding], str]:
    """Form findings (field ``form``, value the normalised form string) in normalised text,
    and the text with their spans blanked (``\\x01``)."""
    found: list[Finding] = []
    for match in list(_LETTERS.finditer(text)):
        raw = match.group("f")
        if " " not in raw and "-" not in raw and "b" not in raw.lower():
            continue  # "aaa", "add" ...: not a form
        try:
            value = _normalised(form_letters(re.sub(r"[\s\-–]+", "", raw).upper()))
        except FormError:
            continue
        found.append(Finding("form", value, match.start(), match.end(), match.group()))
        text = _blank(text, match.start(), match.end())
    for match in list(_RUN.finditer(text)):
        words = _words_form(match.group())
        if words is None:
            continue
        found.append(Finding("form", words, match.start(), match.end(), match.group()))
        text = _blank(text, match.start(), match.end())
    found.sort(key=lambda f: f.start)
    return found, text
