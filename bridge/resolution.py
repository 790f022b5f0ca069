"""A parsed job -> the ``GenerateRequest`` the worker runs.

A regenerate names its source take by job id; the take is read when the job runs (it may
have been written by a job queued just before), and ``chords`` or ``chord_notes`` become
chord spans on the source's meter and length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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
    return edit_request(
        song,
        record,
        seed=spec.seed,
        guidance=DEFAULT_GUIDANCE if spec.guidance is None else spec.guidance,
        steps=DEFAULT_STEPS if spec.steps is None else spec.steps,
        keep=spec.keep,
        repaint=spec.repaint,
        chords=chords,
    )


def edit_request(
    song: Song,
    record: Mapping[str, Any],
    *,
    prompt: str = "",
    seed: int | None = None,
    guidance: float = DEFAULT_GUIDANCE,
    steps: int = DEFAULT_STEPS,
    keep: tuple[str, ...] = (),
    repaint: tuple[int, int] | None = None,
    chords: tuple[ChordSpan, ...] | None = None,
    chord_text: str | None = None,
    stems: tuple[str, ...] | None = None,
) -> GenerateRequest:
    """The request that edits a take (``song`` and its song.json ``record``), for the CLI's
    ``--from`` and OSC's regenerate alike: an empty ``prompt`` and a missing ``seed`` are the
    take's own, so what is regenerated keeps the take's style and text conditioning; the
    take fixes length, tempo, key and meter."""
    own_prompt, own_seed = record.get("prompt"), record.get("seed")
    if not prompt.strip():
        prompt = own_prompt if isinstance(own_prompt, str) else ""
    if seed is None:
        seed = own_seed if isinstance(own_seed, int) and not isinstance(own_seed, bool) else 0
    return GenerateRequest(
        prompt=prompt,
        bars=song.bars,
        seed=seed,
        bpm=song.tempo,
        key=song.key,
        meter=str(song.meter),
        guidance=guidance,
        steps=steps,
        source=song,
        keep=keep,
        repaint=repaint,
        chords=chords,
        chord_text=chord_text,
        stems=stems,
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
