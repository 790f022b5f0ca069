"""Per-stem convolutional autoencoders; the joint latent is their channel concatenation.

Each stem's (C, T) roll is compressed in time by ``2 ** downsamples`` (16th -> quarter note
by default) into ``latent_channels`` channels. Keeping each stem in its own channel group
is what makes "keep the chords, regenerate the rest" a mask over channels.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from models.config import AutoencoderConfig
from models.representation import POS_WEIGHT, STEM_CHANNELS
from multitrack.song import STEMS


class ResBlock(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(8 if width % 8 == 0 else 1, width)
        self.conv1 = nn.Conv1d(width, width, 3, padding=1)
        self.norm2 = nn.GroupNorm(8 if width % 8 == 0 else 1, width)
        self.conv2 = nn.Conv1d(width, width, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class StemEncoder(nn.Module):
    def __init__(self, in_channels: int, cfg: AutoencoderConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(in_channels, cfg.hidden, 3, padding=1)]
        for _ in range(cfg.downsamples):
            layers += [ResBlock(cfg.hidden) for _ in range(cfg.blocks)]
            layers.append(nn.Conv1d(cfg.hidden, cfg.hidden, 4, stride=2, padding=1))
        layers += [ResBlock(cfg.hidden) for _ in range(cfg.blocks)]
        layers += [nn.SiLU(), nn.Conv1d(cfg.hidden, cfg.latent_channels, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, C_in, T) -> (B, z, T / compression)


class StemDecoder(nn.Module):
    def __init__(self, out_channels: int, cfg: AutoencoderConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(cfg.latent_channels, cfg.hidden, 3, padding=1)]
        for _ in range(cfg.downsamples):
            layers += [ResBlock(cfg.hidden) for _ in range(cfg.blocks)]
            layers.append(nn.ConvTranspose1d(cfg.hidden, cfg.hidden, 4, stride=2, padding=1))
        layers += [ResBlock(cfg.hidden) for _ in range(cfg.blocks)]
        layers += [nn.SiLU(), nn.Conv1d(cfg.hidden, out_channels, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)  # (B, z, T / compression) -> (B, C_out, T) logits


# State-dict prefixes of the melody decoder and of the pitch reader.
MELODY_PREFIX = "decoders.melody."
READER_PREFIX = "pitch_reader."


def as_pitch_reader(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The melody decoder of an autoencoder state dict, under the pitch reader's names."""
    return {
        READER_PREFIX + k[len(MELODY_PREFIX) :]: v
        for k, v in state.items()
        if k.startswith(MELODY_PREFIX)
    }


def read_pitches(rhythm: torch.Tensor, pitches: torch.Tensor) -> torch.Tensor:
    """Melody logits (B, 1 + rows + 1, T: rest, pitch rows, onset) whose rest-or-sound and
    onset rows are ``rhythm``'s and whose pitch given sounding is ``pitches``'s: log P(rest),
    log P(sound) + log P(row | sound), and the onset logit as it was."""
    rows = rhythm.shape[1] - 2
    heard = torch.log_softmax(rhythm[:, : rows + 1].float(), dim=1)
    sound = torch.logsumexp(heard[:, 1:], dim=1, keepdim=True)
    which = torch.log_softmax(pitches[:, 1 : rows + 1].float(), dim=1)
    out = torch.cat([heard[:, :1], sound + which, rhythm[:, rows + 1 :].float()], dim=1)
    return out.to(rhythm.dtype)


