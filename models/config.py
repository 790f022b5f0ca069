"""Model configs: frozen dataclasses saved inside the checkpoint and rebuilt from it.

The defaults are the shipped model; ``tiny()`` is the debug size tests use (seconds on CPU).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from multitrack.stems import stem_spec

# How a song is transposed before the network sees it (models.representation): "signature"
# moves the key's relative major to C, "tonic" (checkpoints before 0.3) its tonic.
KEY_FRAMES = ("signature", "tonic")
DEFAULT_KEY_FRAME = "signature"


def check_key_frame(key_frame: str) -> str:
    """``key_frame`` itself, or ValueError naming the frames there are."""
    if key_frame not in KEY_FRAMES:
        raise ValueError(f"unknown key frame {key_frame!r}; frames: {', '.join(KEY_FRAMES)}")
    return key_frame


# Pitch windows of the model's rolls, in the key-normalised frame (C at the frame's anchor),
# as multitrack.stems defines them.
MELODY_LOW, MELODY_ROWS = stem_spec("melody").window  # C3..B6
CHORDS_LOW, CHORDS_ROWS = stem_spec("chords").window  # C2..B5
BASS_LOW, BASS_ROWS = stem_spec("bass").window  # C1..B3
DRUM_ROWS = stem_spec("drums").window[1]


@dataclass(frozen=True)
class AutoencoderConfig:
    """Per-stem conv autoencoders; each stem gets ``latent_channels`` channels per latent
    frame, one frame every ``2 ** downsamples`` grid steps (4 = one frame a quarter note)."""

    hidden: int = 96
    latent_channels: int = 8
    downsamples: int = 2
    blocks: int = 2
    # A second melody decoder that reads the melody's pitches, kept as autoencoder training
    # left it, beside the melody decoder tuned on noisy latents, which reads its rhythm
    # (``Autoencoder.decode``; docs/model.md, "Session 14").
    pitch_reader: bool = True

    @property
    def compression(self) -> int:
        return 2**self.downsamples


@dataclass(frozen=True)
class DenoiserConfig:
    """A linear-attention transformer over latent frames plus prefix conditioning tokens."""

    width: int = 192
    depth: int = 5
    heads: int = 4
    mlp_ratio: int = 3
    text_dim: int = 512
    text_tokens: int = 2
    max_frames_per_bar: int = 4
    dropout: float = 0.0
    # Time-aligned chord and section tracks (models.tracks), from 0.4; configs saved
    # before read as without them.
    tracks: bool = True
    # The feel track's two rows (models.tracks ``FEEL_ROWS``: comping strikes and bass notes
    # a quarter note; ``multitrack train --feel``): the network writes much the same comping
    # whatever the style the text names (docs/model.md, "Session 17"), so a take's density
    # would be asked for directly. Tried in session 21 from 0.4.2's weights (runs/v21,
    # v22: 4,000 and 6,000 steps, the new rows at 10x and 30x the rate): the network barely
    # follows it (a jazz take asked for half / twice its style's comping struck 2.22 / 4.28
    # times a bar, 3.88 unasked), so not shipped (docs/model.md). Off: the first six rows
    # only, as every config saved before reads.
    feel: bool = False
    # A depthwise convolution over ``local_kernel`` neighbouring frames in every block
    # (``models.denoiser.LocalMix``; 0: none). Linear attention spreads its weight over the
    # whole take and cannot look sharply at the next beat. Its output projection starts at
    # zero, so a checkpoint without it starts where it was. Tried in session 9 (runs/v10,
    # ``multitrack train --local-kernel 5``): held-out loss down on every stem, the style
    # classifier down 0.77 -> 0.735, so not shipped (docs/model.md). Configs saved before
    # read as 0.
    local_kernel: int = 0
    # Every block reads the frames this many bars before and after (``models.denoiser.
    # PhraseMix``; empty: none), so a bar can return exactly 2 or 4 bars later as the
    # corpus's do. Its output projection starts at zero. Tried in session 11 (runs/v12,
    # ``multitrack train --phrase-bars 1,2,4,8``, 4,500 steps): bars did not return more
    # (+4 0.10 -> 0.11, windows 0.25), style 0.78 -> 0.75, so not shipped (docs/model.md).
    # Configs saved before read as ().
    phrase_bars: tuple[int, ...] = ()


@dataclass(frozen=True)
class DiffusionConfig:
    train_timesteps: int = 1000
    cond_dropout: float = 0.1  # drop all conditioning (classifier-free guidance)
    attr_dropout: float = 0.15  # drop each attribute token alone (attributes may be unknown)
    chord_dropout: float = 0.5  # drop the whole chord track (the model invents harmony)
    chord_bar_dropout: float = 0.2  # else, share of examples with bars left unknown
    section_dropout: float = 0.3  # drop the whole section track
    feel_dropout: float = 0.3  # drop each feel row (comping, bass density) alone


@dataclass(frozen=True)
class ModelConfig:
    autoencoder: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    denoiser: DenoiserConfig = field(default_factory=DenoiserConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    version: str = "multitrack-ldm-0.4.2"
    key_frame: str = DEFAULT_KEY_FRAME

    def __post_init__(self) -> None:
        check_key_frame(self.key_frame)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        return cls(
            # saved before session 14: no pitch reader
            autoencoder=AutoencoderConfig(**{"pitch_reader": False, **data["autoencoder"]}),
            # saved before 0.4: no tracks; before session 9: no local mix; before 11: no phrase
            # mix; before 21: no feel track
            denoiser=DenoiserConfig(
                **{
                    "tracks": False,
                    "feel": False,
                    "local_kernel": 0,
                    **data["denoiser"],
                    "phrase_bars": tuple(data["denoiser"].get("phrase_bars", ())),
                }
            ),
            diffusion=DiffusionConfig(**data["diffusion"]),
            version=str(data.get("version", "unknown")),
            key_frame=str(data.get("key_frame", "tonic")),  # saved before 0.3: tonic frame
        )

    @classmethod
    def tiny(cls) -> ModelConfig:
        return cls(
            autoencoder=AutoencoderConfig(hidden=16, latent_channels=4, blocks=1),
            denoiser=DenoiserConfig(width=32, depth=2, heads=2, mlp_ratio=2),
            version="multitrack-ldm-tiny",
        )
