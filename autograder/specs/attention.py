"""Trusted grading spec for the attention assignment (never shipped to students).

Every case is judged against PyTorch in float64 (`torch.softmax`,
`F.scaled_dot_product_attention`, `nn.MultiheadAttention`, and the additive and
multiplicative scores written in torch from their formulas) on inputs drawn from the
student's own seeded generator: fixed edge sizes (one query, one key, a batch of one,
feature size 1, one head, heads of size 1), a case with every size > 1, and random sizes.
Masks follow the notebook's convention: True = may attend; a query with no allowed key
gets zero weights and a zero context (PyTorch gives NaN there, so those rows are set here).
"""
import numpy as np
import torch
import torch.nn.functional as F

from seqbook.grading.spec import Failure, Spec, as_array, as_tuple, check_close

spec = Spec("attention")

SOFTMAX_HINT = ("Typical causes: the softmax taken over the wrong axis (use the `axis` argument for "
                "both the max and the sum, with keepdims=True), or not subtracting the max before np.exp "
                "(exp overflows to inf for large inputs, and inf/inf is nan).")
ADDITIVE_HINT = ("Typical causes: tanh missing (e_j = v . tanh(W_q q + W_k k_j)), W_q applied to the keys "
                 "or W_k to the query, the weights not transposed for row vectors (query @ W_q.T), the "
                 "softmax over the batch axis instead of the keys, or the context not the weighted sum "
                 "of the values.")
LARGE_HINT = ("With large inputs the usual cause is not subtracting the max before np.exp: exp(1000) "
              "overflows to inf, inf/inf is nan, and exp(-1e4) underflows to 0, so 0/0. Use "
              "softmax(x) = softmax(x - max(x)) with the max along `axis` (keepdims=True), not the max of "
              "the whole array (a slice far below it still underflows).")
MULTIPLICATIVE_HINT = ("Typical causes: W transposed (the score is q . (W k_j), with row vectors "
                       "keys @ W.T, W of shape (dq, dk)), a 1/sqrt(d) scaling added (Luong's scores "
                       "are not scaled), the softmax over the batch axis instead of the keys, or the "
                       "context not the weighted sum of the values.")
SDPA_HINT = ("Typical causes: missing 1/sqrt(d_k) (d = Q.shape[-1]), the softmax over the queries "
             "axis instead of the keys (the last axis), K not transposed, or the leading batch "
             "dimensions mixed up (use np.swapaxes(K, -1, -2), not K.T).")
MASK_HINT = ("Typical causes with a mask: the mask applied after the softmax (weights zeroed but not "
             "renormalised), the mask polarity inverted (True = may attend), the mask not broadcast "
             "to (..., Tq, Tk), or a fully masked query not given zero weights and a zero output "
             "(filling with -1e9 gives it uniform weights).")
CAUSAL_HINT = ("Query i may attend to keys j <= i: the lower triangle with the diagonal "
               "(np.tril), as a bool array; not the upper triangle, not without the diagonal.")
MHA_HINT = ("Typical causes: in_proj slices in the wrong order (rows 0:E are W_Q, E:2E W_K, 2E:3E W_V), "
            "heads split in the wrong order (reshape (B, T, E) to (B, T, h, d_head), then transpose to "
            "(B, h, T, d_head); not reshape straight to (B, h, T, d_head)), scaling by sqrt(E) "
            "instead of sqrt(d_head), the output projection out_proj missing, the weights averaged "
            "over the heads instead of returned per head, or an error in your "
            "scaled_dot_product_attention (see its test).")


# ----------------------------------------------------------------------------- helpers
def call(student, function, sizes, *args):
    """The student's result; a crash is reported with the sizes of the case."""
    try:
        return student.call(function, *args)
    except Failure as exc:
        raise Failure(f"{function} with {sizes}: {exc}") from None


def check(name, got, expected, hint):
    """check_close, with the hint also on a wrong shape or type."""
    try:
        check_close(name, got, expected, hint)
    except Failure as exc:
        message = str(exc)
        raise Failure(message if hint in message else f"{message}. {hint}") from None


