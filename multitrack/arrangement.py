"""Arrangement moves a refine makes on the notes: busier or sparser drums, the melody an
octave up or down. Pure functions on a ``Song``; velocities are left to
``multitrack.dynamics``."""

from __future__ import annotations

from dataclasses import replace

from multitrack.chords import transpose_symbol
from multitrack.song import DRUM_CLASSES, ChordSpan, Note, Song
from multitrack.theory import Key

_HATS = {DRUM_CLASSES.index(x) for x in ("closed_hat", "open_hat", "ride")}
_TOMS = {DRUM_CLASSES.index(x) for x in ("low_tom", "mid_tom", "high_tom")}
_SKELETON = {DRUM_CLASSES.index(x) for x in ("kick", "snare")}
CLOSED_HAT = DRUM_CLASSES.index("closed_hat")
KICK = DRUM_CLASSES.index("kick")
MELODY_RANGE = (48, 96)  # an octave shift stays inside this (MIDI numbers)


def denser_drums(song: Song) -> Song:
    """More drums: a closed hat on every 8th (every 16th when 8ths are already there) that
    has no hat or ride, and a kick on each bar's middle beat when it has none. An empty drum
    stem gets a plain 8th-note hat and kick pulse."""
    notes = list(song.stems["drums"].notes)
    spb = song.meter.steps_per_bar
    beat = song.meter.steps_per_beat
    hats = {n.start for n in notes if n.pitch in _HATS}
    eighths = set(range(0, song.steps, 2))
    grid = eighths if not eighths <= hats else set(range(song.steps))
    notes += [Note(s, CLOSED_HAT, 1, 80) for s in sorted(grid - hats)]
    kicks = {n.start for n in notes if n.pitch == KICK}
    middle = (spb // 2) if spb % (2 * beat) == 0 else 0
    for bar in range(song.bars):
        for s in {bar * spb, bar * spb + middle}:
            if s not in kicks:
                notes.append(Note(s, KICK, 1, 96))
                kicks.add(s)
    return song.with_stem("drums", notes)


def sparser_drums(song: Song) -> Song:
    """Fewer drums: hats and rides only on the beat, no toms; kicks, snares and crashes
    stay (the groove's skeleton). A groove the toms carry (no kick or snare: a reggae take
    played on toms alone) keeps its toms on the beat, as the hats."""
    beat = song.meter.steps_per_beat
    notes = song.stems["drums"].notes
    skeleton = any(n.pitch in _SKELETON for n in notes)
    thinned = _HATS if skeleton else _HATS | _TOMS
    kept = [
        n
        for n in notes
        if not (skeleton and n.pitch in _TOMS) and (n.pitch not in thinned or n.start % beat == 0)
    ]
    return song.with_stem("drums", kept)


def shift_melody(song: Song, octaves: int) -> Song:
    """The melody ``octaves`` octaves up (+) or down (-), note by note; a note that would
    leave ``MELODY_RANGE`` stays where it is."""
    lo, hi = MELODY_RANGE
    shift = 12 * octaves
    notes = [
        replace(n, pitch=n.pitch + shift) if lo <= n.pitch + shift <= hi else n
        for n in song.stems["melody"].notes
    ]
    return song.with_stem("melody", notes)


def transposed(song: Song, key: Key) -> Song:
    """``song`` moved to ``key`` (a key of its own mode): every pitched note and chord symbol
    by the interval between the tonics, the nearer way (up to a tritone up, else down); the
    drums as they are."""
    shift = (key.tonic - song.key.tonic) % 12
    if shift > 6:
        shift -= 12
    stems = {
        name: stem if name == "drums" else replace(
            stem, notes=tuple(replace(n, pitch=min(127, max(0, n.pitch + shift))) for n in stem.notes)
        )
        for name, stem in song.stems.items()
    }  # fmt: skip
    chords = tuple(
        ChordSpan(c.start, c.duration, transpose_symbol(c.symbol, shift, flats=key.flats))
        for c in song.chords
    )
    return replace(song, key=key, stems=stems, chords=chords)
