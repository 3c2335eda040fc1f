"""Attention in numpy: the score functions of the literature and multi-head attention.

Every attention mechanism here has the same three steps. A query q is compared with every
key k_j by a score function; the scores are turned into weights by a softmax over j; the
output (the context vector) is the weighted sum of the values v_j:

    e_j = score(q, k_j),   α = softmax(e),   c = Σ_j α_j v_j

The mechanisms differ in the score and in which keys a query may see:

- additive (Bahdanau, Cho & Bengio 2015):   e_j = vᵀ tanh(W_q q + W_k k_j)
- multiplicative (Luong, Pham & Manning 2015): dot e_j = qᵀ k_j, general e_j = qᵀ W k_j,
  concat e_j = vᵀ tanh(W [q; k_j])
- scaled dot-product (Vaswani et al. 2017): e_j = qᵀ k_j / sqrt(d_k), as
  ``torch.nn.functional.scaled_dot_product_attention``
- local (Luong et al. 2015): only a window of 2D + 1 keys around a position p_t
- self-attention (Lin et al. 2017): a sentence embedding attends over its own hidden states
- key-value attention (Daniluk et al. 2017): each hidden state split into a key and a value
- multi-head attention (Vaswani et al. 2017): h scaled dot-product attentions on learned
  projections, as ``torch.nn.MultiheadAttention(batch_first=True)``

Layout (B, T, ·) as PyTorch's ``batch_first``. Masks follow
``F.scaled_dot_product_attention``: a boolean mask is True where a query **may** attend
(note: ``nn.MultiheadAttention``'s own ``attn_mask`` is the opposite, True = blocked); a float
mask is added to the scores. Masked scores become -inf before the softmax. A query with no
allowed key gets zero weights and a zero output (torch gives NaN there in
``nn.MultiheadAttention``).
"""
from __future__ import annotations

import math

import numpy as np

from seqbook.nn.functional import sigmoid, softmax


def causal_mask(T: int) -> np.ndarray:
    """Boolean (T, T) mask, True where query t may attend to key s, i.e. s <= t.

    ``mask=causal_mask(T)`` is ``is_causal=True`` of ``F.scaled_dot_product_attention``;
    for Tq != Tk torch aligns the triangle top-left, which is
    ``causal_mask(max(Tq, Tk))[:Tq, :Tk]``.
    """
    if not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    return np.tril(np.ones((T, T), dtype=bool))


def _apply_mask(scores: np.ndarray, mask, name: str = "mask") -> np.ndarray:
    """Scores with the mask applied: -inf where a boolean mask is False, + a float mask."""
    if mask is None:
        return scores
    mask = np.asarray(mask)
    try:
        np.broadcast_shapes(mask.shape, scores.shape)
    except ValueError:
        raise ValueError(f"{name} must broadcast to the scores' shape (..., Tq, Tk) = "
                         f"{scores.shape}, got {mask.shape}") from None
    if mask.dtype == bool:
        # masked scores are -inf before the softmax, so their weight is exactly 0
        return np.where(mask, scores, -np.inf)
    return scores + mask


def _check_last_dim(name: str, a: np.ndarray, expected: int, layout: str) -> None:
    if a.shape[-1] != expected:
        raise ValueError(f"{name} must have shape {layout} with last dim {expected}, got {a.shape}")


def scaled_dot_product_attention(Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask=None):
    """softmax(Q Kᵀ / sqrt(d_k) + mask) V (Vaswani et al. 2017), as
    ``F.scaled_dot_product_attention``.

    Args:
        Q: queries, shape (..., Tq, d_k); any leading dims, e.g. (B, Tq, d_k) or (B, h, Tq, d_k).
        K: keys, shape (..., Tk, d_k).
        V: values, shape (..., Tk, d_v).
        mask: None; boolean, broadcastable to (..., Tq, Tk), True where a query may attend
            (``causal_mask(T)`` for ``is_causal=True``); or float, added to the scores.

    Returns:
        out: (..., Tq, d_v). A query whose keys are all masked gets zeros.
        weights: the attention weights α, (..., Tq, Tk), rows summing to 1 (0 when all masked).
    """
    Q, K, V = np.asarray(Q), np.asarray(K), np.asarray(V)
    for name, a in (("Q", Q), ("K", K), ("V", V)):
        if a.ndim < 2:
            raise ValueError(f"{name} must have shape (..., T, d), got {a.shape}")
    d_k = Q.shape[-1]
    _check_last_dim("K", K, d_k, "(..., Tk, d_k)")
    if K.shape[-2] != V.shape[-2]:
        raise ValueError(f"V must have shape (..., Tk, d_v) with Tk = {K.shape[-2]} as K, "
                         f"got {V.shape}")
    # e = Q Kᵀ / sqrt(d_k); scaling Q first costs Tq·d_k multiplications instead of Tq·Tk
    # (a Python float keeps float32 input float32)
    scores = (Q * (1.0 / math.sqrt(d_k))) @ K.swapaxes(-1, -2)  # (..., Tq, Tk)
    scores = _apply_mask(scores, mask)
    # α = softmax over the keys
    weights = softmax(scores, axis=-1)  # (..., Tq, Tk)
    # out = α V
    out = weights @ V  # (..., Tq, d_v)
    return out, weights


