"""Voicing: turn chord spans into the notes of the chords stem and the bass stem.

Each chord is voiced as a block of its chord tones between C3 and C5 (MIDI 48-72, C4 = 60),
every tone once (a ninth chord drops its fifth to stay at four voices), chosen among all
such voicings to move the least from the previous one (smooth voice leading) while staying
near the middle of the range. The bass plays the root, or the slash bass, between E1 and E3
(MIDI 28-52), choosing the octave nearest the previous bass note. Both restrike at the start
of every span and at every bar line inside a span, so long chords keep sounding.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from multitrack.chords import Chord
from multitrack.song import ChordSpan, Meter, Note

CHORD_LOW, CHORD_HIGH = 48, 72  # C3-C5, MIDI numbers (C4 = 60)
BASS_LOW, BASS_HIGH = 28, 52  # E1-E3
CHORD_CENTRE = 60.0  # where a voicing's mean pitch likes to sit
BASS_CENTRE = 38  # D2: where the bass likes to sit
_BASS_CENTRE_WEIGHT = 0.6  # cost of a semitone away from BASS_CENTRE, against one of leap
CHORD_VELOCITY = 80
BASS_VELOCITY = 92
MAX_SPREAD = 14  # semitones between a voicing's lowest and highest note
_CENTRE_WEIGHT = 0.35  # cost of a semitone of mean drift from CHORD_CENTRE, per voice
_SPREAD_WEIGHT = 0.1  # cost per semitone of spread, favouring close positions


def voice_progression(
    spans: Sequence[ChordSpan], meter: Meter, *, previous: Sequence[int] | None = None
) -> tuple[list[Note], list[Note]]:
    """The (chords-stem notes, bass-stem notes) that play ``spans``.

    ``spans`` are ChordSpans in grid steps (16ths) whose symbols ``parse_chord`` reads
    (N.C. spans stay silent). ``previous`` is the voicing sounding before the first span
    (MIDI numbers), so a continuation leads on smoothly from it. Raises ``ChordSymbolError``
    for a symbol that does not parse.
    """
    chord_notes: list[Note] = []
    bass_notes: list[Note] = []
    voicing: tuple[int, ...] | None = tuple(sorted(previous)) if previous else None
    bass: int | None = None
    for span in spans:
        chord = span.chord
        if chord.root is None or span.duration < 1:
            continue
        voicing = choose_voicing(chord, voicing)
        bass = choose_bass(chord, bass)
        for start, length in _strikes(span, meter):
            chord_notes.extend(Note(start, p, length, CHORD_VELOCITY) for p in voicing)
            bass_notes.append(Note(start, bass, length, BASS_VELOCITY))
    return sorted(chord_notes), sorted(bass_notes)


def choose_voicing(chord: Chord, previous: Sequence[int] | None = None) -> tuple[int, ...]:
    """The voicing (sorted MIDI numbers in C3-C5) of ``chord`` nearest to ``previous``.

    Cost: the voice-leading distance from ``previous`` (each note to its nearest note in the
    other chord, both ways, in semitones), plus a pull towards the middle of the range and a
    small cost of spread. Deterministic: ties go to the lower voicing.
    """
    tones = _voiced_tones(chord)
    options = [tuple(p for p in range(CHORD_LOW, CHORD_HIGH + 1) if p % 12 == pc) for pc in tones]
    best: tuple[int, ...] | None = None
    best_cost = float("inf")
    for combo in itertools.product(*options):
        voicing = tuple(sorted(combo))
        spread = voicing[-1] - voicing[0]
        if spread > MAX_SPREAD:
            continue
        cost = _voicing_cost(voicing, previous)
        if cost < best_cost - 1e-9:
            best, best_cost = voicing, cost
    assert best is not None  # every chord has a close position within two octaves
    return best


def choose_bass(chord: Chord, previous: int | None = None) -> int:
    """The bass note (MIDI, E1-E3) of ``chord``: its slash bass or root, in the octave that
    leaps least from ``previous`` while staying near D2."""
    pc = chord.bass_pitch_class()
    assert pc is not None, "N.C. has no bass"
    candidates = [p for p in range(BASS_LOW, BASS_HIGH + 1) if p % 12 == pc]

    def cost(p: int) -> tuple[float, int]:
        leap = 0 if previous is None else abs(p - previous)
        return leap + _BASS_CENTRE_WEIGHT * abs(p - BASS_CENTRE), p

    return min(candidates, key=cost)


def _voiced_tones(chord: Chord) -> tuple[int, ...]:
    """Chord tones to voice: every tone, but a five-note chord leaves out its fifth."""
    tones = chord.tones()
    if len(tones) > 4:
        assert chord.root is not None
        fifth = (chord.root + 7) % 12
        tones = tuple(t for t in tones if t != fifth)
    return tones


def _voicing_cost(voicing: tuple[int, ...], previous: Sequence[int] | None) -> float:
    mean = sum(voicing) / len(voicing)
    cost = _CENTRE_WEIGHT * abs(mean - CHORD_CENTRE) * len(voicing)
    cost += _SPREAD_WEIGHT * (voicing[-1] - voicing[0])
    if previous:
        there = sum(min(abs(p - q) for q in previous) for p in voicing)
        back = sum(min(abs(q - p) for p in voicing) for q in previous)
        cost += (there + back) / 2
    return cost


def _strikes(span: ChordSpan, meter: Meter) -> list[tuple[int, int]]:
    """(start, length) in steps: the span cut at every bar line inside it."""
    bar = meter.steps_per_bar
    cuts = [span.start]
    cuts.extend(range((span.start // bar + 1) * bar, span.start + span.duration, bar))
    cuts.append(span.start + span.duration)
    return [(a, b - a) for a, b in itertools.pairwise(cuts)]
