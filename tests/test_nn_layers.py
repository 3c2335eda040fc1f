"""seqbook.nn.layers: stacked / bidirectional / batch_first RNN, GRU and LSTM against
torch.nn.RNN / nn.GRU / nn.LSTM (forward, float64, 1e-10) and autograd (backward)."""
import itertools
from functools import partial

import numpy as np
import pytest
import torch

from seqbook.nn import gru, layers, lstm, rnn
from seqbook.torch_reference import numpy_state

CELLS = {
    # name: (torch module, numpy forward, numpy backward, number of state arrays)
    "rnn": (torch.nn.RNN, rnn.rnn_forward, rnn.rnn_backward, 1),
    "gru": (torch.nn.GRU, gru.gru_forward, gru.gru_backward, 1),
    "lstm": (torch.nn.LSTM, lstm.lstm_forward, lstm.lstm_backward, 2),
}
SHAPES = [(1, 1, 1, 1), (5, 3, 4, 6), (4, 2, 3, 2)]  # T, B, D, H


def make(cell, T, B, D, H, num_layers, bidirectional, batch_first, seed):
    torch.manual_seed(seed)
    module = CELLS[cell][0](D, H, num_layers=num_layers, bidirectional=bidirectional,
                            batch_first=batch_first).double()
    rng = np.random.default_rng(seed)
    n_states = num_layers * (2 if bidirectional else 1)
    X = rng.standard_normal((B, T, D) if batch_first else (T, B, D))
    states = tuple(rng.standard_normal((n_states, B, H)) for _ in range(CELLS[cell][3]))
    return module, X, states


def torch_run(module, X, states, given):
    Xt = torch.tensor(X, requires_grad=True)
    st = tuple(torch.tensor(s, requires_grad=True) for s in states)
    if not given:
        out, h_n = module(Xt)
    else:
        out, h_n = module(Xt, st if len(st) == 2 else st[0])
    return Xt, st, out, h_n


CASES = list(itertools.product(CELLS, [1, 2, 3], [False, True], [False, True]))


@pytest.mark.parametrize("given_states", [True, False])
@pytest.mark.parametrize("cell,num_layers,bidirectional,batch_first", CASES)
def test_forward_matches_torch(cell, num_layers, bidirectional, batch_first, given_states):
    for i, (T, B, D, H) in enumerate(SHAPES):
        module, X, states = make(cell, T, B, D, H, num_layers, bidirectional, batch_first,
                                 seed=i + 10 * num_layers)
        _, _, out_ref, hn_ref = torch_run(module, X, states, given_states)
        h0 = (states if len(states) == 2 else states[0]) if given_states else None
        out, h_n, _ = layers.stacked_forward(CELLS[cell][1], X, h0, numpy_state(module),
                                             num_layers, bidirectional, batch_first)
        np.testing.assert_allclose(out, out_ref.detach().numpy(), rtol=0, atol=1e-10)
        if cell == "lstm":
            for ours, ref in zip(h_n, hn_ref):
                np.testing.assert_allclose(ours, ref.detach().numpy(), rtol=0, atol=1e-10)
        else:
            np.testing.assert_allclose(h_n, hn_ref.detach().numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell,num_layers,bidirectional,batch_first", CASES)
def test_backward_matches_autograd(cell, num_layers, bidirectional, batch_first):
    _, forward, backward, n_state_arrays = CELLS[cell]
    for i, (T, B, D, H) in enumerate(SHAPES):
        module, X, states = make(cell, T, B, D, H, num_layers, bidirectional, batch_first,
                                 seed=100 + i)
        Xt, st, out_ref, hn_ref = torch_run(module, X, states, True)
        rng = np.random.default_rng(i)
        d_out = rng.standard_normal(out_ref.shape)
        hn_ref = hn_ref if isinstance(hn_ref, tuple) else (hn_ref,)
        d_hn = tuple(rng.standard_normal(h.shape) for h in hn_ref)
        loss = (out_ref * torch.tensor(d_out)).sum()
        loss = loss + sum((h * torch.tensor(d)).sum() for h, d in zip(hn_ref, d_hn))
        loss.backward()

        h0 = states if n_state_arrays == 2 else states[0]
        _, _, cache = layers.stacked_forward(forward, X, h0, numpy_state(module), num_layers,
                                             bidirectional, batch_first)
        grads = layers.stacked_backward(backward, d_out,
                                        d_hn if n_state_arrays == 2 else d_hn[0], cache)
        np.testing.assert_allclose(grads["X"], Xt.grad.numpy(), rtol=0, atol=1e-10)
        for name, s in zip(("h0", "c0"), st):
            np.testing.assert_allclose(grads[name], s.grad.numpy(), rtol=0, atol=1e-10,
                                       err_msg=name)
        for name, p in module.named_parameters():
            np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=0, atol=1e-10,
                                       err_msg=name)
        expected = {n for n, _ in module.named_parameters()} | {"X", "h0"} | (
            {"c0"} if n_state_arrays == 2 else set())
        assert set(grads) == expected


