"""Hessian eigenvalues and epsilon-sharpness against closed forms and dense Hessians (float64, tiny problems)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, grad, jacrev

from gapbook.sharpness import (
    ChunkedLoss,
    cross_entropy_loss,
    epsilon_sharpness,
    hessian_vector_product,
    lanczos,
    power_iteration,
)

DTYPE = torch.float64


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class Quadratic(nn.Module):
    """A parameter vector w and the loss 0.5 (w - m)^T A (w - m) + c, whose Hessian is A everywhere."""

    def __init__(self, a: Tensor, w: Tensor, center: Tensor | None = None, offset: float = 0.0) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.register_buffer("a", a)
        self.register_buffer("center", torch.zeros_like(w) if center is None else center)
        self.offset = offset


def quadratic_loss(model: Quadratic) -> Tensor:
    d = model.w - model.center
    return 0.5 * d @ model.a @ d + model.offset


def _with_spectrum(spectrum: list[float], seed: int = 0) -> Tensor:
    """Q diag(spectrum) Q^T for a random orthogonal Q."""
    q, _ = torch.linalg.qr(torch.randn(len(spectrum), len(spectrum), generator=_generator(seed), dtype=DTYPE))
    return q @ torch.diag(torch.tensor(spectrum, dtype=DTYPE)) @ q.T


def _quadratic(spectrum: list[float]) -> Quadratic:
    return Quadratic(_with_spectrum(spectrum), torch.randn(len(spectrum), generator=_generator(1), dtype=DTYPE))


def _mlp() -> nn.Sequential:
    """340 parameters, two BatchNorm layers with non-trivial running statistics, dropout; left in train mode."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(6, 12),
            nn.BatchNorm1d(12),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(12, 12),
            nn.BatchNorm1d(12),
            nn.Tanh(),
            nn.Linear(12, 4),
        ).to(DTYPE)
        with torch.no_grad():
            for _ in range(3):
                model(2 * torch.randn(32, 6, dtype=DTYPE) + 1)
    return model.train()


def _data(n: int = 64, d: int = 6, classes: int = 4) -> tuple[Tensor, Tensor]:
    g = _generator(2)
    return torch.randn(n, d, generator=g, dtype=DTYPE), torch.randint(0, classes, (n,), generator=g)


def _dense_hessian(model: nn.Module, x: Tensor, y: Tensor, batch_size: int | None = None) -> Tensor:
    """The Hessian of the mean cross-entropy in the flattened trainable parameters, by reverse-over-reverse torch.func.

    BatchNorm uses its running statistics, or with ``batch_size`` the statistics of each batch of that many samples.
    Not torch.func.hessian (forward over reverse): in torch 2.14 its rows for the BatchNorm weights are wrong with
    batch statistics (the matrix is not even symmetric), hence also the symmetry check.
    """
    model = copy.deepcopy(model).eval()
    if batch_size is not None:
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.track_running_stats, m.running_mean, m.running_var = False, None, None
    named = {name: p.detach() for name, p in model.named_parameters()}
    sizes = [p.numel() for p in named.values()]

    def f(vector: Tensor) -> Tensor:
        params = {name: v.view_as(named[name]) for name, v in zip(named, vector.split(sizes))}
        if batch_size is None:
            return F.cross_entropy(functional_call(model, params, (x,)), y)
        batches = list(zip(x.split(batch_size), y.split(batch_size)))
        return sum(F.cross_entropy(functional_call(model, params, (xb,)), yb) for xb, yb in batches) / len(batches)

    h = jacrev(grad(f))(torch.cat([p.reshape(-1) for p in named.values()]))
    torch.testing.assert_close(h, h.T, rtol=0, atol=1e-12)
    return h


def _top(h: Tensor, k: int) -> Tensor:
    return torch.linalg.eigvalsh(h).flip(0)[:k]


def _snapshot(model: nn.Module) -> tuple[list[bool], dict[str, Tensor]]:
    return [m.training for m in model.modules()], {k: v.clone() for k, v in model.state_dict().items()}


# --- closed-form Hessians ---------------------------------------------------------------------------------------


