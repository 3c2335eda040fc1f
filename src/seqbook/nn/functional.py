"""Elementwise and normalising functions the layers share, in numpy, as ``torch.nn.functional``.

- ``sigmoid`` σ(x) = 1 / (1 + e^{-x}) (the LSTM's and GRU's gates, highway gates),
- ``softmax`` and ``log_softmax`` along an axis (attention weights, cross-entropy),
- ``gelu`` (Hendrycks & Gimpel 2016; BERT's feed-forward activation) and ``relu``.

Each is written so that no input overflows (``tests/test_nn_functional.py`` checks them
against ``torch`` in float64 and at the extremes) and keeps the dtype of its input.
"""
from __future__ import annotations

import math

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), computed without overflow for any x.

    e^{-|x|} lies in (0, 1], so it never overflows; for x >= 0 use 1 / (1 + e^{-x}) and for
    x < 0 the equal form e^{x} / (1 + e^{x}). Keeps the dtype of ``x`` (float32 stays float32).
    """
    x = np.asarray(x)
    with np.errstate(under="ignore"):  # e^{-|x|} rounds to 0 for |x| > ~745: σ is then 0 or 1
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``: exp(x_j - max x) / Σ_k exp(x_k - max x).

    Subtracting the maximum changes nothing mathematically and keeps exp from overflowing.
    Entries equal to -inf get weight 0; a slice that is -inf everywhere (a query with no
    allowed key) gets all zeros instead of 0/0 = NaN. Keeps the dtype of ``x``.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)  # a fresh array, safe to edit
    # an all -inf slice has max -inf; shift it by 0 instead so that exp gives 0, not NaN
    m[np.isneginf(m)] = 0
    # exp(x_j - max x) <= 1 (in place: one array the size of x, not three)
    e = x - m
    np.exp(e, out=e)
    s = np.sum(e, axis=axis, keepdims=True)
    # α_j = e_j / Σ_k e_k; an empty slice (s = 0) stays all zeros
    s[s == 0] = 1
    e /= s
    return e


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(x) = x - logsumexp(x), with the maximum subtracted first (no overflow)."""
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    # logsumexp(x) = m + log Σ exp(x - m)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU (Hendrycks & Gimpel 2016), as ``F.gelu``. ``"none"``: x Φ(x) = x (1 + erf(x / √2)) / 2,
    the exact form (BERT's); ``"tanh"``: x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2."""
    x = np.asarray(x)
    if approximate == "none":
        return (x * (1 + _erf(x / np.sqrt(2)).astype(x.dtype)) / 2).astype(x.dtype)
    if approximate == "tanh":
        # √(2/π) as a Python float, so that float32 input stays float32
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def relu(x: np.ndarray) -> np.ndarray:
    """ReLU(x) = max(x, 0)."""
    return np.maximum(x, 0)
