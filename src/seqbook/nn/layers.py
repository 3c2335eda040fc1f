"""Stacked, bidirectional, batch-first recurrent layers around any one-layer recurrence.

``torch.nn.RNN``, ``torch.nn.GRU`` and ``torch.nn.LSTM`` build the same structure around
their cells (Graves, Mohamed & Hinton 2013 for deep bidirectional RNNs; Schuster & Paliwal
1997 for bidirectional ones):

    layer k, forward direction:   h^k_t = cell(x^k_t, h^k_{t-1})        t = 1 .. T
    layer k, reverse direction:   h̄^k_t = cell(x^k_t, h̄^k_{t+1})        t = T .. 1
    next layer's input:           x^{k+1}_t = [h^k_t ; h̄^k_t]           (concatenated)
    output:                       [h^L_t ; h̄^L_t] for every t; h_n holds each layer's and
                                  direction's final state (h^k_T and h̄^k_1)

``stacked_forward`` writes this once; the recurrence of one layer and one direction is a
``cell_forward`` argument: ``seqbook.nn.rnn.rnn_forward``, ``seqbook.nn.gru.gru_forward`` or
``seqbook.nn.lstm.lstm_forward`` (options such as ``config`` bound with
``functools.partial``). ``stacked_backward`` mirrors it with the matching ``*_backward``.

Parameters come straight from the torch module's ``state_dict``: ``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` and, for the reverse direction, the
same with ``_reverse`` (``weight_ih_l1_reverse``). Initial and final states are indexed like
PyTorch's: layer k, direction d at ``k * num_directions + d``.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def _suffixes(bidirectional: bool) -> tuple[str, ...]:
    return ("", "_reverse") if bidirectional else ("",)


def split_state_dict(state_dict: Mapping, num_layers: int,
                     bidirectional: bool = False) -> list[list[dict[str, np.ndarray]]]:
    """A torch ``nn.RNN/GRU/LSTM`` ``state_dict`` -> ``params[k][d]``, one dict per layer k and
    direction d, with the layer suffix dropped: ``weight_ih_l1_reverse`` -> ``params[1][1]
    ["weight_ih"]``. Values become numpy arrays (pass CPU tensors without grad, or arrays).
    Every parameter of a layer/direction is kept, so extra ones (e.g. LSTM peepholes
    ``weight_ci_l0``) pass through to ``cell_forward``.
    """
    _check_num_layers(num_layers)
    suffixes = _suffixes(bidirectional)
    has_reverse = any(str(name).endswith("_reverse") for name in state_dict)
    if has_reverse != bool(bidirectional):
        raise ValueError(f"bidirectional={bidirectional} but params_per_layer "
                         f"{'has' if has_reverse else 'has no'} '_reverse' parameters")
    if f"weight_ih_l{num_layers}" in state_dict:
        raise ValueError(f"num_layers={num_layers} but params_per_layer has "
                         f"'weight_ih_l{num_layers}' (more layers)")
    layers = []
    for k in range(num_layers):
        directions = []
        for suffix in suffixes:
            tag = f"_l{k}{suffix}"
            params = {name[:-len(tag)]: np.asarray(value) for name, value in state_dict.items()
                      if name.endswith(tag)}
            if "weight_ih" not in params or "weight_hh" not in params:
                raise ValueError(f"params_per_layer is missing 'weight_ih{tag}' or "
                                 f"'weight_hh{tag}' (num_layers={num_layers})")
            directions.append(params)
        layers.append(directions)
    return layers


def _check_num_layers(num_layers) -> None:
    if not isinstance(num_layers, (int, np.integer)) or isinstance(num_layers, bool) \
            or num_layers < 1:
        raise ValueError(f"num_layers must be an int >= 1, got {num_layers!r}")


def _layer_params(params_per_layer, num_layers: int, bidirectional: bool):
    """Either form of ``params_per_layer`` -> ``params[k][d]`` (see ``stacked_forward``)."""
    if isinstance(params_per_layer, Mapping):
        return split_state_dict(params_per_layer, num_layers, bidirectional)
    _check_num_layers(num_layers)
    layers = list(params_per_layer)
    if len(layers) != num_layers:
        raise ValueError(f"params_per_layer must have num_layers = {num_layers} entries, "
                         f"got {len(layers)}")
    n_dirs = len(_suffixes(bidirectional))
    out = []
    for k, entry in enumerate(layers):
        directions = [entry] if isinstance(entry, Mapping) else list(entry)
        if len(directions) != n_dirs or not all(isinstance(p, Mapping) for p in directions):
            what = "a pair of dicts (forward, reverse)" if bidirectional else "a dict"
            raise ValueError(f"params_per_layer[{k}] must be {what} "
                             f"(bidirectional={bidirectional})")
        out.append([dict(p) for p in directions])
    return out


def _initial_states(h0, n_states: int, B: int, H: int, n_state_arrays: int, dtype):
    """h0 (array, tuple of arrays/None, or None) -> a tuple of ``n_state_arrays`` arrays, each
    (num_layers * num_directions, B, H)."""
    states = h0 if isinstance(h0, tuple) else (h0,) * (1 if h0 is not None else n_state_arrays)
    if len(states) != n_state_arrays:
        raise ValueError(f"h0 must be {'a tuple (h0, c0)' if n_state_arrays == 2 else 'one array'} "
                         f"for this cell, got {len(states)} state(s)")
    names = ("h0", "c0") if n_state_arrays == 2 else ("h0",)
    out = []
    for name, state in zip(names, states):
        state = np.zeros((n_states, B, H), dtype) if state is None else np.asarray(state)
        if state.shape != (n_states, B, H):
            raise ValueError(f"{name} must have shape (num_layers * num_directions, B, H) = "
                             f"{(n_states, B, H)}, got {state.shape}")
        out.append(state)
    return tuple(out)


def stacked_forward(cell_forward, X: np.ndarray, h0, params_per_layer, num_layers: int,
                    bidirectional: bool = False, batch_first: bool = False):
    """The forward pass of ``torch.nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` with ``num_layers``,
    ``bidirectional`` and ``batch_first``, for the recurrence ``cell_forward``.

    Args:
        cell_forward: one layer in one direction, called ``cell_forward(X, *state0, params)``
            with ``X (T, B, D)``, ``state0`` the initial state(s) (B, H) and ``params`` that
            layer's dict; it returns ``(H, cache)`` with ``H (T, B, H)`` (final state ``H[-1]``,
            as ``rnn_forward`` and ``gru_forward``) or ``(H, (h_T, c_T), cache)`` (as
            ``lstm_forward``). Bind options with ``functools.partial(gru_forward,
            config=GRUConfig("cho"))``.
        X: inputs (T, B, D), or (B, T, D) with ``batch_first``.
        h0: initial states, (num_layers * num_directions, B, H); for the LSTM (recognised
            by ``weight_hh (4H, H)``) a tuple ``(h0, c0)`` of two such arrays. None (or None
            inside the tuple) means zeros.
        params_per_layer: a torch ``state_dict`` as numpy arrays (``weight_ih_l0``, ...,
            ``weight_hh_l2_reverse``), or a list of ``num_layers`` entries, each the layer's
            params dict or, when bidirectional, a pair ``(forward_params, reverse_params)``.
        num_layers, bidirectional, batch_first: as in ``torch.nn.LSTM``.

    Returns:
        output: the last layer's states for every step, (T, B, num_directions * H), or
            (B, T, ...) with ``batch_first``; the forward direction first.
        h_n: final states (num_layers * num_directions, B, H); ``(h_n, c_n)`` for the LSTM.
        cache: what ``stacked_backward`` needs.
    """
    if np.ndim(X) != 3:
        raise ValueError(f"X must have shape {'(B, T, D)' if batch_first else '(T, B, D)'}, "
                         f"got {np.shape(X)}")
    layers = _layer_params(params_per_layer, num_layers, bidirectional)
    suffixes = _suffixes(bidirectional)
    n_dirs = len(suffixes)
    X = np.asarray(X)
    if batch_first:
        X = X.swapaxes(0, 1)  # (B, T, D) -> (T, B, D)
    T, B, _ = X.shape
    W_hh = np.asarray(layers[0][0]["weight_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] % W_hh.shape[1]:
        raise ValueError(f"params 'weight_hh_l0' must have shape (G*H, H), got {W_hh.shape}")
    H = W_hh.shape[1]
    gates = W_hh.shape[0] // H  # 1 RNN, 3 GRU, 4 LSTM
    # the LSTM (weight_hh (4H, H)) carries two states (h, c); RNN and GRU one
    n_state_arrays = 2 if gates == 4 else 1
    states0 = _initial_states(h0, num_layers * n_dirs, B, H, n_state_arrays,
                              np.result_type(X, W_hh))
    finals = [[] for _ in states0]  # finals[j][s]: state j of layer/direction s at its end
    caches = []
    layer_input = X  # (T, B, D) for layer 0, (T, B, num_directions * H) above
    for k in range(num_layers):
        outputs, layer_caches = [], []
        for d, suffix in enumerate(suffixes):
            s = k * n_dirs + d
            # the reverse direction reads x_T .. x_1; its outputs are flipped back to t order
            X_d = layer_input[::-1] if suffix else layer_input
            result = cell_forward(X_d, *(state[s] for state in states0), layers[k][d])
            if len(result) == 3:
                H_d, final, cache = result  # (T, B, H), (h_T, c_T), cache
            else:
                (H_d, cache), final = result, (result[0][-1],)  # h_T = H[-1]
            outputs.append(H_d[::-1] if suffix else H_d)
            for j, state in enumerate(final):
                finals[j].append(state)
            layer_caches.append(cache)
        caches.append(layer_caches)
        # the next layer sees both directions side by side
        layer_input = np.concatenate(outputs, axis=2)  # (T, B, num_directions * H)
    output = layer_input.swapaxes(0, 1) if batch_first else layer_input
    h_n = tuple(np.stack(f) for f in finals)  # each (num_layers * num_directions, B, H)
    cache = {"caches": caches, "num_layers": num_layers, "bidirectional": bidirectional,
             "batch_first": batch_first, "n_state_arrays": len(h_n), "H": H,
             "X_shape": X.shape}
    return output, (h_n if len(h_n) > 1 else h_n[0]), cache


def stacked_backward(cell_backward, d_output: np.ndarray, dh_n, cache: dict):
    """Backward pass of ``stacked_forward`` for ``L = sum(output * d_output) + sum(h_n * dh_n)``
    (+ ``sum(c_n * dc_n)`` for the LSTM): the layers from the top down, each direction by
    its own BPTT, mirroring the forward pass.

    Args:
        cell_backward: the backward of ``cell_forward``: ``rnn_backward``, ``gru_backward``
            (called ``cell_backward(dH, cache)``; the error at h_T is added to dH[-1]) or
            ``lstm_backward`` (called ``cell_backward(dH, cache, dh_T, dc_T)``). Each returns a
            dict with ``X``, ``h0`` (``c0``) and the parameter gradients.
        d_output: gradient with respect to ``output``, same shape.
        dh_n: gradient with respect to ``h_n`` (``(dh_n, dc_n)`` for the LSTM), or None.
        cache: from ``stacked_forward``.

    Returns:
        dict: ``X`` (shape of the input X), ``h0`` (and ``c0``), each (num_layers *
        num_directions, B, H), and every parameter gradient under its ``state_dict`` name
        (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...).
    """
    num_layers, H = cache["num_layers"], cache["H"]
    suffixes = _suffixes(cache["bidirectional"])
    n_dirs, n_state_arrays = len(suffixes), cache["n_state_arrays"]
    B = cache["X_shape"][1]
    d_output = _output_error(d_output, cache, n_dirs)
    dh_n = _final_state_errors(dh_n, n_state_arrays, (num_layers * n_dirs, B, H), d_output.dtype)
    grads = {}
    d_states0 = [np.empty_like(d) for d in dh_n]
    d_layer_output = d_output  # error at the current layer's output (T, B, dirs * H)
    for k in reversed(range(num_layers)):
        d_input = None
        for d, suffix in enumerate(suffixes):
            s = k * n_dirs + d
            # this direction's slice of the concatenated output
            dH = d_layer_output[:, :, d * H:(d + 1) * H]  # (T, B, H)
            dX, step = _direction_backward(cell_backward, dH, cache["caches"][k][d],
                                           [d_n[s] for d_n in dh_n], reverse=bool(suffix))
            # layer k's input fed both directions: their errors add
            d_input = dX if d_input is None else d_input + dX
            for j, name in enumerate(("h0", "c0")[:n_state_arrays]):
                d_states0[j][s] = step[name]
            for name, value in step.items():
                if name not in ("X", "h0", "c0"):
                    grads[f"{name}_l{k}{suffix}"] = value
        d_layer_output = d_input  # (T, B, D_k): the error at the layer below's output
    dX = d_layer_output.swapaxes(0, 1) if cache["batch_first"] else d_layer_output
    grads["X"] = dX
    grads["h0"] = d_states0[0]
    if n_state_arrays == 2:
        grads["c0"] = d_states0[1]
    return grads


def _direction_backward(cell_backward, dH: np.ndarray, cell_cache, final_errors: list, reverse: bool):
    """BPTT of one layer in one direction, given the error ``dH (T, B, H)`` at its outputs in
    t order and the errors at its final state(s); returns the error at its input and the
    cell's gradients."""
    dH = dH[::-1].copy() if reverse else dH.copy()  # the direction's own time order
    if len(final_errors) == 2:
        step = cell_backward(dH, cell_cache, *final_errors)  # LSTM: dh_T, dc_T
    else:
        dH[-1] += final_errors[0]  # h_T = H[-1]: its error joins the error at the last step
        step = cell_backward(dH, cell_cache)
    # back through the flip of the reverse direction's input
    dX = step["X"][::-1] if reverse else step["X"]
    return dX, step


def _output_error(d_output, cache: dict, n_dirs: int) -> np.ndarray:
    """``d_output`` checked against the forward output's shape, in (T, B, dirs * H) order."""
    T, B, _ = cache["X_shape"]
    H = cache["H"]
    d_output = np.asarray(d_output)
    given_shape = d_output.shape
    if d_output.ndim != 3:
        raise ValueError(f"d_output must have the shape of output (3 dimensions), "
                         f"got {given_shape}")
    if cache["batch_first"]:
        d_output = d_output.swapaxes(0, 1)  # (T, B, num_directions * H)
    if d_output.shape != (T, B, n_dirs * H):
        expected = (B, T, n_dirs * H) if cache["batch_first"] else (T, B, n_dirs * H)
        raise ValueError(f"d_output must have the shape of output {expected}, "
                         f"got {given_shape}")
    return d_output


def _final_state_errors(dh_n, n_state_arrays: int, shape: tuple, dtype) -> tuple:
    """``dh_n`` (or ``(dh_n, dc_n)``) as a tuple of arrays of ``shape``; None means zeros."""
    if dh_n is None:
        dh_n = (None,) * n_state_arrays
    elif not isinstance(dh_n, tuple):
        dh_n = (dh_n,)
    if len(dh_n) != n_state_arrays:
        what = "a tuple (dh_n, dc_n)" if n_state_arrays == 2 else "one array"
        raise ValueError(f"dh_n must be {what} for this cell")
    dh_n = tuple(np.zeros(shape, dtype) if d is None else np.asarray(d) for d in dh_n)
    for name, d in zip(("dh_n", "dc_n"), dh_n):
        if d.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {d.shape}")
    return dh_n


# --- parameter counts, as PyTorch counts them (sum(p.numel() for p in module.parameters())) ---

def _check_sizes(input_size: int, hidden_size: int, num_layers: int, proj_size: int) -> None:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if int(proj_size) != proj_size or not 0 <= proj_size < hidden_size:
        raise ValueError(f"proj_size must be an integer in [0, hidden_size) = "
                         f"[0, {hidden_size}), got {proj_size!r}")


def recurrent_param_count(gates: int, input_size: int, hidden_size: int, num_layers: int = 1,
                          bidirectional: bool = False, bias: bool = True, proj_size: int = 0) -> int:
    """Parameters of a stacked recurrent layer with ``gates`` weight blocks per direction:
    1 for ``nn.RNN`` (``rnn.rnn_param_count``), 3 for ``nn.GRU`` (``gru.gru_param_count``),
    4 for ``nn.LSTM`` (``lstm.lstm_param_count``).

    With D = input_size, H = hidden_size, L = num_layers, K = 2 if bidirectional else 1 and
    β = 2 with biases (0 without), each direction of layer k has ``gates`` blocks:

        gates · H (D_k + H + β),  D_0 = D,  D_k = K H for k > 0,

    so the total is K · gates · H [(D + H + β) + (L - 1)(K H + H + β)].
    """
    _check_sizes(input_size, hidden_size, num_layers, proj_size)
    num_directions = 2 if bidirectional else 1
    # what each layer's output (and recurrent input) has per direction: P with projection
    out = proj_size or hidden_size
    total = 0
    for k in range(num_layers):
        # layer 0 reads x_t; layer k > 0 reads both directions of layer k-1
        layer_input = input_size if k == 0 else num_directions * out
        per_direction = gates * hidden_size * (layer_input + out)  # weight_ih, weight_hh
        per_direction += 2 * gates * hidden_size if bias else 0  # bias_ih, bias_hh
        per_direction += proj_size * hidden_size  # weight_hr (LSTM with proj_size > 0)
        total += num_directions * per_direction
    return total
