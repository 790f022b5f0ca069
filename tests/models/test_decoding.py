"""The monophonic stems (models.lines) and drums read from the decoder's logits
(models.decoding)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from models import decoding


def test_a_pitch_that_changes_and_holds_cuts_a_note_where_the_onset_row_was_silent() -> None:
    from models.lines import _pitch_changes

    best = np.array([5, 5, 5, 9, 9, 9, 7, 9, 9, 4, 4, 4])
    own = np.ones(12, bool)
    own[11] = False  # a rest at the end
    # 5 -> 9 holds on both sides; 9 -> 7 -> 9 is a one-step flicker; 9 -> 4 holds 2 steps
    assert np.flatnonzero(_pitch_changes(best, own, 2)).tolist() == [3, 9]
    assert not _pitch_changes(best, own, 4).any()


def test_the_melody_decoder_reads_the_pitch_rows_figure_not_one_held_note() -> None:
    from models import lines
    from models.config import MELODY_ROWS
    from models.lines import _mono_notes

    steps = 16
    logits = np.full((MELODY_ROWS + 2, steps), -10.0, np.float32)
    for a, b, row in ((0, 6, 20), (6, 10, 23), (10, 16, 20)):
        logits[1 + row, a:b] = 10.0  # sure pitch rows; rest row 0 stays unlikely
    logits[MELODY_ROWS + 1] = -10.0
    logits[MELODY_ROWS + 1, 0] = 10.0  # the onset row fires once, at the start
    cut = _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0)
    assert [(n.start, n.pitch, n.duration) for n in cut] == [(0, 20, 6), (6, 23, 4), (10, 20, 6)]
    saved = lines.PITCH_CUTS
    try:
        lines.PITCH_CUTS = 0  # as 0.4 read it: one note, its pitch the run's likeliest
        assert len(_mono_notes(logits, MELODY_ROWS, 0.0, 0, 0)) == 1
    finally:
        lines.PITCH_CUTS = saved


def _flat_gain(i: int, r0: int, r1: int) -> float:
    return 0.0


def test_a_bar_returns_to_an_earlier_bars_pitches_when_the_network_hardly_minds() -> None:
    from models.lines import _motif_pitches

    bar = 8
    runs = [(0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 24)]  # three bars, two notes each
    emit = np.zeros((6, 12), np.float32)
    path = [0, 4, 2, 5, 7, 9]
    for i, r in enumerate(path):
        emit[i, r] = 1.0  # each note's own pitch is 1 nat likelier than any other
    # bar 1 (notes 2, 3) costs 2 nats to become bar 0; bar 2 costs 2 as well
    assert _motif_pitches(path, runs, emit, _flat_gain, bar, 1.0) == path
    assert _motif_pitches(path, runs, emit, _flat_gain, bar, 2.0) == [0, 4, 0, 4, 0, 4]
    assert _motif_pitches(path, runs, emit, _flat_gain, bar, 0.0) == path  # off


def test_only_a_bar_with_the_same_note_places_can_return() -> None:
    from models.lines import _motif_pitches

    bar = 8
    runs = [(0, 4), (4, 8), (8, 10), (10, 16)]  # bar 1 is placed differently
    emit = np.zeros((4, 12), np.float32)
    path = [0, 4, 2, 5]
    assert _motif_pitches(path, runs, emit, _flat_gain, bar, 100.0) == path


def test_a_return_is_scored_with_the_steps_into_and_out_of_the_bar() -> None:
    from models.lines import _motif_pitches

    bar = 4
    runs = [(0, 4), (4, 8), (8, 12)]
    emit = np.zeros((3, 12), np.float32)
    emit[1, 5] = 12.0  # the middle note's own pitch is 12 nats likelier than bar 0's
    path = [0, 5, 0]

    def no_leaps(i: int, r0: int, r1: int) -> float:
        return -abs(r1 - r0)  # a leap costs a nat a row

    # returning to row 0 loses 12 nats of emission and saves the 5 + 5 of leaping in and out
    assert _motif_pitches(path, runs, emit, no_leaps, bar, 1.9) == path
    assert _motif_pitches(path, runs, emit, no_leaps, bar, 2.0) == [0, 0, 0]
    assert _motif_pitches(path, runs, emit, _flat_gain, bar, 11.9) == path  # no leap costs


def test_a_note_off_the_beat_may_pass_by_step_where_one_on_the_beat_takes_the_chord_tone() -> None:
    from models.config import MELODY_ROWS
    from models.lines import _mono_notes

    # four eighth notes (2 steps each, beats of 4 steps); the network leans a little to row
    # 22 (D, a step) over row 24 (E, a chord tone of C) for every note
    steps = 8
    logits = np.full((MELODY_ROWS + 2, steps), -10.0, np.float32)
    logits[1 + 22] = 1.0
    logits[1 + 24] = 0.6
    logits[MELODY_ROWS + 1] = -10.0
    logits[MELODY_ROWS + 1, ::2] = 10.0  # an onset every 2 steps
    harmony = np.zeros((steps, 12), bool)
    harmony[:, [0, 4, 7]] = True  # C major sounds throughout

    def pitches(offbeat: float) -> list[int]:
        notes = _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0, harmony, beat=4, offbeat=offbeat)
        return [n.pitch for n in notes]

    assert pitches(1.0) == [24, 24, 24, 24]  # every note pulled onto the chord tone
    assert pitches(0.0) == [24, 22, 24, 22]  # on the beats only


def test_the_bass_is_read_at_the_notes_a_bar_it_is_asked_for() -> None:
    from models.config import BASS_ROWS, CHORDS_ROWS, DRUM_ROWS, MELODY_ROWS
    from models.representation import POS_WEIGHT
    from multitrack.song import STEMS, Song, Stem

    # 2 bars of 16 steps, one pitch sounding throughout: sure onsets on beats 1 and 3,
    # doubtful ones (log-odds 1 over the calibrated threshold) on beats 2 and 4
    steps = 32
    logits = np.full((BASS_ROWS + 2, steps), -10.0, np.float32)
    logits[1 + 12] = 4.0
    logits[BASS_ROWS + 1] = -10.0
    for t in range(0, steps, 4):
        logits[BASS_ROWS + 1, t] = 10.0 if t % 8 == 0 else np.log(POS_WEIGHT["bass"]) + 1.0
    template = Song(bars=2, stems={s: Stem(s, (), 0) for s in STEMS})
    empty = {s: np.full((r, steps), -10.0, np.float32)
             for s, r in (("melody", MELODY_ROWS + 2), ("chords", 2 * CHORDS_ROWS),
                          ("drums", DRUM_ROWS))}  # fmt: skip

    def bass(aim: float | None) -> list[int]:
        song = decoding.decode_logits({**empty, "bass": logits}, template, bass=aim)
        return [n.start for n in song.stems["bass"].notes]

    assert bass(None) == [0, 4, 8, 12, 16, 20, 24, 28]
    assert bass(2.0) == [0, 8, 16, 24]  # two a bar: the doubtful onsets held over
    assert bass(4.0) == bass(None)


def test_a_short_note_moves_on_where_a_long_one_may_be_struck_again() -> None:
    from models.config import MELODY_ROWS
    from models.lines import _mono_notes

    # two notes struck at steps 0 and 2 (an eighth, then a held note), then two at 8 and 12
    # (quarters); the pitch rows lean to row 20 throughout, row 22 (a step up) close behind
    steps = 16
    logits = np.full((MELODY_ROWS + 2, steps), -10.0, np.float32)
    logits[1 + 20] = 1.0
    logits[1 + 22] = 0.8
    logits[MELODY_ROWS + 1] = -10.0
    logits[MELODY_ROWS + 1, [0, 2, 8, 12]] = 10.0
    # a table where the repeat is the likeliest single move, as in a fitted one
    table = np.full((MELODY_ROWS, MELODY_ROWS), np.log(0.01), np.float32)
    np.fill_diagonal(table, np.log(0.2))
    for d in (-2, -1, 1, 2):
        idx = np.arange(max(0, -d), min(MELODY_ROWS, MELODY_ROWS - d))
        table[idx, idx + d] = np.log(0.15)

    def read(cost: float) -> list[tuple[int, int]]:
        notes = _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0, transitions=table, merge_scale=8.0,
                            short_repeat=cost)  # fmt: skip
        return [(n.start, n.pitch) for n in notes]

    assert read(0.0) == [(0, 20), (2, 20), (8, 20), (12, 20)]  # the eighth is struck again
    # with the cost the eighth moves on by step; the quarters still repeat their pitch
    got = read(5.0)
    assert [start for start, _ in got] == [0, 2, 8, 12]
    assert abs(got[1][1] - got[0][1]) in (1, 2)
    assert got[3][1] == got[2][1]


def test_a_chord_edit_decodes_its_melody_and_bass_against_the_chords_typed() -> None:
    from models.config import MELODY_ROWS
    from models.representation import _WINDOW, STEM_CHANNELS
    from multitrack.song import Meter, Song, Stem
    from multitrack.theory import Key

    # the network hesitates between two pitches for one melody note; the decoded comping
    # sounds nothing; the typed chord (A minor: A C E) says which of them is a chord tone
    low, rows_ = _WINDOW["melody"]
    steps = 16
    frame = Song(tempo=120.0, meter=Meter(4, 4), key=Key.parse("C major"), bars=1,
                 stems={s: Stem(s, (), 0) for s in ("melody", "chords", "bass", "drums")})  # fmt: skip
    a_row = next(r for r in range(rows_) if (low + r) % 12 == 9 and low + r >= 60)
    logits = {s: np.full((n, steps), -10.0, np.float32) for s, n in STEM_CHANNELS.items()}
    logits["melody"][1 + a_row + 1] = 1.0  # B-flat/B, not in A minor, a little likelier
    logits["melody"][1 + a_row] = 0.9  # A
    logits["melody"][MELODY_ROWS + 1, 0] = 10.0
    forced = np.zeros((steps, 12), bool)
    forced[:, [9, 0, 4]] = True
    plain = decoding.decode_logits(logits, frame, pitch_reader=True)
    edit = decoding.decode_logits(logits, frame, pitch_reader=True, forced=forced)
    assert [n.pitch % 12 for n in plain.stems["melody"].notes] != [9]
    assert [n.pitch % 12 for n in edit.stems["melody"].notes] == [9]


def test_a_step_with_both_hi_hats_keeps_the_open_one() -> None:
    from models.representation import STEM_CHANNELS
    from multitrack.song import DRUM_CLASSES, Meter, Song, Stem
    from multitrack.theory import Key

    steps = 16
    frame = Song(tempo=120.0, meter=Meter(4, 4), key=Key.parse("C major"), bars=1,
                 stems={s: Stem(s, (), 0) for s in ("melody", "chords", "bass", "drums")})  # fmt: skip
    logits = {s: np.full((n, steps), -10.0, np.float32) for s, n in STEM_CHANNELS.items()}
    closed, open_ = DRUM_CLASSES.index("closed_hat"), DRUM_CLASSES.index("open_hat")
    logits["drums"][closed, ::2] = 10.0  # eighths on the closed hat
    logits["drums"][open_, 6] = 10.0  # an open hat on the and of 2, with a closed one there
    hits = {(n.start, n.pitch) for n in decoding.decode_logits(logits, frame).stems["drums"].notes}
    assert (6, open_) in hits and (6, closed) not in hits
    assert {t for t, p in hits if p == closed} == {0, 2, 4, 8, 10, 12, 14}


def test_a_melody_note_is_struck_again_at_the_bar_line_it_would_sound_through() -> None:
    """The corpus's melodies start a note on 0.94 of their downbeats and hold one over the
    bar line 0.003 of the time; the takes did so 0.89 and 0.019."""
    from models.config import MELODY_ROWS
    from models.lines import _mono_notes

    steps = 32
    logits = np.full((MELODY_ROWS + 2, steps), -10.0, np.float32)
    logits[1 + 20, 0:12] = 10.0
    logits[1 + 22, 12:24] = 10.0  # held from beat 4 of bar 1 into bar 2
    logits[1 + 20, 24:32] = 10.0
    logits[MELODY_ROWS + 1, [0, 12, 24]] = 10.0
    held = _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0, bar=16)
    assert (12, 22, 12) in [(n.start, n.pitch, n.duration) for n in held]  # over the bar line
    struck = _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0, bar=16, bar_lines=True)
    assert [(n.start, n.pitch, n.duration) for n in struck] == [
        (0, 20, 12), (12, 22, 4), (16, 22, 8), (24, 20, 8)]  # fmt: skip


def test_a_melody_that_could_zigzag_or_run_on_runs_on_with_a_turn_cost() -> None:
    """Where the network is torn between turning back and going on, the contour's turn cost
    decides for the run; at 0 the path is the one-state-a-row Viterbi's."""
    from models.config import MELODY_ROWS
    from models.lines import _mono_notes

    steps = 16
    logits = np.full((MELODY_ROWS + 2, steps), -10.0, np.float32)
    for k, row in enumerate((20, 22)):
        logits[1 + row, 4 * k : 4 * k + 4] = 10.0
    logits[1 + 20, 8:12] = 8.0  # bar beat 3: back to 20 or on to 24, nearly alike
    logits[1 + 24, 8:12] = 7.9
    logits[1 + 26, 12:16] = 10.0
    logits[MELODY_ROWS + 1, [0, 4, 8, 12]] = 10.0
    plain = _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0)
    assert [n.pitch for n in plain] == [20, 22, 20, 26]
    assert _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0, turn_cost=1e-9) == plain
    ran = _mono_notes(logits, MELODY_ROWS, 0.0, 0, 0, turn_cost=2.0)
    assert [n.pitch for n in ran] == [20, 22, 24, 26]


