from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from multitrack.errors import OutputError, SoundFontError
from multitrack.example import example_song
from multitrack.render import (
    RELEASE_SECONDS,
    audio_samples,
    default_soundfont,
    render_stems,
    shared_synthesizer,
)
from multitrack.song import Note, Song, Stem


def _one_note_song() -> Song:
    """2 bars at 120 BPM: a piano C5 at step 4 (0.5 s), a kick at step 8 (1.0 s)."""
    return Song(
        bars=2,
        tempo=120.0,
        stems={
            "melody": Stem("melody", (Note(4, 72, 4, 110),), 0),
            "drums": Stem("drums", (Note(8, 0, 1, 120),), 0),
        },
    )


def _first_sound(audio: np.ndarray) -> int:
    return int(np.argmax(np.abs(audio).max(axis=1) > 1e-5))


def test_example_renders_four_equal_24_bit_stems_from_the_downbeat(tmp_path: Path) -> None:
    song = example_song()
    paths = render_stems(song, tmp_path)
    assert {name: p.name for name, p in paths.items()} == {
        "melody": "melody.wav", "chords": "chords.wav", "bass": "bass.wav", "drums": "drums.wav"}  # fmt: skip
    expected = round(20.0 * 44100) + round(RELEASE_SECONDS * 44100)  # 8 bars of 4/4 at 96 BPM
    assert audio_samples(song, 44100) == expected
    for path in paths.values():
        info = soundfile.info(str(path))
        assert (info.subtype, info.samplerate, info.channels, info.frames) == (
            "PCM_24", 44100, 2, expected)  # fmt: skip
        audio, _ = soundfile.read(str(path))
        assert _first_sound(audio) < 44  # every stem plays on bar 1 beat 1 (within 1 ms)
        assert 0.01 < np.abs(audio).max() <= 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bass.wav", "chords.wav", "drums.wav", "melody.wav"]  # fmt: skip


def test_notes_sound_at_their_time_and_empty_stems_are_silent(tmp_path: Path) -> None:
    paths = render_stems(_one_note_song(), tmp_path, sample_rate=48000)
    melody, rate = soundfile.read(str(paths["melody"]))
    drums, _ = soundfile.read(str(paths["drums"]))
    chords, _ = soundfile.read(str(paths["chords"]))
    assert rate == 48000
    assert len(melody) == len(drums) == len(chords) == 4 * 48000 + 72000
    assert 24000 <= _first_sound(melody) < 24000 + 48  # 0.5 s, within 1 ms of attack
    assert 48000 <= _first_sound(drums) < 48000 + 48  # the kick from the GM drum bank
    assert np.abs(chords).max() == 0.0


def test_loud_dense_chords_clip_instead_of_wrapping(tmp_path: Path) -> None:
    cluster = tuple(Note(0, p, 16, 127) for p in range(48, 80))
    song = Song(bars=1, stems={"chords": Stem("chords", cluster, 48)})
    audio, _ = soundfile.read(str(render_stems(song, tmp_path)["chords"]))
    assert np.abs(audio).max() <= 1.0
    assert np.abs(audio[:4410]).mean() > 0.01  # loud from the start, not wrapped to noise


def test_any_soundfont_path_can_be_given(tmp_path: Path) -> None:
    font = tmp_path / "my font.sf2"
    shutil.copy(default_soundfont(), font)
    out = tmp_path / "out"
    paths = render_stems(_one_note_song(), out, soundfont=font)
    assert sorted(paths) == ["bass", "chords", "drums", "melody"]


@pytest.mark.parametrize("rate", [22050, 96000, 0])
def test_unsupported_sample_rate_is_refused_before_writing(tmp_path: Path, rate: int) -> None:
    with pytest.raises(OutputError, match=f"sample rate {rate} Hz is not supported"):
        render_stems(_one_note_song(), tmp_path / "out", sample_rate=rate)
    assert not (tmp_path / "out").exists()


def test_missing_or_unreadable_soundfont_is_a_soundfont_error(tmp_path: Path) -> None:
    with pytest.raises(SoundFontError, match=r"nope\.sf2 does not exist"):
        render_stems(_one_note_song(), tmp_path / "out", soundfont=tmp_path / "nope.sf2")
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF" + bytes(100))
    with pytest.raises(SoundFontError, match=r"junk\.sf2 is not a readable"):
        render_stems(_one_note_song(), tmp_path / "out", soundfont=junk)
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot create output folder"):
        render_stems(_one_note_song(), blocker / "out")


def test_a_loaded_font_is_kept_for_the_next_take_and_reloaded_when_the_file_changes(
    tmp_path: Path,
) -> None:
    font = tmp_path / "font.sf2"
    shutil.copy(default_soundfont(), font)
    first = shared_synthesizer(font)
    assert shared_synthesizer(font) is first
    assert shared_synthesizer(font, sample_rate=48000) is not first
    os.utime(font, ns=(0, 1))  # the file changed on disk: the old synth is not used
    assert shared_synthesizer(font) is not first
    font.unlink()
    with pytest.raises(SoundFontError, match="does not exist"):
        shared_synthesizer(font)


@pytest.mark.parametrize("writers", [0, 2])
def test_a_failed_write_leaves_none_of_this_calls_files_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writers: int
) -> None:
    """A stem that cannot be written (here the bass) takes the stems written beside it
    with it, in turn or in writer threads; a file that was in the folder before stays."""
    from multitrack import render

    (tmp_path / "mine.wav").write_bytes(b"a producer's file")
    real = render.write_wav

    def failing(audio: np.ndarray, path: Path, rate: int) -> Path:
        if path.name == "bass.wav":
            raise OutputError(f"cannot write {path}: disk full")
        return real(audio, path, rate)

    monkeypatch.setattr(render, "write_wav", failing)
    monkeypatch.setattr(render, "WRITERS", writers)
    with pytest.raises(OutputError, match="disk full"):
        render_stems(_one_note_song(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.wav"]


def test_24_bit_samples_from_integers_are_those_libsndfile_makes_of_the_floats(
    tmp_path: Path,
) -> None:
    import soundfile

    from multitrack.render import _FULL_SCALE, pcm32, write_wav

    rng = np.random.default_rng(0)
    audio = (rng.standard_normal((44100, 2)) * 0.4).astype(np.float32)
    audio[:6, 0] = [1.0, -1.0, 1.5, -1.5, _FULL_SCALE, 2.0**-24]  # clipped, edges, tiny
    write_wav(audio, tmp_path / "ours.wav", 44100)
    soundfile.write(tmp_path / "ref.wav", np.clip(audio, -1.0, _FULL_SCALE), 44100,
                    subtype="PCM_24", format="WAV")  # fmt: skip
    ours, _ = soundfile.read(tmp_path / "ours.wav", dtype="int32")
    ref, _ = soundfile.read(tmp_path / "ref.wav", dtype="int32")
    assert soundfile.info(str(tmp_path / "ours.wav")).subtype == "PCM_24"
    assert np.array_equal(ours, ref)
    assert pcm32(audio).dtype == np.int32 and audio[2, 0] == 1.5  # the input is not changed