def _single_query(query: np.ndarray, keys: np.ndarray) -> bool:
    """True for one query per sequence (..., d_q), False for (..., Tq, d_q)."""
    if keys.ndim < 2:
        raise ValueError(f"keys must have shape (..., Tk, d_k), got {keys.shape}")
    if query.ndim not in (keys.ndim - 1, keys.ndim):
        raise ValueError(f"query must have shape (..., d_q) or (..., Tq, d_q) matching keys "
                         f"{keys.shape}, got {query.shape}")
    return query.ndim == keys.ndim - 1


def _attend(scores: np.ndarray, values: np.ndarray, keys: np.ndarray, mask, single: bool):
    """Mask, softmax over the keys and weighted sum of the values."""
    if values.shape[:-1] != keys.shape[:-1]:
        raise ValueError(f"values must have shape (..., Tk, d_v) = {keys.shape[:-1] + ('d_v',)}, "
                         f"got {values.shape}")
    if single and mask is not None:
        mask = np.expand_dims(np.asarray(mask), -2)  # (..., Tk) -> (..., 1, Tk)
    weights = softmax(_apply_mask(scores, mask), axis=-1)  # (..., Tq, Tk)
    context = weights @ values  # (..., Tq, d_v)
    if single:
        return context[..., 0, :], weights[..., 0, :]
    return context, weights


def additive_attention(query: np.ndarray, keys: np.ndarray, values: np.ndarray,
                       W_q: np.ndarray, W_k: np.ndarray, v: np.ndarray, mask=None):
    """Additive attention (Bahdanau, Cho & Bengio 2015): e_j = vᵀ tanh(W_q q + W_k k_j).

    In Bahdanau's decoder q is the previous decoder state s_{i-1} and keys = values are the
    encoder's annotations h_j.

    Args:
        query: (..., d_q) one query per sequence, or (..., Tq, d_q).
        keys: (..., Tk, d_k); values: (..., Tk, d_v).
        W_q: (A, d_q); W_k: (A, d_k); v: (A,), A the attention's hidden size.
        mask: boolean True = may attend (or float, added), broadcastable to the scores
            (..., Tk) for one query, (..., Tq, Tk) otherwise.

    Returns:
        context: (..., d_v) or (..., Tq, d_v); weights: (..., Tk) or (..., Tq, Tk).
    """
    query, keys, values = np.asarray(query), np.asarray(keys), np.asarray(values)
    single = _single_query(query, keys)
    if single:
        query = query[..., None, :]  # (..., 1, d_q)
    if np.ndim(v) != 1:
        raise ValueError(f"v must have shape (A,), got {np.shape(v)}")
    A = np.shape(v)[0]
    if np.shape(W_q) != (A, query.shape[-1]):
        raise ValueError(f"W_q must have shape (A, d_q) = {(A, query.shape[-1])}, "
                         f"got {np.shape(W_q)}")
    if np.shape(W_k) != (A, keys.shape[-1]):
        raise ValueError(f"W_k must have shape (A, d_k) = {(A, keys.shape[-1])}, "
                         f"got {np.shape(W_k)}")
    # W_q q and W_k k_j, computed once per query and once per key
    q_proj = query @ W_q.T  # (..., Tq, A)
    k_proj = keys @ W_k.T  # (..., Tk, A)
    # e_j = vᵀ tanh(W_q q + W_k k_j), every query against every key
    scores = np.tanh(q_proj[..., :, None, :] + k_proj[..., None, :, :]) @ v  # (..., Tq, Tk)
    return _attend(scores, values, keys, mask, single)


