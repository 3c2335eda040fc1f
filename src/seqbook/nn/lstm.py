"""Long short-term memory (LSTM) in numpy: forward pass and backpropagation through time.

Follows ``torch.nn.LSTM`` / ``torch.nn.LSTMCell`` by default: for every step t,

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)        input gate
    f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)        forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)     cell input
    o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)        output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

Parameters use PyTorch's ``state_dict`` names and layouts, the four gates stacked in
PyTorch's order i, f, g, o: ``weight_ih (4H, D)``, ``weight_hh (4H, H)``, ``bias_ih (4H,)``,
``bias_hh (4H,)``, so a trained ``nn.LSTM`` can be copied in directly.

``LSTMConfig`` switches the same implementation to the historical variants:

- Hochreiter & Schmidhuber (1997), the original LSTM: no forget gate (f_t = 1, the
  "constant error carousel" c_t = c_{t-1} + i_t ⊙ g_t) and centred logistic squashing;
- Gers, Schmidhuber & Cummins (2000), "Learning to forget": the forget gate f_t;
- Gers & Schmidhuber (2000), peephole connections: diagonal weights let i_t and f_t see
  c_{t-1} and o_t see c_t (``weight_ci, weight_cf, weight_co``, each (H,));
- the connectivity of Hochreiter's "tricks of the trade": *fully connected* gates (every
  gate and the cell input see x_t and h_{t-1}; PyTorch's LSTM, the default) or *focused*
  (the gates see only h_{t-1}, the cell input g_t only x_t). Focused connectivity is a
  fixed 0/1 mask on row blocks of ``weight_ih`` and ``weight_hh``, applied in the forward
  pass, so the masked weights get exactly zero gradient;
- no output gate (o_t = 1, h_t = act_h(c_t)). The presets ``LSTMConfig.focused()`` (no
  forget gate, focused connectivity) and ``LSTMConfig.lightweight()`` (focused without
  output gate) name the two combinations of the course notes.

``init_lstm_params`` sets the forget gate's bias (Gers et al. 2000) and optionally input-
and output-gate biases, e.g. the negative sequence -1, -2, -3, ... of
``negative_bias_sequence`` (Hochreiter & Schmidhuber 1997): the cells open their input
gates one after the other, a ranking that keeps them from all drifting together.

The backward pass is BPTT: the unrolled graph is walked from the last step to the first,
``lstm_cell_backward`` mirrors ``lstm_cell_forward`` line by line, and the gradient of each
shared weight is the sum over time steps.
"""
from __future__ import annotations

from dataclasses import dataclass

from functools import partial

import numpy as np

from seqbook.nn.functional import sigmoid
from seqbook.nn.layers import recurrent_param_count, stacked_forward

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
PEEPHOLE_NAMES = ("weight_ci", "weight_cf", "weight_co")
GATE_NAMES = ("i", "f", "g", "o")  # PyTorch's order of the row blocks of the weights

# which inputs each row block reads: gate -> (sees x_t, sees h_{t-1})
CONNECTIVITY = {
    # fully connected gates: every gate and the cell input see x_t and h_{t-1} (nn.LSTM)
    "full": {"i": (True, True), "f": (True, True), "g": (True, True), "o": (True, True)},
    # focused LSTM: the gates see only the cell outputs h_{t-1}, the cell input only x_t
    "focused": {"i": (False, True), "f": (False, True), "g": (True, False), "o": (False, True)},
}


# name: (function, its derivative written in terms of the function's output y)
ACTIVATIONS = {
    "tanh": (np.tanh, lambda y: 1 - y ** 2),
    "sigmoid": (sigmoid, lambda y: y * (1 - y)),
    "identity": (lambda a: a, lambda y: np.ones_like(y)),
    # max(0, a): only non-negative, unbounded writes (the LSTM chapter shows what that does);
    # its derivative is 1 where the output is positive, 0 elsewhere (PyTorch's choice at 0)
    "relu": (lambda a: np.maximum(a, 0), lambda y: (y > 0).astype(y.dtype)),
    # 2σ(a) - 1 in (-1, 1): the centred logistic of Hochreiter & Schmidhuber (1997), their h.
    # Its derivative 2σ(1 - σ) with σ = (1 + y)/2 is (1 - y^2)/2.
    "scaled_sigmoid": (lambda a: 2 * sigmoid(a) - 1, lambda y: (1 - y ** 2) / 2),
}


