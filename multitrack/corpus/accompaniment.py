"""Accompaniment from MMA (Musical MIDI Accompaniment): grooves render chord charts into
chord comping, bass and drums.

Many charts go into one ``.mma`` file (one MMA run costs ~0.2 s to start and ~1 ms a bar),
one section per chart: ``Groove <name>`` and one line per bar. The MIDI that comes back is
cut at the charts' bar offsets; per chart the busiest chord-like track (Chord-*, Arpeggio-*,
Plectrum-*) becomes the chords stem, the busiest Bass-*/Walk-* track the bass (made
monophonic) and channel 10 the drums (folded onto our nine classes with ``drum_class``).
MMA runs with ``RndSeed 1`` so its humanising is the same on every build.
"""

from __future__ import annotations

import bisect
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from multitrack.chords import Chord
from multitrack.corpus.smf import SmfError, SmfTrack, read_smf
from multitrack.errors import MultitrackError
from multitrack.grid import dedupe_notes
from multitrack.song import ChordSpan, Meter, Note, drum_class

MMA_STDLIB = Path("/usr/share/mma/lib/stdlib")
MMA_PPQ = 192  # MMA writes 192 ticks a quarter note
_SKIP_GROOVE = re.compile(r"(intro|end|fill|break|sus)", re.IGNORECASE)
_MMA_SUFFIX = {
    "maj": "", "m": "m", "dim": "mb5", "aug": "aug", "sus2": "sus2", "sus4": "sus4", "6": "6",
    "m6": "m6", "7": "7", "maj7": "maj7", "m7": "m7", "m7b5": "m7b5", "dim7": "dim7", "9": "9",
    "add9": "add9",
}  # fmt: skip
_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
CHORD_TRACKS = ("CHORD", "ARPEGGIO", "PLECTRUM")
BASS_TRACKS = ("BASS", "WALK")


class MmaError(MultitrackError):
    """MMA is missing or failed on a chart."""

    code = "mma_failed"


@dataclass(frozen=True)
class Groove:
    """One MMA groove: its exact name, the library file it lives in and the meter it plays."""

    name: str
    file: str
    meter: str  # "4/4", "3/4", "2/4" or "6/8"

    @property
    def mma_time(self) -> int:
        """MMA's ``Time``: quarter-note beats a bar (6/8 grooves count 2 dotted... see below)."""
        return _TIME_OF[(self.file, self.name)]


_TIME_OF: dict[tuple[str, str], int] = {}


def mma_available() -> bool:
    return shutil.which("mma") is not None and MMA_STDLIB.is_dir()


def _meter_of(time: int, timesig: tuple[int, int] | None) -> str | None:
    if time == 4:
        return "4/4"
    if time == 3:
        return "3/4"
    if time == 2:
        return "6/8" if timesig == (6, 8) else "2/4"
    if time == 6:
        return "6/8"
    return None


@lru_cache(maxsize=1)
def groove_catalog() -> dict[str, tuple[Groove, ...]]:
    """Every usable groove (no intros, endings, fills or sustained-pad variants) by library
    file stem, read from the MMA stdlib; empty when MMA is not installed."""
    catalog: dict[str, tuple[Groove, ...]] = {}
    if not MMA_STDLIB.is_dir():
        return catalog
    for path in sorted(MMA_STDLIB.glob("*.mma")):
        time, timesig = 4, None
        grooves: list[Groove] = []
        for raw in path.read_text(encoding="latin-1").splitlines():
            line = raw.split("//")[0].strip()
            words = line.split()
            if not words:
                continue
            head = words[0].lower()
            if head == "time" and len(words) > 1 and words[1].isdigit():
                time, timesig = int(words[1]), None
            elif head == "timesig" and len(words) > 2 and words[1].isdigit() and words[2].isdigit():
                timesig = (int(words[1]), int(words[2]))
            elif head == "defgroove" and len(words) > 1:
                name = words[1]
                meter = _meter_of(time, timesig)
                if meter is None or _SKIP_GROOVE.search(name):
                    continue
                _TIME_OF[(path.stem, name)] = time
                grooves.append(Groove(name, path.stem, meter))
        if grooves:
            catalog[path.stem] = tuple(grooves)
    return catalog


