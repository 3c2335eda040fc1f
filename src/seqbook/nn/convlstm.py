"""Convolutional LSTM (ConvLSTM) in numpy: an LSTM whose states are feature maps.

Follows Shi et al. (2015), "Convolutional LSTM Network: A Machine Learning Approach for
Precipitation Nowcasting". The matrix products of the LSTM become convolutions (∗), so each
position of the map is an LSTM that sees its local neighbourhood of the input and of the
previous hidden state; for every step t,

    i_t = σ(W_xi ∗ x_t + W_hi ∗ h_{t-1} + w_ci ⊙ c_{t-1} + b_i)      input gate
    f_t = σ(W_xf ∗ x_t + W_hf ∗ h_{t-1} + w_cf ⊙ c_{t-1} + b_f)      forget gate
    g_t = tanh(W_xg ∗ x_t + W_hg ∗ h_{t-1} + b_g)                    cell input
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(W_xo ∗ x_t + W_ho ∗ h_{t-1} + w_co ⊙ c_t + b_o)          output gate
    h_t = o_t ⊙ tanh(c_t)

The peephole terms (w_c· ⊙ c, Hadamard products with weights of the map's size, as in the
paper) are optional. Inputs are (B, C, n_rows, n_cols) maps, the states (B, H, n_rows, n_cols)
with H hidden channels. Parameters follow the ``torch.nn.LSTM`` naming with the gates stacked
i, f, g, o and ``torch.nn.Conv2d`` weight layouts: ``weight_ih (4H, C, k, k)`` and
``bias_ih (4H,)`` are a ``Conv2d(C, 4H, k, padding=k // 2)``, ``weight_hh (4H, H, k, k)`` and
``bias_hh (4H,)`` a ``Conv2d(H, 4H, k, padding=k // 2)``; with peepholes also
``weight_ci, weight_cf, weight_co (H, n_rows, n_cols)``. Kernel sizes are odd, so that 'same'
zero padding keeps the map's size (they may differ between rows and columns and between the
input and the recurrent convolution).

The convolution is written with sliding windows and ``einsum``. The backward pass is BPTT
as in ``seqbook.nn.lstm``: ``convlstm_cell_backward`` mirrors ``convlstm_cell_forward`` line
by line, and a convolution backpropagates into its input as the 'same' convolution with the
kernels flipped and the channel axes swapped, into its kernels as a correlation of the input
windows with the error maps.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqbook.nn.functional import sigmoid

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
PEEPHOLE_NAMES = ("weight_ci", "weight_cf", "weight_co")


def conv2d_same(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """2D cross-correlation with zero 'same' padding and stride 1, as ``torch.nn.Conv2d(C, O,
    (kh, kw), padding=(kh // 2, kw // 2))``.

    Args:
        x: input maps, shape (B, C, n_rows, n_cols).
        weight: kernels, shape (O, C, kh, kw), kh and kw odd.
        bias: optional, shape (O,).

    Returns:
        output maps, shape (B, O, n_rows, n_cols).
    """
    if np.ndim(x) != 4:
        raise ValueError(f"x must have shape (B, C, n_rows, n_cols), got {np.shape(x)}")
    if np.ndim(weight) != 4 or weight.shape[1] != x.shape[1]:
        raise ValueError(f"weight must have shape (O, C, kh, kw) with C = {x.shape[1]}, "
                         f"got {np.shape(weight)}")
    O, C, kh, kw = weight.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"kernel sizes must be odd for 'same' padding, got {(kh, kw)}")
    # zero padding of k // 2 on each side keeps n_rows and n_cols
    x_pad = np.pad(x, ((0, 0), (0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    # every kh × kw window, one per output position (a view, no copy)
    windows = sliding_window_view(x_pad, (kh, kw), axis=(2, 3))  # (B, C, n_rows, n_cols, kh, kw)
    # out[b, o, r, s] = Σ_{c, u, v} weight[o, c, u, v] · x_pad[b, c, r + u, s + v]
    out = np.einsum("bcrsuv,ocuv->bors", windows, weight, optimize=True)  # (B, O, n_rows, n_cols)
    if bias is not None:
        out = out + bias[:, None, None]
    return out


def conv2d_same_backward(dout: np.ndarray, x: np.ndarray, weight: np.ndarray):
    """Gradients of ``L`` through ``out = conv2d_same(x, weight, bias)`` given dL/dout.

    Args:
        dout: gradient with respect to the output, shape (B, O, n_rows, n_cols).
        x: the input of the forward call, shape (B, C, n_rows, n_cols).
        weight: its kernels, shape (O, C, kh, kw).

    Returns:
        dx (B, C, n_rows, n_cols), dweight (O, C, kh, kw), dbias (O,).
    """
    O, C, kh, kw = weight.shape
    # into x: out[b, o, r, s] = Σ weight[o, c, u, v] · x_pad[b, c, r + u, s + v] spreads x over
    # every window containing it, i.e. the 'same' convolution of dout with the kernels
    # flipped in space and the channel axes swapped
    dx = conv2d_same(dout, weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (B, C, rows, cols)
    # into the kernels: dweight[o, c, u, v] = Σ_{b, r, s} dout[b, o, r, s] · x_pad[b, c, r+u, s+v]
    x_pad = np.pad(x, ((0, 0), (0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    windows = sliding_window_view(x_pad, (kh, kw), axis=(2, 3))  # (B, C, n_rows, n_cols, kh, kw)
    dweight = np.einsum("bcrsuv,bors->ocuv", windows, dout, optimize=True)  # (O, C, kh, kw)
    # into the bias: it is added at every position
    dbias = dout.sum(axis=(0, 2, 3))  # (O,)
    return dx, dweight, dbias


def init_convlstm_params(input_channels: int, hidden_channels: int, kernel_size: int,
                         rng: np.random.Generator, forget_bias: float = 1.0,
                         dtype=np.float64, *, peephole: bool = False,
                         map_size: tuple[int, int] | None = None) -> dict[str, np.ndarray]:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both convolutions (fan_in = channels · k², as
    ``torch.nn.Conv2d``), the forget gate's bias ``bias_ih[H:2H] + bias_hh[H:2H] = forget_bias``,
    and with ``peephole`` zero peephole weights of shape ``(H, *map_size)``.

    Returns ``weight_ih (4H, C, k, k)``, ``weight_hh (4H, H, k, k)``, ``bias_ih (4H,)``,
    ``bias_hh (4H,)`` (+ ``weight_ci, weight_cf, weight_co (H, n_rows, n_cols)``).
    """
    C, H, k = input_channels, hidden_channels, kernel_size
    if k % 2 == 0:
        raise ValueError(f"kernel_size must be odd for 'same' padding, got {k}")
    if peephole and map_size is None:
        raise ValueError("peephole=True needs map_size = (n_rows, n_cols)")
    params = {}
    for suffix, fan_in_channels in (("ih", C), ("hh", H)):
        bound = 1.0 / np.sqrt(fan_in_channels * k * k)
        params[f"weight_{suffix}"] = rng.uniform(-bound, bound,
                                                 (4 * H, fan_in_channels, k, k)).astype(dtype)
        params[f"bias_{suffix}"] = rng.uniform(-bound, bound, 4 * H).astype(dtype)
    # b_f = bias_ih[H:2H] + bias_hh[H:2H] = forget_bias
    params["bias_ih"][H:2 * H] = forget_bias
    params["bias_hh"][H:2 * H] = 0
    if peephole:
        params.update({name: np.zeros((H, *map_size), dtype) for name in PEEPHOLE_NAMES})
    return params


def check_convlstm_inputs(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray,
                          params: dict[str, np.ndarray], peephole: bool) -> None:
    """Raise ValueError naming the argument whose shape does not fit one step ``x (B, C, n_rows,
    n_cols)`` with states ``h_prev, c_prev (B, H, n_rows, n_cols)``."""
    required = PARAM_NAMES + (PEEPHOLE_NAMES if peephole else ())
    missing = [name for name in required if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(required)}")
    extra = [name for name in PEEPHOLE_NAMES if name in params and not peephole]
    if extra:
        raise ValueError(f"params has peephole weights {extra} but peephole is False")
    if np.ndim(x) != 4:
        raise ValueError(f"x must have shape (B, C, n_rows, n_cols), got {np.shape(x)}")
    B, C, n_rows, n_cols = x.shape
    H = np.shape(params["weight_hh"])[0] // 4
    # the convolutions: (out, in) channels and 4-d (conv2d_same checks the kernel sizes)
    for name, in_channels, layout in (("weight_ih", C, "(4H, C, kh, kw)"),
                                      ("weight_hh", H, "(4H, H, kh, kw)")):
        shape = np.shape(params[name])
        if len(shape) != 4 or shape[:2] != (4 * H, in_channels):
            raise ValueError(f"params['{name}'] must have shape {layout} with H = {H}, "
                             f"C = {C}, got {shape}")
    expected = {"bias_ih": (4 * H,), "bias_hh": (4 * H,),
                **{name: (H, n_rows, n_cols) for name in PEEPHOLE_NAMES}}
    for name in required[2:]:
        if np.shape(params[name]) != expected[name]:
            raise ValueError(f"params['{name}'] must have shape {expected[name]}, "
                             f"got {np.shape(params[name])}")
    for name, state in (("h_prev", h_prev), ("c_prev", c_prev)):
        if np.shape(state) != (B, H, n_rows, n_cols):
            raise ValueError(f"{name} must have shape (B, H, n_rows, n_cols) = "
                             f"{(B, H, n_rows, n_cols)}, got {np.shape(state)}")


def convlstm_cell_forward(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray,
                          params: dict[str, np.ndarray], peephole: bool = False):
    """One ConvLSTM step (Shi et al. 2015, equations (3)).

    Args:
        x: input maps, shape (B, C, n_rows, n_cols).
        h_prev, c_prev: previous hidden and cell maps, each (B, H, n_rows, n_cols).
        params: ``weight_ih (4H, C, kh, kw)``, ``weight_hh (4H, H, kh, kw)``, ``bias_ih (4H,)``,
            ``bias_hh (4H,)`` (+ ``weight_ci, weight_cf, weight_co (H, n_rows, n_cols)``).
        peephole: add the Hadamard peephole terms w_c· ⊙ c.

    Returns:
        h, c: new hidden and cell maps, each (B, H, n_rows, n_cols).
        cache: what ``convlstm_cell_backward`` needs (inputs, gates, states of this step).
    """
    check_convlstm_inputs(x, h_prev, c_prev, params, peephole)
    # pre-activations of the four gates: W_x ∗ x_t + b_ih + W_h ∗ h_{t-1} + b_hh
    A = conv2d_same(x, params["weight_ih"], params["bias_ih"]) \
        + conv2d_same(h_prev, params["weight_hh"], params["bias_hh"])  # (B, 4H, n_rows, n_cols)
    a_i, a_f, a_g, a_o = np.split(A, 4, axis=1)  # 4 × (B, H, n_rows, n_cols), order i, f, g, o
    if peephole:
        # peepholes: the input and forget gates look at c_{t-1}
        a_i = a_i + params["weight_ci"] * c_prev
        a_f = a_f + params["weight_cf"] * c_prev
    # i_t = σ(a_i), f_t = σ(a_f), g_t = tanh(a_g)
    i, f, g = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g)
    # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    c = f * c_prev + i * g
    if peephole:
        # peephole: the output gate looks at c_t
        a_o = a_o + params["weight_co"] * c
    # o_t = σ(a_o)
    o = sigmoid(a_o)
    # h_t = o_t ⊙ tanh(c_t)
    y = np.tanh(c)
    h = o * y
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "params": params,
             "peephole": peephole, "i": i, "f": f, "g": g, "o": o, "c": c, "y": y}
    return h, c, cache


