"""Song <-> standard MIDI files.

Written files are type 1, 480 ticks a quarter note (120 a grid step), in five tracks: a
conductor track (name ``multitrack``: time signature, key signature, tempo, one marker per
chord symbol at its onset, and a text event ``multitrack:{json}`` carrying what MIDI cannot
say exactly: tempo as a float, the key with its mode, the style, the chord ends and the length),
then ``melody`` (channel 1), ``chords`` (2), ``bass`` (3) and ``drums`` (10), each with its GM
program. The text event only refines what the MIDI says: a value whose MIDI form no longer
matches (a DAW changed the tempo or a marker) is read from the MIDI instead.

Reading takes any type 0 or 1 file: times come from ticks (tempo changes do not move notes off
the beat), the song's tempo is the one that lasts longest, the meter is the first time
signature (2/2 and 4/2 read as 4/4, 4/8 as 2/4, 12/8 and 3/8 as 6/8, 6/4 and 3/2 as 3/4; others
are refused), stems are picked by ``multitrack.stems_split``, markers that are chord symbols
become ``song.chords``, and a file without a key signature gets the Krumhansl-Kessler key of
its notes.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import mido
import numpy as np

from multitrack.atomic import atomic_file
from multitrack.chords import parse_chord
from multitrack.errors import ChordSymbolError, MidiFileError, MusicError
from multitrack.grid import cut_notes
from multitrack.keyfinding import key_of_histogram
from multitrack.song import (
    DRUM_NOTES,
    MAX_BARS,
    MAX_BPM,
    MIN_BPM,
    PITCHED_STEMS,
    STEMS,
    ChordSpan,
    Meter,
    Note,
    Section,
    Song,
)
from multitrack.stems import CHANNELS
from multitrack.stems_split import parts_from_midi, split_stems, ticks_to_steps
from multitrack.swing import swing_ticks, unswung
from multitrack.theory import Key

log = logging.getLogger(__name__)

PPQ = 480
TICKS_PER_STEP = PPQ // 4
CONDUCTOR = "multitrack"
_TEXT_PREFIX = "multitrack:"

# Meters we do not have, read as one we do with the same beat (bars split or joined).
METER_ALIASES: dict[tuple[int, int], tuple[int, int]] = {
    (2, 2): (4, 4),
    (4, 2): (4, 4),
    (4, 8): (2, 4),
    (12, 8): (6, 8),
    (3, 8): (6, 8),
    (6, 4): (3, 4),
    (3, 2): (3, 4),
}


def write_midi(song: Song, path: Path, *, swing: float = 0.5, swing_unit: int = 2) -> None:
    """Write ``song`` to ``path`` as a type 1 MIDI file, atomically (temporary name, rename);
    ``swing`` as in ``song_to_midi``."""
    mid = song_to_midi(song, swing=swing, swing_unit=swing_unit)
    path = Path(path)
    with atomic_file(path) as handle:
        mid.save(file=handle)


def step_ticks(meter: Meter, swing: float = 0.5, swing_unit: int = 2) -> Callable[[int], int]:
    """The tick (``PPQ`` a quarter note) at which ``song_to_midi`` puts a grid step: swung in
    meters whose beat is a quarter note, straight otherwise (a compound 6/8 beat has no
    swung pairs). The OSC ``notes`` replies place notes with it too, as song.mid has them."""
    if meter.denominator != 4 or swing_unit not in (1, 2) or swing == 0.5:
        return lambda step: step * TICKS_PER_STEP
    return lambda step: swing_ticks(step, TICKS_PER_STEP, ratio=swing, unit=swing_unit)


def song_to_midi(song: Song, *, swing: float = 0.5, swing_unit: int = 2) -> mido.MidiFile:
    """The MIDI file ``write_midi`` writes, in memory.

    ``swing`` (0.5 straight, 2/3 triplet feel) delays the off-beat of every pair of
    ``swing_unit``-step notes (2: 8ths, 1: 16ths) in the note ticks only, in meters whose
    beat is a quarter note (``multitrack.swing.swing_ticks``); the conductor's record
    keeps the ratio, so reading the file back gives the straight grid again.
    """
    if (song.meter.denominator != 4 or swing_unit not in (1, 2)) and swing != 0.5:
        swing = 0.5  # a compound (6/8) beat has no swung pairs
    end = song.steps * TICKS_PER_STEP
    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    mid.tracks.append(_conductor(song, (swing, swing_unit)))
    tick = step_ticks(song.meter, swing, swing_unit)

    for name in STEMS:
        stem = song.stems[name]
        channel = CHANNELS[name]
        events: list[tuple[int, int, mido.Message]] = []  # (tick, offs first, message)
        for note in stem.notes:
            pitch = DRUM_NOTES[note.pitch] if name == "drums" else note.pitch
            on = mido.Message("note_on", channel=channel, note=pitch, velocity=note.velocity)
            off = mido.Message("note_off", channel=channel, note=pitch, velocity=0)
            events.append((tick(note.start), 1, on))
            events.append((tick(note.end), 0, off))
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        track.append(mido.Message("program_change", channel=channel, program=stem.program))
        _append_timed(track, events, end)
        mid.tracks.append(track)
    return mid


def read_midi(path: Path, *, max_bars: int | None = None) -> Song:
    """Read a MIDI file into a Song on the grid.

    ``max_bars`` cuts the song to its first bars (notes cut at the end); without it a file
    longer than ``MAX_BARS`` is refused. Raises ``MidiFileError`` naming the file when it is
    missing, truncated, not MIDI, or says something a Song cannot hold.
    """
    path = Path(path)
    if not path.is_file():
        raise MidiFileError(f"MIDI file {path} does not exist")
    try:
        mid = mido.MidiFile(path)
    except EOFError:
        raise MidiFileError(f"{path} is truncated: the file ends inside a MIDI track") from None
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        reason = str(exc) or type(exc).__name__
        raise MidiFileError(f"{path} is not a readable MIDI file: {reason}") from None
    return song_from_midi(mid, source=str(path), max_bars=max_bars)


def song_from_midi(
    mid: mido.MidiFile, *, source: str = "MIDI data", max_bars: int | None = None
) -> Song:
    """A Song from a parsed MIDI file (see ``read_midi``); ``source`` names it in errors."""
    if mid.type == 2:
        raise MidiFileError(f"{source} is a type 2 MIDI file; only types 0 and 1 are read")
    ppq = mid.ticks_per_beat
    if not 0 < ppq < 0x8000:
        raise MidiFileError(f"{source} uses SMPTE or zero timing; only tick timing is read")
    meta = _Meta.scan(mid)
    record = meta.record
    if record.swing is not None:
        mid = unswung(mid, record.swing, TICKS_PER_STEP * mid.ticks_per_beat // PPQ)
    meter = _meter(meta.time_signature, source)
    tempo_us = meta.main_tempo()
    tempo = round(60_000_000 / tempo_us, 2)
    if len({t for _, t in meta.tempos}) > 1:
        log.warning("%s changes tempo; read at %g BPM throughout (its longest tempo)",
                    source, tempo)  # fmt: skip
    if record.tempo is not None and mido.bpm2tempo(record.tempo) == tempo_us:
        tempo = record.tempo
    if not MIN_BPM <= tempo <= MAX_BPM:
        raise MidiFileError(
            f"{source} has tempo {tempo:g} BPM; Multitrack reads {MIN_BPM:g}-{MAX_BPM:g} BPM"
        )

    stems = split_stems(parts_from_midi(mid))
    last_note = max((n.end for s in stems.values() for n in s.notes), default=0)
    last_start = max((n.start for s in stems.values() for n in s.notes), default=0)
    conductor_end = ticks_to_steps(meta.conductor_end, ppq)
    if record.bars is not None and record.bars * meter.steps_per_bar == conductor_end:
        # our own file: its length, grown to a bar a producer wrote notes in after it
        # (a DAW edit); a note ringing past the end is cut there
        bars = max(record.bars, last_start // meter.steps_per_bar + 1)
        if max_bars is None and bars <= MAX_BARS:
            steps = bars * meter.steps_per_bar
            stems = {n: replace(s, notes=cut_notes(s.notes, 0, steps)) for n, s in stems.items()}
    else:
        total = max(last_note, ticks_to_steps(meta.end, ppq), 1)
        bars = math.ceil(total / meter.steps_per_bar)
    if max_bars is not None:
        bars = min(bars, max_bars)
        steps = bars * meter.steps_per_bar
        stems = {n: replace(s, notes=cut_notes(s.notes, 0, steps)) for n, s in stems.items()}
    elif bars > MAX_BARS:
        raise MidiFileError(f"{source} is {bars} bars long; Multitrack reads at most {MAX_BARS}")

    # The record's key name (a mode the signature cannot say) wins when the file's key
    # signature agrees with it; else the signature; without one, the notes decide.
    key = _parse_key(record.key)
    if meta.key_signature is not None:
        signed = Key.parse(meta.key_signature)
        if key is None or key.midi_signature() != signed.midi_signature():
            key = signed
    else:
        key = estimate_key([n for name in PITCHED_STEMS for n in stems[name].notes])
    try:
        song = Song(bars=bars, tempo=tempo, meter=meter, key=key, stems=stems, style=record.style)
    except MusicError as exc:
        raise MidiFileError(f"{source}: {exc}") from None
    sections = tuple(x for x in record.sections if x.end <= song.bars)
    return replace(
        song, chords=_chords(meta, ppq, song.steps, record.chord_ends), sections=sections
    )


def _parse_key(name: str | None) -> Key | None:
    """The key a conductor record names, or None when it names none we read."""
    try:
        return None if name is None else Key.parse(name)
    except MusicError:
        return None


def estimate_key(notes: Sequence[Note]) -> Key:
    """The major or minor key whose Krumhansl-Kessler profile best matches the notes' pitch
    classes weighted by duration; C major for no notes."""
    weights = np.zeros(12, np.float64)
    for note in notes:
        weights[note.pitch % 12] += note.duration
    found = key_of_histogram(weights)
    return Key(0, "major") if found is None else Key(found.tonic, found.mode)


def _sections(rows: object) -> tuple[Section, ...]:
    """Sections from the conductor record's rows [start bar, bars, letter, label]; none
    when the rows are not well formed."""
    if not isinstance(rows, list):
        return ()
    out = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[0], int)
                and isinstance(row[1], int) and row[1] > 0 and isinstance(row[2], str)
                and isinstance(row[3], str)):  # fmt: skip
            return ()
        out.append(Section(row[0], row[1], row[2], row[3]))
    return tuple(out)


@dataclass(frozen=True)
class _Record:
    """What our conductor track's text event says beyond MIDI; fields of the wrong type are
    ignored (the MIDI then decides)."""

    tempo: float | None = None
    key: str | None = None
    style: str | None = None
    bars: int | None = None
    chord_ends: tuple[int, ...] | None = None
    swing: tuple[float, int] | None = None
    sections: tuple[Section, ...] = ()

    @classmethod
    def parse(cls, text: str) -> _Record:
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        tempo, key, style, bars = (data.get(k) for k in ("tempo", "key", "style", "bars"))
        ends = data.get("chord_ends")
        sw = data.get("swing")
        swing = None
        if (
            isinstance(sw, list)
            and len(sw) == 2
            and isinstance(sw[0], int | float)
            and 0.5 < sw[0] < 1
            and sw[1] in (1, 2)
        ):
            swing = (float(sw[0]), int(sw[1]))
        return cls(
            tempo=float(tempo) if isinstance(tempo, int | float) else None,
            key=key if isinstance(key, str) else None,
            style=style if isinstance(style, str) else None,
            bars=bars if isinstance(bars, int) else None,
            chord_ends=tuple(ends)
            if isinstance(ends, list) and all(isinstance(e, int) for e in ends)
            else None,
            swing=swing,
            sections=_sections(data.get("sections")),
        )


class _Meta:
    """Everything a file says besides notes, gathered in one pass."""

    def __init__(self) -> None:
        self.tempos: list[tuple[int, int]] = []  # (tick, microseconds per quarter)
        self.time_signature: tuple[int, int] | None = None
        self.key_signature: str | None = None
        self.markers: list[tuple[int, str]] = []
        self.record = _Record()
        self.end = 0
        self.conductor_end = -1

    @classmethod
    def scan(cls, mid: mido.MidiFile) -> _Meta:
        meta = cls()
        for index, track in enumerate(mid.tracks):
            tick = 0
            for msg in track:
                tick += msg.time
                meta._take(msg, tick)
            meta.end = max(meta.end, tick)
            if index == 0:
                meta.conductor_end = tick
        meta.tempos.sort(key=lambda t: t[0])
        if meta.tempos and meta.tempos[0][0] > 0:
            meta.tempos.insert(0, (0, 500_000))  # MIDI's 120 BPM until the first tempo event
        meta.markers.sort(key=lambda m: m[0])
        return meta

    def _take(self, msg: mido.MetaMessage | mido.Message, tick: int) -> None:
        if msg.type == "set_tempo":
            self.tempos.append((tick, msg.tempo))
        elif msg.type == "time_signature" and self.time_signature is None:
            self.time_signature = (msg.numerator, msg.denominator)
        elif msg.type == "key_signature" and self.key_signature is None:
            self.key_signature = msg.key
        elif msg.type == "marker" and _is_chord_symbol(msg.text.strip()):
            self.markers.append((tick, msg.text.strip()))
        elif msg.type == "text" and msg.text.startswith(_TEXT_PREFIX):
            self.record = _Record.parse(msg.text[len(_TEXT_PREFIX) :])

    def main_tempo(self) -> int:
        """The tempo (microseconds per quarter) in force for the most ticks; 120 BPM if none."""
        if not self.tempos:
            return 500_000
        spans: dict[int, int] = {}
        points = [*self.tempos, (max(self.end, self.tempos[-1][0]), 0)]
        for (tick, tempo), (nxt, _) in itertools.pairwise(points):
            spans[tempo] = spans.get(tempo, 0) + nxt - tick
        first = self.tempos[0][1]
        return max(spans, key=lambda t: (spans[t], t == first))


def _conductor(song: Song, swing: tuple[float, int] = (0.5, 2)) -> mido.MidiTrack:
    meter = song.meter
    extra: dict[str, object] = {
        "tempo": song.tempo,
        "key": str(song.key),
        "style": song.style,
        "bars": song.bars,
        "chord_ends": [c.start + c.duration for c in song.chords],
    }
    if song.sections:
        extra["sections"] = [[x.start, x.bars, x.letter, x.label] for x in song.sections]
    if swing[0] != 0.5:
        extra["swing"] = [swing[0], swing[1]]
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=CONDUCTOR, time=0))
    track.append(mido.MetaMessage("text", text=_TEXT_PREFIX + json.dumps(extra), time=0))
    clocks = 36 if meter.denominator == 8 else 24  # MIDI clocks per counted beat
    track.append(
        mido.MetaMessage(
            "time_signature",
            numerator=meter.numerator,
            denominator=meter.denominator,
            clocks_per_click=clocks,
            notated_32nd_notes_per_beat=8,
            time=0,
        )
    )
    track.append(mido.MetaMessage("key_signature", key=song.key.midi_signature(), time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.tempo), time=0))
    bar_ticks = meter.steps_per_bar * TICKS_PER_STEP
    markers = [
        (x.start * bar_ticks, 0, mido.MetaMessage("marker", text=x.label or x.letter))
        for x in song.sections
    ] + [
        (c.start * TICKS_PER_STEP, 1, mido.MetaMessage("marker", text=c.symbol))
        for c in song.chords
    ]
    _append_timed(track, markers, song.steps * TICKS_PER_STEP)
    return track


def _append_timed(
    track: mido.MidiTrack,
    events: list[tuple[int, int, mido.Message | mido.MetaMessage]],
    end: int,
) -> None:
    """Append (absolute tick, order, message) events as delta times, then end of track at
    ``end`` ticks or the last event."""
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))


def _meter(signature: tuple[int, int] | None, source: str) -> Meter:
    if signature is None:
        return Meter(4, 4)
    pair = METER_ALIASES.get(signature, signature)
    try:
        return Meter(*pair)
    except MusicError:
        raise MidiFileError(
            f"{source} is in {signature[0]}/{signature[1]}; Multitrack reads 4/4, 3/4, 2/4 "
            "and 6/8 (and 2/2, 4/2, 4/8, 12/8, 3/8, 6/4, 3/2 as one of those)"
        ) from None


def _chords(
    meta: _Meta, ppq: int, steps: int, ends: tuple[int, ...] | None
) -> tuple[ChordSpan, ...]:
    """Chord spans from markers: each lasts to the next marker or the song's end, unless the
    file's own record of chord ends still matches the markers."""
    onsets: dict[int, str] = {}
    for tick, text in meta.markers:
        start = ticks_to_steps(tick, ppq)
        if start < steps:
            onsets[start] = text  # a later marker on the same step wins
    starts = sorted(onsets)
    bounds = [*starts[1:], steps] if starts else []
    if (
        ends is not None
        and len(ends) == len(starts)
        and all(s < e <= b for s, e, b in zip(starts, ends, bounds, strict=True))
    ):
        bounds = list(ends)
    return tuple(ChordSpan(s, e - s, onsets[s]) for s, e in zip(starts, bounds, strict=True))


def _is_chord_symbol(text: str) -> bool:
    """Markers also name sections ("Verse"); only chord symbols become chords."""
    try:
        parse_chord(text)
    except ChordSymbolError:
        return False
    return True
