"""A stub of the Live Object Model for the Multitrack Remote Script: the modules ``Live`` and
``ableton.v2.control_surface``, and a Song with tracks, scenes, clip slots and clips.

It records every call and checks arguments the way Live does (a slot holds one clip, MIDI
clips only on MIDI tracks, notes inside the clip, pitches and velocities in range). ``version``
picks the API: 12 has ``ClipSlot.create_audio_clip`` and the Live 11 note API
(``add_new_notes``/``get_notes_extended``); 10 has only ``set_notes``/``get_notes``.
"""

from __future__ import annotations

import sys
import types
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

CALLS: list[tuple[str, tuple[Any, ...]]] = []


def record(name: str, *args: Any) -> None:
    CALLS.append((name, args))


class MidiNoteSpecification:
    def __init__(
        self, pitch: int, start_time: float, duration: float, velocity: float, mute: bool = False
    ) -> None:
        self.pitch, self.start_time, self.duration = pitch, start_time, duration
        self.velocity, self.mute = velocity, mute


class MidiNote(MidiNoteSpecification):
    pass


class Clip:
    def __init__(self, length: float, *, midi: bool, file_path: str | None = None) -> None:
        self.length = float(length)
        self.is_midi_clip = midi
        self.is_audio_clip = not midi
        self.file_path = file_path
        self._name = ""
        self.notes: list[MidiNote] = []

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        assert isinstance(value, str), "Clip.name must be a str"
        record("Clip.name", value)
        self._name = value

    def _add(self, pitch: int, start: float, duration: float, velocity: float, mute: bool) -> None:
        assert self.is_midi_clip, "notes only go into MIDI clips"
        assert isinstance(pitch, int) and 0 <= pitch <= 127, f"pitch {pitch}"
        assert 0 <= start < self.length, (
            f"note start {start} outside the clip (length {self.length})"
        )
        assert duration > 0, f"note duration {duration}"
        assert 1 <= velocity <= 127, f"velocity {velocity}"
        self.notes.append(MidiNote(pitch, float(start), float(duration), velocity, bool(mute)))

    def set_notes(self, notes: tuple[tuple[int, float, float, int, bool], ...]) -> None:
        assert isinstance(notes, tuple), "set_notes takes a tuple"
        record("Clip.set_notes", len(notes))
        for note in notes:
            self._add(*note)

    def get_notes(
        self, from_time: float, from_pitch: int, time_span: float, pitch_span: int
    ) -> tuple[Any, ...]:
        record("Clip.get_notes", from_time, from_pitch, time_span, pitch_span)
        return tuple(
            (n.pitch, n.start_time, n.duration, n.velocity, n.mute)
            for n in self.notes
            if from_pitch <= n.pitch < from_pitch + pitch_span
            and from_time <= n.start_time < from_time + time_span
        )


class Clip11(Clip):
    def add_new_notes(self, specs: tuple[MidiNoteSpecification, ...]) -> None:
        assert isinstance(specs, tuple), "add_new_notes takes a tuple"
        record("Clip.add_new_notes", len(specs))
        for s in specs:
            assert isinstance(s, MidiNoteSpecification), (
                "add_new_notes takes MidiNoteSpecifications"
            )
            self._add(s.pitch, s.start_time, s.duration, s.velocity, s.mute)

    def get_notes_extended(
        self, from_pitch: int, pitch_span: int, from_time: float, time_span: float
    ) -> tuple[MidiNote, ...]:
        record("Clip.get_notes_extended", from_pitch, pitch_span, from_time, time_span)
        return tuple(
            n
            for n in self.notes
            if from_pitch <= n.pitch < from_pitch + pitch_span
            and from_time <= n.start_time < from_time + time_span
        )


class ClipSlot:
    """Live's ClipSlot; the version's subclass decides which methods exist."""

    clip_class: type[Clip] = Clip

    def __init__(self, track: Track) -> None:
        self.track = track
        self.clip: Clip | None = None

    @property
    def has_clip(self) -> bool:
        return self.clip is not None

    def create_clip(self, length: float) -> None:
        record("ClipSlot.create_clip", length)
        if self.clip is not None:
            raise RuntimeError("Clip slot is not empty")
        if not self.track.has_midi_input:
            raise RuntimeError("MIDI clips can only be created on MIDI tracks")
        if length <= 0:
            raise RuntimeError("Invalid clip length")
        self.clip = self.clip_class(length, midi=True)


class ClipSlot12(ClipSlot):
    clip_class = Clip11

    def create_audio_clip(self, file_path: str) -> None:
        record("ClipSlot.create_audio_clip", file_path)
        if self.clip is not None:
            raise RuntimeError("Clip slot is not empty")
        if not self.track.has_audio_input:
            raise RuntimeError("Audio clips can only be created on audio tracks")
        with wave.open(file_path, "rb") as w:  # the file must really be a WAV
            seconds = w.getnframes() / w.getframerate()
        self.clip = Clip(seconds, midi=False, file_path=file_path)


