"""Stems to audio: each stem through a real SoundFont synthesizer (tinysoundfont) to its own WAV.

Every file is stereo 24-bit PCM at 44100 Hz (or 48000 Hz on request) and exactly
``song.seconds + RELEASE_SECONDS`` long (rounded to whole samples), so the four stems line up
when dropped at bar 1 beat 1 of a DAW: sample 0 is the downbeat of bar 1, no leading silence.
The tail lets the last notes ring out. The drum stem plays the GM percussion bank (bank 128)
on MIDI channel 10; a program the SoundFont lacks falls back to its program 0 (logged).

Stems are rendered one after another through one synthesizer (its state cleared in between):
it is as fast as four synthesizers in lockstep and loads the SoundFont once (bench/
render_speed.py measures both). Each stem's WAV is written in a writer thread while the next
stem renders: libsndfile converts to 24-bit and writes without the GIL, and at 32 bars the
writes took twice the rendering (bench/render_speed.py). Files appear atomically: written
under a hidden temporary name in the same folder, then renamed.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile
import tinysoundfont
from numpy.typing import NDArray

from multitrack.atomic import atomic_path
from multitrack.errors import OutputError, SoundFontError
from multitrack.song import DRUM_NOTES, STEMS, Song
from multitrack.stems import CHANNELS
from multitrack.swing import swing_of, swing_ticks

log = logging.getLogger(__name__)

SAMPLE_RATES: tuple[int, ...] = (44100, 48000)
RELEASE_SECONDS = 1.5  # tail after the last bar so final notes ring out
GAIN_DB = 0.0  # synth gain; TimGM6mb peaks near 0.75 on the example drums, clipped beyond 1
DRUM_BANK = 128
_FULL_SCALE = 1.0 - 2.0**-23  # the largest 24-bit sample

Progress = Callable[[float, str], None]
WRITERS = 2  # threads writing finished stems while the next one renders (0: write in turn)


def default_soundfont() -> Path:
    """The General MIDI font shipped inside pretty_midi (TimGM6mb.sf2, 6 MB)."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or spec.origin is None:
        raise SoundFontError("pretty_midi is not installed, so its TimGM6mb.sf2 is missing; "
                             "pass --soundfont PATH")  # fmt: skip
    return Path(spec.origin).parent / "TimGM6mb.sf2"


# Better General MIDI fonts, best first, used when installed (Debian: fluid-soundfont-gm).
# MuseScore General (musescore-general-soundfont-small, Ogg-compressed .sf3) loads in
# tinysoundfont but ~10x slower (7.1 s vs 0.64 s) and its piano renders ~17 dB quieter than
# FluidR3's (-45 vs -28 dBFS), so it is not picked by itself (bench/render_speed.py).
GM_SOUNDFONTS: tuple[Path, ...] = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),)


def best_soundfont(candidates: tuple[Path, ...] = GM_SOUNDFONTS) -> Path:
    """The first installed font of ``candidates``, else TimGM6mb (``default_soundfont``)."""
    for path in candidates:
        if path.is_file():
            return path
    return default_soundfont()


def audio_samples(song: Song, sample_rate: int) -> int:
    """Length of every stem file in samples: the song plus ``RELEASE_SECONDS``."""
    return round(song.seconds * sample_rate) + round(RELEASE_SECONDS * sample_rate)


def render_stems(
    song: Song,
    out_dir: Path,
    *,
    soundfont: Path | None = None,
    sample_rate: int = 44100,
    progress: Progress | None = None,
    synthesizer: Synthesizer | None = None,
) -> dict[str, Path]:
    """Render each stem to ``out_dir/<stem>.wav``; returns the paths by stem name.

    ``synthesizer`` reuses one already loaded (it then decides font and sample rate).
    ``progress(fraction 0-1, message)`` is called before each stem. Raises ``SoundFontError`` for a missing or unreadable SoundFont, ``OutputError`` for an
    unsupported sample rate or a folder that cannot be written. On failure no stem file of
    this call is left behind.
    """
    synth = synthesizer or Synthesizer(soundfont, sample_rate=sample_rate)
    sample_rate = synth.sample_rate
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    paths = {name: out_dir / f"{name}.wav" for name in STEMS}
    pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="wav") if WRITERS else None
    writes: list[Future[Path]] = []
    written: list[Path] = []  # written in turn (no writer threads)
    try:
        for index, name in enumerate(STEMS):
            if progress is not None:
                progress(index / len(STEMS), f"rendering {name}")
            with synth.lock:  # one synthesizer may serve several threads' takes
                audio = synth.render(song, name)
            if pool is None:
                written.append(write_wav(audio, paths[name], sample_rate))
            else:
                writes.append(pool.submit(write_wav, audio, paths[name], sample_rate))
            del audio
        for write in writes:
            write.result()  # raises a writer's error
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # every write has ended
        written += [w.result() for w in writes if w.done() and not w.cancelled()
                    and w.exception() is None]  # fmt: skip
        for path in written:  # this call's files only
            path.unlink(missing_ok=True)
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    if progress is not None:
        progress(1.0, "stems rendered")
    return paths


def check_sample_rate(sample_rate: int) -> None:
    if sample_rate not in SAMPLE_RATES:
        raise OutputError(f"sample rate {sample_rate} Hz is not supported; use 44100 or 48000")


