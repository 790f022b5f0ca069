"""Song form: sections found in melodies, planned from form words, as model tracks."""

from __future__ import annotations

import itertools

import pytest

from multitrack.form import (
    FormError,
    default_form,
    default_sections,
    form_bars,
    form_letters,
    label_sections,
    parse_form,
    section_track,
    similarity,
    window_sections,
)
from multitrack.song import Note, Section


def _phrase(pitches: list[int], start_bar: int) -> list[Note]:
    # four quarter notes a bar, 4/4
    return [Note(start_bar * 16 + 4 * i, p, 4) for i, p in enumerate(pitches)]


def _tune(form: str) -> list[Note]:
    motifs = {"A": [60, 62, 64, 65], "B": [72, 71, 69, 67], "C": [55, 59, 62, 57]}
    notes: list[Note] = []
    for i, letter in enumerate(form):
        for bar in range(8):
            notes += _phrase([p + bar for p in motifs[letter]], i * 8 + bar)
    return notes


def test_an_aabb_tune_is_labelled_aabb_with_names() -> None:
    sections = label_sections(_tune("AABB"), 32, 16)
    assert [(s.start, s.bars, s.letter) for s in sections] == [
        (0, 8, "A"), (8, 8, "A"), (16, 8, "B"), (24, 8, "B")
    ]  # fmt: skip
    assert [s.label for s in sections] == ["Verse 1", "Verse 2", "Chorus 1", "Chorus 2"]


def test_similarity_is_jaccard_of_position_and_pitch() -> None:
    notes = _tune("AB")
    a, b = Section(0, 8, "A"), Section(8, 8, "B")
    assert similarity(notes, 16, a, a) == 1.0
    assert similarity(notes, 16, a, b) == 0.0
    first = notes[:16]  # bars 0-3
    again = [Note(8 * 16 + n.start, n.pitch + (12 if n.start >= 32 else 0), 4) for n in first]
    # 8 of 16 events return, 8 are new: 8 / 24
    shared = similarity(first + again, 16, Section(0, 4, "A"), Section(8, 4, "A"))
    assert shared == pytest.approx(1 / 3)


def test_a_window_reletters_its_sections_in_order() -> None:
    sections = label_sections(_tune("AABA"), 32, 16)
    window = window_sections(sections, 12, 16)  # half of A2, B, half of A3
    assert [(s.start, s.bars, s.letter) for s in window] == [(0, 4, "A"), (4, 8, "B"), (12, 4, "A")]


def test_form_words_in_both_languages() -> None:
    assert form_letters("AABA") == ["A", "A", "B", "A"]
    assert form_letters("intro verse chorus verse chorus outro") == list("IABABO")
    assert form_letters("主歌-副歌-主歌-副歌") == list("ABAB")
    assert form_letters("前奏 主歌副歌 桥段 尾声") == list("IABCO")
    assert form_letters("AABA曲式") == list("AABA")
    with pytest.raises(FormError, match="unknown section word 'drop'"):
        form_letters("verse drop")


def test_parse_form_fits_the_bars_or_says_why() -> None:
    sections = parse_form("intro A A B A outro", 40)
    assert [(s.start, s.bars, s.letter) for s in sections] == [
        (0, 4, "I"), (4, 8, "A"), (12, 8, "A"), (20, 8, "B"), (28, 8, "A"), (36, 4, "O")
    ]  # fmt: skip
    assert [s.label for s in sections] == [
        "Intro",
        "Verse 1",
        "Verse 2",
        "Chorus",
        "Verse 3",
        "Outro",
    ]
    with pytest.raises(FormError, match="does not fit 30 bars"):
        parse_form("AABA", 30)
    with pytest.raises(FormError, match="names no section"):
        parse_form("intro outro", 8)


def test_a_form_asked_without_a_length_sets_it() -> None:
    # "intro A A B A outro" with no bars was refused at the 8 bars a take has by default
    assert form_bars("intro A A B A outro", 64) == 40  # 8 bars a section, 4 an intro
    assert form_bars("AABA", 64) == 32
    assert form_bars("A B A B C B", 64) == 48
    assert form_bars("A B A B C B A B C", 64) == 36  # 8 a section is 72 bars: 4 a section
    assert form_bars("intro A B outro", 16) == 12  # 2-bar intro and outro under 32 bars
    for text in ("intro A A B A outro", "A B A B C B A B C", "intro A B outro"):
        parse_form(text, form_bars(text, 64))  # what it gives fits
    with pytest.raises(FormError, match="at most 8 bars"):
        form_bars("A B C D A B", 8)


def test_section_track_per_bar() -> None:
    track = section_track(parse_form("A B", 8), 8)
    assert track.letter.tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert track.position.tolist() == [1, 2, 3, 4, 1, 2, 3, 4]
    assert track.phrase_end.tolist() == [1, 1, 1, 2, 1, 1, 1, 2]


@pytest.mark.parametrize("bars", range(16, 65))
def test_an_unasked_form_fits_every_length(bars: int) -> None:
    """17, 30 or 63 bars are never refused for a default form: its sections stay equal
    and an outro takes the bars left over."""
    for style in ("pop", "jazz", "celtic"):
        sections = default_sections(style, bars)
        assert sections and sum(s.bars for s in sections) == bars
        assert sections[0].start == 0
        assert all(a.start + a.bars == b.start for a, b in itertools.pairwise(sections))
        body = [s for s in sections if s.letter != "O"]
        assert len({s.bars for s in body}) == 1 and len(body) == 4
    assert [s.label for s in default_sections("pop", 30)][-1] == "Outro"
    assert default_sections("pop", 8) == ()


def test_default_forms() -> None:
    assert default_form("pop", 8) is None
    assert default_form("pop", 32) == "A B A B"
    assert default_form("celtic", 32) == "A A B B"
    assert default_form("jazz", 32) == "A A B A"
