"""Optimizers and gradient clipping in numpy, as ``torch.optim`` and ``torch.nn.utils`` do them.

The update rules follow ``torch.optim`` with its default hyperparameters, and
``tests/test_nn_optim.py`` checks every one of them against PyTorch in float64 step by step:

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
new parameters.

Gradient clipping (Pascanu, Mikolov & Bengio 2013) takes the gradients as a dict of named
arrays, as the backward passes of ``seqbook.nn`` return them: ``clip_grad_norm`` as
``torch.nn.utils.clip_grad_norm_``, ``clip_grad_value`` as ``torch.nn.utils.clip_grad_value_``.
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


# ---------------------------------------------------------------- gradient clipping

def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float,
                   eps: float = 1e-6) -> tuple[dict[str, np.ndarray], float]:
    """Rescale all gradients together so that their global L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: g ← g · min(1, max_norm / (‖g‖ + ε)). The
    direction is kept, only the step length is cut. Returns the clipped gradients (new
    arrays) and the norm before clipping.
    """
    # ‖g‖ over all parameters together
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    scale = min(1.0, max_norm / (total + eps))
    return {name: g * scale for name, g in grads.items()}, total


def clip_grad_value(grads: dict[str, np.ndarray], clip_value: float) -> dict[str, np.ndarray]:
    """Clip every component to [-clip_value, clip_value], as ``torch.nn.utils.clip_grad_value_``.

    Changes the direction of the gradient whenever some but not all components are clipped.
    """
    return {name: np.clip(g, -clip_value, clip_value) for name, g in grads.items()}
