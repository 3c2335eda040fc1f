"""The numpy RNN against torch.nn.RNN (forward) and autograd (BPTT), in float64."""
import numpy as np
import pytest
import torch

from seqbook import torch_reference
from seqbook.nn import rnn
from seqbook.torch_reference import numpy_state


@pytest.mark.parametrize("T,B,D,H", [(1, 1, 1, 1), (5, 3, 4, 6), (17, 2, 3, 8), (4, 1, 7, 2)])
def test_forward_and_bptt_match_torch(T, B, D, H, assert_grads_close):
    torch.manual_seed(T * 100 + H)
    params = numpy_state(torch.nn.RNN(D, H, nonlinearity="tanh").double(), "_l0")
    rng = np.random.default_rng(T + B + D + H)
    X = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dH = rng.standard_normal((T, B, H))

    Hs, cache = rnn.rnn_forward(X, h0, params)
    grads = rnn.rnn_backward(dH, cache)
    H_ref, expected = torch_reference.rnn_gradients(X, h0, params, dH)

    np.testing.assert_allclose(Hs, H_ref, rtol=0, atol=1e-12)
    assert_grads_close(grads, expected, atol=1e-10)


def test_float32_stays_float32():
    params = rnn.init_rnn_params(3, 4, np.random.default_rng(0), dtype=np.float32)
    X = np.ones((2, 1, 3), np.float32)
    Hs, cache = rnn.rnn_forward(X, np.zeros((1, 4), np.float32), params)
    assert Hs.dtype == np.float32
    assert rnn.rnn_backward(np.ones_like(Hs), cache)["weight_hh"].dtype == np.float32


@pytest.mark.parametrize("bad,message", [
    ("X", "X must have shape"), ("h0", "h0 must have shape"), ("weight_hh", "weight_hh"),
])
def test_bad_shapes_name_the_argument(bad, message):
    params = rnn.init_rnn_params(3, 4, np.random.default_rng(0))
    X, h0 = np.zeros((2, 1, 3)), np.zeros((1, 4))
    if bad == "X":
        X = np.zeros((2, 3))
    elif bad == "h0":
        h0 = np.zeros((2, 4))
    else:
        params["weight_hh"] = np.zeros((4, 3))
    with pytest.raises(ValueError, match=message):
        rnn.rnn_forward(X, h0, params)


# ---------------------------------------------------------------------------------------
# Truncated BPTT, RTRL and Schmidhuber's hybrid against autograd (seqbook.torch_reference).
# ---------------------------------------------------------------------------------------

# (T, B, D, H), with the edge cases T = 1, B = 1, D = 1, H = 1
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 1, 1), (6, 2, 3, 4), (9, 3, 2, 5), (4, 2, 5, 1),
          (7, 1, 1, 3), (3, 4, 3, 2)]
SHAPE_IDS = [f"T{T}-B{B}-D{D}-H{H}" for T, B, D, H in SHAPES]


def problem(T, B, D, H, seed=0, dtype=np.float64):
    """Random inputs, initial state, nn.RNN-initialised parameters and dL/dH."""
    rng = np.random.default_rng(seed)
    params = rnn.init_rnn_params(D, H, rng, dtype=dtype)
    return (rng.standard_normal((T, B, D)).astype(dtype),
            rng.standard_normal((B, H)).astype(dtype), params,
            rng.standard_normal((T, B, H)).astype(dtype))


def assert_same_gradients(got, expected, atol=1e-10, rtol=0.0, what=""):
    assert set(rnn.GRAD_NAMES) <= set(got), f"{what}: missing {set(rnn.GRAD_NAMES) - set(got)}"
    for name in rnn.GRAD_NAMES:
        assert got[name].shape == np.shape(expected[name]), f"{what}: {name} shape"
        np.testing.assert_allclose(got[name], expected[name], rtol=rtol, atol=atol,
                                   err_msg=f"{what}: gradient of {name}")


