"""Best-of-k reranking: which of the sampled candidates a request keeps (music policy the
pipeline calls). Its scores come from ``multitrack.harmony``, never from the evaluation
metrics, so redefining a reported metric cannot change the generated notes.

- Forced chords: the candidate whose stems sound the progression in the most of its spans
  (``chord_adherence``) wins; the melody's fit to it breaks ties.
- Otherwise a candidate that sounds in its asked key beats one that does not; among
  equals the better ``harmonic_fit`` up to ``FIT_ENOUGH`` wins, less ``HOLD_PENALTY`` for
  harmony that holds one root (``holds``), then the first sampled.
- Either way the second term is ``GROOVE_PENALTY`` lower for each band stem that plays off
  the density its decoder aimed at (``groove_misses``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from multitrack.chords import QUALITY_INTERVALS, Chord
from multitrack.features import Density, playing_a_bar
from multitrack.form import similarity
from multitrack.harmony import chord_tone_ratio, key_agrees, progression_histogram
from multitrack.keyfinding import key_of_histogram, scale_fit
from multitrack.prefs import rerank_key
from multitrack.song import ChordSpan, Section, Song
from multitrack.theory import Key

# A forced progression with less than this share of its pitch classes in the asked key's
# scale moves the take into the progression's own key (see ``chords_key``).
CHORDS_IN_KEY = 0.85
# A span "sounds" its chord when chord tones carry this share of the chords and bass
# stems' sounding weight there, and the root and the quality's third (or its defining
# interval) both sound.
CHORD_TONE_SHARE = 0.7
# The unforced order's second term is the melody's ``harmonic_fit`` counted up to this ratio:
# candidates at or above it are equals, and the first sampled of them wins; below it, the
# better fit. 1.0 ranks by the fit itself (0.4.1), 0.0 leaves the sampler's order. Best of 6
# by the fit itself picked melodies that leap between chord tones: on bench/realism.py's 200
# held-out windows the strong-beat chord-tone ratio was 0.79 against the windows' 0.66 and
# steps 0.39 against 0.51, where one candidate (no choice at all) gave 0.59 and 0.44
# (docs/model.md, "Session 8").
FIT_ENOUGH = 0.5
# An unforced candidate whose harmony holds one root through ``HOLD_SHARE`` of its bars in a
# row (at least 5: ``holds``) ranks ``HOLD_PENALTY`` lower in the second term, so among a
# batch a candidate whose harmony moves wins. 0.4 of the held-out bench's 8-bar takes held
# one root for 5 bars or more (a bossa nova on A for 7 of 8 bars), against 0.29 of their
# windows. With the penalty on a lone first candidate too (``HOLD_ALONE``) every holding
# take drew a batch: 0.14, under the windows', realism 0.600 -> 0.590 held-out. Applied only
# where a batch is drawn anyway (a lone first candidate that ranks at the top is still kept
# as it is, at no extra sampling): 0.31; realism 0.600 held-out, 0.635 -> 0.633 on the
# training split, chord changes a bar 1.73 -> 1.74 (windows 1.90).
HOLD_PENALTY = 0.25
HOLD_SHARE = 0.6
HOLD_ALONE = False
# An unforced candidate whose melody drones over a take of 8 bars or more (``static_melody``:
# at most ``STATIC_PITCHES`` pitches, or one pitch sounding more than ``DRONE_SHARE`` of the
# melody's time) ranks ``STATIC_PENALTY`` lower in the second term, a lone first candidate
# too, so such a take is never kept while a batch might hold a tune. "a waltz in G major,
# strings" held one B for six of its eight bars (0.77 of the melody's time). Droning so: the
# 1,873 held-out 8-bar windows 0.007, bare style prompts' 8-bar takes 0.088 (102 takes, 34
# styles), 200 held-out windows' captions' 8-bar takes 0.040; with this and
# ``models.pipeline.STATIC_RETRIES``, 0.000 and 0.000 (session 19).
STATIC_PITCHES = 3
DRONE_SHARE = 0.6
STATIC_PENALTY = 0.5
# A candidate whose band plays off the density its decoder read it at (``Density``: a new
# take's style's, a chord edit's source's; ``models.aims.BandAims.density``) by more than
# this ratio either way, in a stem that plays, ranks ``GROOVE_PENALTY`` lower in the second
# term for each such stem (``groove_misses``), a lone first candidate too: the decoder moves
# its thresholds only so far (``models.comping.COMPING_SHIFTS``), and the network writes one
# draw of a style busier or sparser than the next (three draws of one disco prompt comped at
# 0.63, 1.10 and 0.99 of its style's training strikes a bar). 0: off. Chosen on the tuning
# seeds (session 24): fresh takes' comping and bass within 20% of their styles' held-out
# windows 0.853 / 0.853 -> 0.912 / 0.912 at 0.15 and at 0.25 (`bench/style_density.py
# --seed 30000`); `bench/realism.py --split train` 0.560 -> 0.570 / 0.573;
# `bench/realism_heldback.py --split train --bars 8 --n 300`, all / notes only, logistic
# 0.778 / 0.728 -> 0.798 / 0.750 at 0.15, 0.788 / 0.735 at 0.25 (a penalty of 0.1 at
# 0.15: 0.793 / 0.742, comping 0.882). 340 edits at 0.15 (`bench/chord_edits.py --seed
# 20000`): styles within 20% unchanged (0.765 / 0.853), each edit's comping 0.700 -> 0.715.
GROOVE_MISS = 0.25
GROOVE_PENALTY = 0.25
# ... a lone first candidate too (``top_ranked``): off, only a batch drawn anyway is ranked
# by it, and the tuning seeds' fresh takes came within 20% for 0.882 / 0.853 of styles (on:
# 0.912 / 0.912) in 0.89 of the time. On, `bench/generate_speed.py`'s 8-bar median went 0.33
# -> 0.56 s: one more of its five takes draws a batch.
GROOVE_ALONE = True


def chords_key(spans: Sequence[ChordSpan], asked: Key) -> Key:
    """The key a take with forced chords is made in: the asked one while the progression
    sits in its scale ("Am F C G" in G major: 92% of the chord tones), else the key the
    progression itself sounds in ("Am F C G" asked in Bb major: 75% -> C major). The model
    writes scale degrees of its key; a melody in Bb over C-major chords cannot fit them."""
    hist = progression_histogram(spans)
    found = key_of_histogram(hist)
    fit = scale_fit(hist, asked)
    if found is None or fit >= CHORDS_IN_KEY:
        return asked
    own = Key(found.tonic, found.mode)
    return own if scale_fit(hist, own) > fit else asked


def harmonic_fit(song: Song, spans: Sequence[ChordSpan] | None) -> float:
    """How well the melody sits on the harmony: the chord-tone ratio of melody notes on
    strong beats, against forced chord symbols when there are some, else against the
    song's own chords and bass; -1.0 for a song without a melody or harmony."""
    value = chord_tone_ratio(song, spans=spans)
    return -1.0 if value is None else float(value)


