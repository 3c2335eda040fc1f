"""The PyTorch references that assignments are graded against, checked independently."""
import numpy as np
import pytest

from seqbook import torch_reference
from seqbook.nn import rnn


def problem(T, B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, B, D)), rng.standard_normal((B, H)),
            rnn.init_rnn_params(D, H, rng), rng.standard_normal((T, B, H)))


def test_full_gradients_match_numpy_bptt():
    X, h0, params, dH = problem(6, 2, 3, 4)
    H, grads = torch_reference.rnn_gradients(X, h0, params, dH)
    H_np, cache = rnn.rnn_forward(X, h0, params)
    np.testing.assert_allclose(H, H_np, atol=1e-12)
    for name, value in rnn.rnn_backward(dH, cache).items():
        np.testing.assert_allclose(grads[name], value, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("tau", [6, 7, 100])
def test_truncation_at_or_beyond_T_is_full_bptt(tau):
    X, h0, params, dH = problem(6, 2, 3, 4, seed=1)
    _, full = torch_reference.rnn_gradients(X, h0, params, dH)
    truncated = torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau)
    for name in truncated:
        np.testing.assert_allclose(truncated[name], full[name], atol=1e-10, err_msg=name)


def test_tau_one_keeps_only_the_local_term():
    X, h0, params, dH = problem(5, 3, 2, 4, seed=2)
    H, _ = rnn.rnn_forward(X, h0, params)
    H_prev = np.concatenate([h0[None], H[:-1]])
    dA = dH * (1 - H ** 2)  # through tanh only, nothing from later steps
    expected = {"weight_ih": np.einsum("tbh,tbd->hd", dA, X),
                "weight_hh": np.einsum("tbh,tbk->hk", dA, H_prev),
                "bias_ih": dA.sum((0, 1)), "bias_hh": dA.sum((0, 1)),
                "h0": dA[0] @ params["weight_hh"]}
    got = torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau=1)
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, atol=1e-12, err_msg=name)


def test_truncation_changes_the_gradient_in_between():
    X, h0, params, dH = problem(8, 1, 2, 3, seed=3)
    g2 = torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau=2)
    g3 = torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau=3)
    assert not np.allclose(g2["weight_hh"], g3["weight_hh"])
    # h0 is reached only by the windows that start at step 0: those of t = 0 and t = 1.
    H, _ = rnn.rnn_forward(X, h0, params)
    W = params["weight_hh"]
    d1 = dH[1] * (1 - H[1] ** 2)
    d0 = (dH[0] + d1 @ W) * (1 - H[0] ** 2)
    np.testing.assert_allclose(g2["h0"], d0 @ W, atol=1e-12)
    with pytest.raises(ValueError, match="tau"):
        torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau=0)
