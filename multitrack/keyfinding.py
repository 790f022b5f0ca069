"""Key finding: which of the 24 major/minor keys a pitch-class histogram sounds like.

Pearson's r of the duration-weighted pitch-class histogram with each rotation of a key
profile, the computation of music21's ``KeyWeightKeyAnalysis`` without building a Stream.
The Krumhansl-Kessler profiles are written out here (they are exactly music21's
``KrumhanslSchmuckler.getWeights``, checked by a test), so reading a MIDI file without a key
signature does not import music21; the Aarden-Essen profiles come from music21 when asked.
Used by the metrics (key agreement) and by the MIDI reader (a key for unsigned files).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from multitrack.errors import MusicError
from multitrack.theory import Key

MODES_MAJOR_MINOR = ("major", "minor")
KRUMHANSL_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KRUMHANSL_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


@dataclass(frozen=True)
class KeyEstimate:
    """The key a profile analysis finds: ``tonic`` pitch class 0-11, ``mode`` major or minor,
    ``correlation`` Pearson's r (-1..1) of the pitch-class histogram with the key's profile."""

    tonic: int
    mode: str
    correlation: float

    @property
    def name(self) -> str:
        """Conventionally spelled: "A minor", "Eb major"."""
        return str(Key(self.tonic, self.mode))


@cache
def profiles(method: str) -> NDArray[np.float64]:
    """(2, 12, 12) profiles [mode, tonic, pitch class]: "krumhansl" or "aarden"."""
    tables: tuple[tuple[float, ...], ...]
    if method == "krumhansl":
        tables = (KRUMHANSL_MAJOR, KRUMHANSL_MINOR)
    elif method == "aarden":
        from music21.analysis import discrete

        analyser = discrete.AardenEssen()
        tables = tuple(tuple(analyser.getWeights(mode)) for mode in MODES_MAJOR_MINOR)
    else:
        raise MusicError(f"key method must be 'krumhansl' or 'aarden', got {method!r}")
    out = np.zeros((2, 12, 12), np.float64)
    for m, weights in enumerate(tables):
        for tonic in range(12):
            out[m, tonic] = np.roll(np.asarray(weights, np.float64), tonic)
    return out


def key_of_histogram(hist: NDArray[np.float64], *, method: str = "krumhansl") -> KeyEstimate | None:
    """The best of the 24 keys for a (12,) pitch-class histogram (any scale); None when the
    histogram is flat (no notes, or every pitch class equally long)."""
    prof = profiles(method)
    centred = hist - hist.mean()
    if not centred.any():
        return None
    prof = prof - prof.mean(axis=2, keepdims=True)
    r = (prof @ centred) / np.sqrt((prof**2).sum(axis=2) * (centred**2).sum())  # (2, 12)
    m, tonic = np.unravel_index(int(np.argmax(r)), r.shape)
    return KeyEstimate(int(tonic), MODES_MAJOR_MINOR[int(m)], float(r[m, tonic]))


def key_relation(found: KeyEstimate, key: Key) -> tuple[str, bool]:
    """How the found key stands to the asked one, and whether that counts as agreement.

    Relations: "same" (tonic pitch class and major/minor equal; enharmonics are equal),
    "relative", "parallel", "different". A major or minor key agrees only when "same". Any
    other mode (dorian ... and the Chinese 宫商角徵羽) is read as its tonic with the major or
    minor flavour of ``Key.is_minor`` ("same"), or as the major/minor pair that shares its
    scale, e.g. D zhi -> G major / E minor ("relative"); both agree.
    """
    mode = "minor" if key.is_minor else "major"
    here = (found.tonic, found.mode)
    if key.mode in MODES_MAJOR_MINOR:
        rel = (
            (key.tonic + (9 if mode == "major" else 3)) % 12,
            ("minor" if mode == "major" else "major"),
        )
        if here == (key.tonic, mode):
            return "same", True
        if here == rel:
            return "relative", False
        if found.tonic == key.tonic:
            return "parallel", False
        return "different", False
    if here == (key.tonic, mode):
        return "same", True
    if here in ((key.relative_major_tonic, "major"), (key.relative_minor_tonic, "minor")):
        return "relative", True
    if found.tonic == key.tonic:
        return "parallel", False
    return "different", False


def scale_fit(hist: NDArray[np.float64], key: Key) -> float:
    """The share of a pitch-class histogram inside ``key``'s diatonic scale (a pentatonic
    mode counts the heptatonic major scale of its gong); 1.0 for an empty histogram."""
    total = float(hist.sum())
    if total <= 0:
        return 1.0
    scale = Key(key.relative_major_tonic, "major") if key.is_pentatonic else key
    return float(sum(hist[pc] for pc in scale.pitch_classes()) / total)