def multiplicative_attention(query: np.ndarray, keys: np.ndarray, values: np.ndarray,
                             W: np.ndarray | None = None, mask=None):
    """Multiplicative attention (Luong, Pham & Manning 2015): dot e_j = qᵀ k_j (W None), or
    general e_j = qᵀ W k_j. Unscaled: dot equals ``scaled_dot_product_attention`` times
    sqrt(d_k) in the scores.

    Args:
        query: (..., d_q) one query per sequence, or (..., Tq, d_q).
        keys: (..., Tk, d_k) (d_k = d_q for dot); values: (..., Tk, d_v).
        W: None for dot, or (d_q, d_k) for general.
        mask: as in ``additive_attention``.

    Returns:
        context: (..., d_v) or (..., Tq, d_v); weights: (..., Tk) or (..., Tq, Tk).
    """
    query, keys, values = np.asarray(query), np.asarray(keys), np.asarray(values)
    single = _single_query(query, keys)
    if single:
        query = query[..., None, :]  # (..., 1, d_q)
    if W is None:
        _check_last_dim("keys", keys, query.shape[-1], "(..., Tk, d_q) for dot attention")
        q_W = query  # (..., Tq, d_k)
    else:
        if np.shape(W) != (query.shape[-1], keys.shape[-1]):
            raise ValueError(f"W must have shape (d_q, d_k) = {(query.shape[-1], keys.shape[-1])}, "
                             f"got {np.shape(W)}")
        # qᵀ W, once per query
        q_W = query @ W  # (..., Tq, d_k)
    # e_j = qᵀ W k_j
    scores = q_W @ keys.swapaxes(-1, -2)  # (..., Tq, Tk)
    return _attend(scores, values, keys, mask, single)


def concat_attention(query: np.ndarray, keys: np.ndarray, values: np.ndarray, W: np.ndarray,
                     v: np.ndarray, mask=None):
    """Luong's concat attention: e_j = vᵀ tanh(W [q; k_j]).

    Splitting W = [W_q  W_k] column-wise shows that this is additive attention.

    Args:
        query: (..., d_q) or (..., Tq, d_q); keys: (..., Tk, d_k); values: (..., Tk, d_v).
        W: (A, d_q + d_k); v: (A,).
        mask: as in ``additive_attention``.

    Returns:
        context and weights, as ``additive_attention``.
    """
    query, keys = np.asarray(query), np.asarray(keys)
    d_q = query.shape[-1]
    if np.ndim(W) != 2 or np.shape(W)[1] != d_q + keys.shape[-1]:
        raise ValueError(f"W must have shape (A, d_q + d_k) = (A, {d_q + keys.shape[-1]}), "
                         f"got {np.shape(W)}")
    # W [q; k_j] = W[:, :d_q] q + W[:, d_q:] k_j
    return additive_attention(query, keys, values, W[:, :d_q], W[:, d_q:], v, mask)


