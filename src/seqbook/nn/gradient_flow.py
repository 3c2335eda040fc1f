"""How error signals grow or shrink through time in a recurrent network.

For h_t = tanh(W h_{t-1} + U x_t + b) the Jacobian of one step is
J_t = dh_t/dh_{t-1} = diag(1 - h_t^2) W, and dh_t/dh_s = J_t J_{t-1} ... J_{s+1}.
Its norm shrinks geometrically when every factor contracts (vanishing gradients), grows
when they expand (exploding gradients) and stays put when they conserve volume
(Hochreiter 1991; Bengio et al. 1994; Pascanu et al. 2013).
"""
from __future__ import annotations

import numpy as np

from seqbook.nn.rnn import rnn_forward


def spectral_radius(W: np.ndarray) -> float:
    """Largest absolute eigenvalue of a square matrix."""
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def scaled_to_spectral_radius(W: np.ndarray, rho: float) -> np.ndarray:
    """W rescaled so that its spectral radius is ``rho``."""
    return W * (rho / spectral_radius(W))


def jacobian_norms(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """Spectral norms of dh_T/dh_t for t = T, T-1, ..., 0, for the first sequence of the batch.

    Entry k is the norm of the Jacobian that carries an error from the last step back k
    steps: entry 0 is the identity (norm 1), entry T reaches the initial state h_0.
    """
    H, _ = rnn_forward(X[:, :1], h0[:1], params)
    W_hh = params["weight_hh"]
    J = np.eye(W_hh.shape[0])  # dh_T/dh_T
    norms = [1.0]
    for t in reversed(range(X.shape[0])):
        # dh_T/dh_{t-1} = dh_T/dh_t diag(1 - h_t^2) W_hh
        J = J @ ((1.0 - H[t, 0] ** 2)[:, None] * W_hh)  # (H, H)
        norms.append(float(np.linalg.norm(J, 2)))
    return np.asarray(norms)


def linear_jacobian_norms(W: np.ndarray, steps: int) -> np.ndarray:
    """Norms of W^k for k = 0..steps: the Jacobian of a linear RNN, where only W matters."""
    norms, P = [], np.eye(W.shape[0])
    for _ in range(steps + 1):
        norms.append(float(np.linalg.norm(P, 2)))
        P = P @ W
    return np.asarray(norms)
