"""A checkpoint names the text encoder it was trained on; another encoder is refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from models.checkpoint import CheckpointError, build, load_checkpoint, save_checkpoint
from models.config import ModelConfig
from models.text.embedding import TEXT_ENCODER, TextEncoderId


def _saved(
    path: Path, config: ModelConfig | None = None, *, encoder: TextEncoderId = TEXT_ENCODER
) -> Path:
    config = config or ModelConfig.tiny()
    save_checkpoint(path, config, *build(config), text_encoder=encoder)
    return path


def test_a_checkpoint_records_this_installs_encoder_and_loads(tmp_path: Path) -> None:
    path = _saved(tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    assert payload["text_encoder"] == {"name": TEXT_ENCODER.name, "dim": 512}
    assert load_checkpoint(path).config == ModelConfig.tiny()
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_another_encoder_of_the_same_width_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = _saved(tmp_path / "m.pt", encoder=TextEncoderId("LaBSE", 512))
    with pytest.raises(CheckpointError, match=r"made with the text encoder LaBSE \(512-d\)"):
        load_checkpoint(path)


def test_a_denoiser_of_another_text_width_is_a_checkpoint_error(tmp_path: Path) -> None:
    tiny = ModelConfig.tiny()
    config = replace(tiny, denoiser=replace(tiny.denoiser, text_dim=384))
    path = _saved(tmp_path / "m.pt", config)
    with pytest.raises(CheckpointError, match="its denoiser takes 384-d text vectors"):
        load_checkpoint(path)


def test_a_checkpoint_from_before_the_record_reads_as_usem3(tmp_path: Path) -> None:
    path = _saved(tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    del payload["text_encoder"]
    torch.save(payload, path)
    assert load_checkpoint(path).config.version == "multitrack-ldm-tiny"
    payload["text_encoder"] = "usem3"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="records its text encoder as 'usem3'"):
        load_checkpoint(path)
