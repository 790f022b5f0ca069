"""A parsed job -> the ``GenerateRequest`` the worker runs.

A regenerate names its source take by job id; the take is read when the job runs (it may
have been written by a job queued just before), and ``chords`` or ``chord_notes`` become
chord spans on the source's meter and length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bridge.arguments import ChordNote, ProtocolError
from bridge.protocol import (
    DEFAULT_GUIDANCE,
    DEFAULT_STEPS,
    GenerateSpec,
    JobSpec,
    resolve_take_dir,
)
from models.request import GenerateRequest
from multitrack.song import STEPS_PER_BEAT, ChordSpan, Note, Song


def build_request(spec: JobSpec, out_root: Path) -> GenerateRequest:
    """The ``GenerateRequest`` a job runs. A regenerate reads its source take now (it may
    have been written by a job queued just before) and turns ``chords`` or ``chord_notes``
    into chord spans on the source's meter and length."""
    if isinstance(spec, GenerateSpec):
        return spec.request
    from multitrack.take import read_take

    source_dir = resolve_take_dir(out_root, spec.from_job)
    if not source_dir.is_dir():
        raise ProtocolError("unknown_take", f"no take named {spec.from_job!r} in {out_root}")
    song, record = read_take(source_dir)
    chords: tuple[ChordSpan, ...] | None = None
    if spec.chords is not None:
        from multitrack.chords import parse_progression

        chords = parse_progression(spec.chords, song.meter, bars=song.bars)
    elif spec.chord_notes is not None:
        chords = recognise_chord_notes(spec.chord_notes, song)
    prompt = record.get("prompt")
    seed = spec.seed if spec.seed is not None else record.get("seed", 0)
    return GenerateRequest(
        prompt=prompt if isinstance(prompt, str) else "",
        bars=song.bars,
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else 0,
        bpm=song.tempo,
        key=song.key,
        meter=str(song.meter),
        guidance=DEFAULT_GUIDANCE if spec.guidance is None else spec.guidance,
        steps=DEFAULT_STEPS if spec.steps is None else spec.steps,
        source=song,
        keep=spec.keep,
        repaint=spec.repaint,
        chords=chords,
    )


def recognise_chord_notes(notes: Sequence[ChordNote], song: Song) -> tuple[ChordSpan, ...]:
    """Chord spans of a DAW's edited chords clip (quarter-note beats from bar 1) on the
    song's grid; notes past the song's end are dropped, notes running over it are cut."""
    from multitrack.recognise import recognise

    grid: list[Note] = []
    for pitch, start, length in notes:
        step = round(start * STEPS_PER_BEAT)
        if step >= song.steps:
            continue
        end = min(song.steps, max(step + 1, round((start + length) * STEPS_PER_BEAT)))
        grid.append(Note(step, pitch, end - step))
    if not grid:
        raise ProtocolError("bad_chord", f"no chord note starts inside the take's {song.bars} bars")
    return tuple(recognise(grid, song.meter, steps=song.steps))
