"""PyTorch computations that tests and hidden assignment tests judge numpy code against.

Everything runs in float64 through `torch.nn` modules and autograd, so an answer from here
is independent of the book's own numpy code. Parameter dicts use the `state_dict` names
without the layer suffix (`weight_ih`, not `weight_ih_l0`), like `seqbook.nn`.
"""
from __future__ import annotations

import numpy as np
import torch

RNN_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def rnn_module(params: dict[str, np.ndarray]) -> torch.nn.RNN:
    """A float64 tanh `nn.RNN` holding `params`."""
    H, D = params["weight_ih"].shape
    module = torch.nn.RNN(D, H, nonlinearity="tanh", dtype=torch.float64)
    module.load_state_dict({f"{k}_l0": torch.tensor(params[k], dtype=torch.float64) for k in RNN_PARAMS})
    return module


def rnn_gradients(X, h0, params, dH) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`nn.RNN` forward, then autograd of `sum(H * dH)`: hidden states and every gradient."""
    module = rnn_module(params)
    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    h0t = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    H, _ = module(Xt, h0t[None])  # (T, B, H)
    (H * torch.tensor(dH, dtype=torch.float64)).sum().backward()
    grads = {name: getattr(module, f"{name}_l0").grad.numpy() for name in RNN_PARAMS}
    grads.update(X=Xt.grad.numpy(), h0=h0t.grad.numpy())
    return H.detach().numpy(), grads


def truncated_rnn_gradients(X, h0, params, dH, tau: int) -> dict[str, np.ndarray]:
    """BPTT(h) of Williams & Peng: the error `dH[t]` flows back through at most `tau` steps.

    For each t the steps `t-tau+1 .. t` are re-run from the detached state before them, so
    autograd cannot reach further back; `h0` gets gradient only from windows that start at
    the first step. Keys as `rnn_gradients` without `X`.
    """
    if tau < 1:
        raise ValueError(f"tau must be >= 1, got {tau}")
    module = rnn_module(params)
    Xt = torch.tensor(X, dtype=torch.float64)
    h0t = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        H_full, _ = module(Xt, h0t[None])
    for t in range(len(X)):
        start = max(0, t - tau + 1)
        h_start = h0t if start == 0 else H_full[start - 1]
        H_window, _ = module(Xt[start:t + 1], h_start[None])
        (H_window[-1] * torch.tensor(dH[t], dtype=torch.float64)).sum().backward()
    grads = {name: getattr(module, f"{name}_l0").grad.numpy() for name in RNN_PARAMS}
    grads["h0"] = h0t.grad.numpy() if h0t.grad is not None else np.zeros_like(h0, dtype=np.float64)
    return grads
