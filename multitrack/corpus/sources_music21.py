"""Melodies from the music21 corpus: Essen (incl. Chinese Han), Ryan's, O'Neill's, Aird's, chorales.

Each ABC collection is split into single tunes (parsing one tune at a time is ~5x faster than
music21's opus parser and a broken tune loses only itself), parsed over worker processes and
reduced to a ``Tune`` on the 16th grid. Results are cached per source file as JSON under
``cache_dir`` so a rebuild parses nothing. Tunes that do not fit are skipped and counted by
reason: meter changes or meters we do not carry, notes off the 16th grid (tuplets, 32nds),
no notes, parse errors.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from multitrack.atomic import write_text_atomic
from multitrack.corpus.tunes import METER_MAP, Tune

log = logging.getLogger(__name__)

EXTRACTOR_VERSION = 4  # 4: repeats expanded (song form)
# Collection name -> (folder in music21's corpus, file glob)
ABC_SOURCES: dict[str, tuple[str, str]] = {
    "essen": ("essenFolksong", "*.abc"),
    "ryans": ("ryansMammoth", "*.abc"),
    "oneills": ("oneills1850", "*.abc"),
    "airds": ("airdsAirs", "*.abc"),
}
CHINESE_FILES = frozenset({"han1", "han2"})
ESSEN_TEST_FILES = frozenset({"test0", "test1", "testd", "teste"})  # duplicates of others
# Final note's degree above the signature's major tonic -> mode (rarer finals: major).
MODES_BY_DEGREE = {0: "major", 9: "minor", 2: "dorian", 7: "mixolydian"}
CHINESE_BY_DEGREE = {0: "gong", 2: "shang", 4: "jue", 7: "zhi", 9: "yu"}
PENTATONIC = (0, 2, 4, 7, 9)


@dataclass(frozen=True)
class TuneJob:
    """One tune's ABC text to parse, or one chorale path (``kind`` "abc" or "chorale")."""

    kind: str
    source: str
    piece: str
    text: str
    chinese: bool = False


class SkipTune(Exception):
    """A tune that does not fit; the message is the reason counted in the build report."""


def corpus_root() -> Path:
    from music21 import corpus

    return Path(corpus.__file__).parent


def find_mode(
    major_tonic: int, notes: Iterable[tuple[int, int, int]], *, chinese: bool, abc_mode: str | None
) -> tuple[int, str]:
    """(tonic pitch class, mode) of a melody from its signature's major tonic, its final note
    and, for Chinese tunes, its pentatonic degree (宫商角徵羽 by the final note's degree)."""
    notes = list(notes)
    final = notes[-1][1] % 12 if notes else major_tonic
    degree = (final - major_tonic) % 12
    if chinese and degree in CHINESE_BY_DEGREE:
        return final, CHINESE_BY_DEGREE[degree]
    if abc_mode and abc_mode not in ("major", "minor"):
        return final if degree in MODES_BY_DEGREE else major_tonic, (
            MODES_BY_DEGREE.get(degree, "major")
        )
    if degree in MODES_BY_DEGREE:
        return final, MODES_BY_DEGREE[degree]
    return major_tonic, "major"


def _to_steps(quarters: float | Fraction, what: str) -> int:
    steps = Fraction(quarters).limit_denominator(960) * 4
    if steps.denominator != 1:
        raise SkipTune(f"{what} off the 16th grid")
    return int(steps)


def _meter_of(score: Any) -> str:
    sigs = {ts.ratioString for ts in score.recurse().getElementsByClass("TimeSignature")}
    if len(sigs) != 1:
        raise SkipTune("meter change" if sigs else "no meter")
    ratio = sigs.pop()
    if ratio not in METER_MAP:
        raise SkipTune(f"meter {ratio}")
    return ratio


def _melody_notes(part: Any, shift_quarters: float) -> tuple[list[tuple[int, int, int]], list[int]]:
    """(start, pitch, duration) steps of a part's top line, ties merged; and fermata ends."""
    from music21 import chord, expressions

    notes: list[tuple[int, int, int]] = []
    fermatas: list[int] = []
    for el in part.flatten().notes:
        if el.duration.isGrace or el.duration.quarterLength == 0:
            continue
        pitch = max(p.midi for p in el.pitches) if isinstance(el, chord.Chord) else el.pitch.midi
        start = _to_steps(el.offset + shift_quarters, "onset")
        dur = _to_steps(el.duration.quarterLength, "duration")
        tie = el.tie.type if el.tie is not None else None
        if tie in ("stop", "continue") and notes and notes[-1][1] == pitch:
            s0, p0, d0 = notes[-1]
            if s0 + d0 == start:
                notes[-1] = (s0, p0, d0 + dur)
                if any(isinstance(e, expressions.Fermata) for e in el.expressions):
                    fermatas.append(start + dur)
                continue
        if notes and start < notes[-1][0] + notes[-1][2]:
            s0, p0, _ = notes[-1]
            if start <= s0:
                continue  # a second voice at the same time: keep the first
            notes[-1] = (s0, p0, start - s0)
        notes.append((start, pitch, dur))
        if any(isinstance(e, expressions.Fermata) for e in el.expressions):
            fermatas.append(start + dur)
    return notes, fermatas


