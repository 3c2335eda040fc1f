"""Vanilla (Elman) recurrent network in numpy: forward pass and backpropagation through time.

Follows ``torch.nn.RNN`` with ``nonlinearity="tanh"``: for every step t,

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Parameters use PyTorch's ``state_dict`` names (``weight_ih (H, D)``, ``weight_hh (H, H)``,
``bias_ih (H,)``, ``bias_hh (H,)``) so a trained ``nn.RNN`` can be copied in directly.
The backward pass is BPTT as in Werbos (1990): the unrolled graph is walked from the last
step to the first, and the gradient of each shared weight is the sum over time steps.

The other ways of computing (or approximating) the gradient of ``L = sum(H * dH)`` all take
``(X, h0, params, dH)`` and return the gradients ``h0, weight_ih, weight_hh, bias_ih, bias_hh``:

- ``bptt_gradients``: ``rnn_forward`` + ``rnn_backward``, O(T·H²) time, O(T·H) memory;
- ``truncated_bptt_gradients``: Williams & Peng's BPTT(h), every step's error travels back
  at most ``tau`` steps;
- ``chunked_bptt_gradients``: the practical form, BPTT inside chunks of ``tau`` steps, the
  state carried over but detached between chunks;
- ``rtrl_gradients``: real-time recurrent learning (Williams & Zipser 1989), forward-mode
  sensitivities, O(H⁴) time per step and O(H³) memory, independent of T;
- ``hybrid_gradients``: Schmidhuber's (1992) blocks of BPTT joined by RTRL sensitivities,
  the exact gradient with O(H⁴) work once per block.

``H`` is the hidden size and ``D`` the input size; every cost is also linear in the batch B.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from seqbook.nn.layers import recurrent_param_count

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
# what every gradient function below returns: the initial state and every parameter
GRAD_NAMES = ("h0",) + PARAM_NAMES


def init_rnn_params(input_size: int, hidden_size: int, rng: np.random.Generator,
                    dtype=np.float64) -> dict[str, np.ndarray]:
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter, as ``torch.nn.RNN`` initialises."""
    k = 1.0 / np.sqrt(hidden_size)
    shapes = {"weight_ih": (hidden_size, input_size), "weight_hh": (hidden_size, hidden_size),
              "bias_ih": (hidden_size,), "bias_hh": (hidden_size,)}
    return {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}


def check_rnn_inputs(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray]) -> None:
    """Raise ValueError naming the argument whose shape does not fit the others."""
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    if np.ndim(X) != 3:
        raise ValueError(f"X must have shape (T, B, D), got {np.shape(X)}")
    T, B, D = X.shape
    H = params["weight_hh"].shape[0]
    expected = {"weight_ih": (H, D), "weight_hh": (H, H), "bias_ih": (H,), "bias_hh": (H,)}
    for name, shape in expected.items():
        if params[name].shape != shape:
            raise ValueError(f"params['{name}'] must have shape {shape}, got {params[name].shape}")
    if np.shape(h0) != (B, H):
        raise ValueError(f"h0 must have shape (B, H) = {(B, H)}, got {np.shape(h0)}")


def rnn_forward(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray]):
    """Run the RNN over a sequence.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.

    Returns:
        H: hidden states h_1..h_T, shape (T, B, H).
        cache: what ``rnn_backward`` needs (inputs, parameters, all hidden states).
    """
    check_rnn_inputs(X, h0, params)
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    b = params["bias_ih"] + params["bias_hh"]
    T, B, _ = X.shape
    H = np.empty((T, B, W_hh.shape[0]), dtype=np.result_type(X, h0, W_hh))
    h = h0
    # The input projection does not depend on the recurrence: one matmul for all steps.
    XW = X @ W_ih.T + b  # (T, B, H)
    for t in range(T):
        # h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
        h = np.tanh(XW[t] + h @ W_hh.T)  # (B, H)
        H[t] = h
    cache = {"X": X, "h0": h0, "params": params, "H": H}
    return H, cache