def test_backward_without_final_state_gradient():
    module, X, states = make("lstm", 4, 2, 3, 2, 2, True, False, seed=7)
    Xt, st, out_ref, _ = torch_run(module, X, states, True)
    d_out = np.random.default_rng(0).standard_normal(out_ref.shape)
    (out_ref * torch.tensor(d_out)).sum().backward()
    _, _, cache = layers.stacked_forward(lstm.lstm_forward, X, states, numpy_state(module), 2, True)
    grads = layers.stacked_backward(lstm.lstm_backward, d_out, None, cache)
    np.testing.assert_allclose(grads["X"], Xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grads["c0"], st[1].grad.numpy(), rtol=0, atol=1e-10)


def test_list_form_of_params_equals_state_dict_form():
    module, X, states = make("gru", 5, 3, 4, 6, 2, True, False, seed=3)
    sd = numpy_state(module)
    as_list = [[{n: sd[f"{n}_l{k}{s}"] for n in gru.PARAM_NAMES} for s in ("", "_reverse")]
               for k in range(2)]
    a = layers.stacked_forward(gru.gru_forward, X, states[0], sd, 2, True)
    b = layers.stacked_forward(gru.gru_forward, X, states[0], as_list, 2, True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # unidirectional: a plain list of dicts
    module, X, states = make("rnn", 5, 3, 4, 6, 2, False, False, seed=3)
    sd = numpy_state(module)
    as_list = [{n: sd[f"{n}_l{k}"] for n in rnn.PARAM_NAMES} for k in range(2)]
    a = layers.stacked_forward(rnn.rnn_forward, X, None, sd, 2)
    b = layers.stacked_forward(rnn.rnn_forward, X, None, as_list, 2)
    np.testing.assert_array_equal(a[0], b[0])


def test_split_state_dict():
    module = torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True)
    params = layers.split_state_dict(module.state_dict(), 2, True)
    assert len(params) == 2 and all(len(p) == 2 for p in params)
    np.testing.assert_array_equal(params[1][1]["weight_hh"],
                                  module.weight_hh_l1_reverse.detach().numpy())
    assert set(params[0][0]) == set(lstm.PARAM_NAMES)


def test_options_pass_through_partial_and_one_layer_equals_the_plain_forward():
    rng = np.random.default_rng(0)
    X, h0 = rng.standard_normal((6, 2, 3)), rng.standard_normal((2, 4))
    params = gru.init_gru_params(3, 4, rng)
    cho = partial(gru.gru_forward, config=gru.GRUConfig("cho"))
    out, h_n, _ = layers.stacked_forward(cho, X, h0[None], [params], 1)
    H, _ = gru.gru_forward(X, h0, params, gru.GRUConfig("cho"))
    np.testing.assert_array_equal(out, H)
    np.testing.assert_array_equal(h_n[0], H[-1])
    # LSTM peepholes: extra state_dict entries reach lstm_forward
    config = lstm.LSTMConfig(peephole=True)
    p = lstm.init_lstm_params(3, 4, rng, peephole=True)
    sd = {f"{k}_l0": v for k, v in p.items()}
    out, (h_n, c_n), _ = layers.stacked_forward(partial(lstm.lstm_forward, config=config),
                                                X, None, sd, 1)
    H, (h_T, c_T), _ = lstm.lstm_forward(X, np.zeros((2, 4)), np.zeros((2, 4)), p, config)
    np.testing.assert_array_equal(out, H)
    np.testing.assert_array_equal(c_n[0], c_T)


@pytest.mark.parametrize("bidirectional,batch_first", [(False, False), (True, True)])
def test_lstm_layers_forward_is_the_same_computation(bidirectional, batch_first):
    module, X, (h0, c0) = make("lstm", 5, 3, 4, 6, 3, bidirectional, batch_first, seed=1)
    sd = numpy_state(module)
    ref_out, (ref_h, ref_c) = lstm.lstm_layers_forward(X, h0, c0, sd, bidirectional, batch_first)
    out, (h_n, c_n), _ = layers.stacked_forward(lstm.lstm_forward, X, (h0, c0), sd, 3,
                                                bidirectional, batch_first)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(h_n, ref_h)
    np.testing.assert_array_equal(c_n, ref_c)
    # c0 alone given, h0 zeros
    out, _, _ = layers.stacked_forward(lstm.lstm_forward, X, (None, c0), sd, 3, bidirectional,
                                       batch_first)
    ref_out, _ = lstm.lstm_layers_forward(X, None, c0, sd, bidirectional, batch_first)
    np.testing.assert_array_equal(out, ref_out)


