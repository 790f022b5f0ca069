"""Musical metrics on hand-built songs, with the values music has."""

from __future__ import annotations

import math

import numpy as np
import pytest

from multitrack.harmony import chord_tone_ratio, strong_beat_steps
from multitrack.metrics import (
    FEATURES,
    KEY_FIELDS,
    KeyEstimate,
    drum_pattern_ratio,
    empty_bar_ratio,
    find_key,
    groove_consistency,
    key_relation,
    mean_ioi,
    note_density,
    pitch_class_entropy,
    pitch_range,
    polyphony,
    qualified_note_ratio,
    song_metrics,
    tonal_centroid,
    tonal_distance,
    used_pitch_classes,
)
from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.theory import Key

C_TRIAD = (48, 52, 55)


def song(bars: int = 1, meter: str = "4/4", **stems: list[Note]) -> Song:
    return Song(
        bars=bars,
        meter=Meter.parse(meter),
        stems={name: Stem(name, tuple(notes)) for name, notes in stems.items()},
    )


def held(pitches: tuple[int, ...], start: int, steps: int) -> list[Note]:
    return [Note(start, p, steps) for p in pitches]


def test_c_e_g_over_a_c_chord_is_all_chord_tones() -> None:
    melody = [Note(0, 60, 4), Note(4, 64, 4), Note(8, 67, 8)]
    assert chord_tone_ratio(song(melody=melody, chords=held(C_TRIAD, 0, 16))) == 1.0


def test_chord_tone_ratio_counts_notes_sounding_on_strong_beats() -> None:
    # beat 1: C (tone); beat 2: D passes (weak, ignored); beat 3: F held from beat 2.5 (not a tone)
    melody = [Note(0, 60, 4), Note(4, 62, 2), Note(6, 65, 10)]
    assert chord_tone_ratio(song(melody=melody, chords=held(C_TRIAD, 0, 16))) == 0.5


def test_chord_tone_ratio_takes_the_bass_and_skips_beats_without_harmony() -> None:
    # bar 1: melody A over a bass A alone -> a chord tone; bar 2: no harmony at all -> left out
    s = song(bars=2, melody=[Note(0, 69, 4), Note(16, 61, 4)], bass=[Note(0, 45, 16)])
    assert chord_tone_ratio(s) == 1.0
    assert chord_tone_ratio(song(melody=[Note(0, 60, 4)])) is None


def test_chord_tone_ratio_against_forced_symbols() -> None:
    melody = [Note(0, 60, 8), Note(8, 62, 8), Note(16, 62, 8), Note(24, 66, 8)]
    spans = (ChordSpan(0, 16, "C"), ChordSpan(16, 16, "D7"))
    s = song(bars=2, melody=melody)
    assert chord_tone_ratio(s, spans=spans) == 0.75  # C yes, D no, D yes, F# yes
    assert chord_tone_ratio(s, spans=(ChordSpan(0, 32, "N.C."),)) is None


def test_strong_beats_per_meter() -> None:
    assert strong_beat_steps(Meter(4, 4), 2).tolist() == [0, 8, 16, 24]
    assert strong_beat_steps(Meter(3, 4), 2).tolist() == [0, 12]
    assert strong_beat_steps(Meter(2, 4), 2).tolist() == [0, 8]
    assert strong_beat_steps(Meter(6, 8), 2).tolist() == [0, 6, 12, 18]


def test_an_empty_bar_counts_and_a_held_note_fills_its_bar() -> None:
    s = song(bars=4, melody=[Note(0, 60, 4)], bass=[Note(0, 36, 20)])
    assert empty_bar_ratio(s, "melody") == 0.75
    assert empty_bar_ratio(s, "bass") == 0.5  # held into bar 2
    assert empty_bar_ratio(s, "drums") == 1.0


def test_upc_of_a_c_major_scale_bar_is_seven() -> None:
    scale = [Note(2 * i, p, 2) for i, p in enumerate((60, 62, 64, 65, 67, 69, 71, 72))]
    s = song(bars=2, melody=scale)
    assert used_pitch_classes(s, "melody") == 7.0  # bar 2 is empty: not averaged in
    assert used_pitch_classes(s, "bass") is None


