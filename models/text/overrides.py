"""Explicit options (CLI flags, OSC keys) over what the prompt said: ``apply_overrides``.

Options are checked here, where they enter, and a bad one raises ``MusicError`` with a
message naming the value; a good one replaces the prompt's value and says so in
``understood``. A length the prompt gave in seconds is re-measured when the tempo or meter
changes, so "30秒" still lasts about thirty seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from models.text.attributes import PromptAttributes
from models.text.resolve import default_bpm
from multitrack.errors import MusicError
from multitrack.limits import MAX_BPM, MIN_BPM
from multitrack.song import MAX_BARS, STEMS, Meter
from multitrack.theory import Key


def _said(old: object) -> str:
    return "option" if old is None else f"option; the prompt said {old}"


def apply_overrides(
    attrs: PromptAttributes,
    *,
    bars: int | None = None,
    bpm: float | None = None,
    key: Key | str | None = None,
    meter: Meter | str | None = None,
    stems: Sequence[str] | None = None,
    form: str | None = None,
) -> PromptAttributes:
    """``attrs`` with every given option in place of the prompt's value.

    ``bars``: 1-512; ``bpm``: 20-400 quarter notes a minute; ``key``: anything
    ``multitrack.theory.Key.parse`` reads ("A minor", "Eb", "降E大调") or a ``Key``; ``meter``: 4/4, 3/4,
    2/4 or 6/8; ``stems``: names from melody, chords, bass, drums (at least one); ``form``:
    the song form asked beside the prompt (``--form``), recorded so a refine keeps it.
    Raises ``MusicError`` for a value out of range or unreadable.
    """
    notes = list(attrs.understood)
    changes: dict[str, object] = {}
    if bars is not None:
        if isinstance(bars, bool) or int(bars) != bars or not 1 <= bars <= MAX_BARS:
            raise MusicError(f"bars must be a whole number 1-{MAX_BARS}, got {bars!r}")
        changes["bars"] = int(bars)
        changes["seconds"] = None
        notes.append(f"bars: {int(bars)} ({_said(attrs.bars)})")
    if bpm is not None:
        if isinstance(bpm, bool) or not MIN_BPM <= float(bpm) <= MAX_BPM:
            raise MusicError(f"tempo must be {MIN_BPM:g}-{MAX_BPM:g} BPM, got {bpm!r}")
        changes["bpm"] = float(bpm)
        old = None if attrs.bpm is None else f"{attrs.bpm:g} bpm"
        notes.append(f"tempo: {float(bpm):g} bpm ({_said(old)})")
    if key is not None:
        if isinstance(key, str) and not key.strip():
            raise MusicError(f"key {key!r} is empty; write e.g. 'A minor', 'Eb major' or 'D zhi'")
        name = str(key if isinstance(key, Key) else Key.parse(key))
        changes["key"] = name
        notes.append(f"key: {name} ({_said(attrs.key)})")
    if meter is not None:
        name = str(Meter.parse(str(meter)))
        changes["meter"] = name
        notes.append(f"meter: {name} ({_said(attrs.meter)})")
    if stems is not None:
        names = [stems] if isinstance(stems, str) else list(stems)
        for stem in names:
            if stem not in STEMS:
                raise MusicError(f"unknown stem {stem!r}; stems are {', '.join(STEMS)}")
        if not names:
            raise MusicError("at least one stem must play")
        chosen = tuple(s for s in STEMS if s in names)
        changes["stems"] = chosen
        changes["stems_named"] = True
        notes.append(f"stems: {', '.join(chosen)} ({_said(', '.join(attrs.stems))})")
    if form is not None and form.strip():
        changes["form"] = form.strip()
        notes.append(f"form: {form.strip()} ({_said(attrs.form)})")
    if attrs.seconds is not None and bars is None and (bpm is not None or meter is not None):
        tempo = (
            float(bpm) if bpm is not None else (attrs.bpm or default_bpm(attrs.style, attrs.energy))
        )
        quarters = Meter.parse(str(changes.get("meter") or attrs.meter or "4/4")).quarters_per_bar
        new_bars = min(64, max(1, int(attrs.seconds * tempo / 60.0 / quarters + 0.5)))
        changes["bars"] = new_bars
        notes.append(f"bars: {new_bars} ({attrs.seconds:g} seconds at {tempo:g} bpm)")
    if not changes:
        return attrs
    return replace(attrs, understood=tuple(notes), **changes)  # type: ignore[arg-type]