def test_a_bass_bar_off_its_styles_grooves_takes_one_the_network_hardly_minds() -> None:
    """The corpus's bass bars are one of their style's commonest rhythms 0.96 of the time,
    0.4.2's takes 0.78."""
    from models.grooves import RhythmBook
    from models.lines import _groove_rhythm

    book = RhythmBook(rhythms=(((0, 8), (8, 8)), ((0, 4), (4, 4), (8, 4), (12, 4))),
                      shares=(0.6, 0.3))  # fmt: skip
    sound = np.full(16, 6.0, np.float32)  # sure it sounds throughout
    onset = np.full(16, -6.0, np.float32)
    onset[[0, 8]] = 6.0
    onset[6] = 0.5  # a note on the 'and' of 2 the network barely heard
    sounding, onsets = sound > 0, onset > 0
    s, o = _groove_rhythm(sound, onset, 16, 16.0, sounding, onsets, book)
    assert s.all() and np.flatnonzero(o).tolist() == [0, 8]
    onset[6] = 6.0  # sure of it: the bar keeps its own rhythm
    s, o = _groove_rhythm(sound, onset, 16, 16.0, sounding, onset > 0, book)
    assert np.flatnonzero(o).tolist() == [0, 6, 8]
    silent = np.zeros(16, bool)  # a bar that plays nothing keeps silent
    s, o = _groove_rhythm(sound, onset, 16, 16.0, silent, silent, book)
    assert not s.any() and not o.any()


