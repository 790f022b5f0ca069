"""Preference store and model: simulated ratings that prefer a trait move kept candidates
toward it; the store keeps the latest rating of a take and sets a corrupt file aside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from multitrack.example import example_song
from multitrack.prefs import (
    FEATURES,
    MIN_RATINGS,
    STORE_NAME,
    PreferenceError,
    PreferenceModel,
    PreferenceStore,
    candidate_features,
    fit_preferences,
    preference_scorer,
    rerank_key,
)

DENSITY = FEATURES.index("notes_per_bar")


def _pool(rng: np.random.Generator, k: int = 6) -> np.ndarray:
    x = rng.normal(size=(k, len(FEATURES)))
    x[:, DENSITY] = rng.uniform(8, 30, k)
    return x


def test_simulated_ratings_for_density_move_kept_candidates_toward_it() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(10):  # ten rated pools: the denser half liked
        pool = _pool(rng)
        median = np.median(pool[:, DENSITY])
        rows += [(1 if f[DENSITY] > median else -1, f) for f in pool]
    model = fit_preferences(rows)
    assert model is not None and model.ratings == 60
    weights = model.describe()
    assert weights["notes_per_bar"] == max(weights.values()) and weights["notes_per_bar"] > 1
    base, kept = [], []
    for _ in range(200):
        pool = _pool(rng)
        fit = rng.uniform(0.4, 0.6, len(pool))  # the model's own rank: a near-tie
        order = [
            rerank_key((1.0, float(h)), model.score(f)) for f, h in zip(pool, fit, strict=True)
        ]
        base.append(pool[int(np.argmax(fit)), DENSITY])
        kept.append(pool[max(range(len(pool)), key=lambda i: order[i]), DENSITY])
    assert np.mean(kept) - np.mean(base) > 5  # notes per bar
    # the key check still decides first
    assert rerank_key((1.0, 0.0), -0.5) > rerank_key((0.0, 1.0), 0.5)


def test_the_model_waits_for_enough_ratings_of_both_kinds() -> None:
    f = np.zeros(len(FEATURES))
    assert fit_preferences([(1, f)] * (MIN_RATINGS - 1) + [(-1, f)][:0]) is None
    assert fit_preferences([(1, f)] * MIN_RATINGS) is None  # nothing disliked
    assert fit_preferences([(1, f)] * 3 + [(-1, f + 1)] * 3) is not None
    fitted = PreferenceModel.fit(np.eye(2).repeat(3, axis=0), np.array([1, 1, 1, 0, 0, 0]))
    assert fitted.score(np.array([1.0, 0.0])) > 0 > fitted.score(np.array([0.0, 1.0]))


def test_candidate_features_of_the_example() -> None:
    song = example_song()
    f = dict(zip(FEATURES, candidate_features(song), strict=True))
    n = sum(len(s.notes) for s in song.stems.values())
    assert f["notes_per_bar"] == pytest.approx(n / song.bars)
    assert f["drum_hits_per_bar"] == pytest.approx(len(song.stems["drums"].notes) / song.bars)
    assert 0.0 < f["pentatonic_share"] <= 1.0


def test_store_keeps_the_latest_rating_and_resets(tmp_path: Path) -> None:
    song = example_song()
    store = PreferenceStore.open(tmp_path)
    store.add_rating("take-001", 1, song)
    store.add_rating("take-002", -1, song)
    store.add_rating("take-001", 0, song)
    assert [(t, r) for t, r, _ in store.ratings()] == [("take-002", -1), ("take-001", 0)]
    with pytest.raises(PreferenceError, match="-1, 0 or 1"):
        store.add_rating("take-003", 5, song)
    store.add_feedback("take-001", "太沉闷了", {"energy": 1}, new_take="take-004")
    assert store.feedback() == [("take-001", "太沉闷了", "take-004")]
    assert store.model() is None and preference_scorer(tmp_path) is None
    assert store.reset() == 4 and store.ratings() == []
    store.close()


def test_a_corrupt_store_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / STORE_NAME).write_bytes(b"\x00garbage" * 64)
    store = PreferenceStore.open(tmp_path)
    assert store.ratings() == []
    store.close()
    assert (tmp_path / f"{STORE_NAME}.corrupt-1").exists()
    (tmp_path / STORE_NAME).write_bytes(b"again")
    assert preference_scorer(tmp_path) is None  # never raises, never blocks
    assert (tmp_path / f"{STORE_NAME}.corrupt-2").exists()
