"""Overlapped area and reference sets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multitrack.example import example_song
from multitrack.metrics import FEATURES
from multitrack.reference import (
    FORMAT,
    ReferenceFileError,
    compare_to_reference,
    kde,
    overlapped_area,
    read_reference,
    reference_features,
    scott_bandwidth,
    write_reference,
)
from multitrack.song import Note, Song, Stem


def test_oa_of_identical_samples_is_one_and_of_disjoint_samples_zero() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, 200).tolist()
    assert overlapped_area(a, a) == pytest.approx(1.0, abs=1e-3)
    assert overlapped_area(a, [x + 100.0 for x in a]) == pytest.approx(0.0, abs=1e-6)


def test_oa_of_two_normals_half_a_sigma_apart() -> None:
    # two unit normals d apart overlap 2 * Phi(-d / 2) = 0.8026 for d = 0.5; the KDE widens both
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, 4000)
    b = rng.normal(0.5, 1.0, 4000)
    assert overlapped_area(a.tolist(), b.tolist()) == pytest.approx(0.8026, abs=0.03)


def test_oa_is_symmetric_and_handles_constant_samples() -> None:
    a, b = [0.1, 0.2, 0.4, 0.4], [0.3, 0.5, 0.9]
    assert overlapped_area(a, b) == pytest.approx(overlapped_area(b, a))
    assert overlapped_area([0.0] * 5, [0.0] * 9) == 1.0
    assert overlapped_area([0.0] * 5, [1.0] * 5) == pytest.approx(0.0, abs=1e-3)
    assert 0.0 < (overlapped_area([0.0] * 5, [0.0, 0.0, 0.1]) or 0.0) < 1.0
    assert overlapped_area([], [1.0]) is None


def test_kde_is_scipys_gaussian_kde() -> None:
    stats = pytest.importorskip("scipy.stats")
    x = np.array([0.0, 0.5, 0.55, 2.0, 3.5])
    points = np.linspace(-2, 6, 50)
    expected = stats.gaussian_kde(x)(points)
    assert np.allclose(kde(x, points, scott_bandwidth(x)), expected)


def test_compare_to_reference_gives_means_differences_and_oa() -> None:
    ours = {"td": [0.5, 0.7], "dp": [1.0, 1.0]}
    ref = {"td": [0.4, 0.6], "dp": [0.0, 0.0], "eb": [0.1]}
    out = compare_to_reference(ours, ref)
    rows = out["features"]
    assert isinstance(rows, dict)
    assert list(rows) == ["dp", "td"]  # FEATURES order, only those in both
    assert rows["td"]["mean"] == pytest.approx(0.6)
    assert rows["td"]["reference_mean"] == pytest.approx(0.5)
    assert rows["td"]["relative_difference"] == pytest.approx(0.2)
    assert rows["dp"]["relative_difference"] is None  # reference mean 0
    assert rows["dp"]["oa"] == pytest.approx(0.0, abs=1e-3)
    assert out["mean_oa"] == pytest.approx((rows["td"]["oa"] + rows["dp"]["oa"]) / 2)


def test_reference_round_trip(tmp_path: Path) -> None:
    songs = [example_song(), example_song().with_stem("drums", [])]
    path = tmp_path / "ref" / "reference.json"
    written = write_reference(path, songs, source="unit test")
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT and doc["count"] == 2 and doc["source"] == "unit test"
    assert doc["key_agreement"] == 0.0  # the example reads as C major, labelled A minor
    assert set(doc["features"]) == set(FEATURES)
    ref = read_reference(path.parent)  # a folder holding reference.json
    assert ref == written
    assert ref.features["eb_drums"] == [0.0, 1.0]
    assert ref.features["dp"] == [doc["features"]["dp"][0]]  # None dropped
    assert reference_features(songs) == ref.features
    assert [p.name for p in path.parent.iterdir()] == ["reference.json"]  # no temporary left
    assert compare_to_reference(ref.features, ref.features)["mean_oa"] == pytest.approx(
        1.0, abs=1e-3
    )


def test_bad_reference_files(tmp_path: Path) -> None:
    with pytest.raises(ReferenceFileError, match="no such reference set"):
        read_reference(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"features": {"td": ["x"]}}')
    with pytest.raises(ReferenceFileError, match="not a reference set"):
        read_reference(bad)
    bad.write_text("{truncated")
    with pytest.raises(ReferenceFileError, match="not a reference set"):
        read_reference(bad)


def test_reference_of_sparse_songs_keeps_only_numbers() -> None:
    one = Song(bars=1, stems={"melody": Stem("melody", (Note(0, 60),))})
    feats = reference_features([one])
    assert feats["density_melody"] == [1.0]
    assert feats["td"] == [] and feats["groove_consistency"] == []
