"""Layer normalization and, for contrast, batch normalization, in numpy: forward and backward.

Both standardise a pre-activation and then rescale it with learned ``weight`` (γ) and
``bias`` (β):

    y = (x - μ) / sqrt(σ² + eps) ⊙ γ + β

They differ in *which* numbers μ and σ² are averaged over.

**Layer normalization** (Ba, Kiros & Hinton 2016; ``torch.nn.LayerNorm``) averages over the
features of one example, the last ``len(normalized_shape)`` axes. Its statistics therefore
depend on that example alone: not on the other sequences in the batch, not on the batch
size, not on the time step, and not on whether we are training or predicting. That is what
a recurrent network or a Transformer needs: the same normalization can be applied at every
time step of a sequence of any length (the RNN shares its weights over time, so a
per-time-step statistic would be wrong), padding in other sequences does not leak into an
example, a batch of one works, and training and inference compute the same function.

**Batch normalization** (Ioffe & Szegedy 2015; ``torch.nn.BatchNorm1d``) averages each
feature (channel) over the batch (and, for (B, C, L) input, over the length L). In training
it uses the statistics of the current batch and keeps exponential running averages of
them; at inference it uses those running averages instead. So an example's output depends
on the other examples in its batch, a batch of one has no variance to estimate, training and
inference compute different functions, and for sequences one would need separate
statistics per time step (undefined for steps longer than any training sequence, and
polluted by padding). This is why RNNs and Transformers use layer norm.

Backward passes mirror the forward passes line by line and are checked against autograd.
"""
from __future__ import annotations

import numpy as np