@dataclass(frozen=True)
class LSTMConfig:
    """Which LSTM to compute. The defaults are ``torch.nn.LSTM``."""
    # False: the 1997 LSTM without forget gate, f_t = 1 so c_t = c_{t-1} + i_t ⊙ g_t;
    # the forget-gate rows H:2H of the weights and biases are then unused (zero gradient).
    forget_gate: bool = True
    # True: Gers & Schmidhuber (2000) peepholes, i_t and f_t add w_ci ⊙ c_{t-1} and
    # w_cf ⊙ c_{t-1}, o_t adds w_co ⊙ c_t; needs params weight_ci, weight_cf, weight_co (H,).
    peephole: bool = False
    # squashing of the cell input g_t; one of ACTIVATIONS ("scaled_sigmoid" is 2σ(a) - 1).
    cell_activation: str = "tanh"
    # squashing of c_t before the output gate, h_t = o_t ⊙ act(c_t); one of ACTIVATIONS.
    output_activation: str = "tanh"
    # which inputs the gates and the cell input see, a key of CONNECTIVITY: "full" (every
    # block sees x_t and h_{t-1}) or "focused" (gates i, f, o see only h_{t-1}, g only x_t).
    connectivity: str = "full"
    # False: no output gate, o_t = 1 so h_t = act_h(c_t); rows 3H:4H (and weight_co) unused.
    output_gate: bool = True

    def __post_init__(self):
        for field in ("cell_activation", "output_activation"):
            if getattr(self, field) not in ACTIVATIONS:
                raise ValueError(f"{field} must be one of {list(ACTIVATIONS)}, "
                                 f"got {getattr(self, field)!r}")
        if self.connectivity not in CONNECTIVITY:
            raise ValueError(f"connectivity must be one of {list(CONNECTIVITY)}, "
                             f"got {self.connectivity!r}")

    @classmethod
    def focused(cls, **overrides) -> "LSTMConfig":
        """Focused LSTM: no forget gate; the gates i and o see only h_{t-1}, the cell input g
        only x_t. ``overrides`` set other fields (e.g. ``peephole=True``)."""
        return cls(**{"forget_gate": False, "connectivity": "focused", **overrides})

    @classmethod
    def lightweight(cls, **overrides) -> "LSTMConfig":
        """Lightweight LSTM: a focused LSTM without output gate, h_t = act_h(c_t)."""
        return cls.focused(**{"output_gate": False, **overrides})


