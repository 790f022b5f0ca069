"""The denoiser: a linear-attention transformer over latent frames.

Tokens are [conditioning prefix | latent frames]. A frame token is the noisy latent, the
known latent (for inpainting) and the inpainting mask, projected to ``width``, plus a
position-in-bar embedding; frames also get rotary positions. The prefix holds one token per
attribute (style, mode, meter, tempo, three programs, playing stems) and ``text_tokens``
projected from the sentence embedding. The timestep enters every block by adaptive norm. With ``cfg.tracks``, each frame also gets
the chord and section tracks (models.tracks), and with ``cfg.feel`` the feel track: one
embedding per row, summed, through a projection that starts at zero (so a model trained
without tracks starts where it was; a feel row added later starts at zero likewise); the
feel's first frame also enters every block's adaptive norm (``feel_proj``, from zero).
With ``cfg.local_kernel``, every block also mixes each frame with its neighbours by a
depthwise convolution (``LocalMix``), likewise starting at zero; with ``cfg.phrase_bars``,
with the frames whole bars away (``PhraseMix``), likewise.
The denoiser knows nothing of noise levels beyond its timestep input (diffusers' split).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from models.attention import linear_attention, rotary_tables
from models.conditioning import N_METERS, N_MODES, N_STYLES, NULL_PROGRAM, NULL_STEMS, CondBatch
from models.config import DenoiserConfig
from models.tracks import FEEL_ROWS, TRACK_SIZES
from multitrack.stems import PROGRAM_STEMS


def timestep_embedding(t: torch.Tensor, dim: int, *, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding (B, dim) of (B,) float timesteps."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.cos(), args.sin()], dim=-1)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale[:, None]) + shift[:, None]


class LinearSelfAttention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(
        self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, key_mask: torch.Tensor
    ) -> torch.Tensor:
        b, n, w = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        y = linear_attention(q, k, v, cos=cos, sin=sin, key_mask=key_mask)  # (B, H, N, D)
        return self.out(y.transpose(1, 2).reshape(b, n, w))


class LocalMix(nn.Module):
    """A depthwise convolution over the frame tokens (``kernel`` frames, centred), then a
    projection that starts at zero, so a block gains it without changing its output. Linear
    attention sees the take as one smoothed summary; this lets a frame read its neighbours
    exactly (the melody's next note, the bass's step to it). Padded frames read as silence."""

    def __init__(self, width: int, kernel: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.conv = nn.Conv1d(width, width, kernel, padding=kernel // 2, groups=width)
        self.out = nn.Linear(width, width)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, frames: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """frames (B, F, W), frame_mask (B, F) -> the update (B, F, W)."""
        u = self.norm(frames) * frame_mask[:, :, None]
        return self.out(F.gelu(self.conv(u.transpose(1, 2)).transpose(1, 2)))


class PhraseMix(nn.Module):
    """Each frame reads the frames at the same place in the bar ``k`` bars before and after
    (``k`` in ``bars``), one depthwise weight per offset and channel, then a projection that
    starts at zero. A melody's bar returns 2 or 4 bars later in the corpus (bars i and i + 4
    share 0.21-0.28 of their notes, takes 0.07-0.14); linear attention's smoothed summary of
    the take cannot copy one bar exactly, this could (trained in session 11 it learned
    little: docs/model.md). Offsets are in bars, so a frame reads the same beat whatever the
    meter. Frames past the take or padded read as silence."""

    def __init__(self, width: int, bars: tuple[int, ...]) -> None:
        super().__init__()
        self.offsets = tuple(sorted({0, *bars, *(-b for b in bars)}))
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        bound = 1.0 / math.sqrt(len(self.offsets))  # as a depthwise Conv1d starts
        self.weight = nn.Parameter(torch.empty(len(self.offsets), width).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(width))
        self.out = nn.Linear(width, width)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(
        self, frames: torch.Tensor, frame_mask: torch.Tensor, frames_per_bar: torch.Tensor
    ) -> torch.Tensor:
        """frames (B, F, W), frame_mask (B, F), frames_per_bar (B,) -> the update (B, F, W)."""
        b, f, w = frames.shape
        u = self.norm(frames) * frame_mask[:, :, None]
        pos = torch.arange(f, device=frames.device)[None]
        mixed = self.bias.expand(b, f, w)
        for i, k in enumerate(self.offsets):
            src = pos + k * frames_per_bar[:, None]  # (B, F)
            inside = ((src >= 0) & (src < f)).to(u.dtype)[:, :, None]
            idx = src.clamp(0, f - 1)[:, :, None].expand(b, f, w)
            mixed = mixed + u.gather(1, idx) * inside * self.weight[i]
        return self.out(F.gelu(mixed))


class Block(nn.Module):
    def __init__(self, cfg: DenoiserConfig) -> None:
        super().__init__()
        w = cfg.width
        self.local = LocalMix(w, cfg.local_kernel) if cfg.local_kernel else None
        self.phrase = PhraseMix(w, cfg.phrase_bars) if cfg.phrase_bars else None
        self.norm1 = nn.LayerNorm(w, elementwise_affine=False)
        self.attn = LinearSelfAttention(w, cfg.heads)
        self.norm2 = nn.LayerNorm(w, elementwise_affine=False)
        self.mlp = nn.Sequential(
            nn.Linear(w, cfg.mlp_ratio * w), nn.GELU(), nn.Linear(cfg.mlp_ratio * w, w)
        )
        self.ada = nn.Linear(w, 6 * w)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        key_mask: torch.Tensor,
        prefix: int = 0,
        frames_per_bar: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``prefix``: how many leading tokens are conditioning, not frames;
        ``frames_per_bar`` (B,): needed with the phrase mix."""
        s1, sc1, g1, s2, sc2, g2 = self.ada(F.silu(c)).chunk(6, dim=-1)
        x = x + g1[:, None] * self.attn(modulate(self.norm1(x), s1, sc1), cos, sin, key_mask)
        if self.local is not None:  # frames only; the conditioning prefix is not a sequence
            frames = x[:, prefix:]
            x = torch.cat([x[:, :prefix], frames + self.local(frames, key_mask[:, prefix:])], 1)
        if self.phrase is not None:
            if frames_per_bar is None:
                raise ValueError("the phrase mix needs frames_per_bar")
            frames = x[:, prefix:]
            update = self.phrase(frames, key_mask[:, prefix:], frames_per_bar)
            x = torch.cat([x[:, :prefix], frames + update], 1)
        return x + g2[:, None] * self.mlp(modulate(self.norm2(x), s2, sc2))