def grooves_for(files: Sequence[str], meter: str) -> tuple[Groove, ...]:
    """The grooves in these library files that play ``meter``."""
    catalog = groove_catalog()
    return tuple(g for f in files for g in catalog.get(f, ()) if g.meter == meter)


def mma_symbol(chord: Chord) -> str:
    """A chord in MMA's spelling: Bdim -> "Bmb5", N.C. -> "z"."""
    if chord.root is None:
        return "z"
    text = _NAMES[chord.root] + _MMA_SUFFIX[chord.quality]
    if chord.bass is not None:
        text += "/" + _NAMES[chord.bass]
    return text


@dataclass(frozen=True)
class Chart:
    """One progression to render: ``bars`` bars of ``meter`` in ``groove``."""

    groove: Groove
    chords: tuple[ChordSpan, ...]
    bars: int
    meter: Meter


@dataclass(frozen=True)
class Accompaniment:
    """The rendered stems of one chart, notes in grid steps from the chart's first bar."""

    chords: tuple[Note, ...]
    bass: tuple[Note, ...]
    drums: tuple[Note, ...]
    chord_program: int
    bass_program: int


def chart_lines(chart: Chart) -> list[str]:
    """MMA chord lines for a chart: one per bar, one token per MMA beat ("/" repeats)."""
    time = chart.groove.mma_time
    bar = chart.meter.steps_per_bar
    beat = bar / time
    lines = []
    for b in range(chart.bars):
        tokens = []
        prev = None
        for k in range(time):
            step = b * bar + int(k * beat)
            symbol = "z"
            for span in chart.chords:
                if span.start <= step < span.start + span.duration:
                    symbol = mma_symbol(span.chord)
                    break
            tokens.append("/" if symbol == prev else symbol)
            prev = symbol
        lines.append(" ".join(tokens))
    return lines


def render_charts(charts: Sequence[Chart], *, workdir: Path | None = None) -> list[Accompaniment]:
    """Render charts with MMA, batched per MMA ``Time``; same order as ``charts``."""
    if not mma_available():
        raise MmaError("MMA is not installed: run `make sysdeps-corpus` (Debian package mma)")
    results: list[Accompaniment | None] = [None] * len(charts)
    by_time: dict[int, list[int]] = defaultdict(list)
    for i, chart in enumerate(charts):
        by_time[chart.groove.mma_time].append(i)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for time, indices in sorted(by_time.items()):
            rendered = _render_batch([charts[i] for i in indices], time, Path(tmp))
            for i, acc in zip(indices, rendered, strict=True):
                results[i] = acc
    return [r for r in results if r is not None]


def _render_batch(charts: Sequence[Chart], time: int, tmp: Path) -> list[Accompaniment]:
    lines = ["RndSeed 1", f"Time {time}"]
    first_bar: list[int] = []
    bar = 0
    for chart in charts:
        lines.append(f"Groove {chart.groove.name}")
        first_bar.append(bar)
        for text in chart_lines(chart):
            bar += 1
            lines.append(f"{bar} {text}")
    src, out = tmp / f"batch{time}.mma", tmp / f"batch{time}.mid"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        ["mma", "-m", str(bar + 10), "-f", str(out), str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-2:]
        raise MmaError(f"MMA failed on a batch of {len(charts)} charts: {' '.join(tail)}")
    try:
        ppq, tracks = read_smf(out.read_bytes())
    except (SmfError, IndexError) as exc:
        raise MmaError(f"MMA wrote a MIDI file that does not parse: {exc}") from None
    return _split_midi(ppq, tracks, charts, first_bar, time)