def connectivity_masks(config: LSTMConfig, input_size: int,
                       hidden_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed 0/1 masks of ``config.connectivity`` on ``weight_ih`` and ``weight_hh``.

    Returns boolean ``mask_ih (4H, D)`` and ``mask_hh (4H, H)``: row block k (gate i, f, g, o)
    is True where that block reads x_t (resp. h_{t-1}). All True for ``"full"``.
    """
    D, H = input_size, hidden_size
    sees = [CONNECTIVITY[config.connectivity][gate] for gate in GATE_NAMES]
    rows_ih = np.repeat([x for x, _ in sees], H)  # (4H,)
    rows_hh = np.repeat([h for _, h in sees], H)  # (4H,)
    mask_ih = np.broadcast_to(rows_ih[:, None], (4 * H, D)).copy()  # (4H, D)
    mask_hh = np.broadcast_to(rows_hh[:, None], (4 * H, H)).copy()  # (4H, H)
    return mask_ih, mask_hh


def connected_weights(params: dict[str, np.ndarray], config: LSTMConfig):
    """``weight_ih, weight_hh`` with the connections ``config.connectivity`` cuts set to 0
    (the arrays themselves, no copy, for fully connected gates), and the two masks (None
    for fully connected gates)."""
    if config.connectivity == "full":
        return params["weight_ih"], params["weight_hh"], None, None
    H4, D = params["weight_ih"].shape
    mask_ih, mask_hh = connectivity_masks(config, D, H4 // 4)
    W_ih = np.where(mask_ih, params["weight_ih"], 0)  # (4H, D)
    W_hh = np.where(mask_hh, params["weight_hh"], 0)  # (4H, H)
    return W_ih, W_hh, mask_ih, mask_hh


def negative_bias_sequence(hidden_size: int, block_size: int = 1, start: float = -1.0,
                           step: float = -1.0) -> np.ndarray:
    """Input-gate biases -1, -2, -3, ... per memory cell (or per block of ``block_size``
    cells sharing a value), shape (H,). Hochreiter & Schmidhuber (1997): the more negative the
    bias, the later a cell's input gate opens, so cells start to store one after the other.

    >>> negative_bias_sequence(6, block_size=2)
    array([-1., -1., -2., -2., -3., -3.])
    """
    if block_size < 1 or hidden_size % block_size:
        raise ValueError(f"block_size must divide hidden_size = {hidden_size}, got {block_size}")
    # block k (k = 0, 1, ...) gets start + k * step
    return start + step * (np.arange(hidden_size) // block_size).astype(np.float64)


def init_lstm_params(input_size: int, hidden_size: int, rng: np.random.Generator,
                     forget_bias: float = 1.0, dtype=np.float64, *,
                     peephole: bool = False, input_bias=None,
                     output_bias=None) -> dict[str, np.ndarray]:
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter, as ``torch.nn.LSTM`` initialises, except
    the forget gate's bias: ``bias_ih[H:2H] + bias_hh[H:2H] = forget_bias``, so that the cell
    starts by remembering (Gers et al. 2000; Jozefowicz et al. 2015).

    ``input_bias`` and ``output_bias`` (None: keep the uniform draw; a number or an (H,) array)
    set ``b_i = bias_ih[0:H] + bias_hh[0:H]`` and ``b_o = bias_ih[3H:4H] + bias_hh[3H:4H]`` the
    same way, e.g. ``input_bias=negative_bias_sequence(H)`` gives -1, -2, ..., -H. The random
    draws do not depend on these options.

    Returns ``weight_ih (4H, D)``, ``weight_hh (4H, H)``, ``bias_ih (4H,)``, ``bias_hh (4H,)``,
    gates stacked i, f, g, o; with ``peephole=True`` also ``weight_ci, weight_cf, weight_co (H,)``.
    """
    D, H = input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    shapes = {"weight_ih": (4 * H, D), "weight_hh": (4 * H, H), "bias_ih": (4 * H,),
              "bias_hh": (4 * H,)}
    if peephole:
        shapes.update({name: (H,) for name in PEEPHOLE_NAMES})
    params = {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}
    # b_f = bias_ih[H:2H] + bias_hh[H:2H] = forget_bias
    params["bias_ih"][H:2 * H] = forget_bias
    params["bias_hh"][H:2 * H] = 0
    for name, value, rows in (("input_bias", input_bias, np.s_[0:H]),
                              ("output_bias", output_bias, np.s_[3 * H:4 * H])):
        if value is None:
            continue
        if np.shape(value) not in ((), (H,)):
            raise ValueError(f"{name} must be a number or have shape (H,) = {(H,)}, "
                             f"got {np.shape(value)}")
        # b_i (or b_o) = bias_ih[rows] + bias_hh[rows] = value
        params["bias_ih"][rows] = value
        params["bias_hh"][rows] = 0
    return params


def check_lstm_inputs(X: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                      params: dict[str, np.ndarray], config: LSTMConfig,
                      single_step: bool = False) -> None:
    """Raise ValueError naming the argument whose shape does not fit the others.

    ``X`` is a sequence (T, B, D), or with ``single_step`` one step ``x`` (B, D) with states
    ``h_prev, c_prev``.
    """
    x_name, h_name, c_name = ("x", "h_prev", "c_prev") if single_step else ("X", "h0", "c0")
    required = PARAM_NAMES + (PEEPHOLE_NAMES if config.peephole else ())
    missing = [name for name in required if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(required)}"
                         + (" (config.peephole is True)" if config.peephole else ""))
    extra = [name for name in PEEPHOLE_NAMES if name in params and not config.peephole]
    if extra:
        raise ValueError(f"params has peephole weights {extra} but config.peephole is False")
    if np.ndim(X) != (2 if single_step else 3):
        layout = "(B, D)" if single_step else "(T, B, D)"
        raise ValueError(f"{x_name} must have shape {layout}, got {np.shape(X)}")
    B, D = X.shape[-2:]
    H = np.shape(params["weight_hh"])[0] // 4
    expected = {"weight_ih": (4 * H, D), "weight_hh": (4 * H, H), "bias_ih": (4 * H,),
                "bias_hh": (4 * H,), **{name: (H,) for name in PEEPHOLE_NAMES}}
    for name in required:
        if np.shape(params[name]) != expected[name]:
            raise ValueError(f"params['{name}'] must have shape {expected[name]}, "
                             f"got {np.shape(params[name])}")
    for name, state in ((h_name, h0), (c_name, c0)):
        if np.shape(state) != (B, H):
            raise ValueError(f"{name} must have shape (B, H) = {(B, H)}, got {np.shape(state)}")


