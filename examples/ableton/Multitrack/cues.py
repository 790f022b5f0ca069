"""A take's song sections ("Verse 1", "Chorus 1") as cue points (locators) in the Arrangement.

Live's API makes a cue point in one way only: ``Song.set_or_delete_cue()`` at the current
song time, which *deletes* the cue point there if there is one. So each section is a small
sequence of steps, one per tick, and every step checks before it acts:

1. move the song time to the section's start (``current_song_time``; Live applies the move
   by the next tick, not at once: Live 11 ignores a move and a cue in the same callback);
2. on the next tick, once the song time is there and no cue point is there
   (``is_cue_point_selected()`` is false), ``set_or_delete_cue()`` makes one, which is named
   by the section's label.

A cue point already at a section's start is the producer's or ours. Ours (the time and
name recorded in the Set with ``Song.set_data``) is renamed; the producer's is never
touched, nor deleted, nor renamed; the section then has no cue point of its own. Our cue
points left in the take's range from an earlier take, at times where this take has no
section and not renamed since, are deleted (again only when the song time is on them and
they are ours). Nothing happens while the Set plays (a moved song time would be heard);
afterwards the song time goes back to where it was.

Written for Live 11 (Python 3.7) and Live 12 (Python 3.11): no syntax newer than 3.7.
"""

from __future__ import annotations

import json
import logging
from typing import Any, List, Optional, Tuple

import Live

logger = logging.getLogger(__name__)

DATA_KEY = "multitrack_cues"  # Song data: [[time, name], ...] of the cue points we made
EPS = 1e-6
TRIES = 5  # ticks to wait for a song-time move before a step is given up


def sections_at(song: Any, start: float) -> List[Tuple[float, str]]:
    """(beat, label) of each section in song.json's ``sections`` ({label, letter, bar from 1,
    bars}), from ``start`` (beats) at the take's meter."""
    num, _, den = str(song.get("meter", "4/4")).partition("/")
    try:
        bar = int(num) * 4.0 / int(den)
    except ValueError:
        bar = 4.0
    out = []
    for section in song.get("sections") or []:
        if isinstance(section, dict) and isinstance(section.get("bar"), int):
            label = str(section.get("label") or section.get("letter") or "?")
            out.append((start + (section["bar"] - 1) * bar, label))
    return out


def name_cue(cue: Live.Song.CuePoint, label: str) -> str:
    """Name a cue point ``label``; the name it has afterwards (Live's own, if it refuses)."""
    try:
        cue.name = label
    except Exception as exc:  # not settable in some Live version: keep Live's name
        logger.warning("Multitrack: could not name the cue point at %g %r (%s)", cue.time, label, exc)
    return str(cue.name)


class SectionCues(object):
    """A work item for the surface's tick: call it until it returns False (done); True means
    "again on a later tick"."""

    def __init__(self, live: Live.Song.Song, sections: List[Tuple[float, str]],
                 span: Tuple[float, float]) -> None:  # fmt: skip
        self.live = live
        self.sections = sections
        self.span = span
        self.steps: Optional[List[Tuple[float, Optional[str]]]] = None  # (time, label|None=delete)
        self.saved = 0.0
        self.moved = False
        self.tries = 0

    # -- the record of our cue points -------------------------------------------------------

    def ours(self) -> List[Tuple[float, str]]:
        try:
            rows = json.loads(self.live.get_data(DATA_KEY, "[]") or "[]")
            return [(float(t), str(n)) for t, n in rows]
        except (TypeError, ValueError):
            return []

    def remember(self, time: float, name: Optional[str]) -> None:
        rows = [(t, n) for t, n in self.ours() if abs(t - time) > EPS]
        if name is not None:
            rows.append((time, name))
        self.live.set_data(DATA_KEY, json.dumps(sorted(rows)))

    def is_ours(self, cue: Live.Song.CuePoint) -> bool:
        return any(abs(t - cue.time) < EPS and n == cue.name for t, n in self.ours())

    def cue_at(self, time: float) -> Optional[Live.Song.CuePoint]:
        for cue in self.live.cue_points:
            if abs(cue.time - time) < EPS:
                return cue
        return None

    # -- the steps --------------------------------------------------------------------------

    def plan(self) -> List[Tuple[float, Optional[str]]]:
        """Deletions of our stale cue points in the span, then the sections in order."""
        starts = [t for t, _ in self.sections]
        lo, hi = self.span
        stale = [cue.time for cue in self.live.cue_points
                 if lo - EPS <= cue.time < hi and self.is_ours(cue)
                 and not any(abs(cue.time - t) < EPS for t in starts)]  # fmt: skip
        steps: List[Tuple[float, Optional[str]]] = [(t, None) for t in stale]
        return steps + [(t, label) for t, label in self.sections]

    def __call__(self) -> bool:
        live = self.live
        if live.is_playing:
            return True  # moving the song time now would be heard: wait for the stop
        if self.steps is None:
            self.saved = float(live.current_song_time)
            self.steps = self.plan()
        if not self.steps:
            if abs(live.current_song_time - self.saved) > EPS:
                live.current_song_time = self.saved
            return False
        time, label = self.steps[0]
        existing = self.cue_at(time)
        if label is not None and existing is not None:  # no move needed
            if self.is_ours(existing):
                self.remember(time, name_cue(existing, label))
            self.next()
            return True
        if label is None and (existing is None or not self.is_ours(existing)):
            self.next()  # gone already, or the producer renamed it: theirs now
            return True
        if not self.moved or abs(live.current_song_time - time) > EPS:
            if self.moved:
                self.tries += 1
                if self.tries >= TRIES:
                    logger.warning("Multitrack: the song time did not move to %g; no cue point there", time)
                    self.next()
                    return True
            live.current_song_time = time
            self.moved = True
            return True
        selected = live.is_cue_point_selected()
        if label is None and selected and existing is not None and self.is_ours(existing):
            live.set_or_delete_cue()  # on our own cue point: deletes it
            self.remember(time, None)
        elif label is not None and not selected:
            live.set_or_delete_cue()  # on no cue point: makes one
            made = self.cue_at(time)
            if made is not None:
                self.remember(time, name_cue(made, label))
        self.next()
        return True

    def next(self) -> None:
        assert self.steps is not None
        self.steps.pop(0)
        self.moved, self.tries = False, 0
