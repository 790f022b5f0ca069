"""Human chord labels: music21's RomanText analyses (20 Bach chorales, 48 Monteverdi
madrigals), read once and cached as JSON. The harmoniser learns chord changes from them."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter
from pathlib import Path
from typing import Any

from multitrack.corpus.sources_music21 import (
    EXTRACTOR_VERSION,
    corpus_root,
    read_cache,
    write_cache,
)

log = logging.getLogger(__name__)


def _rntxt_chord(rn: Any) -> tuple[int, str] | None:
    from multitrack.chords import QUALITIES, QUALITY_INTERVALS

    root = rn.root().pitchClass
    intervals = {(p.pitchClass - root) % 12 for p in rn.pitches}
    for quality in QUALITIES:  # the trained qualities: the corpus labels what the model learns
        if set(QUALITY_INTERVALS[quality]) == intervals:
            return root, quality
    return None


def _read_rntxt(file: Path) -> dict[str, Any] | None:
    from music21 import converter, roman

    try:
        score = converter.parse(file)
    except Exception as exc:
        log.warning("RomanText %s does not parse: %s", file.name, type(exc).__name__)
        return None
    keys, chords = [], []
    for rn in score.recurse().getElementsByClass(roman.RomanNumeral):
        chord = _rntxt_chord(rn)
        if chord is None or rn.key is None:
            continue
        keys.append([rn.key.tonic.pitchClass, rn.key.mode])
        chords.append(list(chord))
    return {"file": f"{file.parent.name}/{file.name}", "keys": keys, "chords": chords}


def rntxt_progressions(
    cache_dir: Path, *, include_bach: bool = True, processes: int = 2
) -> list[dict[str, Any]]:
    """The human chord labels of music21's RomanText analyses (Bach chorales, Monteverdi
    madrigals) as ``{"file", "key": [tonic, mode] per chord, "chords": [[root, quality]]}``,
    cached as JSON. Chords whose notes match none of our qualities are dropped."""
    import music21

    path = cache_dir / f"rntxt.v{EXTRACTOR_VERSION}.json"
    cached = read_cache(path, music21.__version__)
    if cached is None:
        files = sorted(corpus_root().rglob("*.rntxt"))
        if processes > 1:
            ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
            with ctx.Pool(processes) as pool:
                parsed = pool.map(_read_rntxt, files, chunksize=1)
        else:
            parsed = [_read_rntxt(f) for f in files]
        pieces = [p for p in parsed if p is not None]
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_cache(path, music21.__version__, pieces, Counter())
        cached = read_cache(path, music21.__version__)
        assert cached is not None
    found: list[dict[str, Any]] = list(cached["tunes"])
    return [p for p in found if include_bach or not str(p["file"]).startswith("bach/")]
