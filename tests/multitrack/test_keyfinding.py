"""Key finding: our written-out profiles are music21's, and both readers use them."""

from __future__ import annotations

import numpy as np
import pytest

from multitrack.errors import MusicError
from multitrack.keyfinding import KRUMHANSL_MAJOR, KRUMHANSL_MINOR, key_of_histogram


def test_krumhansl_tables_are_music21s() -> None:
    from music21.analysis import discrete

    analyser = discrete.KrumhanslSchmuckler()
    assert list(KRUMHANSL_MAJOR) == analyser.getWeights("major")
    assert list(KRUMHANSL_MINOR) == analyser.getWeights("minor")


def test_histogram_of_a_scale_finds_its_key() -> None:
    g_major = np.zeros(12)
    g_major[[7, 9, 11, 0, 2, 4, 6]] = 1.0
    g_major[7] = 3.0
    found = key_of_histogram(g_major)
    assert found is not None and found.name == "G major"
    assert key_of_histogram(np.ones(12)) is None


def test_unknown_method_is_refused() -> None:
    with pytest.raises(MusicError, match="key method"):
        key_of_histogram(np.ones(12), method="temperley")


def test_progression_histogram_weighs_chord_tones_by_duration() -> None:
    from multitrack.harmony import progression_histogram
    from multitrack.progression import parse_progression
    from multitrack.song import Meter

    hist = progression_histogram(parse_progression("Am:2 F:2 N.C. C", Meter()))
    # Am and F two beats (8 steps) each, then a silent bar, then a bar of C
    assert hist[5] == 8  # F: only in F
    assert hist[9] == 8 + 8  # A: in Am and in F
    assert hist[0] == 8 + 8 + 16  # C: in Am, in F and the whole-bar C
    assert hist[[1, 3, 6, 8, 10]].sum() == 0


def test_scale_fit_is_the_share_inside_the_diatonic_scale() -> None:
    from multitrack.harmony import progression_histogram
    from multitrack.keyfinding import scale_fit
    from multitrack.progression import parse_progression
    from multitrack.song import Meter
    from multitrack.theory import Key

    hist = progression_histogram(parse_progression("Am F C G", Meter()))
    assert scale_fit(hist, Key.parse("C major")) == 1.0
    assert scale_fit(hist, Key.parse("G major")) == pytest.approx(11 / 12)  # F
    assert scale_fit(hist, Key.parse("Bb major")) == pytest.approx(9 / 12)  # E, E, B
    # a pentatonic mode is read through its gong's major scale: C gong = C major's notes
    assert scale_fit(hist, Key.parse("C gong")) == 1.0
    assert scale_fit(np.zeros(12), Key.parse("C major")) == 1.0
