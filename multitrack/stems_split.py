"""Stem picking: the notes of an arbitrary MIDI file sorted into melody, chords, bass, drums.

A ``Part`` is the notes of one (track, channel) pair, already on the 16th-note grid. Our own
files name their tracks ``melody``/``chords``/``bass``/``drums`` and come back exactly. For
files made elsewhere, ``split_stems`` decides per part, in this order:

1. channel 10 (index 9) is drums, whatever the track is called;
2. a track name or GM program family that says what it is (``bass``/贝斯 or programs 32-39
   -> bass; ``melody``/``lead``/``vocal``/旋律 -> melody; ``drum``/鼓 -> drums);
3. by shape: the lowest mostly-monophonic part (mean pitch below G3) -> bass; of the
   mostly-monophonic parts whose mean pitch is within a fifth of the highest, the one with the
   most notes -> melody; every other pitched part -> chords;
4. a file whose only pitched part is polyphonic and spans two octaves or more (a piano
   piece) is split by register: top line from C4 up -> melody, bottom line below G3 -> bass.

Melody and bass picked by heuristics are made monophonic (a note is cut where the next one
starts; notes struck together keep the top for melody, the bottom for bass and hand the rest
to chords), so nothing heard is lost. Merged stems never hold two overlapping notes of one
pitch (the roll round trip in ``multitrack.grid`` needs that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mido

from multitrack.grid import dedupe_notes
from multitrack.song import DRUM_NOTES, STEMS, Note, Stem, drum_class
from multitrack.stems import DRUM_CHANNEL

MONOPHONIC_MAX = 0.2  # at most this share of notes may overlap another for a part to be "mono"
BASS_MAX_MEAN_PITCH = 55.0  # G3: a part lower than this on average can be a bass line
LEGATO_STEPS = 1  # an overlap this short (steps) is a smeared legato, not two voices
MELODY_WINDOW = 7.0
KEYBOARD_SPAN = 24  # semitones: a lone part this wide is split by register like a piano  # semitones below the highest mono part still in the running for melody

_OWN_DRUMS = {note: index for index, note in enumerate(DRUM_NOTES)}
_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "drums": ("drum", "perc", "kit", "鼓", "打击"),
    "bass": ("bass", "贝斯", "低音"),
    "melody": ("melody", "lead", "vocal", "voice", "sing", "solo", "旋律", "主旋", "人声"),
    "chords": ("chord", "comp", "pad", "harmony", "rhythm", "和弦", "伴奏"),
}


@dataclass(frozen=True)
class Part:
    """The notes one (track, channel) pair plays, in grid steps.

    ``notes`` carry MIDI pitches, GM percussion notes on the drum channel. ``program`` is the
    GM program (0-127) in effect at the part's first note. ``name`` is the track's name.
    """

    track: int
    channel: int
    name: str
    program: int
    notes: tuple[Note, ...]

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    @property
    def mean_pitch(self) -> float:
        return sum(n.pitch for n in self.notes) / len(self.notes) if self.notes else 0.0

    @property
    def polyphony(self) -> float:
        """Share of notes (0-1) struck together with, or overlapping by more than
        ``LEGATO_STEPS``, the note before or after them in this part. Neighbours only: one
        note held for bars (a stuck note-on, a drone) used to make every note under it an
        overlap, and a flute line with one hanging note was read as chords."""
        notes = sorted(self.notes)
        overlapping = 0
        for i, note in enumerate(notes):
            prev = notes[i - 1] if i > 0 else None
            nxt = notes[i + 1] if i + 1 < len(notes) else None
            before = prev is not None and (
                prev.start == note.start or prev.end - note.start > LEGATO_STEPS
            )
            after = nxt is not None and (
                nxt.start == note.start or note.end - nxt.start > LEGATO_STEPS
            )
            overlapping += before or after
        return overlapping / len(notes) if notes else 0.0


def ticks_to_steps(ticks: int, ticks_per_beat: int) -> int:
    """Nearest 16th-note grid step of a time in MIDI ticks (quarter note = ``ticks_per_beat``)."""
    return (4 * ticks + ticks_per_beat // 2) // ticks_per_beat


def parts_from_midi(mid: mido.MidiFile) -> tuple[Part, ...]:
    """Every (track, channel) pair that plays notes, quantised to the grid.

    Times come from ticks, so tempo changes do not move notes off the beat. Running status is
    handled by mido. A note-on with velocity 0 ends a note; repeated note-ons of one pitch
    are closed first-in first-out; notes still sounding at the end of their track end there.
    Program changes apply by channel across all tracks (type 1 files often put them apart).
    """
    ppq = mid.ticks_per_beat
    programs: list[tuple[int, int, int]] = []  # (tick, channel, program)
    raw: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}  # -> (on, off, pitch, vel)
    names: dict[int, str] = {}
    for index, track in enumerate(mid.tracks):
        tick = 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (ch, pitch) -> [(on, vel)]
        for msg in track:
            tick += msg.time
            if msg.type == "track_name" and index not in names:
                names[index] = _readable(msg.name)
            elif msg.type == "program_change":
                programs.append((tick, msg.channel, msg.program))
            elif msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                started = sounding.get((msg.channel, msg.note))
                if started:
                    on, vel = started.pop(0)
                    raw.setdefault((index, msg.channel), []).append((on, tick, msg.note, vel))
        for (channel, pitch), started in sounding.items():
            for on, vel in started:
                raw.setdefault((index, channel), []).append((on, tick, pitch, vel))
    programs.sort()
    parts = []
    for (index, channel), events in sorted(raw.items()):
        first = min(on for on, _, _, _ in events)
        program = 0
        for tick, ch, prog in programs:
            if tick > first:
                break
            if ch == channel:
                program = prog
        notes = []
        for on, off, pitch, vel in events:
            start = ticks_to_steps(on, ppq)
            end = ticks_to_steps(off, ppq)
            notes.append(Note(start, pitch, max(1, end - start), vel))
        parts.append(Part(index, channel, names.get(index, ""), program, tuple(sorted(notes))))
    return tuple(parts)


def split_stems(parts: Sequence[Part]) -> dict[str, Stem]:
    """Sort parts into the four stems (see the module docstring for the rules).

    Returns a ``Stem`` per stem name; a stem no part fits is empty with program 0. Drum notes
    come back as class indices 0-8; GM percussion notes with no class are dropped.
    """
    chosen: dict[str, list[Part]] = {name: [] for name in STEMS}
    exact = {name for name in STEMS if any(_is_own(p, name) for p in parts)}
    free: list[Part] = []
    for part in parts:
        own = next((name for name in STEMS if _is_own(part, name)), None)
        if own is not None:
            chosen[own].append(part)
        elif part.is_drums:
            if "drums" not in exact:
                chosen["drums"].append(part)
        else:
            free.append(part)
    heuristic = _pick_by_shape(free, taken=exact)
    for name, picked in heuristic.items():
        chosen[name].extend(picked)

    stems: dict[str, Stem] = {}
    spill: list[Note] = []
    for name in ("melody", "bass"):
        picked = chosen[name]
        if name in exact or not picked:
            stems[name] = _merge(name, picked)
            continue
        kept, extra = _monophonic(_merge(name, picked).notes, top=name == "melody")
        stems[name] = Stem(name, tuple(kept), _main_program(picked))
        spill.extend(extra)
    chords = _merge("chords", chosen["chords"])
    if spill:
        chords = Stem("chords", tuple(dedupe_notes([*chords.notes, *spill])), chords.program)
    stems["chords"] = chords
    stems["drums"] = _merge("drums", chosen["drums"])
    if not exact and len(free) == 1 and not stems["melody"].notes and not stems["bass"].notes:
        stems.update(_split_keyboard(chords))
    return {name: stems[name] for name in STEMS}


def _split_keyboard(chords: Stem) -> dict[str, Stem]:
    """A lone wide polyphonic part (a piano piece) split by register: its top line from C4 up
    is the melody, its bottom line below G3 the bass, the rest stays chords. A narrower part
    (a pad, a strummed guitar) is left whole."""
    notes = chords.notes
    if not notes or max(n.pitch for n in notes) - min(n.pitch for n in notes) < KEYBOARD_SPAN:
        return {}
    melody, rest = _monophonic([n for n in notes if n.pitch >= 60], top=True)
    bass, middle = _monophonic([n for n in notes if n.pitch < BASS_MAX_MEAN_PITCH], top=False)
    inner = [n for n in notes if BASS_MAX_MEAN_PITCH <= n.pitch < 60]
    program = chords.program
    return {
        "melody": Stem("melody", tuple(melody), program),
        "bass": Stem("bass", tuple(bass), program),
        "chords": Stem("chords", tuple(dedupe_notes([*rest, *middle, *inner])), program),
    }


def _readable(name: str) -> str:
    """mido decodes text as latin-1; most files made today store UTF-8 (Chinese names)."""
    try:
        return name.encode("latin-1").decode("utf-8").strip()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name.strip()


def _is_own(part: Part, stem: str) -> bool:
    """A track written by ``multitrack.midi_io``: named exactly after its stem."""
    return part.name == stem and (part.is_drums == (stem == "drums"))


def _named(part: Part) -> str | None:
    lowered = part.name.lower()
    for stem, words in _NAME_WORDS.items():
        if any(word in lowered for word in words):
            return stem
    return None


def _pick_by_shape(parts: Sequence[Part], *, taken: set[str]) -> dict[str, list[Part]]:
    """Heuristic stems for pitched parts not named exactly; see the module docstring."""
    out: dict[str, list[Part]] = {"melody": [], "chords": [], "bass": [], "drums": []}
    rest: list[Part] = []
    for part in parts:
        named = _named(part)
        if named in ("bass", "melody") and named not in taken:
            out[named].append(part)
        elif named is None and 32 <= part.program <= 39 and "bass" not in taken:
            out["bass"].append(part)
        elif named == "chords":
            out["chords"].append(part)
        else:
            rest.append(part)  # named drums on a pitched channel play as chords
    mono = [p for p in rest if _named(p) is None and p.polyphony <= MONOPHONIC_MAX]
    if not out["bass"] and "bass" not in taken:
        low = [p for p in mono if p.mean_pitch < BASS_MAX_MEAN_PITCH]
        if low:
            bass = min(low, key=lambda p: (p.mean_pitch, -len(p.notes)))
            out["bass"].append(bass)
            mono.remove(bass)
    if not out["melody"] and "melody" not in taken and mono:
        top = max(p.mean_pitch for p in mono)
        near = [p for p in mono if p.mean_pitch >= top - MELODY_WINDOW]
        out["melody"].append(max(near, key=lambda p: (len(p.notes), p.mean_pitch)))
    picked = {id(p) for name in ("melody", "bass") for p in out[name]}
    out["chords"].extend(p for p in rest if id(p) not in picked)
    return out


def _main_program(parts: Sequence[Part]) -> int:
    return max(parts, key=lambda p: len(p.notes)).program if parts else 0


def _merge(name: str, parts: Sequence[Part]) -> Stem:
    """One stem from several parts: drums to classes, same-pitch overlaps resolved."""
    notes: list[Note] = []
    for part in parts:
        if name != "drums":
            notes.extend(part.notes)
            continue
        for note in part.notes:
            cls = _OWN_DRUMS.get(note.pitch, drum_class(note.pitch))
            if cls is not None:
                notes.append(Note(note.start, cls, note.duration, note.velocity))
    if len(parts) > 1 or name == "drums":
        notes = dedupe_notes(notes)
    return Stem(name, tuple(notes), _main_program(parts))


def _monophonic(notes: Sequence[Note], *, top: bool) -> tuple[list[Note], list[Note]]:
    """One line from ``notes``: per onset the top (or bottom) note, each cut where the next
    onset starts. Returns (line, the notes left out)."""
    by_start: dict[int, list[Note]] = {}
    for note in notes:
        by_start.setdefault(note.start, []).append(note)
    starts = sorted(by_start)
    line: list[Note] = []
    extra: list[Note] = []
    for i, start in enumerate(starts):
        group = sorted(by_start[start], key=lambda n: n.pitch, reverse=top)
        pick = group[0]
        extra.extend(group[1:])
        if i + 1 < len(starts) and starts[i + 1] < pick.end:
            pick = Note(pick.start, pick.pitch, starts[i + 1] - pick.start, pick.velocity)
        line.append(pick)
    return line, extra