def rnn_backward(dH: np.ndarray, cache: dict):
    """Backpropagation through time for ``L = sum(H * dH)``.

    Args:
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).
        cache: from ``rnn_forward``.

    Returns:
        dict with the gradients ``X, h0, weight_ih, weight_hh, bias_ih, bias_hh``.
    """
    X, h0, params, H = cache["X"], cache["h0"], cache["params"], cache["H"]
    if dH.shape != H.shape:
        raise ValueError(f"dH must have the shape of H {H.shape}, got {dH.shape}")
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    T = X.shape[0]
    dA = np.empty_like(H)  # gradient at the pre-activation a_t of every step
    dh_next = np.zeros_like(h0, dtype=H.dtype)  # error arriving at h_t from step t+1
    for t in reversed(range(T)):
        # total error at h_t: its own loss term plus what flows back from h_{t+1}
        dh = dH[t] + dh_next
        # through tanh: dtanh(a)/da = 1 - tanh(a)^2
        dA[t] = dh * (1.0 - H[t] ** 2)  # (B, H)
        # into h_{t-1} through W_hh
        dh_next = dA[t] @ W_hh  # (B, H)
    H_prev = np.concatenate([h0[None], H[:-1]], axis=0)  # h_0..h_{T-1}, (T, B, H)
    # Shared weights: the gradient is the sum over all time steps of the per-step terms.
    return {
        "X": dA @ W_ih,  # (T, B, D)
        "h0": dh_next,
        "weight_ih": np.einsum("tbh,tbd->hd", dA, X),
        "weight_hh": np.einsum("tbh,tbk->hk", dA, H_prev),
        "bias_ih": dA.sum(axis=(0, 1)),
        "bias_hh": dA.sum(axis=(0, 1)),
    }


# ---------------------------------------------------------------------------------------
# Other ways to the same gradient: truncated BPTT, RTRL and Schmidhuber's hybrid.
# Each computes the gradient of L = sum(H * dH), like rnn_backward, from (X, h0, params, dH).
# Below, a_t = W_ih x_t + W_hh h_{t-1} + b is the pre-activation of step t, b = b_ih + b_hh,
# and θ stands for any of the parameters.
# ---------------------------------------------------------------------------------------


def _check_gradient_inputs(X, h0, params, dH, **lengths) -> None:
    """``check_rnn_inputs``, plus T >= 1, ``dH`` of shape (T, B, H) and every length >= 1."""
    check_rnn_inputs(X, h0, params)
    T, B, _ = X.shape
    if T == 0:
        raise ValueError(f"X must have at least one time step, got shape {X.shape}")
    n_hidden = params["weight_hh"].shape[0]
    if np.shape(dH) != (T, B, n_hidden):
        raise ValueError(f"dH must have shape (T, B, H) = {(T, B, n_hidden)}, got {np.shape(dH)}")
    for name, value in lengths.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1 (a number of time steps), "
                             f"got {value!r}")


def _zero_gradients(h0, params, dtype) -> dict[str, np.ndarray]:
    """Zero accumulators for the keys of ``GRAD_NAMES``."""
    grads = {name: np.zeros(params[name].shape, dtype) for name in PARAM_NAMES}
    grads["h0"] = np.zeros(h0.shape, dtype)
    return grads


def bptt_gradients(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                   dH: np.ndarray) -> dict[str, np.ndarray]:
    """Full BPTT (Werbos 1990): ``rnn_forward`` then ``rnn_backward``, in the form of the others.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).

    Returns:
        dict with the gradients ``X, h0, weight_ih, weight_hh, bias_ih, bias_hh``.

    Cost: O(T·B·H(H + D)) time, each step touches every weight once forwards and once
    backwards; O(T·B·(H + D)) memory, every state h_t is stored for the backward pass.
    """
    X, h0, dH = np.asarray(X), np.asarray(h0), np.asarray(dH)
    _check_gradient_inputs(X, h0, params, dH)
    _, cache = rnn_forward(X, h0, params)
    return rnn_backward(dH, cache)


