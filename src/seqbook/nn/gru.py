"""Gated recurrent unit (GRU) in numpy: forward pass and backpropagation through time.

Follows ``torch.nn.GRU`` / ``torch.nn.GRUCell`` by default: for every step t,

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)                reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)                update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))     candidate state
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Parameters use PyTorch's ``state_dict`` names and layouts, the three gates stacked in
PyTorch's order r, z, n: ``weight_ih (3H, D)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)``,
``bias_hh (3H,)``, so a trained ``nn.GRU`` can be copied in directly.

Where Cho et al. (2014) differ. "Learning Phrase Representations using RNN
Encoder-Decoder for Statistical Machine Translation", Section 2.3, writes for unit j

    r_j = σ([W_r x]_j + [U_r h_{t-1}]_j)                (5)
    z_j = σ([W_z x]_j + [U_z h_{t-1}]_j)                (6)
    h_j = z_j h_{j,t-1} + (1 - z_j) h̃_j                (7)
    h̃_j = φ([W x]_j + [U (r ⊙ h_{t-1})]_j)             (8)

(biases left out of the equations, φ = tanh in practice). Two points of comparison:

- **Reset gate.** Cho et al. multiply h_{t-1} by r *before* the recurrent matrix,
  U (r ⊙ h_{t-1}); PyTorch (like cuDNN and Keras' ``reset_after=True``) multiplies *after*
  it, r ⊙ (W_hn h_{t-1} + b_hn). The two are different functions of the same weights (with
  r ≠ 1 they give different h_t), and PyTorch's form lets W_hn h_{t-1} be computed in the
  same matmul as the other two gates. (Keras' documentation attributes the reset-before
  form to arXiv 1406.1078v3 of the paper, the reset-after form to v1.)
  ``GRUConfig(formulation="cho")`` computes
  n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn) with the same parameters.
- **Update gate: the same convention.** Both keep the old state with weight z and take the
  new candidate with weight 1 - z: Cho's h = z ⊙ h_{t-1} + (1 - z) ⊙ h̃ is PyTorch's
  h' = (1 - z) ⊙ n + z ⊙ h with the terms swapped. (Chung et al. 2014, "Empirical
  Evaluation of Gated Recurrent Neural Networks", write h_t = (1 - z_t) h_{t-1} + z_t h̃_t,
  the opposite convention; it is the same model with z ↔ 1 - z, i.e. W_z, b_z negated.)

Compared with the LSTM, the GRU couples the input and forget gates (f = z, i = 1 - z),
has a reset gate instead of an output gate and no separate cell state: 3 weight blocks
instead of 4 (``gru_param_count``).

The backward pass is BPTT: ``gru_cell_backward`` mirrors ``gru_cell_forward`` line by line
and the gradient of each shared weight is the sum over time steps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqbook.nn.functional import sigmoid
from seqbook.nn.layers import recurrent_param_count

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
FORMULATIONS = ("pytorch", "cho")


@dataclass(frozen=True)
class GRUConfig:
    """Which GRU to compute. The default is ``torch.nn.GRU``."""
    # "pytorch": reset gate after the recurrent matmul, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));
    # "cho": Cho et al. (2014), reset gate before it, n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
    formulation: str = "pytorch"

    def __post_init__(self):
        if self.formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {list(FORMULATIONS)}, "
                             f"got {self.formulation!r}")


def init_gru_params(input_size: int, hidden_size: int, rng: np.random.Generator,
                    dtype=np.float64) -> dict[str, np.ndarray]:
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter, as ``torch.nn.GRU`` initialises.

    Returns ``weight_ih (3H, D)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)``, ``bias_hh (3H,)``,
    gates stacked r, z, n.
    """
    D, H = input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    shapes = {"weight_ih": (3 * H, D), "weight_hh": (3 * H, H), "bias_ih": (3 * H,),
              "bias_hh": (3 * H,)}
    return {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}


def check_gru_inputs(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                     single_step: bool = False) -> None:
    """Raise ValueError naming the argument whose shape does not fit the others.

    ``X`` is a sequence (T, B, D) with initial state ``h0`` (B, H), or with ``single_step``
    one step ``x`` (B, D) with state ``h_prev`` (B, H).
    """
    x_name, h_name = ("x", "h_prev") if single_step else ("X", "h0")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    if np.ndim(X) != (2 if single_step else 3):
        layout = "(B, D)" if single_step else "(T, B, D)"
        raise ValueError(f"{x_name} must have shape {layout}, got {np.shape(X)}")
    B, D = np.shape(X)[-2:]
    if np.ndim(params["weight_hh"]) != 2 or np.shape(params["weight_hh"])[0] % 3:
        raise ValueError(f"params['weight_hh'] must have shape (3H, H), "
                         f"got {np.shape(params['weight_hh'])}")
    H = np.shape(params["weight_hh"])[0] // 3
    expected = {"weight_ih": (3 * H, D), "weight_hh": (3 * H, H), "bias_ih": (3 * H,),
                "bias_hh": (3 * H,)}
    for name in PARAM_NAMES:
        if np.shape(params[name]) != expected[name]:
            raise ValueError(f"params['{name}'] must have shape {expected[name]}, "
                             f"got {np.shape(params[name])}")
    if np.shape(h0) != (B, H):
        raise ValueError(f"{h_name} must have shape (B, H) = {(B, H)}, got {np.shape(h0)}")


