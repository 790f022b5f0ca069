"""The chords stem read as a band comps (models.comping): strikes, returning bars, rhythm,
voices and the density a take asks for."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from models import comping, grooves
from models.comping import CHORD_STRAY_STEPS, _chord_notes
from models.grooves import RhythmBook
from multitrack.song import Note


def rows(steps: int, *spans: tuple[int, int, int]) -> np.ndarray:
    """(rows=8, steps) bool with True on each (row, start, end) span."""
    out = np.zeros((8, steps), bool)
    for row, a, b in spans:
        out[row, a:b] = True
    return out


def test_voices_struck_together_end_together_and_a_longer_one_rings_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a triad struck on step 0 whose voices' holds fade at 3, 4 and 6: 3 and 4 end at 4, the
    # upper median; the voice held to 6 rings on (0.4.2 ended it at 4 too)
    hold = rows(16, (0, 0, 3), (2, 0, 4), (4, 0, 6))
    struck = rows(16, (0, 0, 1), (2, 0, 1), (4, 0, 1))
    assert _chord_notes(hold, struck) == [Note(0, 0, 4), Note(0, 2, 4), Note(0, 4, 6)]
    monkeypatch.setattr(comping, "CHORD_VOICES_RING", False)
    assert _chord_notes(hold, struck) == [Note(0, 0, 4), Note(0, 2, 4), Note(0, 4, 4)]


def test_a_ringing_voice_stops_at_the_next_strike_and_the_bar_line() -> None:
    # the top voice is held for 14 steps; a new block strike at 10, a bar line at 8
    hold = rows(16, (0, 0, 4), (2, 0, 4), (4, 0, 14), (1, 10, 12), (3, 10, 12))
    struck = rows(16, (0, 0, 1), (2, 0, 1), (4, 0, 1), (1, 10, 11), (3, 10, 11))
    top = [n for n in _chord_notes(hold, struck) if n.pitch == 4]
    assert top == [Note(0, 4, 10), Note(10, 4, 4)]  # to the next block strike, struck in it
    top = [n for n in _chord_notes(hold, struck, bar=8) if n.pitch == 4]
    assert top[0] == Note(0, 4, 8)  # the bar line: a chord's voice is not heard in the next


def test_a_voice_held_across_a_strike_is_struck_with_it() -> None:
    # row 0 holds for the whole bar; rows 2 and 4 strike on 0 and again on 8
    hold = rows(16, (0, 0, 16), (2, 0, 16), (4, 0, 16))
    struck = rows(16, (0, 0, 1), (2, 0, 1), (4, 0, 1), (2, 8, 9), (4, 8, 9))
    notes = _chord_notes(hold, struck)
    assert {(n.start, n.duration) for n in notes} == {(0, 8), (8, 8)}
    assert sorted(n.pitch for n in notes if n.start == 8) == [0, 2, 4]


def test_a_short_hold_no_onset_starts_is_a_stray_and_a_long_one_is_a_note() -> None:
    hold = rows(16, (0, 0, 4), (5, 6, 6 + CHORD_STRAY_STEPS - 1), (7, 8, 16))
    struck = rows(16, (0, 0, 1))
    assert _chord_notes(hold, struck) == [Note(0, 0, 4), Note(8, 7, 8)]


def test_broken_chords_stay_broken_and_no_note_overlaps_its_row() -> None:
    # an arpeggio: one voice struck a step, each ringing to the bar's end
    hold = rows(8, (0, 0, 8), (2, 1, 8), (4, 2, 8))
    struck = rows(8, (0, 0, 1), (2, 1, 2), (4, 2, 3))
    notes = _chord_notes(hold, struck)
    assert [n.start for n in notes if n.pitch in (2, 4) and n.start in (1, 2)] == [1, 2]
    for row in range(8):
        mine = sorted(n for n in notes if n.pitch == row)
        assert all(a.end <= b.start for a, b in itertools.pairwise(mine))


def test_a_bar_of_comping_returns_to_an_earlier_bar_with_its_chord_when_the_network_hardly_minds() -> (
    None
):
    from models.comping import _chord_bars

    bar, rows_n = 8, 24
    hold = np.full((rows_n, 3 * bar), -3.0, np.float32)
    struck = np.full((rows_n, 3 * bar), -3.0, np.float32)
    chord = [0, 4, 7]  # C E G in the first octave
    for b in range(3):
        for r in chord:
            hold[r, b * bar : b * bar + 6] = 3.0
            struck[r, b * bar] = 3.0
    for r in chord:  # bar 0 (and bar 2) strike again on step 4
        struck[r, 4] = 3.0
        struck[r, 2 * bar + 4] = 0.5
    struck[[0, 4, 7], bar + 4] = -0.5  # bar 1 leans a little against that second strike
    hold[[12 + 4], 2 * bar : 2 * bar + 2] = 3.0  # bar 2 adds an E an octave up: same classes

    def strikes(nats: float) -> list[list[int]]:
        _, o = _chord_bars(hold, struck, bar, nats)
        return [
            np.flatnonzero(o[:, b * bar : (b + 1) * bar].any(axis=0)).tolist() for b in range(3)
        ]

    assert strikes(0.0) == [[0, 4], [0], [0, 4]]  # each bar read alone
    assert strikes(2.0) == [[0, 4], [0, 4], [0, 4]]  # bar 1 returns to bar 0's comping
    # a bar with other pitch classes never returns to it
    other = hold.copy()
    other[7, bar : bar + 6] = -3.0
    other[9, bar : bar + 6] = 3.0
    _, o = _chord_bars(other, struck, bar, 50.0)
    assert np.flatnonzero(o[:, bar : 2 * bar].any(axis=0)).tolist() == [0]


def test_a_chord_edit_reads_its_comping_at_the_density_it_is_asked_for() -> None:
    from models.config import CHORDS_ROWS

    # 2 bars of 16 steps; a C triad (rows 24, 28, 31) held throughout, struck on every
    # beat: sure strikes on beats 1 and 3, doubtful ones (log-odds 1 above the threshold's
    # zero) on beats 2 and 4
    steps, bar = 32, 16
    out = np.full((2 * CHORDS_ROWS, steps), -12.0, np.float32)
    triad = (24, 28, 31)
    for row in triad:
        out[row] = 12.0
        for t in range(0, steps, 4):
            out[CHORDS_ROWS + row, t] = 12.0 if t % 8 == 0 else comping.CHORDS_ONSET_SHIFT + 1
    calibrated = comping.read_comping(out, 0.0, bar, 2, None)
    assert sorted({n.start for n in calibrated}) == [0, 4, 8, 12, 16, 20, 24, 28]
    sparse = comping.read_comping(out, 0.0, bar, 2, 2.0)  # the source struck twice a bar
    assert sorted({n.start for n in sparse}) == [0, 8, 16, 24]
    assert {n.pitch for n in sparse} == set(triad)
    assert comping.read_comping(out, 0.0, bar, 2, 4.0) == calibrated


def test_a_density_no_threshold_reaches_is_reached_by_pulling_toward_the_grooves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under chord guidance the network struck quarter notes at +7 to +10 log-odds in a
    guofeng edit, whose windows strike 2.35 times a bar: no threshold thins that, and a
    book weighted as at a fresh take's reading loses to it. A reading that aims at a
    density also pulls harder toward the style's grooves (``GROOVE_PULLS``)."""
    from models.config import CHORDS_ROWS

    steps, bar = 32, 16
    out = np.full((2 * CHORDS_ROWS, steps), -12.0, np.float32)
    triad = (24, 28, 31)
    for row in triad:
        out[row] = 12.0
        for t in range(0, steps, 4):  # every beat struck, all sure: past the widest shift
            out[CHORDS_ROWS + row, t] = 12.0
    book = RhythmBook(rhythms=(((0, 8), (8, 8)),), shares=(0.5,))

    def strikes(aim: float | None) -> list[int]:
        return sorted({n.start for n in comping.read_comping(out, 0.0, bar, 2, aim, book)})

    monkeypatch.setattr(grooves, "GROOVE_PULLS", (1.0,))
    assert strikes(2.0) == [0, 4, 8, 12, 16, 20, 24, 28]
    monkeypatch.setattr(grooves, "GROOVE_PULLS", (1.0, 2.0, 4.0, 8.0))
    assert strikes(2.0) == [0, 8, 16, 24]
    # aiming at what the network plays, or at nothing, it is read as it is
    assert strikes(4.0) == strikes(None) == [0, 4, 8, 12, 16, 20, 24, 28]