def torch_chunked_gradients(X, h0, params, dH, tau):
    """Autograd on the graph a PyTorch training loop builds with truncation every tau steps:
    nn.RNN runs chunk by chunk and the state is detached between chunks."""
    module = torch_reference.rnn_module(params)
    Xt = torch.tensor(X, dtype=torch.float64)
    h0t = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    h = h0t[None]  # (1, B, H)
    for start in range(0, len(X), tau):
        out, h = module(Xt[start:start + tau], h)
        (out * torch.tensor(dH[start:start + tau], dtype=torch.float64)).sum().backward()
        h = h.detach()
    grads = {name: getattr(module, f"{name}_l0").grad.numpy() for name in rnn.PARAM_NAMES}
    grads["h0"] = h0t.grad.numpy()
    return grads


@pytest.mark.parametrize("T,B,D,H", SHAPES, ids=SHAPE_IDS)
def test_bptt_and_rtrl_give_the_autograd_gradient(T, B, D, H):
    X, h0, params, dH = problem(T, B, D, H, seed=T * 1000 + B * 100 + D * 10 + H)
    _, expected = torch_reference.rnn_gradients(X, h0, params, dH)
    assert_same_gradients(rnn.bptt_gradients(X, h0, params, dH), expected, what="BPTT")
    assert_same_gradients(rnn.rtrl_gradients(X, h0, params, dH), expected, what="RTRL")


@pytest.mark.parametrize("T,B,D,H", SHAPES, ids=SHAPE_IDS)
def test_hybrid_gives_the_autograd_gradient_for_every_block_length(T, B, D, H):
    X, h0, params, dH = problem(T, B, D, H, seed=T + 7 * H)
    _, expected = torch_reference.rnn_gradients(X, h0, params, dH)
    for block in sorted({1, 2, 3, T, T + 3}):
        assert_same_gradients(rnn.hybrid_gradients(X, h0, params, dH, block), expected,
                              what=f"hybrid, block={block}")


@pytest.mark.parametrize("T,B,D,H", SHAPES, ids=SHAPE_IDS)
def test_truncated_bptt_equals_williams_peng_reference(T, B, D, H):
    X, h0, params, dH = problem(T, B, D, H, seed=3 * T + H)
    for tau in sorted({1, 2, 3, T, T + 2}):
        expected = torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau)
        assert_same_gradients(rnn.truncated_bptt_gradients(X, h0, params, dH, tau), expected,
                              what=f"truncated BPTT, tau={tau}")


@pytest.mark.parametrize("T,B,D,H", SHAPES, ids=SHAPE_IDS)
def test_chunked_bptt_equals_autograd_with_detached_chunks(T, B, D, H):
    X, h0, params, dH = problem(T, B, D, H, seed=5 * T + B)
    for tau in sorted({1, 2, 3, T, T + 2}):
        expected = torch_chunked_gradients(X, h0, params, dH, tau)
        assert_same_gradients(rnn.chunked_bptt_gradients(X, h0, params, dH, tau), expected,
                              what=f"chunked BPTT, tau={tau}")


def test_random_shapes_all_algorithms():
    """A seeded loop over random shapes, truncation and block lengths."""
    rng = np.random.default_rng(2024)
    for trial in range(12):
        T, B, D, H = (int(n) for n in rng.integers(1, [12, 4, 5, 7]))
        tau, block = (int(n) for n in rng.integers(1, T + 3, size=2))
        X, h0, params, dH = problem(T, B, D, H, seed=trial)
        what = f"trial {trial}: T={T} B={B} D={D} H={H}"
        _, full = torch_reference.rnn_gradients(X, h0, params, dH)
        assert_same_gradients(rnn.rtrl_gradients(X, h0, params, dH), full, what=f"RTRL, {what}")
        assert_same_gradients(rnn.hybrid_gradients(X, h0, params, dH, block), full,
                              what=f"hybrid, block={block}, {what}")
        assert_same_gradients(rnn.truncated_bptt_gradients(X, h0, params, dH, tau),
                              torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau),
                              what=f"truncated, tau={tau}, {what}")
        assert_same_gradients(rnn.chunked_bptt_gradients(X, h0, params, dH, tau),
                              torch_chunked_gradients(X, h0, params, dH, tau),
                              what=f"chunked, tau={tau}, {what}")