def test_a_groove_asked_for_by_name_plays_in_every_bar_that_plays() -> None:
    """A named book (``RhythmBook.named``: a walking bass) takes every bar that plays,
    however sure the network is of its own rhythm; a silent bar stays silent."""
    from models.grooves import RhythmBook
    from models.lines import _groove_rhythm

    walk = (((0, 4), (4, 4), (8, 4), (12, 4)),)
    sound = np.full(32, 6.0, np.float32)
    onset = np.full(32, -12.0, np.float32)
    onset[[0, 16]] = 6.0  # sure of one whole note a bar
    sounding = sound > 0
    sounding[16:] = False  # and of silence in the second bar
    onsets = (onset > 0) & sounding
    named = RhythmBook(rhythms=walk, shares=(1.0,), named=True)
    s, o = _groove_rhythm(sound, onset, 16, 16.0, sounding, onsets, named)
    assert np.flatnonzero(o).tolist() == [0, 4, 8, 12] and not s[16:].any()
    _, o = _groove_rhythm(sound, onset, 16, 16.0, sounding, onsets, replace(named, named=False))
    assert np.flatnonzero(o).tolist() == [0]  # out of an unnamed book's reach


def test_a_walking_bass_strikes_every_beat_and_moves() -> None:
    """A bass read with a named groove strikes each of its notes (a pitch the network held
    over is struck again, not merged) and pays to repeat a pitch."""
    from models.grooves import RhythmBook
    from models.lines import _mono_notes

    rows, steps = 12, 16
    logits = np.full((rows + 2, steps), -2.0, np.float32)
    logits[0] = -8.0  # no rest
    logits[1 + 5] = 2.0  # one pitch held through the bar
    logits[rows + 1] = -8.0
    logits[rows + 1, 0] = 8.0
    walk = RhythmBook(rhythms=(((0, 4), (4, 4), (8, 4), (12, 4)),), shares=(1.0,), named=True)
    held = _mono_notes(logits, rows, 0.0, 0, 0)
    assert [(n.start, n.duration) for n in held] == [(0, 16)]
    notes = _mono_notes(logits, rows, 0.0, 0, 0, bar=16, groove=walk)
    assert [(n.start, n.duration) for n in notes] == [(0, 4), (4, 4), (8, 4), (12, 4)]
    pitches = [n.pitch for n in notes]
    assert pitches[0] == 5 and all(a != b for a, b in itertools.pairwise(pitches))