def test_a_silent_bar_takes_a_groove_with_the_chord_before_when_pulled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bare "jazz in C major" take (seed 501) struck 1.25 times a bar against its style's
    4.65: the network left whole comping bars silent, so no groove could be voiced there."""
    monkeypatch.setattr(comping, "FILL_SILENT", True)
    book = RhythmBook(rhythms=(((0, 8), (8, 8)),), shares=(0.5,))
    c = _bar_of(0, [(0, 8), (8, 6)], (48, 52, 55))
    lo = np.full(32, -6.0, np.float32)
    lo[[0, 8]] = 2.0
    lo[[16, 24]] = -2.0  # the network barely minds strikes on 1 and 3 of the silent bar
    assert comping._comping_rhythm(c, lo, 16, 16.0, book) == sorted(c)  # weight 1: silent
    got = comping._comping_rhythm(c, lo, 16, 16.0, book.pulled(2.0))
    assert sorted((n.start, n.pitch, n.duration) for n in got if n.start >= 16) == [
        (16, 48, 8),
        (16, 52, 8),
        (16, 55, 8),
        (24, 48, 8),
        (24, 52, 8),
        (24, 55, 8),
    ]  # the chord struck last, in the book's rhythm
    rung = _bar_of(0, [(0, 8), (8, 10)], (48, 52, 55))  # it rings on into the bar: left so
    assert comping._comping_rhythm(rung, lo, 16, 16.0, book.pulled(2.0)) == sorted(rung)
    monkeypatch.setattr(comping, "FILL_SILENT", False)
    assert comping._comping_rhythm(c, lo, 16, 16.0, book.pulled(2.0)) == sorted(c)


def test_the_closest_reading_pulls_harder_only_while_no_threshold_comes_close() -> None:
    tried: list[tuple[float, float]] = []

    def read(extra: float, pull: float, lean: float) -> list[Note]:
        tried.append((extra, pull))
        return [Note(0, 60, 1)] * (1 if pull > 1.0 else 2)

    shifts, pulls = (0.0, 2.0, 1.0), (1.0, 2.0)
    assert len(grooves.closest_reading(read, len, 1.0, shifts, pulls)) == 1
    assert tried == [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0), (0.0, 2.0), (1.0, 2.0), (2.0, 2.0)]
    tried.clear()  # a threshold reaches the aim: no stronger pull is tried
    assert len(grooves.closest_reading(read, len, 2.0, shifts, pulls)) == 2
    assert tried == [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]
    tried.clear()
    assert len(grooves.closest_reading(read, len, None, shifts, pulls)) == 2
    assert tried == [(0.0, 1.0)]


def _bar_of(start: int, strikes: list[tuple[int, int]], pitches: tuple[int, ...]) -> list[Note]:
    return [Note(start + t, p, d) for t, d in strikes for p in pitches]


def test_comping_keeps_its_rhythm_across_a_chord_change_when_the_network_hardly_minds() -> None:
    """The corpus's comping strikes the same steps in 0.52 of its bar pairs, the takes 0.29:
    a bar the network nearly heard in the earlier bar's rhythm now plays it, striking its own
    chord again where it holds it."""
    pattern = [(0, 4), (6, 2), (8, 4), (14, 2)]
    notes = [*_bar_of(0, pattern, (60, 64, 67)),  # C in the pattern
             *_bar_of(16, [(0, 8), (8, 6)], (57, 60, 64))]  # Am, held from 1 and from 3  # fmt: skip
    lo = np.full(32, -6.0, np.float32)
    lo[[0, 6, 8, 14]] = 3.0
    lo[[16, 24]] = 3.0
    lo[[22, 30]] = -1.5  # bar 2's off-beat strikes: just under the threshold
    got = comping._comping_rhythm(notes, lo, 16, 8.0)
    bar2 = [n for n in got if n.start >= 16]
    assert [n for n in got if n.start < 16] == sorted(notes[:12])
    # strikes on 1 and 3 as read, cut where the chord is struck again on the 'and' of 2;
    # the 'and' of 4, where the reading rests, strikes the chord in force (struck on 3)
    assert {(n.start, n.duration) for n in bar2} == {(16, 6), (22, 2), (24, 6), (30, 2)}
    assert {n.pitch for n in bar2} == {57, 60, 64}  # its own chord
    # a strike before the bar's first own strike is left out: no chord carried back
    late = [*_bar_of(0, pattern, (60, 64, 67)), *_bar_of(24, [(0, 4)], (53, 57, 60))]
    lo_late = np.full(32, -6.0, np.float32)
    lo_late[[0, 6, 8, 14, 24]] = 3.0
    lo_late[[16, 22, 30]] = -1.0
    got = comping._comping_rhythm(late, lo_late, 16, 8.0)
    assert sorted({n.start for n in got if n.start >= 16}) == [24, 30]
    assert {n.pitch for n in got if n.start == 30} == {53, 57, 60}


def test_comping_keeps_its_own_rhythm_when_the_network_is_sure_of_it() -> None:
    notes = [*_bar_of(0, [(0, 4), (6, 2), (8, 4), (14, 2)], (60, 64, 67)),
             *_bar_of(16, [(0, 16)], (57, 60, 64))]  # fmt: skip
    lo = np.full(32, -6.0, np.float32)
    lo[[0, 6, 8, 14, 16]] = 3.0  # bar 2's rests on 6, 8, 14: the network is sure of them
    assert comping._comping_rhythm(notes, lo, 16, 8.0) == sorted(notes)
    silent = _bar_of(0, [(0, 4), (8, 4)], (60, 64, 67))  # a bar with no notes stays silent
    assert comping._comping_rhythm(silent, np.zeros(32, np.float32), 16, 8.0) == sorted(silent)
    assert comping._comping_rhythm(notes, lo, 16, 0.0) == notes  # 0: off


def test_comping_does_not_take_a_sparser_rhythm_than_its_own() -> None:
    """Taking any cheaper rhythm thinned the comping (strikes a bar 3.06 -> 2.93 against the
    windows' 3.57) and left the bass outside the chord more often."""
    notes = [*_bar_of(0, [(0, 8), (8, 8)], (60, 64, 67)),
             *_bar_of(16, [(0, 4), (4, 4), (8, 4), (12, 4)], (57, 60, 64))]  # fmt: skip
    lo = np.full(32, -6.0, np.float32)
    lo[[0, 8]] = 3.0
    lo[[16, 24]] = 3.0
    lo[[20, 28]] = 0.5  # bar 2's extra strikes: barely over the threshold
    assert comping._comping_rhythm(notes, lo, 16, 16.0) == sorted(notes)


def test_a_block_strike_takes_the_voices_the_network_half_heard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The takes' comping struck 2.06 voices a strike against the corpus's 2.46."""
    from models.config import CHORDS_ROWS

    monkeypatch.setattr(comping, "CHORD_RHYTHM_NATS", 0.0)
    monkeypatch.setattr(comping, "CHORD_BAR_NATS", 0.0)
    steps = 16
    out = np.full((2 * CHORDS_ROWS, steps), -12.0, np.float32)
    for row in (10, 14):  # two sure voices struck on beat 1
        out[row, 0:8] = 6.0
        out[CHORDS_ROWS + row, 0] = 6.0
    out[17, 0:8] = -1.0  # its hold row too: no note of its own
    out[CHORDS_ROWS + 17, 0] = 0.0  # a third the onset row half heard (under the shift)
    out[CHORDS_ROWS + 20, 4] = -1.0  # half heard where no block strikes: stays out
    rows = lambda: sorted(n.pitch for n in comping.read_comping(out, 0.0, 16, 1, None))  # noqa: E731
    monkeypatch.setattr(comping, "VOICE_SHIFT", 0.0)
    assert rows() == [10, 14]
    monkeypatch.setattr(comping, "VOICE_SHIFT", 2.0)
    assert rows() == [10, 14, 17]


def test_a_lone_voice_in_a_bar_of_blocks_takes_its_half_heard_voices_an_arpeggio_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chordal styles' takes struck one voice 2-3 times as often as their windows (jazz
    0.35 against 0.16, rock 0.23 against 0.03); an arpeggio (classical, lullaby) strikes one
    note at a time by design."""
    from models.config import CHORDS_ROWS

    monkeypatch.setattr(comping, "CHORD_RHYTHM_NATS", 0.0)
    monkeypatch.setattr(comping, "CHORD_BAR_NATS", 0.0)
    steps = 32  # bar 1: a block then a lone voice; bar 2: an arpeggio of lone voices
    out = np.full((2 * CHORDS_ROWS, steps), -12.0, np.float32)
    for row, at, length in ((10, 0, 8), (14, 0, 8), (10, 8, 8), (10, 16, 4), (14, 20, 4),
                            (17, 24, 8)):  # fmt: skip
        out[row, at : at + length] = 6.0
        out[CHORDS_ROWS + row, at] = 6.0
    out[14, 8:16] = out[17, 20:24] = -1.0  # their hold rows too: no notes of their own
    out[CHORDS_ROWS + 14, 8] = 0.0  # the lone strike's second voice, half heard
    out[CHORDS_ROWS + 17, 20] = 0.0  # the arpeggio's, half heard: stays out
    notes = lambda: {(n.start, n.pitch) for n in comping.read_comping(out, 0.0, 16, 2, None)}  # noqa: E731
    monkeypatch.setattr(comping, "SINGLES_IN_BLOCK_BARS", False)
    before = notes()
    assert (8, 14) not in before and (20, 17) not in before
    monkeypatch.setattr(comping, "SINGLES_IN_BLOCK_BARS", True)
    assert notes() == before | {(8, 14)}


def test_a_lone_voice_in_a_style_that_strikes_chords_takes_its_half_heard_voices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bar of lone voices is an arpeggio where the style picks single notes (its windows'
    strikes are mostly one voice: classical, lullaby), and a thin reading where it strikes
    chords (hymn 0.43 of strikes alone against its windows' 0.03, cha-cha 0.52 against
    0.14): there the lone voices take the voices the network half heard too."""
    from models.config import CHORDS_ROWS

    monkeypatch.setattr(comping, "CHORD_RHYTHM_NATS", 0.0)
    monkeypatch.setattr(comping, "CHORD_BAR_NATS", 0.0)
    out = np.full((2 * CHORDS_ROWS, 16), -12.0, np.float32)
    for row, at in ((10, 0), (17, 8)):  # a bar of two lone strikes, no block
        out[row, at : at + 8] = 6.0
        out[CHORDS_ROWS + row, at] = 6.0
    out[CHORDS_ROWS + 14, 0] = 0.0  # the first strike's second voice, half heard
    out[CHORDS_ROWS + 21, 8] = -2.0  # the second's, further off than VOICE_SHIFT: not
    book = RhythmBook(rhythms=(((0, 8), (8, 8)),), shares=(1.0,))

    def notes(singles: float | None) -> set[tuple[int, int]]:
        read = comping.read_comping(out, 0.0, 16, 1, None, replace(book, singles=singles))
        return {(n.start, n.pitch) for n in read}

    alone = {(0, 10), (8, 17)}
    assert notes(None) == notes(0.9) == alone  # unknown, or an arpeggio style
    assert notes(0.05) == alone | {(0, 14)}
    monkeypatch.setattr(comping, "CHORDAL_SINGLES", 0.0)
    assert notes(0.05) == alone


def test_a_bar_off_its_styles_grooves_takes_one_the_network_hardly_minds() -> None:
    """The corpus's comping bars strike one of their style's commonest rhythms 0.91 of the
    time, 0.4.2's takes 0.56: a bar read in a rhythm outside the book is played in the
    book's one when the network finds it barely less likely, with its own chord."""
    book = RhythmBook(rhythms=(((0, 8), (8, 8)), ((0, 4), (4, 4), (8, 4), (12, 4))),
                              shares=(0.6, 0.3))  # fmt: skip
    own = _bar_of(0, [(0, 6), (6, 10)], (60, 64, 67))  # C struck on 1 and on the 'and' of 2
    lo = np.full(16, -6.0, np.float32)
    lo[0] = 3.0
    lo[6] = 0.5  # barely over the threshold
    lo[8] = -0.5  # barely under it
    got = comping._comping_rhythm(own, lo, 16, 16.0, book)
    # the strike both share keeps its length as read; the book's second strikes on 3
    assert {(n.start, n.duration) for n in got} == {(0, 6), (8, 8)}
    assert {n.pitch for n in got} == {60, 64, 67}
    # the network sure of its own rhythm keeps it; without a book nothing changes
    lo[6], lo[8] = 6.0, -6.0
    assert comping._comping_rhythm(own, lo, 16, 16.0, book) == sorted(own)
    assert comping._comping_rhythm(own, lo, 16, 16.0) == own


def test_a_bar_already_in_the_book_keeps_its_rhythm() -> None:
    book = RhythmBook(rhythms=(((0, 8), (8, 8)), ((0, 16),)), shares=(0.3, 0.6))
    own = _bar_of(0, [(0, 8), (8, 8)], (57, 60, 64))
    lo = np.full(16, -6.0, np.float32)
    lo[[0, 8]] = 1.0  # the commoner whole-bar strike costs only 1 nat, but gains less
    assert comping._comping_rhythm(own, lo, 16, 16.0, book) == sorted(own)


def test_half_heard_voices_fill_a_strike_up_to_four_the_likeliest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chord edits struck 5 or more voices 0.104 of the time, the corpus 0.019."""
    struck = np.zeros((12, 2), bool)
    struck[[0, 4, 7], 0] = True  # a triad struck on step 0
    lo = np.full((12, 2), -6.0, np.float32)
    lo[[0, 4, 7], 0] = 3.0
    lo[11, 0], lo[2, 0], lo[9, 0] = -0.5, -1.5, -1.0  # three half heard
    block = np.array([True, False])
    got = comping._half_heard(struck, lo, block)
    assert np.flatnonzero(got[:, 0]).tolist() == [0, 4, 7, 11]  # the likeliest fills it
    monkeypatch.setattr(comping, "VOICE_FILL", 0)
    assert np.flatnonzero(comping._half_heard(struck, lo, block)[:, 0]).tolist() == [
        0, 2, 4, 7, 9, 11]  # fmt: skip


def test_a_strike_played_anew_strikes_the_chord_in_force_not_one_ringing_on() -> None:
    # a C held under the bar, then an Am struck on beat 3 while the C's top voice rings on:
    # the rhythm's strike on beat 4 plays the Am alone, not the two chords as one cluster
    own = [Note(0, 48, 16), Note(0, 52, 8), Note(0, 55, 8),
           Note(8, 57, 8), Note(8, 60, 8), Note(8, 64, 8)]  # fmt: skip
    got = comping._revoiced(own, [(0, 8), (8, 4), (12, 4)], 0, 16)
    assert sorted(n.pitch for n in got if n.start == 12) == [57, 60, 64]
    # a broken chord (voices struck one by one) keeps its texture: its latest voice
    broken = [Note(0, 48, 16), Note(4, 52, 12), Note(8, 55, 8)]
    got = comping._revoiced(broken, [(0, 4), (12, 4)], 0, 16)
    assert sorted(n.pitch for n in got if n.start == 12) == [55]
