"""Tunes: monophonic melodies on the 16th grid, the raw material every window is cut from.

A ``Tune`` is what the sources extract from a score once (cached as JSON): its notes in
grid steps with step 0 on a bar line (a pickup is shifted right so it ends on the first bar
line), its meter on our grid, its key (tonic and mode), its phrase ends (fermatas) and, for
four-voice pieces, every voice, from which the harmony is recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Source meters onto our grid: (numerator, denominator) -> our meter and how many of our bars
# one source bar makes (a 4/2 bar is two 4/4 bars; two 3/8 bars make one 6/8 bar).
METER_MAP: dict[str, tuple[str, float]] = {
    "4/4": ("4/4", 1),
    "2/2": ("4/4", 1),
    "C": ("4/4", 1),
    "C|": ("4/4", 1),
    "3/4": ("3/4", 1),
    "2/4": ("2/4", 1),
    "4/8": ("2/4", 1),
    "6/8": ("6/8", 1),
    "4/2": ("4/4", 2),
    "6/4": ("3/4", 2),
    "12/8": ("6/8", 2),
    "3/8": ("6/8", 0.5),
}


@dataclass(frozen=True)
class Tune:
    """One melody. ``notes`` are ``(start, pitch, duration)`` in grid steps, with step 0 on a
    bar line of ``meter`` (a pickup has been shifted right to end on the first bar line);
    ``tonic`` a pitch class 0-11 and ``mode`` a ``multitrack.theory`` mode name; ``phrase_ends``
    the steps where phrases end (fermatas, double bars)."""

    source: str
    piece: str
    title: str
    meter: str
    tonic: int
    mode: str
    notes: tuple[tuple[int, int, int], ...]
    chinese: bool = False
    phrase_ends: tuple[int, ...] = ()
    voices: tuple[tuple[tuple[int, int, int], ...], ...] = field(default=())

    @property
    def steps(self) -> int:
        return max((s + d for s, _, d in self.notes), default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "piece": self.piece,
            "title": self.title,
            "meter": self.meter,
            "tonic": self.tonic,
            "mode": self.mode,
            "notes": [list(n) for n in self.notes],
            "chinese": self.chinese,
            "phrase_ends": list(self.phrase_ends),
            "voices": [[list(n) for n in v] for v in self.voices],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tune:
        return cls(
            source=data["source"],
            piece=data["piece"],
            title=data["title"],
            meter=data["meter"],
            tonic=int(data["tonic"]),
            mode=data["mode"],
            notes=tuple((int(a), int(b), int(c)) for a, b, c in data["notes"]),
            chinese=bool(data.get("chinese", False)),
            phrase_ends=tuple(int(x) for x in data.get("phrase_ends", ())),
            voices=tuple(
                tuple((int(a), int(b), int(c)) for a, b, c in v) for v in data.get("voices", ())
            ),
        )
