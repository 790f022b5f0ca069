"""Chord symbols: every quality of every root round-trips; progressions read exactly."""

from __future__ import annotations

from dataclasses import replace

import pytest

from multitrack.chords import (
    ALL_QUALITIES,
    EXTENDED_QUALITIES,
    NO_CHORD,
    QUALITIES,
    Chord,
    format_chord,
    normalise_symbol,
    parse_chord,
)
from multitrack.errors import ChordSymbolError, MusicError
from multitrack.progression import parse_progression, read_progression
from multitrack.song import ChordSpan, Meter
from multitrack.theory import Key


def test_every_quality_of_every_root_round_trips_with_and_without_slash_bass() -> None:
    count = 0
    for root in range(12):
        for quality in QUALITIES:
            for bass in (None, *range(12)):
                chord = Chord(root, quality, bass)
                for flats in (None, True, False):
                    assert parse_chord(format_chord(chord, flats=flats)) == chord
                count += 1
    assert count == 12 * 15 * 13
    assert parse_chord(format_chord(NO_CHORD)) == NO_CHORD


@pytest.mark.parametrize(
    ("symbol", "root", "quality", "bass"),
    [
        ("C", 0, "maj", None),
        ("Cmaj", 0, "maj", None),
        ("CM", 0, "maj", None),
        ("Cmin", 0, "m", None),
        ("C-", 0, "m", None),
        ("Cm7b5", 0, "m7b5", None),
        ("Cø", 0, "m7b5", None),
        ("C°7", 0, "dim7", None),
        ("Co", 0, "dim", None),
        ("C+", 0, "aug", None),
        ("Csus", 0, "sus4", None),
        ("CM7", 0, "maj7", None),
        ("CΔ", 0, "maj7", None),
        ("CMaj7", 0, "maj7", None),
        ("C-7", 0, "m7", None),
        ("Cadd2", 0, "add9", None),
        ("Bb", 10, "maj", None),
        ("A#", 10, "maj", None),
        ("B♭m", 10, "m", None),
        ("am", 9, "m", None),
        ("F/C", 5, "maj", 0),
        ("Am7/G", 9, "m7", 7),
        ("D/F#", 2, "maj", 6),
        ("C/C", 0, "maj", None),
        (" G9 ", 7, "9", None),
    ],
)
def test_parse_accepts_common_spellings(
    symbol: str, root: int, quality: str, bass: int | None
) -> None:
    assert parse_chord(symbol) == Chord(root, quality, bass)


@pytest.mark.parametrize("symbol", ["N.C.", "NC", "n.c.", "N"])
def test_no_chord(symbol: str) -> None:
    assert parse_chord(symbol) is NO_CHORD or parse_chord(symbol) == NO_CHORD
    assert format_chord(parse_chord(symbol)) == "N.C."


@pytest.mark.parametrize(
    ("chord", "symbol"),
    [
        (Chord(9, "m7"), "Am7"),
        (Chord(5, "maj", 0), "F/C"),
        (Chord(10, "maj7"), "Bbmaj7"),
        (Chord(6, "m7b5"), "F#m7b5"),
        (Chord(1, "dim7"), "Dbdim7"),
        (Chord(8, "add9", 3), "Abadd9/Eb"),
    ],
)
def test_format_is_canonical(chord: Chord, symbol: str) -> None:
    assert format_chord(chord) == symbol


def test_format_spelling_choice() -> None:
    assert format_chord(Chord(1, "m"), flats=False) == "C#m"
    assert format_chord(Chord(6, "maj", 10), flats=True) == "Gb/Bb"
    assert normalise_symbol("A#min7") == "A#m7"
    assert normalise_symbol("Gb/Bb") == "Gb/Bb"


def test_pitch_classes_exact() -> None:
    assert parse_chord("C").pitch_classes() == frozenset({0, 4, 7})
    assert parse_chord("Am7").tones() == (9, 0, 4, 7)
    assert parse_chord("G9").tones() == (7, 11, 2, 5, 9)
    assert parse_chord("C/Bb").pitch_classes() == frozenset({0, 4, 7, 10})
    assert parse_chord("Bdim7").pitch_classes() == frozenset({11, 2, 5, 8})
    assert parse_chord("G7/B").triad() == Chord(7, "maj")
    assert NO_CHORD.pitch_classes() == frozenset()