def check_weights(name, got, expected, mask, hint):
    """Diagnose the masking first (the usual mistakes), then compare every weight."""
    got = as_array(got, name, None)
    if got.shape != expected.shape:
        check(name, got, expected, hint)  # fails, naming both shapes
    if mask is not None:
        mask = np.broadcast_to(mask, expected.shape)
        empty = ~mask.any(axis=-1)
        bad = np.argwhere(~mask & ~empty[..., None] & (got != 0))
        if len(bad):
            index = tuple(int(i) for i in bad[0])
            raise Failure(f"{name}: weight {got[index]:.6g} at {index} for a key the mask forbids "
                          f"(mask False); a masked key must get weight exactly 0. Is the mask polarity "
                          f"inverted (True = may attend)? {MASK_HINT}")
        rows = np.argwhere(empty & ~np.all(got == 0, axis=-1))
        if len(rows):
            index = tuple(int(i) for i in rows[0])
            raise Failure(f"{name}: query {index} has no allowed key (its mask row is all False), so its "
                          f"weights must all be 0 and its output zero; got {np.round(got[index], 4)}. "
                          f"Filling masked scores with -1e9 gives such a query uniform weights: handle "
                          f"it explicitly. {MASK_HINT}")
        sums = got.sum(axis=-1)
        bad = np.argwhere(~empty & ~np.isclose(sums, 1.0))
        if len(bad):
            index = tuple(int(i) for i in bad[0])
            raise Failure(f"{name}: the weights of query {index} sum to {sums[index]:.6g}, expected 1 over "
                          f"its allowed keys. Masking after the softmax leaves them unnormalised: give "
                          f"masked keys the score -inf before it. {MASK_HINT}")
        hint = f"{hint} {MASK_HINT}"
    check(name, got, expected, hint)


def random_mask(rng, shape):
    """True = may attend: query 0 of every sequence fully masked, query 1 partially, others random."""
    mask = rng.random(shape) < 0.6
    mask[..., 0, :] = False
    if shape[-2] > 1:
        mask[..., 1, :] = True  # one query with every key allowed
        if shape[-1] > 1:
            mask[..., 1, 0] = False  # ... but one: a partially masked row
    return mask


def make_mask(rng, kind, lead, Tq, Tk):
    """None, or a mask broadcastable to lead + (Tq, Tk) of the given kind: "full" (lead + (Tq, Tk)),
    "2d" ((Tq, Tk), shared by the batch), "keys" (a padding mask lead + (1, Tk) with lead[0] >= 3:
    sequence 0 may attend to no key at all, sequence 1 to all but its first key)."""
    if kind == "full":
        return random_mask(rng, lead + (Tq, Tk))
    if kind == "2d":
        return random_mask(rng, (Tq, Tk))
    if kind == "keys":
        mask = rng.random(lead + (1, Tk)) < 0.6
        mask[0], mask[1], mask[2] = False, True, True
        mask[1, ..., 0] = False
        return mask
    return None


def torch_masked_softmax(scores, mask):
    """Reference weights: softmax over the last axis with masked scores -inf; empty rows zero."""
    if mask is None:
        return torch.softmax(scores, dim=-1)
    mask = torch.as_tensor(np.broadcast_to(mask, tuple(scores.shape)).copy())
    empty = ~mask.any(dim=-1, keepdim=True)
    weights = torch.softmax(scores.masked_fill(~(mask | empty), float("-inf")), dim=-1)
    return weights.masked_fill(empty, 0.0)


def t(array):
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64))


