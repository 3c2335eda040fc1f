"""seqbook.experiments.optimizers against PyTorch (float64), plus determinism and shapes."""
import numpy as np
import pytest
import torch

from seqbook.experiments import optimizers as opt

TORCH = {
    "SGD": (lambda p, lr: torch.optim.SGD(p, lr=lr), {}),
    "Momentum": (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9), {}),
    "AdaGrad": (lambda p, lr: torch.optim.Adagrad(p, lr=lr), {}),
    "RMSProp": (lambda p, lr: torch.optim.RMSprop(p, lr=lr), {}),
    "Adam": (lambda p, lr: torch.optim.Adam(p, lr=lr), {}),
}


@pytest.mark.parametrize("name", list(opt.OPTIMIZERS))
@pytest.mark.parametrize("surface", list(opt.SURFACES))
def test_optimizer_matches_torch_optim(name, surface):
    lr = 1e-3 if surface == "rosenbrock" else 0.05
    path, losses = opt.trajectory(name, surface, lr=lr, steps=25)
    f, start, _, _ = opt.SURFACES[surface]
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    make, _ = TORCH[name]
    optimizer = make([theta], lr)
    for t in range(25):
        optimizer.zero_grad()
        theta.grad = torch.tensor(f(theta.detach().numpy())[1])
        optimizer.step()
        np.testing.assert_allclose(path[t + 1], theta.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} on {surface}, step {t + 1}")
    assert path.shape == (26, 2) and losses.shape == (26,)


def test_gradients_of_surfaces_match_autograd():
    for surface, (f, start, minimum, _) in opt.SURFACES.items():
        for point in (start, np.array([0.3, -0.7])):
            theta = torch.tensor(point, requires_grad=True)
            x, y = theta
            value = (0.5 * (x ** 2 + 20 * y ** 2) if surface == "quadratic"
                     else (1 - x) ** 2 + 100 * (y - x ** 2) ** 2)
            value.backward()
            np.testing.assert_allclose(f(point)[0], value.item())
            np.testing.assert_allclose(f(point)[1], theta.grad.numpy())
        assert f(minimum)[0] == 0


def test_trajectory_is_deterministic_and_divergence_is_marked():
    a, _ = opt.trajectory("Adam", "rosenbrock", lr=0.05, steps=10)
    b, _ = opt.trajectory("Adam", "rosenbrock", lr=0.05, steps=10)
    np.testing.assert_array_equal(a, b)
    _, losses = opt.trajectory("SGD", "quadratic", lr=0.5, steps=200)
    assert np.isinf(losses[-1])


def test_clipping_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(4)]
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    total_torch = torch.nn.utils.clip_grad_norm_(params, max_norm=2.0)
    clipped, total = opt.clip_by_norm(grads, 2.0)
    np.testing.assert_allclose(total, total_torch.item())
    for c, p in zip(clipped, params):
        np.testing.assert_allclose(c, p.grad.numpy())
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(params, clip_value=0.5)
    for c, p in zip(opt.clip_by_value(grads, 0.5), params):
        np.testing.assert_allclose(c, p.grad.numpy())


@pytest.mark.parametrize("stride,padding,k", [(1, 0, 3), (2, 1, 3), (3, 2, 5), (1, 2, 5)])
def test_conv1d_matches_torch(stride, padding, k):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 11)), rng.standard_normal((4, 3, k)), rng.standard_normal(4)
    y = opt.conv1d(x, w, b, stride=stride, padding=padding)
    expected = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          stride=stride, padding=padding).numpy()
    assert y.shape == expected.shape == (2, 4, opt.conv_output_size(11, k, stride, padding))
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)


def test_activation_stds_shape_and_known_behaviour():
    stds = {s: opt.activation_stds(s, "relu", depth=8, width=64, batch=64) for s in ("small", "he")}
    assert stds["he"].shape == (8,)
    assert stds["small"][-1] < 1e-8 < 0.1 < stds["he"][-1] < 10
    np.testing.assert_array_equal(opt.activation_stds("xavier", "tanh", 3, 16, 8),
                                  opt.activation_stds("xavier", "tanh", 3, 16, 8))