class Track:
    def __init__(self, song: Song, *, midi: bool) -> None:
        self.has_midi_input, self.has_audio_input = midi, not midi
        self._name = "MIDI" if midi else "Audio"
        self.clip_slots = [song.slot_class(self) for _ in song.scenes]

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        assert isinstance(value, str)
        record("Track.name", value)
        self._name = value


class View:
    detail_clip: Clip | None = None


class Song:
    def __init__(self, slot_class: type[ClipSlot]) -> None:
        self.slot_class = slot_class
        self.scenes: list[object] = [object()]
        self.tracks: list[Track] = []
        self.tracks.append(Track(self, midi=True))  # a new set has one MIDI track
        self.view = View()
        self._tempo = 120.0
        self._num, self._den = 4, 4

    @property
    def tempo(self) -> float:
        return self._tempo

    @tempo.setter
    def tempo(self, value: float) -> None:
        assert isinstance(value, float) and 20 <= value <= 999, f"tempo {value}"
        record("Song.tempo", value)
        self._tempo = value

    @property
    def signature_numerator(self) -> int:
        return self._num

    @signature_numerator.setter
    def signature_numerator(self, value: int) -> None:
        assert isinstance(value, int) and 1 <= value <= 99
        record("Song.signature_numerator", value)
        self._num = value

    @property
    def signature_denominator(self) -> int:
        return self._den

    @signature_denominator.setter
    def signature_denominator(self, value: int) -> None:
        assert value in (1, 2, 4, 8, 16)
        record("Song.signature_denominator", value)
        self._den = value

    def _insert(self, index: int, midi: bool) -> None:
        assert -1 <= index <= len(self.tracks), f"track index {index}"
        track = Track(self, midi=midi)
        self.tracks.insert(len(self.tracks) if index == -1 else index, track)

    def create_midi_track(self, index: int) -> None:
        record("Song.create_midi_track", index)
        self._insert(index, True)

    def create_audio_track(self, index: int) -> None:
        record("Song.create_audio_track", index)
        self._insert(index, False)

    def create_scene(self, index: int) -> None:
        record("Song.create_scene", index)
        assert -1 <= index <= len(self.scenes)
        at = len(self.scenes) if index == -1 else index
        self.scenes.insert(at, object())
        for track in self.tracks:
            track.clip_slots.insert(at, self.slot_class(track))


class CInstance:
    """What Live hands the script: the song, plus a scheduler the test pumps."""

    def __init__(self, song: Song) -> None:
        self.song = song
        self.scheduled: list[tuple[int, Callable[[], None]]] = []
        self.messages: list[str] = []
        self.log: list[str] = []

    def pump(self) -> None:
        due, self.scheduled = self.scheduled, []
        for _, callback in due:
            callback()


class ControlSurface:
    def __init__(self, c_instance: CInstance) -> None:
        self._c_instance = c_instance

    def song(self) -> Song:
        return self._c_instance.song

    def schedule_message(self, delay: int, callback: Callable[[], None]) -> None:
        assert isinstance(delay, int) and delay >= 0
        self._c_instance.scheduled.append((delay, callback))

    def show_message(self, message: str) -> None:
        assert isinstance(message, str)
        self._c_instance.messages.append(message)

    def log_message(self, *message: Any) -> None:
        self._c_instance.log.append(" ".join(str(m) for m in message))

    def disconnect(self) -> None:
        record("ControlSurface.disconnect")


def install(version: int) -> Song:
    """Put ``Live`` and ``ableton.v2.control_surface`` for ``version`` into sys.modules and
    return a fresh Song."""
    CALLS.clear()
    slot_class = ClipSlot12 if version >= 12 else ClipSlot
    live = types.ModuleType("Live")
    live.Clip = types.SimpleNamespace(MidiNoteSpecification=MidiNoteSpecification, Clip=Clip)  # type: ignore[attr-defined]
    live.ClipSlot = types.SimpleNamespace(ClipSlot=slot_class)  # type: ignore[attr-defined]
    surface_module = types.ModuleType("ableton.v2.control_surface")
    surface_module.ControlSurface = ControlSurface  # type: ignore[attr-defined]
    modules = {
        "Live": live,
        "ableton": types.ModuleType("ableton"),
        "ableton.v2": types.ModuleType("ableton.v2"),
        "ableton.v2.control_surface": surface_module,
    }
    sys.modules.update(modules)
    for name in [m for m in sys.modules if m == "Multitrack" or m.startswith("Multitrack.")]:
        del sys.modules[name]
    return Song(slot_class)


def load_script(path: Path) -> types.ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "Multitrack", path / "__init__.py", submodule_search_locations=[str(path)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["Multitrack"] = module
    spec.loader.exec_module(module)
    return module


def uninstall() -> None:
    for name in ["Live", "ableton", "ableton.v2", "ableton.v2.control_surface"]:
        sys.modules.pop(name, None)
    for name in [m for m in sys.modules if m == "Multitrack" or m.startswith("Multitrack.")]:
        del sys.modules[name]


DRUM_GM = (
    36,
    38,
    42,
    46,
    45,
    47,
    50,
    49,
    51,
)  # multitrack.song.DRUM_NOTES, as the script sees them
