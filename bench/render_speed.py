"""Render speed: seconds of song per second of wall time, all four stems, for the example song
(8 bars) and the same song repeated to 32 bars.

Compares the shipped way (one synthesizer, stems one after another) against one pass with
four synthesizers advanced in lockstep over the merged event list, and shows what writing the
24-bit WAVs adds, and writing each stem in turn against writer threads that write while the
next stem renders (``multitrack.render.WRITERS``). Then compares the General MIDI fonts that
are installed (TimGM6mb, Debian's FluidR3_GM.sf2 and MuseScore General .sf3): load time,
render speed of the 32-bar song, and each stem's loudness (RMS dBFS; the example's chords are
a piano, which the Ogg-compressed .sf3 renders far quieter in tinysoundfont).
Run: ``.venv/bin/python bench/render_speed.py``.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from multitrack import render
from multitrack.example import example_song
from multitrack.render import (
    Synthesizer,
    audio_samples,
    default_soundfont,
    render_stems,
    shared_synthesizer,
)
from multitrack.song import DRUM_NOTES, STEMS, ChordSpan, Note, Song, Stem

REPEATS = 5
FONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),  # apt-get install fluid-soundfont-gm
    Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),  # musescore-general-soundfont-small
)


def repeated(song: Song, times: int) -> Song:
    """``song`` played ``times`` times in a row."""
    steps = song.steps
    stems = {
        name: Stem(
            name,
            tuple(
                Note(n.start + k * steps, n.pitch, n.duration, n.velocity)
                for k in range(times)
                for n in stem.notes
            ),
            stem.program,
        )
        for name, stem in song.stems.items()
    }
    chords = tuple(
        ChordSpan(c.start + k * steps, c.duration, c.symbol)
        for k in range(times)
        for c in song.chords
    )
    return replace(song, bars=song.bars * times, stems=stems, chords=chords)


def per_stem(song: Song, synth: Synthesizer) -> None:
    for name in STEMS:
        synth.render(song, name)


def lockstep(song: Song, synths: list[Synthesizer]) -> None:
    """One pass: four synths, each fed its stem's events, all advanced to each event time."""
    rate = synths[0].sample_rate
    step = song.step_seconds() * rate
    events: list[tuple[int, int, int, int, int]] = []  # (sample, on, stem index, key, vel)
    channels = (0, 1, 2, 9)
    for index, name in enumerate(STEMS):
        synths[index].synth.sounds_off()
        synths[index].select_program(channels[index], song.stems[name].program, drums=index == 3)
        for n in song.stems[name].notes:
            key = DRUM_NOTES[n.pitch] if name == "drums" else n.pitch
            events.append((round(n.start * step), 1, index, key, n.velocity))
            events.append((round(n.end * step), 0, index, key, 0))
    events.sort()
    total = audio_samples(song, rate)
    outs = [np.zeros((total, 2), np.float32) for _ in STEMS]
    now = 0
    for sample, on, index, key, velocity in events:
        if sample > now:
            for s, out in zip(synths, outs, strict=True):
                s.synth.generate(sample - now, out[now:sample].data.cast("B"))
            now = sample
        if on:
            synths[index].synth.noteon(channels[index], key, velocity)
        else:
            synths[index].synth.noteoff(channels[index], key)
    for s, out in zip(synths, outs, strict=True):
        s.synth.generate(total - now, out[now:total].data.cast("B"))


def best_of(fn: object, *args: object) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    synth = Synthesizer()
    synths = [Synthesizer() for _ in STEMS]
    start = time.perf_counter()
    Synthesizer()
    print(f"SoundFont load (TimGM6mb.sf2): {time.perf_counter() - start:.3f} s")
    for bars in (8, 32):
        song = repeated(example_song(), bars // 8)
        seconds = song.seconds
        t_stem = best_of(per_stem, song, synth)
        t_lock = best_of(lockstep, song, synths)
        shared = shared_synthesizer()
        with tempfile.TemporaryDirectory() as tmp:
            t_full = best_of(render_stems, song, Path(tmp))
            t_writers = best_of(partial(render_stems, song, Path(tmp), synthesizer=shared))
            saved, render.WRITERS = render.WRITERS, 0
            try:
                t_turn = best_of(partial(render_stems, song, Path(tmp), synthesizer=shared))
            finally:
                render.WRITERS = saved
        print(
            f"{bars:>2} bars ({seconds:.1f} s of song, 4 stems): "
            f"per stem {seconds / t_stem:6.1f}x real time ({t_stem:.3f} s) | "
            f"lockstep one pass {seconds / t_lock:6.1f}x ({t_lock:.3f} s) | "
            f"render_stems incl. load + 24-bit WAVs {seconds / t_full:6.1f}x ({t_full:.3f} s)"
        )
        print(
            f"   loaded font, render + write: stems written in turn {t_turn:.3f} s | "
            f"{saved} writer threads {t_writers:.3f} s ({t_writers / t_turn:.2f}x)"
        )

    fonts()


def loudness(audio: np.ndarray) -> float:
    return float(20 * np.log10(max(float(np.sqrt(np.mean(audio**2))), 1e-9)))


def fonts() -> None:
    song = repeated(example_song(), 4)
    base = None
    for path in (default_soundfont(), *FONTS):
        if not path.is_file():
            print(f"{path.name}: not installed")
            continue
        start = time.perf_counter()
        synth = Synthesizer(path)
        load = time.perf_counter() - start
        t = best_of(per_stem, song, synth)
        base = base or t
        levels = " ".join(f"{n} {loudness(synth.render(song, n)):.1f}" for n in STEMS)
        print(
            f"{path.name} ({path.resolve().stat().st_size / 1e6:.0f} MB): load {load:.2f} s | "
            f"32 bars {t:.3f} s = {song.seconds / t:.0f}x real time, {t / base:.2f}x TimGM6mb's "
            f"time | RMS dBFS {levels}"
        )


if __name__ == "__main__":
    main()
