"""The prerequisites chapter's optimizer and initialization experiments, in numpy.

- ``trajectory`` runs one optimizer of ``seqbook.nn.optim.OPTIMIZERS`` on one of the 2-D
  test functions of ``SURFACES`` (``quadratic``: an ill-conditioned bowl; ``rosenbrock``: a
  curved valley);
- ``activation_stds``: how the spread of the activations changes layer by layer under an
  initialization scheme (``init_weight``: Xavier/Glorot 2010 and He et al. 2015).

The optimizers and gradient clipping are ``seqbook.nn.optim``, 1-D convolution is
``seqbook.nn.conv``. Nothing runs on import.
"""
from __future__ import annotations

import numpy as np

from seqbook.nn import optim
from seqbook.nn.functional import relu, sigmoid


# ---------------------------------------------------------------- 2-D test functions

def quadratic(theta: np.ndarray, curvature: tuple[float, float] = (1.0, 20.0)):
    """f(x, y) = (a x² + b y²) / 2 and its gradient: condition number b / a (20 by default)."""
    a, b = curvature
    x, y = theta
    return 0.5 * (a * x * x + b * y * y), np.array([a * x, b * y])


def rosenbrock(theta: np.ndarray, a: float = 1.0, b: float = 100.0):
    """f(x, y) = (a - x)² + b (y - x²)² and its gradient; minimum 0 at (a, a²)."""
    x, y = theta
    f = (a - x) ** 2 + b * (y - x * x) ** 2
    grad = np.array([-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)])
    return f, grad


SURFACES = {
    # name: (function, start, minimum, plot box (xmin, xmax, ymin, ymax))
    "quadratic": (quadratic, np.array([-4.5, 1.5]), np.array([0.0, 0.0]), (-5, 5, -2.5, 2.5)),
    "rosenbrock": (rosenbrock, np.array([-1.5, 2.0]), np.array([1.0, 1.0]), (-2, 2, -0.75, 3)),
}


def trajectory(name: str, surface: str, lr: float, steps: int, **hyper) -> tuple[np.ndarray, np.ndarray]:
    """Run optimizer ``name`` (a key of OPTIMIZERS) on a surface (a key of SURFACES).

    Returns:
        path: (steps + 1, 2) the parameters before the first and after every step.
        losses: (steps + 1,) the function value at each point of ``path``.
    A diverging run stops changing once it leaves the region |θ| < 1e6 (the rest of
    ``path`` repeats its last point, the loss is inf).
    """
    f, start, _, _ = SURFACES[surface]
    step = optim.OPTIMIZERS[name]
    theta, state = start.astype(float).copy(), {}
    path, losses = [theta.copy()], [f(theta)[0]]
    for _ in range(steps):
        value, grad = f(theta)
        if np.all(np.abs(theta) < 1e6):
            theta = step(theta, grad, state, lr, **hyper)
        path.append(theta.copy())
        losses.append(f(theta)[0] if np.all(np.abs(theta) < 1e6) else np.inf)
    return np.array(path), np.array(losses)


# ---------------------------------------------------------------- initialization

def init_weight(fan_in: int, fan_out: int, scheme: str, rng: np.random.Generator) -> np.ndarray:
    """A (fan_out, fan_in) weight matrix drawn from a zero-mean normal distribution.

    scheme: ``"small"`` std 0.01; ``"xavier"`` (Glorot & Bengio 2010) std √(2 / (fan_in +
    fan_out)); ``"he"`` (He et al. 2015) std √(2 / fan_in); ``"standard"`` std 1.
    """
    std = {"small": 0.01, "standard": 1.0,
           "xavier": np.sqrt(2.0 / (fan_in + fan_out)), "he": np.sqrt(2.0 / fan_in)}[scheme]
    return std * rng.standard_normal((fan_out, fan_in))


ACTIVATIONS = {"tanh": np.tanh, "relu": relu, "sigmoid": sigmoid}


def activation_stds(scheme: str, activation: str, depth: int = 10, width: int = 256,
                    batch: int = 512, seed: int = 0) -> np.ndarray:
    """Forward a standard-normal batch through ``depth`` fully connected layers (no biases).

    Returns the standard deviation of the activations after each layer, shape (depth,):
    the signal fades (std → 0) or blows up when the initialization does not fit the
    activation function.
    """
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((batch, width))  # (B, width)
    stds = []
    for _ in range(depth):
        W = init_weight(width, width, scheme, rng)  # (out, in)
        h = ACTIVATIONS[activation](h @ W.T)  # (B, width)
        stds.append(h.std())
    return np.array(stds)
