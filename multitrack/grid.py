"""Song <-> piano rolls on the 16th-note grid.

A stem's roll is three arrays of shape (steps, pitches): ``onset`` (1 where a note starts),
``hold`` (1 on every step a note sounds, its onset included) and ``velocity`` (0-1, at the
onset). Pitched stems have 128 pitch rows; drums have 9 (``DRUM_CLASSES``). The round trip
``from_rolls(to_rolls(song))`` is exact for on-grid music whose same-pitch notes do not
overlap within a stem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from multitrack.song import DRUM_CLASSES, STEMS, Note, Song, Stem

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class Roll:
    """One stem as arrays of shape (steps, pitches), float32 in [0, 1]."""

    onset: FloatArray
    hold: FloatArray
    velocity: FloatArray

    @property
    def steps(self) -> int:
        return int(self.onset.shape[0])


def pitch_rows(stem: str) -> int:
    """Rows in a stem's roll: 9 drum classes or 128 MIDI pitches."""
    return len(DRUM_CLASSES) if stem == "drums" else 128


def stem_to_roll(stem: Stem, steps: int) -> Roll:
    """Draw a stem's notes onto a roll of ``steps`` grid steps; notes past the end are cut."""
    rows = pitch_rows(stem.name)
    onset = np.zeros((steps, rows), np.float32)
    hold = np.zeros((steps, rows), np.float32)
    velocity = np.zeros((steps, rows), np.float32)
    for note in stem.notes:
        if note.start >= steps:
            continue
        onset[note.start, note.pitch] = 1.0
        velocity[note.start, note.pitch] = note.velocity / 127.0
        hold[note.start : min(note.end, steps), note.pitch] = 1.0
    return Roll(onset, hold, velocity)


def roll_to_notes(roll: Roll, *, threshold: float = 0.5, default_velocity: int = 96) -> list[Note]:
    """Read notes back from a roll: a note starts at each onset and lasts while hold stays on.

    ``threshold`` binarises model output (probabilities); exact rolls use the default. A hold
    run with no onset (a model's stray sustain) starts a note too, so nothing heard is lost.
    """
    on = roll.onset >= threshold
    held = roll.hold >= threshold
    notes: list[Note] = []
    for pitch in range(on.shape[1]):
        for start, end in note_runs(held[:, pitch] | on[:, pitch], on[:, pitch]):
            v = float(roll.velocity[start, pitch])
            vel = round(v * 127) if v > 0 else default_velocity
            notes.append(Note(start, pitch, end - start, min(127, max(1, vel))))
    return sorted(notes)


def note_runs(sounding: NDArray[np.bool_], onsets: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) grid-step ranges of the notes in one row: maximal runs of ``sounding``
    steps (T,), cut wherever ``onsets`` (T,) starts a new note; an onset on a silent step
    starts nothing."""
    steps = sounding.shape[0]
    out: list[tuple[int, int]] = []
    t = 0
    while t < steps:
        if not sounding[t]:
            t += 1
            continue
        start = t
        t += 1
        while t < steps and sounding[t] and not onsets[t]:
            t += 1
        out.append((start, t))
    return out


def to_rolls(song: Song) -> dict[str, Roll]:
    """All four stems as rolls of ``song.steps`` steps."""
    return {name: stem_to_roll(song.stems[name], song.steps) for name in STEMS}


def from_rolls(song: Song, rolls: dict[str, Roll], *, threshold: float = 0.5) -> Song:
    """A copy of ``song`` (tempo, meter, key, programs kept) with its stems read from rolls."""
    stems = {
        name: Stem(name, tuple(roll_to_notes(roll, threshold=threshold)), song.stems[name].program)
        for name, roll in rolls.items()
    }
    return replace(song, stems={**song.stems, **stems})


def cut_notes(notes: Iterable[Note], start: int, end: int) -> tuple[Note, ...]:
    """The notes starting in [start, end), shifted to start at 0 and cut at ``end`` (steps):
    a window of a stem, or (start 0) a stem cut to a length."""
    return tuple(
        Note(n.start - start, n.pitch, min(n.duration, end - n.start), n.velocity)
        for n in notes
        if start <= n.start < end
    )


def dedupe_notes(notes: Iterable[Note]) -> list[Note]:
    """One note per (start, pitch), sorted: repeated strikes keep the loudest (then the
    longest; the first on a full tie), and a note is cut where the next note of its pitch
    starts."""
    best: dict[tuple[int, int], Note] = {}
    for note in notes:
        key = (note.pitch, note.start)
        old = best.get(key)
        if old is None or (note.velocity, note.duration) > (old.velocity, old.duration):
            best[key] = note
    out: list[Note] = []
    ordered = sorted(best.values(), key=lambda n: (n.pitch, n.start))
    for i, note in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        if nxt is not None and nxt.pitch == note.pitch and nxt.start < note.end:
            note = Note(note.start, note.pitch, nxt.start - note.start, note.velocity)
        out.append(note)
    return sorted(out)
