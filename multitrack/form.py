"""Song form: sections that return, found in a melody and planned for a take.

Two directions over one vocabulary (``multitrack.song.Section``):

- Found (corpus): ``label_sections`` cuts a tune into phrases of 8 or 4 bars and gives a
  phrase the letter of the first earlier phrase whose melody it repeats (``similarity`` >=
  0.5), else a new letter. ``window_sections`` clips those labels to a training window and
  re-letters them in order of appearance (a window that starts in a B section calls it A).
- Planned (generation): ``parse_form`` reads "AABA", "intro A A B A outro", "verse chorus
  verse chorus" or "主歌-副歌-主歌-副歌" against a bar count; ``default_form`` is a style's
  form for takes of 16 bars or more.

``section_track`` turns sections into the per-bar integers the model reads (letter, bar in
section, phrase end). ``similarity`` is also what ``bench/form.py`` scores takes with: the
Jaccard index of (bar in section, onset in bar, pitch) between two sections' melodies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from multitrack.errors import MusicError
from multitrack.song import Note, Section

LETTERS = ("A", "B", "C", "D")  # the letters the model knows; later ones fold onto D
INTRO, OUTRO = "I", "O"
REPEAT_THRESHOLD = 0.5  # a phrase this similar to an earlier one is that phrase returning
MAX_BAR_IN_SECTION = 8  # bars in a section past the eighth share the eighth's index

# Section words (lowercase) -> letters. Verse/chorus/bridge are the pop names of A/B/C.
WORDS: dict[str, str] = {
    "intro": INTRO, "前奏": INTRO, "引子": INTRO,
    "outro": OUTRO, "ending": OUTRO, "coda": OUTRO, "尾声": OUTRO, "结尾": OUTRO,
    "verse": "A", "主歌": "A",
    "chorus": "B", "refrain": "B", "副歌": "B",
    "bridge": "C", "桥段": "C",
}  # fmt: skip
NAMES = {"A": "Verse", "B": "Chorus", "C": "Bridge", "D": "Section D", INTRO: "Intro",
         OUTRO: "Outro"}  # fmt: skip


class FormError(MusicError):
    """A form that cannot be read or does not fit the take."""


class FormFitError(FormError):
    """A form that reads but does not fit the take's bars: the request, not a value, is
    wrong (docs/osc.md)."""

    code = "bad_request"


@dataclass(frozen=True)
class SectionTrack:
    """Per-bar model inputs, each (bars,) int: ``letter`` 0 none, 1-4 A-D, 5 intro, 6 outro;
    ``position`` 0 none, else 1 + bar in section (capped at ``MAX_BAR_IN_SECTION``);
    ``phrase_end`` 0 none, 1 inside a section, 2 its last bar."""

    letter: NDArray[np.int64]
    position: NDArray[np.int64]
    phrase_end: NDArray[np.int64]


def letter_index(letter: str) -> int:
    if letter == INTRO:
        return len(LETTERS) + 1
    if letter == OUTRO:
        return len(LETTERS) + 2
    return min(LETTERS.index(letter) if letter in LETTERS else len(LETTERS) - 1, 3) + 1


def section_track(sections: Sequence[Section], bars: int) -> SectionTrack:
    """The per-bar inputs of ``sections`` over ``bars`` bars (bars outside any section: 0)."""
    letter = np.zeros(bars, np.int64)
    position = np.zeros(bars, np.int64)
    end = np.zeros(bars, np.int64)
    for s in sections:
        for i in range(s.bars):
            bar = s.start + i
            if 0 <= bar < bars:
                letter[bar] = letter_index(s.letter)
                position[bar] = 1 + min(i, MAX_BAR_IN_SECTION - 1)
                end[bar] = 2 if i == s.bars - 1 else 1
    return SectionTrack(letter, position, end)


def _bar_events(notes: Iterable[Note], steps_per_bar: int) -> dict[int, set[tuple[int, int]]]:
    out: dict[int, set[tuple[int, int]]] = {}
    for n in notes:
        bar, pos = divmod(n.start, steps_per_bar)
        out.setdefault(bar, set()).add((pos, n.pitch))
    return out


def similarity(notes: Iterable[Note], steps_per_bar: int, a: Section, b: Section) -> float:
    """Jaccard index of the two sections' melody events (bar in section, onset in bar,
    pitch) over the bars both have; 1.0 when neither has a note there."""
    return _similarity(_bar_events(notes, steps_per_bar), a, b)


def _similarity(events: dict[int, set[tuple[int, int]]], a: Section, b: Section) -> float:
    span = min(a.bars, b.bars)
    ea = {(i, *e) for i in range(span) for e in events.get(a.start + i, ())}
    eb = {(i, *e) for i in range(span) for e in events.get(b.start + i, ())}
    union = ea | eb
    return 1.0 if not union else len(ea & eb) / len(union)


def reletter(sections: Sequence[Section]) -> tuple[Section, ...]:
    """Letters renamed in order of first appearance (A, B, C ...), intros/outros kept, and
    producer names ("Verse 1", "Chorus 2") numbered where a letter returns."""
    mapping: dict[str, str] = {}
    for s in sections:
        if s.letter not in (INTRO, OUTRO) and s.letter not in mapping:
            mapping[s.letter] = chr(ord("A") + len(mapping))
    letters = [mapping.get(s.letter, s.letter) for s in sections]
    return name_sections(
        [Section(s.start, s.bars, letter) for s, letter in zip(sections, letters, strict=True)]
    )


def name_sections(sections: Sequence[Section]) -> tuple[Section, ...]:
    """Sections with producer names: a letter's word, numbered when the letter returns."""
    counts: dict[str, int] = {}
    for s in sections:
        counts[s.letter] = counts.get(s.letter, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for s in sections:
        seen[s.letter] = seen.get(s.letter, 0) + 1
        name = NAMES.get(s.letter, f"Section {s.letter}")
        label = f"{name} {seen[s.letter]}" if counts[s.letter] > 1 else name
        out.append(Section(s.start, s.bars, s.letter, label))
    return tuple(out)


def _phrases(bars: int, length: int) -> list[Section]:
    return [Section(a, min(length, bars - a), "") for a in range(0, bars, length)]


def _letter_phrases(
    notes: Sequence[Note], steps_per_bar: int, phrases: list[Section]
) -> tuple[list[Section], int]:
    """Phrases lettered by the earlier phrase each repeats, and how many bars repeat."""
    out: list[Section] = []
    repeated = 0
    events = _bar_events(notes, steps_per_bar)
    for p in phrases:
        best, letter = 0.0, ""
        for q in out:
            if q.bars != p.bars:
                continue
            score = _similarity(events, q, p)
            if score > best:
                best, letter = score, q.letter
        if best >= REPEAT_THRESHOLD:
            repeated += p.bars
        else:
            letter = chr(ord("A") + len({q.letter for q in out}))
        out.append(Section(p.start, p.bars, letter))
    return out, repeated


def label_sections(notes: Sequence[Note], bars: int, steps_per_bar: int) -> tuple[Section, ...]:
    """Sections of a whole tune found from its melody: phrases of 8 or of 4 bars, whichever
    has more of its bars in returning phrases (8 on a tie, so an AABB reel of 8-bar strains
    is A A B B, not A B A B C D C D; a tune under 8 bars is one section A)."""
    if bars < 8:
        return name_sections([Section(0, bars, "A")])
    best: list[Section] = []
    best_repeated = -1
    for length in (8, 4) if bars >= 16 else (4,):
        labelled, repeated = _letter_phrases(notes, steps_per_bar, _phrases(bars, length))
        if repeated > best_repeated:
            best, best_repeated = labelled, repeated
    return reletter(best)


def window_sections(sections: Sequence[Section], first_bar: int, bars: int) -> tuple[Section, ...]:
    """``sections`` clipped to bars [first_bar, first_bar + bars), shifted to start at 0
    and re-lettered in order of appearance."""
    out = []
    for s in sections:
        lo, hi = max(s.start, first_bar), min(s.end, first_bar + bars)
        if lo < hi:
            out.append(Section(lo - first_bar, hi - lo, s.letter))
    return reletter(out)


_SPLIT = re.compile(r"[\s,，、\-–—/|+;；]+")


def form_letters(text: str) -> list[str]:
    """The section letters of a form: "AABA", "A A B A", "intro verse chorus outro",
    "主歌-副歌-主歌-副歌", "AABA曲式". ``FormError`` names a word it does not know."""
    text = text.strip().replace("曲式", " ").replace("结构", " ")
    letters: list[str] = []
    for word in (w for w in _SPLIT.split(text) if w):
        low = word.lower()
        if low in WORDS:
            letters.append(WORDS[low])
        elif re.fullmatch(r"[A-Da-d]+", word):
            letters.extend(c.upper() for c in word)
        else:
            chinese = [WORDS[w] for w in _chinese_words(word)]
            if not chinese:
                raise FormError(
                    f"unknown section word {word!r}; use A-D, intro, verse, chorus, bridge, "
                    "outro (前奏, 主歌, 副歌, 桥段, 尾声)"
                )
            letters.extend(chinese)
    if not [x for x in letters if x not in (INTRO, OUTRO)]:
        raise FormError(f"form {text!r} names no section (A-D, verse, chorus, bridge)")
    return letters


def _chinese_words(word: str) -> list[str]:
    """A run of Chinese section words without separators ("主歌副歌"), or []."""
    out, rest = [], word
    keys = sorted((k for k in WORDS if not k.isascii()), key=len, reverse=True)
    while rest:
        hit = next((k for k in keys if rest.startswith(k)), None)
        if hit is None:
            return []
        out.append(hit)
        rest = rest[len(hit) :]
    return out


def parse_form(text: str, bars: int) -> tuple[Section, ...]:
    """Sections for a take of ``bars`` bars: intros and outros take 4 bars (2 under 32
    bars), the other sections share the rest equally. ``FormError`` when they cannot."""
    letters = form_letters(text)
    frame = [x for x in letters if x in (INTRO, OUTRO)]
    body = [x for x in letters if x not in (INTRO, OUTRO)]
    edge = 4 if bars >= 32 else 2
    rest = bars - edge * len(frame)
    if rest < 2 * len(body) or rest % len(body):
        framed = f"after {edge * len(frame)} bars of intro and outro, " if frame else ""
        raise FormFitError(
            f"form {' '.join(letters)!r} does not fit {bars} bars: {framed}{len(body)} "
            f"sections need an equal share of {max(rest, 0)} bars, at least 2 each (try "
            f"{_fitting(len(body), edge * len(frame))})"
        )
    size = rest // len(body)
    sections, at = [], 0
    for x in letters:
        n = edge if x in (INTRO, OUTRO) else size
        sections.append(Section(at, n, x))
        at += n
    return name_sections(sections)


def form_bars(text: str, limit: int) -> int:
    """The length a form takes when no length is asked: 8 bars a section and 4 an intro or
    outro (A A B A: 32 bars; intro A A B A outro: 40), 4 or 2 bars a section when that is
    over ``limit``. ``FormFitError`` when even 2-bar sections are."""
    letters = form_letters(text)
    frame = sum(x in (INTRO, OUTRO) for x in letters)
    body = len(letters) - frame
    for size in (8, 4, 2):
        for edge in (4, 2):
            bars = edge * frame + size * body
            if bars > limit:
                continue
            try:
                sections = parse_form(text, bars)
            except FormError:
                continue
            if all(s.bars == size for s in sections if s.letter not in (INTRO, OUTRO)):
                return bars
    raise FormFitError(
        f"form {' '.join(letters)!r} has {len(letters)} sections; a take has at most {limit} "
        "bars, too few to give each 2"
    )


def _fitting(sections: int, frame: int) -> str:
    return " or ".join(f"{frame + sections * n} bars" for n in (4, 8))


# Default forms (16 bars or more) by style family; styles not listed take "A B A B".
_FORMS = {
    "A A B B": ("celtic", "folk", "march", "polka", "bluegrass", "country", "waltz"),
    "A A B A": ("jazz", "swing", "bebop", "bossa_nova", "ballad", "blues", "hymn",
                "classical", "lullaby", "ragtime", "tango"),
}  # fmt: skip


def default_form(style: str | None, bars: int) -> str | None:
    """The form a style's take of ``bars`` bars takes when none is asked: None under 16
    bars; verse-chorus (A B A B) for song styles, A A B B for dance and folk tunes, A A B A
    for jazz standards, ballads and art styles."""
    if bars < 16:
        return None
    for form, styles in _FORMS.items():
        if style in styles:
            return form
    return "A B A B"


def default_sections(style: str | None, bars: int) -> tuple[Section, ...]:
    """The sections of ``default_form`` for a take nobody asked a form of. A length its
    sections cannot share equally (17, 30, 50 bars) keeps them equal and ends on an outro
    of the bars left over (A B A B of 7 bars and a 2-bar outro in 30): any length the
    producer asks is made, never refused for a form they did not ask for."""
    text = default_form(style, bars)
    if text is None:
        return ()
    try:
        return parse_form(text, bars)
    except FormError:
        body = len(form_letters(text))
        size = bars // body
        if size < 2:
            return ()
        sections = parse_form(text, size * body)
        return name_sections([*sections, Section(size * body, bars - size * body, OUTRO)])
