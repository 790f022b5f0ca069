"""Drums a refine thickens or thins (``multitrack.arrangement``)."""

from __future__ import annotations

from multitrack.arrangement import denser_drums, sparser_drums
from multitrack.song import DRUM_CLASSES, Note, Song

KICK, SNARE = DRUM_CLASSES.index("kick"), DRUM_CLASSES.index("snare")
HAT, TOM = DRUM_CLASSES.index("closed_hat"), DRUM_CLASSES.index("low_tom")


def _drums(notes: list[Note]) -> Song:
    return Song(bars=1).with_stem("drums", notes)


def _hits(song: Song) -> set[tuple[int, int]]:
    return {(n.pitch, n.start) for n in song.stems["drums"].notes}


def test_fewer_drums_keep_the_skeleton_and_the_hats_on_the_beat() -> None:
    notes = [Note(0, KICK, 1), Note(8, SNARE, 1), *(Note(t, HAT, 1) for t in range(0, 16, 2)),
             Note(14, TOM, 1)]  # fmt: skip
    assert _hits(sparser_drums(_drums(notes))) == {
        (KICK, 0), (SNARE, 8), (HAT, 0), (HAT, 4), (HAT, 8), (HAT, 12)}  # fmt: skip


def test_a_groove_on_toms_alone_keeps_its_toms_on_the_beat() -> None:
    # a reggae take played on toms: "fewer drums" or "calmer" thins it, never silences it
    notes = [Note(t, TOM, 1) for t in (0, 2, 4, 6, 8, 10, 12, 14)]
    assert _hits(sparser_drums(_drums(notes))) == {(TOM, 0), (TOM, 4), (TOM, 8), (TOM, 12)}


def test_more_drums_fill_the_eighths_and_put_a_kick_on_the_middle_beat() -> None:
    song = denser_drums(_drums([Note(0, KICK, 1), Note(8, SNARE, 1)]))
    assert {t for p, t in _hits(song) if p == HAT} == set(range(0, 16, 2))
    assert {t for p, t in _hits(song) if p == KICK} == {0, 8}