def test_quadratic_known_spectrum_power_and_lanczos() -> None:
    spectrum = [10.0, 6.0, 4.0] + torch.linspace(-1, 2, 37).tolist()
    model = _quadratic(spectrum)
    top = lanczos(model, quadratic_loss, k=3, tol=1e-10)
    assert top.converged
    assert top.eigenvalues == pytest.approx([10.0, 6.0, 4.0], rel=1e-12)
    assert max(top.residuals) < 1e-8
    power = power_iteration(model, quadratic_loss, tol=1e-10, max_iter=500)
    assert power.converged and power.iterations < 500
    assert power.eigenvalues[0] == pytest.approx(10.0, rel=1e-12)
    # A unit eigenvector: A v = 10 v.
    v = power.eigenvectors[0]
    assert v.norm().item() == pytest.approx(1.0, rel=1e-12)
    torch.testing.assert_close(model.a @ v, 10.0 * v, atol=1e-8, rtol=0)


def test_lanczos_finds_repeated_eigenvalues() -> None:
    """A Krylov space holds one copy of a repeated eigenvalue; the orthogonal restart finds the others."""
    model = _quadratic([5.0, 5.0, 5.0, 3.0, 1.0, 0.5])
    result = lanczos(model, quadratic_loss, k=4, tol=1e-10)
    assert result.converged
    assert result.eigenvalues == pytest.approx([5.0, 5.0, 5.0, 3.0], rel=1e-12)
    gram = result.eigenvectors @ result.eigenvectors.T
    torch.testing.assert_close(gram, torch.eye(4, dtype=DTYPE), atol=1e-10, rtol=0)


def test_power_iteration_finds_largest_magnitude_lanczos_largest_value() -> None:
    model = _quadratic([3.0, 1.0, -8.0, 0.5, 0.2])
    assert power_iteration(model, quadratic_loss, tol=1e-10, max_iter=500).eigenvalues[0] == pytest.approx(-8.0)
    assert lanczos(model, quadratic_loss, k=2, tol=1e-10).eigenvalues == pytest.approx([3.0, 1.0], rel=1e-12)


def test_least_squares_hessian_is_gram_matrix_chunked() -> None:
    """0.5 * mean((X w - y)^2) has Hessian X^T X / n; chunks of 7 samples weighted by their share."""
    x, _ = _data(n=50, d=8)
    y = torch.randn(50, generator=_generator(3), dtype=DTYPE)
    model = nn.Linear(8, 1, bias=False).to(DTYPE)
    chunks = list(zip(x.split(7), y.split(7)))
    loss = ChunkedLoss(
        tuple((lambda m, xc=xc, yc=yc: 0.5 * ((m(xc).squeeze(1) - yc) ** 2).mean()) for xc, yc in chunks),
        tuple(len(yc) / 50 for _, yc in chunks),
    )
    expected = _top(x.T @ x / 50, 3)
    result = lanczos(model, loss, k=3, tol=1e-10)
    assert result.converged
    torch.testing.assert_close(torch.tensor(result.eigenvalues, dtype=DTYPE), expected, rtol=1e-12, atol=0)


def test_softmax_regression_matches_dense_hessian() -> None:
    x, y = _data(n=40, d=5, classes=3)
    model = nn.Linear(5, 3).to(DTYPE)
    loss = cross_entropy_loss(x, y, chunk_size=16)
    weight, bias = model.weight.detach(), model.bias.detach()

    def f(flat: Tensor) -> Tensor:
        return F.cross_entropy(F.linear(x, flat[:15].view_as(weight), flat[15:]), y)

    dense = torch.autograd.functional.hessian(f, torch.cat([weight.reshape(-1), bias]))
    v = torch.randn(len(dense), generator=_generator(4), dtype=DTYPE)
    torch.testing.assert_close(hessian_vector_product(model, loss, v), dense @ v, rtol=1e-12, atol=1e-14)
    result = lanczos(model, loss, k=3, tol=1e-10)
    torch.testing.assert_close(torch.tensor(result.eigenvalues, dtype=DTYPE), _top(dense, 3), rtol=1e-10, atol=0)
    power = power_iteration(model, loss, tol=1e-8, max_iter=1000)
    assert power.eigenvalues[0] == pytest.approx(_top(dense, 1).item(), rel=1e-8)


