"""Dynamics and feel: note velocities from style, energy, dynamics and mood, and swing.

Velocities are set, never scaled, so the layer can run again on a take with other
attributes (a refine) and give the same result as a first pass with those attributes:

    velocity = energy level + stem offset (+ drum class offset)
             + accent depth * (accent(style family, stem, position in bar) - 0.5)
             + dynamics (a soft / loud level plus a crescendo / diminuendo ramp across the take)
             + seeded humanisation (a few velocity units)

kept within 1-127 by a soft knee (``soft_limit``). The accent families (``multitrack.styles.Style.accents``) put the weight
where the style puts it: the backbeat (beats 2 and 4) in rock and pop drums and comping,
the son clave in salsa, rumba, cha-cha and samba, the bossa clave, the habanera in tango,
the off-beat skank in reggae and ska, four on the floor in disco and EDM, the "oom" of a
waltz, beats 1 and 3 of a march, 2 and 4 with lifted off-beats in jazz; other styles follow
the meter's own hierarchy. Mood sets the accent depth (deeper for driving moods, shallower
for calm ones) and nudges the level.

A dynamics value names a level, a shape or both: "soft", "loud", "crescendo",
"diminuendo", or a level and a shape joined by a space, "soft crescendo" (柔和…渐强: a
crescendo that stays soft), "loud diminuendo" (``dynamics_parts``, ``join_dynamics``).

Swing lives in time, not in the grid: see ``multitrack.swing``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from multitrack.song import DRUM_CLASSES, STEMS, Meter, Note, Song

# Mean velocity per energy level (None: medium). Low and high are 16 apart from medium.
ENERGY_LEVEL: dict[str | None, float] = {"low": 66.0, "medium": 82.0, "high": 98.0, None: 82.0}
STEM_OFFSET: dict[str, float] = {"melody": 6.0, "chords": -8.0, "bass": 2.0, "drums": 0.0}
DRUM_OFFSET: dict[str, float] = {
    "kick": 8.0, "snare": 4.0, "closed_hat": -12.0, "open_hat": -4.0, "low_tom": 0.0,
    "mid_tom": 0.0, "high_tom": 0.0, "crash": 10.0, "ride": -8.0,
}  # fmt: skip
ACCENT_DEPTH = 24.0  # velocity units between the weakest and strongest position
# Dynamics shapes: a ramp across the take (start, end offsets) or a level.
RAMP = 18.0  # crescendo: -18 at the first step, +18 at the last (diminuendo: reversed)
LEVEL = 14.0  # soft: -14, loud: +14 (28 apart before clipping)
# Velocities past ``KNEE`` from either end (1, 127) are compressed into the rest of the range
# (``soft_limit``), not clipped: high energy with a crescendo, or a loud "angry" take, put a
# fifth of its melody notes and its accented drums on 127, where accents and the ramp's top
# went flat.
KNEE = 15.0
HUMANISE = 2.5  # standard deviation of the seeded velocity jitter
HUMANISE_LIMIT = 5
# Mood -> (accent depth factor, level nudge in velocity units).
MOOD_FEEL: dict[str, tuple[float, float]] = {
    "energetic": (1.3, 4.0), "angry": (1.4, 6.0), "epic": (1.25, 4.0), "tense": (1.15, 2.0),
    "happy": (1.1, 2.0), "playful": (1.15, 0.0), "hopeful": (1.05, 2.0),
    "calm": (0.6, -4.0), "zen": (0.5, -6.0), "dreamy": (0.6, -4.0), "romantic": (0.75, -2.0),
    "sad": (0.75, -4.0), "lonely": (0.7, -4.0), "warm": (0.8, -2.0), "solemn": (0.8, 0.0),
    "nostalgic": (0.9, -2.0), "mysterious": (0.85, -2.0), "dark": (1.0, 0.0),
}  # fmt: skip
FAMILIES: tuple[str, ...] = (
    "metric", "backbeat", "swing", "clave", "bossa", "habanera", "offbeat", "four", "waltz",
    "march",
)  # fmt: skip
# Two-bar 4/4 rhythms (16th steps from bar 1): 3-2 son clave, bossa clave, per bar habanera.
_CLAVE = (0, 6, 12, 20, 24)
_BOSSA = (0, 6, 12, 22, 28)
_HABANERA = (0, 6, 8, 12)


def metric_weights(meter: Meter) -> np.ndarray:
    """Accent weight 0-1 of each step of a bar by the meter's hierarchy: the downbeat 1.0,
    a 4/4 bar's beat 3 0.75, other beats 0.6, off-beat 8ths 0.35, 16ths 0.15."""
    spb, beat = meter.steps_per_bar, meter.steps_per_beat
    w = np.full(spb, 0.15)
    w[::2] = 0.35
    w[::beat] = 0.6
    if (meter.numerator, meter.denominator) == (4, 4):
        w[8] = 0.75
    w[0] = 1.0
    return w