def _pickup_shift(part: Any, source_meter: str) -> float:
    """Quarters to shift a part right so its first bar line falls on a bar line of ours."""
    measures = part.getElementsByClass("Measure")
    if not measures:
        return 0.0
    pad = float(measures[0].paddingLeft or 0.0)
    _, ratio = METER_MAP[source_meter]
    if ratio == 0.5 and pad == 0.0:
        return 0.0
    if ratio == 0.5:
        # two source bars make one of ours: the pickup's bar becomes the second half
        return pad + float(measures[0].barDuration.quarterLength)
    return pad


def expand_repeats(part: Any) -> Any:
    """The part with its repeats written out (AABB reels become 32 bars), so the corpus
    holds whole forms whose sections return; the part as it is when music21 cannot expand
    it, or when the expansion leaves a short bar inside the tune (a repeated pickup bar
    would shift every later bar line)."""
    try:
        expanded = part.expandRepeats()
    except Exception:  # music21 raises many kinds on unusual repeat marks
        return part
    measures = list(expanded.getElementsByClass("Measure"))
    inner = measures[1:-1]
    if not measures or any(
        abs(float(m.duration.quarterLength) - float(m.barDuration.quarterLength)) > 1e-6
        for m in inner
    ):
        return part
    return expanded


def _extract_abc(job: TuneJob) -> Tune:
    from music21 import converter, key

    try:
        score = converter.parse(job.text, format="abc")
    except Exception as exc:  # music21 raises many kinds on bad ABC
        raise SkipTune(f"unparseable ({type(exc).__name__})") from None
    source_meter = _meter_of(score)
    parts = list(score.parts) if hasattr(score, "parts") and score.parts else [score]
    part = expand_repeats(parts[0])
    notes, fermatas = _melody_notes(part, _pickup_shift(part, source_meter))
    if len(notes) < 8:
        raise SkipTune("fewer than 8 notes")
    sigs = list(score.recurse().getElementsByClass("KeySignature"))
    sharps = sigs[0].sharps if sigs else 0
    abc_mode = sigs[0].mode if sigs and isinstance(sigs[0], key.Key) else None
    major_tonic = (sharps * 7) % 12
    tonic, mode = find_mode(major_tonic, notes, chinese=job.chinese, abc_mode=abc_mode)
    title = str(score.metadata.title or "") if score.metadata is not None else ""
    return Tune(
        source=job.source,
        piece=job.piece,
        title=title,
        meter=METER_MAP[source_meter][0],
        tonic=tonic,
        mode=mode,
        notes=tuple(notes),
        chinese=job.chinese,
        phrase_ends=tuple(fermatas),
    )


def _extract_chorale(job: TuneJob) -> Tune:
    from music21 import corpus

    try:
        score = corpus.parse(job.text)
    except Exception as exc:
        raise SkipTune(f"unparseable ({type(exc).__name__})") from None
    source_meter = _meter_of(score)
    parts = list(score.parts)
    if len(parts) != 4:
        raise SkipTune(f"{len(parts)} voices, not 4")
    shift = _pickup_shift(parts[0], source_meter)
    voices = [_melody_notes(p, shift) for p in parts]
    melody, fermatas = voices[0]
    sigs = list(score.recurse().getElementsByClass("KeySignature"))
    major_tonic = (sigs[0].sharps * 7) % 12 if sigs else 0
    bass = voices[3][0]
    tonic, mode = find_mode(major_tonic, bass, chinese=False, abc_mode=None)
    if mode not in ("major", "minor"):
        tonic, mode = find_mode(major_tonic, melody, chinese=False, abc_mode=None)
    return Tune(
        source=job.source,
        piece=job.piece,
        title=str(score.metadata.title or job.piece) if score.metadata else job.piece,
        meter=METER_MAP[source_meter][0],
        tonic=tonic,
        mode=mode,
        notes=tuple(melody),
        phrase_ends=tuple(sorted(set(fermatas))),
        voices=tuple(tuple(v[0]) for v in voices),
    )


def extract(job: TuneJob) -> dict[str, Any]:
    """Parse one job: ``{"tune": {...}}`` or ``{"skip": reason}``. Never raises."""
    try:
        tune = _extract_abc(job) if job.kind == "abc" else _extract_chorale(job)
    except SkipTune as exc:
        return {"skip": str(exc), "piece": job.piece}
    except Exception as exc:  # a music21 bug on one tune must not stop the build
        return {"skip": f"extraction error ({type(exc).__name__})", "piece": job.piece}
    return {"tune": tune.to_json()}


