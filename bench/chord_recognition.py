"""Chord recognition against human Roman-numeral analyses of Bach chorales.

The music21 corpus holds RomanText analyses (``bach/choraleAnalyses/*.rntxt``) of chorales
whose scores are in the corpus too (found by their BWV number). For each pair the score's
notes go onto our 16th grid, ``multitrack.recognise`` labels them, and each 16th step is
compared with the analyst's chord there, by ``mir_eval.chord``: ``root`` (root agreement),
``triads`` (root and triad quality: maj/min/dim/aug, sevenths reduced) and ``sevenths``.
Agreements are duration-weighted: the share of 16ths that agree. Prints one line a piece
and the totals, for the default shortest chord (half a 4/4 bar) and for one beat.

    .venv/bin/python bench/chord_recognition.py [--min-steps 4] [--monteverdi]
        [--corpus data/corpus --split test --n 400]

With ``--corpus``, also the built corpus's windows: their chords and bass stems recognised
against the chords they were voiced from, and how the two read (slash chords, added tones,
symbols a bar).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import mir_eval
import numpy as np
from music21 import corpus, meter, roman, stream

from multitrack.chords import parse_chord
from multitrack.errors import MusicError
from multitrack.recognise import default_min_steps, recognise
from multitrack.song import Meter, Note
from multitrack.theory import pitch_class_name

_MIR_QUALITY: dict[str, str] = {
    "maj": "maj",
    "m": "min",
    "dim": "dim",
    "aug": "aug",
    "sus2": "sus2",
    "sus4": "sus4",
    "6": "maj6",
    "m6": "min6",
    "7": "7",
    "maj7": "maj7",
    "m7": "min7",
    "m7b5": "hdim7",
    "dim7": "dim7",
    "9": "9",
    "add9": "maj(9)",
}
# Pitch-class sets above the root (music21's chord) -> mir_eval shorthand.
_INTERVAL_QUALITY: dict[frozenset[int], str] = {
    frozenset({0, 4, 7}): "maj",
    frozenset({0, 3, 7}): "min",
    frozenset({0, 3, 6}): "dim",
    frozenset({0, 4, 8}): "aug",
    frozenset({0, 4, 7, 10}): "7",
    frozenset({0, 4, 7, 11}): "maj7",
    frozenset({0, 3, 7, 10}): "min7",
    frozenset({0, 3, 6, 10}): "hdim7",
    frozenset({0, 3, 6, 9}): "dim7",
    frozenset({0, 3, 7, 11}): "minmaj7",
    frozenset({0, 4, 8, 10}): "aug(b7)",
    frozenset({0, 4, 7, 10, 2}): "9",
}
_TRIAD_QUALITY: dict[str, str] = {
    "major": "maj",
    "minor": "min",
    "diminished": "dim",
    "augmented": "aug",
}


class Misaligned(Exception):
    """An analysis that does not follow its score (a variant version)."""


@dataclass(frozen=True)
class Piece:
    name: str
    transposed: int  # semitones from the analysis's key to the score's
    steps: int  # compared 16ths
    root: float
    triads: float
    sevenths: float


def find_pairs(analysis_folder: str) -> list[tuple[Path, Path]]:
    """(analysis, score) pairs: each .rntxt in ``analysis_folder`` and its score."""
    pairs: list[tuple[Path, Path]] = []
    for analysis in sorted(Path(p) for p in corpus.getPaths(fileExtensions=("rntxt",))):
        if analysis.parent.name != analysis_folder:
            continue
        score = _score_for(analysis)
        if score is not None:
            pairs.append((analysis, score))
    return pairs


def _score_for(analysis: Path) -> Path | None:
    """The chorale score with the analysis's BWV number ("248(2).12" -> bwv248.12-2)."""
    text = analysis.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"^BWV:\s*(\S+)", text, re.MULTILINE)
    if found is None:
        return None
    bwv = found[1]
    part = re.fullmatch(r"(\d+)\((\d+)\)\.(\d+)", bwv)
    names = [f"bwv{part[1]}.{part[3]}-{part[2]}"] if part else [f"bwv{bwv}", f"bwv{bwv[:-1]}"]
    folder = analysis.parent.parent
    for name in names:
        for ext in (".mxl", ".xml", ".krn"):
            if (folder / (name + ext)).exists():
                return folder / (name + ext)
    return None


def madrigal_pairs() -> list[tuple[Path, Path]]:
    """Monteverdi madrigals: each .rntxt beside its .mxl score."""
    pairs: list[tuple[Path, Path]] = []
    for analysis in sorted(Path(p) for p in corpus.getPaths(fileExtensions=("rntxt",))):
        score = analysis.with_suffix(".mxl")
        if analysis.parent.name == "monteverdi" and score.exists():
            pairs.append((analysis, score))
    return pairs


def _pickup_quarters(score: stream.Score) -> float:
    first = score.parts[0].getElementsByClass(stream.Measure)[0]
    return float(first.paddingLeft)


