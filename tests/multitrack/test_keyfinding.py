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