# --- a network with BatchNorm and dropout -----------------------------------------------------------------------


def test_mlp_batchnorm_eval_lanczos_matches_dense_eigvalsh() -> None:
    model = _mlp()
    x, y = _data()
    spectrum = torch.linalg.eigvalsh(_dense_hessian(model, x, y))
    expected = spectrum.flip(0)[:3]
    result = lanczos(model, cross_entropy_loss(x, y, chunk_size=16), k=3, tol=1e-6)
    assert result.converged
    got = torch.tensor(result.eigenvalues, dtype=DTYPE)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=0)
    assert ((got - expected).abs() / expected).max() < 1e-9  # measured 1.2e-12
    # The reported residual bounds the distance to an eigenvalue of the dense Hessian.
    for value, residual in zip(result.eigenvalues, result.residuals):
        assert (spectrum - value).abs().min() <= residual + 1e-12


def test_mlp_batchnorm_train_mode_uses_each_chunk_as_batch() -> None:
    model = _mlp()
    x, y = _data()
    expected = _top(_dense_hessian(model, x, y, batch_size=16), 2)
    result = lanczos(model, cross_entropy_loss(x, y, chunk_size=16), k=2, tol=1e-6, bn_mode="train")
    torch.testing.assert_close(torch.tensor(result.eigenvalues, dtype=DTYPE), expected, rtol=1e-9, atol=0)
    # Batch statistics of 16-sample chunks give another function than the running statistics.
    assert abs(result.eigenvalues[0] - _top(_dense_hessian(model, x, y), 1).item()) > 1e-3


def test_hessian_vector_product_independent_of_chunk_size_and_repeatable() -> None:
    model = _mlp()
    x, y = _data()
    v = torch.randn(340, generator=_generator(5), dtype=DTYPE)
    whole = hessian_vector_product(model, cross_entropy_loss(x, y, chunk_size=64), v)
    chunked = hessian_vector_product(model, cross_entropy_loss(x, y, chunk_size=7), v)
    torch.testing.assert_close(chunked, whole, rtol=1e-12, atol=1e-14)
    # Dropout is off: a second product is bitwise the same.
    assert torch.equal(hessian_vector_product(model, cross_entropy_loss(x, y, chunk_size=7), v), chunked)


def test_deterministic_given_seed() -> None:
    model = _mlp()
    loss = cross_entropy_loss(*_data(), chunk_size=32)
    a = lanczos(model, loss, k=2, tol=1e-3, seed=3)
    b = lanczos(model, loss, k=2, tol=1e-3, seed=3)
    assert a.eigenvalues == b.eigenvalues and a.iterations == b.iterations
    assert torch.equal(a.eigenvectors, b.eigenvectors)
    c = power_iteration(model, loss, max_iter=5, seed=4)
    assert c.eigenvalues != power_iteration(model, loss, max_iter=5, seed=5).eigenvalues


# --- convergence reporting --------------------------------------------------------------------------------------


def test_convergence_flags_and_residuals() -> None:
    model = _quadratic([10.0, 9.5, 9.0] + torch.linspace(0, 5, 57).tolist())
    stopped = power_iteration(model, quadratic_loss, tol=1e-12, max_iter=5)
    assert not stopped.converged and stopped.iterations == 5
    actual = (model.a @ stopped.eigenvectors[0] - stopped.eigenvalues[0] * stopped.eigenvectors[0]).norm().item()
    assert stopped.residuals[0] == pytest.approx(actual, rel=1e-10)
    assert stopped.residuals[0] > 1e-12 * 10

    short = lanczos(model, quadratic_loss, k=3, tol=1e-12, max_iter=4)
    assert not short.converged and short.iterations == 4
    assert max(short.residuals) > 1e-12 * 10
    done = lanczos(model, quadratic_loss, k=3, tol=1e-6)
    assert done.converged and done.iterations < 60
    for value, vector, residual in zip(done.eigenvalues, done.eigenvectors, done.residuals):
        assert residual == pytest.approx((model.a @ vector - value * vector).norm().item(), rel=1e-6, abs=1e-14)
        assert residual <= 1e-6 * 10 * 1.01  # the stopping estimate |beta s_mi|, checked explicitly
    assert done.eigenvalues == pytest.approx([10.0, 9.5, 9.0], rel=1e-9)


