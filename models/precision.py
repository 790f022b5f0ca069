"""Inference precision: dynamic int8 (the default since session 8: every quality bench within
its noise of fp32, 0.56-0.80 of 0.4.1's time to a take; docs/model.md), fp32, bf16 autocast.

``apply_precision(denoiser, precision)`` returns the network to sample with and what it runs
at. int8 is ``torch.ao.quantization.quantize_dynamic`` of the denoiser's ``nn.Linear``
layers (weights int8, activations quantised per call); torch's dynamic quantisation has no
kernels for the autoencoder's ``Conv1d``/``ConvTranspose1d`` decoders, so they stay fp32
(static quantisation would need calibration data, and decoding is ~3% of a take). A
machine with no quantised engine falls back to fp32 and says so (``Precision.note``).
bf16 runs the denoiser and the decoders under CPU autocast (weights stay fp32; matmuls and
convolutions in bfloat16), ``autocast(precision)``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

from multitrack.errors import MultitrackError

if TYPE_CHECKING:  # torch loads when a model does: the CLI reads PRECISIONS without it
    from torch import nn

PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "int8")
DEFAULT_PRECISION = "int8"
# Engines whose dynamic-quantised Linear kernels we can run on a CPU.
INT8_ENGINES: tuple[str, ...] = ("x86", "fbgemm", "onednn", "qnnpack")

M = TypeVar("M", bound="nn.Module")


class PrecisionError(MultitrackError):
    """A precision this install does not know."""

    code = "bad_value"


@dataclass(frozen=True)
class Precision:
    """What the model runs at (``used``), what was asked, and why they differ (``note``)."""

    asked: str
    used: str
    note: str | None = None


def check_precision(name: str) -> str:
    if name not in PRECISIONS:
        raise PrecisionError(f"unknown precision {name!r}; choose one of {', '.join(PRECISIONS)}")
    return name


def int8_engine() -> str | None:
    """The quantised engine int8 runs on here, or None when torch has none."""
    import torch

    engines = [e for e in torch.backends.quantized.supported_engines if e in INT8_ENGINES]
    if not engines:
        return None
    current = torch.backends.quantized.engine
    return current if current in engines else engines[0]


def quantise_int8(module: M) -> M:
    """A copy of ``module`` with every ``nn.Linear`` dynamically quantised to int8."""
    import torch
    from torch import nn

    engine = int8_engine()
    if engine is None:
        raise PrecisionError("this torch build has no quantised engine for int8")
    if torch.backends.quantized.engine != engine:
        torch.backends.quantized.engine = engine
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch 2.13 deprecates eager-mode quantisation in favour of torchao (not installed);
        # the kernels are the same, so the notices are noise for a producer.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        # one copy: without inplace, quantize_dynamic deepcopies it again (paired, 10 runs in one
        # process with one core busy: 0.264 -> 0.180 s of every int8 model load)
        copied = copy.deepcopy(module)
        return cast(M, quantize_dynamic(copied, {nn.Linear}, dtype=torch.qint8, inplace=True))


def apply_precision(denoiser: M, precision: str) -> tuple[M, Precision]:
    """The denoiser to sample with at ``precision`` and the precision it really runs at
    (int8 without a quantised engine: fp32, with a note that is also logged)."""
    check_precision(precision)
    if precision != "int8":
        return denoiser, Precision(precision, precision)
    if int8_engine() is None:
        import torch

        note = (
            "int8 asked, but this torch build has no quantised engine "
            f"(supported: {', '.join(torch.backends.quantized.supported_engines) or 'none'}); "
            "running fp32"
        )
        return denoiser, Precision(precision, "fp32", note)  # the caller says so
    quantised = quantise_int8(denoiser)
    quantised.eval()
    return quantised, Precision(precision, "int8")


@contextlib.contextmanager
def autocast(precision: str) -> Iterator[None]:
    """bfloat16 CPU autocast for ``bf16``; nothing for fp32 and int8."""
    if precision == "bf16":
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            yield
    else:
        yield


def state_megabytes(module: nn.Module) -> float:
    """The size of ``module``'s saved state (``torch.save`` of its state dict), in MB."""
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.save(module.state_dict(), buffer)
    return buffer.tell() / 1e6
