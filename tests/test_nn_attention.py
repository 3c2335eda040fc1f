"""The numpy attention mechanisms against torch: F.scaled_dot_product_attention,
nn.MultiheadAttention (state_dict copied in), and for the score functions torch has no
module for (Bahdanau, Luong, local, self-attentive, key-value) the paper's equations
written out in torch, one query and one key at a time."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqbook import torch_reference
from seqbook.nn import attention as att
from seqbook.torch_reference import numpy_state


def t(a):
    return torch.tensor(a)


# --- causal_mask -------------------------------------------------------------------

def test_causal_mask_is_torch_is_causal():
    np.testing.assert_array_equal(att.causal_mask(1), [[True]])
    np.testing.assert_array_equal(att.causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    rng = np.random.default_rng(1)
    for Tq, Tk in [(5, 5), (1, 1), (3, 6), (6, 3)]:
        Q, K, V = (rng.standard_normal(s) for s in [(2, Tq, 4), (2, Tk, 4), (2, Tk, 3)])
        mask = att.causal_mask(max(Tq, Tk))[:Tq, :Tk]
        out, _ = att.scaled_dot_product_attention(Q, K, V, mask)
        ref = F.scaled_dot_product_attention(t(Q), t(K), t(V), is_causal=True).numpy()
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)


# --- scaled dot-product attention --------------------------------------------------------------

def reference_weights(Q, K, mask):
    """softmax(Q Kᵀ / sqrt(d) + mask) in torch (F.scaled_dot_product_attention has no weights)."""
    scores = t(Q) @ t(K).transpose(-1, -2) / math.sqrt(Q.shape[-1])
    if mask is not None:
        m = t(mask)
        scores = scores.masked_fill(~m, -math.inf) if m.dtype == torch.bool else scores + m
    return torch.softmax(scores, -1).numpy()


SDPA_SHAPES = [  # leading dims, Tq, Tk, d_k, d_v
    ((), 1, 1, 1, 1), ((1,), 1, 1, 1, 1), ((3,), 4, 6, 5, 2), ((2, 3), 1, 7, 4, 4),
    ((2, 2), 5, 1, 3, 6), ((1, 4), 6, 6, 1, 1), ((4,), 9, 3, 8, 5),
]


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal", "with_empty_rows"])
@pytest.mark.parametrize("lead,Tq,Tk,d_k,d_v", SDPA_SHAPES)
def test_scaled_dot_product_attention_matches_torch(lead, Tq, Tk, d_k, d_v, mask_kind):
    rng = np.random.default_rng(Tq * 100 + Tk * 10 + d_k + len(lead))
    Q = rng.standard_normal(lead + (Tq, d_k))
    K = rng.standard_normal(lead + (Tk, d_k))
    V = rng.standard_normal(lead + (Tk, d_v))
    mask = {"none": None,
            "bool": rng.random((Tq, Tk)) < 0.7,
            "float": rng.standard_normal(lead + (Tq, Tk)),
            "causal": att.causal_mask(max(Tq, Tk))[:Tq, :Tk],
            "with_empty_rows": rng.random(lead + (Tq, Tk)) < 0.5}[mask_kind]
    if mask is not None and mask.dtype == bool:
        mask[..., 0, :] = False  # the first query may attend to nothing
        if Tq > 1:
            mask[..., 1, :] = True  # the second to everything
    out, weights = att.scaled_dot_product_attention(Q, K, V, mask)

    assert out.shape == lead + (Tq, d_v) and weights.shape == lead + (Tq, Tk)
    ref_out = F.scaled_dot_product_attention(t(Q), t(K), t(V),
                                             attn_mask=None if mask is None else t(mask)).numpy()
    ref_weights = reference_weights(Q, K, mask)
    if mask is not None and mask.dtype == bool:
        empty = ~mask.any(axis=-1)  # queries with no allowed key
        empty = np.broadcast_to(empty, lead + (Tq,))
        # ours: zero weights and zero output there (torch's softmax gives NaN)
        assert np.all(out[empty] == 0) and np.all(weights[empty] == 0)
        assert np.isnan(ref_weights[empty]).all()
        keep = ~empty
        np.testing.assert_allclose(out[keep], ref_out[keep], rtol=0, atol=1e-10)
        np.testing.assert_allclose(weights[keep], ref_weights[keep], rtol=0, atol=1e-10)
        # masked keys get exactly zero weight
        assert np.all(weights[np.broadcast_to(~mask, weights.shape)] == 0)
    else:
        np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10)
        np.testing.assert_allclose(weights, ref_weights, rtol=0, atol=1e-10)
    rows = weights.sum(-1)
    assert np.allclose(rows[rows > 0], 1)


def test_scaled_dot_product_attention_float32():
    rng = np.random.default_rng(2)
    Q, K, V = (rng.standard_normal((2, 3, 5, 8)).astype(np.float32) for _ in range(3))
    mask = att.causal_mask(5)
    out, weights = att.scaled_dot_product_attention(Q, K, V, mask)
    assert out.dtype == weights.dtype == np.float32
    ref = F.scaled_dot_product_attention(t(Q), t(K), t(V), attn_mask=t(mask)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


# --- Bahdanau and Luong score functions ---------------------------------------------------------

def loop_attention(query, keys, values, score, mask=None):
    """The textbook loop: e_ij = score(q_i, k_j) for every pair, α_i = softmax_j, c_i = Σ α_ij v_j.
    query (B, Tq, d_q), keys (B, Tk, d_k), values (B, Tk, d_v); mask (B, Tq, Tk) boolean."""
    B, Tq, _ = query.shape
    Tk = keys.shape[1]
    q, k, v = t(query), t(keys), t(values)
    weights = torch.zeros(B, Tq, Tk, dtype=torch.float64)
    for b in range(B):
        for i in range(Tq):
            e = torch.stack([score(q[b, i], k[b, j]) for j in range(Tk)])
            if mask is not None:
                allowed = t(mask[b, i])
                if not allowed.any():
                    continue  # no key: zero weights (our convention)
                e = e.masked_fill(~allowed, -math.inf)
            weights[b, i] = torch.softmax(e, 0)
    return (weights @ v).numpy(), weights.numpy()


ATT_SHAPES = [(1, 1, 1, 1, 1, 1), (2, 3, 4, 5, 6, 3), (3, 1, 5, 2, 1, 4), (2, 4, 1, 3, 3, 2)]
# B, Tq, Tk, d_q(=d_k for dot), d_v, A


def _att_inputs(B, Tq, Tk, d, d_v, seed, d_k=None):
    rng = np.random.default_rng(seed)
    d_k = d if d_k is None else d_k
    query = rng.standard_normal((B, Tq, d))
    keys = rng.standard_normal((B, Tk, d_k))
    values = rng.standard_normal((B, Tk, d_v))
    mask = rng.random((B, Tq, Tk)) < 0.6
    mask[:, 0] = False  # the first query may attend to nothing
    return rng, query, keys, values, mask


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("B,Tq,Tk,d,d_v,A", ATT_SHAPES)
def test_additive_and_concat_attention_match_the_loop(B, Tq, Tk, d, d_v, A, masked):
    rng, query, keys, values, mask = _att_inputs(B, Tq, Tk, d, d_v, seed=B + Tq + Tk + A,
                                                 d_k=d + 1)
    mask = mask if masked else None
    W_q, W_k, v = rng.standard_normal((A, d)), rng.standard_normal((A, d + 1)), rng.standard_normal(A)
    context, weights = att.additive_attention(query, keys, values, W_q, W_k, v, mask)
    ref_c, ref_w = loop_attention(query, keys, values,
                                  lambda q, k: t(v) @ torch.tanh(t(W_q) @ q + t(W_k) @ k), mask)
    np.testing.assert_allclose(context, ref_c, rtol=0, atol=1e-10)
    np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10)
    if masked:
        assert np.all(context[:, 0] == 0)

    # concat: vᵀ tanh(W [q; k_j])
    W = rng.standard_normal((A, 2 * d + 1))
    context, weights = att.concat_attention(query, keys, values, W, v, mask)
    ref_c, ref_w = loop_attention(query, keys, values,
                                  lambda q, k: t(v) @ torch.tanh(t(W) @ torch.cat([q, k])), mask)
    np.testing.assert_allclose(context, ref_c, rtol=0, atol=1e-10)
    np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("B,Tq,Tk,d,d_v,A", ATT_SHAPES)
def test_multiplicative_attention_matches_the_loop_and_torch(B, Tq, Tk, d, d_v, A, masked):
    rng, query, keys, values, mask = _att_inputs(B, Tq, Tk, d, d_v, seed=B * Tq * Tk + A)
    mask = mask if masked else None
    # dot: qᵀ k_j, which is F.scaled_dot_product_attention with scale 1
    context, weights = att.multiplicative_attention(query, keys, values, mask=mask)
    ref_c, ref_w = loop_attention(query, keys, values, lambda q, k: q @ k, mask)
    np.testing.assert_allclose(context, ref_c, rtol=0, atol=1e-10)
    np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10)
    if not masked:
        sdpa = F.scaled_dot_product_attention(t(query), t(keys), t(values), scale=1.0).numpy()
        np.testing.assert_allclose(context, sdpa, rtol=0, atol=1e-10)
    # general: qᵀ W k_j
    keys_general = rng.standard_normal((B, Tk, A))
    W = rng.standard_normal((d, A))
    context, weights = att.multiplicative_attention(query, keys_general, values, W, mask)
    ref_c, ref_w = loop_attention(query, keys_general, values, lambda q, k: q @ t(W) @ k, mask)
    np.testing.assert_allclose(context, ref_c, rtol=0, atol=1e-10)
    np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10)


def test_single_query_equals_one_query_sequence():
    rng, query, keys, values, mask = _att_inputs(3, 1, 5, 4, 2, seed=9)
    A = 6
    W_q, W_k, v = rng.standard_normal((A, 4)), rng.standard_normal((A, 4)), rng.standard_normal(A)
    W = rng.standard_normal((4, 4))
    pad = rng.random((3, 5)) < 0.7
    for fn, args in [(att.additive_attention, (W_q, W_k, v)), (att.multiplicative_attention, ()),
                     (att.multiplicative_attention, (W,))]:
        c1, w1 = fn(query[:, 0], keys, values, *args, mask=pad)
        c, w = fn(query, keys, values, *args, mask=pad[:, None, :])
        assert c1.shape == (3, 2) and w1.shape == (3, 5)
        np.testing.assert_allclose(c1, c[:, 0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(w1, w[:, 0], rtol=0, atol=1e-14)


def test_score_functions_float32():
    rng, query, keys, values, _ = _att_inputs(2, 3, 4, 5, 2, seed=3)
    f32 = [a.astype(np.float32) for a in (query, keys, values)]
    W_q, W_k, v = (rng.standard_normal(s) for s in [(6, 5), (6, 5), (6,)])
    for fn, args in [(att.additive_attention, (W_q, W_k, v)), (att.multiplicative_attention, ())]:
        c64, _ = fn(query, keys, values, *args)
        c32, w32 = fn(*f32, *(a.astype(np.float32) for a in args))
        assert c32.dtype == w32.dtype == np.float32
        np.testing.assert_allclose(c32, c64, rtol=1e-5, atol=1e-5)


# --- local attention -------------------------------------------------------------------------------

def loop_local(query, keys, values, D, W, W_p=None, v_p=None):
    """Luong et al. (2015), eqs. (9)-(10), written per target step t in torch."""
    B, Tq, _ = query.shape
    S = keys.shape[1]
    q, k, v, Wt = t(query), t(keys), t(values), t(W)
    weights = torch.zeros(B, Tq, S, dtype=torch.float64)
    ps = torch.zeros(B, Tq, dtype=torch.float64)
    for b in range(B):
        for i in range(Tq):
            if W_p is None:
                p = float(i)  # local-m: p_t = t
            else:
                p = S * torch.sigmoid(t(v_p) @ torch.tanh(t(W_p) @ q[b, i]))
            ps[b, i] = p
            window = [s for s in range(S) if abs(s - float(p)) <= D]
            if not window:
                continue
            e = torch.stack([q[b, i] @ Wt @ k[b, s] for s in window])
            align = torch.softmax(e, 0)
            for j, s in enumerate(window):
                g = 1.0 if W_p is None else torch.exp(-(s - p) ** 2 / (2 * (D / 2) ** 2))
                weights[b, i, s] = align[j] * g
    return (weights @ v).numpy(), weights.numpy(), ps.numpy()


@pytest.mark.parametrize("predictive", [False, True])
@pytest.mark.parametrize("B,Tq,S,d,D", [(1, 1, 1, 1, 1), (2, 4, 7, 3, 1), (3, 6, 5, 2, 2),
                                        (2, 3, 9, 4, 3)])
def test_local_attention_matches_the_loop(B, Tq, S, d, D, predictive):
    rng = np.random.default_rng(B + Tq + S + d + D)
    query, keys = rng.standard_normal((B, Tq, d)), rng.standard_normal((B, S, d))
    values = rng.standard_normal((B, S, 2))
    W = rng.standard_normal((d, d))
    W_p, v_p = (rng.standard_normal((4, d)), rng.standard_normal(4)) if predictive else (None, None)
    context, weights, p = att.local_attention(query, keys, values, D, W, W_p, v_p)
    ref_c, ref_w, ref_p = loop_local(query, keys, values, D, W, W_p, v_p)
    np.testing.assert_allclose(p, ref_p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10)
    np.testing.assert_allclose(context, ref_c, rtol=0, atol=1e-10)
    # nothing outside the window
    s = np.arange(S)
    assert np.all(weights[np.abs(s - p[..., None]) > D] == 0)


def test_local_m_with_a_wide_window_is_global_attention():
    rng = np.random.default_rng(5)
    query, keys, values = (rng.standard_normal((2, 4, 3)) for _ in range(3))
    W = rng.standard_normal((3, 3))
    c_local, w_local, _ = att.local_attention(query, keys, values, D=10, W=W)
    c_global, w_global = att.multiplicative_attention(query, keys, values, W)
    np.testing.assert_allclose(c_local, c_global, rtol=0, atol=1e-14)
    np.testing.assert_allclose(w_local, w_global, rtol=0, atol=1e-14)


def test_local_attention_with_a_padding_mask():
    rng = np.random.default_rng(6)
    query, keys, values = (rng.standard_normal((2, 4, 3)) for _ in range(3))
    pad = np.ones((2, 4), bool)
    pad[1, 2:] = False  # the second source sentence has two padding positions
    c_local, w_local, _ = att.local_attention(query, keys, values, D=10, mask=pad)
    c_global, w_global = att.multiplicative_attention(query, keys, values, mask=pad[:, None, :])
    np.testing.assert_allclose(c_local, c_global, rtol=0, atol=1e-14)
    np.testing.assert_allclose(w_local, w_global, rtol=0, atol=1e-14)
    assert np.all(w_local[1, :, 2:] == 0)
    # local-m, D = 0: query t sees only key t, which is padding for t >= 2 in sentence 1
    c, w, _ = att.local_attention(query, keys, values, D=0, mask=pad)
    np.testing.assert_allclose(w[0], np.eye(4), rtol=0, atol=0)
    assert np.all(w[1, 2:] == 0) and np.all(c[1, 2:] == 0)


def test_integer_inputs_give_float_outputs():
    Q = np.arange(6).reshape(1, 2, 3)
    out, weights = att.scaled_dot_product_attention(Q, Q, Q)
    ref = F.scaled_dot_product_attention(*(t(Q.astype(float)) for _ in range(3))).numpy()
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(att.softmax(np.array([0, 1])), torch.softmax(t([0.0, 1.0]), 0).numpy())


# --- self-attention (Lin et al. 2017) and key-value attention (Daniluk et al. 2017) -------------

@pytest.mark.parametrize("B,n,two_u,d_a,r", [(1, 1, 1, 1, 1), (2, 5, 4, 3, 2), (3, 7, 6, 5, 4)])
def test_self_attention_matches_torch(B, n, two_u, d_a, r):
    rng = np.random.default_rng(n + r)
    H = rng.standard_normal((B, n, two_u))
    W_s1, W_s2 = rng.standard_normal((d_a, two_u)), rng.standard_normal((r, d_a))
    mask = np.ones((B, n), bool)
    mask[0, n // 2 + 1:] = False  # padding at the end of the first sentence
    M, A = att.self_attention(H, W_s1, W_s2, mask)
    Ht = t(H)
    scores = (t(W_s2) @ torch.tanh(t(W_s1) @ Ht.transpose(1, 2))).masked_fill(~t(mask)[:, None], -math.inf)
    A_ref = torch.softmax(scores, -1)
    np.testing.assert_allclose(A, A_ref.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(M, (A_ref @ Ht).numpy(), rtol=0, atol=1e-12)
    assert M.shape == (B, r, two_u) and A.shape == (B, r, n)
    eye = torch.eye(r, dtype=torch.float64)
    P_ref = ((A_ref @ A_ref.transpose(1, 2) - eye) ** 2).sum((1, 2))
    np.testing.assert_allclose(att.self_attention_penalty(A), P_ref.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("L", [None, 1, 3])
@pytest.mark.parametrize("B,T,k,A", [(1, 1, 1, 1), (2, 6, 3, 4), (3, 4, 2, 1)])
def test_key_value_attention_matches_the_loop(B, T, k, A, L):
    rng = np.random.default_rng(T + k + A)
    hidden = rng.standard_normal((B, T, 2 * k))
    W_y, W_h, w = rng.standard_normal((A, k)), rng.standard_normal((A, k)), rng.standard_normal(A)
    W_r, W_x = rng.standard_normal((k, k)), rng.standard_normal((k, k))
    h_star, weights = att.key_value_attention(hidden, W_y, W_h, w, W_r, W_x, L)
    # Daniluk et al. eqs. (10)-(13), per step, in torch
    h = t(hidden)
    ref_h = torch.zeros(B, T, k, dtype=torch.float64)
    ref_w = torch.zeros(B, T, T, dtype=torch.float64)
    for b in range(B):
        for i in range(T):
            key, value = h[b, i, :k], h[b, i, k:]
            lo = 0 if L is None else max(0, i - L)
            r = torch.zeros(k, dtype=torch.float64)
            if i > lo:  # a nonempty past window
                Y = h[b, lo:i, :k].T  # (k, window)
                M = torch.tanh(t(W_y) @ Y + (t(W_h) @ key)[:, None])
                alpha = torch.softmax(t(w) @ M, 0)
                r = h[b, lo:i, k:].T @ alpha
                ref_w[b, i, lo:i] = alpha
            ref_h[b, i] = torch.tanh(t(W_r) @ r + t(W_x) @ value)
    np.testing.assert_allclose(weights, ref_w.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(h_star, ref_h.numpy(), rtol=0, atol=1e-12)


# --- multi-head attention ----------------------------------------------------------------------

def make_mha(E, h, seed, dtype=torch.float64):
    torch.manual_seed(seed)
    module = torch.nn.MultiheadAttention(E, h, batch_first=True).to(dtype)
    with torch.no_grad():  # torch initialises the biases to zero, which hides bugs
        module.in_proj_bias.normal_()
        module.out_proj.bias.normal_()
    return module


MHA_SHAPES = [  # B, Tq, Tk, E, h
    (1, 1, 1, 1, 1), (2, 3, 4, 4, 4), (3, 5, 5, 6, 2), (2, 1, 6, 8, 1), (1, 7, 1, 6, 3),
    (4, 4, 3, 8, 8), (2, 6, 6, 12, 4),
]


@pytest.mark.parametrize("self_attention", [False, True])
@pytest.mark.parametrize("B,Tq,Tk,E,h", MHA_SHAPES)
def test_multi_head_attention_matches_torch(B, Tq, Tk, E, h, self_attention):
    params = numpy_state(make_mha(E, h, seed=B * 100 + Tq * 10 + E))
    rng = np.random.default_rng(B + Tq + Tk + E + h)
    query = rng.standard_normal((B, Tq, E))
    if self_attention:
        key = value = query
        Tk = Tq
    else:
        key, value = rng.standard_normal((B, Tk, E)), rng.standard_normal((B, Tk, E))
    masks = {"none": None, "causal": att.causal_mask(max(Tq, Tk))[:Tq, :Tk],
             "float": rng.standard_normal((Tq, Tk))}
    for name, mask in masks.items():
        out, weights = att.multi_head_attention(query, key, value, params, h, mask)
        ref_out, ref_w = torch_reference.multi_head_attention(query, key, value, params, h, mask)
        assert out.shape == (B, Tq, E) and weights.shape == (B, h, Tq, Tk)
        np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10, err_msg=name)


def test_multi_head_attention_key_padding_and_fully_masked_rows():
    B, Tq, Tk, E, h = 3, 4, 5, 6, 2
    params = numpy_state(make_mha(E, h, seed=1))
    rng = np.random.default_rng(1)
    query, key, value = (rng.standard_normal((B, T, E)) for T in (Tq, Tk, Tk))
    padding = np.zeros((B, Tk), bool)  # torch's key_padding_mask: True = padding
    padding[1, 3:] = True
    padding[2, :] = True  # sequence 2 is all padding: every query of it attends to nothing
    mask = ~padding[:, None, None, :]
    out, weights = att.multi_head_attention(query, key, value, params, h, mask)
    ref_out, ref_w = torch_reference.multi_head_attention(query, key, value, params, h, mask)
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10)
    np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10)
    assert np.all(weights[1, ..., 3:] == 0)
    # no key allowed: zero weights, so the output is out_proj.bias (torch itself gives NaN)
    assert np.all(weights[2] == 0)
    np.testing.assert_array_equal(out[2], np.broadcast_to(params["out_proj.bias"], (Tq, E)))


@pytest.mark.parametrize("B,h", [(3, 2), (2, 2), (1, 4)])
def test_multi_head_attention_per_sequence_mask(B, h):
    """A (B, Tq, Tk) mask (the assignment's API) is one mask per sequence, shared by the heads;
    also when B equals h, where broadcasting it against (B, h, Tq, Tk) would silently mix them."""
    Tq, Tk, E = 3, 4, 8
    params = numpy_state(make_mha(E, h, seed=3))
    rng = np.random.default_rng(3)
    query, key = rng.standard_normal((B, Tq, E)), rng.standard_normal((B, Tk, E))
    mask = rng.random((B, Tq, Tk)) < 0.7
    out, weights = att.multi_head_attention(query, key, key, params, h, mask)
    ref_out, ref_w = torch_reference.multi_head_attention(query, key, key, params, h, mask)
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10)
    np.testing.assert_allclose(weights, ref_w, rtol=0, atol=1e-10)


def test_multi_head_attention_float32():
    params = numpy_state(make_mha(16, 4, seed=2, dtype=torch.float32))
    x = np.random.default_rng(2).standard_normal((2, 9, 16)).astype(np.float32)
    out, weights = att.multi_head_attention(x, x, x, params, 4, att.causal_mask(9))
    ref_out, ref_w = torch_reference.multi_head_attention(x, x, x, params, 4, att.causal_mask(9))
    assert out.dtype == weights.dtype == np.float32
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(weights, ref_w, rtol=1e-5, atol=1e-5)


# --- bad input -------------------------------------------------------------------------------------

_rng = np.random.default_rng(0)
Q3, K3, V3 = _rng.standard_normal((2, 3, 4)), _rng.standard_normal((2, 5, 4)), _rng.standard_normal((2, 5, 6))
MHA_P = numpy_state(make_mha(4, 2, seed=0))
X4 = _rng.standard_normal((2, 3, 4))

BAD_CALLS = {
    "T must be a positive int": lambda: att.causal_mask(0),
    r"Q must have shape \(\.\.\., T, d\)": lambda: att.scaled_dot_product_attention(Q3[0, 0], K3, V3),
    r"K must have shape \(\.\.\., Tk, d_k\)": lambda: att.scaled_dot_product_attention(Q3, K3[..., :3], V3),
    r"V must have shape \(\.\.\., Tk, d_v\)": lambda: att.scaled_dot_product_attention(Q3, K3, V3[:, :4]),
    "mask must broadcast": lambda: att.scaled_dot_product_attention(Q3, K3, V3, np.ones((3, 4), bool)),
    "query must have shape": lambda: att.additive_attention(
        Q3[None], K3, V3, np.ones((2, 4)), np.ones((2, 4)), np.ones(2)),
    r"W_q must have shape \(A, d_q\)": lambda: att.additive_attention(
        Q3, K3, V3, np.ones((2, 3)), np.ones((2, 4)), np.ones(2)),
    r"W_k must have shape \(A, d_k\)": lambda: att.additive_attention(
        Q3, K3, V3, np.ones((2, 4)), np.ones((3, 4)), np.ones(2)),
    r"v must have shape \(A,\)": lambda: att.additive_attention(
        Q3, K3, V3, np.ones((2, 4)), np.ones((2, 4)), np.ones((2, 1))),
    "values must have shape": lambda: att.multiplicative_attention(Q3, K3, V3[:, :2]),
    "keys must have shape": lambda: att.multiplicative_attention(Q3, K3[..., :2], V3),
    r"W must have shape \(d_q, d_k\)": lambda: att.multiplicative_attention(Q3, K3, V3, np.ones((4, 3))),
    r"W must have shape \(A, d_q \+ d_k\)": lambda: att.concat_attention(
        Q3, K3, V3, np.ones((2, 4)), np.ones(2)),
    "D must be an int": lambda: att.local_attention(Q3, K3, V3, -1),
    "W_p and v_p must be given together": lambda: att.local_attention(Q3, K3, V3, 1, W_p=np.ones((2, 4))),
    r"mask must have shape \(B, S\)": lambda: att.local_attention(Q3, K3, V3, 1, mask=np.ones((2, 4), bool)),
    "positions must have shape": lambda: att.local_attention(Q3, K3, V3, 1, positions=np.arange(2)),
    r"H must have shape \(B, n, 2u\)": lambda: att.self_attention(Q3[0], np.ones((2, 4)), np.ones((1, 2))),
    r"W_s1 must have shape \(d_a, 2u\)": lambda: att.self_attention(Q3, np.ones((2, 3)), np.ones((1, 2))),
    r"W_s2 must have shape \(r, d_a\)": lambda: att.self_attention(Q3, np.ones((2, 4)), np.ones((1, 3))),
    r"hidden must have shape \(B, T, 2k\)": lambda: att.key_value_attention(
        Q3[..., :3], np.ones((2, 1)), np.ones((2, 1)), np.ones(2), np.ones((1, 1)), np.ones((1, 1))),
    r"W_r must have shape \(k, k\)": lambda: att.key_value_attention(
        Q3, np.ones((2, 2)), np.ones((2, 2)), np.ones(2), np.ones((2, 3)), np.ones((2, 2))),
    r"query must have shape \(B, T, E\)": lambda: att.multi_head_attention(X4[0], X4, X4, MHA_P, 2),
    "key and value must have shape": lambda: att.multi_head_attention(X4, X4, X4[:, :2], MHA_P, 2),
    "params is missing": lambda: att.multi_head_attention(
        X4, X4, X4, {k: v for k, v in MHA_P.items() if k != "in_proj_bias"}, 2),
    r"params\['in_proj_weight'\] must have shape \(24, 8\)": lambda: att.multi_head_attention(
        np.ones((2, 3, 8)), np.ones((2, 3, 8)), np.ones((2, 3, 8)), MHA_P, 2),
    "num_heads must be a positive int dividing E": lambda: att.multi_head_attention(X4, X4, X4, MHA_P, 3),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message]()
