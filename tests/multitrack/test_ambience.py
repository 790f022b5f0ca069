"""The ambience stem: each sound's spectrum, the timing its place asks for, the exact length,
24-bit in the take, listed in song.json, seeded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from models.text import parse_prompt
from multitrack.ambience import SOUNDS, parse_sound, render_ambience, window
from multitrack.errors import MusicError
from multitrack.example import example_song
from multitrack.render import audio_samples
from multitrack.take import write_take

SR = 44100
SONG = example_song()  # 8 bars, 20 s


def _spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    return np.fft.rfftfreq(len(x), 1 / SR), power


def _centroid(x: np.ndarray) -> float:
    f, p = _spectrum(x)
    return float((f * p).sum() / p.sum())


def _share(x: np.ndarray, lo: float, hi: float) -> float:
    f, p = _spectrum(x)
    return float(p[(f >= lo) & (f < hi)].sum() / p.sum())


def _octaves(x: np.ndarray) -> list[float]:
    return [_share(x, lo, 2 * lo) for lo in (500, 1000, 2000, 4000)]


@pytest.fixture(scope="module")
def sounds() -> dict[str, np.ndarray]:
    return {s: render_ambience(SONG, [s], sample_rate=SR, seed=3)[:, 0] for s in SOUNDS}


def test_every_sound_is_the_stems_length_and_seeded() -> None:
    a = render_ambience(SONG, ["rain", "drops@end"], sample_rate=SR, seed=1)
    assert a.shape == (audio_samples(SONG, SR), 2) and a.dtype == np.float32
    assert np.array_equal(a, render_ambience(SONG, ["rain", "drops@end"], sample_rate=SR, seed=1))
    assert not np.array_equal(a, render_ambience(SONG, ["rain", "drops@end"], seed=2))
    assert float(np.max(np.abs(a))) <= 0.7 + 1e-6
    assert not np.array_equal(a[:, 0], a[:, 1])  # two channels, drawn apart


def test_rain_is_broadband_and_full_of_ticks(sounds: dict[str, np.ndarray]) -> None:
    rain = sounds["rain"]
    assert 2500 < _centroid(rain) < 6500
    assert min(_octaves(rain)) > 0.05  # every octave 0.5-8 kHz carries energy: a hiss
    hp = np.diff(rain.astype(np.float64))
    kurtosis = float(np.mean(hp**4) / np.mean(hp**2) ** 2)
    assert kurtosis > 4  # impulsive: drops on top of the hiss (white noise is 3)
    frames = np.sqrt(np.mean(rain[: len(rain) // SR * SR].reshape(-1, SR) ** 2, axis=1))
    assert frames[1:-1].min() > 0.5 * frames[1:-1].max()  # steady, not in bursts


def test_each_sound_sits_where_it_should_in_the_spectrum(sounds: dict[str, np.ndarray]) -> None:
    assert _centroid(sounds["wind"]) < 800 and _share(sounds["wind"], 0, 1000) > 0.9
    assert _share(sounds["birds"], 2000, 7000) > 0.9
    assert _share(sounds["insects"], 4000, 5200) > 0.9
    assert _share(sounds["drops"], 800, 4000) > 0.85
    assert _share(sounds["waves"], 80, 3000) > 0.9
    assert 1500 < _centroid(sounds["stream"]) < 5000
    assert _share(sounds["rain_leaves"], 300, 1000) > _share(sounds["rain"], 300, 1000)
    waves = sounds["waves"]
    swell = np.sqrt(np.mean(waves[: len(waves) // SR * SR].reshape(-1, SR) ** 2, axis=1))
    assert swell.max() > 3 * swell.min()  # waves come and go


def test_drops_at_the_end_and_birds_at_the_start() -> None:
    n = audio_samples(SONG, SR)
    song_samples = round(SONG.seconds * SR)
    lo, hi = window(SONG, "end", n, SR)
    assert (lo, hi) == (song_samples - round(2 * song_samples / SONG.bars), n)  # 2 bars > 20%
    drops = render_ambience(SONG, ["drops@end"], sample_rate=SR, seed=5)[:, 0]
    assert not np.any(drops[:lo])
    onsets = np.flatnonzero(np.abs(drops) > 0.05)
    assert len(onsets) and onsets[0] >= lo
    assert np.abs(drops[lo:]).max() > 0.3
    birds = render_ambience(SONG, ["birds@start"], sample_rate=SR, seed=5)[:, 0]
    lo, hi = window(SONG, "start", n, SR)
    assert lo == 0 and not np.any(birds[hi:]) and np.abs(birds[:hi]).max() > 0.1


def test_unknown_sounds_and_places_are_refused() -> None:
    assert parse_sound("rain@end") == ("rain", "end")
    with pytest.raises(MusicError, match="unknown ambience sound"):
        parse_sound("thunder")
    with pytest.raises(MusicError, match="unknown ambience place"):
        parse_sound("rain@middle")


def test_the_prompt_gives_the_take_its_ambience_stem(tmp_path: Path) -> None:
    attrs = parse_prompt("一段充满东方禅意的古筝独奏,节奏舒缓,结尾有水滴声", use_embedding=False)
    assert attrs.ambience == ("drops@end",)
    take = write_take(SONG, tmp_path, meta={"attributes": attrs.to_json(), "seed": 7})
    wav = take.files["ambience"]
    assert wav.name == "ambience.wav"
    info = soundfile.info(wav)
    assert info.subtype == "PCM_24" and info.frames == soundfile.info(take.files["melody"]).frames
    record = json.loads(take.files["json"].read_text(encoding="utf-8"))
    assert record["files"]["ambience"] == "ambience.wav" and record["ambience"] == ["drops@end"]
    audio, _ = soundfile.read(wav)
    lo, _ = window(SONG, "end", len(audio), SR)
    assert np.abs(audio[:lo]).max() < 1e-6 and np.abs(audio[lo:]).max() > 0.2
    plain = write_take(SONG, tmp_path, meta={"attributes": parse_prompt("古筝").to_json()})
    assert "ambience" not in plain.files and not (plain.dir / "ambience.wav").exists()