def truncated_bptt_gradients(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                             dH: np.ndarray, tau: int) -> dict[str, np.ndarray]:
    """Truncated BPTT, BPTT(h) of Williams & Peng (1990): every step's error travels back at
    most ``tau`` steps.

    The network runs forward and keeps a history of its last ``tau`` steps. At each step t the
    error dL_t/dh_t = dH[t] is backpropagated through steps t, t-1, ..., t-tau+1 only:

        δ_s = dL_t/dh_s ⊙ (1 - h_s²),    dL_t/dh_{s-1} = δ_s W_hh,    s = t, ..., t-tau+1
        dL/dW_ih += δ_s^T x_s,    dL/dW_hh += δ_s^T h_{s-1},    dL/db += Σ_batch δ_s

    and then dropped. ``tau = 1`` keeps only each step's local term dH[t] ⊙ (1 - h_t²);
    ``tau >= T`` is full BPTT. ``h0`` receives the errors of the steps t < tau, whose windows
    reach back to the start. Equals ``torch_reference.truncated_rnn_gradients``.

    Williams, R. J. & Peng, J. (1990). An efficient gradient-based algorithm for on-line
    training of recurrent network trajectories. Neural Computation 2(4), 490-501.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).
        tau: how many steps (>= 1) each error is backpropagated through.

    Returns:
        dict with the (truncated) gradients ``h0, weight_ih, weight_hh, bias_ih, bias_hh``.

    Cost: O(T·tau·B·H(H + D)) time, each of the T errors travels tau steps (Williams &
    Peng's BPTT(h; h') cuts this by backpropagating only every h' steps); O(tau·B·H) memory
    for the history, independent of T, so it can run on-line on an endless stream.
    """
    X, h0, dH = np.asarray(X), np.asarray(h0), np.asarray(dH)
    _check_gradient_inputs(X, h0, params, dH, tau=tau)
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    b = params["bias_ih"] + params["bias_hh"]
    T = X.shape[0]
    grads = _zero_gradients(h0, params, np.result_type(X, h0, W_hh))
    history = deque(maxlen=tau)  # (s, h_{s-1}, h_s) of the last tau steps, oldest first
    h = h0
    for t in range(T):
        h_prev = h
        # h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
        h = np.tanh(X[t] @ W_ih.T + h_prev @ W_hh.T + b)  # (B, H)
        history.append((t, h_prev, h))
        # the error of step t, dL_t/dh_t, goes back through the remembered steps t, ..., t-tau+1
        dh = dH[t]  # (B, H)
        for s, h_before, h_s in reversed(history):
            # through tanh: δ_s = dL_t/dh_s ⊙ (1 - h_s²)
            delta = dh * (1.0 - h_s ** 2)  # (B, H)
            # into the shared weights at step s
            grads["weight_ih"] += delta.T @ X[s]  # (H, D)
            grads["weight_hh"] += delta.T @ h_before  # (H, H)
            grads["bias_ih"] += delta.sum(axis=0)  # (H,)
            # into h_{s-1} through W_hh: dL_t/dh_{s-1} = δ_s W_hh
            dh = delta @ W_hh  # (B, H)
        if history[0][0] == 0:
            # the window reached back to step 0: what is left of the error arrives at h0
            grads["h0"] += dh
    # a_t depends on b_ih and b_hh only through their sum b: the same gradient
    grads["bias_hh"] = grads["bias_ih"].copy()
    return grads


