"""Forced chords the model's notes miss are made to sound (models.editing.sound_forced), and
the ranking's check for harmony that holds one root (models.ranking.holds)."""

from __future__ import annotations

import pytest

from models.editing import sound_forced, unsounded
from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.theory import Key

BAR = 16


def _song(chords: list[Note], bass: list[Note], melody: tuple[Note, ...] = ()) -> Song:
    stems = {"melody": Stem("melody", melody, 0), "chords": Stem("chords", tuple(chords), 0),
             "bass": Stem("bass", tuple(bass), 33), "drums": Stem("drums", (), 0)}  # fmt: skip
    return Song(tempo=100.0, meter=Meter(4, 4), key=Key.parse("D major"), bars=2, stems=stems)


def _spans(*symbols: str) -> tuple[ChordSpan, ...]:
    return tuple(ChordSpan(i * BAR, BAR, s) for i, s in enumerate(symbols))


def test_a_borrowed_chord_the_band_missed_is_moved_onto_its_tones_in_the_same_rhythm() -> None:
    # bar 1 plays D major (as typed); bar 2 was typed Bb but the model, writing D major's
    # degrees, played A major over an A bass, a C# ringing in from bar 1
    chords = [Note(0, 62, 8), Note(0, 66, 8), Note(0, 69, 8), Note(8, 61, 12),
              Note(16, 57, 4), Note(16, 61, 4), Note(16, 64, 4), Note(24, 57, 4),
              Note(24, 61, 4), Note(24, 64, 4)]  # fmt: skip
    bass = [Note(0, 38, 8), Note(16, 45, 8), Note(24, 40, 8)]
    song = _song(chords, bass)
    spans = _spans("D", "Bb")
    assert unsounded(song, spans, None) == [2]
    out = sound_forced(song, spans, (), None)
    assert unsounded(out, spans, None) == []
    got = out.stems["chords"].notes
    # rhythm kept: the same onsets, as many voices; bar 1 untouched
    assert [n.start for n in got] == sorted(n.start for n in chords)
    assert [n for n in got if n.start < BAR and n.pitch != 61] == [n for n in chords[:3]]
    assert all(n.pitch % 12 in {10, 2, 5} for n in got if n.start >= BAR)
    assert all(abs(a.pitch - b.pitch) <= 2 for a, b in zip(
        sorted(chords[4:], key=lambda n: (n.start, n.pitch)), [n for n in got if n.start >= BAR],
        strict=True))  # fmt: skip
    # the C# ringing in from bar 1 ends where the Bb begins
    assert Note(8, 61, 8) in got
    assert all(n.pitch % 12 in {10, 2, 5} for n in out.stems["bass"].notes if n.start >= BAR)


def test_a_slash_chord_puts_its_bass_note_on_the_first_beat() -> None:
    chords = [Note(0, 62, 16), Note(0, 66, 16), Note(0, 69, 16),
              Note(16, 62, 16), Note(16, 66, 16), Note(16, 69, 16)]  # fmt: skip
    bass = [Note(0, 38, 8), Note(8, 45, 8), Note(16, 38, 8), Note(24, 45, 8)]
    song = _song(chords, bass)
    spans = _spans("D", "D/C#")
    assert unsounded(song, spans, None) == [2]  # no C# sounds
    out = sound_forced(song, spans, (), None)
    assert [n.pitch for n in out.stems["bass"].notes] == [38, 45, 37, 45]
    assert out.stems["chords"].notes == song.stems["chords"].notes
    assert unsounded(out, spans, None) == []


def test_kept_stems_and_bars_outside_the_edit_are_never_moved() -> None:
    chords = [Note(0, 61, 16), Note(0, 64, 16), Note(16, 61, 16), Note(16, 64, 16)]
    bass = [Note(0, 45, 16), Note(16, 45, 16)]
    song = _song(chords, bass)
    spans = _spans("Bb", "Bb")
    kept = sound_forced(song, spans, ("chords", "bass"), None)
    assert kept.stems == song.stems
    repaint = sound_forced(song, spans, (), (1, 2))  # only bar 2 is written
    assert [n for n in repaint.stems["chords"].notes if n.start < BAR] == chords[:2]
    assert all(n.pitch % 12 in {10, 2, 5} for n in repaint.stems["chords"].notes if n.start >= BAR)


def _band_take(roots: list[int]) -> Song:
    """A C-major take, a bar a root: quarter-note triads, a whole-note bass, an arpeggio."""
    chords = [Note(i * BAR + j * 4, 48 + r + d, 4)
              for i, r in enumerate(roots) for j in range(4) for d in (0, 4, 7)]  # fmt: skip
    bass = [Note(i * BAR, 36 + r, BAR) for i, r in enumerate(roots)]
    mel = tuple(Note(i * BAR + j * 4, 60 + r + (0, 4, 7, 4)[j], 4)
                for i, r in enumerate(roots) for j in range(4))  # fmt: skip
    song = _song(chords, bass, mel)
    return Song(tempo=100.0, meter=song.meter, key=Key.parse("C major"), bars=len(roots),
                stems=song.stems)  # fmt: skip


