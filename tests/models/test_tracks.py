"""The chord, section and feel tracks, and tied sampling of repeated sections."""

from __future__ import annotations

import torch

from models.structure import tie, tie_groups, tie_notes, tonic_chord
from models.tracks import (
    DENSITY_BINS,
    FEEL_ROWS,
    TRACK_SIZES,
    chord_track,
    chord_values,
    density_value,
    song_tracks,
)
from multitrack.chords import EXTENDED_QUALITIES, MODEL_QUALITY, QUALITIES, Chord, parse_chord
from multitrack.form import parse_form
from multitrack.song import ChordSpan, Note, Song
from multitrack.theory import Key


def test_chord_track_values_in_the_key_frame() -> None:
    spans = (ChordSpan(0, 8, "Am"), ChordSpan(8, 8, "F/C"), ChordSpan(16, 16, "N.C."))
    track = chord_track(spans, 8, shift=3, compression=4)  # A minor moved up 3: C minor
    assert track[0].tolist() == [2 + 0, 2 + 0, 2 + 8, 2 + 8, 1, 1, 1, 1]
    assert track[1].tolist() == [2, 2, 1, 1, 0, 0, 0, 0]  # m, maj; N.C. has no quality
    assert track[2].tolist() == [1, 1, 1 + 3, 1 + 3, 0, 0, 0, 0]  # bass A -> C, C -> Eb


def test_extended_qualities_keep_the_trained_quality_encoding() -> None:
    # the checkpoints were trained with these 15 qualities in this order: never moved
    trained = ("maj", "m", "dim", "aug", "sus2", "sus4", "6", "m6", "7", "maj7", "m7", "m7b5",
               "dim7", "9", "add9")  # fmt: skip
    assert QUALITIES == trained
    assert TRACK_SIZES[:6] == (14, 16, 13, 7, 9, 3)  # the feel rows came after (session 21)
    for index, quality in enumerate(trained):
        assert chord_values(Chord(0, quality), 0)[1] == 1 + index
    for quality in EXTENDED_QUALITIES:
        assert MODEL_QUALITY[quality] in QUALITIES
        _, value, _ = chord_values(Chord(0, quality), 0)
        assert 1 <= value < TRACK_SIZES[1]
    assert chord_values(parse_chord("A7sus4"), 0) == chord_values(parse_chord("Asus4"), 0)
    assert chord_values(parse_chord("Am9"), 0) == chord_values(parse_chord("Am7"), 0)
    assert chord_values(parse_chord("Cmaj9"), 0) == chord_values(parse_chord("Cmaj7"), 0)
    assert chord_values(parse_chord("G13/B"), 0) == chord_values(parse_chord("G7/B"), 0)
    spans = (ChordSpan(0, 16, "Am9"), ChordSpan(16, 16, "D7sus4"))
    assert chord_track(spans, 2, shift=0, compression=16)[1].tolist() == [
        1 + QUALITIES.index("m7"), 1 + QUALITIES.index("sus4"),
    ]  # fmt: skip


def test_song_tracks_leave_unknown_rows_at_zero() -> None:
    tracks = song_tracks(None, parse_form("A A", 4), bars=4, frames_per_bar=4, frames=16,
                         shift=0, compression=4)  # fmt: skip
    assert tracks[:3].sum() == 0
    assert tracks[3].tolist() == [1] * 16 and tracks[5, -4:].tolist() == [2] * 4


def test_the_feel_track_bins_a_stem_s_events_a_quarter_note() -> None:
    # 0 unknown, 1 silent, then log-spaced bins of events a quarter note, so a 6/8 bar's
    # 6 strikes (2 a quarter) reads as a 4/4 bar's 8
    assert density_value(None, 4) == 0 and density_value(0.0, 4) == 1
    assert density_value(6.0, 3) == density_value(8.0, 4)
    values = [density_value(x / 4, 4) for x in range(1, 80)]
    assert values == sorted(values) and values[0] >= 2
    assert max(values) == 2 + DENSITY_BINS - 1 < TRACK_SIZES[FEEL_ROWS.start]
    # neighbouring bins 15% apart: an aim lands in a bin within 8% of its centre
    assert density_value(4.0, 4) != density_value(4.0 * 1.16, 4)
    assert density_value(4.0, 4) == density_value(4.0 * 1.07, 4)
    tracks = song_tracks(None, None, bars=2, frames_per_bar=3, frames=6, shift=0,
                         compression=4, feel=(6.0, None))  # fmt: skip  # 6/8: 3 quarters
    assert tracks[FEEL_ROWS].tolist() == [[density_value(8.0, 4)] * 6, [0] * 6]
    assert tracks[: FEEL_ROWS.start].sum() == 0