def local_attention(query: np.ndarray, keys: np.ndarray, values: np.ndarray, D: int,
                    W: np.ndarray | None = None, W_p: np.ndarray | None = None,
                    v_p: np.ndarray | None = None, positions: np.ndarray | None = None,
                    mask=None):
    """Luong et al. (2015) local attention: only the keys s in [p_t - D, p_t + D] count.

    local-p (predictive; pass ``W_p`` and ``v_p``): the position is predicted from the query,

        p_t = S · sigmoid(v_pᵀ tanh(W_p h_t))          (S = Tk, so p_t ∈ (0, S))

    and the window's weights are scaled by a Gaussian centred at p_t, σ = D / 2:

        a_t(s) = align(h_t, h̄_s) · exp(-(s - p_t)² / (2σ²))

    local-m (monotonic; no ``W_p``): p_t = t, the query's own index (or ``positions``), and
    a_t(s) = align(h_t, h̄_s) without the Gaussian, as in the paper.

    align is the softmax, over the keys inside the window, of the general score hᵀ W h̄_s
    (dot when W is None). Key positions s are 0-based.

    Args:
        query: (B, Tq, d_q) target hidden states h_t; keys (B, S, d_k); values (B, S, d_v).
        D: half window width, int >= 0.
        W: None or (d_q, d_k), the score as ``multiplicative_attention``.
        W_p: (A, d_q) and v_p: (A,), local-p's position predictor; both None for local-m.
        positions: local-m only, the p_t of every query, shape (Tq,); default 0..Tq-1.
        mask: optional boolean (B, S) or broadcastable to (B, Tq, S), True = may attend,
            combined with the window.

    Returns:
        context: (B, Tq, d_v); weights: (B, Tq, S) (zero outside the window);
        p: the window centres, (B, Tq).
    """
    query, keys, values = np.asarray(query), np.asarray(keys), np.asarray(values)
    if query.ndim != 3 or keys.ndim != 3:
        raise ValueError(f"query must have shape (B, Tq, d_q) and keys (B, S, d_k), "
                         f"got {query.shape} and {keys.shape}")
    if not isinstance(D, (int, np.integer)) or D < 0:
        raise ValueError(f"D must be an int >= 0, got {D!r}")
    B, Tq, _ = query.shape
    S = keys.shape[1]
    s = np.arange(S)  # key positions 0..S-1
    if (W_p is None) != (v_p is None):
        raise ValueError("W_p and v_p must be given together (local-p) or both None (local-m)")
    predictive = W_p is not None
    if predictive:
        if positions is not None:
            raise ValueError("positions is for local-m; local-p predicts p_t from W_p, v_p")
        if np.ndim(v_p) != 1 or np.shape(W_p) != (np.shape(v_p)[0], query.shape[-1]):
            raise ValueError(f"W_p must have shape (A, d_q) and v_p (A,), with d_q = "
                             f"{query.shape[-1]}; got {np.shape(W_p)} and {np.shape(v_p)}")
        # p_t = S · sigmoid(v_pᵀ tanh(W_p h_t))
        a = np.tanh(query @ W_p.T) @ v_p  # (B, Tq)
        p = S * sigmoid(a)
    else:
        positions = np.arange(Tq) if positions is None else np.asarray(positions)
        if positions.shape != (Tq,):
            raise ValueError(f"positions must have shape (Tq,) = {(Tq,)}, got {positions.shape}")
        # local-m: p_t = t
        p = np.broadcast_to(positions, (B, Tq)).astype(query.dtype)
    # the window: keys with |s - p_t| <= D
    distance = s[None, None, :] - p[..., None]  # (B, Tq, S)
    window = np.abs(distance) <= D
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        mask = mask[:, None, :] if mask.shape == (B, S) else mask  # (B, 1, S): the same for every t
        try:
            window = window & mask
        except ValueError:
            raise ValueError(f"mask must have shape (B, S) = {(B, S)} or broadcast to (B, Tq, S) = "
                             f"{(B, Tq, S)}, got {mask.shape}") from None
    # align(h_t, h̄_s): softmax of the scores over the window only
    _, weights = multiplicative_attention(query, keys, values, W, mask=window)  # (B, Tq, S)
    if predictive:
        sigma = D / 2
        # a_t(s) = align(h_t, h̄_s) exp(-(s - p_t)² / (2σ²)); σ = 0 keeps only s = p_t
        gauss = (np.exp(-distance ** 2 / (2 * sigma ** 2)) if sigma > 0
                 else (distance == 0).astype(query.dtype))
        weights = weights * gauss
    # c_t = Σ_s a_t(s) h̄_s
    context = weights @ values  # (B, Tq, d_v)
    return context, weights, p