def convlstm_cell_backward(dh: np.ndarray, dc: np.ndarray, cache: dict):
    """Backpropagate one step, given dL/dh_t and the dL/dc_t arriving from step t+1.

    Args:
        dh, dc: gradients with respect to h_t and c_t, each (B, H, n_rows, n_cols).
        cache: from ``convlstm_cell_forward``.

    Returns:
        dict with the gradients ``x, h_prev, c_prev`` and of every parameter.
    """
    x, h_prev, c_prev, params = cache["x"], cache["h_prev"], cache["c_prev"], cache["params"]
    i, f, g, o, c, y = (cache[k] for k in ("i", "f", "g", "o", "c", "y"))
    grads = {}
    # through h_t = o_t ⊙ tanh(c_t)
    do = dh * y
    dc = dc + dh * o * (1 - y ** 2)
    # through o_t = σ(a_o)
    da_o = do * o * (1 - o)
    if cache["peephole"]:
        # through the output gate's peephole: a_o += w_co ⊙ c_t
        dc = dc + da_o * params["weight_co"]
        grads["weight_co"] = (da_o * c).sum(axis=0)  # (H, n_rows, n_cols)
    # through c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    df, dc_prev, di, dg = dc * c_prev, dc * f, dc * g, dc * i
    # through g_t = tanh(a_g), f_t = σ(a_f), i_t = σ(a_i)
    da_g = dg * (1 - g ** 2)
    da_f = df * f * (1 - f)
    da_i = di * i * (1 - i)
    if cache["peephole"]:
        # through the peepholes a_i += w_ci ⊙ c_{t-1} and a_f += w_cf ⊙ c_{t-1}
        dc_prev = dc_prev + da_i * params["weight_ci"] + da_f * params["weight_cf"]
        grads["weight_ci"] = (da_i * c_prev).sum(axis=0)
        grads["weight_cf"] = (da_f * c_prev).sum(axis=0)
    dA = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (B, 4H, n_rows, n_cols)
    # through A = W_x ∗ x_t + b_ih + W_h ∗ h_{t-1} + b_hh: into x_t, h_{t-1} and the kernels
    dx, grads["weight_ih"], grads["bias_ih"] = conv2d_same_backward(dA, x, params["weight_ih"])
    dh_prev, grads["weight_hh"], grads["bias_hh"] = conv2d_same_backward(
        dA, h_prev, params["weight_hh"])
    grads.update({"x": dx, "h_prev": dh_prev, "c_prev": dc_prev})
    return grads


