"""A stub of what Live gives a MIDI Remote Script, for the Multitrack script's tests.

Two parts, each shaped like the real thing for every member the script touches:

* ``ableton.v2.control_surface``: ``SimpleControlSurface`` and ``ControlSurface`` as in Live's
  own ``ableton/v2/control_surface/control_surface.py`` (decompiled, read in github
  gluon/AbletonLive12_MIDIRemoteScripts and gluon/AbletonLive11_MIDIRemoteScripts):
  ``__init__(c_instance=None, publish_self=True, …)`` asserts a c_instance and (ControlSurface)
  calls ``c_instance.update_locks()``; ``song`` is a *property* returning
  ``c_instance.song()``; ``show_message`` asserts a str and forwards to the c_instance;
  ``schedule_message(delay_in_ticks, callback, parameter=None)`` asserts ``delay_in_ticks > 0``
  and a callable and runs it from ``update_display`` (Live's ~100 ms timer) after that many
  ticks; ``disconnect``. There is **no** ``log_message`` (only ``_Framework`` has one), so a
  script calling it fails here as it does in Live.
* ``Live``: Song, Track, ClipSlot, Clip, MidiNoteSpecification, CuePoint with the signatures
  of PyPI ``ableton-live-stubs`` 12.3.6 (which the script is also type-checked against). ``version``
  picks the API: 12 has ``ClipSlot.create_audio_clip`` (Live 12.0.5+), 11 does not. Arguments
  are checked the way Live does (a slot holds one clip, MIDI clips only on MIDI tracks, notes
  inside the clip, pitches and velocities in range).
  Cue points as Live makes them: ``Song.set_or_delete_cue()`` deletes the cue point at the
  song time if there is one (``is_cue_point_selected()``), else makes one there named by
  Live ("1", "2" ...); ``CuePoint.time`` is read-only, ``name`` settable. A new
  ``current_song_time`` takes effect only when Live next runs (the next ``pump``), as Live 11
  does inside a script's callback; ``get_data``/``set_data`` keep data in the Set.
"""

from __future__ import annotations

import sys
import types
import wave
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

CALLS: list[tuple[str, tuple[Any, ...]]] = []


def record(name: str, *args: Any) -> None:
    CALLS.append((name, args))


