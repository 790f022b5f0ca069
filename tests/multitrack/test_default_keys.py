"""The key policy: a mode alone takes its usual tonic; no key at all is drawn by the seed."""

from __future__ import annotations

import pytest

from multitrack.default_keys import MAJOR_TONICS, default_key, key_for_mode
from multitrack.errors import MusicError
from multitrack.theory import Key


def test_a_mode_named_alone_takes_its_usual_tonic() -> None:
    assert [str(key_for_mode(m)) for m in ("major", "minor", "zhi", "shang", "yu")] == [
        "C major", "A minor", "G zhi", "D shang", "A yu"]  # fmt: skip
    with pytest.raises(MusicError, match="mode 'dorian' has no usual tonic"):
        key_for_mode("dorian")


def test_the_seed_draws_the_same_keys_as_before_the_move() -> None:
    """Values of models.pipeline.default_key before it moved here (same seed, same key)."""
    drawn = [str(default_key(style=s, mood=m, seed=k)) for s, m in (
        (None, None), ("guofeng", None), (None, "sad")) for k in (0, 1, 7)]  # fmt: skip
    assert drawn == ["A major", "F major", "E major", "Bb yu", "D yu", "Bb yu",
                     "F# minor", "B minor", "F minor"]  # fmt: skip


def test_moods_and_styles_choose_the_mode() -> None:
    keys = [default_key(style="pop", mood="happy", seed=k) for k in range(40)]
    assert {k.mode for k in keys} == {"major"}
    assert {k.mode for k in (default_key(style=None, mood="dark", seed=k) for k in range(40))} == {
        "minor"
    }
    guofeng = [default_key(style="guofeng", mood="sad", seed=k) for k in range(60)]
    assert all(k.is_pentatonic for k in guofeng)
    assert {k.tonic for k in guofeng} <= {Key.parse(t).tonic for t in MAJOR_TONICS[:5]}
