"""Turning a finished take into Live tracks and clips, as small work items the surface runs a
few per tick (notes go in chunks), so a long take never freezes Live's UI."""

STEMS = ("melody", "chords", "bass", "drums")
NOTES_PER_CHUNK = 64

try:
    import Live
except ImportError:  # outside Live (documentation builds); the surface never runs there
    Live = None


def meter_of(song):
    num, _, den = str(song.get("meter", "4/4")).partition("/")
    try:
        return int(num), int(den)
    except ValueError:
        return 4, 4


class TakeBuilder(object):
    def __init__(self, surface):
        self.surface = surface

    def song(self):
        return self.surface.song()

    # -- reading the edited chords clip ---------------------------------------------------

    def clip_chord_notes(self, clip):
        """'pitch start length …' (quarter-note beats from the clip start), unmuted notes."""
        if hasattr(clip, "get_notes_extended"):  # Live 11+
            notes = [(n.pitch, n.start_time, n.duration, n.mute)
                     for n in clip.get_notes_extended(0, 128, 0.0, clip.length)]
        else:
            notes = [(p, t, d, m) for p, t, d, _, m in clip.get_notes(0.0, 0, clip.length, 128)]
        parts = ["%d %.4f %.4f" % (p, t, d) for p, t, d, muted in sorted(notes) if not muted]
        return " ".join(parts)

    # -- planning the work ----------------------------------------------------------------

    def plan(self, job, song, notes, wavs):
        """Work items that put take ``job`` into the next free scene."""
        num, den = meter_of(song)
        length = song["bars"] * num * 4.0 / den
        audio = self.audio_supported()
        where = {}
        work = [
            lambda: self.set_tempo(song, num, den),
            lambda: self.ensure_tracks(audio),
            lambda: where.update(scene=self.free_scene(audio)),
        ]
        chords = " ".join(row["symbol"] for row in song.get("chords", []))
        for stem in STEMS:
            name = "%s %s" % (job, stem) + (": " + chords if stem == "chords" and chords else "")
            work.append(lambda stem=stem, name=name: self.new_clip(stem, where, length, name))
            rows = notes.get(stem, [])
            for i in range(0, len(rows), NOTES_PER_CHUNK):
                chunk = rows[i:i + NOTES_PER_CHUNK]
                work.append(lambda stem=stem, chunk=chunk: self.add_notes(stem, where, chunk))
            if audio:
                path = wavs[stem]
                work.append(lambda stem=stem, path=path: self.new_audio_clip(stem, where, path, job))
        if not audio:
            work.append(lambda: self.surface.log_message(
                "Multitrack: audio clips need Live 12; the WAVs are in " + str(song.get("take", job))))
        work.append(lambda: self.surface.show_message("Multitrack: %s is in scene %d" % (job, where["scene"] + 1)))
        return work

    def audio_supported(self):
        """Live 12 added ClipSlot.create_audio_clip; earlier versions get MIDI only."""
        try:
            return hasattr(Live.ClipSlot.ClipSlot, "create_audio_clip")
        except AttributeError:
            return False

    # -- the Live API calls ---------------------------------------------------------------

    def set_tempo(self, song, num, den):
        live = self.song()
        live.tempo = float(song["tempo"])
        live.signature_numerator = num
        live.signature_denominator = den

    def track(self, name):
        for track in self.song().tracks:
            if track.name == name:
                return track
        return None

    def ensure_tracks(self, audio):
        live = self.song()
        for stem in STEMS:
            if self.track("MT " + stem) is None:
                live.create_midi_track(len(live.tracks))
                live.tracks[len(live.tracks) - 1].name = "MT " + stem
        if audio:
            for stem in STEMS:
                if self.track("MT %s audio" % stem) is None:
                    live.create_audio_track(len(live.tracks))
                    live.tracks[len(live.tracks) - 1].name = "MT %s audio" % stem

    def our_tracks(self, audio):
        names = ["MT " + s for s in STEMS] + (["MT %s audio" % s for s in STEMS] if audio else [])
        return [self.track(n) for n in names]

    def free_scene(self, audio):
        """The first scene whose slots on our tracks are all empty (a new one if none)."""
        live = self.song()
        tracks = self.our_tracks(audio)
        for index in range(len(live.scenes)):
            if all(not t.clip_slots[index].has_clip for t in tracks):
                return index
        live.create_scene(len(live.scenes))
        return len(live.scenes) - 1

    def new_clip(self, stem, where, length, name):
        slot = self.track("MT " + stem).clip_slots[where["scene"]]
        slot.create_clip(length)
        slot.clip.name = name

    def add_notes(self, stem, where, chunk):
        clip = self.track("MT " + stem).clip_slots[where["scene"]].clip
        if hasattr(clip, "add_new_notes") and Live is not None:  # Live 11+
            clip.add_new_notes(tuple(
                Live.Clip.MidiNoteSpecification(pitch=p, start_time=s, duration=d, velocity=v, mute=False)
                for p, s, d, v in chunk))
        else:
            clip.set_notes(tuple((p, s, d, v, False) for p, s, d, v in chunk))

    def new_audio_clip(self, stem, where, path, job):
        slot = self.track("MT %s audio" % stem).clip_slots[where["scene"]]
        slot.create_audio_clip(path)
        slot.clip.name = "%s %s" % (job, stem)
