"""Linear attention and rotary positions, as pure functions.

Attention cost grows linearly with sequence length: softmax(QK^T)V is replaced by
phi(Q) (phi(K)^T V) / (phi(Q) . sum phi(K)) with the feature map phi(x) = elu(x) + 1
(Katharopoulos et al. 2020). Rotary positions rotate the *features* in the numerator only,
which keeps the normaliser positive (RoFormer, Su et al. 2021, section 3.3).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def elu_feature_map(x: torch.Tensor) -> torch.Tensor:
    return F.elu(x) + 1.0


def rotary_tables(
    positions: torch.Tensor, dim: int, *, base: float = 10000.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin tables (N, dim) for integer ``positions`` (N,); ``dim`` must be even."""
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    angles = positions.float()[:, None] * inv[None, :]  # (N, dim / 2)
    angles = torch.cat([angles, angles], dim=-1)  # (N, dim)
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate (..., N, D) by tables (N, D)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    cos: torch.Tensor | None = None,
    sin: torch.Tensor | None = None,
    key_mask: torch.Tensor | None = None,
    eps: float = 1e-6,
) -> torch.Tensor:
    """Non-causal linear attention. q, k, v: (B, H, N, D); key_mask: (B, N), 1 = attend.

    Returns (B, H, N, D). Time and memory O(N D^2) instead of O(N^2 D).
    """
    phi_q = elu_feature_map(q)
    phi_k = elu_feature_map(k)
    if key_mask is not None:
        phi_k = phi_k * key_mask[:, None, :, None].to(phi_k.dtype)
    denom = torch.einsum("bhnd,bhd->bhn", phi_q, phi_k.sum(dim=2))  # (B, H, N)
    if cos is not None and sin is not None:
        phi_q = apply_rotary(phi_q, cos, sin)
        phi_k = apply_rotary(phi_k, cos, sin)
    kv = torch.einsum("bhnd,bhne->bhde", phi_k, v)  # (B, H, D, D)
    out = torch.einsum("bhnd,bhde->bhne", phi_q, kv)  # (B, H, N, D)
    return out / (denom[..., None] + eps)
