"""MMA accompaniment: the groove catalogue, chart lines and real renders."""

from __future__ import annotations

import pytest

from multitrack.chords import parse_chord
from multitrack.corpus.accompaniment import (
    Chart,
    chart_lines,
    grooves_for,
    mma_available,
    mma_symbol,
    render_charts,
)
from multitrack.song import ChordSpan, Meter

needs_mma = pytest.mark.skipif(not mma_available(), reason="Debian package mma not installed")


def test_chord_symbols_are_spelt_for_mma() -> None:
    assert [mma_symbol(parse_chord(s)) for s in ("C", "Bdim", "F#m7b5", "G7/B", "N.C.", "Ebmaj7")] == [
        "C", "Bmb5", "F#m7b5", "G7/B", "z", "Ebmaj7",
    ]  # fmt: skip


@needs_mma
def test_catalogue_knows_grooves_and_their_meters() -> None:
    assert "BossaNova" in [g.name for g in grooves_for(("bossanova",), "4/4")]
    assert all(g.meter == "3/4" for g in grooves_for(("waltz",), "3/4"))
    assert grooves_for(("waltz",), "3/4")
    assert grooves_for(("68march",), "6/8")
    assert not any("Intro" in g.name or "End" in g.name for g in grooves_for(("bossanova",), "4/4"))


@needs_mma
def test_chart_lines_put_one_token_per_beat() -> None:
    groove = next(g for g in grooves_for(("bossanova",), "4/4") if g.name == "BossaNova")
    chart = Chart(groove, (ChordSpan(0, 8, "Am"), ChordSpan(8, 24, "F")), 2, Meter(4, 4))
    assert chart_lines(chart) == ["Am / F /", "F / / /"]


@needs_mma
def test_render_gives_three_stems_in_the_chart() -> None:
    bossa = next(g for g in grooves_for(("bossanova",), "4/4") if g.name == "BossaNova")
    waltz = grooves_for(("waltz",), "3/4")[0]
    charts = [
        Chart(bossa, (ChordSpan(0, 32, "Am"), ChordSpan(32, 32, "F")), 4, Meter(4, 4)),
        Chart(waltz, (ChordSpan(0, 24, "C"), ChordSpan(24, 24, "G7")), 4, Meter(3, 4)),
    ]
    first, second = render_charts(charts)
    for acc, steps in ((first, 64), (second, 48)):
        assert acc.drums and acc.bass and acc.chords
        assert all(0 <= n.start and n.end <= steps for n in acc.chords + acc.bass + acc.drums)
        assert all(n.pitch <= 8 for n in acc.drums)
        starts = [n.start for n in acc.bass]
        assert len(starts) == len(set(starts))  # bass is monophonic
    # the bass plays the chart's roots (or chord tones) over Am then F
    assert {n.pitch % 12 for n in first.bass if n.start < 32} <= {9, 0, 4}
    assert {n.pitch % 12 for n in first.bass if n.start >= 32} <= {5, 9, 0}
