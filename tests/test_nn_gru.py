"""The numpy GRU against torch.nn.GRUCell / nn.GRU (forward) and autograd (BPTT); the Cho et
al. (2014) formulation against an explicit torch loop and finite differences; parameter
counts against sum(p.numel()) of nn.GRU / nn.LSTM / nn.RNN.
"""
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from seqbook import torch_reference
from seqbook.nn import gru
from seqbook.nn.gru import GRUConfig
from seqbook.torch_reference import numpy_state

SHAPES = [(1, 1, 1, 1), (5, 3, 4, 6), (17, 2, 3, 8), (4, 1, 7, 2), (3, 4, 2, 1)]  # T, B, D, H
FORMULATIONS = [GRUConfig(), GRUConfig(formulation="cho")]


def random_inputs(T, B, D, H, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype)
            for shape in [(T, B, D), (B, H), (T, B, H), (B, H)]]


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_cell_forward_and_backward_match_torch_gru_cell(T, B, D, H, assert_grads_close):
    torch.manual_seed(B * 10 + H)
    params = numpy_state(torch.nn.GRUCell(D, H).double())
    X, h_prev, _, dh = random_inputs(T, B, D, H, seed=D + H)
    x = X[0]

    h, cache = gru.gru_cell_forward(x, h_prev, params)
    grads = gru.gru_cell_backward(dh, cache)
    h_ref, expected = torch_reference.gru_cell_gradients(x, h_prev, params, dh)

    np.testing.assert_allclose(h, h_ref, rtol=0, atol=1e-12)
    assert_grads_close(grads, expected, atol=1e-10)


@pytest.mark.parametrize("with_final_state_loss", [False, True])
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_forward_and_bptt_match_torch_gru(T, B, D, H, with_final_state_loss, assert_grads_close):
    torch.manual_seed(T * 100 + H)
    params = numpy_state(torch.nn.GRU(D, H).double(), "_l0")
    X, h0, dH, dh_T = random_inputs(T, B, D, H, seed=T + B + D + H)
    if not with_final_state_loss:
        dh_T = None

    Hs, cache = gru.gru_forward(X, h0, params)
    grads = gru.gru_backward(dH, cache, dh_T)
    H_ref, expected = torch_reference.gru_gradients(X, h0, params, dH, dh_T)

    np.testing.assert_allclose(Hs, H_ref, rtol=0, atol=1e-10)
    assert_grads_close(grads, expected, atol=1e-10)


def test_float32_stays_float32_and_matches_torch(assert_grads_close):
    T, B, D, H = 6, 3, 4, 5
    torch.manual_seed(0)
    params = numpy_state(torch.nn.GRU(D, H), "_l0")  # float32
    X, h0, dH, dh_T = random_inputs(T, B, D, H, seed=1, dtype=np.float32)

    Hs, cache = gru.gru_forward(X, h0, params)
    grads = gru.gru_backward(dH, cache, dh_T)
    H_ref, expected = torch_reference.gru_gradients(X, h0, params, dH, dh_T)

    assert Hs.dtype == np.float32
    assert {name: g.dtype for name, g in grads.items()} == dict.fromkeys(grads, np.float32)
    np.testing.assert_allclose(Hs, H_ref, rtol=1e-5, atol=1e-5)
    assert_grads_close(grads, expected, rtol=1e-5, atol=1e-5)


# --- the Cho et al. (2014) formulation: an explicit torch loop as the reference --------------

def torch_reference_gru(X, h0, p, formulation):
    """Both GRU formulations written out with torch ops, one step at a time, for autograd."""
    H = h0.shape[1]
    W_hr_hz, W_hn = p["weight_hh"][:2 * H], p["weight_hh"][2 * H:]
    b_hr_hz, b_hn = p["bias_hh"][:2 * H], p["bias_hh"][2 * H:]
    h, outputs = h0, []
    for x in X:
        a_ir, a_iz, a_in = (x @ p["weight_ih"].T + p["bias_ih"]).chunk(3, dim=1)
        a_hr, a_hz = (h @ W_hr_hz.T + b_hr_hz).chunk(2, dim=1)
        r = torch.sigmoid(a_ir + a_hr)
        z = torch.sigmoid(a_iz + a_hz)
        if formulation == "pytorch":
            n = torch.tanh(a_in + r * (h @ W_hn.T + b_hn))
        else:
            n = torch.tanh(a_in + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs)


