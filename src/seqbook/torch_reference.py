"""PyTorch, the authority that tests, benchmarks and hidden assignment tests judge numpy code by.

Two directions of one convention: ``numpy_state`` copies a torch module's runtime
``state_dict`` into the numpy parameter dicts of ``seqbook.nn``, ``load_numpy_state`` copies
such a dict into a torch module. Parameter dicts use the ``state_dict`` names without the
layer suffix (``weight_ih``, not ``weight_ih_l0``), like ``seqbook.nn``.

The references run ``torch.nn`` modules in float64 and autograd, so an answer from here is
independent of the book's own numpy code:

- ``rnn_gradients``, ``truncated_rnn_gradients`` (``nn.RNN``, tanh),
- ``gru_cell_gradients``, ``gru_gradients`` (``nn.GRUCell``, ``nn.GRU``),
- ``lstm_cell_gradients``, ``lstm_gradients`` (``nn.LSTMCell``, ``nn.LSTM``),
- ``multi_head_attention`` (``nn.MultiheadAttention``, forward).

Each ``*_gradients`` takes the upstream gradients of its outputs and returns the outputs and
the gradients of ``sum(output * upstream)`` with respect to every input and parameter, named
as the backward passes of ``seqbook.nn`` name them; an upstream gradient left out (None)
counts as zero.
"""
from __future__ import annotations

import numpy as np
import torch

RNN_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


# ------------------------------------------------------------------ state-dict conversion

def numpy_state(module: torch.nn.Module, strip_suffix: str = "", prefix: str = "",
                dtype=None) -> dict[str, np.ndarray]:
    """The module's runtime ``state_dict`` as numpy arrays (copies, so training the module
    afterwards changes nothing here).

    Args:
        strip_suffix: dropped from the end of every name, e.g. ``"_l0"`` for a one-layer
            ``nn.RNN``/``nn.GRU``/``nn.LSTM`` (``weight_ih_l0`` -> ``weight_ih``).
        prefix: put before every name, to merge the states of sub-modules into the names of
            a larger model (``"pooler.dense."``).
        dtype: convert to this numpy dtype (e.g. ``np.float64`` for a float32 module).
    """
    return {prefix + name.removesuffix(strip_suffix): np.array(value.detach().cpu().numpy(), dtype=dtype)
            for name, value in module.state_dict().items()}


def load_numpy_state(module: torch.nn.Module, params: dict, suffix: str = "") -> torch.nn.Module:
    """Copy the numpy ``params`` into ``module`` (names plus ``suffix``, e.g. ``"_l0"``), in the
    module's dtype; every parameter of the module must be given. Returns the module."""
    dtype = next(module.parameters()).dtype
    module.load_state_dict({name + suffix: torch.as_tensor(np.asarray(value), dtype=dtype)
                            for name, value in params.items()})
    return module


def _leaf(array) -> torch.Tensor:
    """A float64 tensor that collects a gradient."""
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=True)


def _upstream(output: torch.Tensor, grad) -> torch.Tensor:
    """sum(output * grad), the term of the scalar whose gradients are returned; 0 for None."""
    if grad is None:
        return output.sum() * 0
    return (output * torch.as_tensor(np.asarray(grad), dtype=torch.float64)).sum()


def _param_grads(module: torch.nn.Module, suffix: str = "") -> dict[str, np.ndarray]:
    return {name: getattr(module, name + suffix).grad.numpy() for name in RNN_PARAMS}


# ------------------------------------------------------------------ RNN

def rnn_module(params: dict[str, np.ndarray]) -> torch.nn.RNN:
    """A float64 tanh ``nn.RNN`` holding ``params``."""
    H, D = params["weight_ih"].shape
    return load_numpy_state(torch.nn.RNN(D, H, nonlinearity="tanh", dtype=torch.float64), params, "_l0")