def test_qualified_notes_last_an_eighth_or_more() -> None:
    notes = [Note(0, 60, 1), Note(1, 60, 1), Note(2, 60, 2), Note(4, 60, 4)]
    assert qualified_note_ratio(notes) == 0.5
    assert qualified_note_ratio([]) is None


def test_drum_pattern_counts_onsets_on_eighths() -> None:
    s = song(drums=[Note(0, 0), Note(2, 2), Note(3, 2), Note(8, 1)])
    assert drum_pattern_ratio(s) == 0.75
    assert drum_pattern_ratio(song()) is None


def test_tonal_centroid_and_distance() -> None:
    c = np.eye(12)[0]
    assert tonal_centroid(c).tolist() == pytest.approx([0, 1, 0, 1, 0, 0.5])
    same = song(melody=[Note(0, 60, 16)], chords=[Note(0, 48, 16)])
    assert tonal_distance(same) == pytest.approx(0.0)
    fifth = song(melody=[Note(0, 67, 16)], chords=[Note(0, 48, 16)])
    assert tonal_distance(fifth) == pytest.approx(math.sqrt(4.75 - math.sqrt(3)))
    # bar 2 has no chords: only bar 1 counts
    two = song(bars=2, melody=[Note(0, 60, 16), Note(16, 61, 16)], chords=[Note(0, 48, 16)])
    assert tonal_distance(two) == pytest.approx(0.0)
    assert tonal_distance(song(melody=[Note(0, 60)])) is None


def test_pitch_class_entropy_in_bits() -> None:
    assert pitch_class_entropy([Note(i, 60 + i) for i in range(12)]) == pytest.approx(math.log2(12))
    assert pitch_class_entropy([Note(0, 60), Note(4, 72)]) == 0.0
    assert pitch_class_entropy([Note(0, 60), Note(1, 60), Note(2, 64), Note(3, 67)]) == 1.5
    assert pitch_class_entropy([]) is None


def test_groove_consistency_is_one_minus_mean_hamming() -> None:
    beats = [Note(s, 0) for s in (0, 4, 8, 12)]
    assert (
        groove_consistency(song(bars=2, drums=beats + [Note(16 + n.start, 0) for n in beats]))
        == 1.0
    )
    # bar 2 adds 4 off-beat onsets: 4 of 16 steps differ
    offbeats = [Note(16 + s, 2) for s in (0, 2, 4, 6, 8, 10, 12, 14)]
    assert groove_consistency(song(bars=2, drums=beats + offbeats)) == 0.75
    # onsets of every stem pool into one pattern
    assert groove_consistency(song(bars=2, melody=[Note(0, 60)], bass=[Note(16, 40)])) == 1.0
    assert groove_consistency(song(bars=1, drums=beats)) is None


def test_polyphony_range_density_ioi() -> None:
    s = song(
        bars=2,
        melody=[Note(0, 60, 4), Note(4, 72, 4)],
        chords=held(C_TRIAD, 0, 8),
        drums=[Note(s, 0) for s in range(0, 32, 4)],
    )
    assert polyphony(s, ("chords",)) == 3.0
    assert polyphony(s, ("melody", "chords")) == 4.0
    assert polyphony(s, ("bass",)) is None
    assert pitch_range(list(s.stem("melody").notes)) == 12
    assert note_density(s, "drums") == 4.0
    assert note_density(s, "melody") == 1.0
    assert mean_ioi(list(s.stem("drums").notes)) == 1.0
    assert mean_ioi(list(s.stem("chords").notes)) is None  # one onset, three notes


def test_song_metrics_names_are_stable() -> None:
    s = song(melody=[Note(0, 60)])
    names = list(song_metrics(s))
    assert names == ["bars", "tempo", "meter", *KEY_FIELDS, *FEATURES]
    assert song_metrics(s)["key_agrees"] is None


