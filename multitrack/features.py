"""Descriptive features of a song for two-sample tests: can a take be told from the corpus?

``song_features`` returns one number per name in ``FEATURES`` (documented in
docs/metrics.md, "Realism features"): pitch, interval, rhythm, harmony, bass, drums and
repetition, all per bar or as shares, so songs of different lengths compare. None of them
is what the model is trained or reranked on; they are the independent view a listener (or a
linear classifier) takes. A feature with nothing to measure (no melody) is 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from multitrack.harmony import chord_tone_ratio, harmony_pitch_classes
from multitrack.song import Note, Song

Density = tuple[float | None, float | None]  # comping strikes a bar, bass notes a bar

FEATURES: tuple[str, ...] = (
    # melody pitch
    "mel_mean_pitch", "mel_range", "mel_pc_entropy", "mel_in_scale",
    # melody intervals
    "iv_repeat", "iv_step", "iv_third", "iv_fourth_fifth", "iv_leap", "iv_mean_abs",
    # melody rhythm
    "mel_notes_per_bar", "mel_mean_duration", "mel_on_beat", "mel_rest_share", "mel_motif",
    # harmony
    "mel_chord_tone", "chords_onsets_per_bar", "chords_polyphony", "chord_changes_per_bar",
    "chords_struck_alone", "chords_release_together",
    # bass
    "bass_notes_per_bar", "bass_in_chord", "bass_on_beat",
    # drums
    "drum_hits_per_bar", "drum_kick_snare_share", "drum_bar_repeat",
    # repetition
    "mel_bar_repeat", "chords_bar_repeat",
)  # fmt: skip

KICK, SNARE = 0, 1


def _sorted(notes: Sequence[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: (n.start, n.pitch))


def _share(flags: Sequence[bool]) -> float:
    return float(np.mean(flags)) if len(flags) else 0.0


def interval_shares(notes: Sequence[Note]) -> dict[str, float]:
    """Shares of consecutive melody intervals: repeat (0), step (1-2), third (3-4),
    fourth/fifth (5-7), leap (8+) semitones, and the mean absolute interval."""
    mel = _sorted(notes)
    ivs = [abs(b.pitch - a.pitch) for a, b in itertools.pairwise(mel)]
    return {
        "iv_repeat": _share([i == 0 for i in ivs]),
        "iv_step": _share([1 <= i <= 2 for i in ivs]),
        "iv_third": _share([3 <= i <= 4 for i in ivs]),
        "iv_fourth_fifth": _share([5 <= i <= 7 for i in ivs]),
        "iv_leap": _share([i >= 8 for i in ivs]),
        "iv_mean_abs": float(np.mean(ivs)) if ivs else 0.0,
    }


def _bar_rhythms(song: Song, stem: str) -> list[frozenset[int]]:
    bar = song.meter.steps_per_bar
    out: list[set[int]] = [set() for _ in range(song.bars)]
    for n in song.stems[stem].notes:
        if n.start < song.steps:
            out[n.start // bar].add(n.start % bar)
    return [frozenset(x) for x in out]


def _bar_events(song: Song, stem: str) -> list[frozenset[tuple[int, int]]]:
    bar = song.meter.steps_per_bar
    out: list[set[tuple[int, int]]] = [set() for _ in range(song.bars)]
    for n in song.stems[stem].notes:
        if n.start < song.steps:
            out[n.start // bar].add((n.start % bar, n.pitch))
    return [frozenset(x) for x in out]


def onsets_per_bar(notes: Sequence[Note], bars: int) -> float:
    """Distinct steps the notes start on, per bar (a chord's voices struck together count
    once): a comping part's strikes a bar."""
    return len({n.start for n in notes}) / max(1, bars)


def playing_a_bar(song: Song) -> Density:
    """How busily a song's band plays: (its chords stem's strikes a bar, ``onsets_per_bar``;
    its bass's notes a bar), None for a stem that is silent. The one count of a style's
    density aims (``models.recipe.corpus_facts``), an edit's source's, and the feel track's."""
    chords, bass = song.stems["chords"].notes, song.stems["bass"].notes
    return (onsets_per_bar(chords, song.bars) if chords else None,
            len(bass) / max(1, song.bars) if bass else None)  # fmt: skip


def motif_share(song: Song, stem: str = "melody") -> float:
    """Share of bar pairs (each bar against every later one) with the same non-empty onset
    rhythm: rhythmic motifs that return."""
    bars = [r for r in _bar_rhythms(song, stem)]
    pairs = [(a, b) for i, a in enumerate(bars) for b in bars[i + 1 :] if a or b]
    return _share([a == b and bool(a) for a, b in pairs])


def bar_repeat(song: Song, stem: str) -> float:
    """Mean Jaccard index of each non-empty bar's (onset, pitch) events with its best match
    among the other bars: how much of the part is made of returning bars."""
    bars = _bar_events(song, stem)
    scores = []
    for i, a in enumerate(bars):
        if not a:
            continue
        best = max((len(a & b) / len(a | b) for j, b in enumerate(bars) if j != i and b),
                   default=0.0)  # fmt: skip
        scores.append(best)
    return float(np.mean(scores)) if scores else 0.0