def _weights(song: Song, a: int, b: int) -> np.ndarray:
    """(12,) sounding steps of each pitch class in the chords and bass stems in [a, b)."""
    out = np.zeros(12)
    for stem in ("chords", "bass"):
        for n in song.stems[stem].notes:
            overlap = min(n.end, b) - max(n.start, a)
            if overlap > 0:
                out[n.pitch % 12] += overlap
    return out


def span_sounds(song: Song, chord: Chord, a: int, b: int) -> bool:
    """Whether the chords and bass stems sound ``chord`` over steps [a, b): root and third
    (the quality's second interval) present, and a slash chord's bass, chord tones >=
    ``CHORD_TONE_SHARE`` of the weight. N.C. sounds when nothing does."""
    w = _weights(song, a, b)
    if chord.root is None:
        return bool(w.sum() == 0)
    if w.sum() == 0:
        return False
    tones = [(chord.root + i) % 12 for i in QUALITY_INTERVALS[chord.quality]]
    if chord.bass is not None:
        tones.append(chord.bass % 12)
    defining = tones[1] if len(tones) > 1 else tones[0]
    slash = chord.bass is None or w[chord.bass % 12] > 0  # D/C# sounds its C#
    return bool(
        w[chord.root] > 0
        and w[defining] > 0
        and slash
        and w[tones].sum() >= CHORD_TONE_SHARE * w.sum()
    )


def chord_adherence(song: Song, spans: Sequence[ChordSpan]) -> float:
    """Share of the forced spans' duration over which the stems sound their chord."""
    total = done = 0
    for s in spans:
        chord = s.chord
        total += s.duration
        done += s.duration * span_sounds(song, chord, s.start, s.start + s.duration)
    return done / total if total else 1.0


class Scorer(Protocol):
    """A producer's preference model (``multitrack.prefs.PreferenceModel``)."""

    def score_song(self, song: Song) -> float: ...


def rank(
    song: Song,
    spans: Sequence[ChordSpan] | None,
    prefer: Scorer | None,
    aims: Density | None = None,
) -> tuple[float, float]:
    """``candidate_rank`` with a preference score folded into its second term, when there
    is a preference model (``multitrack.prefs.rerank_key``)."""
    base = candidate_rank(song, spans, aims=aims)
    return base if prefer is None else rerank_key(base, prefer.score_song(song))


