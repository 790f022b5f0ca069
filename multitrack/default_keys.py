"""Which key a piece gets when nobody named one: the project's key policy, in one place.

Two cases: a prompt names a mode but no tonic ("dorian", "徵调"), which takes the mode's
usual tonic (``MODE_TONICS``); and a prompt names no key at all, which takes a common key
drawn by the request's seed (``default_key``): minor for dark moods, a pentatonic mode for
guofeng, major otherwise. Draws use numpy's ``default_rng(seed)``, so the same seed gives
the same key.
"""

from __future__ import annotations

import numpy as np

from multitrack.errors import MusicError
from multitrack.theory import Key, parse_pitch_class

# The tonic a mode takes when the prompt names the mode alone.
MODE_TONICS: dict[str, str] = {
    "major": "C",
    "minor": "A",
    "gong": "C",
    "shang": "D",
    "jue": "E",
    "zhi": "G",
    "yu": "A",
}
# Common keys a seed draws from, most common first (guofeng draws from the first five).
MAJOR_TONICS: tuple[str, ...] = ("C", "G", "D", "F", "Bb", "Eb", "A", "E")
MINOR_TONICS: tuple[str, ...] = ("A", "E", "D", "B", "G", "C", "F#", "F")
GUOFENG_MODES: tuple[str, ...] = ("gong", "zhi", "yu", "shang")
GUOFENG_TONICS = 5
# Moods that ask for a minor key.
MINOR_MOODS: frozenset[str] = frozenset(
    {"sad", "dark", "tense", "mysterious", "lonely", "angry", "nostalgic", "solemn"}
)


def key_for_mode(mode: str) -> Key:
    """The key of a mode named without a tonic: "zhi" -> G zhi, "minor" -> A minor.
    MusicError for a mode without a usual tonic (see ``MODE_TONICS``)."""
    tonic = MODE_TONICS.get(mode)
    if tonic is None:
        raise MusicError(f"mode {mode!r} has no usual tonic; name one, e.g. 'D {mode}'")
    return Key(parse_pitch_class(tonic), mode)


def default_key(*, style: str | None, mood: str | None, seed: int) -> Key:
    """The key of a prompt that names none, drawn by ``seed``."""
    rng = np.random.default_rng(seed)
    if style == "guofeng":
        tonic = MAJOR_TONICS[int(rng.integers(GUOFENG_TONICS))]
        mode = GUOFENG_MODES[int(rng.integers(len(GUOFENG_MODES)))]
    elif mood in MINOR_MOODS:
        tonic, mode = MINOR_TONICS[int(rng.integers(len(MINOR_TONICS)))], "minor"
    else:
        tonic, mode = MAJOR_TONICS[int(rng.integers(len(MAJOR_TONICS)))], "major"
    return Key(parse_pitch_class(tonic), mode)
