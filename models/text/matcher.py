"""Tokens -> lexicon hits, with the words that modify them applied.

A hit is the longest run of tokens (never across punctuation or a blanked number) whose
text is a lexicon term. Unknown Chinese words get a second look: a known term inside them
(钢琴家 -> 钢琴) or a degree word stripped off (太快 -> 快). Then the modifiers act on their
neighbours: a negation (不要, no, without) turns off the next hit and any joined to it by
和/and; 独奏/solo, 主奏/lead, 伴奏/chords-words give an instrument its role; 只要/only/纯 limit
the stems to the list they begin or end (joined by 和/and, commas or nothing: "just chords,
bass and drums"); 失真/distorted changes the guitar next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.text.lexicon import (
    CONJUNCTIONS,
    DEGREE_PREFIXES,
    DEGREE_SUFFIXES,
    FEATURE_WORDS,
    FILLERS,
    LEXICON,
    MAX_TERM_CHARS,
    Sense,
    normalise_term,
)
from models.text.segmenter import Token

MAX_SPAN_TOKENS = 6
_MODIFIERS = frozenset(
    {"negate", "solo", "lead", "accomp", "only", "duet", "trio", "quartet", "guitar_tone"}
)
_NEGATABLE = frozenset({"style", "mood", "tempo", "energy", "dynamics", "instrument", "stem"})
# "build" is a crescendo ("an epic orchestral build") but not as a verb: "build me a beat".
_VERB_BEFORE: dict[str, frozenset[str]] = {
    w: frozenset("a|an|me|us|the|my|our|some|something|this|that|it".split("|"))
    for w in ("build", "builds")
}


@dataclass
class Hit:
    """A lexicon term found in the prompt: its senses, the text as written, token range."""

    senses: tuple[Sense, ...]
    text: str
    first: int
    last: int
    negated: bool = False
    role: str | None = None  # instrument: melody / chords / bass when the prompt says so
    solo: bool = False
    only: bool = False
    featured: bool = False
    program: int | None = None  # instrument: a tone word's program (失真 -> 30)
    negator: Hit | None = None  # the negation that turned this hit off (不要, no)
    start: int = 0  # character span in the normalised prompt
    end: int = 0

    def has(self, field_name: str) -> bool:
        return any(s.field == field_name for s in self.senses)

    def values(self, field_name: str) -> list[str]:
        return [s.value for s in self.senses if s.field == field_name]

    @property
    def is_modifier(self) -> bool:
        return all(s.field in _MODIFIERS for s in self.senses)


@dataclass
class Item:
    """One position of the token sequence: a hit, or a token of kind filler, conj, sep, unk."""

    kind: str
    token: Token
    hit: Hit | None = None
    used: bool = field(default=False)


def _lookup(text: str) -> tuple[Sense, ...] | None:
    """The senses of a span of normalised prompt text (only spacing still needs care)."""
    return LEXICON.get(text if " " not in text else normalise_term(text))


def _inner(token: Token) -> list[tuple[int, int, tuple[Sense, ...]]]:
    """Known terms inside an unknown Chinese word: the longest at each place, 2+ chars, or
    a 1-char term once a degree word is stripped (太快, 慢点)."""
    word = token.text
    for prefix in DEGREE_PREFIXES:
        for suffix in ("", *DEGREE_SUFFIXES):
            core = word[len(prefix) :] if word.startswith(prefix) else None
            if core and suffix and core.endswith(suffix):
                core = core[: -len(suffix)]
            elif core and suffix:
                continue
            if core and core in LEXICON:
                return [(len(prefix), len(prefix) + len(core), LEXICON[core])]
    for suffix in DEGREE_SUFFIXES:
        if word.endswith(suffix) and word[: -len(suffix)] in LEXICON:
            return [(0, len(word) - len(suffix), LEXICON[word[: -len(suffix)]])]
    found: list[tuple[int, int, tuple[Sense, ...]]] = []
    i = 0
    while i < len(word) - 1:
        for j in range(min(len(word), i + MAX_TERM_CHARS), i + 1, -1):
            if word[i:j] in LEXICON and (i, j) != (0, len(word)):
                found.append((i, j, LEXICON[word[i:j]]))
                i = j
                break
        else:
            i += 1
    return found


def match(tokens: list[Token], text: str) -> list[Item]:
    """The prompt's items in order. ``text`` is the normalised text the tokens index (its
    slices, with case restored by the caller, become each hit's ``text``)."""
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "sep":
            items.append(Item("sep", token))
            i += 1
            continue
        best: tuple[int, tuple[Sense, ...]] | None = None
        stop = i
        while stop + 1 < min(len(tokens), i + MAX_SPAN_TOKENS) and tokens[stop + 1].kind != "sep":
            stop += 1
        for j in range(stop, i - 1, -1):
            if tokens[j].end - token.start > MAX_TERM_CHARS + 4:
                continue
            senses = _lookup(text[token.start : tokens[j].end])
            if senses is not None:
                best = (j, senses)
                break
        if best is not None:
            j, senses = best
            span = Token(text[token.start : tokens[j].end], token.start, tokens[j].end, "hit")
            items.append(Item("hit", span, Hit(senses, span.text, len(items), len(items))))
            i = j + 1
            continue
        if token.text in CONJUNCTIONS:
            items.append(Item("conj", token))
        elif token.text in FILLERS or token.kind == "sym":
            items.append(Item("filler", token))
        elif token.kind == "han" and len(token.text) >= 2 and (inner := _inner(token)):
            pos = 0
            for a, b, senses in inner:
                if a > pos:
                    items.append(Item("unk", _piece(token, pos, a)))
                piece = _piece(token, a, b)
                items.append(Item("hit", piece, Hit(senses, piece.text, len(items), len(items))))
                pos = b
            if pos < len(token.text):
                items.append(Item("unk", _piece(token, pos, len(token.text))))
        else:
            items.append(Item("unk", token))
        i += 1
    for index, item in enumerate(items):
        objects = _VERB_BEFORE.get(item.token.text)
        if item.hit is not None and objects and index + 1 < len(items):
            if items[index + 1].token.text in objects:
                items[index] = Item("filler", item.token)  # a verb, not a crescendo
    for index, item in enumerate(items):
        if item.hit is not None:
            item.hit.first = item.hit.last = index
            item.hit.start, item.hit.end = item.token.start, item.token.end
    _apply_modifiers(items)
    return items


