"""Feature distributions against a reference set: overlapped area (Yang & Lerch 2020).

A reference set is the held-out corpus windows' feature values, stored as JSON::

    {"format": "multitrack.reference/1", "features": {name: [values ...]}, "count": n,
     "source": "...", "key_agreement": 0.93}

``compare_to_reference`` gives, per feature of ``metrics.FEATURES``, the mean of the
evaluated songs, the reference mean, the relative difference and the overlapped area of the
two distributions, each smoothed by a Gaussian kernel density estimate with Scott's
bandwidth (what ``scipy.stats.gaussian_kde`` does in 1-D, written in numpy so no SciPy is
needed at run time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from multitrack.atomic import write_text_atomic
from multitrack.errors import MultitrackError, OutputError
from multitrack.metrics import FEATURES, MetricValue, song_metrics
from multitrack.song import Song

FORMAT = "multitrack.reference/1"
REFERENCE_FILENAME = "reference.json"
GRID_POINTS = 4096  # least integration points for the overlapped area
MAX_GRID_POINTS = 65536
POINTS_PER_BANDWIDTH = 4  # at least this many points per (narrowest) kernel width
TAIL_BANDWIDTHS = 4.0  # the integral reaches this many bandwidths past the data
_BLOCK = 1 << 22  # kernel evaluations per block, to bound memory (32 MB)


class ReferenceFileError(MultitrackError):
    """A reference file that is missing or not a reference set."""

    code = "bad_reference"


@dataclass(frozen=True)
class Reference:
    """A reference set: ``features`` name -> values (Nones dropped), from ``count`` songs."""

    features: dict[str, list[float]]
    count: int
    source: str = ""
    key_agreement: float | None = None


# -- kernel density and overlap ------------------------------------------------------------


def scott_bandwidth(samples: NDArray[np.float64]) -> float:
    """Scott's rule in 1-D: sample standard deviation (ddof 1) times n^(-1/5); 0 if n < 2."""
    if samples.size < 2:
        return 0.0
    return float(samples.std(ddof=1) * samples.size ** (-0.2))


