"""The Multitrack control surface: OSC to `multitrack serve`, takes into Live's Session view.

Built the way AbletonOSC is: a ControlSurface whose ``tick`` (rescheduled every Live tick,
~100 ms) drains a non-blocking UDP socket and does a bounded slice of Live API work, and
never lets an exception reach Live: everything is caught, logged and shown in the status bar.

How a producer drives it (Live has no text dialog for scripts, so clip names are the input):

* Generate: name any MIDI clip ``!gen <prompt> [bars=8] [seed=3] [bpm=90] [key=Am]`` and
  select it (it shows in the Detail view). The script sends ``/multitrack/generate``; when the
  take is done it sets the tempo and time signature, adds four MIDI tracks ``MT melody`` …
  ``MT drums`` (once) with one clip per stem in the next free scene, and, in Live 12, four audio
  tracks with the WAVs (``ClipSlot.create_audio_clip``).
* Regenerate from edited chords: edit the notes of a ``<job> chords`` clip, add
  ``!regen [keep=drums] [repaint=5-8] [seed=5]`` to its name and select it. Its notes go to the
  server as ``chord_notes``; the new take lands in the next scene, the old clips stay.
"""

import json
import os
import random
import socket
import time
import traceback

try:
    from ableton.v2.control_surface import ControlSurface
except ImportError:  # Live 10 and older keep the legacy framework only
    from _Framework.ControlSurface import ControlSurface

from . import osc
from .builder import TakeBuilder

SERVER = ("127.0.0.1", 9000)
OPTION_KEYS = ("bars", "seed", "bpm", "key", "meter", "steps", "guidance", "stems")
REGEN_KEYS = ("keep", "repaint", "seed", "steps", "guidance")
JOB_TIMEOUT = 300.0  # seconds without a terminal reply before a job is given up
WORK_PER_TICK = 8  # Live API calls batches per tick, so the UI stays responsive


def split_options(text, keys):
    """'lofi bars=8 seed=3' -> ('lofi', [('bars', '8'), ('seed', '3')])."""
    words, options = [], []
    for word in text.split():
        key, sep, value = word.partition("=")
        if sep and key in keys and value:
            options.append((key, value))
        else:
            words.append(word)
    return " ".join(words), options


def osc_value(key, value):
    if key in ("bars", "seed", "steps") and value.isdigit():
        return int(value)
    if key in ("bpm", "guidance"):
        try:
            return float(value)
        except ValueError:
            return value
    return value


class Job(object):
    def __init__(self, job, kind, clip, label):
        self.job, self.kind, self.clip, self.label = job, kind, clip, label
        self.notes = {}
        self.started = time.time()