def _normalized_axes(x: np.ndarray, normalized_shape) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Check that ``x`` ends in ``normalized_shape``; return (that shape, the axes it spans)."""
    shape = (normalized_shape,) if np.isscalar(normalized_shape) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"x must have shape (..., {', '.join(map(str, shape))}) ending in "
                         f"normalized_shape {shape}, got {x.shape}")
    return shape, tuple(range(x.ndim - k, x.ndim))


def layer_norm_forward(x: np.ndarray, normalized_shape, weight: np.ndarray | None = None,
                       bias: np.ndarray | None = None, eps: float = 1e-5):
    """Layer normalization over the last axes, as ``torch.nn.LayerNorm(normalized_shape)``.

    Args:
        x: input, shape (..., *normalized_shape), e.g. (B, T, E) with normalized_shape E.
        normalized_shape: int or tuple, the trailing shape normalized over.
        weight: γ, shape normalized_shape, or None (``elementwise_affine=False``: γ = 1).
        bias: β, shape normalized_shape, or None (no bias, as ``bias=False``: β = 0).
        eps: added to the variance, as ``nn.LayerNorm(eps=...)``.

    The same computation in training and inference (no running statistics).

    Returns:
        y: shape of x.
        cache: what ``layer_norm_backward`` needs.
    """
    x = np.asarray(x)
    shape, axes = _normalized_axes(x, normalized_shape)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and np.shape(p) != shape:
            raise ValueError(f"{name} must have shape normalized_shape {shape}, got {np.shape(p)}")
    # μ = mean of x over the normalized axes, per example
    mu = x.mean(axis=axes, keepdims=True)  # (..., 1, .., 1)
    xc = x - mu
    # σ² = mean (x - μ)², the biased variance, as torch
    var = (xc * xc).mean(axis=axes, keepdims=True)
    # 1 / sqrt(σ² + eps)
    rstd = 1.0 / np.sqrt(var + eps)
    # x̂ = (x - μ) / sqrt(σ² + eps)
    xhat = xc * rstd
    # y = γ ⊙ x̂ + β
    y = xhat
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    cache = {"xhat": xhat, "rstd": rstd, "weight": weight, "bias": bias, "axes": axes}
    return y, cache


def layer_norm_backward(dy: np.ndarray, cache: dict) -> dict[str, np.ndarray | None]:
    """Gradients of ``L = sum(y * dy)`` for ``layer_norm_forward``.

    Returns:
        dict with ``x`` (shape of x), ``weight`` and ``bias`` (normalized_shape; None when
        the forward pass had no weight / bias).
    """
    xhat, rstd, weight, axes = cache["xhat"], cache["rstd"], cache["weight"], cache["axes"]
    if np.shape(dy) != xhat.shape:
        raise ValueError(f"dy must have the shape of y {xhat.shape}, got {np.shape(dy)}")
    batch_axes = tuple(range(xhat.ndim - len(axes)))
    # through y = γ ⊙ x̂ + β: into β and γ (summed over every example), and into x̂
    dbias = dy.sum(axis=batch_axes) if cache["bias"] is not None else None
    dweight = (dy * xhat).sum(axis=batch_axes) if weight is not None else None
    dxhat = dy * weight if weight is not None else dy
    # through x̂ = (x - μ) rstd with μ and σ² functions of x as well:
    # dx = rstd (dx̂ - mean(dx̂) - x̂ mean(dx̂ ⊙ x̂))
    dx = rstd * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                 - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
    return {"x": dx, "weight": dweight, "bias": dbias}


def layer_norm(x: np.ndarray, normalized_shape, weight: np.ndarray | None = None,
               bias: np.ndarray | None = None, eps: float = 1e-5) -> np.ndarray:
    """``layer_norm_forward`` without the cache: the output of ``F.layer_norm`` (same args)."""
    return layer_norm_forward(x, normalized_shape, weight, bias, eps)[0]


def batch_norm_forward(x: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray,
                       weight: np.ndarray | None = None, bias: np.ndarray | None = None,
                       training: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalization, as ``torch.nn.BatchNorm1d(C)`` in ``train()`` or ``eval()`` mode.

    Training: μ and σ² per channel from this batch (over B, and L for (B, C, L) input), and
    the running statistics move towards them,

        running_mean ← (1 - momentum) running_mean + momentum μ
        running_var  ← (1 - momentum) running_var  + momentum σ²_unbiased

    (the normalization itself uses the biased σ², the running average the unbiased one, as
    torch). Inference (``training=False``): μ and σ² are the running statistics.

    Args:
        x: input, shape (B, C) or (B, C, L).
        running_mean, running_var: shape (C,). Not modified: the updated ones are returned.
        weight, bias: γ and β, shape (C,), or None (``affine=False``).
        training, momentum, eps: as in ``torch.nn.BatchNorm1d``.

    Returns:
        y: shape of x.
        (running_mean, running_var): the updated running statistics (the inputs unchanged
            when not training).
        cache: what ``batch_norm_backward`` needs.
    """
    x = np.asarray(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"x must have shape (B, C) or (B, C, L), got {x.shape}")
    C = x.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if p is not None and np.shape(p) != (C,):
            raise ValueError(f"{name} must have shape (C,) = {(C,)}, got {np.shape(p)}")
    axes = (0,) if x.ndim == 2 else (0, 2)  # everything but the channel axis
    n = x.size // C  # values per channel
    # broadcast a per-channel vector (C,) against x: (1, C) or (1, C, 1)
    per_channel = (1, C) if x.ndim == 2 else (1, C, 1)
    if training:
        if n < 2:
            raise ValueError(f"x must have more than one value per channel in training, "
                             f"got shape {x.shape}")
        # μ, σ² of this batch, per channel
        mu = x.mean(axis=axes, keepdims=True)  # per_channel
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
        # running averages, with the unbiased variance n / (n - 1) σ²
        new_mean = (1 - momentum) * running_mean + momentum * mu.reshape(C)
        new_var = (1 - momentum) * running_var + momentum * var.reshape(C) * n / (n - 1)
    else:
        mu = np.reshape(running_mean, per_channel)
        var = np.reshape(running_var, per_channel)
        new_mean, new_var = running_mean, running_var
    rstd = 1.0 / np.sqrt(var + eps)
    # x̂ = (x - μ) / sqrt(σ² + eps)
    xhat = (x - mu) * rstd
    # y = γ ⊙ x̂ + β, per channel
    y = xhat
    if weight is not None:
        y = y * np.reshape(weight, per_channel)
    if bias is not None:
        y = y + np.reshape(bias, per_channel)
    cache = {"xhat": xhat, "rstd": rstd, "weight": weight, "bias": bias, "axes": axes,
             "training": training, "per_channel": per_channel}
    return y, (new_mean, new_var), cache


def batch_norm_backward(dy: np.ndarray, cache: dict) -> dict[str, np.ndarray | None]:
    """Gradients of ``L = sum(y * dy)`` for ``batch_norm_forward``.

    In training μ and σ² are functions of the whole batch, so every example's gradient
    depends on all the others; in inference they are constants.

    Returns:
        dict with ``x`` (shape of x), ``weight`` and ``bias`` ((C,), or None without them).
    """
    xhat, rstd, weight, axes = cache["xhat"], cache["rstd"], cache["weight"], cache["axes"]
    if np.shape(dy) != xhat.shape:
        raise ValueError(f"dy must have the shape of y {xhat.shape}, got {np.shape(dy)}")
    # through y = γ ⊙ x̂ + β: into β, γ (summed over batch and length) and x̂
    dbias = dy.sum(axis=axes) if cache["bias"] is not None else None
    dweight = (dy * xhat).sum(axis=axes) if weight is not None else None
    dxhat = dy * np.reshape(weight, cache["per_channel"]) if weight is not None else dy
    if cache["training"]:
        # through x̂ = (x - μ) rstd with the batch's μ and σ²:
        # dx = rstd (dx̂ - mean(dx̂) - x̂ mean(dx̂ ⊙ x̂)), means over the batch
        dx = rstd * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                     - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
    else:
        # through x̂ = (x - running_mean) rstd: a fixed affine map
        dx = dxhat * rstd
    return {"x": dx, "weight": dweight, "bias": dbias}
