"""What this producer keeps: ratings and feedback in a local SQLite file, and a small
preference model fitted to them that the best-of-k reranking can ask.

The store is ``<output folder>/.preferences.sqlite3`` (stdlib ``sqlite3``). A take rated
-1/0/+1 is stored with ``candidate_features`` of its song; refine feedback is stored with
the change it was read as. A store that is not a readable database is renamed aside
(``.preferences.sqlite3.corrupt-N``) with a warning and a fresh one is started: preferences
never block generation. A store that cannot be written is a ``PreferenceError``.

``PreferenceModel`` is L2-regularised logistic regression (numpy) over standardised
features, liked (+1) against disliked (-1); neutral ratings are kept but not fitted. It is
active once there are ``MIN_RATINGS`` rated takes with both answers among them;
``score(features)`` is then P(liked) - 0.5, in [-0.5, 0.5], and 0 otherwise.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multitrack.errors import MultitrackError
from multitrack.song import STEMS, Song

log = logging.getLogger(__name__)

STORE_NAME = ".preferences.sqlite3"
MIN_RATINGS = 6
# In best-of-k reranking the preference score (P(liked) - 0.5) is added, times this weight,
# to the candidate's second rank term (models.ranking.candidate_rank's harmonic fit, 0-1):
# it breaks near-ties and can outweigh a small fit difference, never the key check.
PREFERENCE_WEIGHT = 1.0
RATINGS = (-1, 0, 1)
FEATURES: tuple[str, ...] = (
    "notes_per_bar", "melody_notes_per_bar", "mean_velocity", "melody_range",
    "melody_mean_pitch", "pentatonic_share", "drum_hits_per_bar",
)  # fmt: skip
_MAJOR_PENTATONIC = (0, 2, 4, 7, 9)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    id INTEGER PRIMARY KEY, take TEXT NOT NULL, rating INTEGER NOT NULL,
    features TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, take TEXT NOT NULL, text TEXT NOT NULL, change TEXT NOT NULL,
    new_take TEXT, created REAL NOT NULL);
"""


class PreferenceError(MultitrackError):
    code = "preferences"


def candidate_features(song: Song) -> np.ndarray:
    """(len(FEATURES),) float64 of one candidate: all notes and melody notes per bar, mean
    velocity, the melody's range and mean pitch (semitones), the share of melody notes in
    the best-fitting major pentatonic set, drum hits per bar."""
    bars = max(1, song.bars)
    notes = [n for name in STEMS for n in song.stems[name].notes]
    melody = song.stems["melody"].notes
    pitches = np.array([n.pitch for n in melody], np.float64)
    share = 0.0
    if len(melody):
        counts = np.bincount(pitches.astype(int) % 12, minlength=12)
        share = max(sum(counts[(t + i) % 12] for i in _MAJOR_PENTATONIC) for t in range(12)) / len(
            melody
        )
    return np.array(
        [
            len(notes) / bars,
            len(melody) / bars,
            float(np.mean([n.velocity for n in notes])) if notes else 0.0,
            float(np.ptp(pitches)) if len(melody) else 0.0,
            float(np.mean(pitches)) if len(melody) else 0.0,
            share,
            len(song.stems["drums"].notes) / bars,
        ]
    )


@dataclass(frozen=True)
class PreferenceModel:
    """Logistic regression over standardised features; ``weights`` per feature in
    ``FEATURES`` order (positive: more of it is liked)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    ratings: int

    @classmethod
    def fit(
        cls, features: np.ndarray, liked: np.ndarray, *, l2: float = 0.01, iterations: int = 2000
    ) -> PreferenceModel:
        """Fit to (n, F) features and n booleans by gradient descent on the mean log loss
        plus ``l2`` times the squared weights (deterministic: no random draws)."""
        x = np.asarray(features, np.float64)
        y = np.asarray(liked, np.float64)
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        z = (x - mean) / scale
        w = np.zeros(x.shape[1])
        b = 0.0
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
            w -= 0.5 * (z.T @ (p - y) / len(y) + l2 * w)
            b -= 0.5 * float(np.mean(p - y))
        return cls(mean, scale, w, b, len(y))

    def score(self, features: np.ndarray) -> float:
        """P(liked) - 0.5 for one candidate's ``candidate_features``."""
        z = (np.asarray(features, np.float64) - self.mean) / self.scale
        return float(1.0 / (1.0 + np.exp(-(z @ self.weights + self.bias)))) - 0.5

    def score_song(self, song: Song) -> float:
        return self.score(candidate_features(song))

    def describe(self) -> dict[str, float]:
        return {name: round(float(w), 3) for name, w in zip(FEATURES, self.weights, strict=True)}


def rerank_key(rank: tuple[float, float], score: float) -> tuple[float, float]:
    """A candidate's best-of-k order with the preference ``score`` folded in."""
    return rank[0], rank[1] + PREFERENCE_WEIGHT * score


