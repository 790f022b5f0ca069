"""The chord and section tracks, and tied sampling of repeated sections."""

from __future__ import annotations

import torch

from models.structure import tie, tie_groups, tie_notes, tonic_chord
from models.tracks import TRACK_SIZES, chord_track, chord_values, song_tracks
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
    assert TRACK_SIZES == (14, 16, 13, 7, 9, 3)
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