# ----------------------------------------------------------------------------- softmax
@spec.test("test_softmax")
def softmax(student, rng):
    cases = [((1,), -1), ((1, 1), 0), ((int(rng.integers(2, 6)),), -1), ((3, int(rng.integers(2, 6))), -1),
             ((int(rng.integers(2, 5)), 3), 0), ((2, int(rng.integers(2, 5)), 3), 1),
             ((2, 3, int(rng.integers(2, 5))), -2), ((int(rng.integers(1, 4)), 4, 5), None)]
    for shape, axis in cases:
        x = 3 * rng.standard_normal(shape)
        if x.shape[-1] > 1 and x.ndim > 1 and axis in (-1, None):
            x[0, ..., 0] = -np.inf  # an impossible entry (probability 0) in one slice
        expected = torch.softmax(t(x), dim=-1 if axis is None else axis).numpy()
        args = (x,) if axis is None else (x, axis)
        sizes = f"x of shape {shape}, axis={-1 if axis is None else axis}"
        check(f"softmax with {sizes}", call(student, "softmax", sizes, *args), expected, SOFTMAX_HINT)
    large = [np.array([1000.0, 1000.0]), np.array([[-1e4, -1e4, -1e4 + 1], [1e4, 0.0, -1e4]]),
             rng.uniform(-1e4, 1e4, (3, int(rng.integers(2, 6)))), np.full((2, 3), 1e4)]
    for x in large:
        sizes = f"large inputs (|x| up to 1e4) of shape {x.shape}"
        got = call(student, "softmax", sizes, x)
        check(f"softmax with {sizes}", got, torch.softmax(t(x), dim=-1).numpy(), LARGE_HINT)
        if student.warnings:
            raise Failure(f"softmax with {sizes} warned: {student.warnings[0]}. Subtract the max along "
                          f"`axis` before np.exp, so that no exponent is positive.")


# ----------------------------------------------------------------------------- additive and multiplicative
def seq2seq_sizes(rng):
    """(B, T, dq, dk, dv, da): all ones, every size > 1 with dq = dk (so that a transposed W gives
    wrong numbers, not a crash), one with B = T = 1, then random ones."""
    cases = [(1, 1, 1, 1, 1, 1), (3, int(rng.integers(3, 7)), 3, 3, 2, 4), (1, 1, 2, 3, 2, 1),
             (2, 4, 2, 3, 3, 5)]
    cases += [tuple(int(v) for v in (rng.integers(1, 4), rng.integers(1, 8), rng.integers(1, 5),
                                     rng.integers(1, 5), rng.integers(1, 4), rng.integers(1, 6)))
              for _ in range(2)]
    return cases


def seq2seq_mask(rng, B, T):
    """(B, T), True = may attend: sequence 0 fully masked (when B > 1), the next one partially."""
    mask = rng.random((B, T)) < 0.6
    first = 0
    if B > 1:
        mask[0], first = False, 1
    mask[first] = True
    if T > 1:
        mask[first, 0] = False
    return mask


def describe_mask(mask):
    return "no mask" if mask is None else f"mask {mask.astype(int).tolist()} (1 = may attend)"


def seq2seq_problem(rng, B, T, dq, dk, dv):
    return rng.standard_normal((B, dq)), rng.standard_normal((B, T, dk)), rng.standard_normal((B, T, dv))


def judge_seq2seq(function, sizes, result, scores, values, mask, hint):
    context, weights = as_tuple(result, 2, function)
    expected = torch_masked_softmax(scores, mask)
    check_weights(f"{function} with {sizes}: weights", weights, expected.numpy(), mask, hint)
    expected_context = torch.einsum("bt,btd->bd", expected, t(values)).numpy()  # sum_j alpha_j v_j
    check(f"{function} with {sizes}: context", context, expected_context, hint)


@spec.test("test_additive_attention")
def additive(student, rng):
    for B, T, dq, dk, dv, da in seq2seq_sizes(rng):
        query, keys, values = seq2seq_problem(rng, B, T, dq, dk, dv)
        W_q, W_k, v = rng.standard_normal((da, dq)), rng.standard_normal((da, dk)), rng.standard_normal(da)
        # e_j = v . tanh(W_q q + W_k k_j)
        scores = torch.tanh((t(query) @ t(W_q).T)[:, None, :] + t(keys) @ t(W_k).T) @ t(v)  # (B, T)
        for mask in (None, seq2seq_mask(rng, B, T)):
            sizes = f"B={B}, T={T}, dq={dq}, dk={dk}, dv={dv}, da={da}, " + describe_mask(mask)
            args = (query, keys, values, W_q, W_k, v) + (() if mask is None else (mask,))
            judge_seq2seq("additive_attention", sizes, call(student, "additive_attention", sizes, *args),
                          scores, values, mask, ADDITIVE_HINT)