def chunked_bptt_gradients(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                           dH: np.ndarray, tau: int) -> dict[str, np.ndarray]:
    """Truncated BPTT as trained in practice: chunks of ``tau`` steps, the state carried from
    chunk to chunk but detached.

    The sequence is cut into chunks of steps [0, tau), [tau, 2 tau), ... (the last may be
    shorter). Each chunk runs forward from the state the previous chunk ended in and is
    backpropagated with full BPTT (``rnn_backward``) inside; the error that arrives at the
    chunk's initial state is dropped, as ``h = h.detach()`` does in a PyTorch training loop,
    except in the first chunk, where it is the gradient of ``h0``. The error of the last
    step of a chunk travels back tau steps, that of its first step only one. This is
    Williams & Peng's BPTT(h; h') with h' = h, Sutskever's (2013) TBPTT(k1, k2) with k1 = k2.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).
        tau: chunk length in steps (>= 1); ``tau >= T`` is full BPTT.

    Returns:
        dict with the (truncated) gradients ``h0, weight_ih, weight_hh, bias_ih, bias_hh``.

    Cost: O(T·B·H(H + D)) time, as full BPTT; O(tau·B·(H + D)) memory, one chunk's states.
    """
    X, h0, dH = np.asarray(X), np.asarray(h0), np.asarray(dH)
    _check_gradient_inputs(X, h0, params, dH, tau=tau)
    T = X.shape[0]
    grads = _zero_gradients(h0, params, np.result_type(X, h0, params["weight_hh"]))
    h = h0
    for start in range(0, T, tau):
        chunk = slice(start, start + tau)
        # forward through the chunk from the carried state
        H_chunk, cache = rnn_forward(X[chunk], h, params)  # (tau, B, H)
        # full BPTT inside the chunk, for the chunk's own errors
        chunk_grads = rnn_backward(dH[chunk], cache)
        for name in PARAM_NAMES:
            grads[name] += chunk_grads[name]
        if start == 0:
            # only the first chunk starts from h0; later chunks' start-state errors stop here
            grads["h0"] += chunk_grads["h0"]
        # carry the state forward, detached: the next chunk sends no error back into it
        h = H_chunk[-1]
    return grads