def _meter(score: stream.Score) -> Meter:
    signatures = list(score.flatten().getElementsByClass(meter.TimeSignature))
    if not signatures:
        return Meter(4, 4)
    ts = signatures[0]
    aliases = {(2, 2): (4, 4), (4, 2): (4, 4), (3, 2): (3, 4), (6, 4): (3, 4)}
    num, den = aliases.get((ts.numerator, ts.denominator), (ts.numerator, ts.denominator))
    return Meter(num, den)


def score_notes(score: stream.Score, shift: float) -> tuple[list[Note], int]:
    """The score's notes on the 16th grid, shifted by ``shift`` quarters; and its length."""
    notes: list[Note] = []
    for element in score.stripTies().flatten().notes:
        if element.duration.isGrace:
            continue
        start = round((float(element.offset) + shift) * 4)
        length = max(1, round(float(element.quarterLength) * 4))
        notes.extend(Note(start, p.midi, length) for p in element.pitches if 0 <= p.midi <= 127)
    end = max(n.end for n in notes)
    return notes, end


def reference_chords(analysis: stream.Score) -> list[tuple[float, float, int, str, frozenset[int]]]:
    """The analyst's chords as (offset in quarters, quarters, root pc, quality, pitch
    classes), with repeats written out as the corpus scores write them: music21 repeats the
    pickup bar too, which the scores do not, so a repeated pickup is dropped."""
    chords: list[tuple[float, float, int, str, frozenset[int]]] = []
    dropped = 0.0
    for measure in analysis.parts[0].getElementsByClass(stream.Measure):
        if measure.number == 0 and measure.offset > 0:
            dropped += float(measure.duration.quarterLength)
            continue
        for rn in measure.getElementsByClass(roman.RomanNumeral):
            root = rn.root().pitchClass
            pcs = frozenset(p.pitchClass for p in rn.pitches)
            intervals = frozenset((pc - root) % 12 for pc in pcs)
            quality = _INTERVAL_QUALITY.get(intervals) or _TRIAD_QUALITY.get(rn.quality, "")
            start = float(measure.offset) + float(rn.offset) - dropped
            chords.append((start, float(rn.quarterLength), root, quality, pcs))
    return chords


def transposition(
    notes: list[Note], chords: list[tuple[float, float, int, str, frozenset[int]]]
) -> int:
    """Semitones from the analysis's key to the score's (some analyses follow an edition in
    another key): the shift that best matches the chords' pitch classes to the notes'."""
    heard = np.zeros(12)
    for note in notes:
        heard[note.pitch % 12] += note.duration
    named = np.zeros(12)
    for _, length, _, _, pcs in chords:
        for pc in pcs:
            named[pc] += length
    return int(np.argmax([heard @ np.roll(named, k) for k in range(12)]))


def reference_labels(
    chords: list[tuple[float, float, int, str, frozenset[int]]], shift: float, steps: int, up: int
) -> list[str | None]:
    """The analyst's chord at every 16th, as mir_eval labels (None where there is none)."""
    labels: list[str | None] = [None] * steps
    for offset, length, root, quality, _ in chords:
        start = round((offset + shift) * 4)
        end = min(steps, start + round(length * 4))
        name = pitch_class_name((root + up) % 12, flats=True)
        label = f"{name}:{quality}" if quality else "X"
        labels[start:end] = [label] * (end - start)
    return labels


def to_mir_eval(symbol: str) -> str:
    """One of our symbols as a mir_eval label: 'Am7' -> 'A:min7', 'N.C.' -> 'N'."""
    chord = parse_chord(symbol)
    if chord.root is None:
        return "N"
    return f"{pitch_class_name(chord.root, flats=True)}:{_MIR_QUALITY[chord.quality]}"


def compare(analysis_path: Path, score_path: Path, *, min_steps: int | None) -> Piece:
    analysis = corpus.parse(str(analysis_path))
    score = corpus.parse(str(score_path))
    meter_ = _meter(score)
    bar_quarters = meter_.quarters_per_bar
    pickup = _pickup_quarters(score)
    shift = pickup % bar_quarters  # move bar lines onto our grid's bar lines
    notes, end = score_notes(score, shift)
    steps = math.ceil(end / meter_.steps_per_bar) * meter_.steps_per_bar
    spans = recognise(notes, meter_, steps=steps, min_steps=min_steps)
    estimated: list[str] = [""] * steps
    for span in spans:
        estimated[span.start : span.start + span.duration] = [to_mir_eval(span.symbol)] * (
            span.duration
        )
    try:
        analysis = analysis.expandRepeats()
    except Exception:  # music21 raises assorted errors on irregular repeats
        pass
    if abs(float(analysis.highestTime) - float(score.highestTime)) > bar_quarters:
        raise Misaligned(
            f"analysis lasts {float(analysis.highestTime):g} quarters, "
            f"score {float(score.highestTime):g}"
        )
    chords = reference_chords(analysis)
    up = transposition(notes, chords)
    reference = reference_labels(chords, shift, steps, up)
    ref = [r for r in reference if r is not None]
    est = [e for e, r in zip(estimated, reference, strict=True) if r is not None]
    weights = np.ones(len(ref))
    return Piece(
        name=score_path.stem,
        transposed=up,
        steps=len(ref),
        root=float(mir_eval.chord.weighted_accuracy(mir_eval.chord.root(ref, est), weights)),
        triads=float(mir_eval.chord.weighted_accuracy(mir_eval.chord.triads(ref, est), weights)),
        sevenths=float(
            mir_eval.chord.weighted_accuracy(mir_eval.chord.sevenths(ref, est), weights)
        ),
    )