def _piece(token: Token, a: int, b: int) -> Token:
    return Token(token.text[a:b], token.start + a, token.start + b, token.kind)


def _next_hit(items: list[Item], start: int, step: int, *, skip: int = 2) -> int | None:
    """Index of the nearest hit from ``start`` in direction ``step``, passing at most
    ``skip`` fillers and stopping at punctuation or an unknown word."""
    k, passed = start, 0
    while 0 <= k < len(items):
        item = items[k]
        if item.kind == "hit":
            return k
        if item.kind != "filler" or passed >= skip:
            return None
        passed += 1
        k += step
    return None


def _joined(
    items: list[Item], k: int, fields: frozenset[str], step: int = 1, *, loose: bool = False
) -> list[int]:
    """Hits joined to the hit at ``k`` by conjunctions (鼓和贝斯, drums and bass), after it
    (``step`` 1) or before it (-1: "drums and bass only"). ``loose`` (an only-list) also
    joins across a comma and between neighbours ("just chords, bass and drums", "just
    chords bass drums"), but not an instrument to the role it is given ("just drums, piano
    melody" stops at piano melody: piano plays the melody, it is not a list item)."""
    out: list[int] = []
    while True:
        c = k + step
        while 0 <= c < len(items) and items[c].kind == "filler":
            c += step
        if not 0 <= c < len(items):
            return out
        if items[c].kind == "conj":
            n = _next_hit(items, c + step, step, skip=1)
        elif loose and items[c].kind == "sep" and items[c].token.text == ",":
            n = _next_hit(items, c + step, step, skip=1)
        elif loose and items[c].kind == "hit":
            n = c
        else:
            return out
        hit = items[n].hit if n is not None else None
        if n is None or hit is None or not any(hit.has(f) for f in fields):
            return out
        if loose and (_gives_role(items, n) or _gives_role(items, k)):
            return out
        out.append(n)
        k = n