def test_where_the_network_hesitates_a_bass_with_a_step_bonus_steps() -> None:
    """The takes' bass repeated its pitch where the corpus's steps (repeats 0.317 against
    0.242, steps 0.151 against 0.219): ``BASS_STEP_BONUS`` nats a step tip a hesitation."""
    from models.lines import _mono_notes

    rows = 12
    logits = np.full((rows + 2, 16), -6.0, np.float32)
    logits[0] = -10.0  # no rest
    logits[1 + 5, :8] = 4.0  # a note, then the network hesitates: the same pitch, or a step
    logits[1 + 5, 8:] = 1.1
    logits[1 + 7, 8:] = 1.0
    logits[rows + 1, [0, 8]] = 6.0
    assert decoding.BASS_STEP_BONUS > 0
    plain = _mono_notes(logits, rows, 0.0, 0, 0)
    stepping = _mono_notes(logits, rows, 0.0, 0, 0, step_bonus=decoding.BASS_STEP_BONUS)
    assert [n.pitch for n in plain] == [5, 5] and [n.pitch for n in stepping] == [5, 7]


def test_a_bass_leaning_toward_more_notes_takes_the_busier_groove_it_can_reach() -> None:
    """A lean (``RhythmBook.lean``) moves a bar to a busier book rhythm the network finds
    within the book's reach, never to one beyond it."""
    from models.grooves import RhythmBook
    from models.lines import _groove_rhythm

    book = RhythmBook(rhythms=(((0, 8), (8, 8)), ((0, 4), (4, 4), (8, 4), (12, 4))),
                      shares=(0.6, 0.3))  # fmt: skip
    sound = np.full(16, 6.0, np.float32)
    onset = np.full(16, -6.0, np.float32)
    onset[[0, 8]] = 6.0
    onset[[4, 12]] = -1.0  # the network leans against notes on 2 and 4, a little
    sounding, onsets = sound > 0, onset > 0
    _, o = _groove_rhythm(sound, onset, 16, 16.0, sounding, onsets, book)
    assert np.flatnonzero(o).tolist() == [0, 8]  # as read: the half notes are in the book
    _, o = _groove_rhythm(sound, onset, 16, 16.0, sounding, onsets, book.pulled(1.0, 4.0))
    assert np.flatnonzero(o).tolist() == [0, 4, 8, 12]
    onset[[4, 12]] = -12.0  # sure there are none: out of the book's reach, whatever the lean
    _, o = _groove_rhythm(sound, onset, 16, 16.0, sounding, onsets, book.pulled(1.0, 8.0))
    assert np.flatnonzero(o).tolist() == [0, 8]


def test_the_bass_reading_leans_only_when_the_pulls_leave_it_off_its_aim() -> None:
    from models import grooves
    from multitrack.song import Note

    tried: list[tuple[float, float, float]] = []

    def read(extra: float, pull: float, lean: float) -> list[Note]:
        tried.append((extra, pull, lean))
        return [Note(0, 40, 1)] * (4 if lean > 1.0 else 2)

    shifts, pulls, leans = (0.0,), (1.0, 2.0), (1.0, 2.0)
    assert len(grooves.closest_reading(read, len, 4.0, shifts, pulls, leans)) == 4
    assert tried == [(0.0, 1.0, 0.0), (0.0, 2.0, 0.0), (0.0, 1.0, 1.0), (0.0, 1.0, 2.0)]
    tried.clear()  # the readings overshoot: the lean is toward fewer notes
    assert len(grooves.closest_reading(read, len, 1.0, shifts, pulls, leans)) == 2
    assert [lean for *_, lean in tried] == [0.0, 0.0, -1.0, -2.0]
    tried.clear()  # a reading within PULL_WITHIN of the aim: no lean is tried
    assert len(grooves.closest_reading(read, len, 2.0, shifts, pulls, leans)) == 2
    assert tried == [(0.0, 1.0, 0.0)]
