"""Inference precision: int8 and bf16 beside fp32 on the tiny model, the fallback, the flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import models.precision as precision
from bridge.cli import main
from bridge.service import generate_take
from models.checkpoint import load_checkpoint
from models.conditioning import CondBatch, Condition, collate
from models.pipeline import Pipeline
from models.precision import PrecisionError, apply_precision, autocast, state_megabytes
from models.request import GenerateRequest


def _denoise(den: nn.Module, frames: int = 16) -> torch.Tensor:
    torch.manual_seed(0)
    channels = den.out.out_features  # type: ignore[union-attr]
    x = torch.randn(2, channels, frames)
    cond = CondBatch.cat([collate([Condition(style="pop", bpm=100.0)], frames=frames)] * 2)
    with torch.no_grad():
        return den(x, torch.tensor([500, 500]), cond, known=torch.zeros_like(x),
                   mask=torch.zeros_like(x), frames_per_bar=torch.tensor([4, 4]))  # fmt: skip


def test_int8_quantises_every_linear_and_stays_close(tiny_checkpoint: Path) -> None:
    model = load_checkpoint(tiny_checkpoint)
    den, used = apply_precision(model.denoiser, "int8")
    assert used.used == "int8" and used.note is None
    assert den is not model.denoiser  # a copy: the fp32 network is left as it was
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    assert not any(type(m) is nn.Linear for m in den.modules())
    assert sum(isinstance(m, DynamicLinear) for m in den.modules()) == sum(
        type(m) is nn.Linear for m in model.denoiser.modules()
    )
    assert any(isinstance(m, nn.Linear) for m in model.denoiser.modules())
    ref, got = _denoise(model.denoiser), _denoise(den)
    assert got.shape == ref.shape
    assert (got - ref).abs().max() < 0.1 * ref.abs().max()
    assert state_megabytes(den) < 0.5 * state_megabytes(model.denoiser)


def test_bf16_autocast_stays_close(tiny_checkpoint: Path) -> None:
    model = load_checkpoint(tiny_checkpoint)
    den, used = apply_precision(model.denoiser, "bf16")
    assert den is model.denoiser and used.used == "bf16"
    ref = _denoise(den)
    with autocast("bf16"):
        got = _denoise(den)
    assert got.dtype == torch.bfloat16
    assert (got.float() - ref).abs().max() < 0.05 * ref.abs().max()


def test_unknown_precision_is_refused(tiny_checkpoint: Path) -> None:
    model = load_checkpoint(tiny_checkpoint)
    with pytest.raises(PrecisionError, match="unknown precision 'fp16'; choose one of fp32"):
        apply_precision(model.denoiser, "fp16")


def test_int8_without_a_quantised_engine_runs_fp32_and_says_so(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a torch build without fbgemm/x86/qnnpack/onednn: int8_engine() finds none
    monkeypatch.setattr(precision, "int8_engine", lambda: None)
    pipe = Pipeline.load(tiny_checkpoint, precision="int8")
    assert pipe.precision.used == "fp32" and "no quantised engine" in (pipe.precision.note or "")
    take = generate_take(pipe, GenerateRequest("pop", bars=2, steps=2), tmp_path)
    record = json.loads(take.files["json"].read_text(encoding="utf-8"))
    assert record["precision"] == "fp32"
    assert "int8 asked" in record["precision_note"]


@pytest.mark.parametrize("name", ["fp32", "bf16", "int8"])
def test_each_precision_writes_a_take_that_records_it(
    tiny_checkpoint: Path, tmp_path: Path, name: str
) -> None:
    pipe = Pipeline.load(tiny_checkpoint, precision=name)
    req = GenerateRequest("upbeat pop in C major", bars=2, seed=3, steps=3)
    take = generate_take(pipe, req, tmp_path)
    record = json.loads(take.files["json"].read_text(encoding="utf-8"))
    assert record["precision"] == name and "precision_note" not in record
    assert pipe.generate(req).song == pipe.generate(req).song  # still seeded


def test_cli_precision_flag(tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(["generate", "pop", "--precision", "fp16", "--out", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'fp16'" in err and len(err.strip().splitlines()) == 1
    code = main(["generate", "pop", "--bars", "2", "--steps", "2", "--precision", "int8",
                 "--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path), "--json", "--local"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)["precision"] == "int8"
