"""Voicing: chord tones only, in range, smooth voice leading, bass on the root or slash."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from multitrack.chords import parse_chord
from multitrack.errors import ChordSymbolError
from multitrack.progression import parse_progression
from multitrack.song import ChordSpan, Meter, Note
from multitrack.voicing import choose_voicing, voice_progression


def _blocks(notes: list[Note]) -> dict[int, list[int]]:
    blocks: dict[int, list[int]] = defaultdict(list)
    for note in notes:
        blocks[note.start].append(note.pitch)
    return {start: sorted(pitches) for start, pitches in blocks.items()}


def test_c_major_block_is_c_e_g_over_c() -> None:
    chords, bass = voice_progression([ChordSpan(0, 16, "C")], Meter(4, 4))
    assert {p % 12 for p in _blocks(chords)[0]} == {0, 4, 7}
    assert len(chords) == 3
    assert all(n.start == 0 and n.duration == 16 for n in chords)
    assert bass == [Note(0, 36, 16, bass[0].velocity)]  # C2


def test_slash_chord_puts_its_bass_below() -> None:
    chords, bass = voice_progression([ChordSpan(0, 16, "F/C")], Meter(4, 4))
    assert {p % 12 for p in _blocks(chords)[0]} == {5, 9, 0}
    assert [n.pitch % 12 for n in bass] == [0]


def test_every_voicing_holds_only_chord_tones_in_range() -> None:
    text = "C Am F G7 Dm7 G9 Cmaj7 Bm7b5 E7/G# Am/E Ddim7 Caug Fsus2 Gsus4 Cadd9 F6 Fm6"
    spans = parse_progression(text, Meter(4, 4))
    chords, bass = voice_progression(spans, Meter(4, 4))
    blocks = _blocks(chords)
    bass_at = {n.start: n.pitch for n in bass}
    for span in spans:
        chord = parse_chord(span.symbol)
        pitches = blocks[span.start]
        assert {p % 12 for p in pitches} <= set(chord.tones())
        assert len(pitches) == min(4, len(chord.tones()))
        assert all(48 <= p <= 72 for p in pitches)  # C3-C5
        assert 28 <= bass_at[span.start] <= 52  # E1-E3
        assert bass_at[span.start] % 12 == chord.bass_pitch_class()


def test_voice_leading_moves_little() -> None:
    # C -> F -> G -> C: no voice of a well-led progression moves more than a minor third.
    spans = parse_progression("C F G C", Meter(4, 4))
    blocks = list(_blocks(voice_progression(spans, Meter(4, 4))[0]).values())
    for a, b in itertools.pairwise(blocks):
        assert max(abs(p - q) for p, q in zip(a, b, strict=True)) <= 3
    assert blocks[0] == [55, 60, 64]  # G3 C4 E4
    assert blocks[1] == [57, 60, 65]  # A3 C4 F4: the common tone C stays
    assert blocks[2] == [55, 59, 62]  # G3 B3 D4
    assert blocks[3] == [55, 60, 64]


def test_previous_voicing_is_led_from() -> None:
    low = choose_voicing(parse_chord("C"), (48, 52, 55))
    assert low == (48, 52, 55)
    assert choose_voicing(parse_chord("F"), (48, 52, 55)) == (48, 53, 57)


def test_long_spans_restrike_at_each_bar_and_n_c_is_silent() -> None:
    meter = Meter(3, 4)
    spans = (ChordSpan(0, 30, "Am"), ChordSpan(30, 6, "N.C."))
    chords, bass = voice_progression(spans, meter)
    assert sorted({(n.start, n.duration) for n in chords}) == [(0, 12), (12, 12), (24, 6)]
    assert [(n.start, n.duration) for n in bass] == [(0, 12), (12, 12), (24, 6)]


def test_bad_symbol_raises() -> None:
    with pytest.raises(ChordSymbolError):
        voice_progression([ChordSpan(0, 16, "Cmaj13")], Meter(4, 4))
