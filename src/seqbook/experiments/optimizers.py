"""Optimizers, initialization, clipping and 1-D convolution in numpy, for the prerequisites chapter.

The update rules follow ``torch.optim`` with its default hyperparameters, and
``tests/test_experiments_optimizers.py`` checks every one of them against PyTorch in
float64 step by step:

- SGD (``torch.optim.SGD``): ``θ ← θ - η g``.
- Momentum, Polyak (1964) as PyTorch writes it (``SGD(momentum=μ)``): ``v ← μ v + g``,
  ``θ ← θ - η v``.
- AdaGrad, Duchi et al. (2011) (``torch.optim.Adagrad``): ``r ← r + g²``,
  ``θ ← θ - η g / (√r + ε)``.
- RMSProp, Tieleman & Hinton (2012) (``torch.optim.RMSprop``): ``r ← α r + (1-α) g²``,
  ``θ ← θ - η g / (√r + ε)``.
- Adam, Kingma & Ba (2015) (``torch.optim.Adam``): first and second moment estimates with
  bias correction.

Every step function takes the parameters ``theta``, the gradient ``g``, a ``state`` dict
(empty before the first step, updated in place) and its hyperparameters, and returns the
new parameters. ``trajectory`` runs one optimizer on one of the 2-D test functions
(``quadratic``: an ill-conditioned bowl; ``rosenbrock``: a curved valley).

The module also holds what the chapter demonstrates on initialization
(``activation_stds``: Xavier/Glorot 2010 and He et al. 2015), gradient clipping
(``clip_by_norm`` as ``torch.nn.utils.clip_grad_norm_``, ``clip_by_value`` as
``clip_grad_value_``) and 1-D convolution (``conv1d`` as ``torch.nn.functional.conv1d``,
``conv_output_size``). Nothing runs on import.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


# ---------------------------------------------------------------- the five optimizers

def sgd_step(theta: np.ndarray, g: np.ndarray, state: dict, lr: float) -> np.ndarray:
    """Plain (stochastic) gradient descent, ``torch.optim.SGD(lr=lr)``."""
    # θ ← θ - η g
    return theta - lr * g


def momentum_step(theta: np.ndarray, g: np.ndarray, state: dict, lr: float,
                  momentum: float = 0.9) -> np.ndarray:
    """SGD with momentum, ``torch.optim.SGD(lr=lr, momentum=momentum)``.

    PyTorch's form v ← μ v + g, θ ← θ - η v equals the textbook form
    v ← μ v - η g, θ ← θ + v for a constant η (the velocity is scaled by -η).
    """
    # v ← μ v + g   (v = g at the first step)
    state["v"] = momentum * state["v"] + g if "v" in state else g.copy()
    # θ ← θ - η v
    return theta - lr * state["v"]


def adagrad_step(theta: np.ndarray, g: np.ndarray, state: dict, lr: float,
                 eps: float = 1e-10) -> np.ndarray:
    """AdaGrad, ``torch.optim.Adagrad(lr=lr, eps=eps)``: per-coordinate steps shrink forever."""
    # r ← r + g ⊙ g   (sum of all squared gradients so far)
    state["r"] = state.get("r", np.zeros_like(g)) + g * g
    # θ ← θ - η g / (√r + ε)
    return theta - lr * g / (np.sqrt(state["r"]) + eps)


def rmsprop_step(theta: np.ndarray, g: np.ndarray, state: dict, lr: float,
                 alpha: float = 0.99, eps: float = 1e-8) -> np.ndarray:
    """RMSProp, ``torch.optim.RMSprop(lr=lr, alpha=alpha, eps=eps)``: AdaGrad with forgetting."""
    # r ← α r + (1 - α) g ⊙ g   (exponential moving average of squared gradients)
    state["r"] = alpha * state.get("r", np.zeros_like(g)) + (1 - alpha) * g * g
    # θ ← θ - η g / (√r + ε)
    return theta - lr * g / (np.sqrt(state["r"]) + eps)


def adam_step(theta: np.ndarray, g: np.ndarray, state: dict, lr: float,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
              bias_correction: bool = True) -> np.ndarray:
    """Adam with bias correction, ``torch.optim.Adam(lr=lr, betas=(beta1, beta2), eps=eps)``.

    ``bias_correction=False`` drops the correction (not a PyTorch option; for the chapter's
    demonstration of what the correction does).
    """
    t = state["t"] = state.get("t", 0) + 1
    # m ← β1 m + (1 - β1) g        (first moment: a moving average of the gradient)
    state["m"] = beta1 * state.get("m", np.zeros_like(g)) + (1 - beta1) * g
    # v ← β2 v + (1 - β2) g ⊙ g    (second moment: a moving average of its square)
    state["v"] = beta2 * state.get("v", np.zeros_like(g)) + (1 - beta2) * g * g
    # m̂ = m / (1 - β1^t),  v̂ = v / (1 - β2^t)   (bias correction: m, v start at 0)
    m_hat = state["m"] / (1 - beta1 ** t) if bias_correction else state["m"]
    v_hat = state["v"] / (1 - beta2 ** t) if bias_correction else state["v"]
    # θ ← θ - η m̂ / (√v̂ + ε)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


OPTIMIZERS: dict[str, Callable] = {
    "SGD": sgd_step,
    "Momentum": momentum_step,
    "AdaGrad": adagrad_step,
    "RMSProp": rmsprop_step,
    "Adam": adam_step,
}


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
    step = OPTIMIZERS[name]
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


ACTIVATIONS = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0),
               "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a))}


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


# ---------------------------------------------------------------- gradient clipping

def clip_by_norm(grads: list[np.ndarray], max_norm: float, eps: float = 1e-6) -> tuple[list[np.ndarray], float]:
    """Rescale all gradients together when their global L2 norm exceeds ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: g ← g · min(1, max_norm / (‖g‖ + ε)). The
    direction is kept. Returns the clipped gradients and the norm before clipping.
    """
    # ‖g‖ over all parameters together
    total = float(np.sqrt(sum((g * g).sum() for g in grads)))
    scale = min(1.0, max_norm / (total + eps))
    return [g * scale for g in grads], total


def clip_by_value(grads: list[np.ndarray], clip_value: float) -> list[np.ndarray]:
    """Clip every component to [-clip_value, clip_value], as ``torch.nn.utils.clip_grad_value_``.

    Changes the direction of the gradient whenever some but not all components are clipped.
    """
    return [np.clip(g, -clip_value, clip_value) for g in grads]


# ---------------------------------------------------------------- 1-D convolution

def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a 1-D convolution: ⌊(n + 2p - d(k - 1) - 1) / s⌋ + 1."""
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def conv1d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1,
           padding: int = 0) -> np.ndarray:
    """1-D convolution (a cross-correlation, as in every deep-learning library).

    Args:
        x: (B, C_in, n) input with C_in channels of length n.
        w: (C_out, C_in, k) kernels.
        b: optional (C_out,) bias.
    Returns:
        y: (B, C_out, n_out) with y[:, o, i] = b[o] + Σ_c Σ_j w[o, c, j] x[:, c, i·s + j]
        (x zero-padded by ``padding`` on both sides), n_out from ``conv_output_size``.
    """
    B, C_in, n = x.shape
    C_out, C_in_w, k = w.shape
    if C_in_w != C_in:
        raise ValueError(f"w expects {C_in_w} input channels, x has {C_in}")
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))  # (B, C_in, n + 2p)
    n_out = conv_output_size(n, k, stride, padding)
    # windows[b, c, i, j] = xp[b, c, i*s + j]
    idx = stride * np.arange(n_out)[:, None] + np.arange(k)[None, :]  # (n_out, k)
    windows = xp[:, :, idx]  # (B, C_in, n_out, k)
    y = np.einsum("bcij,ocj->boi", windows, w)  # (B, C_out, n_out)
    return y if b is None else y + b[None, :, None]
