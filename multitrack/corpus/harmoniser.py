"""A harmoniser for melodies without chords: an HMM decoded by Viterbi.

Hidden states are chords named relative to the key's tonic (degree in semitones, quality):
the triads of the key's parent major scale (its gong scale for the Chinese modes) plus, for
heptatonic keys, the common chromatic chords (V and V7 in minor, V/V, iv and bVII in
major). Emissions score how well a segment's melody notes fit the chord (duration- and
accent-weighted chord tones, passing scale tones, clashes). Transitions come from a
``HarmonyModel``: a functional-harmony prior, optionally blended with counts learned from
real progressions (the Bach chorales, recognised by ``multitrack.recognise``). Harmonic
rhythm: a chord may change at any segment, cheaply at bar lines; cadences pull the last
segment (and fermatas) to the tonic, the one before it to the dominant.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from multitrack.chords import QUALITY_INTERVALS, Chord, format_chord
from multitrack.song import ChordSpan, Meter
from multitrack.theory import Key

Degree = tuple[int, str]  # (semitones above the key's tonic, quality)
MelodyNote = tuple[int, int, int]  # (start step, MIDI pitch, duration steps)

_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_TRIADS = {(4, 7): "maj", (3, 7): "m", (3, 6): "dim", (4, 8): "aug"}
# Chromatic chords in common use, relative to the tonic.
_CHROMATIC_MAJOR: tuple[Degree, ...] = ((7, "7"), (2, "maj"), (5, "m"), (10, "maj"), (4, "maj"))
_CHROMATIC_MINOR: tuple[Degree, ...] = ((7, "maj"), (7, "7"), (5, "maj"))


def chord_vocabulary(key: Key) -> tuple[Degree, ...]:
    """The chords the harmoniser may choose in ``key``, tonic chord first."""
    rel = (key.relative_major_tonic - key.tonic) % 12
    scale = sorted((rel + s) % 12 for s in _MAJOR_SCALE)
    vocab: list[Degree] = []
    for i, root in enumerate(scale):
        third = (scale[(i + 2) % 7] - root) % 12
        fifth = (scale[(i + 4) % 7] - root) % 12
        quality = _TRIADS.get((third, fifth))
        if quality is None or (quality == "dim" and key.is_pentatonic):
            continue
        vocab.append((root, quality))
    if not key.is_pentatonic:
        vocab.extend(_CHROMATIC_MINOR if key.is_minor else _CHROMATIC_MAJOR)
    vocab = list(dict.fromkeys(vocab))
    tonic = next((d for d in vocab if d[0] == 0), (0, "m" if key.is_minor else "maj"))
    if tonic not in vocab:
        vocab.append(tonic)
    vocab.remove(tonic)
    return (tonic, *vocab)


def _prior_score(a: Degree, b: Degree) -> float:
    """Functional-harmony preference for moving from chord ``a`` to chord ``b`` (a != b)."""
    motion = (b[0] - a[0]) % 12
    score = {5: 1.0, 7: 0.3, 2: 0.3, 10: 0.2, 8: 0.4, 9: 0.4, 3: 0.1, 4: 0.1}.get(motion, -0.5)
    if b[0] == 0:
        score += 0.6
    if a[0] == 7 and b[0] == 0:
        score += 1.0
    if b[1] in ("dim", "aug"):
        score -= 0.8
    return score


@dataclass(frozen=True)
class HarmonyModel:
    """Chord-change probabilities between degrees, per mode family ("major", "minor").

    ``counts[family][(a, b)]`` are observed changes from degree ``a`` to ``b`` (a != b); they
    are blended with the prior (``prior_weight`` pseudo-counts spread by the prior's softmax).
    """

    counts: dict[str, Counter[tuple[Degree, Degree]]] = field(default_factory=dict)
    prior_weight: float = 20.0

    def change_logp(self, a: Degree, b: Degree, vocab: Sequence[Degree], family: str) -> float:
        """log P(next = b | change away from a) over ``vocab``."""
        priors = {c: math.exp(_prior_score(a, c)) for c in vocab if c != a}
        total = sum(priors.values())
        counts = self.counts.get(family, Counter())
        observed = {c: counts.get((a, c), 0) for c in priors}
        n = sum(observed.values())
        p = (observed[b] + self.prior_weight * priors[b] / total) / (n + self.prior_weight)
        return math.log(p)

    @classmethod
    def learn(cls, progressions: Iterable[tuple[Key, Sequence[Chord]]]) -> HarmonyModel:
        """Count chord changes (at triad level, relative to each key's tonic)."""
        counts: dict[str, Counter[tuple[Degree, Degree]]] = {"major": Counter(), "minor": Counter()}
        for key, chords in progressions:
            family = "minor" if key.is_minor else "major"
            prev: Degree | None = None
            for chord in chords:
                if chord.root is None:
                    prev = None
                    continue
                deg = degree_of(chord, key)
                if prev is not None and deg != prev:
                    counts[family][(prev, deg)] += 1
                prev = deg
        return cls(counts)

    def to_json(self) -> dict[str, list[list[object]]]:
        return {
            fam: [[a[0], a[1], b[0], b[1], n] for (a, b), n in sorted(c.items())]
            for fam, c in self.counts.items()
        }

    @classmethod
    def from_json(cls, data: dict[str, list[list[object]]]) -> HarmonyModel:
        counts: dict[str, Counter[tuple[Degree, Degree]]] = {}
        for fam, rows in data.items():
            c: Counter[tuple[Degree, Degree]] = Counter()
            for a0, a1, b0, b1, n in rows:
                c[((int(str(a0)), str(a1)), (int(str(b0)), str(b1)))] = int(str(n))
            counts[fam] = c
        return cls(counts)


def degree_of(chord: Chord, key: Key) -> Degree:
    """A chord as (semitones above the key's tonic, quality); sevenths kept only for V7."""
    assert chord.root is not None
    triad = chord.triad()
    deg = (chord.root - key.tonic) % 12
    if chord.quality == "7" and deg == 7:
        return (7, "7")
    return (deg, triad.quality)


def fit_score(
    pcs: Sequence[tuple[int, float]], tones: frozenset[int], scale: frozenset[int]
) -> float:
    """How well weighted melody pitch classes fit chord tones, in [-0.6, 1]: chord tones +1,
    other scale tones (passing notes) -0.2, notes outside the scale -0.6; 0 with no notes."""
    total = sum(w for _, w in pcs)
    if total <= 0:
        return 0.0
    score = 0.0
    for pc, w in pcs:
        score += w * (1.0 if pc in tones else (-0.2 if pc in scale else -0.6))
    return score / total


def segment_pitches(
    notes: Sequence[MelodyNote], start: int, length: int, meter: Meter
) -> list[tuple[int, float]]:
    """(pitch class, weight) of the notes sounding in steps [start, start+length): weight is
    the sounding duration in steps, doubled for a note struck on the segment's first step and
    x1.5 on a counted beat."""
    out: list[tuple[int, float]] = []
    end = start + length
    for s, p, d in notes:
        if s >= end or s + d <= start:
            continue
        w = float(min(end, s + d) - max(start, s))
        if s == start:
            w *= 2.0
        elif s >= start and s % meter.steps_per_beat == 0:
            w *= 1.5
        elif s < start:
            w *= 0.5  # held over from the previous segment
        out.append((p % 12, w))
    return out


def harmonise(
    notes: Sequence[MelodyNote],
    key: Key,
    meter: Meter,
    *,
    bars: int,
    segment_steps: int | None = None,
    phrase_ends: Sequence[int] = (),
    model: HarmonyModel | None = None,
    fit_weight: float = 5.0,
    stay_at_bar: float = 0.35,
    stay_in_bar: float = 0.7,
    colour_cost: float = 0.5,
) -> tuple[ChordSpan, ...]:
    """Chords for a melody over ``bars`` bars, one per ``segment_steps`` at most (default: a
    half bar in 4/4, a bar otherwise). Returns merged spans in grid steps, spelt for ``key``."""
    model = model or HarmonyModel()
    bar = meter.steps_per_bar
    seg = segment_steps or (bar // 2 if meter.numerator == 4 and meter.denominator == 4 else bar)
    n = max(1, bars * bar // seg)
    vocab = chord_vocabulary(key)
    family = "minor" if key.is_minor else "major"
    scale = frozenset(key.pitch_classes()) | frozenset(
        (key.relative_major_tonic + s) % 12 for s in _MAJOR_SCALE
    )
    tones = [frozenset((key.tonic + d + i) % 12 for i in QUALITY_INTERVALS[q]) for d, q in vocab]
    v = len(vocab)
    change = [
        [model.change_logp(a, b, vocab, family) if a != b else 0.0 for b in vocab] for a in vocab
    ]
    cadence_points = {max(0, (e - 1) // seg) for e in phrase_ends if 0 < e <= n * seg}
    emit: list[list[float]] = []
    for i in range(n):
        pcs = segment_pitches(notes, i * seg, seg, meter)
        row = [fit_weight * fit_score(pcs, tones[j], scale) for j in range(v)]
        for j, (deg, q) in enumerate(vocab):
            if q in ("dim", "aug") or (deg, q) in _CHROMATIC_MAJOR + _CHROMATIC_MINOR:
                row[j] -= colour_cost  # colour chords only when the melody asks for them
            if i == n - 1 and j == 0:
                row[j] += 4.0  # end on the tonic
            elif i == n - 2 and deg == 7:
                row[j] += 0.8
            if i in cadence_points and i != n - 1:
                row[j] += 1.0 if j == 0 else (0.5 if deg == 7 else 0.0)
        emit.append(row)
    # Viterbi
    score = [emit[0][j] + (1.0 if j == 0 else 0.0) for j in range(v)]
    back: list[list[int]] = []
    for i in range(1, n):
        at_bar = (i * seg) % bar == 0
        p_stay = stay_at_bar if at_bar else stay_in_bar
        stay, move = math.log(p_stay), math.log(1.0 - p_stay)
        new = [0.0] * v
        ptr = [0] * v
        for j in range(v):
            best, arg = -math.inf, 0
            for k in range(v):
                s = score[k] + (stay if k == j else move + change[k][j])
                if s > best:
                    best, arg = s, k
            new[j] = best + emit[i][j]
            ptr[j] = arg
        back.append(ptr)
        score = new
    j = max(range(v), key=lambda x: score[x])
    path = [j]
    for ptr in reversed(back):
        j = ptr[j]
        path.append(j)
    path.reverse()
    spans: list[ChordSpan] = []
    for i, j in enumerate(path):
        deg, q = vocab[j]
        symbol = format_chord(Chord((key.tonic + deg) % 12, q), flats=key.flats)
        if spans and spans[-1].symbol == symbol:
            last = spans[-1]
            spans[-1] = ChordSpan(last.start, last.duration + seg, symbol)
        else:
            spans.append(ChordSpan(i * seg, seg, symbol))
    return tuple(spans)