def accent_weights(family: str, stem: str, meter: Meter, *, drum: str | None = None) -> np.ndarray:
    """Accent weight 0-1 per step of a two-bar cycle (2 x steps per bar) for ``stem`` (and
    ``drum`` class) in accent ``family``. Families other than metric shape 4/4 only (waltz
    any meter); elsewhere the meter's hierarchy holds."""
    if family not in FAMILIES:
        raise ValueError(f"unknown accent family {family!r}; known: {', '.join(FAMILIES)}")
    base = metric_weights(meter)
    w = np.concatenate([base, base])
    spb = meter.steps_per_bar
    if family == "waltz":
        w = np.concatenate([base, base])
        w[w < 1.0] *= 0.55  # oom-pah-pah: the downbeat far above the rest
        return w
    if (meter.numerator, meter.denominator) != (4, 4) or family == "metric":
        return w
    groove = stem in ("drums", "chords")
    beats24 = [4, 12, 20, 28]
    if family == "backbeat":
        if groove and drum != "kick":
            w[beats24] = 1.0
            w[[0, 8, 16, 24]] = 0.6  # the snare and the comping lean on 2 and 4
    elif family == "swing":
        if groove or stem == "bass":
            w[beats24] = 1.0
            w[[0, 8, 16, 24]] = 0.7
        w[[s for s in range(2 * spb) if s % 4 == 2]] = 0.55  # pushed, swung off-beats
    elif family in ("clave", "bossa", "habanera"):
        hits = {"clave": _CLAVE, "bossa": _BOSSA}.get(
            family, (*_HABANERA, *(16 + s for s in _HABANERA))
        )
        w = w * 0.6
        w[list(hits)] = 1.0
    elif family == "offbeat":
        if groove:
            w[[s for s in range(2 * spb) if s % 4 == 2]] = 1.0  # the skank
            if drum in ("kick", "snare"):
                w[[8, 24]] = 1.0  # one drop
    elif family == "four":
        if stem == "drums":
            w[::4] = 1.0
            if drum in ("open_hat", "closed_hat"):
                w[[s for s in range(2 * spb) if s % 4 == 2]] = 1.0
    elif family == "march":
        w[[0, 8, 16, 24]] = 1.0
        w[beats24] = 0.5
    return w


DYNAMICS_LEVELS: tuple[str, ...] = ("soft", "loud")
DYNAMICS_SHAPES: tuple[str, ...] = ("crescendo", "diminuendo")


def dynamics_parts(dynamics: str | None) -> tuple[str | None, str | None]:
    """(level, shape) of a dynamics value: "soft" -> ("soft", None), "crescendo" ->
    (None, "crescendo"), "soft crescendo" -> ("soft", "crescendo"); None -> (None, None).
    Words that are neither are left out."""
    words = (dynamics or "").split()
    level = next((w for w in words if w in DYNAMICS_LEVELS), None)
    shape = next((w for w in words if w in DYNAMICS_SHAPES), None)
    return level, shape


def join_dynamics(level: str | None, shape: str | None) -> str | None:
    """The dynamics value of a level and a shape: ("soft", "crescendo") -> "soft crescendo",
    (None, "crescendo") -> "crescendo", (None, None) -> None."""
    return " ".join(w for w in (level, shape) if w) or None