def split_abc(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(file header, [(X number, tune text with the header prepended)]) of an ABC file."""
    chunks = re.split(r"(?m)^(?=X:)", text)
    header = chunks[0] if chunks and not chunks[0].startswith("X:") else ""
    tunes: list[tuple[str, str]] = []
    for chunk in chunks:
        if not chunk.startswith("X:"):
            continue
        number = chunk[2 : chunk.find("\n")].strip() or str(len(tunes) + 1)
        tunes.append((number, header + chunk))
    return header, tunes


def abc_jobs(source: str, path: Path) -> list[TuneJob]:
    """The tunes of one ABC file as jobs (pieces named ``source/file/X``)."""
    text = path.read_text(encoding="latin-1")
    _, tunes = split_abc(text)
    chinese = path.stem in CHINESE_FILES
    src = "essen_han" if chinese else source
    seen: Counter[str] = Counter()
    jobs = []
    for number, tune_text in tunes:
        seen[number] += 1
        suffix = "" if seen[number] == 1 else f"-{seen[number]}"
        piece = f"{src}/{path.stem}/{number}{suffix}"
        jobs.append(TuneJob("abc", src, piece, tune_text, chinese))
    return jobs


def source_files(*, limit_files: int | None = None) -> list[tuple[str, Path]]:
    """(collection, path) of every ABC file we read, sorted; absent folders are logged."""
    root = corpus_root()
    files: list[tuple[str, Path]] = []
    for source, (folder, pattern) in ABC_SOURCES.items():
        paths = sorted((root / folder).glob(pattern))
        if not paths:
            log.warning("music21 corpus folder %s is absent in this music21 version", folder)
        for p in paths:
            if source == "essen" and p.stem in ESSEN_TEST_FILES:
                continue
            files.append((source, p))
    return files[:limit_files] if limit_files else files


def chorale_jobs(*, limit: int | None = None) -> list[TuneJob]:
    from music21 import corpus

    names = list(corpus.chorales.Iterator(returnType="filename"))
    if limit:
        names = names[:limit]
    return [TuneJob("chorale", "chorales", f"chorales/{n.split('/')[-1]}", n) for n in names]


def _cache_path(cache_dir: Path, name: str) -> Path:
    return cache_dir / f"{name.replace('/', '__')}.v{EXTRACTOR_VERSION}.json"


def _run_jobs(
    jobs: list[TuneJob], processes: int, progress: Callable[[int, int], None] | None
) -> list[dict[str, Any]]:
    if processes <= 1 or len(jobs) < 50:
        results = []
        for i, job in enumerate(jobs):
            results.append(extract(job))
            if progress and ((i + 1) % 200 == 0 or i + 1 == len(jobs)):
                progress(i + 1, len(jobs))
        return results
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    results = []
    with ctx.Pool(processes) as pool:
        for i, result in enumerate(pool.imap(extract, jobs, chunksize=16)):
            results.append(result)
            if progress and (i + 1) % 200 == 0:
                progress(i + 1, len(jobs))
    return results


def load_tunes(
    cache_dir: Path,
    *,
    processes: int = 2,
    limit_files: int | None = None,
    chorales: bool = True,
    limit_chorales: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Tune], Counter[str]]:
    """Every tune of the music21 sources, parsed once and cached as JSON per source file.

    Returns the tunes (sorted by piece) and the skip counts by reason.
    """
    import music21

    cache_dir.mkdir(parents=True, exist_ok=True)
    groups: list[tuple[str, list[TuneJob]]] = [
        (f"{source}/{path.stem}", abc_jobs(source, path))
        for source, path in source_files(limit_files=limit_files)
    ]
    if chorales:
        groups.append(("chorales/all" + (f"-{limit_chorales}" if limit_chorales else ""),
                       chorale_jobs(limit=limit_chorales)))  # fmt: skip
    tunes: list[Tune] = []
    skipped: Counter[str] = Counter()
    todo: list[TuneJob] = []
    todo_groups: list[tuple[str, int]] = []
    for name, jobs in groups:
        path = _cache_path(cache_dir, name)
        cached = read_cache(path, music21.__version__)
        if cached is None:
            todo.extend(jobs)
            todo_groups.append((name, len(jobs)))
            continue
        tunes.extend(Tune.from_json(t) for t in cached["tunes"])
        skipped.update(cached["skipped"])
    results = _run_jobs(todo, processes, progress)
    at = 0
    for name, count in todo_groups:
        part = results[at : at + count]
        at += count
        group_tunes = [r["tune"] for r in part if "tune" in r]
        group_skips = Counter(r["skip"] for r in part if "skip" in r)
        write_cache(_cache_path(cache_dir, name), music21.__version__, group_tunes, group_skips)
        tunes.extend(Tune.from_json(t) for t in group_tunes)
        skipped.update(group_skips)
    tunes.sort(key=lambda t: t.piece)
    return tunes, skipped


def read_cache(path: Path, version: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("music21") == version else None


def write_cache(path: Path, version: str, tunes: list[Any], skipped: Counter[str]) -> None:
    data = {"music21": version, "tunes": tunes, "skipped": dict(skipped)}
    write_text_atomic(path, json.dumps(data, ensure_ascii=False))