def lstm_cell_forward(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray,
                      params: dict[str, np.ndarray], config: LSTMConfig = LSTMConfig()):
    """One LSTM step, as ``torch.nn.LSTMCell`` with the default config.

    Args:
        x: input, shape (B, D).
        h_prev, c_prev: previous hidden and cell state, each (B, H).
        params: ``weight_ih (4H, D)``, ``weight_hh (4H, H)``, ``bias_ih (4H,)``, ``bias_hh (4H,)``
            (+ ``weight_ci, weight_cf, weight_co (H,)`` with ``config.peephole``).
        config: the LSTM variant.

    Returns:
        h, c: new hidden and cell state, each (B, H).
        cache: what ``lstm_cell_backward`` needs (inputs, gates, states of this step).
    """
    check_lstm_inputs(x, h_prev, c_prev, params, config, single_step=True)
    act_g, _ = ACTIVATIONS[config.cell_activation]
    act_h, _ = ACTIVATIONS[config.output_activation]
    # W_ih, W_hh with the connections cut by config.connectivity set to 0 (focused LSTM)
    W_ih, W_hh, mask_ih, mask_hh = connected_weights(params, config)
    # pre-activations of the four gates: W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    A = x @ W_ih.T + params["bias_ih"] + h_prev @ W_hh.T + params["bias_hh"]  # (B, 4H)
    a_i, a_f, a_g, a_o = np.split(A, 4, axis=1)  # 4 × (B, H), PyTorch's order i, f, g, o
    if config.peephole:
        # peepholes: the input and forget gates look at c_{t-1}
        a_i = a_i + params["weight_ci"] * c_prev
        a_f = a_f + params["weight_cf"] * c_prev
    # i_t = σ(a_i)
    i = sigmoid(a_i)
    if config.forget_gate:
        # f_t = σ(a_f)
        f = sigmoid(a_f)
    else:
        # 1997 LSTM: no forget gate, f_t = 1
        f = np.ones_like(c_prev, dtype=i.dtype)
    # g_t = act_g(a_g)
    g = act_g(a_g)
    # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    c = f * c_prev + i * g
    if config.output_gate:
        if config.peephole:
            # peephole: the output gate looks at c_t
            a_o = a_o + params["weight_co"] * c
        # o_t = σ(a_o)
        o = sigmoid(a_o)
    else:
        # lightweight LSTM: no output gate, o_t = 1
        o = np.ones_like(c)
    # y_t = act_h(c_t)
    y = act_h(c)
    # h_t = o_t ⊙ y_t
    h = o * y
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "params": params, "config": config,
             "i": i, "f": f, "g": g, "o": o, "c": c, "y": y,
             "W_ih": W_ih, "W_hh": W_hh, "mask_ih": mask_ih, "mask_hh": mask_hh}
    return h, c, cache