@pytest.mark.parametrize(
    ("symbol", "fragment"),
    [
        ("H7", "must start with a root note"),
        ("Cmaj13", "unknown quality 'maj13'"),
        ("C5", "unknown quality '5'"),
        ("Cm6/9", "unknown quality 'm6/9'"),
        ("C/X", "the bass after '/'"),
        ("", "must start with a root note"),
    ],
)
def test_unknown_symbols_raise_naming_the_symbol(symbol: str, fragment: str) -> None:
    with pytest.raises(ChordSymbolError, match=fragment) as info:
        parse_chord(symbol)
    assert repr(symbol) in str(info.value)


def test_extended_qualities_round_trip_with_and_without_slash_bass() -> None:
    count = 0
    for root in range(12):
        for quality in EXTENDED_QUALITIES:
            for bass in (None, *range(12)):
                chord = Chord(root, quality, bass)
                for flats in (None, True, False):
                    assert parse_chord(format_chord(chord, flats=flats)) == chord
                count += 1
    assert count == 12 * len(EXTENDED_QUALITIES) * 13
    assert ALL_QUALITIES[: len(QUALITIES)] == QUALITIES


@pytest.mark.parametrize(
    ("typed", "written", "tones"),
    [
        ("A7sus4", "A7sus4", (9, 2, 4, 7)),
        ("A7sus", "A7sus4", (9, 2, 4, 7)),
        ("Am9", "Am9", (9, 0, 4, 7, 11)),
        ("Amin9", "Am9", (9, 0, 4, 7, 11)),
        ("Cmaj9", "Cmaj9", (0, 4, 7, 11, 2)),
        ("CM9", "Cmaj9", (0, 4, 7, 11, 2)),
        ("CΔ9", "Cmaj9", (0, 4, 7, 11, 2)),
        ("G13", "G13", (7, 11, 2, 5, 9, 4)),
        ("G11", "G11", (7, 0, 2, 5, 9)),
        ("Dm11", "Dm11", (2, 5, 9, 0, 4, 7)),
        ("Cm(maj7)", "Cm(maj7)", (0, 3, 7, 11)),
        ("CmMaj7", "Cm(maj7)", (0, 3, 7, 11)),
        ("CmM7", "Cm(maj7)", (0, 3, 7, 11)),
        ("C-Δ7", "Cm(maj7)", (0, 3, 7, 11)),
        ("G7b9", "G7b9", (7, 11, 2, 5, 8)),
        ("G7(♭9)", "G7b9", (7, 11, 2, 5, 8)),
        ("E7#9", "E7#9", (4, 8, 11, 2, 7)),
        ("E7(#9)", "E7#9", (4, 8, 11, 2, 7)),
        ("C6/9", "C6/9", (0, 4, 7, 9, 2)),
        ("C69", "C6/9", (0, 4, 7, 9, 2)),
        ("Bb6/9/D", "Bb6/9/D", (10, 2, 5, 7, 0)),
        ("A#m9", "A#m9", (10, 1, 5, 8, 0)),
    ],
)
def test_extended_symbols_producers_type(typed: str, written: str, tones: tuple[int, ...]) -> None:
    chord = parse_chord(typed)
    assert chord.tones() == tones  # the full chord: checks see its real tones
    assert normalise_symbol(typed) == written  # what song.json shows
    assert parse_chord(written) == chord
    assert ChordSpan(0, 16, typed).chord == chord


def test_extended_qualities_reduce_to_their_triads() -> None:
    assert parse_chord("A7sus4").triad() == Chord(9, "sus4")
    assert parse_chord("Am9").triad() == Chord(9, "m")
    assert parse_chord("Cm(maj7)").triad() == Chord(0, "m")
    assert parse_chord("G13/B").triad() == Chord(7, "maj")
    assert parse_chord("C6/9/E").pitch_classes() == frozenset({0, 2, 4, 7, 9})


def test_progression_reads_extended_symbols() -> None:
    spans = parse_progression("Am9 D7sus4:2 D7b9:2, Gmaj9 C6/9/E", Meter(4, 4))
    assert [(s.start, s.duration, s.symbol) for s in spans] == [
        (0, 16, "Am9"), (16, 8, "D7sus4"), (24, 8, "D7b9"), (32, 16, "Gmaj9"), (48, 16, "C6/9/E"),
    ]  # fmt: skip


def test_chord_checks_its_fields() -> None:
    with pytest.raises(MusicError):
        Chord(0, "maj13")
    with pytest.raises(MusicError):
        Chord(None, "maj")
    with pytest.raises(MusicError):
        Chord(12, "maj")