def convlstm_forward(X: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None,
                     params: dict[str, np.ndarray], peephole: bool = False):
    """Run the ConvLSTM over a sequence of maps (e.g. video frames).

    Args:
        X: inputs, shape (T, B, C, n_rows, n_cols).
        h0, c0: initial hidden and cell maps, each (B, H, n_rows, n_cols); None means zeros.
        params: as in ``convlstm_cell_forward``.
        peephole: add the Hadamard peephole terms.

    Returns:
        H: hidden maps h_1..h_T, shape (T, B, H, n_rows, n_cols).
        (h_T, c_T): the final hidden and cell maps, each (B, H, n_rows, n_cols).
        cache: what ``convlstm_backward`` needs (the per-step caches, keyed by t).
    """
    if np.ndim(X) != 5:
        raise ValueError(f"X must have shape (T, B, C, n_rows, n_cols), got {np.shape(X)}")
    T, B, _, n_rows, n_cols = X.shape
    n_hidden = np.shape(params["weight_hh"])[0] // 4
    dtype = np.result_type(X, params["weight_hh"])
    zeros = np.zeros((B, n_hidden, n_rows, n_cols), dtype)
    h = zeros if h0 is None else h0
    c = zeros if c0 is None else c0
    H = np.empty((T, B, n_hidden, n_rows, n_cols), dtype)
    steps = []
    for t in range(T):
        h, c, step = convlstm_cell_forward(X[t], h, c, params, peephole)
        H[t] = h
        steps.append(step)
    cache = {"X": X, "params": params, "peephole": peephole, "H": H, "steps": steps}
    return H, (h, c), cache