def lstm_cell_backward(dh: np.ndarray, dc: np.ndarray, cache: dict):
    """Backpropagate one step: gradients of ``L`` given dL/dh_t and dL/dc_t from outside
    the step (``dc`` is what flows into c_t from step t+1, not through h_t).

    Args:
        dh, dc: gradients with respect to h_t and c_t, each (B, H).
        cache: from ``lstm_cell_forward``.

    Returns:
        dict with the gradients ``x, h_prev, c_prev`` and of every parameter.
    """
    x, h_prev, c_prev = cache["x"], cache["h_prev"], cache["c_prev"]
    params, config = cache["params"], cache["config"]
    i, f, g, o, c, y = (cache[k] for k in ("i", "f", "g", "o", "c", "y"))
    _, dact_g = ACTIVATIONS[config.cell_activation]
    _, dact_h = ACTIVATIONS[config.output_activation]
    grads = {}
    # through h_t = o_t ⊙ y_t
    do = dh * y
    dy = dh * o
    # through y_t = act_h(c_t), adding to the error that reaches c_t from step t+1
    dc = dc + dy * dact_h(y)
    # through o_t = σ(a_o): σ' = o (1 - o); without output gate o_t = 1 is a constant
    da_o = do * o * (1 - o) if config.output_gate else np.zeros_like(do)
    if config.peephole:
        # through the output gate's peephole: a_o += w_co ⊙ c_t
        dc = dc + da_o * params["weight_co"]
        grads["weight_co"] = (da_o * c).sum(axis=0)
    # through c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    df = dc * c_prev
    dc_prev = dc * f
    di = dc * g
    dg = dc * i
    # through g_t = act_g(a_g)
    da_g = dg * dact_g(g)
    # through f_t = σ(a_f); without forget gate f_t = 1 is a constant
    da_f = df * f * (1 - f) if config.forget_gate else np.zeros_like(df)
    # through i_t = σ(a_i)
    da_i = di * i * (1 - i)
    if config.peephole:
        # through the peepholes a_i += w_ci ⊙ c_{t-1} and a_f += w_cf ⊙ c_{t-1}
        dc_prev = dc_prev + da_i * params["weight_ci"] + da_f * params["weight_cf"]
        grads["weight_ci"] = (da_i * c_prev).sum(axis=0)
        grads["weight_cf"] = (da_f * c_prev).sum(axis=0)
    dA = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (B, 4H)
    W_ih, W_hh = cache["W_ih"], cache["W_hh"]
    # through A = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh: into x_t, h_{t-1} and the weights
    grads.update({
        "x": dA @ W_ih,  # (B, D)
        "h_prev": dA @ W_hh,  # (B, H)
        "c_prev": dc_prev,  # (B, H)
        "weight_ih": dA.T @ x,  # (4H, D)
        "weight_hh": dA.T @ h_prev,  # (4H, H)
        "bias_ih": dA.sum(axis=0),
        "bias_hh": dA.sum(axis=0),
    })
    if cache["mask_ih"] is not None:
        # through the connectivity masks: a cut connection gets exactly zero gradient
        grads["weight_ih"] = np.where(cache["mask_ih"], grads["weight_ih"], 0)
        grads["weight_hh"] = np.where(cache["mask_hh"], grads["weight_hh"], 0)
    return grads


def lstm_forward(X: np.ndarray, h0: np.ndarray, c0: np.ndarray, params: dict[str, np.ndarray],
                 config: LSTMConfig = LSTMConfig()):
    """Run the LSTM over a sequence, as one layer of ``torch.nn.LSTM`` with the default config.

    Args:
        X: inputs, shape (T, B, D).
        h0, c0: initial hidden and cell state, each (B, H).
        params: ``weight_ih (4H, D)``, ``weight_hh (4H, H)``, ``bias_ih (4H,)``, ``bias_hh (4H,)``
            (+ ``weight_ci, weight_cf, weight_co (H,)`` with ``config.peephole``).
        config: the LSTM variant.

    Returns:
        H: hidden states h_1..h_T, shape (T, B, H).
        (h_T, c_T): the final hidden and cell state, each (B, H).
        cache: what ``lstm_backward`` needs (the per-step caches, keyed by t).
    """
    check_lstm_inputs(X, h0, c0, params, config)
    T, B, _ = X.shape
    n_hidden = params["weight_hh"].shape[1]
    H = np.empty((T, B, n_hidden), dtype=np.result_type(X, h0, c0, params["weight_hh"]))
    h, c, steps = h0, c0, []
    for t in range(T):
        h, c, step = lstm_cell_forward(X[t], h, c, params, config)
        H[t] = h
        steps.append(step)
    cache = {"X": X, "h0": h0, "c0": c0, "params": params, "config": config, "H": H,
             "steps": steps}
    return H, (h, c), cache


