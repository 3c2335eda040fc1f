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
  c_{t-1} and o_t see c_t (``weight_ci, weight_cf, weight_co``, each (H,)).

The backward pass is BPTT: the unrolled graph is walked from the last step to the first,
``lstm_cell_backward`` mirrors ``lstm_cell_forward`` line by line, and the gradient of each
shared weight is the sum over time steps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
PEEPHOLE_NAMES = ("weight_ci", "weight_cf", "weight_co")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), computed without overflow for any x.

    e^{-|x|} lies in (0, 1], so it never overflows; for x >= 0 use 1 / (1 + e^{-x}) and for
    x < 0 the equal form e^{x} / (1 + e^{x}). Keeps the dtype of ``x`` (float32 stays float32).
    """
    x = np.asarray(x)
    with np.errstate(under="ignore"):  # e^{-|x|} rounds to 0 for |x| > ~745: σ is then 0 or 1
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# name: (function, its derivative written in terms of the function's output y)
ACTIVATIONS = {
    "tanh": (np.tanh, lambda y: 1 - y ** 2),
    "sigmoid": (sigmoid, lambda y: y * (1 - y)),
    "identity": (lambda a: a, lambda y: np.ones_like(y)),
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

    def __post_init__(self):
        for field in ("cell_activation", "output_activation"):
            if getattr(self, field) not in ACTIVATIONS:
                raise ValueError(f"{field} must be one of {list(ACTIVATIONS)}, "
                                 f"got {getattr(self, field)!r}")


def init_lstm_params(input_size: int, hidden_size: int, rng: np.random.Generator,
                     forget_bias: float = 1.0, dtype=np.float64, *,
                     peephole: bool = False) -> dict[str, np.ndarray]:
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter, as ``torch.nn.LSTM`` initialises, except
    the forget gate's bias: ``bias_ih[H:2H] + bias_hh[H:2H] = forget_bias``, so that the cell
    starts by remembering (Gers et al. 2000; Jozefowicz et al. 2015).

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
    # pre-activations of the four gates: W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    A = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T \
        + params["bias_hh"]  # (B, 4H)
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
    if config.peephole:
        # peephole: the output gate looks at c_t
        a_o = a_o + params["weight_co"] * c
    # o_t = σ(a_o)
    o = sigmoid(a_o)
    # y_t = act_h(c_t)
    y = act_h(c)
    # h_t = o_t ⊙ y_t
    h = o * y
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "params": params, "config": config,
             "i": i, "f": f, "g": g, "o": o, "c": c, "y": y}
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
    # through o_t = σ(a_o): σ' = o (1 - o)
    da_o = do * o * (1 - o)
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
    # through A = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh: into x_t, h_{t-1} and the weights
    grads.update({
        "x": dA @ params["weight_ih"],  # (B, D)
        "h_prev": dA @ params["weight_hh"],  # (B, H)
        "c_prev": dc_prev,  # (B, H)
        "weight_ih": dA.T @ x,  # (4H, D)
        "weight_hh": dA.T @ h_prev,  # (4H, H)
        "bias_ih": dA.sum(axis=0),
        "bias_hh": dA.sum(axis=0),
    })
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
    if np.ndim(X) != 3:
        raise ValueError(f"X must have shape {'(B, T, D)' if batch_first else '(T, B, D)'}, "
                         f"got {np.shape(X)}")
    if any(name.startswith("weight_hr") for name in layer_params):
        raise ValueError("layer_params has weight_hr (proj_size > 0), which is not supported")
    has_reverse = any(name.endswith("_reverse") for name in layer_params)
    if has_reverse != bidirectional:
        raise ValueError(f"bidirectional={bidirectional} but layer_params "
                         f"{'has' if has_reverse else 'has no'} '_reverse' parameters")
    names = PARAM_NAMES + (PEEPHOLE_NAMES if config.peephole else ())
    suffixes = ("", "_reverse") if bidirectional else ("",)
    num_layers = sum(f"weight_ih_l{k}" in layer_params for k in range(len(layer_params)))
    if num_layers == 0:
        raise ValueError("layer_params has no 'weight_ih_l0'; expected a torch.nn.LSTM state_dict")
    if batch_first:
        X = X.swapaxes(0, 1)  # (T, B, D)
    T, B, _ = X.shape
    H = np.shape(layer_params["weight_hh_l0"])[-1]
    dtype = np.result_type(X, layer_params["weight_hh_l0"])
    n_states = num_layers * len(suffixes)
    h0 = np.zeros((n_states, B, H), dtype) if h0 is None else h0
    c0 = np.zeros((n_states, B, H), dtype) if c0 is None else c0
    for name, state in (("h0", h0), ("c0", c0)):
        if np.shape(state) != (n_states, B, H):
            raise ValueError(f"{name} must have shape (num_layers * num_directions, B, H) = "
                             f"{(n_states, B, H)}, got {np.shape(state)}")
    h_n, c_n = [], []
    layer_input = X
    for k in range(num_layers):
        outputs = []
        for d, suffix in enumerate(suffixes):
            keys = {n: f"{n}_l{k}{suffix}" for n in names}
            missing = [key for key in keys.values() if key not in layer_params]
            if missing:
                raise ValueError(f"layer_params is missing {missing}")
            params = {n: layer_params[key] for n, key in keys.items()}
            s = k * len(suffixes) + d
            # the reverse direction reads x_T .. x_1 and its outputs are flipped back to t order
            X_d = layer_input[::-1] if suffix else layer_input
            H_d, (h_T, c_T), _ = lstm_forward(X_d, h0[s], c0[s], params, config)
            outputs.append(H_d[::-1] if suffix else H_d)
            h_n.append(h_T)
            c_n.append(c_T)
        # the next layer sees both directions side by side
        layer_input = np.concatenate(outputs, axis=2)  # (T, B, num_directions * H)
    output = layer_input.swapaxes(0, 1) if batch_first else layer_input
    return output, (np.stack(h_n), np.stack(c_n))