# --- epsilon-sharpness ------------------------------------------------------------------------------------------


def _diagonal(a: list[float], w: list[float], center: list[float], offset: float) -> Quadratic:
    t = lambda values: torch.tensor(values, dtype=DTYPE)  # noqa: E731
    return Quadratic(torch.diag(t(a)), t(w), t(center), offset)


def test_epsilon_sharpness_at_a_minimum_is_reached_at_a_corner() -> None:
    """At the minimum of a convex diagonal quadratic every corner of the box is a maximum: 0.5 sum a_i r_i^2."""
    model = _diagonal([4.0, 1.0, 0.25, 9.0], [1.0, -2.0, 0.0, 3.0], [1.0, -2.0, 0.0, 3.0], offset=0.5)
    eps = 1e-2
    r = eps * (model.w.detach().abs() + 1)
    expected = (0.5 * (model.a.diagonal() * r**2).sum().item()) / 1.5 * 100
    result = epsilon_sharpness(model, quadratic_loss, eps)
    assert result.loss == pytest.approx(0.5, rel=1e-15)
    assert result.sharpness == pytest.approx(expected, rel=1e-12)
    torch.testing.assert_close(result.perturbation.abs(), r, rtol=1e-15, atol=0)


def test_epsilon_sharpness_away_from_minimum_closed_form() -> None:
    """Away from the centre (|w_i - m_i| > r_i) the maximum is the corner y_i = sign(w_i - m_i) r_i."""
    model = _diagonal([4.0, 1.0, 0.25], [1.0, -2.0, 0.5], [0.9, -1.5, 0.0], offset=0.0)
    eps = 1e-2
    d, r = (model.w - model.center).detach(), eps * (model.w.detach().abs() + 1)
    f0 = 0.5 * (model.a.diagonal() * d**2).sum().item()
    fmax = 0.5 * (model.a.diagonal() * (d.abs() + r) ** 2).sum().item()
    result = epsilon_sharpness(model, quadratic_loss, eps, steps=20, step_fraction=0.1)
    assert result.perturbed_loss == pytest.approx(fmax, rel=1e-13)
    assert result.sharpness == pytest.approx((fmax - f0) / (1 + f0) * 100, rel=1e-12)


def test_epsilon_sharpness_is_a_lower_bound_with_interior_maximum() -> None:
    """A concave coordinate has its maximum inside the box; the ascent gets within half a step of it."""
    model = _diagonal([2.0, -3.0, -1.0], [1.0, 0.5, -1.0], [0.5, 0.502, -1.01], offset=0.1)
    eps, fraction = 1e-2, 0.1
    a, d, r = model.a.diagonal(), (model.w - model.center).detach(), eps * (model.w.detach().abs() + 1)
    reach = torch.where(a > 0, d.abs() + r, (d.abs() - r).clamp(min=0))
    fmax = (0.5 * a * reach**2).sum().item() + 0.1
    result = epsilon_sharpness(model, quadratic_loss, eps, steps=30, step_fraction=fraction)
    assert result.perturbed_loss <= fmax + 1e-15
    assert result.perturbed_loss >= fmax - (0.5 * a.abs() * (fraction * r) ** 2).sum().item()
    assert (result.perturbation.abs() <= r).all()


def test_epsilon_sharpness_of_network_is_positive_and_within_box() -> None:
    model = _mlp()
    loss = cross_entropy_loss(*_data(), chunk_size=32)
    result = epsilon_sharpness(model, loss, 1e-3, steps=5)
    weights = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    assert result.sharpness > 0 and result.steps == 5
    assert (result.perturbation.abs() <= 1e-3 * (weights.abs() + 1)).all()
    assert result.loss == pytest.approx(loss(copy.deepcopy(model).eval()).item(), rel=1e-12)


# --- the model is left as it came -------------------------------------------------------------------------------


