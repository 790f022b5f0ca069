"""The Multitrack control surface: OSC to `multitrack serve`, takes into Live's Session view.

Built on Live's own framework, ``ableton.v2.control_surface.ControlSurface`` (Live 11 and 12):
``self.song`` is a property, ``schedule_message(ticks, callback)`` runs the callback from
Live's ~100 ms ``update_display`` timer, ``show_message`` writes the status bar, and logging
goes through Python's ``logging`` (Live writes it to Log.txt). Like AbletonOSC, each tick
drains a non-blocking UDP socket and does a bounded slice of Live API work, and no exception
ever reaches Live: everything is caught, logged and shown in the status bar.

How a producer drives it (Live has no text dialog for scripts, so clip names are the input):

* Generate: name any MIDI clip ``!gen <prompt> [bars=8] [seed=3] [key=Am]`` and select it.
  The take fits the Set: its tempo and time signature, and as many bars as the arrangement
  loop (when on) or the selected clip. A tempo the prompt names ("85 bpm") is asked about
  first: the clip's name gets ``tempo=?``; replace it with ``tempo=yes`` (the Set takes the
  prompt's tempo) or ``tempo=no`` (the take is made at the Set's tempo). Nothing else in the
  Set changes: four MIDI tracks ``MT melody`` … ``MT drums`` are added once, and each take
  goes into the next free scene (with audio clips of the WAVs from Live 12.0.5 on, and of
  ``ambience.wav`` on ``MT ambience audio`` when the take has one). The take's sections
  ("Verse 1", "Chorus 1") become Arrangement cue points from the loop's start (loop on) or
  the song time's bar, once the Set is stopped (``cues.py``; a producer's are never touched).
* Regenerate from edited chords: edit the notes of a ``<job> chords`` clip, add
  ``!regen [keep=drums] [repaint=5-8] [seed=5]`` to its name and select it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import socket
import time
import traceback
from typing import Any, Dict, List, Optional, Tuple

import Live
from ableton.v2.control_surface import ControlSurface

from . import osc
from .builder import METERS, STEMS, Note, TakeBuilder
from .cues import SectionCues

logger = logging.getLogger(__name__)

SERVER = ("127.0.0.1", 9000)
SETTINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "settings.json")
OPTION_KEYS = ("bars", "seed", "bpm", "key", "steps", "guidance", "stems", "tempo")
REGEN_KEYS = ("keep", "repaint", "seed", "steps", "guidance")
ACCEPT_TIMEOUT = 5.0  # seconds for the server to accept a request before it counts as down
JOB_TIMEOUT = 300.0  # seconds without a terminal reply before a job is given up
WORK_PER_TICK = 8  # Live API calls batches per tick, so the UI stays responsive
# A tempo the prompt names as a number, as models/text/quantities.py's _BPM_PATTERNS read it
# (tests/examples/test_ableton_script.py checks this against the real parser).
_NUM = r"(\d+(?:\.\d+)?)"
TEMPO_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    _NUM + r"\s*(?:bpm(?![a-z])|b\.p\.m|beats?\s+(?:per|a|each)\s+minute|beats?/min|拍每分钟?|拍/分钟?|拍一分钟)",
    r"每分钟\s*" + _NUM + r"\s*(?:拍|下|beats?)",
    r"(?:(?<![a-z])bpm|(?<![a-z])tempo|速度|拍速)\s*(?:[:=]|为|是|设为|大约|约|of|at|around)?\s*" + _NUM
    + r"(?!\s*(?:小节|bars?|measures?|秒|分钟|seconds?|minutes?|/|\d))",
    r"(?:♩|(?<![a-z])q)\s*=\s*" + _NUM,
))  # fmt: skip


# A length the prompt names ("16 bars", "十六小节" is left to the server): the clip's then
# does not override it.
BARS_PATTERN = re.compile(r"\d+\s*(?:bars?(?![a-z])|measures?|小节)", re.IGNORECASE)
# A song form the prompt names ("主歌副歌主歌副歌", "intro verse chorus outro", "AABA"): the
# server gives it its length (8 bars a section); a 4-bar clip's length refused it.
FORM_PATTERN = re.compile(
    r"(?<![a-z])(?:verse|chorus|bridge|intro|outro)(?![a-z])|主歌|副歌|桥段|前奏|尾声"
    r"|(?<![A-Za-z])(?:AABA|AABB|ABAB|A A B A|A A B B|A B A B)(?![A-Za-z])",
    re.IGNORECASE,
)


def prompt_tempo(prompt: str) -> Optional[float]:
    """The BPM a prompt names as a number ("85 bpm", "每分钟90拍", "速度 100"), else None."""
    for pattern in TEMPO_PATTERNS:
        found = pattern.search(prompt)
        if found:
            return float(found.group(1))
    return None


def split_options(text: str, keys: Tuple[str, ...]) -> Tuple[str, List[Tuple[str, str]]]:
    """'lofi bars=8 seed=3' -> ('lofi', [('bars', '8'), ('seed', '3')])."""
    words, options = [], []
    for word in text.split():
        key, sep, value = word.partition("=")
        if sep and key in keys and value:
            options.append((key, value))
        else:
            words.append(word)
    return " ".join(words), options


def osc_value(key: str, value: str) -> Any:
    if key in ("bars", "seed", "steps") and value.isdigit():
        return int(value)
    if key in ("bpm", "guidance"):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def load_settings(path: str = SETTINGS) -> Tuple[str, int, Optional[str]]:
    """The server address and token `multitrack daw install` wrote, else 127.0.0.1:9000
    and none."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        token = data.get("token")
        return str(data["host"]), int(data["port"]), None if token is None else str(token)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return SERVER + (None,)