def lstm_backward(dH: np.ndarray, cache: dict, dh_T: np.ndarray | None = None,
                  dc_T: np.ndarray | None = None):
    """Backpropagation through time for ``L = sum(H * dH) + sum(h_T * dh_T) + sum(c_T * dc_T)``.

    Args:
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).
        cache: from ``lstm_forward``.
        dh_T, dc_T: optional gradients with respect to the final states, each (B, H).

    Returns:
        dict with the gradients ``X, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh``
        (+ ``weight_ci, weight_cf, weight_co`` with ``config.peephole``).
    """
    H, steps, params = cache["H"], cache["steps"], cache["params"]
    if np.shape(dH) != H.shape:
        raise ValueError(f"dH must have the shape of H {H.shape}, got {np.shape(dH)}")
    T, B, n_hidden = H.shape
    for name, d in (("dh_T", dh_T), ("dc_T", dc_T)):
        if d is not None and np.shape(d) != (B, n_hidden):
            raise ValueError(f"{name} must have shape (B, H) = {(B, n_hidden)}, got {np.shape(d)}")
    names = PARAM_NAMES + (PEEPHOLE_NAMES if cache["config"].peephole else ())
    grads = {name: np.zeros_like(params[name], dtype=H.dtype) for name in names}
    dX = np.empty(cache["X"].shape, dtype=H.dtype)
    # errors arriving at h_t and c_t from step t+1 (from the loss on the final state at t = T)
    dh_next = np.zeros((B, n_hidden), H.dtype) if dh_T is None else dh_T
    dc_next = np.zeros((B, n_hidden), H.dtype) if dc_T is None else dc_T
    for t in reversed(range(T)):
        # total error at h_t: its own loss term plus what flows back from step t+1
        step = lstm_cell_backward(dH[t] + dh_next, dc_next, steps[t])
        dX[t], dh_next, dc_next = step["x"], step["h_prev"], step["c_prev"]
        # shared weights: the gradient is the sum over all time steps of the per-step terms
        for name in names:
            grads[name] += step[name]
    return {"X": dX, "h0": dh_next, "c0": dc_next, **grads}


def lstm_layers_forward(X: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None,
                        layer_params: dict[str, np.ndarray], bidirectional: bool = False,
                        batch_first: bool = False, config: LSTMConfig = LSTMConfig()):
    """Stacked, optionally bidirectional LSTM: the forward pass of ``torch.nn.LSTM``.

    Layer k reads the outputs of layer k-1 (both directions concatenated); the reverse
    direction runs over the sequence from x_T to x_1 with its own parameters.

    Args:
        X: inputs, shape (T, B, D), or (B, T, D) with ``batch_first``.
        h0, c0: initial states, each (num_layers * num_directions, B, H), indexed like
            PyTorch (layer k, direction d at ``k * num_directions + d``); None means zeros.
        layer_params: a ``torch.nn.LSTM`` state_dict as numpy arrays: ``weight_ih_l{k}``, ...
            and, when bidirectional, ``weight_ih_l{k}_reverse``, ...
        bidirectional, batch_first: as in ``torch.nn.LSTM``.
        config: the LSTM variant of every layer.

    Returns:
        output: last layer's hidden states, (T, B, num_directions * H) or (B, T, ...) with
            ``batch_first``.
        (h_n, c_n): final states of every layer and direction, each
            (num_layers * num_directions, B, H).
    """
    if any(name.startswith("weight_hr") for name in layer_params):
        raise ValueError("layer_params has weight_hr (proj_size > 0), which is not supported")
    num_layers = sum(f"weight_ih_l{k}" in layer_params for k in range(len(layer_params)))
    if num_layers == 0:
        raise ValueError("layer_params has no 'weight_ih_l0'; expected a torch.nn.LSTM state_dict")
    output, (h_n, c_n), _ = stacked_forward(partial(lstm_forward, config=config), X, (h0, c0),
                                            layer_params, num_layers, bidirectional, batch_first)
    return output, (h_n, c_n)


# --- parameter count, as PyTorch counts it (sum(p.numel() for p in module.parameters())) ---

def lstm_param_count(input_size: int, hidden_size: int, num_layers: int = 1,
                     bidirectional: bool = False, bias: bool = True, proj_size: int = 0) -> int:
    """Number of parameters of ``torch.nn.LSTM(input_size, hidden_size, num_layers, bias,
    bidirectional=..., proj_size=...)``.

    With D, H, L, K, β as in ``seqbook.nn.layers.recurrent_param_count``,
    each direction of layer k has 4 blocks (i, f, g, o):

        4H (D_k + H + β),  D_0 = D,  D_k = K H for k > 0,

    so the total is K · 4H [(D + H + β) + (L - 1)(K H + H + β)]. With a projection
    P = proj_size > 0 the output and recurrent input have size P: each direction has
    4H (D_k + P + β) + P H (``weight_hr``), with D_k = K P for k > 0.
    """
    return recurrent_param_count(4, input_size, hidden_size, num_layers, bidirectional, bias,
                                 proj_size)