class Denoiser(nn.Module):
    """Predicts v (the velocity parameterisation) for a noisy latent (B, C, F)."""

    def __init__(self, cfg: DenoiserConfig, latent_channels: int) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        self.latent_channels = latent_channels
        self.frame_in = nn.Linear(3 * latent_channels, w)
        self.bar_pos = nn.Embedding(cfg.max_frames_per_bar, w)
        self.time_mlp = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.style = nn.Embedding(N_STYLES, w)
        self.mode = nn.Embedding(N_MODES, w)
        self.meter = nn.Embedding(N_METERS, w)
        self.bpm = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.bpm_null = nn.Parameter(torch.zeros(w))
        self.programs = nn.ModuleList([nn.Embedding(NULL_PROGRAM + 1, w) for _ in PROGRAM_STEMS])
        self.stems = nn.Embedding(NULL_STEMS + 1, w)
        self.text = nn.Linear(cfg.text_dim, cfg.text_tokens * w)
        self.text_null = nn.Parameter(torch.zeros(cfg.text_tokens, w))
        self.feel_proj: nn.Linear | None = None
        if cfg.tracks:
            sizes = TRACK_SIZES if cfg.feel else TRACK_SIZES[: FEEL_ROWS.start]
            embs = [nn.Embedding(n, w) for n in sizes]
            for emb in embs[FEEL_ROWS]:  # a feel track added to a trained model
                nn.init.zeros_(emb.weight)  # starts where it was
            self.track_emb = nn.ModuleList(embs)
            self.track_proj = nn.Linear(w, w)
            nn.init.zeros_(self.track_proj.weight)
            nn.init.zeros_(self.track_proj.bias)
            if cfg.feel:  # the feel also enters every block's adaptive norm, from zero
                self.feel_proj = nn.Linear(w, w)
                nn.init.zeros_(self.feel_proj.weight)
                nn.init.zeros_(self.feel_proj.bias)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        self.norm_out = nn.LayerNorm(w, elementwise_affine=False)
        self.ada_out = nn.Linear(w, 2 * w)
        self.out = nn.Linear(w, latent_channels)
        nn.init.zeros_(self.ada_out.weight)
        nn.init.zeros_(self.ada_out.bias)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    @property
    def prefix_len(self) -> int:
        return 7 + self.cfg.text_tokens

    def cond_tokens(self, cond: CondBatch) -> torch.Tensor:
        """Prefix tokens (B, P, W)."""
        b = cond.style.shape[0]
        w = self.cfg.width
        bpm_feat = timestep_embedding(cond.bpm, w, max_period=1000.0)
        known = (cond.bpm > 0).float()[:, None]
        bpm = self.bpm(bpm_feat) * known + self.bpm_null * (1 - known)
        text = self.text(cond.text).view(b, self.cfg.text_tokens, w)
        on = cond.text_on[:, None, None]
        text = text * on + self.text_null[None] * (1 - on)
        attrs = [
            self.style(cond.style),
            self.mode(cond.mode),
            self.meter(cond.meter),
            bpm,
            *(emb(cond.programs[:, i]) for i, emb in enumerate(self.programs)),
            self.stems(cond.stems),
        ]
        return torch.cat([torch.stack(attrs, dim=1), text], dim=1)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        cond: CondBatch,
        *,
        known: torch.Tensor,
        mask: torch.Tensor,
        frames_per_bar: torch.Tensor,
        frame_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x, known, mask: (B, C, F); t: (B,) timesteps; frames_per_bar: (B,) ints;
        frame_mask: (B, F) with 1 on real frames (None: all real). Returns v (B, C, F)."""
        b, _, f = x.shape
        h = self.frame_in(torch.cat([x, known * mask, mask], dim=1).transpose(1, 2))  # (B, F, W)
        pos = torch.arange(f, device=x.device)
        h = h + self.bar_pos(pos[None] % frames_per_bar[:, None])
        if self.cfg.tracks:
            tracks = cond.tracks[:, :, :f]
            if tracks.shape[2] < f:
                tracks = F.pad(tracks, (0, f - tracks.shape[2]))
            emb = sum(e(tracks[:, i]) for i, e in enumerate(self.track_emb))  # (B, F, W)
            h = h + self.track_proj(emb)
        feel = None
        if self.cfg.tracks and self.feel_proj is not None:  # one value a row: its first
            rows = range(FEEL_ROWS.start, FEEL_ROWS.stop)
            feel = self.feel_proj(sum(self.track_emb[i](tracks[:, i, 0]) for i in rows))
        prefix = self.cond_tokens(cond)  # (B, P, W)
        tokens = torch.cat([prefix, h], dim=1)
        p = prefix.shape[1]
        # Rotary positions for frames only: prefix rows rotate by angle zero.
        cos, sin = rotary_tables(pos, self.cfg.width // self.cfg.heads)
        cos = torch.cat([torch.ones(p, cos.shape[1]), cos]).to(x.dtype)
        sin = torch.cat([torch.zeros(p, sin.shape[1]), sin]).to(x.dtype)
        fm = torch.ones(b, f, device=x.device) if frame_mask is None else frame_mask.float()
        key_mask = torch.cat([torch.ones(b, p, device=x.device), fm], dim=1)
        c = self.time_mlp(timestep_embedding(t, self.cfg.width)) + prefix.mean(dim=1)
        if feel is not None:
            c = c + feel
        for block in self.blocks:
            tokens = block(tokens, c, cos, sin, key_mask, p, frames_per_bar)
        shift, scale = self.ada_out(F.silu(c)).chunk(2, dim=-1)
        out = self.out(modulate(self.norm_out(tokens[:, p:]), shift, scale))  # (B, F, C)
        return out.transpose(1, 2)
