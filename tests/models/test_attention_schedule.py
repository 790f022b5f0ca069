"""The maths: linear attention, rotary positions, the noise schedule and DDIM."""

from __future__ import annotations

import torch

from models.attention import apply_rotary, elu_feature_map, linear_attention, rotary_tables
from models.schedule import DDIMScheduler, add_noise, cosine_alpha_bar, predict_x0_eps, v_target


def test_linear_attention_equals_explicit_kernel_attention() -> None:
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 7, 4, generator=g) for _ in range(3))
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    weights = fq @ fk.transpose(-1, -2)  # (B, H, N, N), the quadratic form
    explicit = (weights @ v) / weights.sum(-1, keepdim=True)
    assert torch.allclose(linear_attention(q, k, v), explicit, atol=1e-5)


def test_key_mask_hides_padding() -> None:
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(1, 1, 5, 4, generator=g) for _ in range(3))
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0]])
    out = linear_attention(q, k, v, key_mask=mask)
    short = linear_attention(q, k[:, :, :3], v[:, :, :3])
    assert torch.allclose(out, short, atol=1e-5)


def test_rotary_scores_depend_only_on_relative_position() -> None:
    g = torch.Generator().manual_seed(2)
    q, k = torch.randn(8, generator=g), torch.randn(8, generator=g)
    cos, sin = rotary_tables(torch.arange(12), 8)

    def score(m: int, n: int) -> float:
        qm = apply_rotary(q[None], cos[m : m + 1], sin[m : m + 1])
        kn = apply_rotary(k[None], cos[n : n + 1], sin[n : n + 1])
        return float((qm * kn).sum())

    assert abs(score(3, 1) - score(9, 7)) < 1e-5
    assert abs(score(0, 0) - float((q * k).sum())) < 1e-5


def test_cosine_schedule_is_decreasing_and_bounded() -> None:
    ab = cosine_alpha_bar(1000)
    assert ab.shape == (1000,)
    assert bool((ab[1:] <= ab[:-1]).all())
    assert 0.999 < float(ab[0]) < 1.0 and abs(float(ab[-1]) - 1e-4) < 1e-9


def test_v_parameterisation_inverts() -> None:
    ab = cosine_alpha_bar(1000)
    x0, noise = torch.randn(4, 3, 5), torch.randn(4, 3, 5)
    t = torch.tensor([0, 10, 500, 999])
    xt = add_noise(x0, noise, t, ab)
    v = v_target(x0, noise, t, ab)
    for i in range(4):
        x0_hat, eps_hat = predict_x0_eps(v[i], xt[i], ab[t[i]])
        assert torch.allclose(x0_hat, x0[i], atol=1e-4)
        assert torch.allclose(eps_hat, noise[i], atol=1e-4)


def test_ddim_with_an_oracle_model_recovers_the_sample() -> None:
    """A model that knows x0 predicts the exact v at every step; DDIM must land on x0."""
    sched = DDIMScheduler(1000)
    sched.set_timesteps(10)
    assert sched.timesteps.tolist() == [999, 899, 799, 699, 599, 500, 400, 300, 200, 100]
    g = torch.Generator().manual_seed(3)
    x0 = torch.randn(1, 4, 6, generator=g)
    x = torch.randn(1, 4, 6, generator=g)
    for t in sched.timesteps.tolist():
        ab = sched.alpha_bar[t]
        eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
        v = ab.sqrt() * eps - (1 - ab).sqrt() * x0
        x, _ = sched.step(v, t, x)
    assert torch.allclose(x, x0, atol=1e-4)


def test_ddim_loop_with_a_dummy_model_matches_the_stored_number() -> None:
    """diffusers' habit: a full loop with a fixed dummy model, one stored number."""
    sched = DDIMScheduler(1000)
    sched.set_timesteps(20)
    x = torch.randn(1, 2, 3, generator=torch.Generator().manual_seed(0))
    for t in sched.timesteps.tolist():
        x, _ = sched.step(0.1 * x + 0.01 * t / 1000, t, x)
    assert abs(float(x.sum()) - STORED_SUM) < 1e-4


STORED_SUM = -2.3303592


def test_dpm_solver_in_10_steps_lands_where_ddim_does_in_500() -> None:
    from models.schedule import DDIMScheduler, DPMSolverScheduler

    # data ~ N(0, 0.5^2): the exact denoiser is the posterior mean a d^2 x / (a^2 d^2 + s^2)
    def v_of(x: torch.Tensor, t: int, ab: torch.Tensor) -> torch.Tensor:
        a, s, d2 = ab[t].sqrt(), (1 - ab[t]).sqrt(), 0.25
        x0 = a * d2 * x / (a**2 * d2 + s**2)
        return (a * x - x0) / s

    def sample(sched: DDIMScheduler, n: int, x: torch.Tensor) -> torch.Tensor:
        sched.set_timesteps(n)
        for t in sched.timesteps.tolist():
            x, _ = sched.step(v_of(x, t, sched.alpha_bar), t, x)
        return x

    x = torch.linspace(-2, 2, 41)
    reference = sample(DDIMScheduler(), 500, x.clone())
    dpm = sample(DPMSolverScheduler(), 10, x.clone())
    ddim = sample(DDIMScheduler(), 10, x.clone())
    assert (dpm - reference).abs().max() < 0.05
    assert (dpm - reference).abs().mean() < (ddim - reference).abs().mean()
    # At many steps the noisiest levels share alpha_bar's floor (h = 0): the solver falls
    # back to first order there rather than dividing by zero, and still lands on DDIM's.
    many = sample(DPMSolverScheduler(), 200, x.clone())
    assert torch.isfinite(many).all() and (many - reference).abs().max() < 0.05