def rtrl_gradients(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                   dH: np.ndarray) -> dict[str, np.ndarray]:
    """Real-time recurrent learning (Williams & Zipser 1989): the exact gradient, computed
    forwards in time.

    Instead of walking the unrolled graph backwards, RTRL carries along the sensitivities
    P_t = dh_t/dθ of the current state to every parameter and collects the loss of each step
    as it happens, so it stores no past and could learn on-line while the sequence runs:

        P_t = diag(1 - h_t²) (W_hh P_{t-1} + ∂a_t/∂θ),    P_0 = 0
        dL/dθ = Σ_t dH[t] · P_t

    with the immediate terms ∂a_t[i]/∂W_ih[j, k] = δ_ij x_t[k], ∂a_t[i]/∂W_hh[j, k] =
    δ_ij h_{t-1}[k] and ∂a_t[i]/∂b[j] = δ_ij (δ_ij the Kronecker delta). The initial state
    follows the same recurrence without immediate term: dh_t/dh_0 = diag(1 - h_t²) W_hh
    dh_{t-1}/dh_0, starting from the identity.

    Williams, R. J. & Zipser, D. (1989). A learning algorithm for continually running fully
    recurrent neural networks. Neural Computation 1(2), 270-280.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).

    Returns:
        dict with the gradients ``h0, weight_ih, weight_hh, bias_ih, bias_hh``.

    Cost: the product W_hh P_{t-1} multiplies an (H, H) matrix into the sensitivities, H rows
    of H(H + D) + 2H entries per sequence: O(B·H³(H + D)) = O(H⁴) time per step, O(T·H⁴) in all,
    against O(T·H²) for BPTT. Memory O(B·H²(H + D)) = O(H³) for the sensitivities,
    independent of T (BPTT: O(T·H)).
    """
    X, h0, dH = np.asarray(X), np.asarray(h0), np.asarray(dH)
    _check_gradient_inputs(X, h0, params, dH)
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    b = params["bias_ih"] + params["bias_hh"]
    T, B, D = X.shape
    n_hidden = W_hh.shape[0]
    dtype = np.result_type(X, h0, W_hh)
    grads = _zero_gradients(h0, params, dtype)
    diag = np.arange(n_hidden)  # P[:, diag, diag] picks the entries i = j of the Kronecker δ_ij
    # sensitivities P_t of the current state, [b, i, j, ...] = dh_t[b, i] / dθ[j, ...]
    P_ih = np.zeros((B, n_hidden, n_hidden, D), dtype)  # dh_t/dW_ih, (B, H, H, D)
    P_hh = np.zeros((B, n_hidden, n_hidden, n_hidden), dtype)  # dh_t/dW_hh, (B, H, H, H)
    P_b = np.zeros((B, n_hidden, n_hidden), dtype)  # dh_t/db, (B, H, H), b = b_ih + b_hh
    P_h0 = np.tile(np.eye(n_hidden, dtype=dtype), (B, 1, 1))  # dh_t/dh_0, (B, H, H); I at t = 0
    h = h0
    for t in range(T):
        x, h_prev = X[t], h
        # h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
        h = np.tanh(x @ W_ih.T + h_prev @ W_hh.T + b)  # (B, H)
        dtanh = 1.0 - h ** 2  # (B, H), the diagonal of diag(1 - h_t²)
        # W_hh P_{t-1}: the old sensitivities carried through the recurrent weights, O(H⁴)
        P_ih = (W_hh @ P_ih.reshape(B, n_hidden, -1)).reshape(P_ih.shape)  # (B, H, H, D)
        P_hh = (W_hh @ P_hh.reshape(B, n_hidden, -1)).reshape(P_hh.shape)  # (B, H, H, H)
        P_b = W_hh @ P_b  # (B, H, H)
        P_h0 = W_hh @ P_h0  # (B, H, H)
        # + ∂a_t/∂θ: ∂a_t[i]/∂W_ih[j, k] = δ_ij x_t[k], ∂a_t[i]/∂W_hh[j, k] = δ_ij h_{t-1}[k],
        # ∂a_t[i]/∂b[j] = δ_ij
        P_ih[:, diag, diag, :] += x[:, None, :]  # (B, H, D) on the diagonal i = j
        P_hh[:, diag, diag, :] += h_prev[:, None, :]  # (B, H, H) on the diagonal i = j
        P_b[:, diag, diag] += 1
        # P_t = diag(1 - h_t²) (...): through tanh, row i scaled by 1 - h_t[i]²
        P_ih *= dtanh[:, :, None, None]
        P_hh *= dtanh[:, :, None, None]
        P_b *= dtanh[:, :, None]
        P_h0 *= dtanh[:, :, None]
        # dL/dθ += dH[t] · P_t: the loss on h_t reaches θ through today's sensitivities
        grads["weight_ih"] += np.einsum("bi,bijk->jk", dH[t], P_ih)  # (H, D)
        grads["weight_hh"] += np.einsum("bi,bijk->jk", dH[t], P_hh)  # (H, H)
        grads["bias_ih"] += np.einsum("bi,bij->j", dH[t], P_b)  # (H,)
        grads["h0"] += np.einsum("bi,bij->bj", dH[t], P_h0)  # (B, H)
    # a_t depends on b_ih and b_hh only through their sum b: the same gradient
    grads["bias_hh"] = grads["bias_ih"].copy()
    return grads