def test_a_candidate_whose_harmony_moves_outranks_one_that_holds_a_root() -> None:
    from models import ranking

    vamp = _band_take([0] * 6 + [7, 0])  # C for six bars
    moves = _band_take([0, 0, 9, 9, 5, 5, 7, 0])
    assert ranking.holds(vamp) and not ranking.holds(moves)
    assert ranking.candidate_rank(moves, None) > ranking.candidate_rank(vamp, None)
    # a lone first candidate is judged without it (no extra draw for a vamp)
    assert ranking.top_ranked(vamp) == (ranking.candidate_rank(vamp, None, hold=False) >= (
        1.0, ranking.FIT_ENOUGH))  # fmt: skip


def test_a_candidate_whose_band_misses_its_density_ranks_lower(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Of three draws of one disco prompt the network comped one at 0.63 of its style's
    training strikes a bar and another at 1.10; a candidate whose chords or bass play more
    than ``GROOVE_MISS`` off the density the decoder aimed at ranks ``GROOVE_PENALTY`` lower
    for each, and a lone first candidate that misses is not kept alone."""
    from models import ranking

    song = _band_take([0, 0, 9, 9, 5, 5, 7, 0])
    on = (4.0, 1.0)  # 4 strikes and 1 bass note a bar, as played
    assert ranking.groove_misses(song, on) == ranking.groove_misses(song, None) == 0
    assert ranking.groove_misses(song, (4.8, 1.2)) == 0  # within 25%
    assert ranking.groove_misses(song, (6.0, 1.0)) == 1
    assert ranking.groove_misses(song, (2.0, 3.0)) == 2
    assert ranking.groove_misses(song, (None, 3.0)) == 1  # a stem read as calibrated
    first, second = ranking.candidate_rank(song, None, aims=on)
    assert ranking.candidate_rank(song, None, aims=(6.0, 3.0)) == (
        first, second - 2 * ranking.GROOVE_PENALTY)  # fmt: skip
    assert ranking.top_ranked(song, on) and not ranking.top_ranked(song, (6.0, 1.0))
    monkeypatch.setattr(ranking, "GROOVE_ALONE", False)  # only a batch is ranked by it
    assert ranking.top_ranked(song, (6.0, 1.0))
    spans = [ChordSpan(i * BAR, BAR, ("C", "C", "Am", "Am", "F", "F", "G", "C")[i])
             for i in range(8)]  # fmt: skip
    forced = ranking.candidate_rank(song, spans, aims=on)
    assert ranking.candidate_rank(song, spans, aims=(6.0, 1.0)) == (
        forced[0], forced[1] - ranking.GROOVE_PENALTY)  # fmt: skip


def test_a_melody_that_drones_never_ranks_first_nor_is_kept_alone() -> None:
    """0.088 of bare style prompts' 8-bar takes droned (at most 3 pitches, or one sounding
    over 0.6 of the time: a waltz held one B for six bars), 0.007 of the held-out windows."""
    from models import ranking

    roots = [0, 0, 9, 9, 5, 5, 7, 0]
    chords = [Note(i * BAR + j * 4, 48 + r + d, 4)
              for i, r in enumerate(roots) for j in range(4) for d in (0, 4, 7)]  # fmt: skip
    bass = [Note(i * BAR, 36 + r, BAR) for i, r in enumerate(roots)]

    def take(melody: list[Note]) -> Song:
        song = _song(chords, bass, tuple(melody))
        return Song(tempo=100.0, meter=song.meter, key=Key.parse("C major"), bars=8,
                    stems=song.stems)  # fmt: skip

    drone = take([Note(i * BAR, 64 + (i % 2) * 3, BAR) for i in range(8)])  # E and G
    tune = take([Note(i * BAR + j * 8, 60 + (0, 2, 4, 5, 7, 9, 11, 12)[(i + j) % 8], 8)
                 for i in range(8) for j in range(2)])  # fmt: skip
    assert ranking.static_melody(drone) and not ranking.static_melody(tune)
    held = take([Note(0, 67, 2), Note(2, 69, 2), Note(4, 71, 4 * BAR), Note(4 * BAR + 4, 72, 4),
                 Note(5 * BAR, 74, BAR), Note(7 * BAR, 76, 4)])  # fmt: skip
    assert ranking.static_melody(held)  # six pitches, but one B sounds most of the take
    assert ranking.candidate_rank(tune, None) > ranking.candidate_rank(drone, None)
    assert not ranking.top_ranked(drone)
    four = Song(tempo=100.0, meter=drone.meter, key=drone.key, bars=4, stems=drone.stems)
    assert not ranking.static_melody(four)  # short takes are not judged


def test_a_chord_clip_shorter_than_the_take_is_repeated_to_fill_it() -> None:
    # a 2-bar Am | F clip on a 4-bar take: song.json said Am F and nothing for bars 3-4
    from models.editing import forced_spans
    from models.request import GenerateRequest
    from multitrack.song import STEMS

    frame = Song(bars=4, stems={s: Stem(s, (), 0) for s in STEMS})
    clip = (ChordSpan(0, 16, "Am"), ChordSpan(16, 16, "F"))
    spans = forced_spans(GenerateRequest("pop", bars=4, chords=clip), frame)
    assert spans is not None
    assert [(s.start, s.duration, s.symbol) for s in spans] == [
        (0, 16, "Am"), (16, 16, "F"), (32, 16, "Am"), (48, 16, "F")
    ]  # fmt: skip
    # a clip of a bar and a half repeats from its whole bars
    half = (ChordSpan(0, 16, "C"), ChordSpan(16, 8, "G"))
    spans = forced_spans(GenerateRequest("pop", bars=4, chords=half), frame)
    assert spans is not None and [s.start for s in spans] == [0, 16, 32, 48]
