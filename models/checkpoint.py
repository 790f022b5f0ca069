"""Checkpoint I/O: the config travels inside the file and rebuilds the networks.

Shipped checkpoints hold only plain containers and tensors, so they load with
``torch.load(weights_only=True)``: opening one can never run code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.autoencoder import Autoencoder
from models.config import ModelConfig
from models.denoiser import Denoiser
from models.prior import DEGREES
from models.text.embedding import (
    TEXT_ENCODER,
    UNRECORDED_ENCODER,
    TextEncoderId,
    encoder_mismatch,
)
from multitrack.atomic import atomic_file
from multitrack.errors import MultitrackError

DEFAULT_CHECKPOINT = Path(__file__).parent / "checkpoints" / "multitrack.pt"


class CheckpointError(MultitrackError):
    code = "bad_checkpoint"


@dataclass
class LoadedModel:
    config: ModelConfig
    autoencoder: Autoencoder
    denoiser: Denoiser
    meta: dict[str, Any]
    # the decoders' fitted note-to-note tables by stem (models.prior); empty in checkpoints saved before they existed (0.4 as first shipped, 0.3)
    priors: dict[str, np.ndarray] = field(default_factory=dict)


def build(config: ModelConfig) -> tuple[Autoencoder, Denoiser]:
    ae = Autoencoder(config.autoencoder)
    return ae, Denoiser(config.denoiser, ae.latent_channels)


def save_checkpoint(
    path: Path,
    config: ModelConfig,
    autoencoder: Autoencoder,
    denoiser: Denoiser,
    *,
    meta: dict[str, Any] | None = None,
    half: bool = False,
    text_encoder: TextEncoderId = TEXT_ENCODER,
    priors: dict[str, np.ndarray] | None = None,
) -> None:
    """Write weights + config atomically; ``half`` stores float tensors as float16.
    ``text_encoder`` names the sentence encoder the denoiser was trained on; ``priors`` the
    decoders' note-to-note tables (``models.prior``), kept in float32."""

    def pack(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not half:
            return {k: v.detach().clone() for k, v in sd.items()}
        return {k: v.detach().half() if v.is_floating_point() else v for k, v in sd.items()}

    payload = {
        "format": "multitrack.checkpoint/1",
        "config": config.to_dict(),
        "autoencoder": pack(autoencoder.state_dict()),
        "denoiser": pack(denoiser.state_dict()),
        "meta": meta or {},
        "text_encoder": text_encoder.to_dict(),
        "priors": {
            k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in (priors or {}).items()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as handle:
        torch.save(payload, handle)


def load_checkpoint(path: Path | None = None) -> LoadedModel:
    """Load a checkpoint (default: the shipped one) into eval-mode float32 networks."""
    path = DEFAULT_CHECKPOINT if path is None else Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        config = ModelConfig.from_dict(payload["config"])
        check_text_encoder(path, payload.get("text_encoder"), config)
        ae, den = build(config)
        ae.load_state_dict({k: v.float() for k, v in payload["autoencoder"].items()})
        den.load_state_dict({k: v.float() for k, v in payload["denoiser"].items()})
        priors = {k: v.float().numpy() for k, v in payload.get("priors", {}).items()}
        for stem, table in priors.items():
            if stem.split("/")[0] not in ("melody", "bass") or table.ndim != 2:
                raise ValueError(f"prior {stem!r} of shape {tuple(table.shape)}")
            square = table.shape[0] == table.shape[1]
            if (table.shape != (2, 12)) if stem.endswith(DEGREES) else not square:
                raise ValueError(f"prior {stem!r} of shape {tuple(table.shape)}")
    except CheckpointError:
        raise
    except Exception as exc:  # any unreadable or mismatched file is the same user error
        reason = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        raise CheckpointError(
            f"checkpoint {path} is corrupt or incompatible ({type(exc).__name__}: {reason})"
        ) from None
    ae.eval()
    den.eval()
    return LoadedModel(config, ae, den, dict(payload.get("meta", {})), priors)


def store_priors(path: Path, priors: dict[str, np.ndarray]) -> None:
    """Write ``priors`` (``models.prior``) into the checkpoint at ``path``, in place and
    atomically; its weights, config and meta are left as they are."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    payload["priors"] = {k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in priors.items()}
    with atomic_file(path) as handle:
        torch.save(payload, handle)


def store_meta(path: Path, **entries: Any) -> None:
    """Add ``entries`` to the meta of the checkpoint at ``path``, in place and atomically;
    weights, config and tables are left as they are."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    payload["meta"] = {**payload.get("meta", {}), **entries}
    with atomic_file(path) as handle:
        torch.save(payload, handle)


def check_text_encoder(path: Path, recorded: Any, config: ModelConfig) -> TextEncoderId:
    """The text encoder a checkpoint names (``UNRECORDED_ENCODER`` for one that names none);
    CheckpointError when it is not this install's, or when the denoiser's text input is not
    that encoder's width."""
    encoder = UNRECORDED_ENCODER if recorded is None else TextEncoderId.from_dict(recorded)
    if encoder is None:
        raise CheckpointError(f"checkpoint {path} records its text encoder as {recorded!r}")
    if encoder.dim != config.denoiser.text_dim:
        raise CheckpointError(
            f"checkpoint {path} names the text encoder {encoder}, but its denoiser takes "
            f"{config.denoiser.text_dim}-d text vectors"
        )
    reason = encoder_mismatch(encoder, what=f"checkpoint {path}")
    if reason is not None:
        raise CheckpointError(reason)
    return encoder
