"""The PyTorch references that assignments are graded against, checked independently."""
import numpy as np
import pytest
import torch

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


# --- state-dict conversion -------------------------------------------------------------------

def test_numpy_state_copies_renames_and_converts():
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 4)  # float32
    state = torch_reference.numpy_state(module, "_l0")
    assert set(state) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert state["weight_ih"].dtype == np.float32
    np.testing.assert_array_equal(state["bias_hh"], module.bias_hh_l0.detach().numpy())
    with torch.no_grad():
        module.bias_hh_l0.add_(1.0)  # a copy: later training does not reach it
    assert not np.array_equal(state["bias_hh"], module.bias_hh_l0.detach().numpy())
    wide = torch_reference.numpy_state(torch.nn.Linear(2, 3), prefix="pooler.dense.", dtype=np.float64)
    assert set(wide) == {"pooler.dense.weight", "pooler.dense.bias"}
    assert wide["pooler.dense.weight"].dtype == np.float64


def test_load_numpy_state_round_trip():
    torch.manual_seed(1)
    source = torch.nn.GRU(3, 5).double()
    params = torch_reference.numpy_state(source, "_l0")
    target = torch_reference.load_numpy_state(torch.nn.GRU(3, 5).double(), params, "_l0")
    for name, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[name], value)


def test_upstream_gradient_left_out_counts_as_zero():
    X, h0, _, _ = problem(4, 2, 3, 5, seed=4)
    c0 = np.zeros_like(h0)
    torch.manual_seed(4)
    lstm_params = torch_reference.numpy_state(torch.nn.LSTM(3, 5).double(), "_l0")
    H, (h_T, c_T), grads = torch_reference.lstm_gradients(X, h0, c0, lstm_params)
    np.testing.assert_array_equal(h_T, H[-1])
    assert all(not np.any(g) for g in grads.values())
    # only dc_T given: the cell's final state carries a gradient back to c0
    _, _, grads = torch_reference.lstm_gradients(X, h0, c0, lstm_params, dc_T=np.ones_like(c0))
    assert np.any(grads["c0"]) and np.any(grads["weight_hh"])


# --- multi-head attention: seqbook's masks in torch's conventions ------------------------------

def mha_problem(B=2, Tq=3, Tk=4, E=6, h=2, seed=0):
    torch.manual_seed(seed)
    module = torch.nn.MultiheadAttention(E, h, batch_first=True).double()
    with torch.no_grad():
        module.in_proj_bias.normal_()
        module.out_proj.bias.normal_()
    rng = np.random.default_rng(seed)
    query, key, value = (rng.standard_normal((B, T, E)) for T in (Tq, Tk, Tk))
    return module, torch_reference.numpy_state(module), query, key, value, rng


def torch_mha(module, query, key, value, **masks):
    with torch.no_grad():
        out, weights = module(*(torch.tensor(a) for a in (query, key, value)), average_attn_weights=False,
                              **masks)
    return out.numpy(), weights.numpy()


def test_multi_head_attention_masks_are_torchs_inverted():
    module, params, query, key, value, rng = mha_problem()
    allowed = rng.random((3, 4)) < 0.6
    allowed[:, 0] = True  # every query may attend to a key: torch gives no NaN
    scores_added = rng.standard_normal((3, 4))
    per_sequence = rng.random((2, 3, 4)) < 0.6
    per_sequence[..., 1] = True
    cases = [(None, {}), (allowed, {"attn_mask": torch.tensor(~allowed)}),
             (scores_added, {"attn_mask": torch.tensor(scores_added)}),
             (per_sequence, {"attn_mask": torch.tensor(~per_sequence).repeat_interleave(2, 0)})]
    for mask, torch_masks in cases:
        got = torch_reference.multi_head_attention(query, key, value, params, 2, mask)
        for a, b in zip(got, torch_mha(module, query, key, value, **torch_masks)):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_multi_head_attention_query_with_no_key():
    module, params, query, key, value, _ = mha_problem()
    padding = np.zeros((2, 4), bool)
    padding[0, 2:] = True
    padding[1, :] = True  # sequence 1 attends to nothing
    out, weights = torch_reference.multi_head_attention(query, key, value, params, 2, ~padding[:, None, None, :])
    ref_out, ref_w = torch_mha(module, query, key, value, key_padding_mask=torch.tensor(padding))
    np.testing.assert_allclose(out[0], ref_out[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(weights[0], ref_w[0], rtol=0, atol=1e-12)
    assert np.isnan(ref_out[1]).all()
    np.testing.assert_array_equal(out[1], np.broadcast_to(params["out_proj.bias"], (3, 6)))
    np.testing.assert_array_equal(weights[1], 0)
    float_mask = np.where(padding[:, None, None, :], -np.inf, 0.0)
    np.testing.assert_array_equal(
        torch_reference.multi_head_attention(query, key, value, params, 2, float_mask)[0], out)
    per_head = np.ones((2, 2, 3, 4), bool)
    per_head[0, 1, 0] = False  # no key for one query in one head only
    with pytest.raises(NotImplementedError):
        torch_reference.multi_head_attention(query, key, value, params, 2, per_head)
