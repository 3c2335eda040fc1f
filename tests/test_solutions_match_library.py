"""The instructor solutions compute what `seqbook.nn` computes, so the book and the
assignments teach one thing (the library itself is checked against PyTorch elsewhere)."""
import nbformat
import numpy as np
import pytest

from nbgrader_course import ROOT
from seqbook.nn import attention, bert, functional, gru, lstm, rnn


def solution_namespace(name):
    """Run the setup and solution cells of solutions/<name> (not the tests) and return what they define."""
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    namespace = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            exec(cell.source, namespace)
    return namespace


def assert_same(ours, theirs):
    if isinstance(theirs, dict):
        assert set(ours) >= set(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def rnn_problem(rng, T=5, B=3, D=2, H=4, gates=1):
    k = 1 / np.sqrt(H)
    params = {"weight_ih": rng.uniform(-k, k, (gates * H, D)), "weight_hh": rng.uniform(-k, k, (gates * H, H)),
              "bias_ih": rng.uniform(-k, k, gates * H), "bias_hh": rng.uniform(-k, k, gates * H)}
    return rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), params, rng.standard_normal((T, B, H))


def test_rnn_bptt():
    s = solution_namespace("rnn_bptt")
    X, h0, params, dH = rnn_problem(np.random.default_rng(0))
    H, cache = rnn.rnn_forward(X, h0, params)
    assert_same(s["rnn_forward"](X, h0, params)[0], H)
    assert_same(s["rnn_backward"](dH, s["rnn_forward"](X, h0, params)[1]), rnn.rnn_backward(dH, cache))
    assert_same(s["rnn_rtrl_gradient"](X, h0, params, dH), rnn.rtrl_gradients(X, h0, params, dH))
    for tau in (1, 2, 7):
        assert_same(s["truncated_bptt_gradient"](X, h0, params, dH, tau),
                    rnn.truncated_bptt_gradients(X, h0, params, dH, tau))


def test_lstm():
    s = solution_namespace("lstm")
    rng = np.random.default_rng(1)
    X, h0, params, dH = rnn_problem(rng, gates=4)
    c0 = rng.standard_normal(h0.shape)
    x = np.linspace(-1e3, 1e3, 11)
    assert_same(s["sigmoid"](x), functional.sigmoid(x))
    assert_same(s["lstm_cell_forward"](X[0], h0, c0, params), lstm.lstm_cell_forward(X[0], h0, c0, params)[:2])
    H, final, cache = lstm.lstm_forward(X, h0, c0, params)
    H_s, final_s, cache_s = s["lstm_forward"](X, h0, c0, params)
    assert_same((H_s, final_s), (H, final))
    assert_same(s["lstm_backward"](dH, cache_s), lstm.lstm_backward(dH, cache))
    ours = s["init_lstm_params"](3, 5, np.random.default_rng(2), forget_bias=2.0)
    theirs = lstm.init_lstm_params(3, 5, np.random.default_rng(2), forget_bias=2.0)
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
    assert_same(ours["bias_ih"][5:10] + ours["bias_hh"][5:10], theirs["bias_ih"][5:10] + theirs["bias_hh"][5:10])


def test_gru():
    s = solution_namespace("gru")
    X, h0, params, dH = rnn_problem(np.random.default_rng(3), gates=3)
    assert_same(s["gru_cell_forward"](X[0], h0, params), gru.gru_cell_forward(X[0], h0, params)[0])
    H, cache = gru.gru_forward(X, h0, params)
    H_s, cache_s = s["gru_forward"](X, h0, params)
    assert_same(H_s, H)
    assert_same(s["gru_backward"](dH, cache_s), gru.gru_backward(dH, cache))
    for D, n in [(1, 1), (7, 5), (128, 256)]:
        assert s["gru_param_count"](D, n) == gru.gru_param_count(D, n)
        assert s["lstm_param_count"](D, n) == lstm.lstm_param_count(D, n)


def test_attention():
    s = solution_namespace("attention")
    rng = np.random.default_rng(4)
    B, Tq, Tk, d, dv, E, heads = 2, 3, 5, 4, 6, 8, 2
    Q, K, V = rng.standard_normal((B, Tq, d)), rng.standard_normal((B, Tk, d)), rng.standard_normal((B, Tk, dv))
    mask = rng.random((B, Tq, Tk)) < 0.6
    mask[0, 1] = False  # a query that may attend to nothing
    x = rng.standard_normal((B, Tk)) * 1e3
    assert_same(s["softmax"](x), functional.softmax(x))
    assert_same(s["scaled_dot_product_attention"](Q, K, V, mask), attention.scaled_dot_product_attention(Q, K, V, mask))
    assert np.array_equal(s["causal_mask"](4), attention.causal_mask(4))
    query, key_mask = rng.standard_normal((B, 3)), rng.random((B, Tk)) < 0.7
    W_q, W_k, v = rng.standard_normal((5, 3)), rng.standard_normal((5, d)), rng.standard_normal(5)
    assert_same(s["additive_attention"](query, K, V, W_q, W_k, v, key_mask),
                attention.additive_attention(query, K, V, W_q, W_k, v, key_mask))
    W = rng.standard_normal((3, d))
    assert_same(s["multiplicative_attention"](query, K, V, W, key_mask),
                attention.multiplicative_attention(query, K, V, W, key_mask))
    params = {"in_proj_weight": rng.standard_normal((3 * E, E)), "in_proj_bias": rng.standard_normal(3 * E),
              "out_proj.weight": rng.standard_normal((E, E)), "out_proj.bias": rng.standard_normal(E)}
    q, kv = rng.standard_normal((B, Tq, E)), rng.standard_normal((B, Tk, E))
    assert_same(s["multi_head_attention"](q, kv, kv, params, heads, mask),
                attention.multi_head_attention(q, kv, kv, params, heads, mask))


def test_bert_masking():
    s = solution_namespace("bert_masking")
    rng = np.random.default_rng(5)
    for len_a, len_b, max_len in [(3, 2, 12), (9, 4, 10), (5, 5, 9), (0, 7, 6)]:
        a, b = list(rng.integers(5, 50, len_a)), list(rng.integers(5, 50, len_b))
        assert_same(s["build_bert_inputs"](a, b, max_len), bert.build_bert_inputs(a, b, max_len))
    logits, labels = rng.standard_normal((2, 6, 11)) * 50, rng.integers(0, 11, (2, 6))
    labels[0, :4] = -100
    assert_same(s["mlm_loss"](logits, labels), bert.mlm_loss(logits, labels))
    # The random parts draw in their own order; both keep the same rules (checked statistically
    # against the assignment's trusted spec in tests/test_assignments.py and tests/test_nn_bert.py).
    ids = rng.integers(0, 40, (64, 32))
    for mask_tokens in (s["mask_tokens"], bert.mask_tokens):
        masked, labels = mask_tokens(ids, 40, np.random.default_rng(6))
        selected = labels != -100
        assert np.all(ids[selected] >= 5) and np.array_equal(labels[selected], ids[selected])
        assert np.array_equal(masked[~selected], ids[~selected])