def fit_preferences(rows: Sequence[tuple[int, np.ndarray]]) -> PreferenceModel | None:
    """The model for (rating, features) rows, or None until ``MIN_RATINGS`` rows with both
    a like and a dislike among them."""
    rated = [(r, f) for r, f in rows if r != 0]
    if (
        len(rows) < MIN_RATINGS
        or not any(r > 0 for r, _ in rated)
        or not any(r < 0 for r, _ in rated)
    ):
        return None
    x = np.stack([f for _, f in rated])
    y = np.array([r > 0 for r, _ in rated])
    return PreferenceModel.fit(x, y)


class PreferenceStore:
    """The ratings and feedback of one output folder."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.db = connection

    @classmethod
    def open(cls, root: Path) -> PreferenceStore:
        """Open (or create) the store under ``root``. A corrupt file is set aside with a
        warning; a folder that cannot be written raises ``PreferenceError``."""
        path = Path(root) / STORE_NAME
        try:
            Path(root).mkdir(parents=True, exist_ok=True)
            return cls(path, _connect(path))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).lower():
                raise PreferenceError(f"cannot write the preference store {path}: {exc}") from None
            if not path.exists() or "unable to open" in str(exc):
                raise PreferenceError(f"cannot write the preference store {path}: {exc}") from None
            aside = _set_aside(path)
            log.warning("preference store %s was unreadable (%s); moved to %s", path, exc, aside)
            try:
                return cls(path, _connect(path))
            except sqlite3.DatabaseError as again:
                raise PreferenceError(
                    f"cannot write the preference store {path}: {again}"
                ) from None
        except OSError as exc:
            raise PreferenceError(
                f"cannot write the preference store {path}: {exc.strerror or exc}"
            ) from None

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        try:
            with self.db:
                self.db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise PreferenceError(f"cannot write the preference store {self.path}: {exc}") from None

    def add_rating(self, take: str, rating: int, song: Song) -> None:
        if rating not in RATINGS:
            raise PreferenceError(f"a rating is -1, 0 or 1, got {rating}")
        features = json.dumps([round(float(v), 6) for v in candidate_features(song)])
        self._write(
            "INSERT INTO ratings (take, rating, features, created) VALUES (?, ?, ?, ?)",
            (take, rating, features, time.time()),
        )

    def add_feedback(
        self, take: str, text: str, change: dict[str, object], *, new_take: str | None = None
    ) -> None:
        self._write(
            "INSERT INTO feedback (take, text, change, new_take, created) VALUES (?, ?, ?, ?, ?)",
            (take, text, json.dumps(change, ensure_ascii=False), new_take, time.time()),
        )

    def ratings(self) -> list[tuple[str, int, np.ndarray]]:
        """(take, rating, features) in the order given; a later rating of a take replaces
        an earlier one."""
        rows = self.db.execute("SELECT take, rating, features FROM ratings ORDER BY id").fetchall()
        latest: dict[str, tuple[str, int, np.ndarray]] = {}
        for take, rating, features in rows:
            values = json.loads(features)
            if len(values) == len(FEATURES):
                latest.pop(take, None)
                latest[take] = (take, int(rating), np.array(values, np.float64))
        return list(latest.values())

    def feedback(self) -> list[tuple[str, str, str | None]]:
        return [
            (t, x, n)
            for t, x, n in self.db.execute("SELECT take, text, new_take FROM feedback ORDER BY id")
        ]

    def model(self) -> PreferenceModel | None:
        return fit_preferences([(r, f) for _, r, f in self.ratings()])

    def reset(self) -> int:
        """Forget every rating and feedback; returns how many rows were removed."""
        n = len(self.db.execute("SELECT id FROM ratings").fetchall())
        n += len(self.db.execute("SELECT id FROM feedback").fetchall())
        self._write("DELETE FROM ratings", ())
        self._write("DELETE FROM feedback", ())
        return n

    def close(self) -> None:
        self.db.close()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA schema_version").fetchone()  # reads the header: fails if not a DB
        db.executescript(_SCHEMA)
        for table, columns in (("ratings", 5), ("feedback", 6)):
            found = db.execute(f"PRAGMA table_info({table})").fetchall()
            if len(found) != columns:
                raise sqlite3.DatabaseError(f"table {table} has an unknown layout")
    except BaseException:
        db.close()
        raise
    return db


def _set_aside(path: Path) -> Path:
    n = 1
    while (aside := path.with_name(f"{path.name}.corrupt-{n}")).exists():
        n += 1
    path.rename(aside)
    return aside


def preference_scorer(root: Path) -> PreferenceModel | None:
    """The fitted model of the store under ``root`` for reranking, or None (too few
    ratings, no store, or a store that cannot be opened: logged, never raised)."""
    if not (Path(root) / STORE_NAME).exists():
        return None
    try:
        store = PreferenceStore.open(root)
    except PreferenceError as exc:
        log.warning("%s", exc)
        return None
    try:
        return store.model()
    finally:
        store.close()