def gru_cell_forward(x: np.ndarray, h_prev: np.ndarray, params: dict[str, np.ndarray],
                     config: GRUConfig = GRUConfig()):
    """One GRU step, as ``torch.nn.GRUCell`` with the default config.

    Args:
        x: input, shape (B, D).
        h_prev: previous hidden state, shape (B, H).
        params: ``weight_ih (3H, D)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)``, ``bias_hh (3H,)``,
            gates stacked r, z, n.
        config: ``formulation="pytorch"`` (default) or ``"cho"`` (Cho et al. 2014).

    Returns:
        h: new hidden state, shape (B, H).
        cache: what ``gru_cell_backward`` needs (inputs, gates, candidate of this step).
    """
    check_gru_inputs(x, h_prev, params, single_step=True)
    W_ih, W_hh, b_ih, b_hh = (params[name] for name in PARAM_NAMES)
    H = h_prev.shape[1]
    # input contributions of the three gates: W_i{r,z,n} x_t + b_i{r,z,n}
    A_i = x @ W_ih.T + b_ih  # (B, 3H)
    a_ir, a_iz, a_in = np.split(A_i, 3, axis=1)  # 3 × (B, H), PyTorch's order r, z, n
    # recurrent contributions of r and z: W_h{r,z} h_{t-1} + b_h{r,z}
    A_h = h_prev @ W_hh[:2 * H].T + b_hh[:2 * H]  # (B, 2H)
    a_hr, a_hz = np.split(A_h, 2, axis=1)  # 2 × (B, H)
    # r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    r = sigmoid(a_ir + a_hr)
    # z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    z = sigmoid(a_iz + a_hz)
    if config.formulation == "pytorch":
        # s = h_{t-1}: what W_hn multiplies
        s = h_prev
        # a_hn = W_hn h_{t-1} + b_hn
        a_hn = s @ W_hh[2 * H:].T + b_hh[2 * H:]  # (B, H)
        # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
        n = np.tanh(a_in + r * a_hn)
    else:
        # s = r_t ⊙ h_{t-1}: Cho et al. reset h_{t-1} before W_hn
        s = r * h_prev
        # a_hn = W_hn (r_t ⊙ h_{t-1}) + b_hn
        a_hn = s @ W_hh[2 * H:].T + b_hh[2 * H:]  # (B, H)
        # n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)
        n = np.tanh(a_in + a_hn)
    # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    h = (1 - z) * n + z * h_prev
    cache = {"x": x, "h_prev": h_prev, "params": params, "config": config,
             "r": r, "z": z, "n": n, "a_hn": a_hn, "s": s}
    return h, cache


def gru_cell_backward(dh: np.ndarray, cache: dict):
    """Backpropagate one step: gradients of ``L`` given dL/dh_t.

    Args:
        dh: gradient with respect to h_t, shape (B, H).
        cache: from ``gru_cell_forward``.

    Returns:
        dict with the gradients ``x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh``.
    """
    x, h_prev, params, config = cache["x"], cache["h_prev"], cache["params"], cache["config"]
    r, z, n, a_hn, s = (cache[k] for k in ("r", "z", "n", "a_hn", "s"))
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    H = h_prev.shape[1]
    # through h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    dn = dh * (1 - z)
    dz = dh * (h_prev - n)
    dh_prev = dh * z
    # through n_t = tanh(·): tanh' = 1 - n^2
    da_n = dn * (1 - n ** 2)  # (B, H), gradient at the tanh's argument
    da_in = da_n
    if config.formulation == "pytorch":
        # through r_t ⊙ (W_hn h_{t-1} + b_hn)
        da_hn = da_n * r
        dr = da_n * a_hn
        # into h_{t-1} through W_hn (s = h_{t-1})
        dh_prev = dh_prev + da_hn @ W_hh[2 * H:]
    else:
        # through W_hn (r_t ⊙ h_{t-1}) + b_hn
        da_hn = da_n
        ds = da_hn @ W_hh[2 * H:]  # (B, H)
        # through s = r_t ⊙ h_{t-1}
        dr = ds * h_prev
        dh_prev = dh_prev + ds * r
    # through z_t = σ(·): σ' = z (1 - z)
    da_z = dz * z * (1 - z)
    # through r_t = σ(·): σ' = r (1 - r)
    da_r = dr * r * (1 - r)
    dA_i = np.concatenate([da_r, da_z, da_in], axis=1)  # (B, 3H)
    dA_h = np.concatenate([da_r, da_z, da_hn], axis=1)  # (B, 3H)
    # into h_{t-1} through W_hr and W_hz
    dh_prev = dh_prev + dA_h[:, :2 * H] @ W_hh[:2 * H]  # (B, H)
    # into the weights: r and z rows multiply h_{t-1}, the n rows multiply s
    dW_hh = np.concatenate([dA_h[:, :2 * H].T @ h_prev, da_hn.T @ s], axis=0)  # (3H, H)
    return {
        "x": dA_i @ W_ih,  # (B, D)
        "h_prev": dh_prev,  # (B, H)
        "weight_ih": dA_i.T @ x,  # (3H, D)
        "weight_hh": dW_hh,  # (3H, H)
        "bias_ih": dA_i.sum(axis=0),
        "bias_hh": dA_h.sum(axis=0),
    }