def is_loopback(host: str) -> bool:
    return host == "localhost" or host.startswith("127.") or host == "::1"


class Job(object):
    def __init__(self, job: str, kind: str, clip: Live.Clip.Clip, label: str, set_tempo: bool,
                 start: float = 0.0) -> None:  # fmt: skip
        self.job, self.kind, self.clip, self.label = job, kind, clip, label
        self.set_tempo = set_tempo
        self.start = start  # where the take's section cue points go in the Arrangement (beats)
        self.notes: Dict[str, List[Note]] = {}
        self.chunks: Dict[str, Tuple[int, set]] = {}  # stem -> (chunks sent, chunk indices seen)
        self.started = time.time()
        self.accepted = False


class Multitrack(ControlSurface):
    def __init__(self, c_instance: Any) -> None:
        ControlSurface.__init__(self, c_instance)
        host, port, self.token = load_settings()
        self.server = (host, port)
        self.accept_timeout = ACCEPT_TIMEOUT
        self.jobs: Dict[str, Job] = {}
        self.work: List[Tuple[str, Any]] = []  # (job, step) of the takes going in
        self.undo_depth = 0  # takes going in inside the one open undo step
        self.undo_live = False  # whether Live opened that step
        self.malformed = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # replies come back to this socket: from a server elsewhere, not over loopback
        self.sock.bind(("127.0.0.1" if is_loopback(host) else "0.0.0.0", 0))
        self.sock.setblocking(False)
        self.builder = TakeBuilder(self)
        logger.info("Multitrack: replies on 127.0.0.1:%d", self.sock.getsockname()[1])
        self.show_message("Multitrack: name a MIDI clip '!gen <prompt>' and select it")
        self.schedule_message(1, self.tick)

    def disconnect(self) -> None:
        try:
            self.sock.close()
            while self.undo_depth:  # never leave Live an undo step open
                self.undo_end()
        finally:
            ControlSurface.disconnect(self)

    # -- one undo step a take -------------------------------------------------------------

    def undo_begin(self) -> None:
        """Open Live's undo step for a take going in (one Cmd-Z takes the whole take out: its
        tracks, clips, notes and tempo; not its cue points, which wait for the Set to stop);
        takes going in together share one."""
        if self.undo_depth == 0:
            try:
                self.song.begin_undo_step()
                self.undo_live = True
            except Exception:  # no undo step is never a reason to lose the take
                logger.warning("Multitrack: Live opened no undo step\n%s", traceback.format_exc())
        self.undo_depth += 1

    def undo_end(self) -> None:
        """Close a take's part of the undo step; the step ends with the last take in it."""
        if self.undo_depth > 0:
            self.undo_depth -= 1
            if self.undo_depth == 0 and self.undo_live:
                self.undo_live = False
                try:
                    self.song.end_undo_step()
                except Exception:
                    logger.warning("Multitrack: Live closed no undo step\n%s", traceback.format_exc())

    # -- the tick -------------------------------------------------------------------------

    def tick(self) -> None:
        try:
            self.drain()
            self.scan_selected_clip()
            self.place()
            self.expire()
        except Exception:
            self.report("Multitrack: internal error (see Log.txt)", traceback.format_exc())
        finally:
            self.schedule_message(1, self.tick)

    def place(self) -> None:
        """Up to ``WORK_PER_TICK`` steps of the takes going in. A step that fails drops the
        rest of its own take only (a track deleted meanwhile), never another take's."""
        for _ in range(WORK_PER_TICK):
            if not self.work:
                return
            job, item = self.work.pop(0)
            try:
                again = item()
            except Exception as exc:
                dropped = [w for w in self.work if w[0] == job]
                self.work = [w for w in self.work if w[0] != job]
                if any(step == self.undo_end for _, step in dropped):
                    self.undo_end()  # what went in stays one undo step
                self.report("Multitrack %s: the take could not go in (%s: %s)"
                            % (job, type(exc).__name__, exc), traceback.format_exc())  # fmt: skip
                continue
            if again:  # a step that waits for Live (cue points): again on a later tick
                self.work.append((job, item))
                return

    def report(self, message: str, detail: Optional[str] = None) -> None:
        logger.warning("%s%s", message, "" if detail is None else "\n" + detail)
        self.show_message(message)

    def send(self, address: str, args: List[Any]) -> Optional[str]:
        """One request; with the server's token (a server away from 127.0.0.1 needs it). The
        reason it could not be sent (a datagram past the system's size), else None."""
        extra = [] if self.token is None else ["token", self.token]
        data = osc.encode(address, list(args) + extra)
        try:
            self.sock.sendto(data, self.server)
        except OSError as exc:
            return "could not send the request (%d bytes: %s)" % (len(data), exc)
        return None

    def drain(self) -> None:
        while True:
            try:
                data, _ = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. an ICMP 'port unreachable': no server running
                self.fail_all("no server at %s:%d (%s); start `multitrack serve`" % (self.server + (exc,)))
                return
            try:
                messages = osc.decode(data)
            except ValueError as exc:
                self.malformed += 1
                logger.warning("Multitrack: dropped a malformed packet: %s", exc)
                continue
            for address, args in messages:
                self.on_reply(address, args)

    # -- requests -------------------------------------------------------------------------

    def scan_selected_clip(self) -> None:
        clip = self.song.view.detail_clip
        if clip is None or not clip.is_midi_clip:
            return
        name = clip.name
        if name.startswith("!gen"):
            self.generate(clip, name[len("!gen"):].strip())
        elif "!regen" in name:
            self.regenerate(clip, name)

    def new_job(self) -> str:
        return "live-%s-%06x" % (time.strftime("%Y%m%d-%H%M%S"), random.getrandbits(24))

    def generate(self, clip: Live.Clip.Clip, text: str) -> None:
        prompt, options = split_options(text, OPTION_KEYS)
        given = dict(options)
        if not prompt:
            clip.name = "(generate needs a prompt, e.g. '!gen 欢快的流行歌 bars=8')"
            return
        tempo, num, den = self.builder.project()
        named = prompt_tempo(prompt)
        if "bpm" in given:
            try:
                named = float(given["bpm"])
            except ValueError:  # the name loses its "!gen", or the next tick sends it
                clip.name = "%s bpm=%s (bpm must be a number; fix it, then put !gen in front)" % (
                    prompt, given["bpm"])  # fmt: skip
                self.show_message("Multitrack: bpm must be a number, got %r" % given["bpm"])
                return
        answer = given.get("tempo", "")
        if answer == "?":
            return  # waiting for the producer's yes or no
        asks = named is not None and abs(named - tempo) > 0.005
        if asks and answer not in ("yes", "no"):
            clip.name = "!gen %s tempo=?" % text.replace("tempo=" + answer, "").strip()
            self.show_message("Multitrack: the prompt asks for %g BPM, the Set is at %g BPM. In the "
                              "clip name, write tempo=yes to change the Set, tempo=no to keep it" % (named or 0, tempo))  # fmt: skip
            return
        set_tempo = asks and answer == "yes"
        job = self.new_job()
        args: List[Any] = [job, prompt]
        for key, value in options:
            if key not in ("tempo", "bpm"):
                args += [key, osc_value(key, value)]
        args += ["bpm", named if set_tempo and named is not None else tempo]
        if "seed" not in given:  # a new take each time (song.json records the seed)
            args += ["seed", random.getrandbits(31)]
        bars = self.builder.wanted_bars(clip)
        sized = BARS_PATTERN.search(prompt) or FORM_PATTERN.search(prompt)
        if "bars" not in given and bars is not None and not sized:
            args += ["bars", bars]
        if "%d/%d" % (num, den) in METERS:
            args += ["meter", "%d/%d" % (num, den)]
        unsent = self.send("/multitrack/generate", args + ["notes", 1])
        if unsent is not None:  # the name loses its "!gen", or the next tick sends it again
            clip.name = "%s (%s)" % (prompt, unsent)
            self.show_message("Multitrack: " + unsent)
            return
        self.jobs[job] = Job(job, "generate", clip, prompt, set_tempo, self.builder.take_start())
        clip.name = "%s (queued %s)" % (prompt, job)
        self.show_message("Multitrack: generating %s…" % job)

    def regenerate(self, clip: Live.Clip.Clip, name: str) -> None:
        head, _, tail = name.partition("!regen")
        from_job = head.split()[0] if head.split() else ""
        _, options = split_options(tail, REGEN_KEYS)
        notes = self.builder.clip_chord_notes(clip)
        label = head.strip()
        words = head.split()
        if len(words) < 2 or not words[1].startswith("chords"):  # a melody, bass or drums clip
            clip.name = label + " (regenerate reads a take's chords clip, '<job> chords: …')"
            self.show_message("Multitrack: !regen goes on the take's chords clip (MT chords)")
            return
        if not from_job or not notes:
            clip.name = label + " (regenerate needs a '<job> chords' clip with notes)"
            self.show_message("Multitrack: the chords clip is empty or not a Multitrack take")
            return
        job = self.new_job()
        args: List[Any] = [job, from_job, "chord_notes", notes]
        for key, value in options:
            args += [key, osc_value(key, value)]
        unsent = self.send("/multitrack/regenerate", args + ["notes", 1])
        if unsent is not None:
            clip.name = "%s (%s)" % (label, unsent)
            self.show_message("Multitrack: " + unsent)
            return
        self.jobs[job] = Job(job, "regenerate", clip, label, False, self.builder.take_start())
        clip.name = "%s (regenerating %s)" % (label, job)
        self.show_message("Multitrack: regenerating %s from %s…" % (job, from_job))

    # -- replies --------------------------------------------------------------------------

    def on_reply(self, address: str, args: List[Any]) -> None:
        job = self.jobs.get(args[0]) if args and isinstance(args[0], str) else None
        if job is None:
            return
        try:
            self.handle(job, address, args)
        except Exception as exc:  # a reply we cannot read: the job ends, Live is untouched
            self.malformed += 1
            self.fail(job, "malformed reply %s (%s: %s)" % (address, type(exc).__name__, exc))

    def handle(self, job: Job, address: str, args: List[Any]) -> None:
        if address == "/multitrack/accepted":
            job.accepted = True
        elif address == "/multitrack/progress":
            job.accepted = True
            self.show_message("Multitrack %s: %d%% %s" % (job.job, int(args[1] * 100), args[2]))
        elif address == "/multitrack/notes":
            stem, flat = str(args[1]), args[4:]
            if stem not in STEMS or len(flat) % 4:
                raise ValueError("notes for %r with %d numbers" % (stem, len(flat)))
            chunk, chunks = int(args[2]), int(args[3])
            seen = job.chunks.setdefault(stem, (chunks, set()))[1]
            if chunk in seen:
                return  # a duplicate datagram
            seen.add(chunk)
            rows = job.notes.setdefault(stem, [])
            for i in range(0, len(flat), 4):
                rows.append((int(flat[i]), float(flat[i + 1]), float(flat[i + 2]), int(flat[i + 3])))
        elif address == "/multitrack/error":
            self.fail(job, "error %s: %s" % (args[1], args[2]))
        elif address == "/multitrack/done":
            take_dir, song_json = str(args[1]), str(args[2])
            wavs = dict(zip(STEMS, (str(a) for a in args[4:8])))
            if len(wavs) != len(STEMS):
                raise ValueError("done lists %d WAVs" % len(wavs))
            ambience = str(args[8]) if len(args) > 8 else None  # only when the take has one
            if not os.path.isfile(song_json):  # a server elsewhere writes on its own disk
                self.fail(job, "the take %s is not on this machine: Live loads the WAVs from "
                          "disk, so a server elsewhere needs its --out folder shared here at "
                          "the same path" % take_dir)  # fmt: skip
                return
            lost = [stem for stem in STEMS if stem not in job.chunks
                    or len(job.chunks[stem][1]) != job.chunks[stem][0]]  # fmt: skip
            if lost:  # a UDP datagram of notes went missing: the MIDI would be incomplete
                self.fail(job, "some notes of %s did not arrive; generate again (the take is "
                          "in %s)" % (", ".join(lost), take_dir))  # fmt: skip
                return
            with open(song_json, encoding="utf-8") as f:
                song = json.load(f)
            int(song["bars"]), float(song["tempo"])  # the record must have these
            del self.jobs[job.job]
            plan = self.builder.plan(job.job, song, job.notes, wavs, set_tempo=job.set_tempo,
                                     ambience=ambience, start=job.start)  # fmt: skip
            # one undo step for the take, closed before its cue points: they wait for the Set
            # to stop, and what the producer does meanwhile must not join the take's step
            cut = next((i for i, s in enumerate(plan) if isinstance(s, SectionCues)), len(plan))
            steps = [self.undo_begin, *plan[:cut], self.undo_end, *plan[cut:]]
            self.work += [(job.job, step) for step in steps]
            self.safe_rename(job.clip, "%s (done %s)" % (job.label, os.path.basename(take_dir)))

    def fail(self, job: Job, message: str) -> None:
        self.jobs.pop(job.job, None)
        self.safe_rename(job.clip, "%s (%s)" % (job.label, message))
        self.report("Multitrack %s: %s" % (job.job, message))

    def fail_all(self, message: str) -> None:
        if not self.jobs:
            self.report("Multitrack: " + message)
        for job in list(self.jobs.values()):
            self.fail(job, message)

    def safe_rename(self, clip: Live.Clip.Clip, name: str) -> None:
        try:
            clip.name = name
        except Exception:  # the clip may have been deleted meanwhile
            logger.warning("Multitrack: could not rename a clip to %r", name)

    def expire(self) -> None:
        now = time.time()
        for job in list(self.jobs.values()):
            if not job.accepted and now - job.started > self.accept_timeout:
                self.fail(job, "no answer from %s:%d; is `multitrack serve` running?" % self.server)
            elif now - job.started > JOB_TIMEOUT:
                self.fail(job, "no reply from the server in %d s" % JOB_TIMEOUT)