def rnn_gradients(X, h0, params, dH=None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``nn.RNN`` forward, then autograd of ``sum(H * dH)``: hidden states (T, B, H) and the
    gradients ``X, h0, weight_ih, weight_hh, bias_ih, bias_hh``."""
    module = rnn_module(params)
    Xt, h0t = _leaf(X), _leaf(h0)
    H, _ = module(Xt, h0t[None])  # (T, B, H)
    _upstream(H, dH).backward()
    # parameters first: the rnn_bptt grading spec reports the first wrong key in this order
    return H.detach().numpy(), {**_param_grads(module, "_l0"), "X": Xt.grad.numpy(), "h0": h0t.grad.numpy()}


def truncated_rnn_gradients(X, h0, params, dH, tau: int) -> dict[str, np.ndarray]:
    """BPTT(h) of Williams & Peng: the error ``dH[t]`` flows back through at most ``tau`` steps.

    For each t the steps ``t-tau+1 .. t`` are re-run from the detached state before them, so
    autograd cannot reach further back; ``h0`` gets gradient only from windows that start at
    the first step. Keys as ``rnn_gradients`` without ``X``.
    """
    if tau < 1:
        raise ValueError(f"tau must be >= 1, got {tau}")
    module = rnn_module(params)
    Xt = torch.tensor(X, dtype=torch.float64)
    h0t = _leaf(h0)
    with torch.no_grad():
        H_full, _ = module(Xt, h0t[None])
    for t in range(len(X)):
        start = max(0, t - tau + 1)
        h_start = h0t if start == 0 else H_full[start - 1]
        H_window, _ = module(Xt[start:t + 1], h_start[None])
        _upstream(H_window[-1], dH[t]).backward()
    grads = _param_grads(module, "_l0")
    grads["h0"] = h0t.grad.numpy() if h0t.grad is not None else np.zeros_like(h0, dtype=np.float64)
    return grads


# ------------------------------------------------------------------ GRU

def _sizes(params) -> tuple[int, int]:
    """(input_size D, hidden_size H) of a recurrent parameter dict."""
    return params["weight_ih"].shape[1], params["weight_hh"].shape[1]


def gru_cell_gradients(x, h_prev, params, dh=None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``nn.GRUCell`` step and autograd of ``sum(h * dh)``: h (B, H) and the gradients
    ``x, h_prev`` and the parameters."""
    module = load_numpy_state(torch.nn.GRUCell(*_sizes(params), dtype=torch.float64), params)
    xt, ht = _leaf(x), _leaf(h_prev)
    h = module(xt, ht)
    _upstream(h, dh).backward()
    return h.detach().numpy(), {"x": xt.grad.numpy(), "h_prev": ht.grad.numpy(), **_param_grads(module)}


def gru_gradients(X, h0, params, dH=None, dh_T=None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``nn.GRU`` forward, then autograd of ``sum(H * dH) + sum(h_T * dh_T)``: hidden states
    (T, B, H) and the gradients ``X, h0`` and the parameters."""
    module = load_numpy_state(torch.nn.GRU(*_sizes(params), dtype=torch.float64), params, "_l0")
    Xt, h0t = _leaf(X), _leaf(h0)
    H, h_T = module(Xt, h0t[None])  # (T, B, H), (1, B, H)
    (_upstream(H, dH) + _upstream(h_T[0], dh_T)).backward()
    return H.detach().numpy(), {"X": Xt.grad.numpy(), "h0": h0t.grad.numpy(), **_param_grads(module, "_l0")}


# ------------------------------------------------------------------ LSTM

def lstm_cell_gradients(x, h_prev, c_prev, params, dh=None, dc=None):
    """``nn.LSTMCell`` step and autograd of ``sum(h * dh) + sum(c * dc)``.

    Returns:
        (h, c), each (B, H), and the gradients ``x, h_prev, c_prev`` and the parameters.
    """
    module = load_numpy_state(torch.nn.LSTMCell(*_sizes(params), dtype=torch.float64), params)
    xt, ht, ct = _leaf(x), _leaf(h_prev), _leaf(c_prev)
    h, c = module(xt, (ht, ct))
    (_upstream(h, dh) + _upstream(c, dc)).backward()
    grads = {"x": xt.grad.numpy(), "h_prev": ht.grad.numpy(), "c_prev": ct.grad.numpy(), **_param_grads(module)}
    return (h.detach().numpy(), c.detach().numpy()), grads


def lstm_gradients(X, h0, c0, params, dH=None, dh_T=None, dc_T=None):
    """``nn.LSTM`` forward, then autograd of ``sum(H * dH) + sum(h_T * dh_T) + sum(c_T * dc_T)``.

    Returns:
        H (T, B, H), (h_T, c_T) and the gradients ``X, h0, c0`` and the parameters.
    """
    module = load_numpy_state(torch.nn.LSTM(*_sizes(params), dtype=torch.float64), params, "_l0")
    Xt, h0t, c0t = _leaf(X), _leaf(h0), _leaf(c0)
    H, (h_T, c_T) = module(Xt, (h0t[None], c0t[None]))
    (_upstream(H, dH) + _upstream(h_T[0], dh_T) + _upstream(c_T[0], dc_T)).backward()
    grads = {"X": Xt.grad.numpy(), "h0": h0t.grad.numpy(), "c0": c0t.grad.numpy(), **_param_grads(module, "_l0")}
    return H.detach().numpy(), (h_T[0].detach().numpy(), c_T[0].detach().numpy()), grads


# ------------------------------------------------------------------ multi-head attention

def _torch_attn_mask(mask, B: int, Tq: int, Tk: int, num_heads: int):
    """seqbook's mask (True = may attend, or float added to the scores; any shape that
    broadcasts to (B, num_heads, Tq, Tk), or a per-sequence (B, Tq, Tk)) as
    ``nn.MultiheadAttention``'s 3-D ``attn_mask`` (B * num_heads, Tq, Tk), True = blocked,
    and the (B, Tq) queries that may attend to no key (torch would give NaN for them)."""
    mask = np.asarray(mask)
    if mask.ndim == 3:  # per sequence, shared by the heads
        mask = mask[:, None]
    mask = torch.as_tensor(np.broadcast_to(mask, (B, num_heads, Tq, Tk)).copy())
    allowed = mask if mask.dtype == torch.bool else ~torch.isneginf(mask)
    empty = ~allowed.any(dim=-1)  # (B, num_heads, Tq)
    if not torch.equal(empty.all(dim=1), empty.any(dim=1)):
        raise NotImplementedError("a query that may attend to no key in some heads but not in all")
    empty = empty[:, 0]  # (B, Tq)
    # an empty row is unblocked for torch (no NaN) and overwritten afterwards
    if mask.dtype == torch.bool:
        attn_mask = ~(mask | empty[:, None, :, None])
    else:
        attn_mask = torch.where(empty[:, None, :, None], 0.0, mask)
    return attn_mask.reshape(B * num_heads, Tq, Tk), empty


def multi_head_attention(query, key, value, params, num_heads: int, mask=None):
    """``nn.MultiheadAttention(batch_first=True)`` holding ``params`` (its ``state_dict`` names),
    in float64, with ``seqbook.nn.attention``'s masks (True = may attend, or float added).

    A query that may attend to no key gets zero weights and the output ``out_proj.bias``
    (torch gives NaN there), as ``seqbook.nn.attention.multi_head_attention`` defines it.

    Returns:
        out (B, Tq, E) and the per-head weights (B, num_heads, Tq, Tk).
    """
    query, key, value = (torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in (query, key, value))
    (B, Tq, E), Tk = query.shape, key.shape[1]
    module = load_numpy_state(torch.nn.MultiheadAttention(E, num_heads, batch_first=True, dtype=torch.float64),
                              params)
    attn_mask, empty = (None, None) if mask is None else _torch_attn_mask(mask, B, Tq, Tk, num_heads)
    with torch.no_grad():
        out, weights = module(query, key, value, attn_mask=attn_mask, average_attn_weights=False)
        if empty is not None:
            out = torch.where(empty[..., None], module.out_proj.bias, out)
            weights = weights.masked_fill(empty[:, None, :, None], 0.0)
    return out.numpy(), weights.numpy()
