"""What a prompt asks for, as one frozen record: ``PromptAttributes``.

``None`` means the prompt did not say (the pipeline then takes the style's value or its
own default); ``programs`` and ``stems`` are always filled. ``understood``, ``ignored`` and
``conflicts`` are the producer-readable account of the parse; ``nearest`` holds the sentence
embedding's nearest style and mood descriptions with their cosine scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from multitrack.song import DEFAULT_PROGRAMS, STEMS

JSON_KEYS: tuple[str, ...] = (
    "key", "bpm", "meter", "bars", "style", "programs", "stems", "mood", "energy", "dynamics",
    "understood", "ignored", "conflicts", "nearest", "named_programs", "seconds", "form",
    "groove_style", "ambience",
)  # fmt: skip


@dataclass(frozen=True)
class PromptAttributes:
    """Attributes of the piece a prompt describes.

    ``key``: "A minor", "Eb major", "D zhi" or None. ``bpm``: quarter notes a minute or None.
    ``meter``: "4/4", "3/4", "2/4", "6/8" or None. ``bars``: length in bars or None.
    ``style``: an id from ``multitrack.styles.STYLE_IDS`` or None. ``programs``: GM program
    (0-127) for each of the four stems. ``stems``: the stems that play, in ``STEMS`` order;
    ``stems_named``: whether the prompt said so (solo, duet, "no drums", "with bass" ...)
    rather than ``stems`` being the default four.
    ``mood``: an id from ``MOODS`` or None; ``energy``: low/medium/high or None;
    ``dynamics``: a level (soft/loud), a shape (crescendo/diminuendo), both joined by a
    space, level first ("soft crescendo": ``multitrack.dynamics.dynamics_parts``), or None.
    ``named_programs``: the stems whose program the prompt named (the rest are defaults).
    ``seconds``: a length asked in seconds, from which ``bars`` was derived (kept so a tempo
    override can redo the sum).
    ``form``: the song form asked for, normalised for ``multitrack.form.parse_form``
    ("A A B A", "intro A B A B outro"; verse A, chorus B, bridge C) or None.
    ``groove_style``: a second style for the drums when the prompt fuses two ("国风电音":
    ``style`` guofeng for melody and harmony, ``groove_style`` edm), else None.
    ``ambience``: sounds for the ambience stem (``multitrack.ambience.SOUNDS``), each with an
    optional place: ("rain",), ("drops@end",).
    ``bass_line``: "walking" when the prompt asks for a walking bass (a note on every beat:
    ``models.aims.BandAims``), else None.
    """

    key: str | None = None
    bpm: float | None = None
    meter: str | None = None
    bars: int | None = None
    style: str | None = None
    programs: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PROGRAMS))
    stems: tuple[str, ...] = STEMS
    stems_named: bool = False
    mood: str | None = None
    energy: str | None = None
    dynamics: str | None = None
    understood: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    nearest: Mapping[str, Any] = field(default_factory=dict)
    named_programs: tuple[str, ...] = ()
    seconds: float | None = None
    form: str | None = None
    groove_style: str | None = None
    ambience: tuple[str, ...] = ()
    bass_line: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (song.json's ``attributes``, the bridge's ``accepted`` reply)."""
        bpm: float | int | None = self.bpm
        if bpm is not None and float(bpm).is_integer():
            bpm = int(bpm)
        return {
            "key": self.key,
            "bpm": bpm,
            "meter": self.meter,
            "bars": self.bars,
            "style": self.style,
            "programs": {stem: int(self.programs[stem]) for stem in STEMS},
            "stems": list(self.stems),
            "stems_named": self.stems_named,
            "mood": self.mood,
            "energy": self.energy,
            "dynamics": self.dynamics,
            "understood": list(self.understood),
            "ignored": list(self.ignored),
            "conflicts": list(self.conflicts),
            "nearest": {k: _nearest_json(v) for k, v in self.nearest.items()},
            "named_programs": list(self.named_programs),
            "seconds": self.seconds,
            "form": self.form,
            "groove_style": self.groove_style,
            "ambience": list(self.ambience),
            "bass_line": self.bass_line,
        }

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> PromptAttributes:
        """Rebuild from ``to_json()`` output (e.g. a take's song.json). Missing keys take
        their defaults; values are trusted, as they were written by ``to_json``."""
        nearest = {
            k: tuple((d["id"], float(d["score"])) for d in v) if isinstance(v, list) else v
            for k, v in dict(record.get("nearest") or {}).items()
        }
        programs = dict(DEFAULT_PROGRAMS)
        programs.update({k: int(v) for k, v in dict(record.get("programs") or {}).items()})
        bpm = record.get("bpm")
        return cls(
            key=record.get("key"),
            bpm=None if bpm is None else float(bpm),
            meter=record.get("meter"),
            bars=record.get("bars"),
            style=record.get("style"),
            programs=programs,
            stems=tuple(record.get("stems") or STEMS),
            stems_named=bool(record.get("stems_named", False)),
            mood=record.get("mood"),
            energy=record.get("energy"),
            dynamics=record.get("dynamics"),
            understood=tuple(record.get("understood") or ()),
            ignored=tuple(record.get("ignored") or ()),
            conflicts=tuple(record.get("conflicts") or ()),
            nearest=nearest,
            named_programs=tuple(record.get("named_programs") or ()),
            seconds=record.get("seconds"),
            form=record.get("form"),
            groove_style=record.get("groove_style"),
            ambience=tuple(record.get("ambience") or ()),
            bass_line=record.get("bass_line"),
        )


def _nearest_json(value: Any) -> Any:
    """Rankings [(id, cosine)] -> [{"id", "score"}]; the embedded text and the generic score
    stay as they are."""
    if isinstance(value, list | tuple):
        return [{"id": i, "score": round(float(s), 3)} for i, s in value]
    return round(float(value), 3) if isinstance(value, float) else value
