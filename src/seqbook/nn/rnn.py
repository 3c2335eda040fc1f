"""Vanilla (Elman) recurrent network in numpy: forward pass and backpropagation through time.

Follows ``torch.nn.RNN`` with ``nonlinearity="tanh"``: for every step t,

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Parameters use PyTorch's ``state_dict`` names (``weight_ih (H, D)``, ``weight_hh (H, H)``,
``bias_ih (H,)``, ``bias_hh (H,)``) so a trained ``nn.RNN`` can be copied in directly.
The backward pass is BPTT as in Werbos (1990): the unrolled graph is walked from the last
step to the first, and the gradient of each shared weight is the sum over time steps.
"""
from __future__ import annotations

import numpy as np

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def init_rnn_params(input_size: int, hidden_size: int, rng: np.random.Generator,
                    dtype=np.float64) -> dict[str, np.ndarray]:
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter, as ``torch.nn.RNN`` initialises."""
    k = 1.0 / np.sqrt(hidden_size)
    shapes = {"weight_ih": (hidden_size, input_size), "weight_hh": (hidden_size, hidden_size),
              "bias_ih": (hidden_size,), "bias_hh": (hidden_size,)}
    return {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}


def check_rnn_inputs(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray]) -> None:
    """Raise ValueError naming the argument whose shape does not fit the others."""
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    if np.ndim(X) != 3:
        raise ValueError(f"X must have shape (T, B, D), got {np.shape(X)}")
    T, B, D = X.shape
    H = params["weight_hh"].shape[0]
    expected = {"weight_ih": (H, D), "weight_hh": (H, H), "bias_ih": (H,), "bias_hh": (H,)}
    for name, shape in expected.items():
        if params[name].shape != shape:
            raise ValueError(f"params['{name}'] must have shape {shape}, got {params[name].shape}")
    if np.shape(h0) != (B, H):
        raise ValueError(f"h0 must have shape (B, H) = {(B, H)}, got {np.shape(h0)}")


def rnn_forward(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray]):
    """Run the RNN over a sequence.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.

    Returns:
        H: hidden states h_1..h_T, shape (T, B, H).
        cache: what ``rnn_backward`` needs (inputs, parameters, all hidden states).
    """
    check_rnn_inputs(X, h0, params)
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    b = params["bias_ih"] + params["bias_hh"]
    T, B, _ = X.shape
    H = np.empty((T, B, W_hh.shape[0]), dtype=np.result_type(X, h0, W_hh))
    h = h0
    # The input projection does not depend on the recurrence: one matmul for all steps.
    XW = X @ W_ih.T + b  # (T, B, H)
    for t in range(T):
        # h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
        h = np.tanh(XW[t] + h @ W_hh.T)  # (B, H)
        H[t] = h
    cache = {"X": X, "h0": h0, "params": params, "H": H}
    return H, cache


def rnn_backward(dH: np.ndarray, cache: dict):
    """Backpropagation through time for ``L = sum(H * dH)``.

    Args:
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).
        cache: from ``rnn_forward``.

    Returns:
        dict with the gradients ``X, h0, weight_ih, weight_hh, bias_ih, bias_hh``.
    """
    X, h0, params, H = cache["X"], cache["h0"], cache["params"], cache["H"]
    if dH.shape != H.shape:
        raise ValueError(f"dH must have the shape of H {H.shape}, got {dH.shape}")
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    T = X.shape[0]
    dA = np.empty_like(H)  # gradient at the pre-activation a_t of every step
    dh_next = np.zeros_like(h0, dtype=H.dtype)  # error arriving at h_t from step t+1
    for t in reversed(range(T)):
        # total error at h_t: its own loss term plus what flows back from h_{t+1}
        dh = dH[t] + dh_next
        # through tanh: dtanh(a)/da = 1 - tanh(a)^2
        dA[t] = dh * (1.0 - H[t] ** 2)  # (B, H)
        # into h_{t-1} through W_hh
        dh_next = dA[t] @ W_hh  # (B, H)
    H_prev = np.concatenate([h0[None], H[:-1]], axis=0)  # h_0..h_{T-1}, (T, B, H)
    # Shared weights: the gradient is the sum over all time steps of the per-step terms.
    return {
        "X": dA @ W_ih,  # (T, B, D)
        "h0": dh_next,
        "weight_ih": np.einsum("tbh,tbd->hd", dA, X),
        "weight_hh": np.einsum("tbh,tbk->hk", dA, H_prev),
        "bias_ih": dA.sum(axis=(0, 1)),
        "bias_hh": dA.sum(axis=(0, 1)),
    }
