"""Turning a finished take into Live tracks and clips, as small work items the surface runs a
few per tick (notes go in chunks), so a long take never freezes Live's UI.

Type-checked with mypy against PyPI ``ableton-live-stubs`` (``make typecheck``). Written for
Live 11 (Python 3.7) and Live 12 (Python 3.11): no syntax newer than 3.7.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import Live

from .cues import SectionCues, sections_at

STEMS = ("melody", "chords", "bass", "drums")
AMBIENCE = "ambience"  # the take's optional ambience.wav (rain, birds ...): audio only
NOTES_PER_CHUNK = 64
METERS = ("4/4", "3/4", "2/4", "6/8")  # what Multitrack makes (multitrack.song.Meter)

Note = Tuple[int, float, float, int]  # pitch, start beat, length beat, velocity
Work = Callable[[], Optional[bool]]  # True: "call me again on a later tick"


def meter_of(song: Dict[str, Any]) -> Tuple[int, int]:
    num, _, den = str(song.get("meter", "4/4")).partition("/")
    try:
        return int(num), int(den)
    except ValueError:
        return 4, 4


def audio_clips_supported() -> bool:
    """``ClipSlot.create_audio_clip`` exists from Live 12.0.5; earlier versions get MIDI only."""
    return hasattr(Live.ClipSlot.ClipSlot, "create_audio_clip")


class TakeBuilder(object):
    def __init__(self, surface: Any) -> None:
        self.surface = surface

    @property
    def song(self) -> Live.Song.Song:
        return self.surface.song

    # -- reading the project ----------------------------------------------------------------

    def project(self) -> Tuple[float, int, int]:
        """The Live Set's tempo (BPM) and time signature."""
        live = self.song
        return float(live.tempo), int(live.signature_numerator), int(live.signature_denominator)

    def wanted_bars(self, clip: Live.Clip.Clip) -> Optional[int]:
        """Bars of the arrangement loop when it is on, else of the selected clip when it is
        longer than a bar; None for a clip of a bar or less (the one-bar clip Live makes on a
        double-click is no choice of length: the prompt's, or the default, decides)."""
        live = self.song
        _, num, den = self.project()
        bar = num * 4.0 / den
        beats = float(live.loop_length) if live.loop else float(clip.length)
        if not live.loop and beats <= bar + 1e-6:
            return None
        return max(1, min(64, int(beats / bar + 0.5)))

    def take_start(self) -> float:
        """Where the take starts in the Arrangement (beats), for its section cue points: the
        arrangement loop's start when the loop is on (the take is as long as the loop), else
        the start of the bar the song time is in."""
        live = self.song
        if live.loop:
            return float(live.loop_start)
        _, num, den = self.project()
        bar = num * 4.0 / den
        return math.floor(float(live.current_song_time) / bar + 1e-9) * bar

    def clip_chord_notes(self, clip: Live.Clip.Clip) -> str:
        """'pitch start length …' (quarter-note beats from the clip start), unmuted notes; a
        pitch struck again as it ends is sent as one held note and numbers without trailing
        zeros, so a long clip fits one UDP datagram (macOS sends at most 9,216 bytes; the
        recogniser reads what sounds, not the strikes)."""
        notes = sorted((int(n.pitch), float(n.start_time), float(n.duration))
                       for n in clip.get_notes_extended(0, 128, 0.0, clip.length)
                       if not n.mute)  # fmt: skip
        merged: List[List[float]] = []
        for p, t, d in notes:
            if merged and merged[-1][0] == p and t <= merged[-1][1] + merged[-1][2] + 1e-6:
                merged[-1][2] = max(merged[-1][2], t + d - merged[-1][1])
            else:
                merged.append([p, t, d])

        def num(x: float) -> str:
            return ("%.4f" % x).rstrip("0").rstrip(".")

        merged.sort(key=lambda n: (n[1], n[0]))
        return " ".join("%d %s %s" % (int(p), num(t), num(d)) for p, t, d in merged)

    # -- planning the work ----------------------------------------------------------------

    def plan(
        self,
        job: str,
        song: Dict[str, Any],
        notes: Dict[str, List[Note]],
        wavs: Dict[str, str],
        *,
        set_tempo: bool,
        ambience: Optional[str] = None,
        start: float = 0.0,
    ) -> List[Work]:
        """Work items that put take ``job`` into the next free scene, its ``ambience`` WAV (if
        any) on the track ``MT ambience audio``, and its sections as cue points from beat
        ``start`` of the Arrangement. The Set's tempo changes only when ``set_tempo`` (the
        producer said yes to the prompt's tempo)."""
        num, den = meter_of(song)
        length = song["bars"] * num * 4.0 / den
        audio = audio_clips_supported()
        with_ambience = audio and ambience is not None
        where: Dict[str, int] = {}
        work: List[Work] = []
        if set_tempo:
            work.append(lambda: self.set_tempo(float(song["tempo"])))
        work += [
            lambda: self.ensure_tracks(audio, with_ambience),
            lambda: where.update(scene=self.free_scene(audio)),
        ]
        chords = " ".join(row["symbol"] for row in song.get("chords", []))
        for stem in STEMS:
            name = "%s %s" % (job, stem) + (": " + chords if stem == "chords" and chords else "")
            work.append(lambda stem=stem, name=name: self.new_clip(stem, where, length, name))  # type: ignore[misc]
            rows = notes.get(stem, [])
            for i in range(0, len(rows), NOTES_PER_CHUNK):
                chunk = rows[i:i + NOTES_PER_CHUNK]  # fmt: skip
                work.append(lambda stem=stem, chunk=chunk: self.add_notes(stem, where, chunk))  # type: ignore[misc]
            if audio:
                path = wavs[stem]
                work.append(lambda stem=stem, path=path: self.new_audio_clip(stem, where, path, job))  # type: ignore[misc]
        if with_ambience and ambience is not None:
            path = ambience
            work.append(lambda: self.new_audio_clip(AMBIENCE, where, path, job))
        sections = sections_at(song, start)
        if sections:
            work.append(SectionCues(self.song, sections, (start, start + length)))
        where_text = "" if audio else " (audio clips need Live 12.0.5+; the WAVs are in %s)" % song.get("take", job)
        work.append(lambda: self.surface.show_message(
            "Multitrack: %s is in scene %d%s" % (job, where["scene"] + 1, where_text)))  # fmt: skip
        return work

    # -- the Live API calls ---------------------------------------------------------------

    def set_tempo(self, bpm: float) -> None:
        self.song.tempo = bpm

    def track(self, name: str) -> Optional[Live.Track.Track]:
        for track in self.song.tracks:
            if track.name == name:
                return track
        return None

    def ensure_tracks(self, audio: bool, ambience: bool = False) -> None:
        live = self.song
        for stem in STEMS:
            if self.track("MT " + stem) is None:
                live.create_midi_track(len(live.tracks))
                live.tracks[len(live.tracks) - 1].name = "MT " + stem
        if audio:
            for stem in STEMS:
                if self.track("MT %s audio" % stem) is None:
                    live.create_audio_track(len(live.tracks))
                    live.tracks[len(live.tracks) - 1].name = "MT %s audio" % stem
        if ambience and self.track("MT %s audio" % AMBIENCE) is None:
            live.create_audio_track(len(live.tracks))
            live.tracks[len(live.tracks) - 1].name = "MT %s audio" % AMBIENCE

    def our_tracks(self, audio: bool) -> Sequence[Live.Track.Track]:
        audio_stems = STEMS + (AMBIENCE,)
        names = ["MT " + s for s in STEMS] + (["MT %s audio" % s for s in audio_stems] if audio else [])
        tracks = [self.track(n) for n in names]
        return [t for t in tracks if t is not None]

    def free_scene(self, audio: bool) -> int:
        """The first scene whose slots on our tracks are all empty (a new one if none)."""
        live = self.song
        tracks = self.our_tracks(audio)
        for index in range(len(live.scenes)):
            if all(not t.clip_slots[index].has_clip for t in tracks):
                return index
        live.create_scene(len(live.scenes))
        return len(live.scenes) - 1

    def slot(self, name: str, where: Dict[str, int]) -> Live.ClipSlot.ClipSlot:
        track = self.track(name)
        if track is None:
            raise RuntimeError("the track %r was deleted while the take was going in" % name)
        return track.clip_slots[where["scene"]]

    def new_clip(self, stem: str, where: Dict[str, int], length: float, name: str) -> None:
        slot = self.slot("MT " + stem, where)
        slot.create_clip(length)
        slot.clip.name = name

    def add_notes(self, stem: str, where: Dict[str, int], chunk: List[Note]) -> None:
        clip = self.slot("MT " + stem, where).clip
        clip.add_new_notes(tuple(
            Live.Clip.MidiNoteSpecification(pitch=p, start_time=s, duration=d, velocity=float(v), mute=False)
            for p, s, d, v in chunk))  # fmt: skip

    def new_audio_clip(self, stem: str, where: Dict[str, int], path: str, job: str) -> None:
        slot = self.slot("MT %s audio" % stem, where)
        slot.create_audio_clip(path)
        slot.clip.name = "%s %s" % (job, stem)