def self_attention(H: np.ndarray, W_s1: np.ndarray, W_s2: np.ndarray, mask=None):
    """Structured self-attentive sentence embedding (Lin et al. 2017).

        A = softmax(W_s2 tanh(W_s1 Hᵀ))     (softmax over the n words, r attention hops)
        M = A H

    Args:
        H: the hidden states of one sentence per row, (B, n, 2u) (a BiLSTM's in the paper).
        W_s1: (d_a, 2u); W_s2: (r, d_a).
        mask: optional boolean (B, n), True for real words, False for padding.

    Returns:
        M: the sentence embedding matrix, (B, r, 2u); A: the weights, (B, r, n).
        ``self_attention_penalty(A)`` is the paper's ||A Aᵀ - I||_F² regulariser.
    """
    H = np.asarray(H)
    if H.ndim != 3:
        raise ValueError(f"H must have shape (B, n, 2u), got {H.shape}")
    B, n, two_u = H.shape
    if np.ndim(W_s1) != 2 or np.shape(W_s1)[1] != two_u:
        raise ValueError(f"W_s1 must have shape (d_a, 2u) = (d_a, {two_u}), got {np.shape(W_s1)}")
    if np.ndim(W_s2) != 2 or np.shape(W_s2)[1] != np.shape(W_s1)[0]:
        raise ValueError(f"W_s2 must have shape (r, d_a) = (r, {np.shape(W_s1)[0]}), "
                         f"got {np.shape(W_s2)}")
    if mask is not None and np.shape(mask) != (B, n):
        raise ValueError(f"mask must have shape (B, n) = {(B, n)}, got {np.shape(mask)}")
    # W_s2 tanh(W_s1 Hᵀ)
    scores = W_s2 @ np.tanh(W_s1 @ H.swapaxes(1, 2))  # (B, r, n)
    if mask is not None:
        scores = _apply_mask(scores, np.asarray(mask)[:, None, :])
    # A = softmax over the words
    A = softmax(scores, axis=-1)  # (B, r, n)
    # M = A H
    M = A @ H  # (B, r, 2u)
    return M, A


def self_attention_penalty(A: np.ndarray) -> np.ndarray:
    """Lin et al.'s penalty P = ||A Aᵀ - I||_F², per example: A (B, r, n) -> (B,)."""
    r = A.shape[-2]
    G = A @ A.swapaxes(-1, -2) - np.eye(r)  # (B, r, r)
    return (G ** 2).sum(axis=(-2, -1))


def key_value_attention(hidden: np.ndarray, W_y: np.ndarray, W_h: np.ndarray, w: np.ndarray,
                        W_r: np.ndarray, W_x: np.ndarray, L: int | None = None):
    """Key-value attention of a language model over its own past (Daniluk et al. 2017).

    Each output vector is split in two halves, h_t = [k_t; v_t]: the key k_t is only used to
    compute attention scores, the value v_t only to be read (and to make the prediction). The
    query at step t is its own key; it attends over the previous L steps:

        M_t = tanh(W_y [k_{t-L} .. k_{t-1}] + (W_h k_t) 1ᵀ)
        α_t = softmax(wᵀ M_t)
        r_t = [v_{t-L} .. v_{t-1}] α_tᵀ
        h*_t = tanh(W_r r_t + W_x v_t)

    The score is ``additive_attention``'s with W_q = W_h, W_k = W_y, v = w. At t = 0 there
    is no past: r_0 = 0.

    Args:
        hidden: (B, T, 2k), keys in the first half of the last axis, values in the second.
        W_y, W_h: (A, k); w: (A,); W_r, W_x: (k, k).
        L: attention window (steps back); None = the whole past.

    Returns:
        h_star: (B, T, k); weights: (B, T, T), row t nonzero only on t-L .. t-1.
    """
    hidden = np.asarray(hidden)
    if hidden.ndim != 3 or hidden.shape[-1] % 2:
        raise ValueError(f"hidden must have shape (B, T, 2k) with an even last dim, "
                         f"got {hidden.shape}")
    B, T, two_k = hidden.shape
    k = two_k // 2
    for name, m in (("W_r", W_r), ("W_x", W_x)):
        if np.shape(m) != (k, k):
            raise ValueError(f"{name} must have shape (k, k) = {(k, k)}, got {np.shape(m)}")
    # h_t = [k_t; v_t]
    keys, values = hidden[..., :k], hidden[..., k:]  # 2 × (B, T, k)
    # step t sees s in [t - L, t - 1]
    t, s = np.arange(T)[:, None], np.arange(T)[None, :]
    allowed = (s < t) if L is None else (s < t) & (s >= t - L)  # (T, T)
    # α_t = softmax(wᵀ tanh(W_y k_s + W_h k_t)); r_t = Σ_s α_t(s) v_s
    r, weights = additive_attention(keys, keys, values, W_h, W_y, w, mask=allowed)
    # h*_t = tanh(W_r r_t + W_x v_t)
    h_star = np.tanh(r @ W_r.T + values @ W_x.T)  # (B, T, k)
    return h_star, weights


