"""An ambience layer: rain, drops, birds, wind, waves, a stream, insects, made procedurally.

``render_ambience(song, sounds, sample_rate=, seed=)`` returns stereo float32 audio exactly as
long as the take's stems (``multitrack.render.audio_samples``), so ``ambience.wav`` lines up
with them in a DAW. Each sound is a noise bed shaped in the spectrum (numpy FFT masks), plus
the events that make it recognisable:

- ``rain``: broadband hiss (300 Hz-9 kHz) with dense tiny droplet ticks (80 a second);
- ``rain_leaves`` (雨打芭蕉): lighter rain plus heavier, lower "plops" on leaves;
- ``drops`` (水滴): single water drops, a short sine rising in pitch (the "plink"), ~1.5 a second;
- ``birds``: bursts of fast frequency-swept chirps between 2 and 6 kHz;
- ``wind``: low noise under 900 Hz in slow gusts;
- ``waves``: low-mid noise swelling and breaking every 6-9 seconds;
- ``stream``: a bright burbling band (700 Hz-5 kHz) with quick flutter and small bubbles;
- ``insects``: cricket trills, pulse trains near 4.5 kHz.

A sound is named with an optional place: ``"drops@end"`` puts it in the last fifth of the
take (at least two bars), ``"birds@start"`` in the first fifth; otherwise it runs throughout.
Beds fade in and out over half a second at their window's edges. Everything is seeded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from multitrack.errors import MusicError
from multitrack.render import audio_samples
from multitrack.song import Song

SOUNDS: tuple[str, ...] = (
    "rain", "rain_leaves", "drops", "birds", "wind", "waves", "stream", "insects",
)  # fmt: skip
PLACES: tuple[str, ...] = ("start", "end")
EDGE_SHARE = 0.2  # a placed sound takes this share of the take (at least EDGE_BARS bars)
EDGE_BARS = 2
LEVEL = 0.18  # RMS of a full-length bed (about -15 dBFS), before the mix is limited
PEAK = 0.7
BED_PERIOD = 1 << 19  # samples of noise shaped at once (11.9 s at 44.1 kHz), then tiled
F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


def parse_sound(item: str) -> tuple[str, str | None]:
    """``"drops@end"`` -> ("drops", "end"); ``MusicError`` for an unknown sound or place."""
    sound, _, place = item.partition("@")
    if sound not in SOUNDS:
        raise MusicError(f"unknown ambience sound {sound!r}; sounds are {', '.join(SOUNDS)}")
    if place and place not in PLACES:
        raise MusicError(f"unknown ambience place {place!r}; places are start, end")
    return sound, place or None


def window(song: Song, place: str | None, total: int, sample_rate: int) -> tuple[int, int]:
    """The samples [start, end) a sound placed at ``place`` sounds in."""
    song_samples = round(song.seconds * sample_rate)
    if place is None:
        return 0, total
    bar = song_samples / song.bars
    span = min(song_samples, max(round(EDGE_SHARE * song_samples), round(EDGE_BARS * bar)))
    return (0, span) if place == "start" else (song_samples - span, total)


def _shaped(
    rng: np.random.Generator, n: int, sr: int, lo: float, hi: float, tilt: float = 0.0
) -> F64:
    """White noise kept between ``lo`` and ``hi`` Hz (raised-cosine edges), with a spectral
    tilt in dB per octave above ``lo``; unit RMS. The noise is shaped over one period of
    ``BED_PERIOD`` samples (or less) and tiled: FFT filtering is circular, so the tiles join
    without a seam, and the slow envelopes on top keep the repeat from being heard."""
    size = min(BED_PERIOD, 1 << max(1, (n - 1).bit_length()))
    spectrum = np.fft.rfft(rng.standard_normal(size))
    f = np.fft.rfftfreq(size, 1.0 / sr)
    rise = np.clip((f - lo * 0.7) / (lo * 0.3 + 1e-9), 0, 1)
    fall = np.clip((hi * 1.3 - f) / (hi * 0.3), 0, 1)
    gain = np.sin(rise * fall * np.pi / 2) ** 2
    if tilt:
        gain *= (np.maximum(f, lo) / lo) ** (tilt / 6.02)
    out = np.resize(np.fft.irfft(spectrum * gain, size), n)
    return out / (np.sqrt(np.mean(out**2)) + 1e-12)


def _envelope(n: int, sr: int, rate_hz: float, depth: float, rng: np.random.Generator) -> F64:
    """A slow random amplitude curve (1 +- depth) with about ``rate_hz`` changes a second."""
    points = max(2, int(n / sr * rate_hz) + 2)
    knots = 1.0 + depth * (2 * rng.random(points) - 1)
    return np.interp(np.linspace(0, points - 1, n), np.arange(points), knots)


def _events(
    rng: np.random.Generator, n: int, sr: int, rate: float, make: object
) -> tuple[F64, list[int]]:
    """Events at ``rate`` a second (Poisson, the first within the window's opening stretch):
    ``make(rng) -> 1-D grain`` added at each onset; returns the signal and the onsets."""
    out = np.zeros(n)
    onsets: list[int] = []
    # the first event early in the window, so a short placed window is never silent
    t = rng.uniform(0.05, 0.3) * min(n / sr, 2.0 / rate)
    while t * sr < n:
        start = int(t * sr)
        grain = make(rng)  # type: ignore[operator]
        end = min(n, start + len(grain))
        out[start:end] += grain[: end - start]
        onsets.append(start)
        t += rng.exponential(1.0 / rate)
    return out, onsets


def _ticks(rng: np.random.Generator, n: int, sr: int, rate: float, ms: float) -> F64:
    """Raindrop ticks at ``rate`` a second (Poisson): each a few milliseconds of decaying,
    high-passed noise at a random level; vectorised (rain has thousands)."""
    k = int(sr * ms / 1000)
    count = int(rng.poisson(rate * n / sr))
    onsets = rng.integers(0, max(1, n - k), count)
    burst = rng.standard_normal((count, k + 1)) * np.exp(-np.arange(k + 1) / (k / 5))
    grains = np.diff(burst, axis=1) * rng.uniform(0.2, 1.0, (count, 1))
    out = np.zeros(n)
    np.add.at(out, onsets[:, None] + np.arange(k)[None, :], grains)
    return out


def _drop(sr: int, rng: np.random.Generator, f0: float, f1: float, ms: float) -> F64:
    k = int(sr * ms / 1000)
    t = np.arange(k) / sr
    f = f0 * (f1 / f0) ** (t / t[-1])
    phase = 2 * np.pi * np.cumsum(f) / sr
    return np.sin(phase) * np.exp(-t / (ms / 1000 / 4)) * rng.uniform(0.5, 1.0)


def _chirp(sr: int, rng: np.random.Generator) -> F64:
    grains = []
    for _ in range(int(rng.integers(3, 7))):
        k = int(sr * rng.uniform(0.03, 0.08))
        t = np.arange(k) / sr
        f0, f1 = rng.uniform(2500, 4500), rng.uniform(3500, 6000)
        f = f0 + (f1 - f0) * np.sin(np.pi * t / t[-1])
        grains.append(np.sin(2 * np.pi * np.cumsum(f) / sr) * np.hanning(k))
        grains.append(np.zeros(int(sr * rng.uniform(0.03, 0.09))))
    return np.concatenate(grains)


def _trill(sr: int, rng: np.random.Generator) -> F64:
    f = rng.uniform(4200, 4800)
    pulse = int(sr * 0.012)
    gap = int(sr * 0.018)
    t = np.arange(pulse) / sr
    one = np.sin(2 * np.pi * f * t) * np.hanning(pulse)
    return np.concatenate([np.concatenate([one, np.zeros(gap)]) for _ in range(4)])


def _sound(sound: str, n: int, sr: int, rng: np.random.Generator) -> F64:
    """One channel of ``sound``, ``n`` samples, at about ``LEVEL`` RMS (beds) or peaks
    near ``PEAK`` (events)."""
    if sound in ("rain", "rain_leaves"):
        light = sound == "rain_leaves"
        bed = _shaped(rng, n, sr, 300, 9000, tilt=-1.5) * _envelope(n, sr, 0.3, 0.15, rng)
        clicks = _ticks(rng, n, sr, 40 if light else 80, 3)
        out = LEVEL * (0.8 if light else 1.0) * bed + 0.2 * clicks
        if light:
            plops, _ = _events(rng, n, sr, 7, lambda r: _drop(sr, r, r.uniform(500, 900),
                                                          r.uniform(300, 500), 60))  # fmt: skip
            out += 0.35 * plops
        return out
    if sound == "drops":
        drops, _ = _events(rng, n, sr, 1.5, lambda r: _drop(sr, r, r.uniform(900, 1400),
                                                          r.uniform(2200, 3400), 45))  # fmt: skip
        return PEAK * drops
    if sound == "birds":
        chirps, _ = _events(rng, n, sr, 0.4, lambda r: _chirp(sr, r))
        return 0.5 * chirps
    if sound == "wind":
        return LEVEL * _shaped(rng, n, sr, 60, 900, tilt=-3.0) * _envelope(n, sr, 0.25, 0.7, rng)
    if sound == "waves":
        period = rng.uniform(6, 9)
        t = np.arange(n) / sr
        swell = 0.15 + 0.85 * (0.5 - 0.5 * np.cos(2 * np.pi * t / period)) ** 3
        return 1.4 * LEVEL * _shaped(rng, n, sr, 100, 2500, tilt=-2.0) * swell
    if sound == "stream":
        bed = _shaped(rng, n, sr, 700, 5000) * _envelope(n, sr, 12.0, 0.5, rng)
        bubbles, _ = _events(rng, n, sr, 8, lambda r: _drop(sr, r, r.uniform(600, 1200),
                                                           r.uniform(1200, 2000), 25))  # fmt: skip
        return LEVEL * bed + 0.15 * bubbles
    trills, _ = _events(rng, n, sr, 2.5, lambda r: _trill(sr, r))  # insects
    return 0.3 * trills


def render_ambience(
    song: Song, sounds: Sequence[str], *, sample_rate: int = 44100, seed: int = 0
) -> F32:
    """(audio_samples(song), 2) float32 in [-1, 1]: ``sounds`` ("rain", "drops@end" ...)
    mixed, each in its window, the two channels drawn independently. ``MusicError`` for an
    unknown sound."""
    parsed = [parse_sound(s) for s in sounds]
    total = audio_samples(song, sample_rate)
    mix = np.zeros((total, 2))
    rng = np.random.default_rng(seed)
    fade = int(0.5 * sample_rate)
    for sound, place in parsed:
        lo, hi = window(song, place, total, sample_rate)
        n = hi - lo
        if n <= 0:
            continue
        ramp = np.ones(n)
        k = min(fade, n // 2)
        if k:
            ramp[:k] = np.linspace(0, 1, k)
            ramp[n - k :] = np.linspace(1, 0, k)
        for channel in range(2):
            mix[lo:hi, channel] += _sound(sound, n, sample_rate, rng) * ramp
    peak = float(np.max(np.abs(mix))) if total else 0.0
    if peak > PEAK:
        mix *= PEAK / peak
    return mix.astype(np.float32)