def a_minor_song() -> Song:
    # A natural-minor tune over Am - Dm - E - Am
    tune = (69, 72, 76, 74, 72, 71, 69, 68, 69, 64, 69, 72, 71, 74, 72, 69)
    chords = [(57, 60, 64), (57, 62, 65), (56, 59, 64), (57, 60, 64)]
    return song(
        bars=4,
        melody=[Note(4 * i, p, 4) for i, p in enumerate(tune)],
        chords=[n for b, ch in enumerate(chords) for n in held(ch, 16 * b, 16)],
        bass=[Note(16 * b, r, 16) for b, r in enumerate((45, 38, 40, 45))],
    )


def test_find_key_of_an_a_minor_tune() -> None:
    found = find_key(a_minor_song())
    assert found is not None
    assert (found.tonic, found.mode, found.name) == (9, "minor", "A minor")
    assert find_key(song()) is None


def test_find_key_is_music21s_krumhansl_analysis() -> None:
    from music21 import note, stream

    from multitrack.example import example_song

    for s in (a_minor_song(), example_song()):
        part: stream.Stream = stream.Stream()
        for name in ("melody", "chords", "bass"):
            for n in s.stem(name).notes:
                part.insert(n.start / 4, note.Note(n.pitch, quarterLength=n.duration / 4))
        expected = part.analyze("krumhansl")
        found = find_key(s)
        assert found is not None
        assert (found.tonic, found.mode) == (expected.tonic.pitchClass, expected.mode)
        assert found.correlation == pytest.approx(expected.correlationCoefficient)


def test_key_agreement_counts_enharmonics_as_equal() -> None:
    e_flat = KeyEstimate(3, "major", 0.9)
    assert key_relation(e_flat, Key.parse("D# major")) == ("same", True)
    assert key_relation(e_flat, Key.parse("Eb")) == ("same", True)
    assert key_relation(e_flat, Key.parse("C minor")) == ("relative", False)
    assert key_relation(e_flat, Key.parse("Eb minor")) == ("parallel", False)
    assert key_relation(e_flat, Key.parse("E major")) == ("different", False)


def test_key_agreement_of_modes_goes_through_their_relative_major_and_minor() -> None:
    # D zhi (徵) uses the G gong collection G A B D E: G major and E minor agree, so does D major
    assert key_relation(KeyEstimate(7, "major", 0.8), Key.parse("D zhi")) == ("relative", True)
    assert key_relation(KeyEstimate(4, "minor", 0.8), Key.parse("D 徵")) == ("relative", True)
    assert key_relation(KeyEstimate(2, "major", 0.8), Key.parse("D zhi")) == ("same", True)
    assert key_relation(KeyEstimate(2, "minor", 0.8), Key.parse("D zhi")) == ("parallel", False)
    assert key_relation(KeyEstimate(9, "minor", 0.8), Key.parse("A yu")) == ("same", True)
    assert key_relation(KeyEstimate(0, "major", 0.8), Key.parse("D dorian")) == ("relative", True)
    assert key_relation(KeyEstimate(5, "major", 0.8), Key.parse("D dorian")) == ("different", False)


def test_song_metrics_compares_the_asked_key() -> None:
    m = song_metrics(a_minor_song(), asked_key=Key.parse("a"))
    assert (m["key_found"], m["key_asked"], m["key_relation"], m["key_agrees"]) == (
        "A minor",
        "A minor",
        "same",
        True,
    )
    assert song_metrics(a_minor_song(), asked_key=Key.parse("C major"))["key_agrees"] is False
    assert (
        song_metrics(song(), asked_key=Key.parse("C major"))["key_agrees"] is False
    )  # no notes, no key


def test_example_song_metrics_are_in_range() -> None:
    from multitrack.example import example_song

    m = song_metrics(example_song(), asked_key=example_song().key)
    # Am F C G leans on C: Krumhansl hears the relative major, which is not agreement
    assert (m["key_found"], m["key_relation"], m["key_agrees"]) == ("C major", "relative", False)
    assert m["chord_tone_ratio"] == 1.0
    for name in FEATURES:
        value = m[name]
        assert value is None or (isinstance(value, float | int) and value >= 0), name
    for name in ("eb", "qn", "dp", "chord_tone_ratio", "groove_consistency"):
        assert 0.0 <= float(m[name]) <= 1.0  # type: ignore[arg-type]
