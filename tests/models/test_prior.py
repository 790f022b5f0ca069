"""The decoders' fitted note-to-note prior: counted from real lines, used between notes, and
carried by the checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import CheckpointError, build, load_checkpoint, save_checkpoint, store_priors
from models.config import MELODY_LOW, MELODY_ROWS, ModelConfig
from models.decoding import decode_logits
from models.prior import fit_transitions
from multitrack.song import Note, Song
from multitrack.theory import Key

C_MAJOR = Key.parse("C major")


def _scale_tune(start: int) -> Song:
    """Two bars of a C-major line moving by step, up then down."""
    pitches = [60, 62, 64, 65, 67, 65, 64, 62]
    notes = [Note(4 * i, start + p - 60, 4) for i, p in enumerate(pitches)]
    return Song(bars=2, key=C_MAJOR).with_stem("melody", notes)


def _row(pitch: int) -> int:
    return pitch - MELODY_LOW


def test_a_stepwise_corpus_makes_steps_the_likely_moves() -> None:
    table = fit_transitions([_scale_tune(60), _scale_tune(72)], "melody", "signature")
    assert table.shape == (MELODY_ROWS, MELODY_ROWS)
    np.testing.assert_allclose(np.exp(table).sum(axis=1), 1.0, rtol=1e-5)
    e = _row(64)
    assert table[e, _row(65)] > table[e, _row(64)]  # a step beats a repeat it never saw
    assert table[e, _row(65)] > table[e, _row(71)] + 1.5  # and a leap of a seventh by far
    # a row the tunes never touch still moves by their intervals (the smoothing)
    far = _row(50)
    assert table[far, far + 2] > table[far, far + 9]


def test_only_the_monophonic_stems_have_tables() -> None:
    with pytest.raises(ValueError, match="monophonic"):
        fit_transitions([_scale_tune(60)], "chords", "signature")


def _melody_logits(notes: list[tuple[int, int, dict[int, float], float]]) -> np.ndarray:
    """(rows + 2, 16) melody logits: each (start, length, {pitch: logit}, onset logit)."""
    melody = np.full((MELODY_ROWS + 2, 16), -20.0, np.float32)
    for start, length, pitches, onset in notes:
        for t in range(start, start + length):
            for pitch, logit in pitches.items():
                melody[_row(pitch) + 1, t] = logit
        melody[MELODY_ROWS + 1, start] = onset
    return melody


def _decode(melody: np.ndarray, table: np.ndarray | None) -> list[tuple[int, int, int]]:
    song = Song(bars=1, key=C_MAJOR)
    logits = {
        "melody": melody,
        "bass": np.full((38, 16), -20.0, np.float32),
        "chords": np.full((96, 16), -20.0, np.float32),
        "drums": np.full((9, 16), -20.0, np.float32),
    }
    priors = None if table is None else {"melody": table}
    notes = decode_logits(logits, song, priors=priors).stems["melody"].notes
    return [(n.start, n.pitch, n.duration) for n in notes]


def test_where_the_network_hesitates_the_line_steps_and_where_it_is_sure_it_leaps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from models import decoding

    monkeypatch.setattr(decoding, "CONTOUR_TURN_COST", 0.0)  # the table's effect alone
    table = fit_transitions([_scale_tune(60), _scale_tune(72)], "melody", "signature")
    hesitant = _melody_logits(
        [(0, 4, {64: 10.0}, 20.0), (4, 4, {65: 9.8, 69: 10.0}, 20.0), (8, 8, {67: 10.0}, 20.0)]
    )
    assert [p for _, p, _ in _decode(hesitant, None)] == [64, 69, 67]
    assert [p for _, p, _ in _decode(hesitant, table)] == [64, 65, 67]
    sure = _melody_logits(
        [(0, 4, {64: 10.0}, 20.0), (4, 4, {65: 2.0, 69: 10.0}, 20.0), (8, 8, {67: 10.0}, 20.0)]
    )
    assert [p for _, p, _ in _decode(sure, table)] == [64, 69, 67]


def test_a_weak_onset_inside_a_held_pitch_is_one_note_and_a_sure_one_is_a_repeat() -> None:
    table = fit_transitions([_scale_tune(60)], "melody", "signature")
    threshold = float(np.log(3.0))  # the melody onset row's calibrated threshold
    weak = _melody_logits([(0, 8, {64: 10.0}, 20.0), (8, 8, {64: 10.0}, threshold + 0.3)])
    assert _decode(weak, None) == [(0, 64, 8), (8, 64, 8)]
    assert _decode(weak, table) == [(0, 64, 16)]
    sure = _melody_logits([(0, 8, {64: 10.0}, 20.0), (8, 8, {64: 10.0}, 20.0)])
    assert _decode(sure, table) == [(0, 64, 8), (8, 64, 8)]


def test_the_checkpoint_carries_the_tables(tmp_path: Path) -> None:
    config = ModelConfig.tiny()
    table = fit_transitions([_scale_tune(60)], "melody", "signature")
    path = tmp_path / "m.pt"
    save_checkpoint(path, config, *build(config))
    assert load_checkpoint(path).priors == {}  # a checkpoint without tables decodes as before
    weights = torch.load(path, weights_only=True)["denoiser"]
    store_priors(path, {"melody": table})
    loaded = load_checkpoint(path)
    np.testing.assert_array_equal(loaded.priors["melody"], table)
    for name, value in torch.load(path, weights_only=True)["denoiser"].items():
        assert torch.equal(value, weights[name]), name
    store_priors(path, {"melody": table[:5]})
    with pytest.raises(CheckpointError, match="corrupt or incompatible"):
        load_checkpoint(path)


def test_a_pentatonic_take_decodes_with_the_pentatonic_tunes_table() -> None:
    from models.prior import PENTATONIC, table_for

    major = fit_transitions([_scale_tune(60)], "melody", "signature")
    pentatonic = fit_transitions([_scale_tune(72)], "melody", "signature")
    priors = {"melody": major, f"melody{PENTATONIC}": pentatonic}
    assert table_for(priors, "melody", Key.parse("D zhi")) is pentatonic
    assert table_for(priors, "melody", Key.parse("A yu")) is pentatonic
    assert table_for(priors, "melody", C_MAJOR) is major
    assert table_for({"melody": major}, "melody", Key.parse("D zhi")) is major
    assert table_for(priors, "bass", C_MAJOR) is None


def test_a_minor_take_decodes_with_the_minor_tunes_table() -> None:
    from models.prior import MINOR, table_for

    major = fit_transitions([_scale_tune(60)], "melody", "signature")
    minor = fit_transitions([_scale_tune(69)], "melody", "signature")
    priors = {"melody": major, f"melody{MINOR}": minor}
    assert table_for(priors, "melody", Key.parse("A minor")) is minor
    assert table_for(priors, "melody", Key.parse("D dorian")) is major  # another tonic
    assert table_for(priors, "melody", C_MAJOR) is major
    assert table_for({"melody": major}, "melody", Key.parse("A minor")) is major


def _melody_song(key: Key, pitches: list[int]) -> Song:
    return Song(bars=2, key=key).with_stem(
        "melody", [Note(2 * i, p, 2) for i, p in enumerate(pitches)]
    )


def test_the_degree_correction_favours_what_the_model_under_uses() -> None:
    from models.prior import DEGREE_CLIP, fit_degrees

    # real C-major lines use the leading tone B; the model's own never do
    real = [_melody_song(C_MAJOR, [60, 62, 64, 65, 67, 69, 71, 72] * 2)] * 20
    model = [_melody_song(C_MAJOR, [60, 62, 64, 65, 67, 69, 67, 72] * 2)] * 20
    minor = [_melody_song(Key.parse("A minor"), [69, 71, 72, 74] * 4)]
    table = fit_degrees(real + minor, model + minor, "signature")
    assert table.shape == (2, 12) and table.dtype == np.float32
    assert table[0, 11] == DEGREE_CLIP  # B: used only by the real lines, up to the clip
    assert table[0, 7] < 0  # G: the model's stand-in
    assert table[0, 1] == 0.0  # C#: neither uses it
    np.testing.assert_allclose(table[1], 0.0, atol=1e-6)  # the minor lines agree
    # Eb major reads the row of its own mode, in the key frame (its B-flat is frame G)
    assert fit_degrees([_melody_song(Key.parse("Eb major"), [70] * 8)], [], "signature")[0, 7] > 0


def test_the_decoder_reads_the_correction_of_the_key_s_mode() -> None:
    from models.prior import DEGREES, degrees_for

    table = np.arange(24, dtype=np.float32).reshape(2, 12)
    priors = {f"melody{DEGREES}": table}
    assert degrees_for(priors, C_MAJOR) is not None and degrees_for(priors, C_MAJOR)[0] == 0.0
    assert degrees_for(priors, Key.parse("A minor"))[0] == 12.0
    assert degrees_for(priors, Key.parse("D zhi")) is None
    assert degrees_for({}, C_MAJOR) is None


def test_where_the_network_hesitates_the_correction_picks_the_under_used_degree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from models import lines
    from models.prior import DEGREES

    monkeypatch.setattr(lines, "DEGREE_WEIGHT", 2.0)

    hesitant = _melody_logits([(0, 4, {69: 10.0, 71: 9.9}, 20.0)])
    assert [p for _, p, _ in _decode(hesitant, None)] == [69]
    table = np.zeros((2, 12), np.float32)
    table[0, 11] = 0.5  # B under-used by the model
    song = Song(bars=1, key=C_MAJOR)
    logits = {"melody": hesitant, "bass": np.full((38, 16), -20.0, np.float32),
              "chords": np.full((96, 16), -20.0, np.float32),
              "drums": np.full((9, 16), -20.0, np.float32)}  # fmt: skip
    notes = decode_logits(logits, song, priors={f"melody{DEGREES}": table}).stems["melody"].notes
    assert [n.pitch for n in notes] == [71]


def test_the_checkpoint_carries_the_correction(tmp_path: Path) -> None:
    from models.prior import DEGREES

    config = ModelConfig.tiny()
    path = tmp_path / "m.pt"
    save_checkpoint(path, config, *build(config))
    table = np.full((2, 12), 0.25, np.float32)
    store_priors(path, {f"melody{DEGREES}": table})
    np.testing.assert_array_equal(load_checkpoint(path).priors[f"melody{DEGREES}"], table)
    store_priors(path, {f"melody{DEGREES}": np.zeros((12, 12), np.float32)})
    with pytest.raises(CheckpointError, match="corrupt or incompatible"):
        load_checkpoint(path)


def test_training_fits_a_degree_correction_only_while_the_decoder_reads_one(
    tiny_checkpoint: Path, tiny_corpus: Path, tmp_path: Path
) -> None:
    from models import lines
    from models.calibrate import calibrate
    from models.prior import DEGREES

    loaded = load_checkpoint(tiny_checkpoint)
    assert loaded.config.autoencoder.pitch_reader  # a reader's takes need no correction
    assert f"melody{DEGREES}" not in loaded.priors and "degrees" not in loaded.meta
    assert lines.DEGREE_WEIGHT > 0  # a model without a reader reads it
    copy = tmp_path / "model.pt"
    copy.write_bytes(tiny_checkpoint.read_bytes())
    calibrate(copy, tiny_corpus, 4)  # ``python -m models.calibrate`` still fits one
    refit = load_checkpoint(copy)
    table = refit.priors[f"melody{DEGREES}"]
    assert table.shape == (2, 12) and np.abs(table).max() <= 1.0
    assert refit.meta["degrees"]["windows"] > 0


def test_the_melody_tables_are_half_interval_distribution() -> None:
    from models.prior import INTERVAL_MIX, fit_transitions

    line = Song(bars=1, key=C_MAJOR).with_stem(
        "melody", [Note(i * 2, p, 2) for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62])]
    )
    plain = np.exp(fit_transitions([line], "melody", "signature"))
    mixed = np.exp(fit_transitions([line], "melody", "signature", INTERVAL_MIX))
    assert INTERVAL_MIX == 0.5
    assert np.allclose(plain.sum(axis=1), 1) and np.allclose(mixed.sum(axis=1), 1)
    # a row the line never left learns its steps from the interval distribution alone:
    # the mix changes nothing there, and it moves the rows the line did leave toward it
    assert np.allclose(plain[0], mixed[0], atol=1e-6)
    assert not np.allclose(plain, mixed)


def test_calibrate_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "models.calibrate", "--corpus", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [
        f"calibrate: {tmp_path} is not a built corpus (no train split)"
    ]