def hybrid_gradients(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                     dH: np.ndarray, block: int) -> dict[str, np.ndarray]:
    """Schmidhuber's (1992) hybrid of BPTT and RTRL: the exact gradient, with RTRL's O(H⁴)
    work done only once per block of steps.

    The sequence is cut into blocks of ``block`` steps. RTRL's sensitivities P_s = dh_s/dθ
    are kept only at the block boundaries. For the block that runs from state h_s to h_e:

    1. run forward through the block, storing its states;
    2. BPTT through the block for the block's errors, holding h_s fixed. This gives the
       direct gradient ∂L_blk/∂θ and the error e_s = ∂L_blk/∂h_s at the block's start;
       with P_s, the block's whole contribution is
           dL_blk/dθ = ∂L_blk/∂θ + e_s · P_s;
    3. carry the sensitivities to the block's end,
           P_e = (∂h_e/∂h_s) P_s + ∂h_e/∂θ,
       where the Jacobian ∂h_e/∂h_s and the direct ∂h_e/∂θ come from H more backward
       passes through the block, one from each unit of h_e (here all at once, as a batch of
       unit errors).

    ``block = 1`` is RTRL; ``block >= T`` is a single BPTT pass whose sensitivities are never
    carried (P = 0 and dh_0/dh_0 = I at the start). Every block length gives the exact
    gradient of full BPTT.

    Schmidhuber, J. (1992). A fixed size storage O(n³) time complexity learning algorithm
    for fully recurrent continually running networks. Neural Computation 4(2), 243-248.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``.
        dH: gradient of the loss with respect to every hidden state, shape (T, B, H).
        block: block length in steps (>= 1); Schmidhuber takes block = H.

    Returns:
        dict with the gradients ``h0, weight_ih, weight_hh, bias_ih, bias_hh``.

    Cost: the H backward passes of step 3 take O(B·H²(H + D)) = O(H³) per step, the product
    (∂h_e/∂h_s) P_s takes O(B·H³(H + D)) = O(H⁴) once per block: O(T·(H³ + H⁴/block)) in
    all, O(T·H³) with block = H (RTRL: O(T·H⁴)). Memory O(B·H²(H + D)) = O(H³) for the
    sensitivities plus O(block·B·H²) for the unit errors of one block (O(H³) with
    block = H), independent of T.
    """
    X, h0, dH = np.asarray(X), np.asarray(h0), np.asarray(dH)
    _check_gradient_inputs(X, h0, params, dH, block=block)
    W_hh = params["weight_hh"]
    T, B, D = X.shape
    n_hidden = W_hh.shape[0]
    dtype = np.result_type(X, h0, W_hh)
    grads = _zero_gradients(h0, params, dtype)
    # RTRL's sensitivities at the current block boundary h_s, [b, i, j, ...] = dh_s[b, i]/dθ[j, ...]
    P_ih = np.zeros((B, n_hidden, n_hidden, D), dtype)  # dh_s/dW_ih, (B, H, H, D)
    P_hh = np.zeros((B, n_hidden, n_hidden, n_hidden), dtype)  # dh_s/dW_hh, (B, H, H, H)
    P_b = np.zeros((B, n_hidden, n_hidden), dtype)  # dh_s/db, (B, H, H), b = b_ih + b_hh
    P_h0 = np.tile(np.eye(n_hidden, dtype=dtype), (B, 1, 1))  # dh_s/dh_0, (B, H, H)
    h = h0
    for start in range(0, T, block):
        steps = slice(start, start + block)
        # 1. forward through the block from h_s
        H_blk, cache = rnn_forward(X[steps], h, params)  # (L, B, H), L <= block steps
        # 2. BPTT inside the block, h_s held fixed: direct gradient and e_s = ∂L_blk/∂h_s
        direct = rnn_backward(dH[steps], cache)
        e = direct["h0"]  # (B, H)
        # dL_blk/dθ = ∂L_blk/∂θ + e_s · P_s
        grads["weight_ih"] += direct["weight_ih"] + np.einsum("bi,bijk->jk", e, P_ih)  # (H, D)
        grads["weight_hh"] += direct["weight_hh"] + np.einsum("bi,bijk->jk", e, P_hh)  # (H, H)
        grads["bias_ih"] += direct["bias_ih"] + np.einsum("bi,bij->j", e, P_b)  # (H,)
        grads["h0"] += np.einsum("bi,bij->bj", e, P_h0)  # (B, H)
        if start + block >= T:
            break  # the last block: no later block needs its sensitivities
        # 3. P_e = (∂h_e/∂h_s) P_s + ∂h_e/∂θ. Backpropagate the H unit errors dh_e/dh_e = I
        # through the block; E[b, o, i] = ∂h_e[o]/∂h_r[i] at the step r reached so far.
        L = H_blk.shape[0]
        E = np.tile(np.eye(n_hidden, dtype=dtype), (B, 1, 1))  # (B, H, H), r = e
        delta = np.empty((L, B, n_hidden, n_hidden), dtype)  # ∂h_e[o]/∂a_r[j] at [r, b, o, j]
        for r in reversed(range(L)):
            # through tanh at step r, for every output unit o at once
            delta[r] = E * (1.0 - H_blk[r] ** 2)[:, None, :]  # (B, H, H)
            # into h_{r-1} through W_hh
            E = delta[r] @ W_hh  # (B, H, H)
        # into the shared weights, summed over the block's steps r as in rnn_backward:
        #   ∂h_e/∂W_ih[j, k] = Σ_r ∂h_e/∂a_r[j] x_r[k]
        #   ∂h_e/∂W_hh[j, k] = Σ_r ∂h_e/∂a_r[j] h_{r-1}[k]
        #   ∂h_e/∂b[j] = Σ_r ∂h_e/∂a_r[j]
        # each one (H·H, L) @ (L, ·) matrix product per sequence: O(H²(H + D)) per step
        H_prev = np.concatenate([h[None], H_blk[:-1]])  # h_{r-1} for every step r, (L, B, H)
        delta_by_b = delta.transpose(1, 2, 3, 0).reshape(B, n_hidden * n_hidden, L)  # (B, H·H, L)
        S_ih = (delta_by_b @ X[steps].transpose(1, 0, 2)).reshape(P_ih.shape)  # (B, H, H, D)
        S_hh = (delta_by_b @ H_prev.transpose(1, 0, 2)).reshape(P_hh.shape)  # (B, H, H, H)
        S_b = delta.sum(axis=0)  # (B, H, H)
        # E is now the Jacobian ∂h_e/∂h_s. The O(H⁴) product, once per block:
        # P_e = ∂h_e/∂θ + (∂h_e/∂h_s) P_s  (added into S in place, which becomes the new P)
        S_ih += (E @ P_ih.reshape(B, n_hidden, -1)).reshape(S_ih.shape)  # (B, H, H, D)
        S_hh += (E @ P_hh.reshape(B, n_hidden, -1)).reshape(S_hh.shape)  # (B, H, H, H)
        S_b += E @ P_b  # (B, H, H)
        P_ih, P_hh, P_b = S_ih, S_hh, S_b
        P_h0 = E @ P_h0  # (B, H, H): h_0 enters no block directly
        # the next block starts where this one ended
        h = H_blk[-1]
    # a_t depends on b_ih and b_hh only through their sum b: the same gradient
    grads["bias_hh"] = grads["bias_ih"].copy()
    return grads


# --- parameter count, as PyTorch counts it (sum(p.numel() for p in module.parameters())) ---

def rnn_param_count(input_size: int, hidden_size: int, num_layers: int = 1,
                    bidirectional: bool = False, bias: bool = True) -> int:
    """Number of parameters of ``torch.nn.RNN(input_size, hidden_size, num_layers, ...,
    bias, bidirectional=...)`` (tanh or relu: the same count).

    With D, H, L, K, β as in ``seqbook.nn.layers.recurrent_param_count``,
    each direction of layer k has one block:

        H (D_k + H + β),  D_0 = D,  D_k = K H for k > 0,

    so the total is K · H [(D + H + β) + (L - 1)(K H + H + β)].
    """
    return recurrent_param_count(1, input_size, hidden_size, num_layers, bidirectional, bias)