def returns_by_distance(
    songs: Sequence[Song], stem: str, distances: Sequence[int] = (1, 2, 3, 4)
) -> dict[int, float]:
    """Mean Jaccard index of the (onset, pitch) events of bars ``d`` apart, both non-empty,
    over ``songs``: where a part comes back. Phrases of 2 and 4 bars return 2 and 4 bars
    later (the corpus's 8-bar melodies: 0.08 one bar apart, 0.24 four apart); a part with
    no phrases scores alike at every distance. Not a classifier feature (its value depends
    on the song's length); ``bench/realism.py`` prints it beside them."""
    scores: dict[int, list[float]] = {d: [] for d in distances}
    for song in songs:
        bars = _bar_events(song, stem)
        for d in distances:
            for a, b in zip(bars, bars[d:], strict=False):
                if a and b:
                    scores[d].append(len(a & b) / len(a | b))
    return {d: float(np.mean(v)) if v else 0.0 for d, v in scores.items()}


def _on_beat(notes: Sequence[Note], song: Song) -> float:
    return _share([n.start % song.meter.steps_per_beat == 0 for n in notes])


def _chord_changes(song: Song) -> float:
    grid = harmony_pitch_classes(song)  # (steps, 12) bool
    if not grid.any():
        return 0.0
    beat = song.meter.steps_per_beat
    per_beat = [tuple(np.flatnonzero(grid[s])) for s in range(0, song.steps, beat)]
    changes = sum(a != b for a, b in itertools.pairwise(per_beat) if a and b)
    return changes / song.bars


def song_features(song: Song) -> dict[str, float]:
    """Every ``FEATURES`` value of one song."""
    bars = max(1, song.bars)
    mel = _sorted(song.stems["melody"].notes)
    bass = _sorted(song.stems["bass"].notes)
    chords = song.stems["chords"].notes
    drums = song.stems["drums"].notes
    key = song.key
    scale = set(key.pitch_classes())
    pcs = np.bincount([n.pitch % 12 for n in mel], minlength=12).astype(float)
    p = pcs / pcs.sum() if pcs.sum() else pcs
    sounding = np.zeros(song.steps, bool)
    for n in mel:
        sounding[n.start : n.end] = True
    grid = harmony_pitch_classes(song.with_stem("melody", ()).with_stem("bass", ()))
    bass_in = [bool(grid[n.start, n.pitch % 12]) for n in bass if n.start < song.steps]
    starts: dict[int, int] = {}
    ends: dict[int, set[int]] = {}  # the steps a strike's notes end on
    for n in chords:
        starts[n.start] = starts.get(n.start, 0) + 1
        ends.setdefault(n.start, set()).add(n.end)
    strikes = [len(ends[t]) == 1 for t, k in starts.items() if k > 1]
    out = {
        "mel_mean_pitch": float(np.mean([n.pitch for n in mel])) if mel else 0.0,
        "mel_range": float(max(n.pitch for n in mel) - min(n.pitch for n in mel)) if mel else 0.0,
        "mel_pc_entropy": float(-(p[p > 0] * np.log2(p[p > 0])).sum()),
        "mel_in_scale": _share([n.pitch % 12 in scale for n in mel]),
        **interval_shares(mel),
        "mel_notes_per_bar": len(mel) / bars,
        "mel_mean_duration": float(np.mean([n.duration for n in mel])) if mel else 0.0,
        "mel_on_beat": _on_beat(mel, song),
        "mel_rest_share": 1.0 - float(sounding.mean()) if song.steps else 0.0,
        "mel_motif": motif_share(song),
        "mel_chord_tone": float(chord_tone_ratio(song) or 0.0),
        "chords_onsets_per_bar": onsets_per_bar(chords, bars),
        "chords_polyphony": float(np.mean(list(starts.values()))) if starts else 0.0,
        "chord_changes_per_bar": _chord_changes(song),
        # comping voices strike and release together (a block chord), or one by one
        "chords_struck_alone": _share([starts[n.start] == 1 for n in chords]),
        "chords_release_together": _share(strikes),
        "bass_notes_per_bar": len(bass) / bars,
        "bass_in_chord": _share(bass_in),
        "bass_on_beat": _on_beat(bass, song),
        "drum_hits_per_bar": len(drums) / bars,
        "drum_kick_snare_share": _share([n.pitch in (KICK, SNARE) for n in drums]),
        "drum_bar_repeat": bar_repeat(song, "drums"),
        "mel_bar_repeat": bar_repeat(song, "melody"),
        "chords_bar_repeat": bar_repeat(song, "chords"),
    }
    return {name: out[name] for name in FEATURES}


def feature_matrix(songs: Sequence[Song]) -> np.ndarray:
    """(len(songs), len(FEATURES)) float64."""
    return np.array([[song_features(s)[f] for f in FEATURES] for s in songs], np.float64)