def run(pairs: list[tuple[Path, Path]], *, min_steps: int | None, label: str) -> None:
    print(f"== {label}")
    pieces: list[Piece] = []
    for analysis_path, score_path in pairs:
        try:
            piece = compare(analysis_path, score_path, min_steps=min_steps)
        except (MusicError, Misaligned) as exc:
            print(f"{score_path.stem:>16}  skipped: {exc}")
            continue
        pieces.append(piece)
        print(
            f"{piece.name:>16}  16ths {piece.steps:5d}  root {piece.root:6.1%}  "
            f"triads {piece.triads:6.1%}  sevenths {piece.sevenths:6.1%}"
            + (f"  (analysis transposed {piece.transposed:+d})" if piece.transposed else "")
        )
    total = sum(p.steps for p in pieces)
    for field in ("root", "triads", "sevenths"):
        weighted = sum(getattr(p, field) * p.steps for p in pieces) / total
        mean = sum(getattr(p, field) for p in pieces) / len(pieces)
        print(
            f"{label}: {field:8} agreement {weighted:.1%} duration-weighted over {len(pieces)} "
            f"pieces ({total} sixteenths); mean per piece {mean:.1%}"
        )


_ADDED = ("6", "7", "9", "sus", "add")


def corpus_labels(path: Path, split: str, n: int) -> None:
    """The corpus windows' own chords and bass stems, recognised (``recognise_song``), against
    the labels they were played from (the harmoniser's chords, which MMA voiced): step-wise
    agreement of root, triad, bass (the slash, else the root) and the whole symbol, and the
    shape of the two label sets (slash chords, added tones, symbols a bar), as a producer
    reads them in song.json and the DAW's markers."""
    import random

    from multitrack.corpus.store import iter_examples
    from multitrack.recognise import recognise_song

    pool = [
        ex.song for ex in iter_examples(path, split) if ex.song.bars in (4, 8) and ex.song.chords
    ]
    random.Random(1).shuffle(pool)
    agree: dict[str, list[bool]] = {"root": [], "triad": [], "bass": [], "symbol": []}
    shape: dict[str, dict[str, list[float]]] = {"labels": {}, "recognised": {}}
    for song in pool[:n]:
        got = recognise_song(song)
        for name, spans in (("labels", song.chords), ("recognised", got)):
            row = shape[name]
            row.setdefault("slash", []).extend("/" in c.symbol for c in spans)
            row.setdefault("added", []).extend(any(t in c.symbol for t in _ADDED) for c in spans)
            row.setdefault("per bar", []).append(len(spans) / song.bars)
        want = [None] * song.steps
        have = [None] * song.steps
        for spans, out in ((song.chords, want), (got, have)):
            for c in spans:
                chord = parse_chord(c.symbol)
                end = min(song.steps, c.start + c.duration)
                out[c.start : end] = [chord] * (end - c.start)
        for x, y in zip(want, have, strict=True):
            if x is None or y is None or x.root is None:
                continue
            agree["root"].append(x.root == y.root)
            agree["triad"].append(x.triad() == y.triad())
            agree["bass"].append(x.bass_pitch_class() == y.bass_pitch_class())
            agree["symbol"].append(x == y)
    print(f"== corpus {split} windows ({min(n, len(pool))}): recognised from their chords and "
          "bass stems against their labels, the share of 16ths agreeing")  # fmt: skip
    print("  " + "  ".join(f"{k} {np.mean(v):.3f}" for k, v in agree.items()))
    for name, row in shape.items():
        print(f"  {name:10s} " + "  ".join(f"{k} {np.mean(v):.3f}" for k, v in row.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-steps", type=int, default=4, help="shortest chord (16ths)")
    parser.add_argument("--monteverdi", action="store_true", help="also the madrigals")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="also the built corpus's windows against their own labels")  # fmt: skip
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--n", type=int, default=400, help="corpus windows")
    args = parser.parse_args()
    began = time.perf_counter()
    if args.corpus is not None:
        corpus_labels(args.corpus, args.split, args.n)
    pairs = find_pairs("choraleAnalyses")
    print(f"{len(pairs)} Bach chorales with a RomanText analysis and a score")
    run(pairs, min_steps=args.min_steps, label=f"bach, shortest chord {args.min_steps} 16ths")
    default = default_min_steps(Meter(4, 4))
    run(pairs, min_steps=None, label=f"bach, default shortest chord ({default} 16ths in 4/4)")
    if args.monteverdi:
        madrigals = madrigal_pairs()
        run(madrigals, min_steps=args.min_steps, label="monteverdi")
    print(f"seconds: {time.perf_counter() - began:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
