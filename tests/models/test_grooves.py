"""A style's grooves (models.grooves): the rhythm books fitted on the corpus."""

from __future__ import annotations

import numpy as np
import pytest

from models import grooves


def test_a_rhythm_book_is_fitted_from_bars_and_read_back_from_meta() -> None:
    from collections import Counter

    two = ((0, 8), (8, 8))
    counts = {"pop 4/4": Counter({two: 5, ((0, 8), (8, 4)): 1, ((0, 16),): 3, ((4, 4),): 1})}
    meta = grooves.fit_rhythm_books(counts, size=2)
    # strike patterns counted by their steps, played with their commonest lengths
    assert meta == {"pop 4/4": [[[[0, 8], [8, 8]], 0.6], [[[0, 16]], 0.3]]}
    book = grooves.RhythmBook.from_meta(meta["pop 4/4"])
    assert book.rhythms == (two, ((0, 16),))
    assert book.bonus([0, 8]) == pytest.approx(np.log(0.6 / grooves.RHYTHM_FLOOR))
    assert book.bonus([0, 4]) == 0.0  # outside the book
    assert grooves.book_key(None, "3/4") == "* 3/4"


def test_a_books_masks_sound_each_strike_its_length() -> None:
    book = grooves.RhythmBook(rhythms=(((0, 6), (8, 8)), ((4, 0), (12, 20))), shares=(0.6, 0.3))
    sounding, onsets, bonus = book.masks(16)
    assert np.flatnonzero(onsets[0]).tolist() == [0, 8]
    assert np.flatnonzero(sounding[0]).tolist() == [*range(6), *range(8, 16)]
    # a zero length sounds its step; a length past the bar line stops at it
    assert np.flatnonzero(sounding[1]).tolist() == [4, 12, 13, 14, 15]
    assert bonus.tolist() == pytest.approx([book.bonus([0, 8]), book.bonus([4, 12])])


def test_a_pulled_book_likes_its_rhythms_more_by_the_pull() -> None:
    book = grooves.RhythmBook(rhythms=(((0, 8), (8, 8)),), shares=(0.5,))
    assert book.pulled(1.0) is book
    strong = book.pulled(4.0)
    assert strong.bonus([0, 8]) == pytest.approx(4 * book.bonus([0, 8]))
    assert strong.bonus([0, 4]) == 0.0
    assert strong.masks(16)[2].tolist() == pytest.approx([4 * book.bonus([0, 8])])
    assert strong.pulled(2.0).weight == 8.0


def test_a_leaning_book_likes_each_strike_past_a_bars_own_by_the_lean() -> None:
    book = grooves.RhythmBook(rhythms=(((0, 8), (8, 8)), ((0, 4), (4, 4), (8, 4), (12, 4))),
                              shares=(0.6, 0.3))  # fmt: skip
    _, onsets, bonus = book.masks(16)
    counts = onsets.sum(axis=1)
    assert book.leaning(bonus, counts, 2) is bonus  # no lean: the bonus as it was
    busier = book.pulled(1.0, 2.0)
    assert busier.lean == 2.0 and busier.weight == 1.0
    # against a bar striking twice: the four-strike rhythm gains 2 nats a strike more
    assert busier.leaning(bonus, counts, 2).tolist() == pytest.approx([bonus[0], bonus[1] + 4])
    sparser = book.pulled(4.0, -1.0)  # toward fewer strikes, at the pull
    assert sparser.leaning(bonus, counts, 4).tolist() == pytest.approx([bonus[0] + 2, bonus[1]])
    assert sparser.pulled(1.0).lean == 0.0


def test_a_drum_book_plays_a_bar_as_the_source_did_where_the_network_hardly_minds() -> None:
    # two rows (kick, snare), bars of 4 steps; the source's groove: kick 0, snare 2
    groove = frozenset({(0, 0), (1, 2)})
    book = grooves.DrumBook((groove,), (1.0,), weight=2.0)
    reach = book.bonus(groove)
    assert reach == pytest.approx(2.0 * np.log(1.0 / grooves.RHYTHM_FLOOR))
    margin = np.full((2, 12), -3.0, np.float32)
    margin[0, 0] = margin[1, 2] = 2.0  # bar 0 reads the groove
    margin[0, 4] = margin[0, 5] = 1.0  # bar 1: kick 0 and 1, one log-odd over the threshold
    margin[1, 6] = -1.0  # ... and its snare one under
    margin[0, 8] = 40.0  # bar 2: a kick on 0 the network is sure of, and a snare on 3
    margin[1, 11] = 40.0
    hit = margin > 0
    out = book.read(margin, hit, 4, nats=64.0)
    assert (out[:, :4] == hit[:, :4]).all()  # its own reading is the groove
    assert grooves.drum_pattern(out[:, 4:8]) == groove  # 2 nats away: played as the source
    assert (out[:, 8:] == hit[:, 8:]).all()  # 43 nats from it, beyond the bonus: as read
    # a bar the network left silent stays silent; no reach, no change
    silent = hit.copy()
    silent[:, 4:8] = False
    assert not book.read(margin, silent, 4, nats=64.0)[:, 4:8].any()
    # beyond ``nats`` a pattern is not tried, however strong its bonus
    assert (book.read(margin, hit, 4, nats=1.0)[:, 4:8] == hit[:, 4:8]).all()
    assert (grooves.DrumBook((groove,), (1.0,), weight=0.0).read(margin, hit, 4, 64.0) == hit).all()


def test_a_source_s_drum_patterns_are_its_bars_that_play_with_their_shares() -> None:
    from dataclasses import replace

    from models.aims import source_drums
    from multitrack.song import Note, Song, Stem

    song = Song(bars=4)
    bar = song.meter.steps_per_bar
    hits = [Note(b * bar, 0) for b in (0, 1, 3)] + [Note(b * bar + 4, 1) for b in (0, 1)]
    song = replace(song, stems={**song.stems, "drums": Stem("drums", tuple(sorted(hits)), 0)})
    patterns = grooves.drum_patterns(song)
    # bar 2 is silent; bars 0 and 1 play kick and snare, bar 3 the kick alone
    assert patterns == [frozenset({(0, 0), (1, 4)})] * 2 + [frozenset({(0, 0)})]
    book = source_drums(song)
    assert book is not None
    assert book.patterns[0] == frozenset({(0, 0), (1, 4)})
    assert book.shares == pytest.approx((2 / 3, 1 / 3))
    silent = replace(song, stems={**song.stems, "drums": Stem("drums", (), 0)})
    assert source_drums(silent) is None
    # an edit that re-plays the take reads its drums with them; kept drums, a new take,
    # or the switch off, without
    from models import aims

    band = aims.BandAims.from_meta({})
    assert band.drums(song, set()) == book
    assert band.drums(song, {"drums"}) is None and band.drums(None, set()) is None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(aims, "SOURCE_DRUMS", False)
        assert band.drums(song, set()) is None