def groove_misses(song: Song, aims: Density | None) -> int:
    """How many of the band's stems (chords, bass) play, and off their ``aims`` (strikes a
    bar, ``multitrack.features.playing_a_bar``) by more than ``GROOVE_MISS`` either way."""
    if aims is None or not GROOVE_MISS:
        return 0
    bound = math.log1p(GROOVE_MISS)
    return sum(
        have is not None and aim is not None and aim > 0 and abs(math.log(have / aim)) > bound
        for have, aim in zip(playing_a_bar(song), aims, strict=True)
    )


def candidate_rank(
    song: Song,
    spans: Sequence[ChordSpan] | None,
    *,
    hold: bool = True,
    aims: Density | None = None,
) -> tuple[float, float]:
    """Best-of-k order (higher is better). Under forced chords: adherence, then the
    melody's fit to them. Otherwise: sounding in the asked key (the key-profile analysis
    names it, or the relative pair of a modal key), then ``harmonic_fit`` up to
    ``FIT_ENOUGH`` (then the sampler's order). The tonic is exact
    by construction in the model's key-normalised frame, but the major/minor colour is
    sampled, and minor is the corpus's minority: without this, a quarter of minor requests
    came back sounding in the dominant minor or the relative major. Either way the second
    term is ``GROOVE_PENALTY`` lower for each band stem off its density ``aims``."""
    groove = GROOVE_PENALTY * groove_misses(song, aims)
    if spans is not None:
        return chord_adherence(song, spans), harmonic_fit(song, spans) - groove
    fit = min(harmonic_fit(song, spans), FIT_ENOUGH) - groove
    if hold and HOLD_PENALTY and holds(song):
        fit -= HOLD_PENALTY
    if STATIC_PENALTY and static_melody(song):
        fit -= STATIC_PENALTY
    return float(key_agrees(song)), fit


def static_melody(song: Song) -> bool:
    """Whether the melody plays but drones over a take of 8 bars or more: at most
    ``STATIC_PITCHES`` pitches, or one pitch sounding more than ``DRONE_SHARE`` of its time."""
    notes = song.stems["melody"].notes
    if song.bars < 8 or not notes:
        return False
    time: dict[int, int] = {}
    for n in notes:
        time[n.pitch] = time.get(n.pitch, 0) + n.duration
    return len(time) <= STATIC_PITCHES or max(time.values()) > DRONE_SHARE * sum(time.values())


def holds(song: Song) -> bool:
    """Whether the chords and bass hold one root (at each bar's first beat) through at least
    ``HOLD_SHARE`` of the bars in a row, and at least 5 bars."""
    from multitrack.recognise import recognise_song

    spans = song.chords or recognise_song(song)
    best = longest_root_run(spans, song.meter.steps_per_bar, song.bars)
    return best >= max(5, HOLD_SHARE * song.bars)


def longest_root_run(spans: Sequence[ChordSpan], bar: int, bars: int) -> int:
    """The most bars in a row (at least 1) whose first step sounds one chord root in
    ``spans``; a bar with no chord (N.C., or none) breaks the run."""
    roots: list[int | None] = []
    for i in range(bars):
        here = [s.chord.root for s in spans if s.start <= i * bar < s.start + s.duration]
        roots.append(here[0] if here else None)
    run = best = 1
    for prev, root in itertools.pairwise(roots):
        run = run + 1 if root == prev and root is not None else 1
        best = max(best, run)
    return best


def top_ranked(song: Song, aims: Density | None = None) -> bool:
    """Whether an unforced candidate ranks as high as any can (in key, its melody's fit at
    least ``FIT_ENOUGH``, not a drone, its band on its density ``aims``; and its harmony
    moves, with ``HOLD_ALONE``): any batch it comes first in keeps it."""
    alone = aims if GROOVE_ALONE else None
    return candidate_rank(song, None, hold=HOLD_ALONE, aims=alone) >= (1.0, FIT_ENOUGH)


# Variations of one request differ at least this much (multitrack.form.similarity of
# their melodies over the whole take).
DISTINCT_BELOW = 0.5


def melody_similarity(a: Song, b: Song) -> float:
    """``multitrack.form.similarity`` of two takes' melodies, bar for bar."""
    shifted = (replace(n, start=n.start + a.steps) for n in b.stems["melody"].notes)
    notes = [*a.stems["melody"].notes, *shifted]
    bars = min(a.bars, b.bars)
    return similarity(
        notes, a.meter.steps_per_bar, Section(0, bars, "A"), Section(a.bars, bars, "A")
    )


def distinct(ranked: list[Song], n: int) -> list[Song]:
    """The best ``n`` of ranked candidates whose melodies differ pairwise (similarity under
    ``DISTINCT_BELOW``); the next best fill up when too few do."""
    chosen: list[Song] = []
    for song in ranked:
        if len(chosen) < n and all(melody_similarity(song, c) < DISTINCT_BELOW for c in chosen):
            chosen.append(song)
    for song in ranked:
        if len(chosen) < n and not any(song is c for c in chosen):
            chosen.append(song)
    return chosen
