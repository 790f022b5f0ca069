"""Noise schedule and the deterministic DDIM sampler step: pure maths, no parameters.

The scheduler follows diffusers' three calls: ``set_timesteps(n)``, ``step(v, t, x)`` and
``add_noise(x0, noise, t)``. The network predicts v = sqrt(ab) * eps - sqrt(1 - ab) * x0
(Salimans & Ho 2022), which stays well scaled at both ends of a cosine schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


def cosine_alpha_bar(timesteps: int, *, s: float = 0.008) -> torch.Tensor:
    """Cumulative signal level alpha_bar(t) for t = 0..timesteps-1 (Nichol & Dhariwal 2021),
    clipped so the last step keeps a little signal (avoids a singular v at t = T)."""
    steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = (f / f[0])[1:]
    return alpha_bar.clamp(min=1e-4, max=0.9999).float()


def add_noise(
    x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor
) -> torch.Tensor:
    """x_t for integer timesteps t (B,)."""
    ab = alpha_bar[t].view(-1, *([1] * (x0.dim() - 1)))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def v_target(
    x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor
) -> torch.Tensor:
    ab = alpha_bar[t].view(-1, *([1] * (x0.dim() - 1)))
    return ab.sqrt() * noise - (1 - ab).sqrt() * x0


def predict_x0_eps(
    v: torch.Tensor, x_t: torch.Tensor, ab: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """From v and x_t at signal level ab (scalar tensor) to (x0, eps)."""
    a, s = ab.sqrt(), (1 - ab).sqrt()
    return a * x_t - s * v, s * x_t + a * v


@dataclass
class DDIMScheduler:
    """Deterministic DDIM (eta = 0) over a cosine schedule with v-prediction."""

    train_timesteps: int = 1000
    alpha_bar: torch.Tensor = field(init=False)
    timesteps: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        self.alpha_bar = cosine_alpha_bar(self.train_timesteps)
        self.timesteps = torch.arange(self.train_timesteps - 1, -1, -1)

    def set_timesteps(self, n: int) -> None:
        """Evenly spaced timesteps, from the noisiest down to 0 ("trailing" spacing)."""
        if not 1 <= n <= self.train_timesteps:
            raise ValueError(f"steps must be 1-{self.train_timesteps}, got {n}")
        ts = torch.linspace(self.train_timesteps - 1, 0, n + 1)[:-1]
        self.timesteps = ts.round().long()

    def previous(self, t: int) -> int:
        """The next (less noisy) timestep after ``t``, or -1 after the last."""
        idx = int((self.timesteps == t).nonzero()[0, 0])
        return int(self.timesteps[idx + 1]) if idx + 1 < len(self.timesteps) else -1

    def step(self, v: torch.Tensor, t: int, x_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One DDIM step from x_t. Returns (x_prev, predicted x0)."""
        ab_t = self.alpha_bar[t]
        prev = self.previous(t)
        ab_prev = self.alpha_bar[prev] if prev >= 0 else torch.tensor(1.0)
        x0, eps = predict_x0_eps(v, x_t, ab_t)
        return ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps, x0

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return add_noise(x0, noise, t, self.alpha_bar)


def dpm_solver_2m_update(
    x_t: torch.Tensor,
    x0: torch.Tensor,
    x0_last: torch.Tensor | None,
    *,
    lam_t: float,
    lam_prev: float,
    lam_last: float | None,
    sigma_ratio: float,
    alpha_prev: float,
) -> torch.Tensor:
    """One DPM-Solver++(2M) step in data prediction (Lu et al. 2022, eq. 18): from x_t to
    the next level, with the current and the previous x0 predictions. ``lam`` are
    log(alpha / sigma); ``sigma_ratio`` is sigma_prev / sigma_t. First order when
    ``x0_last`` is None, or where the clamped schedule leaves two levels equal (many steps:
    the noisiest timesteps share alpha_bar's floor, so ``h`` or the last step is 0)."""
    h = lam_prev - lam_t
    d = x0
    if x0_last is not None and lam_last is not None and h != 0 and lam_t != lam_last:
        r = (lam_t - lam_last) / h
        d = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * x0_last
    return sigma_ratio * x_t - alpha_prev * math.expm1(-h) * d


@dataclass
class DPMSolverScheduler(DDIMScheduler):
    """DPM-Solver++(2M), deterministic, over the same cosine schedule and timesteps as
    ``DDIMScheduler`` (v-prediction in, x0 used by the solver): second order from the
    second step, first order on the last one, where sigma reaches 0."""

    _last: tuple[torch.Tensor, float] | None = field(default=None, init=False)

    def set_timesteps(self, n: int) -> None:
        super().set_timesteps(n)
        self._last = None

    def _lambda(self, ab: torch.Tensor) -> float:
        return float(0.5 * (torch.log(ab) - torch.log1p(-ab)))

    def step(self, v: torch.Tensor, t: int, x_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One solver step from x_t. Returns (x_prev, predicted x0)."""
        ab_t = self.alpha_bar[t]
        prev = self.previous(t)
        x0, _ = predict_x0_eps(v, x_t, ab_t)
        if prev < 0:
            self._last = None
            return x0, x0
        ab_prev = self.alpha_bar[prev]
        lam_t, lam_prev = self._lambda(ab_t), self._lambda(ab_prev)
        last = self._last
        x_prev = dpm_solver_2m_update(
            x_t,
            x0,
            None if last is None else last[0],
            lam_t=lam_t,
            lam_prev=lam_prev,
            lam_last=None if last is None else last[1],
            sigma_ratio=float(((1 - ab_prev) / (1 - ab_t)).sqrt()),
            alpha_prev=float(ab_prev.sqrt()),
        )
        self._last = (x0, lam_t)
        return x_prev, x0
