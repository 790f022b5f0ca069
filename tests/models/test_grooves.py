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