def test_progression_one_chord_a_bar() -> None:
    assert parse_progression("Am F C G", Meter(4, 4)) == (
        ChordSpan(0, 16, "Am"),
        ChordSpan(16, 16, "F"),
        ChordSpan(32, 16, "C"),
        ChordSpan(48, 16, "G"),
    )


def test_progression_durations_in_beats() -> None:
    assert parse_progression("Am:2 F:2 Cmin7:1.5 G:2.5", Meter(4, 4)) == (
        ChordSpan(0, 8, "Am"),
        ChordSpan(8, 8, "F"),
        ChordSpan(16, 6, "Cm7"),
        ChordSpan(22, 10, "G"),
    )
    # 6/8 counts dotted quarters: one beat is 6 sixteenths.
    assert parse_progression("Am:1 E:1", Meter(6, 8)) == (
        ChordSpan(0, 6, "Am"),
        ChordSpan(6, 6, "E"),
    )


def test_progression_bar_lines_share_the_bar() -> None:
    assert parse_progression("| Am F | C G:1 Em:1 | Dm |", Meter(4, 4)) == (
        ChordSpan(0, 8, "Am"),
        ChordSpan(8, 8, "F"),
        ChordSpan(16, 8, "C"),
        ChordSpan(24, 4, "G"),
        ChordSpan(28, 4, "Em"),
        ChordSpan(32, 16, "Dm"),
    )
    assert parse_progression("Am | F | C | G", Meter(3, 4)) == parse_progression(
        "Am F C G", Meter(3, 4)
    )


def test_progression_repeats_or_cuts_to_bars() -> None:
    spans = parse_progression("C G", Meter(3, 4), bars=5)
    assert [s.symbol for s in spans] == ["C", "G", "C", "G", "C"]
    assert [s.start for s in spans] == [0, 12, 24, 36, 48]
    assert parse_progression("C:3 G:3", Meter(4, 4), bars=1) == (
        ChordSpan(0, 12, "C"),
        ChordSpan(12, 4, "G"),
    )
    assert parse_progression("C，G, Am", Meter(4, 4), bars=2)[-1] == ChordSpan(16, 16, "G")


def test_progression_separated_by_dashes_and_arrows() -> None:
    # "Am-F-C-G" was one unknown symbol; a dash before a number is a jazz minor ("C-7")
    meter = Meter(4, 4)
    for text in ("Am-F-C-G", "Am - F - C - G", "Am→F→C→G", "Am->F->C->G", "Am、F、C、G"):
        assert [s.symbol for s in parse_progression(text, meter)] == ["Am", "F", "C", "G"], text
    assert [s.symbol for s in parse_progression("C-7 F7", meter)] == ["Cm7", "F7"]


@pytest.mark.parametrize(
    ("text", "key", "named"),
    [
        ("I V vi IV", "C major", ["C", "G", "Am", "F"]),
        ("I-V-vi-IV", "E major", ["E", "B", "C#m", "A"]),
        ("i-VI-III-VII", "A minor", ["Am", "F", "C", "G"]),  # the minor key's own degrees
        ("ii7 V7 Imaj7", "Bb major", ["Cm7", "F7", "Bbmaj7"]),
        ("bVII IV I", "G major", ["F", "C", "G"]),
        ("ii° V7 i", "A minor", ["Bdim", "E7", "Am"]),
        ("I IV V", "D zhi", ["D", "G", "A"]),  # a pentatonic key: its parent major
        ("| I vi | IV:2 V:2 |", "F major", ["F", "Dm", "Bb", "C"]),
        # degrees as digits, the key's own triads: the numbered notation's "1645", "4536251"
        ("1645", "C major", ["C", "Am", "F", "G"]),
        ("4536251", "C major", ["F", "G", "Em", "Am", "Dm", "G", "C"]),
        ("6 4 1 5", "G major", ["Em", "C", "G", "D"]),
        ("1 5 6 4", "A minor", ["Am", "Em", "F", "Dm"]),
        ("1:2 5:2 7", "C major", ["C", "G", "Bdim"]),
        ("1-6-4-5", "C major", ["C", "Am", "F", "G"]),
    ],
)
def test_roman_numerals_are_named_in_the_take_s_key(text: str, key: str, named: list[str]) -> None:
    spans = read_progression(text).place(Meter(4, 4), key=Key.parse(key))
    assert [s.symbol for s in spans] == named