def kde(
    samples: NDArray[np.float64], points: NDArray[np.float64], bandwidth: float
) -> NDArray[np.float64]:
    """Gaussian kernel density of ``samples`` at ``points`` (both 1-D), kernel s.d. ``bandwidth``."""
    density = np.zeros(points.shape, np.float64)
    chunk = max(1, _BLOCK // max(1, points.size))
    for lo in range(0, samples.size, chunk):
        z = (points[None, :] - samples[lo : lo + chunk, None]) / bandwidth
        density += np.exp(-0.5 * z * z).sum(axis=0)
    return density / (samples.size * bandwidth * np.sqrt(2 * np.pi))


def overlapped_area(first: Sequence[float], second: Sequence[float]) -> float | None:
    """OA (0-1): the integral of min(p, q) of the two samples' Gaussian KDEs.

    Scott's bandwidth per sample. A sample with no spread (all values equal, or one value)
    borrows the other sample's bandwidth; when neither has spread, two point masses overlap
    fully (1.0) at one value and not at all (0.0) at two. The integral runs over the pooled
    data range widened by 4 bandwidths on each side, trapezoidal on 4096 points or more (at
    least 4 per narrowest bandwidth, at most 65536). None if either sample is empty.
    """
    a = np.asarray(first, np.float64)
    b = np.asarray(second, np.float64)
    if a.size == 0 or b.size == 0:
        return None
    widths = [scott_bandwidth(a), scott_bandwidth(b)]
    if max(widths) == 0.0:
        return 1.0 if a.min() == a.max() == b.min() == b.max() else 0.0
    widths = [w if w > 0 else max(widths) for w in widths]
    pooled = np.concatenate([a, b])
    reach = TAIL_BANDWIDTHS * max(widths)
    lo, hi = pooled.min() - reach, pooled.max() + reach
    fine = math.ceil((hi - lo) / min(widths) * POINTS_PER_BANDWIDTH)
    points = np.linspace(lo, hi, min(MAX_GRID_POINTS, max(GRID_POINTS, fine)))
    low = np.minimum(kde(a, points, widths[0]), kde(b, points, widths[1]))
    area = float(((low[1:] + low[:-1]) * 0.5 * np.diff(points)).sum())
    return min(1.0, area)


# -- reference sets ------------------------------------------------------------------------


def collect_features(rows: Iterable[Mapping[str, MetricValue]]) -> dict[str, list[float]]:
    """Per feature of ``FEATURES``, the numeric values found in metric rows (Nones dropped)."""
    out: dict[str, list[float]] = {name: [] for name in FEATURES}
    for row in rows:
        for name in FEATURES:
            value = row.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[name].append(float(value))
    return out


def reference_features(songs: Iterable[Song]) -> dict[str, list[float]]:
    """Feature values of ``songs`` (``song_metrics`` without key comparison)."""
    return collect_features(song_metrics(song) for song in songs)


def write_reference(
    path: Path,
    songs: Iterable[Song],
    *,
    source: str = "",
    progress: Callable[[float, str], None] | None = None,
    total: int | None = None,
) -> Reference:
    """Measure ``songs`` and write the reference set to ``path`` atomically.

    Each song's own ``key`` is the asked key of ``key_agreement`` (the share of songs whose
    found key agrees, music21's agreement with the corpus labels). ``progress(fraction,
    message)`` is called after each song when ``total`` (the number of songs) is given.
    """
    path = Path(path)
    rows = []
    agree = 0
    for i, song in enumerate(songs):
        row = song_metrics(song, asked_key=song.key)
        rows.append(row)
        agree += bool(row["key_agrees"])
        if progress is not None and total:
            progress(min(1.0, (i + 1) / total), f"measured {i + 1}/{total} songs")
    ref = Reference(
        features=collect_features(rows),
        count=len(rows),
        source=source,
        key_agreement=agree / len(rows) if rows else None,
    )
    doc = {
        "format": FORMAT,
        "features": ref.features,
        "count": ref.count,
        "source": ref.source,
        "key_agreement": ref.key_agreement,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(doc, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise ReferenceFileError(f"cannot write reference set {path}: {exc.strerror}") from None
    except OutputError as exc:  # the atomic writer's "cannot write <path>: <reason>"
        raise ReferenceFileError(f"reference set: {exc}") from None
    return ref


def read_reference(path: Path) -> Reference:
    """Read a reference set: a JSON file, or a folder holding ``reference.json``."""
    path = Path(path)
    if path.is_dir():
        path = path / REFERENCE_FILENAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceFileError(f"{path}: no such reference set") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceFileError(f"{path}: not a reference set ({exc})") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, dict) or not all(
        isinstance(v, list) and all(isinstance(x, int | float) for x in v)
        for v in features.values()
    ):
        raise ReferenceFileError(f"{path}: not a reference set (no 'features' of number lists)")
    agreement = doc.get("key_agreement")
    return Reference(
        features={str(k): [float(x) for x in v] for k, v in features.items()},
        count=int(doc.get("count", 0)),
        source=str(doc.get("source", "")),
        key_agreement=float(agreement) if isinstance(agreement, int | float) else None,
    )


def compare_to_reference(
    features: Mapping[str, Sequence[float]], reference: Mapping[str, Sequence[float]]
) -> dict[str, object]:
    """Per feature present in both: ``mean``, ``reference_mean``, ``relative_difference``
    ((mean - ref) / |ref|, None when the reference mean is 0), ``oa`` and the counts; plus
    ``mean_oa`` over the features that have an OA."""
    rows: dict[str, dict[str, float | int | None]] = {}
    for name in [n for n in FEATURES if n in features and n in reference] + sorted(
        n for n in features if n in reference and n not in FEATURES
    ):
        ours, ref = list(features[name]), list(reference[name])
        mean = float(np.mean(ours)) if ours else None
        ref_mean = float(np.mean(ref)) if ref else None
        diff = None
        if mean is not None and ref_mean is not None and ref_mean != 0:
            diff = (mean - ref_mean) / abs(ref_mean)
        rows[name] = {
            "mean": mean,
            "reference_mean": ref_mean,
            "relative_difference": diff,
            "oa": overlapped_area(ours, ref),
            "count": len(ours),
            "reference_count": len(ref),
        }
    oas = [r["oa"] for r in rows.values() if r["oa"] is not None]
    return {"features": rows, "mean_oa": float(np.mean(oas)) if oas else None}
