"""Windows and captions: counts, transposition, determinism, held-out split by piece."""

from __future__ import annotations

import random

from multitrack.corpus.captions import CaptionFacts, captions, instrument_name
from multitrack.corpus.harmoniser import harmonise
from multitrack.corpus.tunes import Tune
from multitrack.corpus.windows import (
    MELODY_HIGH,
    MELODY_LOW,
    plan_versions,
    slice_spans,
    split_of,
    transpose_symbol,
)
from multitrack.grid import cut_notes
from multitrack.song import ChordSpan, Meter
from multitrack.theory import Key


def _tune(piece: str = "essen/demo/1", *, bars: int = 16, chinese: bool = False) -> Tune:
    scale = (60, 62, 64, 67, 69, 67, 64, 62)
    notes = tuple((i * 4, scale[i % 8], 4) for i in range(bars * 4))
    return Tune(
        "essen_han" if chinese else "essen",
        piece,
        "demo",
        "4/4",
        0,
        "gong" if chinese else "major",
        notes,
        chinese,
    )


def test_a_16_bar_tune_gives_4_four_3_eight_and_1_sixteen_bar_windows_per_style() -> None:
    tune = _tune()
    key = Key(0, "major")
    spans = harmonise(tune.notes, key, Meter(4, 4), bars=16)
    plans = plan_versions(tune, spans, key, seed=0)
    assert len({p.style for p in plans}) == 2  # a 4/4 tune plays in two styles
    for p in plans:
        assert sorted(p.windows) == sorted(
            [(b, 4) for b in range(0, 13, 4)] + [(b, 8) for b in (0, 4, 8)] + [(0, 16)]
        )
        assert p.sections and sum(s.bars for s in p.sections) == 16
        assert all(MELODY_LOW <= n.pitch <= MELODY_HIGH for n in p.melody)
        assert sum(c.duration for c in p.chords) == 16 * 16
        assert p.key.tonic == p.shift % 12 and -6 <= p.shift <= 6
        assert [n.pitch - p.shift for n in p.melody] == [q for _, q, _ in tune.notes]
        assert p.chart().bars == 16
    assert plans == plan_versions(tune, spans, key, seed=0)
    shifts = {tuple(p.shift for p in plan_versions(tune, spans, key, seed=s)) for s in range(5)}
    assert len(shifts) > 1


def test_chinese_tunes_play_as_guofeng_and_once_more() -> None:
    tune = _tune("essen_han/han1/3", chinese=True)
    key = Key(0, "gong")
    plans = plan_versions(tune, harmonise(tune.notes, key, Meter(4, 4), bars=16), key, seed=0)
    assert plans[0].style == "guofeng" and len({p.style for p in plans}) == 2
    assert all(p.key.mode == "gong" for p in plans)


def test_two_four_tunes_keep_their_meter_over_four_four_grooves() -> None:
    notes = tuple((i * 4, 60 + (i % 5) * 2, 4) for i in range(32))  # 16 bars of 2/4
    tune = Tune("essen", "essen/x/24", "two", "2/4", 0, "major", notes)
    key = Key(0, "major")
    spans = harmonise(tune.notes, key, Meter(2, 4), bars=16)
    for seed in range(6):
        for p in plan_versions(tune, spans, key, seed=seed):
            chart = p.chart()
            assert chart.bars * chart.meter.steps_per_bar == p.bars * p.meter.steps_per_bar
            if str(p.meter) == "2/4" and p.style != "march":
                assert str(chart.meter) == "4/4" and chart.bars == p.bars // 2
            if p.style in ("rock", "funk", "disco"):  # styles that imply 4/4 re-bar the tune
                assert str(p.meter) == "4/4"


def test_notes_are_cut_to_a_window() -> None:
    from multitrack.song import Note

    notes = [Note(0, 60, 20), Note(16, 62, 20), Note(40, 64, 4)]
    assert cut_notes(notes, 16, 32) == (Note(0, 62, 16),)


def test_split_is_by_piece_and_stable() -> None:
    splits = {split_of(f"essen/x/{i}") for i in range(200)}
    assert splits == {"train", "test"}
    assert split_of("essen/x/5") == split_of("essen/x/5")
    share = sum(split_of(f"p{i}") == "test" for i in range(4000)) / 4000
    assert 0.03 < share < 0.07


def test_chords_transpose_and_slice() -> None:
    assert transpose_symbol("F#m7/C#", 3, flats=False) == "Am7/E"
    assert transpose_symbol("G7", -2, flats=True) == "F7"
    assert transpose_symbol("N.C.", 5, flats=True) == "N.C."
    spans = (ChordSpan(0, 16, "C"), ChordSpan(16, 16, "G"))
    assert slice_spans(spans, 8, 24) == [ChordSpan(0, 8, "C"), ChordSpan(8, 8, "G")]


def test_captions_in_three_languages_say_the_facts() -> None:
    facts = CaptionFacts("guofeng", Key.parse("D zhi"), 72, "4/4", 8, 107, 46, 32)
    zh, en, mixed = captions(facts, random.Random(3))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert en.isascii()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in mixed) and any(
        c.isascii() and c.isalpha() for c in mixed
    )
    assert captions(facts, random.Random(3)) == (zh, en, mixed)
    many = {c for seed in range(40) for c in captions(facts, random.Random(seed))}
    assert any("古筝" in c for c in many) and any("72" in c for c in many)
    assert any("guzheng" in c for c in many) and not any("koto" in c for c in many)
    assert any(w in c for c in many for w in ("国风", "古风", "中国风"))
    assert instrument_name(107) == ("koto", "古筝")
    assert instrument_name(110) == ("fiddle", "小提琴")
    assert instrument_name(110, chinese=True) == ("erhu", "二胡")
    assert instrument_name(120)[0] == "effects"
