"""The numpy LSTM against torch.nn.LSTMCell / nn.LSTM (forward) and autograd (BPTT).

The variants torch does not have (peepholes, no forget gate, other squashing functions,
focused connectivity, no output gate) are checked against an explicit torch loop, itself
first checked against nn.LSTM.
"""
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from seqbook import torch_reference
from seqbook.nn import lstm
from seqbook.nn.lstm import LSTMConfig
from seqbook.torch_reference import numpy_state

SHAPES = [(1, 1, 1, 1), (5, 3, 4, 6), (17, 2, 3, 8), (4, 1, 7, 2), (3, 4, 2, 1)]  # T, B, D, H


def random_inputs(T, B, D, H, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype)
            for shape in [(T, B, D), (B, H), (B, H), (T, B, H), (B, H), (B, H)]]


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_cell_forward_and_backward_match_torch_lstm_cell(T, B, D, H, assert_grads_close):
    torch.manual_seed(B * 10 + H)
    params = numpy_state(torch.nn.LSTMCell(D, H).double())
    X, h_prev, c_prev, _, dh, dc = random_inputs(T, B, D, H, seed=D + H)
    x = X[0]

    h, c, cache = lstm.lstm_cell_forward(x, h_prev, c_prev, params)
    grads = lstm.lstm_cell_backward(dh, dc, cache)
    (h_ref, c_ref), expected = torch_reference.lstm_cell_gradients(x, h_prev, c_prev, params, dh, dc)

    np.testing.assert_allclose(h, h_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c, c_ref, rtol=0, atol=1e-12)
    assert_grads_close(grads, expected, atol=1e-10)