class Multitrack(ControlSurface):
    def __init__(self, c_instance):
        ControlSurface.__init__(self, c_instance)
        self.server = SERVER
        self.jobs = {}
        self.work = []
        self.malformed = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.builder = TakeBuilder(self)
        self.log_message("Multitrack: replies on 127.0.0.1:%d" % self.sock.getsockname()[1])
        self.show_message("Multitrack: name a MIDI clip '!gen <prompt>' and select it")
        self.schedule_message(1, self.tick)

    def disconnect(self):
        try:
            self.sock.close()
        finally:
            ControlSurface.disconnect(self)

    # -- the tick -------------------------------------------------------------------------

    def tick(self):
        try:
            self.drain()
            self.scan_selected_clip()
            for _ in range(WORK_PER_TICK):
                if not self.work:
                    break
                self.work.pop(0)()
            self.expire()
        except Exception:
            self.report("Multitrack: internal error (see Log.txt)", traceback.format_exc())
            self.work = []
        finally:
            self.schedule_message(1, self.tick)

    def report(self, message, detail=None):
        self.log_message(message if detail is None else message + "\n" + detail)
        self.show_message(message)

    def send(self, address, args):
        self.sock.sendto(osc.encode(address, args), self.server)

    def drain(self):
        while True:
            try:
                data, _ = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. an ICMP 'port unreachable': no server running
                self.report("Multitrack: is `multitrack serve` running? (%s)" % exc)
                return
            try:
                messages = osc.decode(data)
            except ValueError as exc:
                self.malformed += 1
                self.log_message("Multitrack: dropped a malformed packet: %s" % exc)
                continue
            for address, args in messages:
                self.on_reply(address, args)

    # -- requests -------------------------------------------------------------------------

    def scan_selected_clip(self):
        clip = self.song().view.detail_clip
        if clip is None or not clip.is_midi_clip:
            return
        name = clip.name
        if name.startswith("!gen"):
            self.generate(clip, name[len("!gen"):].strip())
        elif "!regen" in name:
            self.regenerate(clip, name)

    def new_job(self):
        return "live-%s-%06x" % (time.strftime("%Y%m%d-%H%M%S"), random.getrandbits(24))

    def generate(self, clip, text):
        prompt, options = split_options(text, OPTION_KEYS)
        if not prompt:
            clip.name = "(generate needs a prompt, e.g. '!gen 欢快的流行歌 bars=8')"
            return
        job = self.new_job()
        args = [job, prompt]
        for key, value in options:
            args += [key, osc_value(key, value)]
        self.send("/multitrack/generate", args + ["notes", 1])
        self.jobs[job] = Job(job, "generate", clip, prompt)
        clip.name = "%s (queued %s)" % (prompt, job)
        self.show_message("Multitrack: generating %s…" % job)

    def regenerate(self, clip, name):
        head, _, tail = name.partition("!regen")
        from_job = head.split()[0] if head.split() else ""
        _, options = split_options(tail, REGEN_KEYS)
        notes = self.builder.clip_chord_notes(clip)
        label = head.strip()
        if not from_job or not notes:
            clip.name = label + " (regenerate needs a '<job> chords' clip with notes)"
            return
        job = self.new_job()
        args = [job, from_job, "chord_notes", notes]
        for key, value in options:
            args += [key, osc_value(key, value)]
        self.send("/multitrack/regenerate", args + ["notes", 1])
        self.jobs[job] = Job(job, "regenerate", clip, label)
        clip.name = "%s (regenerating %s)" % (label, job)
        self.show_message("Multitrack: regenerating %s from %s…" % (job, from_job))

    # -- replies --------------------------------------------------------------------------

    def on_reply(self, address, args):
        job = self.jobs.get(args[0]) if args and isinstance(args[0], str) else None
        if job is None:
            return
        if address == "/multitrack/progress":
            self.show_message("Multitrack %s: %d%% %s" % (job.job, int(args[1] * 100), args[2]))
        elif address == "/multitrack/notes":
            stem, flat = args[1], args[4:]
            rows = job.notes.setdefault(stem, [])
            for i in range(0, len(flat) - 3, 4):
                rows.append((int(flat[i]), float(flat[i + 1]), float(flat[i + 2]), int(flat[i + 3])))
        elif address == "/multitrack/error":
            del self.jobs[job.job]
            self.safe_rename(job.clip, "%s (error %s: %s)" % (job.label, args[1], args[2]))
            self.report("Multitrack %s: %s" % (job.job, args[2]))
        elif address == "/multitrack/done":
            del self.jobs[job.job]
            take_dir, song_json = args[1], args[2]
            with open(song_json, encoding="utf-8") as f:
                song = json.load(f)
            wavs = dict(zip(("melody", "chords", "bass", "drums"), args[4:8]))
            self.work += self.builder.plan(job.job, song, job.notes, wavs)
            self.safe_rename(job.clip, "%s (done %s)" % (job.label, os.path.basename(take_dir)))

    def safe_rename(self, clip, name):
        try:
            clip.name = name
        except Exception:  # the clip may have been deleted meanwhile
            self.log_message("Multitrack: could not rename a clip to %r" % name)

    def expire(self):
        now = time.time()
        for job in list(self.jobs.values()):
            if now - job.started > JOB_TIMEOUT:
                del self.jobs[job.job]
                self.safe_rename(job.clip, "%s (no reply from the server)" % job.label)
                self.report("Multitrack %s: no reply in %d s" % (job.job, JOB_TIMEOUT))
