"""Highway layer in numpy: forward and backward pass.

Follows Srivastava, Greff & Schmidhuber (2015), "Highway Networks" / "Training Very Deep
Networks": a layer that learns, per unit and per input, how much to transform and how much
to carry its input through unchanged,

    T(x) = σ(W_T x + b_T)                   transform gate
    H(x) = act(W_H x + b_H)                 transform (act = relu or tanh)
    y    = H(x) ⊙ T(x) + x ⊙ (1 - T(x))     (the carry gate is C = 1 - T)

Input and output have the same size D (the paper changes sizes with a plain layer in
between). Parameters, PyTorch-style ``(out, in)``: ``weight_H (D, D)``, ``bias_H (D,)``,
``weight_T (D, D)``, ``bias_T (D,)``. There is no highway layer in PyTorch; the tests
compare against autograd of the same formula written with torch ops.

Relation to the LSTM and GRU gates. The highway layer is the gated update of a recurrent
cell turned sideways, from time into depth:

- GRU: h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t is the highway formula with x = h_{t-1},
  H = n_t and T = 1 - z_t: one gate decides between keeping and replacing, carry and
  transform are coupled (C = 1 - T).
- LSTM: c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t has separate forget (carry) and input (transform)
  gates; coupling them, f_t = 1 - i_t, gives the highway formula with x = c_{t-1},
  H = g_t, T = i_t. Without gates (f = i = 1, the 1997 constant error carousel
  c_t = c_{t-1} + g_t) it is the residual connection y = x + H(x) of ResNets.

In all three the path through x ⊙ (1 - T) has derivative 1 - T: where the gate carries,
error flows back through many layers (or time steps) undamped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqbook.nn.functional import sigmoid

PARAM_NAMES = ("weight_H", "bias_H", "weight_T", "bias_T")

# name: (function, its derivative written in terms of the function's output y)
ACTIVATIONS = {
    "relu": (lambda a: np.maximum(a, 0), lambda y: (y > 0).astype(y.dtype)),
    "tanh": (np.tanh, lambda y: 1 - y ** 2),
}


@dataclass(frozen=True)
class HighwayConfig:
    """Which highway layer to compute."""
    # the transform H(x) = act(W_H x + b_H); one of ACTIVATIONS ("relu" or "tanh").
    activation: str = "relu"

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, "
                             f"got {self.activation!r}")


def init_highway_params(size: int, rng: np.random.Generator, gate_bias: float = -2.0,
                        dtype=np.float64) -> dict[str, np.ndarray]:
    """Weights and ``bias_H`` U(-1/sqrt(D), 1/sqrt(D)) as ``torch.nn.Linear`` initialises;
    the transform gate's bias ``bias_T`` set to ``gate_bias`` (negative, -1 to -3).

    Why negative: with b_T < 0 the gate starts nearly closed, T(x) ≈ σ(b_T) (σ(-2) ≈ 0.12),
    so every layer starts close to the identity, y ≈ x. A deep stack then passes the input
    forward and the error backward through all layers: the Jacobian ∂y/∂x is diag(1 - T)
    plus terms of size T, a factor near 1 per layer (0.88 for b_T = -2, 0.95 for -3), where
    a plain layer multiplies the error by W_H diag(act'), which for small random weights
    shrinks it geometrically with depth. Training then learns which units should
    transform. Srivastava et al. (2015) suggest a negative value "e.g. -1, -3" so the
    network is initially biased towards carry behaviour; it is the same idea as the LSTM's
    positive forget-gate bias (Gers et al. 2000), which starts the cell in "carry" mode.

    Returns ``weight_H (D, D)``, ``bias_H (D,)``, ``weight_T (D, D)``, ``bias_T (D,)``.
    """
    D = size
    k = 1.0 / np.sqrt(D)
    shapes = {"weight_H": (D, D), "bias_H": (D,), "weight_T": (D, D), "bias_T": (D,)}
    params = {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}
    # b_T = gate_bias: T(x) ≈ σ(gate_bias) at the start, the layer mostly carries x
    params["bias_T"][:] = gate_bias
    return params


def check_highway_inputs(x: np.ndarray, params: dict[str, np.ndarray]) -> None:
    """Raise ValueError naming the argument whose shape does not fit the others."""
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    if np.ndim(x) < 1:
        raise ValueError(f"x must have shape (..., D), got {np.shape(x)}")
    D = np.shape(x)[-1]
    expected = {"weight_H": (D, D), "bias_H": (D,), "weight_T": (D, D), "bias_T": (D,)}
    for name in PARAM_NAMES:
        if np.shape(params[name]) != expected[name]:
            raise ValueError(f"params['{name}'] must have shape {expected[name]} "
                             f"(D = x.shape[-1] = {D}), got {np.shape(params[name])}")


def highway_forward(x: np.ndarray, params: dict[str, np.ndarray],
                    config: HighwayConfig = HighwayConfig()):
    """One highway layer, y = H(x) ⊙ T(x) + x ⊙ (1 - T(x)) (Srivastava et al. 2015).

    Args:
        x: input, shape (..., D): (B, D), or (T, B, D) for a layer applied at every step.
        params: ``weight_H (D, D)``, ``bias_H (D,)``, ``weight_T (D, D)``, ``bias_T (D,)``.
        config: the transform's activation.

    Returns:
        y: output, shape (..., D), same as ``x``.
        cache: what ``highway_backward`` needs.
    """
    check_highway_inputs(x, params)
    act, _ = ACTIVATIONS[config.activation]
    # T(x) = σ(W_T x + b_T)
    Tx = sigmoid(x @ params["weight_T"].T + params["bias_T"])  # (..., D)
    # H(x) = act(W_H x + b_H)
    Hx = act(x @ params["weight_H"].T + params["bias_H"])  # (..., D)
    # y = H(x) ⊙ T(x) + x ⊙ (1 - T(x))
    y = Hx * Tx + x * (1 - Tx)
    cache = {"x": x, "params": params, "config": config, "T": Tx, "H": Hx}
    return y, cache


def highway_backward(dy: np.ndarray, cache: dict):
    """Backpropagate through ``highway_forward``.

    Args:
        dy: gradient with respect to y, shape (..., D), same as ``x``.
        cache: from ``highway_forward``.

    Returns:
        dict with the gradients ``x, weight_H, bias_H, weight_T, bias_T``.
    """
    x, params, config, Tx, Hx = (cache[k] for k in ("x", "params", "config", "T", "H"))
    if np.shape(dy) != np.shape(x):
        raise ValueError(f"dy must have the shape of x {np.shape(x)}, got {np.shape(dy)}")
    _, dact = ACTIVATIONS[config.activation]
    D = x.shape[-1]
    # through y = H ⊙ T + x ⊙ (1 - T)
    dH = dy * Tx
    dT = dy * (Hx - x)
    dx = dy * (1 - Tx)  # the carry path
    # through T = σ(a_T): σ' = T (1 - T)
    da_T = dT * Tx * (1 - Tx)
    # through H = act(a_H)
    da_H = dH * dact(Hx)
    # into x through W_T and W_H
    dx = dx + da_T @ params["weight_T"] + da_H @ params["weight_H"]  # (..., D)
    # into the weights: sum over every leading (batch, time) index
    x2, da_T2, da_H2 = (a.reshape(-1, D) for a in (x, da_T, da_H))  # (N, D)
    return {
        "x": dx,
        "weight_H": da_H2.T @ x2,  # (D, D)
        "bias_H": da_H2.sum(axis=0),
        "weight_T": da_T2.T @ x2,  # (D, D)
        "bias_T": da_T2.sum(axis=0),
    }