def shape_offset(dynamics: str | None, position: np.ndarray) -> np.ndarray:
    """Velocity offset of the dynamics at ``position`` (0 at the first step, 1 at the last):
    the level (soft -LEVEL, loud +LEVEL) plus the shape (crescendo -RAMP..+RAMP, diminuendo
    the reverse); "soft crescendo" is both."""
    level, shape = dynamics_parts(dynamics)
    out = np.zeros_like(position)
    if level == "soft":
        out = out - LEVEL
    elif level == "loud":
        out = out + LEVEL
    if shape == "crescendo":
        out = out + (-RAMP + 2 * RAMP * position)
    elif shape == "diminuendo":
        out = out + (RAMP - 2 * RAMP * position)
    return out


def _seed(song: Song, seed: int) -> int:
    """A stable seed from the caller's seed and the song's notes (same song, same jitter)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(seed.to_bytes(8, "little", signed=False))
    for name in STEMS:
        for n in song.stems[name].notes:
            h.update(bytes((n.start & 0xFF, (n.start >> 8) & 0xFF, n.pitch)))
    return int.from_bytes(h.digest(), "little")


def soft_limit(v: float) -> int:
    """A velocity within 1-127: values within ``KNEE`` of either end are kept, values beyond
    are compressed (tanh) into that last stretch, so louder stays louder up to 127."""
    top, bottom = 127.0 - KNEE, 1.0 + KNEE
    if v > top:
        v = top + KNEE * float(np.tanh((v - top) / KNEE))
    elif v < bottom:
        v = bottom - KNEE * float(np.tanh((bottom - v) / KNEE))
    return int(min(127, max(1, round(v))))


def apply_dynamics(
    song: Song,
    *,
    style: str | None,
    energy: str | None = None,
    dynamics: str | None = None,
    mood: str | None = None,
    seed: int = 0,
    humanise: bool = True,
    stems: Iterable[str] | None = None,
    span: tuple[int, int] | None = None,
    groove_style: str | None = None,
) -> Song:
    """``song`` with every note's velocity set from the style's accents, the energy level,
    the dynamics (a level, a shape or both: "soft crescendo") and the mood (see the module
    docstring); pitches, onsets and durations unchanged. Deterministic for one song and
    ``seed``.

    An edit keeps what the producer kept: only ``stems`` (default all) and only notes that
    start in grid steps ``span`` = [start, end) (default all) get new velocities; the
    dynamics shape still runs over the whole take. A fused prompt's ``groove_style`` gives
    the drums and bass their accents ("国风电音": EDM's four on the floor under a guofeng
    melody)."""
    from multitrack.styles import style as style_of

    family = style_of(style).accents if style is not None else "metric"
    groove = style_of(groove_style).accents if groove_style is not None else family
    depth_factor, nudge = MOOD_FEEL.get(mood or "", (1.0, 0.0))
    depth = ACCENT_DEPTH * depth_factor
    level = ENERGY_LEVEL.get(energy, ENERGY_LEVEL[None]) + nudge
    rng = np.random.default_rng(_seed(song, seed))
    cycle = 2 * song.meter.steps_per_bar
    last = max(1, song.steps - 1)
    chosen = set(STEMS if stems is None else stems)
    lo, hi = span if span is not None else (0, song.steps)
    out_stems = dict(song.stems)
    for name in STEMS:
        stem = song.stems[name]
        if not stem.notes or name not in chosen:
            continue
        fam = groove if name in ("drums", "bass") else family
        weights = {
            d: accent_weights(fam, name, song.meter, drum=d)
            for d in (DRUM_CLASSES if name == "drums" else (None,))
        }
        notes: Sequence[Note] = stem.notes
        starts = np.array([n.start for n in notes], np.float64)
        shape = shape_offset(dynamics, np.clip(starts / last, 0.0, 1.0))
        jitter = (
            np.clip(rng.normal(0.0, HUMANISE, len(notes)), -HUMANISE_LIMIT, HUMANISE_LIMIT)
            if humanise
            else np.zeros(len(notes))
        )
        out = []
        for i, n in enumerate(notes):
            if not lo <= n.start < hi:
                out.append(n)
                continue
            drum = DRUM_CLASSES[n.pitch] if name == "drums" else None
            accent = weights[drum][n.start % cycle]
            v = level + STEM_OFFSET[name] + (DRUM_OFFSET[drum] if drum else 0.0)
            v += depth * (accent - 0.5) + shape[i] + jitter[i]
            out.append(replace(n, velocity=soft_limit(v)))
        out_stems[name] = replace(stem, notes=tuple(out))
    return replace(song, stems=out_stems)