def test_the_two_truncations_agree_only_at_the_extremes():
    X, h0, params, dH = problem(8, 2, 3, 4, seed=11)
    _, full = torch_reference.rnn_gradients(X, h0, params, dH)
    # tau = 1: both keep only each step's local term
    assert_same_gradients(rnn.chunked_bptt_gradients(X, h0, params, dH, 1),
                          rnn.truncated_bptt_gradients(X, h0, params, dH, 1), atol=1e-12)
    # tau >= T: both are full BPTT
    for tau in (8, 20):
        assert_same_gradients(rnn.truncated_bptt_gradients(X, h0, params, dH, tau), full)
        assert_same_gradients(rnn.chunked_bptt_gradients(X, h0, params, dH, tau), full)
    # in between they are different approximations, and both differ from the full gradient
    truncated = rnn.truncated_bptt_gradients(X, h0, params, dH, 3)
    chunked = rnn.chunked_bptt_gradients(X, h0, params, dH, 3)
    assert not np.allclose(truncated["weight_hh"], chunked["weight_hh"])
    assert not np.allclose(truncated["weight_hh"], full["weight_hh"])
    assert not np.allclose(chunked["weight_hh"], full["weight_hh"])


GRADIENT_FUNCTIONS = {
    "bptt": rnn.bptt_gradients,
    "rtrl": rnn.rtrl_gradients,
    "truncated": lambda X, h0, p, dH: rnn.truncated_bptt_gradients(X, h0, p, dH, tau=2),
    "chunked": lambda X, h0, p, dH: rnn.chunked_bptt_gradients(X, h0, p, dH, tau=2),
    "hybrid": lambda X, h0, p, dH: rnn.hybrid_gradients(X, h0, p, dH, block=2),
}


@pytest.mark.parametrize("name", GRADIENT_FUNCTIONS)
def test_float32_in_float32_out(name):
    function = GRADIENT_FUNCTIONS[name]
    X, h0, params, dH = problem(7, 2, 3, 5, seed=8, dtype=np.float32)
    got = function(X, h0, params, dH)
    as64 = {k: v.astype(np.float64) for k, v in params.items()}
    expected = function(X.astype(np.float64), h0.astype(np.float64), as64, dH.astype(np.float64))
    for key in rnn.GRAD_NAMES:
        assert got[key].dtype == np.float32, f"{name}: {key} is {got[key].dtype}"
    assert_same_gradients(got, expected, atol=1e-5, rtol=1e-4, what=f"{name} float32")


@pytest.mark.parametrize("name", GRADIENT_FUNCTIONS)
@pytest.mark.parametrize("bad,message", [
    ("X", "X must have shape"), ("h0", "h0 must have shape"), ("dH", r"dH must have shape"),
    ("weight_ih", r"params\['weight_ih'\] must have shape"), ("missing", "params is missing"),
    ("T=0", "X must have at least one time step"),
])
def test_gradient_functions_name_the_bad_argument(name, bad, message):
    X, h0, params, dH = problem(4, 2, 3, 5)
    if bad == "X":
        X = X[:, 0]
    elif bad == "h0":
        h0 = h0[:1]
    elif bad == "dH":
        dH = dH[:-1]
    elif bad == "weight_ih":
        params["weight_ih"] = params["weight_ih"].T
    elif bad == "T=0":
        X, dH = X[:0], dH[:0]
    else:
        del params["bias_hh"]
    with pytest.raises(ValueError, match=message):
        GRADIENT_FUNCTIONS[name](X, h0, params, dH)


@pytest.mark.parametrize("function,argument", [
    (rnn.truncated_bptt_gradients, "tau"), (rnn.chunked_bptt_gradients, "tau"),
    (rnn.hybrid_gradients, "block"),
])
@pytest.mark.parametrize("value", [0, -1, 1.5, True, None])
def test_lengths_must_be_positive_integers(function, argument, value):
    X, h0, params, dH = problem(4, 2, 3, 5)
    with pytest.raises(ValueError, match=f"{argument} must be an integer >= 1"):
        function(X, h0, params, dH, value)