@pytest.mark.parametrize("bn_mode", ["eval", "train"])
def test_model_modes_weights_buffers_and_grads_restored(bn_mode: str) -> None:
    model = _mlp()
    model[3].eval()  # a mixed state, to be restored module by module
    modes, state = _snapshot(model)
    loss = cross_entropy_loss(*_data(), chunk_size=16)
    lanczos(model, loss, k=2, max_iter=5, bn_mode=bn_mode)
    power_iteration(model, loss, max_iter=3, bn_mode=bn_mode)
    hessian_vector_product(model, loss, torch.ones(340, dtype=DTYPE), bn_mode=bn_mode)
    epsilon_sharpness(model, loss, 1e-2, steps=3, bn_mode=bn_mode)
    after_modes, after_state = _snapshot(model)
    assert after_modes == modes
    assert after_state.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(after_state[key], value), key
    assert all(p.grad is None for p in model.parameters())


def test_model_restored_when_the_loss_raises() -> None:
    model = _mlp()
    modes, state = _snapshot(model)
    calls = 0

    def failing(m: nn.Module) -> Tensor:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("boom")
        return F.cross_entropy(m(_data()[0]), _data()[1])

    with pytest.raises(RuntimeError, match="boom"):
        epsilon_sharpness(model, failing, 1e-1, bn_mode="train")
    after_modes, after_state = _snapshot(model)
    assert after_modes == modes
    assert all(torch.equal(after_state[k], v) for k, v in state.items())


# --- bad input --------------------------------------------------------------------------------------------------


def test_bad_input_raises_clear_errors() -> None:
    model = _quadratic([3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="k must be an int between 1 and the number of trainable parameters \\(3\\)"):
        lanczos(model, quadratic_loss, k=4)
    with pytest.raises(ValueError, match="k must be"):
        lanczos(model, quadratic_loss, k=0)
    with pytest.raises(ValueError, match="max_iter \\(2\\) must be at least k \\(3\\)"):
        lanczos(model, quadratic_loss, k=3, max_iter=2)
    with pytest.raises(ValueError, match="tol must be > 0"):
        power_iteration(model, quadratic_loss, tol=0.0)
    with pytest.raises(ValueError, match="max_iter must be a positive int"):
        power_iteration(model, quadratic_loss, max_iter=0)
    with pytest.raises(ValueError, match="bn_mode must be 'eval'"):
        power_iteration(model, quadratic_loss, bn_mode="training")
    for eps in (0.0, -1e-3):
        with pytest.raises(ValueError, match="epsilon must be > 0"):
            epsilon_sharpness(model, quadratic_loss, eps)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        epsilon_sharpness(model, quadratic_loss, 1e-3, steps=0)
    with pytest.raises(ValueError, match="step_fraction must be in \\(0, 1\\]"):
        epsilon_sharpness(model, quadratic_loss, 1e-3, step_fraction=1.5)
    with pytest.raises(ValueError, match="vector must be flat"):
        hessian_vector_product(model, quadratic_loss, torch.ones(4, dtype=DTYPE))
    with pytest.raises(ValueError, match="the data is empty"):
        cross_entropy_loss(torch.empty(0, 6), torch.empty(0, dtype=torch.long))
    with pytest.raises(ValueError, match="differ in length"):
        cross_entropy_loss(torch.ones(3, 6), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="chunk_size must be a positive int"):
        cross_entropy_loss(torch.ones(3, 6), torch.zeros(3, dtype=torch.long), chunk_size=0)
    model.w.requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        lanczos(model, quadratic_loss)


# --- independent implementation ---------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_top_eigenvalue_agrees_with_pyhessian() -> None:
    """PyHessian (Yao et al. 2020) power iteration on a float32 MLP with BatchNorm in eval mode."""
    pyhessian = pytest.importorskip("pyhessian")
    model = _mlp().float()
    x, y = _data()
    x = x.float()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        theirs, _ = pyhessian.hessian(copy.deepcopy(model), nn.CrossEntropyLoss(), data=(x, y), cuda=False).eigenvalues(
            maxIter=500, tol=1e-6
        )
    ours = lanczos(model, cross_entropy_loss(x, y, chunk_size=64), k=1, tol=1e-5)
    assert ours.converged
    assert ours.eigenvalues[0] == pytest.approx(theirs[0], rel=1e-4)  # measured 4.8e-6