@pytest.mark.parametrize("with_final_state_loss", [False, True])
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_forward_and_bptt_match_torch_lstm(T, B, D, H, with_final_state_loss, assert_grads_close):
    torch.manual_seed(T * 100 + H)
    params = numpy_state(torch.nn.LSTM(D, H).double(), "_l0")
    X, h0, c0, dH, dh_T, dc_T = random_inputs(T, B, D, H, seed=T + B + D + H)
    if not with_final_state_loss:
        dh_T = dc_T = None

    Hs, (h_T, c_T), cache = lstm.lstm_forward(X, h0, c0, params)
    grads = lstm.lstm_backward(dH, cache, dh_T, dc_T)
    H_ref, (h_T_ref, c_T_ref), expected = torch_reference.lstm_gradients(X, h0, c0, params, dH, dh_T, dc_T)

    np.testing.assert_allclose(Hs, H_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_T, h_T_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(c_T, c_T_ref, rtol=0, atol=1e-10)
    assert_grads_close(grads, expected, atol=1e-10)


def test_float32_stays_float32_and_matches_torch(assert_grads_close):
    T, B, D, H = 6, 3, 4, 5
    torch.manual_seed(0)
    params = numpy_state(torch.nn.LSTM(D, H), "_l0")  # float32
    X, h0, c0, dH, dh_T, dc_T = random_inputs(T, B, D, H, seed=1, dtype=np.float32)

    Hs, (h_T, c_T), cache = lstm.lstm_forward(X, h0, c0, params)
    grads = lstm.lstm_backward(dH, cache, dh_T, dc_T)
    H_ref, (_, c_T_ref), expected = torch_reference.lstm_gradients(X, h0, c0, params, dH, dh_T, dc_T)

    assert Hs.dtype == h_T.dtype == c_T.dtype == np.float32
    assert {name: g.dtype for name, g in grads.items()} == dict.fromkeys(grads, np.float32)
    np.testing.assert_allclose(Hs, H_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c_T, c_T_ref, rtol=1e-5, atol=1e-5)
    assert_grads_close(grads, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_layers_forward_matches_torch_lstm(num_layers, bidirectional, batch_first):
    T, B, D, H = 7, 3, 4, 5
    torch.manual_seed(num_layers + 2 * bidirectional + 4 * batch_first)
    module = torch.nn.LSTM(D, H, num_layers=num_layers, bidirectional=bidirectional,
                           batch_first=batch_first).double()
    layer_params = numpy_state(module)
    n_states = num_layers * (2 if bidirectional else 1)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((B, T, D) if batch_first else (T, B, D))
    h0, c0 = rng.standard_normal((2, n_states, B, H))

    output, (h_n, c_n) = lstm.lstm_layers_forward(X, h0, c0, layer_params,
                                                  bidirectional=bidirectional,
                                                  batch_first=batch_first)
    with torch.no_grad():
        out_ref, (h_ref, c_ref) = module(torch.tensor(X), (torch.tensor(h0), torch.tensor(c0)))
        out_zero, (h_zero, _) = module(torch.tensor(X))

    np.testing.assert_allclose(output, out_ref.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_n, h_ref.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(c_n, c_ref.numpy(), rtol=0, atol=1e-10)
    # no initial state means zeros, as in torch
    output, (h_n, _) = lstm.lstm_layers_forward(X, None, None, layer_params,
                                                bidirectional=bidirectional,
                                                batch_first=batch_first)
    np.testing.assert_allclose(output, out_zero.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_n, h_zero.numpy(), rtol=0, atol=1e-10)


# --- variants: an explicit torch loop as the reference -------------------------------------

TORCH_ACTIVATIONS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "identity": lambda a: a,
    "scaled_sigmoid": lambda a: 2 * torch.sigmoid(a) - 1,
    "relu": torch.relu,
}


def torch_reference_lstm(X, h0, c0, p, config):
    """The LSTM variant written out with torch ops, one step at a time, for autograd."""
    act_g = TORCH_ACTIVATIONS[config.cell_activation]
    act_h = TORCH_ACTIVATIONS[config.output_activation]
    W_i, W_f, W_g, W_o = p["weight_ih"].chunk(4, dim=0)
    U_i, U_f, U_g, U_o = p["weight_hh"].chunk(4, dim=0)
    b_i, b_f, b_g, b_o = (p["bias_ih"] + p["bias_hh"]).chunk(4, dim=0)
    h, c, outputs = h0, c0, []
    for x in X:
        if config.connectivity == "focused":
            # focused: the gates see only h_{t-1}, the cell input only x_t
            a_i, a_f, a_o = h @ U_i.T + b_i, h @ U_f.T + b_f, h @ U_o.T + b_o
            a_g = x @ W_g.T + b_g
        else:
            a_i, a_f = x @ W_i.T + h @ U_i.T + b_i, x @ W_f.T + h @ U_f.T + b_f
            a_g, a_o = x @ W_g.T + h @ U_g.T + b_g, x @ W_o.T + h @ U_o.T + b_o
        c_prev = c
        i = torch.sigmoid(a_i + p["weight_ci"] * c_prev if config.peephole else a_i)
        if config.forget_gate:
            f = torch.sigmoid(a_f + p["weight_cf"] * c_prev if config.peephole else a_f)
        else:
            f = torch.ones_like(c_prev)
        c = f * c_prev + i * act_g(a_g)
        if config.output_gate:
            o = torch.sigmoid(a_o + p["weight_co"] * c if config.peephole else a_o)
        else:
            o = torch.ones_like(c)
        h = o * act_h(c)
        outputs.append(h)
    return torch.stack(outputs), h, c


def torch_reference_gradients(X, h0, c0, params, config, dH, dh_T, dc_T):
    """(H, h_T, c_T) of torch_reference_lstm and the autograd gradients of
    sum(H * dH) + sum(h_T * dh_T) + sum(c_T * dc_T), keyed as lstm_backward's."""
    pt = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    Xt, h0t, c0t = (torch.tensor(a, requires_grad=True) for a in (X, h0, c0))
    out, h_T, c_T = torch_reference_lstm(Xt, h0t, c0t, pt, config)
    ((out * torch.tensor(dH)).sum() + (h_T * torch.tensor(dh_T)).sum()
     + (c_T * torch.tensor(dc_T)).sum()).backward()
    # autograd leaves .grad None for a parameter the variant never uses (weight_cf
    # without forget gate): its gradient is zero
    grads = {name: (torch.zeros_like(t) if t.grad is None else t.grad).numpy()
             for name, t in (("X", Xt), ("h0", h0t), ("c0", c0t), *pt.items())}
    return (out.detach().numpy(), h_T.detach().numpy(), c_T.detach().numpy()), grads


def test_torch_reference_with_default_config_is_torch_lstm():
    T, B, D, H = 5, 3, 4, 6
    torch.manual_seed(7)
    module = torch.nn.LSTM(D, H).double()
    p = {k.removesuffix("_l0"): v for k, v in module.state_dict().items()}
    X, h0, c0 = (torch.tensor(a) for a in random_inputs(T, B, D, H, seed=7)[:3])
    out, h_T, c_T = torch_reference_lstm(X, h0, c0, p, LSTMConfig())
    with torch.no_grad():
        out_ref, (h_ref, c_ref) = module(X, (h0[None], c0[None]))
    torch.testing.assert_close(out, out_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(c_T, c_ref[0], rtol=0, atol=1e-12)


VARIANTS = [
    LSTMConfig(peephole=True),
    LSTMConfig(forget_gate=False),
    LSTMConfig(forget_gate=False, peephole=True),
    *[LSTMConfig(cell_activation=name) for name in ("sigmoid", "identity", "scaled_sigmoid",
                                                    "relu")],
    *[LSTMConfig(output_activation=name) for name in ("sigmoid", "identity", "scaled_sigmoid")],
    # the 1997 LSTM: no forget gate, centred logistic squashing
    LSTMConfig(forget_gate=False, cell_activation="scaled_sigmoid",
               output_activation="scaled_sigmoid"),
    # tricks of the trade: focused and lightweight LSTM, each option alone and combined
    LSTMConfig.focused(),
    LSTMConfig.lightweight(),
    LSTMConfig(connectivity="focused"),
    LSTMConfig(output_gate=False),
    LSTMConfig(output_gate=False, peephole=True),
    LSTMConfig.focused(peephole=True),
    LSTMConfig.lightweight(peephole=True, cell_activation="sigmoid",
                           output_activation="identity"),
]


@pytest.mark.parametrize("config", VARIANTS, ids=repr)
def test_variant_matches_torch_reference_and_changes_the_output(config, assert_grads_close):
    T, B, D, H = 6, 3, 4, 5
    params = lstm.init_lstm_params(D, H, np.random.default_rng(11), peephole=config.peephole)
    X, h0, c0, dH, dh_T, dc_T = random_inputs(T, B, D, H, seed=12)

    Hs, (h_T, c_T), cache = lstm.lstm_forward(X, h0, c0, params, config)
    grads = lstm.lstm_backward(dH, cache, dh_T, dc_T)

    (H_ref, h_T_ref, c_T_ref), expected = torch_reference_gradients(X, h0, c0, params, config, dH, dh_T, dc_T)

    np.testing.assert_allclose(Hs, H_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(c_T, c_T_ref, rtol=0, atol=1e-10)
    assert_grads_close(grads, expected, atol=1e-10)

    # the option is not ignored: the same weights under the default config give other outputs
    default_params = {k: v for k, v in params.items() if k in lstm.PARAM_NAMES}
    H_default, _, _ = lstm.lstm_forward(X, h0, c0, default_params)
    assert np.abs(Hs - H_default).max() > 1e-3, f"{config} gives the default LSTM's output"


@pytest.mark.parametrize("config", [LSTMConfig.focused(), LSTMConfig.lightweight()], ids=repr)
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_focused_and_lightweight_match_torch_reference_over_shapes(T, B, D, H, config, assert_grads_close):
    params = lstm.init_lstm_params(D, H, np.random.default_rng(T + H))
    X, h0, c0, dH, dh_T, dc_T = random_inputs(T, B, D, H, seed=B + D)

    Hs, (h_T, c_T), cache = lstm.lstm_forward(X, h0, c0, params, config)
    grads = lstm.lstm_backward(dH, cache, dh_T, dc_T)

    (H_ref, h_T_ref, c_T_ref), expected = torch_reference_gradients(X, h0, c0, params, config, dH, dh_T, dc_T)

    np.testing.assert_allclose(Hs, H_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_T, h_T_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(c_T, c_T_ref, rtol=0, atol=1e-10)
    assert_grads_close(grads, expected, atol=1e-10)


def test_presets_are_the_course_definitions():
    assert LSTMConfig() == LSTMConfig(forget_gate=True, connectivity="full", output_gate=True)
    assert LSTMConfig.focused() == LSTMConfig(forget_gate=False, connectivity="focused")
    assert LSTMConfig.lightweight() == LSTMConfig(forget_gate=False, connectivity="focused",
                                                  output_gate=False)
    assert LSTMConfig.lightweight(peephole=True).peephole


def test_connectivity_masks_cut_row_blocks():
    D, H = 3, 2
    mask_ih, mask_hh = lstm.connectivity_masks(LSTMConfig.focused(), D, H)
    assert mask_ih.shape == (4 * H, D) and mask_hh.shape == (4 * H, H)
    # rows i, f, g, o: the cell input g reads x_t only, the gates h_{t-1} only
    np.testing.assert_array_equal(mask_ih[:, 0], [0, 0, 0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(mask_hh[:, 0], [1, 1, 1, 1, 0, 0, 1, 1])
    assert mask_ih.all(axis=1).tolist() == mask_ih[:, 0].tolist()  # whole rows
    full_ih, full_hh = lstm.connectivity_masks(LSTMConfig(), D, H)
    assert full_ih.all() and full_hh.all()


@pytest.mark.parametrize("config", [LSTMConfig.focused(), LSTMConfig.lightweight(peephole=True),
                                    LSTMConfig(connectivity="focused", peephole=True)], ids=repr)
def test_cut_connections_get_exactly_zero_gradient_and_do_not_act(config):
    T, B, D, H = 5, 2, 3, 4
    params = lstm.init_lstm_params(D, H, np.random.default_rng(2), peephole=config.peephole)
    X, h0, c0, dH, dh_T, dc_T = random_inputs(T, B, D, H, seed=3)
    Hs, _, cache = lstm.lstm_forward(X, h0, c0, params, config)
    grads = lstm.lstm_backward(dH, cache, dh_T, dc_T)
    mask_ih, mask_hh = lstm.connectivity_masks(config, D, H)
    assert (~mask_ih).any() and (~mask_hh).any()
    assert np.all(grads["weight_ih"][~mask_ih] == 0) and np.all(grads["weight_hh"][~mask_hh] == 0)
    # rows of a gate the variant does not have (f without forget gate, o without output gate)
    unused_rows = np.zeros(4 * H, bool)
    unused_rows[H:2 * H] = not config.forget_gate
    unused_rows[3 * H:] = not config.output_gate
    for name, mask in (("weight_ih", mask_ih), ("weight_hh", mask_hh)):
        assert np.all(grads[name][mask & ~unused_rows[:, None]] != 0), name
    for name in lstm.PARAM_NAMES:
        assert np.all(grads[name][unused_rows] == 0), name
    if config.peephole and not config.output_gate:
        assert np.all(grads["weight_co"] == 0)
    # changing a cut weight changes nothing
    changed = {**params, "weight_ih": np.where(mask_ih, params["weight_ih"], 100.0),
               "weight_hh": np.where(mask_hh, params["weight_hh"], -100.0)}
    np.testing.assert_array_equal(lstm.lstm_forward(X, h0, c0, changed, config)[0], Hs)


def test_focused_config_runs_in_stacked_layers():
    T, B, D, H = 4, 2, 3, 5
    config = LSTMConfig.lightweight()
    rng = np.random.default_rng(0)
    layer0 = lstm.init_lstm_params(D, H, rng)
    layer1 = lstm.init_lstm_params(H, H, rng)
    layer_params = {f"{n}_l{k}": p[n] for k, p in enumerate((layer0, layer1)) for n in p}
    X = rng.standard_normal((T, B, D))
    out, (h_n, _) = lstm.lstm_layers_forward(X, None, None, layer_params, config=config)
    zeros = np.zeros((B, H))
    H0, _, _ = lstm.lstm_forward(X, zeros, zeros, layer0, config)
    H1, (h_T, _), _ = lstm.lstm_forward(H0, zeros, zeros, layer1, config)
    np.testing.assert_allclose(out, H1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(h_n[1], h_T, rtol=0, atol=1e-14)


def test_no_overflow_warnings_for_huge_inputs():
    T, B, D, H = 4, 2, 3, 5
    X, h0, c0, dH, _, _ = random_inputs(T, B, D, H, seed=5)
    for config in (LSTMConfig(), LSTMConfig(peephole=True, cell_activation="sigmoid",
                                            output_activation="scaled_sigmoid")):
        params = lstm.init_lstm_params(D, H, np.random.default_rng(5), peephole=config.peephole)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Hs, _, cache = lstm.lstm_forward(1e4 * X, 1e4 * h0, 1e4 * c0, params, config)
            grads = lstm.lstm_backward(dH, cache)
        assert np.all(np.isfinite(Hs)) and all(np.all(np.isfinite(g)) for g in grads.values())


# --- initialisation --------------------------------------------------------------

@pytest.mark.parametrize("forget_bias", [1.0, 0.0, 2.5])
@pytest.mark.parametrize("peephole", [False, True])
def test_init_lstm_params(forget_bias, peephole):
    D, H = 3, 5
    params = lstm.init_lstm_params(D, H, np.random.default_rng(0), forget_bias, np.float32,
                                   peephole=peephole)
    shapes = {"weight_ih": (4 * H, D), "weight_hh": (4 * H, H), "bias_ih": (4 * H,),
              "bias_hh": (4 * H,)}
    if peephole:
        shapes.update({name: (H,) for name in lstm.PEEPHOLE_NAMES})
    assert {name: p.shape for name, p in params.items()} == shapes
    assert all(p.dtype == np.float32 for p in params.values())
    k = 1 / np.sqrt(H)
    b = params["bias_ih"] + params["bias_hh"]
    np.testing.assert_allclose(b[H:2 * H], forget_bias)
    others = [p for name, p in params.items() if name not in ("bias_ih", "bias_hh")]
    others += [np.delete(params[name], np.s_[H:2 * H]) for name in ("bias_ih", "bias_hh")]
    for p in others:
        assert np.all(np.abs(p) <= k) and np.std(p) > 0.1 * k


def test_negative_bias_sequence():
    np.testing.assert_array_equal(lstm.negative_bias_sequence(4), [-1, -2, -3, -4])
    np.testing.assert_array_equal(lstm.negative_bias_sequence(6, block_size=3), [-1] * 3 + [-2] * 3)
    np.testing.assert_array_equal(lstm.negative_bias_sequence(3, start=-0.5, step=-0.5),
                                  [-0.5, -1.0, -1.5])
    np.testing.assert_array_equal(lstm.negative_bias_sequence(1), [-1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_init_with_input_and_output_gate_bias_sequences(dtype):
    D, H = 3, 4
    plain = lstm.init_lstm_params(D, H, np.random.default_rng(0), 1.5, dtype)
    params = lstm.init_lstm_params(D, H, np.random.default_rng(0), 1.5, dtype,
                                   input_bias=lstm.negative_bias_sequence(H), output_bias=-2.0)
    b = params["bias_ih"] + params["bias_hh"]
    np.testing.assert_array_equal(b[:H], [-1, -2, -3, -4])  # b_i, cell k gets -(k+1)
    np.testing.assert_array_equal(b[H:2 * H], 1.5)  # b_f
    np.testing.assert_array_equal(b[3 * H:], -2.0)  # b_o
    assert all(p.dtype == dtype for p in params.values())
    # the random draws are those without the options: only the chosen biases differ
    for name in ("weight_ih", "weight_hh"):
        np.testing.assert_array_equal(params[name], plain[name])
    np.testing.assert_array_equal(params["bias_ih"][2 * H:3 * H], plain["bias_ih"][2 * H:3 * H])
    # the bias sequence ranks the cells: at zero input and state, i_t = σ(b_i) falls with k
    zeros = np.zeros((1, H))
    cache = lstm.lstm_cell_forward(np.zeros((1, D), dtype), zeros, zeros, params)[2]
    assert np.all(np.diff(cache["i"][0]) < 0)


# --- bad input --------------------------------------------------------------------------------

def _args():
    T, B, D, H = 3, 2, 4, 5
    X, h0, c0, dH, _, _ = random_inputs(T, B, D, H, seed=0)
    params = lstm.init_lstm_params(D, H, np.random.default_rng(0))
    cache = lstm.lstm_forward(X, h0, c0, params)[2]
    torch.manual_seed(0)
    layer_params = numpy_state(torch.nn.LSTM(D, H, num_layers=2).double())
    return SimpleNamespace(X=X, h0=h0, c0=c0, dH=dH, params=params, cache=cache,
                           layer_params=layer_params)


def _with(params, **changes):
    return {**params, **changes}


BAD_CALLS = {
    "X must have shape": lambda a: lstm.lstm_forward(a.X[0], a.h0, a.c0, a.params),
    "h0 must have shape": lambda a: lstm.lstm_forward(a.X, a.h0[:1], a.c0, a.params),
    "c0 must have shape": lambda a: lstm.lstm_forward(a.X, a.h0, a.c0[:, :2], a.params),
    "weight_ih": lambda a: lstm.lstm_forward(a.X[..., :3], a.h0, a.c0, a.params),
    "weight_hh": lambda a: lstm.lstm_forward(
        a.X, a.h0, a.c0, _with(a.params, weight_hh=np.zeros((20, 4)))),
    "bias_hh": lambda a: lstm.lstm_forward(
        a.X, a.h0, a.c0, _with(a.params, bias_hh=np.zeros(5))),
    "missing.*weight_ci": lambda a: lstm.lstm_forward(
        a.X, a.h0, a.c0, a.params, LSTMConfig(peephole=True)),
    "weight_co.*config.peephole is False": lambda a: lstm.lstm_forward(
        a.X, a.h0, a.c0, _with(a.params, weight_co=np.zeros(5))),
    "x must have shape": lambda a: lstm.lstm_cell_forward(a.X, a.h0, a.c0, a.params),
    "h_prev must have shape": lambda a: lstm.lstm_cell_forward(a.X[0], a.h0.T, a.c0, a.params),
    "c_prev must have shape": lambda a: lstm.lstm_cell_forward(a.X[0], a.h0, a.c0[0], a.params),
    "dH must have": lambda a: lstm.lstm_backward(a.dH[1:], a.cache),
    "dh_T must have shape": lambda a: lstm.lstm_backward(a.dH, a.cache, dh_T=a.dH),
    "dc_T must have shape": lambda a: lstm.lstm_backward(a.dH, a.cache, dc_T=a.h0[0]),
    "cell_activation must be one of": lambda a: LSTMConfig(cell_activation="gelu"),
    "output_activation must be one of": lambda a: LSTMConfig(output_activation="Tanh"),
    "connectivity must be one of": lambda a: LSTMConfig(connectivity="sparse"),
    "input_bias must be a number or have shape": lambda a: lstm.init_lstm_params(
        3, 5, np.random.default_rng(0), input_bias=np.zeros(4)),
    "output_bias must be a number or have shape": lambda a: lstm.init_lstm_params(
        3, 5, np.random.default_rng(0), output_bias=np.zeros((5, 1))),
    "block_size must divide": lambda a: lstm.negative_bias_sequence(5, block_size=2),
    "layers X must have shape": lambda a: lstm.lstm_layers_forward(
        a.X[0], None, None, a.layer_params),
    "layers h0 must have shape": lambda a: lstm.lstm_layers_forward(
        a.X, a.h0, None, a.layer_params),
    "bidirectional": lambda a: lstm.lstm_layers_forward(
        a.X, None, None, a.layer_params, bidirectional=True),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message.removeprefix("layers ")):
        BAD_CALLS[message](_args())