def gru_forward(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                config: GRUConfig = GRUConfig()):
    """Run the GRU over a sequence, as one layer of ``torch.nn.GRU`` with the default config.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (3H, D)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)``, ``bias_hh (3H,)``.
        config: ``formulation="pytorch"`` (default) or ``"cho"`` (Cho et al. 2014).

    Returns:
        H: hidden states h_1..h_T, shape (T, B, H); the final state h_T is ``H[-1]``.
        cache: what ``gru_backward`` needs (the per-step caches, keyed by t).
    """
    check_gru_inputs(X, h0, params)
    T, B, _ = X.shape
    n_hidden = params["weight_hh"].shape[1]
    H = np.empty((T, B, n_hidden), dtype=np.result_type(X, h0, params["weight_hh"]))
    h, steps = h0, []
    for t in range(T):
        h, step = gru_cell_forward(X[t], h, params, config)
        H[t] = h
        steps.append(step)
    cache = {"X": X, "h0": h0, "params": params, "config": config, "H": H, "steps": steps}
    return H, cache


def gru_backward(dH: np.ndarray, cache: dict, dh_T: np.ndarray | None = None):
    """Backpropagation through time for ``L = sum(H * dH) + sum(h_T * dh_T)``.

    Args:
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).
        cache: from ``gru_forward``.
        dh_T: optional gradient with respect to the final state h_T, shape (B, H) (added to
            ``dH[-1]``; it is the same tensor, as ``nn.GRU``'s ``h_n`` is ``output[-1]``).

    Returns:
        dict with the gradients ``X, h0, weight_ih, weight_hh, bias_ih, bias_hh``.
    """
    H, steps, params = cache["H"], cache["steps"], cache["params"]
    if np.shape(dH) != H.shape:
        raise ValueError(f"dH must have the shape of H {H.shape}, got {np.shape(dH)}")
    T, B, n_hidden = H.shape
    if dh_T is not None and np.shape(dh_T) != (B, n_hidden):
        raise ValueError(f"dh_T must have shape (B, H) = {(B, n_hidden)}, got {np.shape(dh_T)}")
    grads = {name: np.zeros_like(params[name], dtype=H.dtype) for name in PARAM_NAMES}
    dX = np.empty(cache["X"].shape, dtype=H.dtype)
    # error arriving at h_t from step t+1 (from the loss on the final state at t = T)
    dh_next = np.zeros((B, n_hidden), H.dtype) if dh_T is None else dh_T
    for t in reversed(range(T)):
        # total error at h_t: its own loss term plus what flows back from step t+1
        step = gru_cell_backward(dH[t] + dh_next, steps[t])
        dX[t], dh_next = step["x"], step["h_prev"]
        # shared weights: the gradient is the sum over all time steps of the per-step terms
        for name in PARAM_NAMES:
            grads[name] += step[name]
    return {"X": dX, "h0": dh_next, **grads}


def gru_param_count(input_size: int, hidden_size: int, num_layers: int = 1,
                    bidirectional: bool = False, bias: bool = True) -> int:
    """Number of parameters of ``torch.nn.GRU(input_size, hidden_size, num_layers, bias,
    bidirectional=...)``.

    With D = input_size, H = hidden_size, L = num_layers, K = 2 if bidirectional else 1 and
    β = 2 with biases (0 without), each direction of layer k has 3 blocks (r, z, n):

        3H (D_k + H + β),  D_0 = D,  D_k = K H for k > 0,

    so the total is K · 3H [(D + H + β) + (L - 1)(K H + H + β)].
    """
    return recurrent_param_count(3, input_size, hidden_size, num_layers, bidirectional, bias)