def test_repeated_sections_are_tied_except_their_last_bar() -> None:
    sections = parse_form("A B A", 24)  # 8-bar sections: the repeat's 8th bar is free
    groups = tie_groups(sections, 4, 96)
    assert len(groups) == 1
    first, again = groups[0]
    assert first.tolist() == list(range(0, 28)) and again.tolist() == list(range(64, 92))
    x = torch.randn(2, 3, 96)
    y = tie(x, groups)
    assert torch.equal(y[:, :, 0:28], y[:, :, 64:92])
    assert torch.equal(y[:, :, 28:64], x[:, :, 28:64]) and torch.equal(y[:, :, 92:], x[:, :, 92:])
    short = tie_groups(parse_form("A B A", 12), 4, 48)  # 4-bar sections return whole
    assert short[0][1].tolist() == list(range(32, 48))


def test_a_return_plays_the_notes_of_the_section_it_returns_to() -> None:
    song = Song(bars=24, sections=parse_form("A B A", 24))  # 16 steps a bar
    a1 = [Note(0, 60, 4), Note(6 * 16, 62, 40)]  # the second runs past the tied 7 bars
    b = [Note(8 * 16, 50, 16), Note(16 * 16 - 4, 51, 12)]  # held into the return
    a2 = [Note(16 * 16, 70, 4), Note(23 * 16, 72, 8)]  # the return's free 8th bar
    song = song.with_stem("melody", [*a1, *b, *a2]).with_stem("drums", [Note(16 * 16 + 2, 0, 1)])
    tied = tie_notes(song)
    melody = [(n.start, n.pitch, n.duration) for n in tied.stems["melody"].notes]
    assert melody == [
        (0, 60, 4), (96, 62, 40), (128, 50, 16), (252, 51, 4),  # cut where the return starts
        (256, 60, 4), (352, 62, 16), (368, 72, 8),  # the first A again, cut after 7 bars
    ]  # fmt: skip
    assert tied.stems["drums"].notes == ()  # every stem: the first A had no drums
    assert tie_notes(Song(bars=8)) == Song(bars=8)  # no form: nothing returns


def test_tonic_chords() -> None:
    assert [tonic_chord(Key.parse(k)) for k in ("C major", "A minor", "G zhi", "D shang")] == [
        "C", "Am", "G", "Dm"
    ]  # fmt: skip


def test_intro_and_outro_bars_read_as_an_unknown_letter() -> None:
    from models.tracks import section_rows

    rows = section_rows(parse_form("intro A A outro", 8), 8, 1, 8)
    assert rows[0].tolist() == [0, 0, 1, 1, 1, 1, 0, 0]  # letters: untrained intro/outro -> 0
    assert rows[1].tolist() == [1, 2, 1, 2, 1, 2, 1, 2]  # positions stand


def test_each_feel_row_is_dropped_alone_in_training() -> None:
    # the feel track stays optional: each row is unknown in a share of examples, without
    # the other rows
    import numpy as np

    from models.augment import drop_conditions
    from models.conditioning import Condition, collate
    from models.config import DiffusionConfig

    rows = np.full((len(TRACK_SIZES), 8), 2, np.int64)
    cond = collate([Condition(tracks=rows) for _ in range(400)], frames=8)
    dcfg = DiffusionConfig(cond_dropout=0, attr_dropout=0, chord_dropout=0, chord_bar_dropout=0,
                           section_dropout=0, feel_dropout=0.3)  # fmt: skip
    tracks = drop_conditions(cond, np.random.default_rng(0), dcfg).tracks
    assert (tracks[:, : FEEL_ROWS.start] == 2).all()
    off = (tracks[:, FEEL_ROWS] == 0).all(dim=2).float()  # (B, 2)
    assert 0.2 < off[:, 0].mean() < 0.4 and 0.2 < off[:, 1].mean() < 0.4
    assert (off[:, 0] != off[:, 1]).any()