def _split_midi(
    ppq: int, tracks: Sequence[SmfTrack], charts: Sequence[Chart], first_bar: list[int], time: int
) -> list[Accompaniment]:
    ticks_per_bar = time * ppq
    # (track kind, track name) -> chart -> notes as (tick on, tick off, pitch, velocity)
    found: dict[tuple[str, str], dict[int, list[tuple[int, int, int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    programs: dict[str, int] = {}
    for track in tracks:
        name = track.name
        upper = name.upper()
        kind = (
            "chords"
            if upper.startswith(CHORD_TRACKS)
            else "bass"
            if upper.startswith(BASS_TRACKS)
            else None
        )
        on: dict[tuple[int, int], tuple[int, int]] = {}
        for tick, what, channel, note, velocity in track.events:
            if what == "program" and kind:
                programs.setdefault(name, note)
            if what not in ("on", "off"):
                continue
            k = "drums" if channel == 9 else kind
            if k is None:
                continue
            if what == "on":
                on[(channel, note)] = (tick, velocity)
                continue
            started = on.pop((channel, note), None)
            if started is None:
                continue
            t0, vel = started
            chart_i = bisect.bisect_right(first_bar, t0 // ticks_per_bar) - 1
            found[(k, name)][chart_i].append((t0, tick, note, vel))
    out = []
    for i, chart in enumerate(charts):
        bar_steps = chart.meter.steps_per_bar
        origin = first_bar[i] * ticks_per_bar
        length = chart.bars * bar_steps
        per_step = ticks_per_bar / bar_steps

        best: dict[str, tuple[int, str]] = {}
        for (k, name), per_chart in found.items():
            if k == "drums":
                continue
            count = len(per_chart.get(i, ()))
            if count and count > best.get(k, (0, ""))[0]:
                best[k] = (count, name)
        chords = (
            _grid_notes(
                found[("chords", best["chords"][1])][i], origin, per_step, length, drums=False
            )
            if "chords" in best
            else []
        )
        # Grooves may share the bass between tracks (Bass on some bars, Walk on others):
        # all of them together, made monophonic, are the bass.
        bass = [
            n
            for (k, _), per_chart in found.items()
            if k == "bass"
            for n in _grid_notes(per_chart.get(i, []), origin, per_step, length, drums=False)
        ]
        drums: list[Note] = []
        for (k, _), per_chart in found.items():
            if k == "drums":
                drums.extend(
                    _grid_notes(per_chart.get(i, []), origin, per_step, length, drums=True)
                )
        out.append(
            Accompaniment(
                chords=tuple(dedupe_notes(chords)),
                bass=tuple(monophonic(bass)),
                drums=tuple(dedupe_notes(drums)),
                chord_program=programs.get(best.get("chords", (0, ""))[1], 0),
                bass_program=programs.get(best.get("bass", (0, ""))[1], 32),
            )
        )
    return out


def _grid_notes(
    raw: list[tuple[int, int, int, int]],
    origin: int,
    ticks_per_step: float,
    length: int,
    *,
    drums: bool,
) -> list[Note]:
    """(tick on, tick off, pitch, velocity) -> notes on the grid from ``origin``, inside
    [0, length) steps; drum pitches folded onto our classes."""
    notes = []
    for t0, t1, pitch, vel in raw:
        s = round((t0 - origin) / ticks_per_step)
        if not 0 <= s < length:
            continue
        p = drum_class(pitch) if drums else pitch
        if p is None:
            continue
        end = min(round((t1 - origin) / ticks_per_step), length)
        d = 1 if drums else max(1, end - s)
        notes.append(Note(s, p, d, max(1, min(127, vel))))
    return notes


def monophonic(notes: Sequence[Note]) -> list[Note]:
    """The lowest note at each onset, each cut where the next begins."""
    lowest: dict[int, Note] = {}
    for n in notes:
        if n.start not in lowest or n.pitch < lowest[n.start].pitch:
            lowest[n.start] = n
    ordered = [lowest[s] for s in sorted(lowest)]
    out = []
    for j, n in enumerate(ordered):
        if j + 1 < len(ordered) and ordered[j + 1].start < n.end:
            n = Note(n.start, n.pitch, ordered[j + 1].start - n.start, n.velocity)
        out.append(n)
    return out