def test_roman_numerals_need_a_key_and_a_known_degree() -> None:
    progression = read_progression("I V vi IV")
    assert progression.steps(Meter(4, 4)) == 64  # its length needs no key
    with pytest.raises(ChordSymbolError, match="roman numeral: it needs the take's key"):
        progression.place(Meter(4, 4))
    with pytest.raises(ChordSymbolError, match="'VIII'"):
        read_progression("I V vi VIII")
    with pytest.raises(ChordSymbolError, match="unknown"):
        read_progression("ii°9")
    with pytest.raises(ChordSymbolError, match=r"'8'.*or degrees of the key: I V vi IV, 1645"):
        read_progression("1 5 8 4")  # a degree is 1-7, and the error names the ways to write one


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("| |", "empty"),
        ("Am:0", "positive number of beats"),
        ("Am:1.3", "sixteenth grid"),
        ("Am:two", "positive number of beats"),
        ("| C D E |", "cannot share"),
        ("| C:3 D:3 |", "holds 6 beats"),
        ("| C:3 |", "holds 3 beats"),
        ("Am Fmaj13", "'Fmaj13'"),
    ],
)
def test_progression_errors(text: str, fragment: str) -> None:
    with pytest.raises(ChordSymbolError, match=fragment):
        parse_progression(text, Meter(4, 4))


def test_progression_rejects_zero_bars() -> None:
    with pytest.raises(MusicError, match="at least 1 bar"):
        parse_progression("Am", Meter(4, 4), bars=0)


def test_a_span_carries_its_typed_chord_and_keeps_its_spelling() -> None:
    span = ChordSpan(0, 16, "A#m7")
    assert span.chord == Chord(10, "m7") and span.symbol == "A#m7"
    assert replace(span, symbol="Bbm7").chord == span.chord  # same chord, other spelling
    assert ChordSpan(0, 4, "N.C.").chord.is_no_chord
    with pytest.raises(ChordSymbolError, match="'Hmaj13'"):
        ChordSpan(0, 16, "Hmaj13")


@pytest.mark.parametrize(
    ("key", "symbols", "expected"),
    [
        ("A major", "C#m G#7 Bb", "C#m G#7 Bb"),
        ("Db major", "F#/C# Bbm Ab7", "Gb/Db Bbm Ab7"),
        ("D minor", "C#dim A7/C# Bb", "C#dim A7/C# Bb"),
        ("G major", "Bb D/F# Eb", "Bb D/F# Eb"),
        ("C major", "Bb Ab E/G#", "Bb Ab E/G#"),
        ("A major", "Ab/Eb D/F#", "G#/D# D/F#"),
        ("F major", "F#/C# D/F# C/Bb", "Gb/Db D/F# C/Bb"),
    ],
)
def test_format_chord_in_a_key(key: str, symbols: str, expected: str) -> None:
    """A key spells its own scale (and a minor key its raised sixth and seventh) as its
    signature does; a flat key spells other roots with flats; C and sharp keys keep the
    lead-sheet habit for roots outside the scale."""
    k = Key.parse(key)
    assert " ".join(format_chord(parse_chord(s), key=k) for s in symbols.split()) == expected


def test_a_chord_moves_to_the_same_degree_of_another_key() -> None:
    from multitrack.chords import chord_in_key
    from multitrack.theory import Key

    c, cm, d = Key.parse("C major"), Key.parse("C minor"), Key.parse("D major")

    def moved(symbols: str, old: Key, new: Key) -> list[str]:
        return [
            format_chord(chord_in_key(parse_chord(s), old, new), key=new) for s in symbols.split()
        ]

    # the parallel minor: each degree's triad and seventh from the new scale
    assert moved("C Am F G Dm7 Fmaj7 Bdim", c, cm) == ["Cm", "Ab", "Fm", "G", "Dm7b5", "Fm7", "Bb"]
    # the dominant keeps its leading tone, and a chord tone in the bass stays that tone
    assert moved("G7 G/B F/A", c, cm) == ["G7", "G/B", "Fm/Ab"]
    # sus chords keep their colour; a chord off the scale moves with the tonic
    assert moved("Csus4 Bb", c, d) == ["Dsus4", "C"]
    assert moved("C Am F G7", c, d) == ["D", "Bm", "G", "A7"]
    assert chord_in_key(parse_chord("N.C."), c, cm).root is None
