"""Prompt -> ``PromptAttributes``: the lexicon path (fast, no model) plus, optionally, the
sentence embedding for what the lexicon does not name.

The rules a producer can rely on (docs/prompts.md has the full list):
- an explicit number beats a word (90bpm beats 快速); the first of two contradicting words
  wins and the other is listed in ``conflicts``; a negation (不要鼓, no drums) beats a
  mention of the same stem;
- a genre noun beats a regional or adjectival hint (苏格兰风笛进行曲 is a march);
- a style implies a meter only where it must (waltz 3/4, polka and ragtime 2/4, jig 6/8);
- nothing here raises: any string gives a result, with notes for what could not be used.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import replace

from models.text.ambience_words import read_ambience
from models.text.attributes import PromptAttributes
from models.text.form_words import read_form
from models.text.keys import read_keys
from models.text.matcher import Hit, Item, match
from models.text.quantities import read_quantities
from models.text.resolve import Resolver
from models.text.segmenter import SEPARATOR, normalise, tokenize

MAX_PROMPT_CHARS = 1000
_FUSION = re.compile(
    r"融合|结合|混搭|混合|跨界|(?<![a-z])(?:fusion|meets|crossover|x|mixed with)(?![a-z])"
)
MAX_IGNORED = 20

log = logging.getLogger(__name__)


def parse_prompt(prompt: str, *, use_embedding: bool = True) -> PromptAttributes:
    """Read a Chinese, English or mixed prompt into attributes. Never raises.

    With ``use_embedding`` (the default) the words the lexicon does not know are embedded
    (multilingual USE, loaded once, ~1 s) and their nearest style and mood descriptions are
    reported in ``nearest``, and adopted when no word named a style or mood and the cosine
    clears a measured threshold. Without it the parse is the lexicon alone (well under 5 ms).
    """
    if isinstance(prompt, str):
        return _parse_cached(prompt, use_embedding)
    return _parse_guarded(prompt, use_embedding)


@functools.lru_cache(maxsize=512)
def _parse_cached(prompt: str, use_embedding: bool) -> PromptAttributes:
    # The server parses a prompt for its `accepted` reply and the pipeline parses it again;
    # the record is frozen, so the second parse is a dictionary look-up.
    return _parse_guarded(prompt, use_embedding)


def _parse_guarded(prompt: object, use_embedding: bool) -> PromptAttributes:
    try:
        return _parse(prompt, use_embedding=use_embedding)
    except Exception:  # a prompt must never take a request down; the log keeps the trace
        log.exception("prompt parse failed for %r", str(prompt)[:200])
        return PromptAttributes(
            conflicts=("the prompt could not be read (an internal error, logged); defaults used",)
        )


def _parse(prompt: object, *, use_embedding: bool) -> PromptAttributes:
    text = prompt if isinstance(prompt, str) else str(prompt)
    notes: list[str] = []
    if len(text) > MAX_PROMPT_CHARS:
        notes.append(
            f"everything after the first {MAX_PROMPT_CHARS} characters (the prompt has {len(text)})"
        )
        text = text[:MAX_PROMPT_CHARS]
    cased = normalise(text, lower=False)
    forms, cased_form = read_form(cased)
    sounds, cased_form = read_ambience(cased_form)
    keys, cased_blank = read_keys(cased_form)
    lower = "".join(
        SEPARATOR if b == SEPARATOR else c
        for c, b in zip(normalise(text), cased_blank, strict=True)
    )
    quantities, blanked = read_quantities(lower)
    items = match(tokenize(blanked), blanked)
    for item in items:
        if item.hit is not None:
            item.hit.text = cased[item.token.start : item.token.end]
    for item in items:  # a negated hit is shown with its negation: "不要鼓", "no drums"
        hit = item.hit
        if hit is not None and hit.negator is not None:
            hit.text = cased[hit.negator.start : hit.end]
    findings = [
        replace(f, text=cased[f.start : f.end].strip())  # as written, case and all
        for f in sorted([*forms, *sounds, *keys, *quantities], key=lambda f: f.start)
    ]
    ignored = _ignored(items, cased) + notes
    resolver = Resolver(
        hits=[item.hit for item in items if item.hit is not None],
        findings=findings,
        ignored=ignored,
        fusion_word=bool(_FUSION.search(lower)),
    )
    attrs = resolver.resolve(use_embedding=use_embedding, unnamed=_unnamed_text(items, cased))
    if len(attrs.ignored) > MAX_IGNORED:
        extra = len(attrs.ignored) - MAX_IGNORED
        attrs = replace(attrs, ignored=(*attrs.ignored[:MAX_IGNORED], f"… and {extra} more"))
    return attrs


def _segments(items: list[Item], cased: str) -> list[str]:
    """Runs of unknown words, as written (a run ends at punctuation or a known word)."""
    out: list[str] = []
    run: list[Item] = []

    def flush() -> None:
        if run:
            segment = cased[run[0].token.start : run[-1].token.end].strip()
            if any(ch.isalnum() for ch in segment):
                out.append(segment)
            run.clear()

    for item in items:
        if item.kind == "unk":
            run.append(item)
        elif item.kind == "filler" and run and item.token.kind == "word":
            continue  # English fillers inside an unknown phrase stay in it
        else:
            flush()
    flush()
    return out


def _ignored(items: list[Item], cased: str) -> list[str]:
    segments = _segments(items, cased)
    seen: set[str] = set()
    return [s for s in segments if not (s in seen or seen.add(s))]  # type: ignore[func-returns-value]


def _unnamed_text(items: list[Item], cased: str) -> str:
    """What the lexicon did not name, for the sentence embedding."""
    return " ".join(_segments(items, cased))


__all__ = ["Hit", "parse_prompt"]