# Loaded synthesizers kept by ``shared_synthesizer``: loading FluidR3_GM (141 MB) takes
# ~0.6 s, which a server would otherwise pay on every take (TimGM6mb: ~0.02 s).
_SHARED_MAX = 2
_shared: OrderedDict[tuple[str, int, int, int], Synthesizer] = OrderedDict()
_shared_lock = threading.Lock()


def shared_synthesizer(soundfont: Path | None = None, *, sample_rate: int = 44100) -> Synthesizer:
    """A loaded synthesizer for this font and rate, kept for the next take (the last
    ``_SHARED_MAX`` fonts; a font file changed on disk is loaded again). Same errors as
    ``Synthesizer``."""
    check_sample_rate(sample_rate)
    path = Path(soundfont) if soundfont is not None else default_soundfont()
    try:
        stat = path.resolve().stat()
    except OSError:
        return Synthesizer(path, sample_rate=sample_rate)  # raises the clear error
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, sample_rate)
    with _shared_lock:
        synth = _shared.get(key)
        if synth is None:
            synth = Synthesizer(path, sample_rate=sample_rate)
            _shared[key] = synth
            while len(_shared) > _SHARED_MAX:
                _shared.popitem(last=False)
        _shared.move_to_end(key)
        return synth


class Synthesizer:
    """One tinysoundfont synth with a SoundFont loaded; renders a song's stems one by one.
    ``lock`` is held around each ``render`` by ``render_stems``."""

    def __init__(self, soundfont: Path | None = None, *, sample_rate: int = 44100) -> None:
        check_sample_rate(sample_rate)
        path = Path(soundfont) if soundfont is not None else default_soundfont()
        if not path.is_file():
            raise SoundFontError(f"SoundFont {path} does not exist")
        self.lock = threading.Lock()
        self.sample_rate = sample_rate
        self.synth = tinysoundfont.Synth(gain=GAIN_DB, samplerate=sample_rate)
        try:
            self.sfid = self.synth.sfload(str(path))
        except (RuntimeError, OSError, tinysoundfont.SoundFontException):
            raise SoundFontError(f"SoundFont {path} is not a readable .sf2/.sf3 file") from None
        self.path = path
        if self.synth.sfpreset_name(self.sfid, DRUM_BANK, 0) is None:
            raise SoundFontError(f"SoundFont {path} has no GM drum kit (bank 128, preset 0)")

    def render(self, song: Song, stem: str) -> NDArray[np.float32]:
        """One stem as float32 audio of shape (audio_samples(song), 2), in [-1, 1]."""
        synth = self.synth
        channel = CHANNELS[stem]
        synth.sounds_off()
        self.select_program(channel, song.stems[stem].program, drums=stem == "drums")
        step = song.step_seconds() * self.sample_rate  # samples per grid step
        swing, unit = swing_of(song.style) if song.meter.denominator == 4 else (0.5, 2)

        def at(grid: int) -> int:  # the style's swing, as in the MIDI file
            return round(swing_ticks(grid, 120, ratio=swing, unit=unit) / 120 * step)

        events: list[tuple[int, int, int, int]] = []  # (sample, 0 off / 1 on, key, velocity)
        for note in song.stems[stem].notes:
            key = DRUM_NOTES[note.pitch] if stem == "drums" else note.pitch
            events.append((at(note.start), 1, key, note.velocity))
            events.append((at(note.end), 0, key, 0))
        events.sort()
        total = audio_samples(song, self.sample_rate)
        out = np.zeros((total, 2), np.float32)
        now = 0
        for sample, on, key, velocity in events:
            sample = min(sample, total)
            if sample > now:
                synth.generate(sample - now, out[now:sample].data.cast("B"))
                now = sample
            if on:
                synth.noteon(channel, key, velocity)
            else:
                synth.noteoff(channel, key)
        if total > now:
            synth.generate(total - now, out[now:total].data.cast("B"))
        synth.sounds_off()
        return out

    def select_program(self, channel: int, program: int, *, drums: bool) -> None:
        """Put a GM program (bank 0, or the drum bank 128) on a channel; a program the
        SoundFont lacks becomes its program 0."""
        bank = DRUM_BANK if drums else 0
        if self.synth.sfpreset_name(self.sfid, bank, program) is None:
            log.warning("SoundFont %s has no program %d in bank %d; using 0", self.path,
                        program, bank)  # fmt: skip
            program = 0
        self.synth.program_select(channel, self.sfid, bank, program, drums)


def write_wav(audio: NDArray[np.float32], path: Path, sample_rate: int) -> Path:
    """Write (samples, channels) float audio as 24-bit PCM WAV, atomically; clips to full
    scale (libsndfile would wrap around instead)."""
    path = Path(path)
    pcm = pcm32(audio)
    with atomic_path(path) as tmp:
        soundfile.write(tmp, pcm, sample_rate, subtype="PCM_24", format="WAV")
    return path


def pcm32(audio: NDArray[np.float32]) -> NDArray[np.int32]:
    """Float audio as 32-bit integers whose top 24 bits are the 24-bit samples: clipped to
    full scale, scaled by 2**31 (exact in float32), rounded. libsndfile writes these as
    PCM_24 by dropping the low byte, the same samples as from the float array itself
    (tested), in 0.6x of its time: its float conversion took 91 ms of an 85 s stereo stem,
    this 55 ms (numpy releases the GIL, so the writer threads overlap)."""
    scaled = np.clip(audio, -1.0, _FULL_SCALE).astype(np.float32, copy=False)
    np.multiply(scaled, np.float32(2.0**31), out=scaled)
    np.rint(scaled, out=scaled)
    return scaled.astype(np.int32)