def _gives_role(items: list[Item], k: int) -> bool:
    """Whether the instrument at ``k`` has its role named right after it: 钢琴伴奏, piano
    melody, sax solo, 二胡主奏."""
    hit = items[k].hit
    if hit is None or not hit.has("instrument"):
        return False
    n = _next_hit(items, k + 1, 1, skip=0)
    after = items[n].hit if n is not None else None
    if after is None:
        return False
    if after.has("stem"):
        return after.values("stem")[0] in ("melody", "chords", "accompaniment")
    return any(after.has(f) for f in ("solo", "lead", "accomp"))


def _instrument_at(items: list[Item], k: int | None) -> Hit | None:
    if k is None:
        return None
    hit = items[k].hit
    return hit if hit is not None and hit.has("instrument") else None


def _apply_modifiers(items: list[Item]) -> None:
    for k, item in enumerate(items):
        hit = item.hit
        if hit is None or not hit.is_modifier:
            continue
        kind = hit.senses[0].field
        if kind == "negate":
            n = _next_hit(items, k + 1, 1, skip=3)
            target = items[n].hit if n is not None else None
            if target is None or target.is_modifier or not any(target.has(f) for f in _NEGATABLE):
                continue
            target.negated, target.negator = True, hit
            for j in _joined(items, n, frozenset({"stem", "instrument"})):  # type: ignore[arg-type]
                joined = items[j].hit
                assert joined is not None
                joined.negated, joined.negator = True, hit
        elif kind in ("solo", "lead", "accomp"):
            before = _instrument_at(items, _next_hit(items, k - 1, -1, skip=1))
            target = before or _instrument_at(items, _next_hit(items, k + 1, 1, skip=1))
            if target is None:
                continue
            if kind == "solo":
                if _featured(items, target.first):
                    target.featured, target.role = True, "melody"
                else:
                    target.solo = True
            else:
                target.role = "melody" if kind == "lead" else "chords"
        elif kind == "only":
            step = 1
            n = _next_hit(items, k + 1, 1, skip=1)
            if n is None or not (items[n].hit.has("stem") or items[n].hit.has("instrument")):  # type: ignore[union-attr]
                step, n = -1, _next_hit(items, k - 1, -1, skip=1)
            if n is None or not (items[n].hit.has("stem") or items[n].hit.has("instrument")):  # type: ignore[union-attr]
                continue
            listed = _joined(items, n, frozenset({"stem", "instrument"}), step, loose=True)
            for j in (n, *listed):
                items[j].hit.only = True  # type: ignore[union-attr]
        elif kind == "guitar_tone":
            for step in (-1, 1):
                target = _instrument_at(items, _next_hit(items, k + step, step, skip=1))
                if target is not None and "guitar" in target.values("instrument")[0]:
                    target.program = int(hit.senses[0].value)
                    hit.role = "applied"
                    break
    _stem_word_roles(items)


def _stem_word_roles(items: list[Item]) -> None:
    """An instrument right before a stem word plays that stem: 钢琴伴奏, piano chords, 笛子旋律."""
    for k, item in enumerate(items):
        hit = item.hit
        if hit is None or not hit.has("stem") or hit.negated or hit.only:
            continue
        target = _instrument_at(items, _next_hit(items, k - 1, -1, skip=0))
        stem = hit.values("stem")[0]
        if (
            target is not None
            and target.role is None
            and stem in ("melody", "chords", "accompaniment")
        ):
            target.role = "melody" if stem == "melody" else "chords"


def _featured(items: list[Item], k: int) -> bool:
    """'with a sax solo': a solo over the band, not a solo piece."""
    j = k - 1
    while j >= 0 and items[j].kind in ("filler", "hit") and k - j <= 3:
        if items[j].token.text in FEATURE_WORDS:
            return True
        j -= 1
    return False
