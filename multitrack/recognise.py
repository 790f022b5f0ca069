"""Chord recognition: pitched notes on the 16th grid -> chord symbols with bar and beat.

The method (details and measured agreement in docs/chords.md):

1. Evidence per step. Each sounding step spreads a metric weight (downbeat > beat > eighth >
   sixteenth) evenly over the pitch classes sounding then, so a block chord and the same
   chord arpeggiated give the same profile, and doublings do not count twice.
2. Segments. Candidate segments start and end on a grid of ``min_steps`` inside each bar
   (by default half a 4/4 bar, one beat in 3/4 and 2/4, a dotted quarter in 6/8) and never
   cross a bar line. A segment's bass is the lowest note sounding at its first sounding step
   (or a lower one that sounds through at least half of it).
3. Template scores. Every chord (12 roots x 15 qualities) scores its chord-tone mass, minus
   a share of the non-chord mass, minus a penalty for each chord tone that is (nearly) absent
   -- weighted by role: a missing root or third costs more than a missing fifth -- minus a
   small prior for rarer qualities, plus a bass term (bass on the root > on another chord
   tone > off the chord). A bass note heard only in the bass, under other notes, is left out
   of the chord-tone mass: that is a slash chord (Am/G), not a seventh chord. N.C. scores
   only on silence that lasts a bar or comes before the first note.
4. Smoothing. A Viterbi pass over segments picks the labelling with the best total score,
   paying ``change_penalty`` for each change of chord, so passing notes do not flicker.
5. Symbols. Each chosen segment is written with its bass as a slash when the bass is not
   the root (a chord tone, or a sustained bass note outside the chord); equal neighbours merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from multitrack.chords import NO_CHORD_SYMBOL, QUALITIES, QUALITY_INTERVALS, Chord, format_chord
from multitrack.errors import MusicError
from multitrack.song import ChordSpan, Meter, Note, Song
from multitrack.theory import Key

FloatArray = NDArray[np.float64]

# How much each chord tone's absence costs, by its interval above the root, per quality.
_MISSING_COST: dict[str, tuple[float, ...]] = {
    "maj": (1.0, 0.8, 0.3),
    "m": (1.0, 0.8, 0.3),
    "dim": (1.0, 0.8, 0.8),
    "aug": (1.0, 0.8, 0.8),
    "sus2": (1.0, 0.8, 0.5),
    "sus4": (1.0, 0.8, 0.5),
    "6": (1.0, 0.8, 0.3, 0.8),
    "m6": (1.0, 0.8, 0.3, 0.8),
    "7": (1.0, 0.8, 0.3, 0.8),
    "maj7": (1.0, 0.8, 0.3, 0.8),
    "m7": (1.0, 0.8, 0.3, 0.8),
    "m7b5": (1.0, 0.8, 0.8, 0.8),
    "dim7": (1.0, 0.8, 0.8, 0.8),
    "9": (1.0, 0.8, 0.3, 0.8, 0.8),
    "add9": (1.0, 0.8, 0.3, 0.8),
}
# A small cost per unit of evidence for rarer qualities: ties go to the plainer chord.
# Every quality but major and minor costs ``RARER_QUALITY_COST`` more (0 until session 22):
# the corpus's own stems read added tones, sus, diminished and augmented in 0.106 of their
# symbols, their labels in 0.055 (400 training-split windows). At 0.2, against those labels
# (`bench/chord_recognition.py --corpus data/corpus --split train`): whole symbols 0.891 ->
# 0.898 of 16ths, roots 0.936 -> 0.947, added tones 0.062. With ``slash_bass_cost`` 0.25
# beside it, on the test split whole symbols 0.846 -> 0.850, added tones 0.131 -> 0.090
# (labels 0.073); Bach's chorales at one beat roots 86.1% -> 87.2%, triads 83.7% -> 86.0%,
# sevenths 79.9% -> 82.0%; Monteverdi's roots 77.7% -> 78.4% (docs/chords.md, "Session
# 22"). Sevenths alone at 0.1-0.3, sus and the rest left as they were, lowered whole
# symbols (0.886-0.879).
RARER_QUALITY_COST = 0.2
_PRIOR: dict[str, float] = {
    "maj": 0.0,
    "m": 0.02,
    "7": 0.08,
    "m7": 0.1,
    "maj7": 0.12,
    "dim": 0.16,
    "m7b5": 0.16,
    "dim7": 0.2,
    "6": 0.16,
    "m6": 0.24,
    "sus4": 0.2,
    "sus2": 0.24,
    "aug": 0.24,
    "9": 0.24,
    "add9": 0.24,
}


@dataclass(frozen=True)
class RecogniserSettings:
    """Weights of the recogniser, in units of evidence (metric-weighted sounding steps)."""

    non_chord_cost: float = 1.5  # per unit of non-chord-tone mass
    presence_share: float = 0.25  # a tone with this share of a segment's mass is present
    root_bass_bonus: float = 0.1  # per unit of evidence when the bass is the root
    foreign_bass_cost: float = 1.0  # per unit of evidence when the bass is not a chord tone
    # the same for a bass heard only in the bass (C/Bb). 0.05 until session 22: with the
    # rarer qualities dearer (``RARER_QUALITY_COST``), D2 C4 F4 A5 read F/D, not Dm7
    slash_bass_cost: float = 0.25
    # per change of chord, as a share of a shortest chord's evidence. 0.1 until session 21:
    # the corpus's own stems read 0.81 symbols a bar against their labels' 0.69, with added
    # tones in 0.13 of them (0.07), chords the accompaniment only passed through. At 0.4, on
    # 400 training-split windows against their labels (`bench/chord_recognition.py --corpus
    # --split train`; with ``SLASH_DWELL`` 0.7), whole symbols agree 0.867 -> 0.891 of 16ths,
    # roots 0.922 -> 0.936, 0.74 symbols a bar, added tones in 0.106; Bach's chorales, whose
    # chords change on the beat, 87.3% -> 86.1% of roots, Monteverdi's madrigals 77.2% ->
    # 77.7% (docs/chords.md, "Session 21").
    change_penalty: float = 0.4
    # per unit of evidence and chord tone outside the key's scale, given a key: where the
    # notes leave the chord open (a fifth with no third), the key's own chord is named (E and
    # B in D minor: Em, not E)
    foreign_tone_cost: float = 0.05
    silence_bonus: float = 0.5  # N.C. per unit of long silence
    no_chord_cost: float = 1.0  # N.C. per unit of sounding evidence
    split_cost: float = 1e-3  # per segment, so equal labellings prefer fewer segments
    downbeat_weight: float = 1.2
    beat_weight: float = 1.0
    eighth_weight: float = 0.7
    sixteenth_weight: float = 0.5


DEFAULT_SETTINGS = RecogniserSettings()

# The chord vocabulary: every quality on every root, then N.C. last.
_CHORDS: tuple[Chord, ...] = tuple(Chord(r, q) for r in range(12) for q in QUALITIES)
_NC = len(_CHORDS)
_BASS_GAP = 7  # semitones between a bass note and the chord above it
# A chord is written over a bass note (C/E) when the bass line sounds that pitch class in
# more than ``SLASH_DWELL`` of its steps, over its fifth only when held through
# (``FIFTH_DWELL``); a bass that passes through (root on 1, fifth on 3) leaves it in root
# position. Before session 18 the first bass note decided, and the corpus's own stems read
# 0.36 of their chords as slash chords where their labels have 0.02 (docs/chords.md,
# "Slash chords"). 0.5 until session 21: at 0.7 (with ``change_penalty`` 0.4) the training
# split's windows read 0.051 of their chords as slash chords (0.077 before; their labels
# 0.016) and agree with their labels' bass note in 0.925 of 16ths (0.907); at 0.8, 0.044 and
# 0.934, but a bass on the third for three quarters of a bar read as root position.
SLASH_DWELL = 0.7
FIFTH_DWELL = 0.9


def _templates() -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int64]]:
    tones = np.zeros((len(_CHORDS), 12))
    missing = np.zeros((len(_CHORDS), 12))
    prior = np.zeros(len(_CHORDS))
    roots = np.zeros(len(_CHORDS), np.int64)
    for i, chord in enumerate(_CHORDS):
        assert chord.root is not None
        roots[i] = chord.root
        plain = chord.quality in ("maj", "m")
        prior[i] = _PRIOR[chord.quality] + (0.0 if plain else RARER_QUALITY_COST)
        for interval, cost in zip(
            QUALITY_INTERVALS[chord.quality], _MISSING_COST[chord.quality], strict=True
        ):
            tones[i, (chord.root + interval) % 12] = 1.0
            missing[i, (chord.root + interval) % 12] = cost
    return tones, missing, prior, roots


_TONES, _MISSING, _PRIORS, _ROOTS = _templates()


def default_min_steps(meter: Meter) -> int:
    """The shortest chord, in grid steps: half a bar in 4/4 and 6/8, one beat in 3/4, 2/4."""
    if (meter.numerator, meter.denominator) in ((4, 4), (6, 8)):
        return meter.steps_per_bar // 2
    return meter.steps_per_beat


def recognise(
    notes: Sequence[Note],
    meter: Meter,
    *,
    steps: int,
    min_steps: int | None = None,
    settings: RecogniserSettings = DEFAULT_SETTINGS,
    key: Key | None = None,
    bass: Sequence[Note] = (),
) -> tuple[ChordSpan, ...]:
    """The chord symbols of ``notes`` (pitched; block or arpeggiated, any inversion or
    spread) over ``steps`` grid steps from bar 1 beat 1, spelt as ``format_chord`` does
    in ``key`` (C#m in A major, Dbm in Ab major; without one, the lead-sheet habit).

    ``bass``: the notes of the bass line, heard with ``notes``; where it plays, it is
    what a slash names (``SLASH_DWELL``), else the lowest note is.

    Returns contiguous ChordSpans covering 0..steps (N.C. for long silence), each at least
    ``min_steps`` long unless cut by a bar line or the end. Notes past ``steps`` are ignored.
    """
    if steps < 1:
        raise MusicError(f"chord recognition needs at least 1 step, got {steps}")
    unit = default_min_steps(meter) if min_steps is None else min_steps
    if not 1 <= unit <= meter.steps_per_bar:
        raise MusicError(
            f"the shortest chord must be 1-{meter.steps_per_bar} steps in {meter}, got {unit}"
        )
    evidence = _Evidence(notes, meter, steps, settings, key, bass)
    segments = _segments(meter, steps, unit)
    scores = [evidence.scores(a, b) for a, b in segments]
    change = settings.change_penalty * float(np.mean(evidence.weight)) * unit
    path = _viterbi(segments, scores, change=change, split_cost=settings.split_cost)
    # one chord's segments within a bar are one span, its slash read over all of it
    runs: list[tuple[int, int, int]] = []  # (start, end, state)
    for index, state in path:
        a, b = segments[index]
        same_bar = runs and a // meter.steps_per_bar == runs[-1][0] // meter.steps_per_bar
        if runs and runs[-1][2] == state and runs[-1][1] == a and same_bar:
            runs[-1] = (runs[-1][0], b, state)
        else:
            runs.append((a, b, state))
    labelled: list[tuple[int, int, str]] = []
    for a, b, state in runs:
        symbol = NO_CHORD_SYMBOL if state == _NC else evidence.symbol(_CHORDS[state], a, b, key)
        if labelled and labelled[-1][2] == symbol and labelled[-1][1] == a:
            labelled[-1] = (labelled[-1][0], b, symbol)
        else:
            labelled.append((a, b, symbol))
    return tuple(ChordSpan(a, b - a, symbol) for a, b, symbol in labelled)


def recognise_song(
    song: Song, *, min_steps: int | None = None, stems: Sequence[str] = ("chords", "bass")
) -> tuple[ChordSpan, ...]:
    """The chord symbols of a song, read from ``stems`` together (its chords and bass by
    default), the bass stem among them as the bass line, spelt in its key (C#m in A major,
    not Dbm)."""
    upper = [n for name in stems if name != "bass" for n in song.stems[name].notes]
    bass = song.stems["bass"].notes if "bass" in stems else ()
    return recognise(upper, song.meter, steps=song.steps, min_steps=min_steps, key=song.key,
                     bass=bass)  # fmt: skip


def chord_rows(spans: Sequence[ChordSpan], meter: Meter) -> list[dict[str, int | float | str]]:
    """Spans as rows ``{"bar": int, "beat": float, "symbol": str}``, bar and beat from 1
    (beats are the meter's counted beats: quarters in x/4, dotted quarters in 6/8)."""
    rows: list[dict[str, int | float | str]] = []
    for span in spans:
        bar, within = divmod(span.start, meter.steps_per_bar)
        rows.append(
            {"bar": bar + 1, "beat": 1.0 + within / meter.steps_per_beat, "symbol": span.symbol}
        )
    return rows


def _segments(meter: Meter, steps: int, unit: int) -> list[tuple[int, int]]:
    """Every (start, end) on the unit grid inside each bar, in order of their end."""
    bar = meter.steps_per_bar
    segments: list[tuple[int, int]] = []
    for bar_start in range(0, steps, bar):
        bar_end = min(bar_start + bar, steps)
        cuts = [*range(bar_start, bar_end, unit), bar_end]
        for j in range(1, len(cuts)):
            segments.extend((cuts[i], cuts[j]) for i in range(j))
    return segments


def _viterbi(
    segments: Sequence[tuple[int, int]],
    scores: Sequence[FloatArray],
    *,
    change: float,
    split_cost: float,
) -> list[tuple[int, int]]:
    """The best (segment index, state) path from step 0 to the end, segments in order."""
    states = len(_CHORDS) + 1
    best: dict[int, FloatArray] = {0: np.zeros(states)}
    back: dict[int, list[tuple[int, int]]] = {}  # end -> per state (segment, previous state)
    for index, ((a, b), score) in enumerate(zip(segments, scores, strict=True)):
        before = best[a]
        switch = int(np.argmax(before))
        stay = before
        move = before[switch] - change
        total = np.maximum(stay, move) + score - split_cost
        previous = np.where(stay >= move, np.arange(states), switch)
        if b not in best:
            best[b] = total
            back[b] = [(index, int(p)) for p in previous]
            continue
        better = total > best[b]
        best[b] = np.where(better, total, best[b])
        for changed in np.flatnonzero(better):
            back[b][changed] = (index, int(previous[changed]))
    end = max(best)
    state = int(np.argmax(best[end]))
    path: list[tuple[int, int]] = []
    while end > 0:
        index, previous_state = back[end][state]
        path.append((index, state))
        end = segments[index][0]
        state = previous_state
    return path[::-1]


class _Evidence:
    """The per-step evidence of a set of notes, with cumulative sums for segment queries."""

    def __init__(
        self,
        notes: Sequence[Note],
        meter: Meter,
        steps: int,
        settings: RecogniserSettings,
        key: Key | None = None,
        bass: Sequence[Note] = (),
    ) -> None:
        self.settings = settings
        # the bass line's lowest sounding pitch per step, -1 where it rests
        self.bass_line = np.full(steps, -1, np.int64)
        for note in sorted(bass, key=lambda n: -n.pitch):
            if note.start < steps:
                self.bass_line[note.start : min(note.end, steps)] = note.pitch
        # pitch-class steps sounded above the bass line (all notes when none is given)
        upper = np.zeros((steps, 12))
        for note in notes:
            if note.start < steps:
                upper[note.start : min(note.end, steps), note.pitch % 12] += 1
        self.upper = _cumulative(upper)
        notes = [*notes, *bass]
        # per chord, how many of its tones fall outside the key's scale (none without a key)
        if key is None:
            self.foreign = np.zeros(len(_CHORDS))
        else:
            scale = np.zeros(12)
            scale[list(key.pitch_classes())] = 1.0
            self.foreign = _TONES @ (1.0 - scale)
        sounding = np.zeros((steps, 128), bool)
        for note in notes:
            if note.start < steps:
                sounding[note.start : min(note.end, steps), note.pitch] = True
        self.sounding = sounding
        weight = _metric_weights(meter, steps, settings)
        self.weight = weight
        pcs = np.zeros((steps, 12))
        for pc in range(12):
            pcs[:, pc] = sounding[:, pc::12].any(axis=1)
        count = pcs.sum(axis=1)
        self.voices = sounding.sum(axis=1)
        heard = count > 0
        mass = np.where(heard[:, None], pcs * (weight / np.maximum(count, 1))[:, None], 0.0)
        self.mass = _cumulative(mass)
        self.heard = _cumulative((weight * heard)[:, None])[:, 0]
        silent = _long_silence(heard, meter.steps_per_bar)
        self.silence = _cumulative((weight * silent)[:, None])[:, 0]
        self.pitch_steps = _cumulative(sounding.astype(np.float64))

    def scores(self, a: int, b: int) -> FloatArray:
        """Score of every state (chords, then N.C.) on the segment a..b."""
        s = self.settings
        mass = self.mass[b] - self.mass[a]
        total = float(self.heard[b] - self.heard[a])
        out = np.zeros(_NC + 1)
        out[_NC] = s.silence_bonus * float(self.silence[b] - self.silence[a]) - (
            s.no_chord_cost * total
        )
        if total <= 0:
            return out
        bass = self.bass(a, b)
        bass_only = bass is not None and self._bass_only(bass, a, b)
        bass_pc = -1 if bass is None else bass % 12
        if bass_only:
            mass = mass.copy()
            mass[bass_pc] = 0.0  # judge the chord above the bass on its own
        chord_mass = float(mass.sum())
        tone_mass = _TONES @ mass
        share = mass / chord_mass if chord_mass > 0 else mass
        deficit = np.maximum(0.0, 1.0 - share / s.presence_share)
        if bass_only:
            deficit[bass_pc] = 0.0  # the bass sounds that tone
        foreign_cost = s.slash_bass_cost if bass_only else s.foreign_bass_cost
        score = tone_mass - s.non_chord_cost * (chord_mass - tone_mass)
        score -= chord_mass * (_MISSING @ deficit) + total * _PRIORS
        score -= s.foreign_tone_cost * total * self.foreign
        if bass is not None:
            pc = bass % 12
            score += np.where(
                _ROOTS == pc,
                s.root_bass_bonus * total,
                np.where(_TONES[:, pc] > 0, 0.0, -foreign_cost * total),
            )
        out[:_NC] = score
        return out

    def bass(self, a: int, b: int) -> int | None:
        """The segment's bass pitch: lowest at its first sounding step, unless a lower pitch
        sounds through at least half of the segment's sounding steps."""
        rows = np.flatnonzero(self.voices[a:b])
        if rows.size == 0:
            return None
        first = a + int(rows[0])
        bass = int(np.flatnonzero(self.sounding[first])[0])
        held = self.pitch_steps[b, :bass] - self.pitch_steps[a, :bass]
        long_enough = np.flatnonzero(held >= rows.size / 2)
        return int(long_enough[0]) if long_enough.size else bass

    def symbol(self, chord: Chord, a: int, b: int, key: Key | None = None) -> str:
        """The chord's symbol on a..b, with a slash when the bass dwells on another note
        than its root (``dwelling_bass``): its third or seventh, or a note outside the chord,
        for more than ``SLASH_DWELL`` of the time; its fifth only held through
        (``FIFTH_DWELL``: C/G). A bass line that passes through them (root on 1, fifth on
        3; a walk; a boom-chick) leaves the chord in root position, as a lead sheet does."""
        if chord.root is not None:
            chord = self.plain(chord, a, b)
        found = self.dwelling_bass(a, b)
        if found is None or chord.root is None:
            return format_chord(chord, key=key)
        bass, share = found
        pc = bass % 12
        tones = chord.tones()
        fifth = len(tones) > 2 and pc == tones[2]
        if (
            pc != chord.root
            and share > (FIFTH_DWELL if fifth else SLASH_DWELL)
            and (pc in tones or self._bass_only(bass, a, b))
        ):
            return format_chord(Chord(chord.root, chord.quality, pc), key=key)
        return format_chord(chord, key=key)

    def plain(self, chord: Chord, a: int, b: int) -> Chord:
        """``chord`` as its triad (``Chord.triad``: C7 -> C, Aadd9 -> A) when the notes above
        the bass line sound its added tones for less than ``presence_share`` of the time its
        triad sounds: a sixth, seventh or ninth the bass only walks through is not the
        chord's."""
        triad = chord.triad()
        if triad.quality == chord.quality:
            return chord
        steps = self.upper[b] - self.upper[a]
        base = set(triad.tones())
        added = [pc for pc in chord.tones() if pc not in base]
        sounded = float(np.mean([steps[pc] for pc in base]))
        if sounded > 0 and all(steps[pc] < self.settings.presence_share * sounded for pc in added):
            return triad
        return chord

    def dwelling_bass(self, a: int, b: int) -> tuple[int, float] | None:
        """(pitch, share): the pitch class the bass sounds longest over a..b, its lowest
        pitch there, and the share of a..b's sounding steps it sounds. The bass is the bass
        line where it plays in a..b (its notes within an octave of its lowest there: an
        arpeggio's top is not the bass), else the lowest note of each step."""
        rows = self.sounding[a:b]
        heard = rows.any(axis=1)
        if not heard.any():
            return None
        line = self.bass_line[a:b][heard]
        if (line >= 0).any():
            floor = int(line[line >= 0].min())
            lowest = line[(line >= 0) & (line <= floor + 12)]
        else:
            lowest = rows[heard].argmax(axis=1)
        counts = np.bincount(lowest % 12, minlength=12)
        pc = int(counts.argmax())
        return int(lowest[lowest % 12 == pc].min()), float(counts[pc] / heard.sum())

    def _bass_only(self, bass: int, a: int, b: int) -> bool:
        """Whether the bass pitch is a bass note under the chord whose pitch class nothing
        else plays: in no other octave, sounding under other notes for at least half its time,
        at least a fifth below the next note up."""
        steps = self.pitch_steps[b] - self.pitch_steps[a]
        octaves = [p for p in range(bass % 12, 128, 12) if p != bass]
        if steps[octaves].sum() > 0:
            return False
        under = self.sounding[a:b, bass] & (self.voices[a:b] > 1)
        if under.sum() * 2 < steps[bass]:
            return False
        first = a + int(np.flatnonzero(under)[0])
        others = np.flatnonzero(self.sounding[first])
        others = others[others != bass]
        return bool(others.min() - bass >= _BASS_GAP)  # negative when a lower note sounds


def _metric_weights(meter: Meter, steps: int, settings: RecogniserSettings) -> FloatArray:
    position = np.arange(steps) % meter.steps_per_bar
    weight = np.full(steps, settings.sixteenth_weight)
    weight[position % 2 == 0] = settings.eighth_weight
    weight[position % meter.steps_per_beat == 0] = settings.beat_weight
    weight[position == 0] = settings.downbeat_weight
    return weight


def _long_silence(heard: NDArray[np.bool_], bar: int) -> NDArray[np.bool_]:
    """Silent steps before the first note or in a silence lasting at least a bar."""
    silent = ~heard
    out = np.zeros_like(silent)
    t, steps = 0, len(silent)
    while t < steps:
        if not silent[t]:
            t += 1
            continue
        end = t
        while end < steps and silent[end]:
            end += 1
        if t == 0 or end - t >= bar:
            out[t:end] = True
        t = end
    return out


def _cumulative(values: FloatArray) -> FloatArray:
    """Prefix sums with a leading zero row: sum over a..b is out[b] - out[a]."""
    out = np.zeros((values.shape[0] + 1, *values.shape[1:]))
    np.cumsum(values, axis=0, out=out[1:])
    return out
