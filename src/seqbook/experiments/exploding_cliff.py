"""The "cliff" of an exploding gradient, and what gradient clipping does at it (chapter
"Vanishing and exploding gradients").

Pascanu, Mikolov and Bengio (2013, section 2.3 and Fig. 6) take the smallest recurrent
network, one unit without input,

    x_t = w σ(x_{t-1}) + b,   x_0 = 0.5,   E = (σ(x_50) - 0.7)²,

and plot E over the two parameters (w, b). For w above about 4 the map has two stable fixed
points; which one x_50 reaches depends on which side of a curve in (w, b) the parameters
are. Crossing that curve moves σ(x_50) from near 0 to near 1: E drops by a step of about
0.4 across a wall so thin that its slope, dE/dθ ∝ (w σ')^50 at the unstable fixed point,
reaches astronomical values. Plain gradient descent that steps onto the wall is thrown
far away; with the gradient rescaled to a maximum norm it steps over it.

``run(Config()) -> Result``: the surface on a grid, a one-dimensional cut through the wall
(E and dE/db along b at fixed w), and two gradient-descent runs from the same start, with
and without clipping. The gradient is computed forwards (RTRL for two parameters), for a
whole grid at once; ``tests/test_experiments_exploding_cliff.py`` checks it against
PyTorch's autograd.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqbook.nn.optim import clip_grad_norm


@dataclass(frozen=True)
class Config:
    """The network of Pascanu et al.'s Fig. 6 and the two descents."""
    T: int = 50  # steps of x_t = w σ(x_{t-1}) + b
    x0: float = 0.5  # initial state
    target: float = 0.7  # E = (σ(x_T) - target)²
    start: tuple = (6.0, -4.5)  # (w, b) where both descents start, on the high plateau
    lr: float = 1.0  # plain gradient descent, θ ← θ - lr g
    steps: int = 200  # descent steps
    clip_norm: float = 0.5  # g ← g · clip_norm / ‖g‖ when larger, in the clipped run
    w_range: tuple = (3.0, 9.0)  # the plotted window of the surface
    b_range: tuple = (-7.0, -1.0)
    grid: int = 241  # grid points per axis
    cut_w: float = 6.0  # the one-dimensional cut: E(w = cut_w, b) for b in b_range


@dataclass
class Result:
    """The surface, the cut and the two descents."""
    config: Config
    W: np.ndarray = None  # (grid, grid) w of every grid point
    B: np.ndarray = None  # (grid, grid) b of every grid point
    E: np.ndarray = None  # (grid, grid) the error there
    cut_b: np.ndarray = None  # (n,) b along the cut
    cut_E: np.ndarray = None  # (n,) E along the cut
    cut_dE_db: np.ndarray = None  # (n,) dE/db along the cut
    paths: dict = field(default_factory=dict)  # "plain" / "clipped" -> (steps + 1, 2) (w, b)
    losses: dict = field(default_factory=dict)  # "plain" / "clipped" -> (steps + 1,) E
    grad_norms: dict = field(default_factory=dict)  # "plain" / "clipped" -> (steps,) ‖g‖ before clipping


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def error_and_gradient(w, b, config: Config = Config()):
    """E and its gradient (dE/dw, dE/db) for arrays of parameters (broadcast together).

    Forward-mode (RTRL): with p_t = dx_t/dw and q_t = dx_t/db,
        x_t = w σ(x_{t-1}) + b,
        p_t = σ(x_{t-1}) + w σ'(x_{t-1}) p_{t-1},   q_t = 1 + w σ'(x_{t-1}) q_{t-1},
    and dE/dθ = 2 (σ(x_T) - target) σ'(x_T) dx_T/dθ.
    """
    w, b = np.broadcast_arrays(np.asarray(w, float), np.asarray(b, float))
    x = np.full(w.shape, float(config.x0))
    p, q = np.zeros(w.shape), np.zeros(w.shape)
    with np.errstate(over="ignore", invalid="ignore"):  # the wall: derivatives overflow to inf
        for _ in range(config.T):
            s = sigmoid(x)
            slope = w * s * (1.0 - s)  # w σ'(x_{t-1}), the Jacobian of one step
            p, q = s + slope * p, 1.0 + slope * q
            x = w * s + b
        s = sigmoid(x)
        dE_dx = 2.0 * (s - config.target) * s * (1.0 - s)
        return (s - config.target) ** 2, dE_dx * p, dE_dx * q


def descend(config: Config, clip: bool):
    """Gradient descent from ``config.start``; returns path (steps + 1, 2), losses and the
    gradient norms before clipping."""
    theta = np.array(config.start, float)
    path, losses, norms = [theta.copy()], [], []
    for _ in range(config.steps):
        E, g_w, g_b = error_and_gradient(theta[0], theta[1], config)
        grads = {"w": float(g_w), "b": float(g_b)}
        if clip:
            grads, norm = clip_grad_norm(grads, config.clip_norm)
        else:
            norm = float(np.hypot(grads["w"], grads["b"]))
        losses.append(float(E))
        norms.append(norm)
        # θ ← θ - lr g
        theta = theta - config.lr * np.array([grads["w"], grads["b"]])
        path.append(theta.copy())
    losses.append(float(error_and_gradient(theta[0], theta[1], config)[0]))
    return np.array(path), np.array(losses), np.array(norms)


def wall_position(config: Config, cut: np.ndarray) -> float:
    """The b of the wall on the cut w = cut_w: the largest jump of E between neighbouring
    points of ``cut``, narrowed down by bisection to floating-point resolution."""
    E = error_and_gradient(config.cut_w, cut, config)[0]
    k = int(np.argmax(np.abs(np.diff(E))))
    lo, hi = cut[k], cut[k + 1]
    E_lo = E[k]
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        E_mid = error_and_gradient(config.cut_w, mid, config)[0]
        if abs(E_mid - E_lo) < 0.5 * abs(E[k + 1] - E_lo):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def run(config: Config = Config()) -> Result:
    """Surface, cut and both descents. Deterministic, numpy only, well under a second."""
    result = Result(config)
    w = np.linspace(*config.w_range, config.grid)
    b = np.linspace(*config.b_range, config.grid)
    result.W, result.B = np.meshgrid(w, b)
    result.E = error_and_gradient(result.W, result.B, config)[0]
    # the cut, with extra points packed around the wall so that its slope is resolved
    cut = np.linspace(*config.b_range, 2001)
    wall = wall_position(config, cut)
    result.cut_b = np.unique(np.concatenate([cut, wall + np.geomspace(1e-14, 0.1, 400),
                                             wall - np.geomspace(1e-14, 0.1, 400)]))
    result.cut_E, _, result.cut_dE_db = error_and_gradient(config.cut_w, result.cut_b, config)
    for name, clip in (("plain", False), ("clipped", True)):
        result.paths[name], result.losses[name], result.grad_norms[name] = descend(config, clip)
    return result
