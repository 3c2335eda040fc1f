"""The prerequisites chapter's optimizer and initialization experiments (the optimizers
themselves are checked against torch.optim in test_nn_optim.py)."""
import numpy as np
import torch

from seqbook.experiments import optimizers as opt
from seqbook.nn import optim


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


# the chapter's tuned learning rates (book/foundations/prerequisites.md, BASE_LR)
BASE_LR = {
    "quadratic": {"SGD": 0.09, "Momentum": 0.02, "AdaGrad": 1.0, "RMSProp": 0.1, "Adam": 0.3},
    "rosenbrock": {"SGD": 1e-3, "Momentum": 2e-4, "AdaGrad": 0.5, "RMSProp": 5e-3, "Adam": 0.03},
}


def steps_to(surface, name, tol=1e-3, steps=5000):
    _, losses = opt.trajectory(name, surface, BASE_LR[surface][name], steps)
    hit = np.flatnonzero(losses < tol)
    return int(hit[0]) if hit.size else None


def test_sgd_rate_is_capped_by_the_steepest_direction():
    # curvature 20: SGD diverges for η > 2/20; momentum takes twice its tuned rate
    _, sgd = opt.trajectory("SGD", "quadratic", 2 * BASE_LR["quadratic"]["SGD"], 100)
    _, momentum = opt.trajectory("Momentum", "quadratic", 2 * BASE_LR["quadratic"]["Momentum"], 100)
    assert np.isinf(sgd[-1]) and momentum[-1] < 1e-3
    _, sgd = opt.trajectory("SGD", "quadratic", 0.099, 300)
    assert sgd[-1] < 1e-3


def test_steps_to_the_minimum_are_the_chapters():
    """The table the chapter prints: steps until f < 1e-3 with the tuned rates (exact counts,
    float64): per-coordinate methods win on the axis-aligned quadratic, only Adam and
    momentum reach the Rosenbrock minimum within 5000 steps."""
    assert {name: steps_to("quadratic", name) for name in optim.OPTIMIZERS} == {
        "SGD": 49, "Momentum": 83, "AdaGrad": 33, "RMSProp": 31, "Adam": 43}
    assert {name: steps_to("rosenbrock", name) for name in optim.OPTIMIZERS} == {
        "SGD": None, "Momentum": 3543, "AdaGrad": None, "RMSProp": None, "Adam": 1226}


def test_trajectory_is_deterministic_and_divergence_is_marked():
    a, _ = opt.trajectory("Adam", "rosenbrock", lr=0.05, steps=10)
    b, _ = opt.trajectory("Adam", "rosenbrock", lr=0.05, steps=10)
    np.testing.assert_array_equal(a, b)
    _, losses = opt.trajectory("SGD", "quadratic", lr=0.5, steps=200)
    assert np.isinf(losses[-1])


def test_activation_stds_shape_and_known_behaviour():
    stds = {s: opt.activation_stds(s, "relu", depth=8, width=64, batch=64) for s in ("small", "he")}
    assert stds["he"].shape == (8,)
    assert stds["small"][-1] < 1e-8 < 0.1 < stds["he"][-1] < 10
    np.testing.assert_array_equal(opt.activation_stds("xavier", "tanh", 3, 16, 8),
                                  opt.activation_stds("xavier", "tanh", 3, 16, 8))
