"""1-D convolution in numpy, as ``torch.nn.functional.conv1d`` (a cross-correlation, as in
every deep-learning library); ``tests/test_nn_conv.py`` checks it against torch in float64.
"""
from __future__ import annotations

import numpy as np


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