def test_a_feel_track_added_to_a_trained_denoiser_starts_where_it_was() -> None:
    # its rows' embeddings start at zero: the same weights give the same prediction with
    # the feel track and without it, whatever it asks
    from dataclasses import replace

    from models.conditioning import Condition, collate
    from models.config import ModelConfig
    from models.denoiser import Denoiser

    cfg = ModelConfig.tiny()
    torch.manual_seed(0)
    plain = Denoiser(replace(cfg.denoiser, feel=False), cfg.autoencoder.latent_channels)
    feel = Denoiser(replace(cfg.denoiser, feel=True), cfg.autoencoder.latent_channels)
    missing, unexpected = feel.load_state_dict(plain.state_dict(), strict=False)
    assert set(missing) == {"track_emb.6.weight", "track_emb.7.weight", "feel_proj.weight",
                            "feel_proj.bias"} and not unexpected  # fmt: skip
    torch.nn.init.normal_(feel.track_proj.weight)  # as trained: the projection is not zero
    plain.load_state_dict({k: v for k, v in feel.state_dict().items() if k in plain.state_dict()})
    rows = song_tracks(None, None, bars=2, frames_per_bar=4, frames=8, shift=0,
                       compression=4, feel=(8.0, 3.0))  # fmt: skip
    cond = collate([Condition(style="disco", tracks=rows)], frames=8)
    c = cfg.autoencoder.latent_channels
    x, known, mask = torch.randn(1, c, 8), torch.zeros(1, c, 8), torch.zeros(1, c, 8)
    kw = {"known": known, "mask": mask, "frames_per_bar": torch.tensor([4])}
    with torch.no_grad():
        assert torch.equal(plain(x, torch.tensor([500]), cond, **kw),
                           feel(x, torch.tensor([500]), cond, **kw))  # fmt: skip


def test_the_feel_enters_every_block_and_without_feel_leaves_the_other_rows() -> None:
    # trained, the feel's adaptive-norm input moves the prediction on its own (the frame
    # rows' projection kept at zero); ``without_feel`` unknows the feel rows only
    from dataclasses import replace

    from models.conditioning import CondBatch, Condition, collate
    from models.config import ModelConfig
    from models.denoiser import Denoiser

    cfg = ModelConfig.tiny()
    torch.manual_seed(0)
    den = Denoiser(replace(cfg.denoiser, feel=True), cfg.autoencoder.latent_channels)
    assert den.feel_proj is not None
    with torch.no_grad():
        for p in den.parameters():  # as trained; the frame rows' projection kept at zero
            torch.nn.init.normal_(p, std=0.1)
        torch.nn.init.zeros_(den.track_proj.weight)
    spans = (ChordSpan(0, 16, "C"), ChordSpan(16, 16, "G"))

    def cond(feel: tuple[float, float]) -> CondBatch:
        rows = song_tracks(spans, None, bars=2, frames_per_bar=4, frames=8, shift=0,
                           compression=4, feel=feel)  # fmt: skip
        return collate([Condition(style="disco", tracks=rows)], frames=8)

    conds = [cond((8.0, 3.0)), cond((2.0, 1.0))]
    unknown = conds[0].without_feel()
    assert (unknown.tracks[:, FEEL_ROWS] == 0).all()
    assert torch.equal(unknown.tracks[:, : FEEL_ROWS.start], conds[0].tracks[:, : FEEL_ROWS.start])
    c = cfg.autoencoder.latent_channels
    x, known, mask = torch.randn(1, c, 8), torch.zeros(1, c, 8), torch.zeros(1, c, 8)
    kw = {"known": known, "mask": mask, "frames_per_bar": torch.tensor([4])}
    with torch.no_grad():
        busy, sparse = (den(x, torch.tensor([500]), q, **kw) for q in conds)
    assert not torch.allclose(busy, sparse)