@spec.test("test_multiplicative_attention")
def multiplicative(student, rng):
    for B, T, dq, dk, dv, _ in seq2seq_sizes(rng):
        query, keys, values = seq2seq_problem(rng, B, T, dq, dk, dv)
        W = rng.standard_normal((dq, dk))
        for use_W in ((True, False) if dq == dk else (True,)):
            # e_j = q . W k_j (general), q . k_j (dot)
            scores = torch.einsum("bd,btd->bt", t(query), t(keys) @ t(W).T if use_W else t(keys))
            for mask in (None, seq2seq_mask(rng, B, T)):
                sizes = (f"B={B}, T={T}, dq={dq}, dk={dk}, dv={dv}, " + ("W (dq, dk)" if use_W else "W=None")
                         + ", " + describe_mask(mask))
                args = (query, keys, values, W if use_W else None) + (() if mask is None else (mask,))
                judge_seq2seq("multiplicative_attention", sizes,
                              call(student, "multiplicative_attention", sizes, *args), scores, values, mask,
                              MULTIPLICATIVE_HINT)


# ----------------------------------------------------------------------------- scaled dot-product attention
def torch_sdpa(Q, K, V, mask):
    """Reference (out, weights); outputs of fully masked queries set to zero (PyTorch gives NaN)."""
    Q, K, V = t(Q), t(K), t(V)
    weights = torch_masked_softmax(Q @ K.transpose(-1, -2) / np.sqrt(Q.shape[-1]), mask)
    if mask is None:
        out = F.scaled_dot_product_attention(Q, K, V)
    else:
        full = torch.as_tensor(np.broadcast_to(mask, tuple(weights.shape)).copy())
        empty = ~full.any(dim=-1, keepdim=True)
        out = F.scaled_dot_product_attention(Q, K, V, attn_mask=full | empty).masked_fill(empty, 0.0)
    return out.numpy(), weights.numpy()


@spec.test("test_scaled_dot_product_attention")
def sdpa(student, rng):
    r = lambda lo, hi: int(rng.integers(lo, hi))  # noqa: E731 - a random size in [lo, hi)
    # (leading dims, Tq, Tk, d, dv, mask shape: None, "full", "2d", "keys" (B, 1, Tk))
    cases = [((), 1, 1, 1, 1, None), ((1,), 1, r(2, 5), 2, 1, None),
             ((2, 3), r(2, 5), r(2, 6), 4, 3, None), ((r(1, 4),), r(2, 6), r(2, 6), r(1, 6), r(1, 4), None),
             ((2, 3), 4, 5, 3, 2, "full"), ((), 3, 4, 2, 2, "full"),
             ((r(1, 4),), r(2, 6), r(2, 6), 2, 3, "2d"),
             ((2, r(1, 4)), r(2, 5), r(2, 5), r(1, 5), r(1, 4), "full"),
             ((3,), 2, 1, 2, 2, "full"), ((3,), r(1, 5), r(2, 6), 2, 2, "keys")]
    for lead, Tq, Tk, d, dv, kind in cases:
        Q = rng.standard_normal(lead + (Tq, d))
        K, V = rng.standard_normal(lead + (Tk, d)), rng.standard_normal(lead + (Tk, dv))
        mask = make_mask(rng, kind, lead, Tq, Tk)
        sizes = (f"Q {Q.shape}, K {K.shape}, V {V.shape}, "
                 + ("no mask" if mask is None else f"mask of shape {mask.shape} (True = may attend)"))
        args = (Q, K, V) + (() if mask is None else (mask,))
        out, weights = as_tuple(call(student, "scaled_dot_product_attention", sizes, *args), 2,
                                "scaled_dot_product_attention")
        expected_out, expected_weights = torch_sdpa(Q, K, V, mask)
        name = f"scaled_dot_product_attention with {sizes}"
        check_weights(f"{name}: weights", weights, expected_weights, mask, SDPA_HINT)
        check(f"{name}: out", out, expected_out, SDPA_HINT if mask is None else f"{SDPA_HINT} {MASK_HINT}")


@spec.test("test_causal_mask")
def causal(student, rng):
    for T in (1, 2, int(rng.integers(3, 8)), int(rng.integers(8, 20))):
        got = call(student, "causal_mask", f"T={T}", T)
        if not isinstance(got, np.ndarray) or got.dtype != np.bool_:
            what = f"dtype {got.dtype}" if isinstance(got, np.ndarray) else type(got).__name__
            raise Failure(f"causal_mask({T}) must return a numpy array of dtype bool, got {what}. "
                          f"{CAUSAL_HINT}")
        expected = torch.ones(T, T, dtype=torch.bool).tril().numpy()
        if got.shape != expected.shape or not np.array_equal(got, expected):
            check(f"causal_mask({T}) (1 = may attend)", got, expected.astype(float), CAUSAL_HINT)


