"""The numpy RNN against torch.nn.RNN (forward) and autograd (BPTT), in float64."""
import numpy as np
import pytest
import torch

from seqbook.nn import rnn


def torch_rnn_and_params(D, H, seed):
    torch.manual_seed(seed)
    module = torch.nn.RNN(D, H, nonlinearity="tanh").double()
    params = {k.removesuffix("_l0"): v.detach().numpy().copy()
              for k, v in module.state_dict().items()}
    return module, params


@pytest.mark.parametrize("T,B,D,H", [(1, 1, 1, 1), (5, 3, 4, 6), (17, 2, 3, 8), (4, 1, 7, 2)])
def test_forward_and_bptt_match_torch(T, B, D, H):
    module, params = torch_rnn_and_params(D, H, seed=T * 100 + H)
    rng = np.random.default_rng(T + B + D + H)
    X = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dH = rng.standard_normal((T, B, H))

    Hs, cache = rnn.rnn_forward(X, h0, params)
    grads = rnn.rnn_backward(dH, cache)

    Xt = torch.tensor(X, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, h_T = module(Xt, h0t)
    (out * torch.tensor(dH)).sum().backward()

    np.testing.assert_allclose(Hs, out.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(Hs[-1], h_T[0].detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads["X"], Xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grads["h0"], h0t.grad[0].numpy(), rtol=0, atol=1e-10)
    for name in rnn.PARAM_NAMES:
        expected = getattr(module, name + "_l0").grad.numpy()
        np.testing.assert_allclose(grads[name], expected, rtol=0, atol=1e-10, err_msg=name)


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