def convlstm_backward(dH: np.ndarray, cache: dict, dh_T: np.ndarray | None = None,
                      dc_T: np.ndarray | None = None):
    """BPTT for ``L = sum(H * dH) + sum(h_T * dh_T) + sum(c_T * dc_T)``.

    Args:
        dH: gradient with respect to every hidden map, shape (T, B, H, n_rows, n_cols).
        cache: from ``convlstm_forward``.
        dh_T, dc_T: optional gradients with respect to the final maps, (B, H, n_rows, n_cols).

    Returns:
        dict with the gradients ``X, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh``
        (+ ``weight_ci, weight_cf, weight_co`` with peepholes).
    """
    H, steps, params = cache["H"], cache["steps"], cache["params"]
    if np.shape(dH) != H.shape:
        raise ValueError(f"dH must have the shape of H {H.shape}, got {np.shape(dH)}")
    state_shape = H.shape[1:]
    for name, d in (("dh_T", dh_T), ("dc_T", dc_T)):
        if d is not None and np.shape(d) != state_shape:
            raise ValueError(f"{name} must have shape (B, H, n_rows, n_cols) = {state_shape}, "
                             f"got {np.shape(d)}")
    names = PARAM_NAMES + (PEEPHOLE_NAMES if cache["peephole"] else ())
    grads = {name: np.zeros_like(params[name], dtype=H.dtype) for name in names}
    dX = np.empty(cache["X"].shape, dtype=H.dtype)
    # errors arriving at h_t and c_t from step t+1 (from the loss on the final maps at t = T)
    dh_next = np.zeros(state_shape, H.dtype) if dh_T is None else dh_T
    dc_next = np.zeros(state_shape, H.dtype) if dc_T is None else dc_T
    for t in reversed(range(len(steps))):
        step = convlstm_cell_backward(dH[t] + dh_next, dc_next, steps[t])
        dX[t], dh_next, dc_next = step["x"], step["h_prev"], step["c_prev"]
        # shared kernels: the gradient is the sum over all time steps
        for name in names:
            grads[name] += step[name]
    return {"X": dX, "h0": dh_next, "c0": dc_next, **grads}
