"""One request end to end: the pipeline makes a Song, the take writer puts it on disk.

Shared by ``multitrack generate`` and the OSC server's worker, so both write the same take
folders with the same song.json.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

from models.pipeline import Generation, Pipeline
from models.precision import DEFAULT_PRECISION
from models.request import CancelFn, Cancelled, GenerateRequest, ProgressFn
from multitrack.prefs import preference_scorer
from multitrack.take import Take, check_take_free, write_take


def load_pipeline(
    checkpoint: Path | None = None, *, precision: str = DEFAULT_PRECISION
) -> Pipeline:
    """Load the model once (default: the shipped checkpoint) at ``precision`` (fp32, bf16 or
    int8; models.precision). int8 without a quantised engine runs fp32 and warns once on
    stderr; song.json records the precision used either way."""
    pipeline = Pipeline.load(checkpoint, precision=precision)
    if pipeline.precision.note is not None:
        print(f"multitrack: warning: {pipeline.precision.note}", file=sys.stderr)
    return pipeline


def take_meta(request: GenerateRequest, gen: Generation, pipeline: Pipeline) -> dict[str, Any]:
    """The song.json fields the pipeline knows and the take writer does not."""
    return {
        "prompt": request.prompt,
        "attributes": gen.attributes,
        "seed": gen.seed,
        "model": pipeline.version,
        "guidance": request.guidance,
        "steps": request.steps,
        "copy_guard_resamples": gen.resamples,
        "edit": request.edit_record(),
        "timings": {k: round(v, 4) for k, v in gen.timings.items()},
        "precision": pipeline.precision.used,
        **({"precision_note": pipeline.precision.note} if pipeline.precision.note else {}),
    }


def generate_take(
    pipeline: Pipeline,
    request: GenerateRequest,
    out_root: Path,
    *,
    name: str | None = None,
    progress: ProgressFn | None = None,
    cancelled: CancelFn | None = None,
    soundfont: Path | None = None,
    sample_rate: int = 44100,
    defer_preview: bool = False,
) -> Take:
    """Generate (or edit) and write a new take folder under ``out_root``.

    ``defer_preview``: the takes go into place before their preview.png is drawn, which
    ``multitrack.take.finish_take(take)`` does (the server: after its ``done`` reply).

    Raises ``Cancelled`` if ``cancelled()`` turns true before the take is in place; nothing
    is left behind in that case (the take writer builds in a hidden folder).
    """
    if name is not None:  # refused before the work, not after it
        for taken in [name] + [f"{name}-{k}" for k in range(2, request.variations + 1)]:
            check_take_free(out_root, taken)
    if progress is not None:
        progress(0.0, "parsing")
    prefer = preference_scorer(out_root)  # None until the producer has rated enough takes
    gen = pipeline.generate(request, progress=progress, cancelled=cancelled, prefer=prefer)
    if cancelled is not None and cancelled():
        raise Cancelled("cancelled")
    t0 = time.perf_counter()

    def write_progress(fraction: float, stage: str) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("cancelled")
        if progress is not None:
            progress(0.8 + 0.2 * fraction, stage)

    meta = take_meta(request, gen, pipeline)
    if gen.variations:
        meta["variations"] = len(gen.variations) + 1
    take = write_take(
        gen.song,
        out_root,
        name=name,
        meta=meta,
        soundfont=soundfont,
        sample_rate=sample_rate,
        progress=write_progress,
        defer_preview=defer_preview,
    )
    # Variations: full take folders beside the first, named <take>-2 ... <take>-K. One
    # that cannot be written takes the others this request wrote with it: all or none.
    written = [take.dir]
    try:
        for k, song in enumerate(gen.variations, start=2):
            variation = write_take(
                song,
                out_root,
                name=f"{take.dir.name}-{k}",
                meta={**meta, "variation": k, "variation_of": take.dir.name},
                soundfont=soundfont,
                sample_rate=sample_rate,
                defer_preview=defer_preview,
            )
            take.pending.extend(variation.pending)
            written.append(variation.dir)
    except BaseException:
        for folder in written:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    gen.timings["write"] = time.perf_counter() - t0
    if progress is not None:
        progress(1.0, "done")
    return take