class MidiNoteSpecification:
    def __init__(
        self,
        pitch: int,
        start_time: float,
        duration: float,
        velocity: float = 100.0,
        mute: bool = False,
        probability: float = 1.0,
        velocity_deviation: float = 0.0,
        release_velocity: float = 64.0,
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
        assert 0 <= start < self.length, f"note start {start} outside the clip ({self.length})"
        assert duration > 0, f"note duration {duration}"
        assert 1 <= velocity <= 127, f"velocity {velocity}"
        self.notes.append(MidiNote(pitch, float(start), float(duration), velocity, bool(mute)))

    def add_new_notes(self, specs: Iterable[MidiNoteSpecification], /) -> list[int]:
        specs = tuple(specs)
        record("Clip.add_new_notes", len(specs))
        for s in specs:
            assert isinstance(s, MidiNoteSpecification), "takes MidiNoteSpecifications"
            self._add(s.pitch, s.start_time, s.duration, s.velocity, s.mute)
        return list(range(len(specs)))

    def get_notes_extended(
        self, from_pitch: int, pitch_span: int, from_time: float, time_span: float, /
    ) -> tuple[MidiNote, ...]:
        record("Clip.get_notes_extended", from_pitch, pitch_span, from_time, time_span)
        return tuple(
            n
            for n in self.notes
            if from_pitch <= n.pitch < from_pitch + pitch_span
            and from_time <= n.start_time < from_time + time_span
        )


class ClipSlot:
    """Live 11's ClipSlot: MIDI clips only."""

    def __init__(self, track: Track) -> None:
        self.track = track
        self._clip: Clip | None = None

    @property
    def clip(self) -> Clip | None:
        return self._clip  # "Might be None" (Live-stubs ClipSlot.clip)

    @property
    def has_clip(self) -> bool:
        return self._clip is not None

    def create_clip(self, length: float, /) -> Clip:
        record("ClipSlot.create_clip", length)
        if self._clip is not None:
            raise RuntimeError("Clip slot is not empty")
        if not self.track.has_midi_input:
            raise RuntimeError("MIDI clips can only be created on MIDI tracks")
        if length <= 0:
            raise RuntimeError("Invalid clip length")
        self._clip = Clip(length, midi=True)
        return self._clip

    def delete_clip(self) -> None:
        record("ClipSlot.delete_clip")
        self._clip = None


class ClipSlot12(ClipSlot):
    """Live 12.0.5+: ``create_audio_clip(file_path)`` exists."""

    def create_audio_clip(self, file_path: str, /) -> Clip:
        record("ClipSlot.create_audio_clip", file_path)
        if self._clip is not None:
            raise RuntimeError("Clip slot is not empty")
        if not self.track.has_audio_input:
            raise RuntimeError("Audio clips can only be created on audio tracks")
        with wave.open(file_path, "rb") as w:  # the file must really be a WAV
            seconds = w.getnframes() / w.getframerate()
        self._clip = Clip(seconds, midi=False, file_path=file_path)
        return self._clip


class CuePoint:
    def __init__(self, time: float, name: str) -> None:
        self._time, self._name = float(time), name

    @property
    def time(self) -> float:
        return self._time

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        assert isinstance(value, str), "CuePoint.name must be a str"
        record("CuePoint.name", value)
        self._name = value


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
        self.signature_numerator, self.signature_denominator = 4, 4
        self.loop, self.loop_start, self.loop_length = False, 0.0, 16.0
        self._time = 0.0
        self._time_pending: float | None = None
        self.is_playing = False
        self._cues: list[CuePoint] = []
        self._made = 0
        self._data: dict[str, Any] = {}
        self.undo_open = False

    def begin_undo_step(self) -> None:
        record("Song.begin_undo_step")
        assert not self.undo_open, "begin_undo_step inside an open undo step"
        self.undo_open = True

    def end_undo_step(self) -> None:
        record("Song.end_undo_step")
        assert self.undo_open, "end_undo_step without begin_undo_step"
        self.undo_open = False

    @property
    def current_song_time(self) -> float:
        return self._time

    @current_song_time.setter
    def current_song_time(self, value: float) -> None:
        assert isinstance(value, float) and value >= 0, f"song time {value}"
        record("Song.current_song_time", value)
        self._time_pending = value  # applied when Live next runs (pump)

    def settle(self) -> None:
        """Live between two callbacks: a song-time move takes effect."""
        if self._time_pending is not None:
            self._time, self._time_pending = self._time_pending, None

    @property
    def cue_points(self) -> tuple[CuePoint, ...]:
        return tuple(sorted(self._cues, key=lambda c: c.time))  # Vector: read-only

    def is_cue_point_selected(self) -> bool:
        return any(abs(c.time - self._time) < 1e-9 for c in self._cues)

    def set_or_delete_cue(self) -> None:
        record("Song.set_or_delete_cue", self._time)
        here = [c for c in self._cues if abs(c.time - self._time) < 1e-9]
        if here:
            self._cues.remove(here[0])
        else:
            self._made += 1
            self._cues.append(CuePoint(self._time, str(self._made)))

    def get_data(self, key: str, default_value: Any, /) -> Any:
        return self._data.get(key, default_value)

    def set_data(self, key: str, value: Any, /) -> None:
        self._data[key] = value

    def add_cue(self, time: float, name: str) -> CuePoint:
        """A locator the producer made (in Live's UI)."""
        cue = CuePoint(time, name)
        self._cues.append(cue)
        return cue

    @property
    def tempo(self) -> float:
        return self._tempo

    @tempo.setter
    def tempo(self, value: float) -> None:
        assert isinstance(value, float) and 20 <= value <= 999, f"tempo {value}"
        record("Song.tempo", value)
        self._tempo = value

    def _insert(self, index: int | None, midi: bool) -> Track:
        assert index is None or -1 <= index <= len(self.tracks), f"track index {index}"
        track = Track(self, midi=midi)
        self.tracks.insert(len(self.tracks) if index in (None, -1) else index, track)
        return track

    def create_midi_track(self, index: int | None = None, /) -> Track:
        record("Song.create_midi_track", index)
        return self._insert(index, True)

    def create_audio_track(self, index: int | None = None, /) -> Track:
        record("Song.create_audio_track", index)
        return self._insert(index, False)

    def create_scene(self, index: int, /) -> object:
        record("Song.create_scene", index)
        assert -1 <= index <= len(self.scenes)
        at = len(self.scenes) if index == -1 else index
        self.scenes.insert(at, object())
        for track in self.tracks:
            track.clip_slots.insert(at, self.slot_class(track))
        return self.scenes[at]

    def state(self) -> tuple[Any, ...]:
        """Everything a take may change, to show that a failure changed nothing."""
        return (
            self._tempo, self.signature_numerator, self.signature_denominator,
            tuple(t.name for t in self.tracks), len(self.scenes),
            tuple(tuple(s.has_clip for s in t.clip_slots) for t in self.tracks),
            tuple((c.time, c.name) for c in self.cue_points), self._time,
        )  # fmt: skip


class CInstance:
    """What Live hands the script (``c_instance``): its song, the status bar, and the
    ``update_display`` timer the test pumps as Live does every ~100 ms."""

    def __init__(self, song: Song) -> None:
        self._song = song
        self.messages: list[str] = []
        self.surface: SimpleControlSurface | None = None

    def song(self) -> Song:
        return self._song

    def show_message(self, message: str) -> None:
        self.messages.append(message)

    def update_locks(self) -> None:
        pass

    def set_session_highlight(self, *args: Any) -> None:
        pass

    def pump(self) -> None:
        assert self.surface is not None
        self._song.settle()
        self.surface.update_display()


class SimpleControlSurface:
    def __init__(self, c_instance: CInstance | None = None, publish_self: bool = True) -> None:
        assert c_instance
        self._c_instance = c_instance
        self._tasks: list[list[Any]] = []  # [ticks left, callback, parameter]
        c_instance.surface = self

    @property
    def song(self) -> Song:
        return self._c_instance.song()

    def show_message(self, message: str) -> None:
        assert isinstance(message, str)
        self._c_instance.show_message(message)

    def schedule_message(
        self, delay_in_ticks: int, callback: Callable[..., None], parameter: Any = None
    ) -> None:
        assert delay_in_ticks > 0
        assert callable(callback)
        self._tasks.append([delay_in_ticks, callback, parameter])

    def update_display(self) -> None:
        due = [t for t in self._tasks if t[0] <= 1]
        for task in self._tasks:
            task[0] -= 1
        self._tasks = [t for t in self._tasks if t[0] > 0]
        for _, callback, parameter in due:
            callback(parameter) if parameter else callback()

    @property
    def scheduled(self) -> int:
        return len(self._tasks)

    def disconnect(self) -> None:
        record("ControlSurface.disconnect")
        self._tasks = []


class ControlSurface(SimpleControlSurface):
    def __init__(self, *a: Any, **k: Any) -> None:
        super().__init__(*a, **k)
        self._c_instance.update_locks()


def install(version: int) -> Song:
    """Put ``Live`` and ``ableton.v2.control_surface`` for Live ``version`` (11 or 12) into
    sys.modules and return a fresh Song."""
    assert version in (11, 12), "Live 10 (Python 2.7) is not supported"
    CALLS.clear()
    slot_class = ClipSlot12 if version >= 12 else ClipSlot
    live = types.ModuleType("Live")
    live.Clip = types.SimpleNamespace(MidiNoteSpecification=MidiNoteSpecification, Clip=Clip)  # type: ignore[attr-defined]
    live.ClipSlot = types.SimpleNamespace(ClipSlot=slot_class)  # type: ignore[attr-defined]
    live.Song = types.SimpleNamespace(Song=Song, CuePoint=CuePoint)  # type: ignore[attr-defined]
    live.Track = types.SimpleNamespace(Track=Track)  # type: ignore[attr-defined]
    surface_module = types.ModuleType("ableton.v2.control_surface")
    surface_module.ControlSurface = ControlSurface  # type: ignore[attr-defined]
    surface_module.SimpleControlSurface = SimpleControlSurface  # type: ignore[attr-defined]
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
