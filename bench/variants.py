"""Sampler configurations a bench scores side by side: ``SAMPLER-STEPSxCANDIDATES-PRECISION``.

``ddim-20x6-fp32+text`` is 0.4's shipped setting, ``dpm-10x4-int8`` a faster one. The steps
go in each request; sampler, candidates and precision make the pipeline. ``+text``: the
prompt's sentence vector conditions every take (``Pipeline(text_vector="always")``), not only
prompts with words the lexicon left unnamed. ``+batch``: every candidate is sampled in one
batch, as 0.4.1 did (``Pipeline.first_alone`` off), not one first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from models.checkpoint import LoadedModel
from models.pipeline import Pipeline
from models.precision import PRECISIONS
from models.sampling import SAMPLERS

_SPEC = re.compile(
    r"(?P<sampler>[a-z]+)-(?P<steps>\d+)x(?P<candidates>\d+)-(?P<precision>[a-z0-9]+)(?P<text>\+text)?(?P<batch>\+batch)?"
)


@dataclass(frozen=True)
class Variant:
    sampler: str
    steps: int
    candidates: int
    precision: str
    text: bool = False
    batch: bool = False

    @property
    def name(self) -> str:
        text = "+text" if self.text else ""
        batch = "+batch" if self.batch else ""
        return f"{self.sampler}-{self.steps}x{self.candidates}-{self.precision}{text}{batch}"

    def pipeline(
        self, model: LoadedModel | None = None, checkpoint: Path | None = None
    ) -> Pipeline:
        """The pipeline of this variant over ``model`` (or the checkpoint, with its guard)."""
        if model is None:
            pipe = Pipeline.load(checkpoint, candidates=self.candidates, sampler=self.sampler,
                                 precision=self.precision)  # fmt: skip
        else:
            pipe = Pipeline(model, candidates=self.candidates, sampler=self.sampler,
                            precision=self.precision)  # fmt: skip
        pipe.text_vector = "always" if self.text else "unnamed"
        pipe.first_alone = not self.batch
        return pipe


def parse_variants(text: str) -> list[Variant]:
    """``"ddim-20x6-fp32,dpm-10x4-int8"`` -> variants; SystemExit with a one-line reason."""
    out = []
    for spec in (s.strip() for s in text.split(",") if s.strip()):
        m = _SPEC.fullmatch(spec)
        if m is None or m["sampler"] not in SAMPLERS or m["precision"] not in PRECISIONS:
            raise SystemExit(f"bad variant {spec!r}: want SAMPLER-STEPSxK-PRECISION with a "
                             f"sampler in {sorted(SAMPLERS)} and a precision in {list(PRECISIONS)}")  # fmt: skip
        out.append(Variant(m["sampler"], int(m["steps"]), int(m["candidates"]), m["precision"],
                           bool(m["text"]), bool(m["batch"])))  # fmt: skip
    return out