def test_float32_stays_float32():
    module, X, states = make("gru", 5, 3, 4, 6, 2, True, False, seed=3)
    sd = {k: v.astype(np.float32) for k, v in numpy_state(module).items()}
    out, h_n, _ = layers.stacked_forward(gru.gru_forward, X.astype(np.float32), None, sd, 2, True)
    assert out.dtype == np.float32 and h_n.dtype == np.float32


def test_bad_input_raises_naming_the_argument():
    module, X, states = make("lstm", 5, 3, 4, 6, 2, True, False, seed=3)
    sd = numpy_state(module)
    f = lstm.lstm_forward
    with pytest.raises(ValueError, match="X must have shape"):
        layers.stacked_forward(f, X[0], None, sd, 2, True)
    with pytest.raises(ValueError, match="num_layers"):
        layers.stacked_forward(f, X, None, sd, 3, True)  # missing layer 2
    with pytest.raises(ValueError, match="num_layers=1"):
        layers.stacked_forward(f, X, None, sd, 1, True)  # layer 1 left over
    with pytest.raises(ValueError, match="num_layers must be"):
        layers.stacked_forward(f, X, None, sd, 0, True)
    with pytest.raises(ValueError, match="bidirectional=False"):
        layers.stacked_forward(f, X, None, sd, 2, False)
    with pytest.raises(ValueError, match=r"h0 must have shape .*\(4, 3, 6\)"):
        layers.stacked_forward(f, X, (states[0][:2], states[1]), sd, 2, True)
    with pytest.raises(ValueError, match=r"c0 must have shape"):
        layers.stacked_forward(f, X, (states[0], states[1][:, :1]), sd, 2, True)
    with pytest.raises(ValueError, match=r"h0 must be a tuple \(h0, c0\)"):
        layers.stacked_forward(f, X, (states[0], states[1], states[1]), sd, 2, True)
    with pytest.raises(ValueError, match="params_per_layer must have num_layers = 2"):
        layers.stacked_forward(f, X, None, [{}], 2, False)
    with pytest.raises(ValueError, match=r"params_per_layer\[0\] must be a pair"):
        layers.stacked_forward(f, X, None, [{}, {}], 2, True)
    out, h_n, cache = layers.stacked_forward(f, X, states, sd, 2, True)
    with pytest.raises(ValueError, match="d_output must have the shape of output"):
        layers.stacked_backward(lstm.lstm_backward, out[:, :, :3], None, cache)
    with pytest.raises(ValueError, match=r"dh_n must be a tuple"):
        layers.stacked_backward(lstm.lstm_backward, out, h_n[0], cache)
    with pytest.raises(ValueError, match="dc_n must have shape"):
        layers.stacked_backward(lstm.lstm_backward, out, (h_n[0], h_n[1][:1]), cache)


# --- parameter counts --------------------------------------------------------------------------

def _count(module):
    return sum(p.numel() for p in module.parameters())


def test_param_counts_match_torch_over_random_sizes():
    rng = np.random.default_rng(0)
    for trial in range(40):
        D, H = (int(v) for v in rng.integers(1, 12, size=2))
        L = int(rng.integers(1, 4))
        bidirectional, bias = bool(rng.integers(2)), bool(trial % 5)
        P = int(rng.integers(0, H)) if trial % 3 == 0 else 0
        kwargs = dict(num_layers=L, bidirectional=bidirectional, bias=bias)
        assert gru.gru_param_count(D, H, **kwargs) == _count(torch.nn.GRU(D, H, **kwargs))
        assert rnn.rnn_param_count(D, H, **kwargs) == _count(torch.nn.RNN(D, H, **kwargs))
        assert rnn.rnn_param_count(D, H, **kwargs) == _count(
            torch.nn.RNN(D, H, nonlinearity="relu", **kwargs))
        assert lstm.lstm_param_count(D, H, proj_size=P, **kwargs) == _count(
            torch.nn.LSTM(D, H, proj_size=P, **kwargs)), (D, H, P, kwargs)


def test_param_count_closed_forms():
    D, H = 7, 5
    for L in (1, 2, 3):
        for K, bidirectional in ((1, False), (2, True)):
            for gates, count in ((1, rnn.rnn_param_count), (3, gru.gru_param_count),
                                 (4, lstm.lstm_param_count)):
                closed = K * gates * H * ((D + H + 2) + (L - 1) * (K * H + H + 2))
                assert count(D, H, L, bidirectional) == closed
    # a GRU has 3/4 of an LSTM's parameters
    assert 4 * gru.gru_param_count(10, 20, 2, True) == 3 * lstm.lstm_param_count(10, 20, 2, True)


def test_param_count_rejects_bad_sizes():
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        gru.gru_param_count(3, 4, num_layers=0)
    with pytest.raises(ValueError, match=r"proj_size must be an integer in \[0, hidden_size\)"):
        lstm.lstm_param_count(3, 4, proj_size=4)