class Autoencoder(nn.Module):
    """Four stem autoencoders plus the latent scale that makes latents unit variance."""

    latent_mean: torch.Tensor
    latent_std: torch.Tensor

    def __init__(self, cfg: AutoencoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoders = nn.ModuleDict({s: StemEncoder(STEM_CHANNELS[s], cfg) for s in STEMS})
        self.decoders = nn.ModuleDict({s: StemDecoder(STEM_CHANNELS[s], cfg) for s in STEMS})
        self.pitch_reader = StemDecoder(STEM_CHANNELS["melody"], cfg) if cfg.pitch_reader else None
        if self.pitch_reader is not None:  # copied, never trained (``keep_pitch_reader``)
            self.pitch_reader.requires_grad_(False)
        # Per-channel statistics of training latents, set after autoencoder training.
        self.register_buffer("latent_mean", torch.zeros(len(STEMS) * cfg.latent_channels))
        self.register_buffer("latent_std", torch.ones(len(STEMS) * cfg.latent_channels))

    def keep_pitch_reader(self) -> None:
        """Make the pitch reader the melody decoder as it is now: at the end of autoencoder
        training, before the decoders are tuned on noisy latents."""
        if self.pitch_reader is not None:
            self.pitch_reader.load_state_dict(self.decoders["melody"].state_dict())

    @property
    def latent_channels(self) -> int:
        return len(STEMS) * self.cfg.latent_channels

    def stem_slice(self, stem: str) -> slice:
        i = STEMS.index(stem)
        z = self.cfg.latent_channels
        return slice(i * z, (i + 1) * z)

    def encode(self, rolls: dict[str, torch.Tensor]) -> torch.Tensor:
        """Rolls {stem: (B, C_stem, T)} -> normalised joint latent (B, 4 z, T / compression)."""
        z = torch.cat([self.encoders[s](rolls[s]) for s in STEMS], dim=1)
        return (z - self.latent_mean[:, None]) / self.latent_std[:, None]

    def encode_raw(self, rolls: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([self.encoders[s](rolls[s]) for s in STEMS], dim=1)

    def decode(self, latent: torch.Tensor) -> dict[str, torch.Tensor]:
        """Normalised joint latent (B, 4 z, F) -> logits {stem: (B, C_stem, F * compression)}.

        With a pitch reader, the melody's logits are log-probabilities: whether a step
        sounds, and its onset row, from the melody decoder (tuned on noisy latents, it reads
        a generated latent's rhythm as a plausible one); which pitch sounds from the reader
        (autoencoder training's own decoder). Tuned on noise, the melody decoder also reads
        pitches toward the commonest degrees: generated melodies lost half their chromatic
        notes and a tenth of their pitch-class entropy to it (docs/model.md, "Session 14")."""
        z = latent * self.latent_std[:, None] + self.latent_mean[:, None]
        out = {s: self.decoders[s](z[:, self.stem_slice(s)]) for s in STEMS}
        if self.pitch_reader is not None:
            out["melody"] = read_pitches(
                out["melody"], self.pitch_reader(z[:, self.stem_slice("melody")])
            )
        return out

    def decode_raw(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        return {s: self.decoders[s](z[:, self.stem_slice(s)]) for s in STEMS}

    def forward(
        self, rolls: dict[str, torch.Tensor], latent_noise: float = 0.0
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Training pass: encode, perturb the latent with Gaussian noise, decode.
        Returns (logits per stem, raw latent)."""
        z = self.encode_raw(rolls)
        return self.decode_raw(z + latent_noise * torch.randn_like(z)), z


def reconstruction_loss(
    logits: dict[str, torch.Tensor], target: dict[str, torch.Tensor], mask: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Per-stem losses. ``mask`` (B, T) is 1 on real steps, 0 on padding.

    Monophonic stems: cross-entropy over (rest, rows) plus onset BCE; polyphonic stems and
    drums: BCE with positives up-weighted (rolls are sparse).
    """
    losses: dict[str, torch.Tensor] = {}
    denom = mask.sum().clamp(min=1.0)
    for stem in STEMS:
        out, tgt = logits[stem], target[stem]
        if stem in ("melody", "bass"):
            rows = out.shape[1] - 1
            ce = F.cross_entropy(out[:, :rows], tgt[:, :rows].argmax(1), reduction="none")
            bce = F.binary_cross_entropy_with_logits(
                out[:, rows],
                tgt[:, rows],
                pos_weight=torch.tensor(POS_WEIGHT[stem]),
                reduction="none",
            )
            losses[stem] = ((ce + bce) * mask).sum() / denom
        else:
            bce = F.binary_cross_entropy_with_logits(
                out, tgt, pos_weight=torch.tensor(POS_WEIGHT[stem]), reduction="none"
            ).sum(1)
            losses[stem] = (bce * mask).sum() / denom
    return losses