def test_torch_reference_loop_is_torch_gru_for_pytorch_formulation():
    T, B, D, H = 5, 3, 4, 6
    torch.manual_seed(7)
    module = torch.nn.GRU(D, H).double()
    p = {k.removesuffix("_l0"): v for k, v in module.state_dict().items()}
    X, h0 = (torch.tensor(a) for a in random_inputs(T, B, D, H, seed=7)[:2])
    with torch.no_grad():
        out_ref, _ = module(X, h0[None])
    torch.testing.assert_close(torch_reference_gru(X, h0, p, "pytorch"), out_ref,
                               rtol=0, atol=1e-12)
    # the Cho loop is a different function of the same weights ...
    assert (torch_reference_gru(X, h0, p, "cho") - out_ref).abs().max() > 1e-3
    # ... equal to nn.GRU exactly when the reset gate is open (r = 1): r ⊙ W h = W (r ⊙ h)
    p_open = {**p, "bias_ih": p["bias_ih"].clone()}
    p_open["bias_ih"][:H] = 60.0  # σ(60 + ...) rounds to 1 in float64
    with torch.no_grad():
        module.bias_ih_l0[:H] = 60.0
        out_open, _ = module(X, h0[None])
    torch.testing.assert_close(torch_reference_gru(X, h0, p_open, "cho"), out_open,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("config", FORMULATIONS, ids=repr)
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_both_formulations_match_torch_loop_autograd(T, B, D, H, config):
    params = gru.init_gru_params(D, H, np.random.default_rng(T + H))
    X, h0, dH, dh_T = random_inputs(T, B, D, H, seed=11 + B)

    Hs, cache = gru.gru_forward(X, h0, params, config)
    grads = gru.gru_backward(dH, cache, dh_T)

    pt = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    Xt, h0t = (torch.tensor(a, requires_grad=True) for a in (X, h0))
    out = torch_reference_gru(Xt, h0t, pt, config.formulation)
    ((out * torch.tensor(dH)).sum() + (out[-1] * torch.tensor(dh_T)).sum()).backward()

    np.testing.assert_allclose(Hs, out.detach().numpy(), rtol=0, atol=1e-10)
    for name, tensor in (("X", Xt), ("h0", h0t), *pt.items()):
        np.testing.assert_allclose(grads[name], tensor.grad.numpy(), rtol=0, atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("config", FORMULATIONS, ids=repr)
def test_backward_matches_finite_differences(config):
    T, B, D, H = 4, 2, 3, 3
    params = gru.init_gru_params(D, H, np.random.default_rng(5))
    X, h0, dH, _ = random_inputs(T, B, D, H, seed=5)
    _, cache = gru.gru_forward(X, h0, params, config)
    grads = gru.gru_backward(dH, cache)

    def loss(X, h0, params):
        return np.sum(gru.gru_forward(X, h0, params, config)[0] * dH)

    eps = 1e-6
    arrays = {"X": X, "h0": h0, **params}
    for name, array in arrays.items():
        numeric = np.empty_like(array)
        for index in np.ndindex(array.shape):
            values = []
            for sign in (1, -1):
                shifted = array.copy()
                shifted[index] += sign * eps
                args = {**arrays, name: shifted}
                values.append(loss(args.pop("X"), args.pop("h0"), args))
            numeric[index] = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_cho_formulation_changes_the_output_and_agrees_when_the_reset_gate_is_open():
    T, B, D, H = 6, 3, 4, 5
    params = gru.init_gru_params(D, H, np.random.default_rng(3))
    X, h0, _, _ = random_inputs(T, B, D, H, seed=3)
    H_pt, _ = gru.gru_forward(X, h0, params)
    H_cho, _ = gru.gru_forward(X, h0, params, GRUConfig(formulation="cho"))
    assert np.abs(H_pt - H_cho).max() > 1e-3
    params["bias_ih"][:H] = 60.0  # r = 1: both formulations are the same function
    H_pt, _ = gru.gru_forward(X, h0, params)
    H_cho, _ = gru.gru_forward(X, h0, params, GRUConfig(formulation="cho"))
    np.testing.assert_allclose(H_pt, H_cho, rtol=0, atol=1e-12)


def test_update_gate_convention_z_one_keeps_the_state():
    """z = 1 copies h_{t-1} (Cho's h = z h_{t-1} + (1 - z) h̃ and PyTorch's agree)."""
    T, B, D, H = 5, 2, 3, 4
    X, h0, _, _ = random_inputs(T, B, D, H, seed=4)
    for config in FORMULATIONS:
        params = gru.init_gru_params(D, H, np.random.default_rng(4))
        params["bias_ih"][H:2 * H] = 60.0  # z = 1
        Hs, _ = gru.gru_forward(X, h0, params, config)
        np.testing.assert_allclose(Hs, np.broadcast_to(h0, Hs.shape), rtol=0, atol=1e-12)
        params["bias_ih"][H:2 * H] = -60.0  # z = 0: h_t = n_t, in (-1, 1)
        Hs, _ = gru.gru_forward(X, 10 * h0, params, config)
        assert np.all(np.abs(Hs) < 1)


def test_no_overflow_warnings_for_huge_inputs():
    T, B, D, H = 4, 2, 3, 5
    X, h0, dH, _ = random_inputs(T, B, D, H, seed=5)
    params = gru.init_gru_params(D, H, np.random.default_rng(5))
    for config in FORMULATIONS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Hs, cache = gru.gru_forward(1e4 * X, 1e4 * h0, params, config)
            grads = gru.gru_backward(dH, cache)
        assert np.all(np.isfinite(Hs)) and all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_gru_params(dtype):
    D, H = 3, 5
    params = gru.init_gru_params(D, H, np.random.default_rng(0), dtype)
    torch.manual_seed(0)
    reference = {k: tuple(v.shape) for k, v in torch.nn.GRUCell(D, H).state_dict().items()}
    assert {name: p.shape for name, p in params.items()} == reference
    k = 1 / np.sqrt(H)
    for p in params.values():
        assert p.dtype == dtype and np.all(np.abs(p) <= k) and np.std(p) > 0.1 * k


# --- bad input --------------------------------------------------------------------------------

def _args():
    T, B, D, H = 3, 2, 4, 5
    X, h0, dH, _ = random_inputs(T, B, D, H, seed=0)
    params = gru.init_gru_params(D, H, np.random.default_rng(0))
    cache = gru.gru_forward(X, h0, params)[1]
    return SimpleNamespace(X=X, h0=h0, dH=dH, params=params, cache=cache)


def _with(params, **changes):
    return {**params, **changes}


BAD_CALLS = {
    r"X must have shape \(T, B, D\)": lambda a: gru.gru_forward(a.X[0], a.h0, a.params),
    r"h0 must have shape \(B, H\) = \(2, 5\)": lambda a: gru.gru_forward(
        a.X, a.h0[:1], a.params),
    r"weight_ih'\] must have shape \(15, 3\)": lambda a: gru.gru_forward(
        a.X[..., :3], a.h0, a.params),
    r"weight_hh'\] must have shape \(3H, H\)": lambda a: gru.gru_forward(
        a.X, a.h0, _with(a.params, weight_hh=np.zeros((20, 5)))),
    r"weight_hh'\] must have shape \(15, 5\)": lambda a: gru.gru_forward(
        a.X, a.h0, _with(a.params, weight_hh=np.zeros((15, 4)))),
    r"bias_hh'\] must have shape \(15,\)": lambda a: gru.gru_forward(
        a.X, a.h0, _with(a.params, bias_hh=np.zeros(5))),
    "params is missing.*bias_ih": lambda a: gru.gru_forward(
        a.X, a.h0, {k: v for k, v in a.params.items() if k != "bias_ih"}),
    r"x must have shape \(B, D\)": lambda a: gru.gru_cell_forward(a.X, a.h0, a.params),
    r"h_prev must have shape \(B, H\)": lambda a: gru.gru_cell_forward(
        a.X[0], a.h0.T, a.params),
    "dH must have the shape of H": lambda a: gru.gru_backward(a.dH[1:], a.cache),
    r"dh_T must have shape \(B, H\)": lambda a: gru.gru_backward(a.dH, a.cache, dh_T=a.dH),
    "formulation must be one of": lambda a: GRUConfig(formulation="keras"),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message](_args())