MHA_PARAM_NAMES = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def _check_mha_params(params: dict, E: int, num_heads: int) -> None:
    missing = [name for name in MHA_PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected the state_dict of "
                         f"nn.MultiheadAttention(E, num_heads) with keys {list(MHA_PARAM_NAMES)}")
    expected = {"in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,),
                "out_proj.weight": (E, E), "out_proj.bias": (E,)}
    for name, shape in expected.items():
        if np.shape(params[name]) != shape:
            raise ValueError(f"params['{name}'] must have shape {shape} for E = {E}, "
                             f"got {np.shape(params[name])}")
    if not isinstance(num_heads, (int, np.integer)) or num_heads < 1 or E % num_heads:
        raise ValueError(f"num_heads must be a positive int dividing E = {E}, got {num_heads!r}")


def multi_head_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray, params: dict,
                         num_heads: int, mask=None):
    """Multi-head attention, as ``nn.MultiheadAttention(E, num_heads, batch_first=True)``.

        head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)     (scaled dot-product)
        MultiHead(Q, K, V) = [head_1; ..; head_h] W^O

    Args:
        query: (B, Tq, E); key, value: (B, Tk, E).
        params: the module's ``state_dict``: ``in_proj_weight (3E, E)`` (W^Q, W^K, W^V stacked),
            ``in_proj_bias (3E,)``, ``out_proj.weight (E, E)``, ``out_proj.bias (E,)``.
        num_heads: h, dividing E; head_dim = E / h.
        mask: boolean, True = may attend (the opposite of torch's ``attn_mask``; pass
            ``~attn_mask``), or float added to the scores; broadcastable to (B, Tq, Tk)
            (the same mask for every head: (Tq, Tk) for every sequence, (B, 1, Tk) for a key
            padding mask), or a 4-D (B, h, Tq, Tk) mask per head.

    Returns:
        out: (B, Tq, E). A query with no allowed key gets attention output 0, so
            out = out_proj.bias there (torch: NaN).
        weights: (B, h, Tq, Tk) per head (torch's ``average_attn_weights=False``).
    """
    query, key, value = np.asarray(query), np.asarray(key), np.asarray(value)
    for name, a in (("query", query), ("key", key), ("value", value)):
        if a.ndim != 3:
            raise ValueError(f"{name} must have shape (B, T, E), got {a.shape}")
    B, Tq, E = query.shape
    Tk = key.shape[1]
    if key.shape != (B, Tk, E) or value.shape != (B, Tk, E):
        raise ValueError(f"key and value must have shape (B, Tk, E) = (B={B}, Tk, E={E}) and "
                         f"equal shapes, got {key.shape} and {value.shape}")
    _check_mha_params(params, E, num_heads)
    h, d = num_heads, E // num_heads
    W_in, b_in = params["in_proj_weight"], params["in_proj_bias"]
    if query is key and key is value:
        # self-attention: one (B·T, E) x (E, 3E) product instead of three
        q, k, v = np.split(query @ W_in.T + b_in, 3, axis=-1)  # 3 × (B, T, E)
    else:
        # Q W^Q + b^Q, K W^K + b^K, V W^V + b^V
        q = query @ W_in[:E].T + b_in[:E]  # (B, Tq, E)
        k = key @ W_in[E:2 * E].T + b_in[E:2 * E]  # (B, Tk, E)
        v = value @ W_in[2 * E:].T + b_in[2 * E:]  # (B, Tk, E)
    # split E into h heads of size d
    q = q.reshape(B, Tq, h, d).transpose(0, 2, 1, 3)  # (B, h, Tq, d)
    k = k.reshape(B, Tk, h, d).transpose(0, 2, 1, 3)  # (B, h, Tk, d)
    v = v.reshape(B, Tk, h, d).transpose(0, 2, 1, 3)  # (B, h, Tk, d)
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]  # (B, 1, Tq, Tk): the same for every head
    # head_i = softmax(q_i k_iᵀ / sqrt(d)) v_i, all heads at once
    heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, Tq, d), (B, h, Tq, Tk)
    # concatenate the heads
    concat = heads.transpose(0, 2, 1, 3).reshape(B, Tq, E)  # (B, Tq, E)
    # out = [head_1; ..; head_h] W^O + b^O
    out = concat @ params["out_proj.weight"].T + params["out_proj.bias"]  # (B, Tq, E)
    return out, weights
