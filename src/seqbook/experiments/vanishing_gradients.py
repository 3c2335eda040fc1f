"""Experiments of the chapter "Vanishing and exploding gradients".

- ``input_sensitivities``: how strongly the last state h_T depends on the input of every
  step, ||dh_T/dx_t||, for a tanh and a linear RNN: which end of a sequence the gradient
  of a target at the end can still reach;
- ``decay_rate``: the geometric rate at which a measured norm shrinks or grows per step.

The Jacobian norms themselves come from ``seqbook.nn.gradient_flow``, gradient clipping
(Pascanu et al. 2013) from ``seqbook.nn.optim.clip_grad_norm``. Nothing runs on import.
"""
from __future__ import annotations

import numpy as np

from seqbook.nn.rnn import rnn_forward


def input_sensitivities(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                        activation: str = "tanh") -> np.ndarray:
    """Spectral norms of dh_T/dx_t for t = 1..T (first sequence of the batch).

    tanh: h_t = tanh(W_ih x_t + W_hh h_{t-1} + b), so
        dh_T/dx_t = (dh_T/dh_t) diag(1 - h_t²) W_ih, dh_T/dh_{t-1} = dh_T/dh_t diag(1 - h_t²) W_hh.
    linear: h_t = W_ih x_t + W_hh h_{t-1} + b, so dh_T/dx_t = W_hh^(T-t) W_ih
        (independent of the inputs).

    Returns:
        array of T norms, entry t-1 for the input x_t.
    """
    if activation not in ("tanh", "linear"):
        raise ValueError(f"activation must be 'tanh' or 'linear', got {activation!r}")
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    T = X.shape[0]
    if activation == "tanh":
        H, _ = rnn_forward(X[:, :1], h0[:1], params)
        dtanh = 1.0 - H[:, 0] ** 2  # (T, H)
    else:
        dtanh = np.ones((T, W_hh.shape[0]))
    J = np.eye(W_hh.shape[0])  # dh_T/dh_t, starting at t = T
    norms = np.empty(T)
    for t in reversed(range(T)):
        # through the activation at step t: dh_T/da_t
        J_a = J * dtanh[t][None, :]  # (H, H)
        # into the input: dh_T/dx_t = dh_T/da_t W_ih
        norms[t] = np.linalg.norm(J_a @ W_ih, 2)
        # into h_{t-1}: dh_T/dh_{t-1} = dh_T/da_t W_hh
        J = J_a @ W_hh  # (H, H)
    return norms


def decay_rate(norms, start: int = 5) -> float:
    """Per-step factor r of norms[k] ~ C r^k, fitted on log scale from step ``start`` on
    (the first steps carry the transient of the non-leading eigenvalues)."""
    norms = np.asarray(norms, float)[start:]
    k = np.arange(norms.size)
    keep = norms > 0
    slope, _ = np.polyfit(k[keep], np.log(norms[keep]), 1)
    return float(np.exp(slope))