# ----------------------------------------------------------------------------- multi-head attention
def torch_mha(query, key, value, params, num_heads, mask):
    """nn.MultiheadAttention's (out, per-head weights); fully masked queries give out_proj.bias."""
    B, Tq, E = query.shape
    Tk = key.shape[1]
    module = torch.nn.MultiheadAttention(E, num_heads, batch_first=True, dtype=torch.float64)
    module.load_state_dict({k: t(v) for k, v in params.items()})
    attn_mask, empty = None, None
    if mask is not None:
        allowed = torch.as_tensor(np.broadcast_to(mask, (B, Tq, Tk)).copy())
        empty = ~allowed.any(dim=-1)  # (B, Tq)
        # PyTorch's boolean attn_mask means True = NOT allowed; a 3-D one is (B * num_heads, Tq, Tk)
        attn_mask = (~(allowed | empty[..., None])).repeat_interleave(num_heads, dim=0)
    with torch.no_grad():
        out, weights = module(t(query), t(key), t(value), attn_mask=attn_mask, need_weights=True,
                              average_attn_weights=False)
    if mask is not None:
        out = torch.where(empty[..., None], t(params["out_proj.bias"]), out)
        weights = weights.masked_fill(empty[:, None, :, None], 0.0)
    return out.numpy(), weights.numpy()


@spec.test("test_multi_head_attention")
def mha(student, rng):
    r = lambda lo, hi: int(rng.integers(lo, hi))  # noqa: E731 - a random size in [lo, hi)
    # (B, Tq, Tk, E, num_heads, mask shape: None, "full" (B, Tq, Tk), "2d" (Tq, Tk), "keys" (B, 1, Tk))
    cases = [(1, 1, 1, 1, 1, None), (1, 2, 3, 4, 4, None), (2, 3, 4, 6, 2, None), (2, 1, 3, 3, 1, None),
             (r(1, 4), r(2, 5), r(2, 5), 8, 2, None), (2, 3, 4, 6, 3, "full"), (1, 3, 2, 2, 2, "full"),
             (r(1, 4), r(2, 6), r(2, 6), 6, 2, "2d"), (3, r(1, 4), r(2, 5), 4, 2, "keys"),
             (r(1, 3), r(2, 5), r(2, 5), 5, 1, "full")]
    for B, Tq, Tk, E, h, kind in cases:
        query, key, value = (rng.standard_normal((B, Tq, E)), rng.standard_normal((B, Tk, E)),
                             rng.standard_normal((B, Tk, E)))
        k = 1 / np.sqrt(E)
        # as nn.MultiheadAttention initialises them, but with non-zero biases and larger in_proj weights
        params = {"in_proj_weight": rng.uniform(-2 * k, 2 * k, (3 * E, E)),
                  "in_proj_bias": rng.uniform(-k, k, 3 * E),
                  "out_proj.weight": rng.uniform(-k, k, (E, E)), "out_proj.bias": rng.uniform(-k, k, E)}
        mask = make_mask(rng, kind, (B,), Tq, Tk)
        sizes = (f"B={B}, Tq={Tq}, Tk={Tk}, E={E}, num_heads={h}, "
                 + ("no mask" if mask is None else f"mask of shape {mask.shape} (True = may attend)"))
        args = (query, key, value, params, h) + (() if mask is None else (mask,))
        result = call(student, "multi_head_attention", sizes, *args)
        out, weights = as_tuple(result, 2, "multi_head_attention")
        expected_out, expected_weights = torch_mha(query, key, value, params, h, mask)
        name = f"multi_head_attention with {sizes}"
        check_weights(f"{name}: weights (B, num_heads, Tq, Tk)", weights, expected_weights,
                      None if mask is None else np.broadcast_to(mask, (B, Tq, Tk))[:, None], MHA_HINT)
        check(f"{name}: out", out, expected_out, MHA_HINT)
