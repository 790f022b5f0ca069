"""Render speed: seconds of song per second of wall time, all four stems, for the example song
(8 bars) and the same song repeated to 32 bars.

Compares the shipped way (one synthesizer, stems one after another) against one pass with
four synthesizers advanced in lockstep over the merged event list, and shows what writing the
24-bit WAVs adds. Run: ``.venv/bin/python bench/render_speed.py``.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from multitrack.example import example_song
from multitrack.render import Synthesizer, audio_samples, render_stems
from multitrack.song import DRUM_NOTES, STEMS, ChordSpan, Note, Song, Stem

REPEATS = 5


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
        with tempfile.TemporaryDirectory() as tmp:
            t_full = best_of(render_stems, song, Path(tmp))
        print(
            f"{bars:>2} bars ({seconds:.1f} s of song, 4 stems): "
            f"per stem {seconds / t_stem:6.1f}x real time ({t_stem:.3f} s) | "
            f"lockstep one pass {seconds / t_lock:6.1f}x ({t_lock:.3f} s) | "
            f"render_stems incl. load + 24-bit WAVs {seconds / t_full:6.1f}x ({t_full:.3f} s)"
        )


if __name__ == "__main__":
    main()
