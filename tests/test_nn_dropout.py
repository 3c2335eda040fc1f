"""Dropout for RNNs: mask statistics, mask timing (per step vs per sequence), inverted
scaling, zoneout limits, and parity with torch (nn.Dropout, nn.Dropout1d, nn.RNN, nn.LSTM,
and explicit torch loops run with the same masks)."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from seqbook.nn import dropout as dr
from seqbook.nn import lstm, rnn
from seqbook.nn.dropout import RNNDropoutConfig
from seqbook.torch_reference import numpy_state

SHAPES = [(1, 1, 1, 1), (5, 3, 4, 6), (12, 2, 3, 8), (4, 1, 7, 2), (3, 4, 2, 1)]  # T, B, D, H


def within_5_standard_errors(samples, expected_mean):
    """|mean - expected| < 5 standard errors of the mean (a false alarm about once in 2e6)."""
    samples = np.asarray(samples, dtype=np.float64).ravel()
    se = samples.std() / np.sqrt(samples.size)
    return abs(samples.mean() - expected_mean) < 5 * se


def random_inputs(T, B, D, H, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in [(T, B, D), (B, H), (B, H)]]


# --- masks: statistics, scaling, timing ---------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mask_keep_rate_and_inverted_scaling(p):
    mask = dr.dropout_mask((1000, 1000), p, np.random.default_rng(0))
    kept = mask != 0
    # values: 0 or exactly 1/(1 - p)
    np.testing.assert_array_equal(mask[kept], 1 / (1 - p))
    # keep rate 1 - p, and E[m] = 1 (inverted scaling), within 5 standard errors
    assert within_5_standard_errors(kept, 1 - p)
    assert within_5_standard_errors(mask, 1.0)


def test_dropout_mask_limits_and_dtype():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(dr.dropout_mask((3, 4), 0.0, rng), 1.0)
    np.testing.assert_array_equal(dr.dropout_mask((3, 4), 1.0, rng), 0.0)
    assert dr.dropout_mask((3, 4), 0.3, rng, np.float32).dtype == np.float32


def test_dropout_preserves_the_expectation():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(8)
    p, n = 0.4, 200_000
    samples = np.stack([dr.dropout(x, p, rng)[0] for _ in range(2000)])
    samples = np.concatenate([samples, dr.dropout(np.broadcast_to(x, (n, 8)), p, rng)[0]])
    for j in range(8):
        assert within_5_standard_errors(samples[:, j], x[j]), j
    # the pre-activation W x̃ of the next layer keeps its expectation W x too
    W = rng.standard_normal((3, 8))
    assert all(within_5_standard_errors((samples @ W.T)[:, i], (W @ x)[i]) for i in range(3))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_per_sequence_masks_are_constant_over_time_and_per_step_masks_are_not(p):
    T, B, size = 30, 50, 40
    rng = np.random.default_rng(2)
    variational = dr.sequence_masks(T, B, size, p, rng, per_sequence=True)
    standard = dr.sequence_masks(T, B, size, p, rng, per_sequence=False)
    assert variational.shape == standard.shape == (T, B, size)
    for t in range(T):
        np.testing.assert_array_equal(variational[t], variational[0])
    # per step: masks at two steps agree only where both keep or both drop
    agree = standard[1:] == standard[:-1]
    assert within_5_standard_errors(agree, p ** 2 + (1 - p) ** 2)
    # different sequences in a batch get different masks
    assert np.mean(variational[0, 0] != variational[0, 1]) > 0
    # both keep a unit with probability 1 - p at any one step
    assert within_5_standard_errors(variational[0] != 0, 1 - p)
    assert within_5_standard_errors(standard != 0, 1 - p)


def test_survival_over_time_per_step_decays_per_sequence_does_not():
    T, B, size, p = 10, 200, 100, 0.2
    rng = np.random.default_rng(3)
    for per_sequence in (False, True):
        masks = dr.sequence_masks(T, B, size, p, rng, per_sequence)
        survived = np.all(masks != 0, axis=0)  # never dropped in T steps, (B, size)
        expected = dr.survival_probability(p, T, per_sequence)
        assert within_5_standard_errors(survived, expected), per_sequence
    assert dr.survival_probability(p, T) == pytest.approx(0.8 ** 10)
    assert dr.survival_probability(p, T, per_sequence=True) == pytest.approx(0.8)


@pytest.mark.parametrize("z", [0.05, 0.5, 0.9])
def test_zoneout_mask_keep_rate(z):
    mask = dr.zoneout_mask((500, 2000), z, np.random.default_rng(4))
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert within_5_standard_errors(mask, z)


def test_zoneout_training_mixes_and_test_time_is_the_expectation():
    rng = np.random.default_rng(5)
    prev, new = rng.standard_normal((2, 200_000))
    z = 0.3
    out, d = dr.zoneout(prev, new, z, rng)
    np.testing.assert_array_equal(out, np.where(d == 1, prev, new))
    expectation, none = dr.zoneout(prev, new, z, rng, training=False)
    assert none is None
    np.testing.assert_allclose(expectation, z * prev + (1 - z) * new, rtol=0, atol=1e-15)
    # the training output averages to the test-time value
    assert within_5_standard_errors(out - expectation, 0.0)


# --- parity with torch's dropout -----------------------------------------------------------------

@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_eval_mode_is_the_identity_as_torch_dropout(p):
    x = np.random.default_rng(6).standard_normal((4, 5))
    module = torch.nn.Dropout(p).eval()
    y, mask = dr.dropout(x, p, np.random.default_rng(0), training=False)
    assert mask is None and y is x
    np.testing.assert_array_equal(module(torch.tensor(x)).numpy(), y)


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_training_mode_uses_torch_dropouts_scaling(p):
    torch.manual_seed(0)
    x = np.random.default_rng(7).uniform(0.5, 2.0, (400, 500))  # no zeros: mask = out / x
    out = torch.nn.Dropout(p).train()(torch.tensor(x)).numpy()
    kept = out != 0
    # torch keeps x / (1 - p): the inverted scaling
    np.testing.assert_allclose(out[kept] / x[kept], 1 / (1 - p), rtol=1e-14)
    torch_mask = np.where(kept, 1 / (1 - p), 0.0)
    # the same mask gives the same output in our dropout
    y, _ = dr.dropout(x, p, None, mask=torch_mask)
    np.testing.assert_allclose(y, out, rtol=1e-14, atol=0)
    # and our masks have torch's value set and keep rate
    ours = dr.dropout_mask(x.shape, p, np.random.default_rng(7))
    assert set(np.unique(ours)) == set(np.unique(torch_mask))
    assert within_5_standard_errors(kept, 1 - p) and within_5_standard_errors(ours != 0, 1 - p)


def test_variational_input_mask_has_the_structure_of_torch_dropout1d():
    """nn.Dropout1d on (B, D, T) drops whole channels over time: a per-sequence input mask."""
    T, B, D, p = 20, 64, 32, 0.3
    torch.manual_seed(1)
    X = np.random.default_rng(8).uniform(0.5, 2.0, (T, B, D))
    out = torch.nn.Dropout1d(p).train()(torch.tensor(X).permute(1, 2, 0)).permute(2, 0, 1)
    kept = out.numpy() != 0
    np.testing.assert_allclose(out.numpy()[kept] / X[kept], 1 / (1 - p), rtol=1e-14)
    torch_mask = np.where(kept, 1 / (1 - p), 0.0)  # (T, B, D)
    ours = dr.sequence_masks(T, B, D, p, np.random.default_rng(8), per_sequence=True)
    for mask in (torch_mask, ours):
        np.testing.assert_array_equal(mask, np.broadcast_to(mask[0], mask.shape))
    assert set(np.unique(torch_mask)) == set(np.unique(ours))
    # our RNN with torch's mask as its input mask reads exactly torch's dropped input
    params = rnn.init_rnn_params(D, 5, np.random.default_rng(8))
    h0 = np.zeros((B, 5))
    config = RNNDropoutConfig(p_input=p, per_sequence=True)
    Y, _, _ = dr.rnn_dropout_forward(X, h0, params, config, None, masks={"input": torch_mask})
    Y_ref, _ = rnn.rnn_forward(out.numpy(), h0, params)
    np.testing.assert_allclose(Y, Y_ref, rtol=0, atol=1e-12)


# --- the vanilla RNN under each scheme -------------------------------------------------------------

def torch_rnn_with_masks(X, h0, p, masks, config, training):
    """The masked tanh RNN written out with torch ops, with the given masks."""
    X = X * masks["input"] if "input" in masks else X
    h, states = h0, []
    for t, x in enumerate(X):
        h_bar = h * masks["recurrent"][t] if "recurrent" in masks else h
        h_new = torch.tanh(x @ p["weight_ih"].T + p["bias_ih"] + h_bar @ p["weight_hh"].T
                           + p["bias_hh"])
        if training and "zoneout" in masks:
            d = masks["zoneout"][t]
            h = d * h + (1 - d) * h_new
        elif not training:
            h = config.zoneout * h + (1 - config.zoneout) * h_new
        else:
            h = h_new
        states.append(h)
    H = torch.stack(states)
    return (H * masks["output"] if "output" in masks else H), H


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("scheme", dr.SCHEMES)
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_rnn_under_each_scheme_matches_a_torch_loop_with_the_same_masks(T, B, D, H, scheme,
                                                                        training):
    torch.manual_seed(T + H)
    module = torch.nn.RNN(D, H).double()
    params = numpy_state(module, "_l0")
    X, h0, _ = random_inputs(T, B, D, H, seed=B + D)
    config = dr.rnn_dropout_config(scheme, 0.4)

    Y, Hs, masks = dr.rnn_dropout_forward(X, h0, params, config, np.random.default_rng(T),
                                          training=training)
    assert Y.shape == Hs.shape == (T, B, H)
    assert set(masks) == (set(dr._mask_names(config)) if training else set())
    torch_masks = {k: torch.tensor(v) for k, v in masks.items()}
    p = {k: torch.tensor(v) for k, v in params.items()}
    Y_ref, H_ref = torch_rnn_with_masks(torch.tensor(X), torch.tensor(h0), p, torch_masks,
                                        config, training)
    np.testing.assert_allclose(Y, Y_ref.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(Hs, H_ref.numpy(), rtol=0, atol=1e-12)
    if scheme == "none" or (not training and scheme != "zoneout"):
        # no dropout, or the test-time network with inverted scaling: the plain nn.RNN
        with torch.no_grad():
            out, _ = module(torch.tensor(X), torch.tensor(h0[None]))
        np.testing.assert_allclose(Y, out.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(Hs, rnn.rnn_forward(X, h0, params)[0], rtol=0, atol=1e-12)


def test_rnn_masks_sit_where_the_scheme_says():
    T, B, D, H, p = 6, 50, 20, 30, 0.5
    rng = np.random.default_rng(9)
    for scheme in dr.SCHEMES:
        config = dr.rnn_dropout_config(scheme, p)
        masks = dr.sample_rnn_masks(T, B, D, H, config, rng)
        expected = {"none": set(), "standard": {"input", "output"},
                    "naive": {"input", "output", "recurrent"},
                    "variational": {"input", "output", "recurrent"},
                    "input_only": {"input"}, "zoneout": {"zoneout"}}[scheme]
        assert set(masks) == expected, scheme
        for name, mask in masks.items():
            constant = all(np.array_equal(mask[t], mask[0]) for t in range(T))
            assert constant == (scheme == "variational"), (scheme, name)


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_zoneout_zero_is_the_plain_rnn_and_one_keeps_h0(T, B, D, H):
    params = rnn.init_rnn_params(D, H, np.random.default_rng(H))
    X, h0, _ = random_inputs(T, B, D, H, seed=T)
    H_plain, _ = rnn.rnn_forward(X, h0, params)
    for training in (True, False):
        rng = np.random.default_rng(0)
        Y, Hs, _ = dr.rnn_dropout_forward(X, h0, params, RNNDropoutConfig(zoneout=0.0), rng,
                                          training)
        np.testing.assert_allclose(Hs, H_plain, rtol=0, atol=1e-12)
        np.testing.assert_allclose(Y, H_plain, rtol=0, atol=1e-12)
        Y, Hs, _ = dr.rnn_dropout_forward(X, h0, params, RNNDropoutConfig(zoneout=1.0), rng,
                                          training)
        np.testing.assert_array_equal(Hs, np.broadcast_to(h0, Hs.shape))


def test_float32_rnn_stays_float32_and_matches_torch():
    T, B, D, H = 7, 3, 4, 5
    torch.manual_seed(0)
    module = torch.nn.RNN(D, H)  # float32
    params = numpy_state(module, "_l0")
    X, h0, _ = random_inputs(T, B, D, H, seed=1, dtype=np.float32)
    for scheme in dr.SCHEMES:
        config = dr.rnn_dropout_config(scheme, 0.3)
        Y, Hs, masks = dr.rnn_dropout_forward(X, h0, params, config, np.random.default_rng(1))
        assert Y.dtype == Hs.dtype == np.float32
        assert all(m.dtype == np.float32 for m in masks.values())
        p = {k: torch.tensor(v) for k, v in params.items()}
        Y_ref, _ = torch_rnn_with_masks(torch.tensor(X), torch.tensor(h0), p,
                                        {k: torch.tensor(v) for k, v in masks.items()},
                                        config, True)
        np.testing.assert_allclose(Y, Y_ref.numpy(), rtol=1e-5, atol=1e-6)


def test_variational_keeps_more_signal_over_long_sequences_than_naive_dropout():
    """Survival over T: a unit's recurrent path is cut in (almost) every sequence by
    per-step recurrent masks, never by per-sequence masks for a kept unit."""
    T, B, D, H, p = 50, 400, 1, 16, 0.3
    rng = np.random.default_rng(10)
    survived = {}
    for scheme in ("naive", "variational"):
        masks = dr.sample_rnn_masks(T, B, D, H, dr.rnn_dropout_config(scheme, p), rng)
        survived[scheme] = np.all(masks["recurrent"] != 0, axis=0)  # (B, H)
    # per step: expected 0.7^50 ≈ 2e-8 of the 6400 units survive, i.e. (almost surely) none
    assert survived["naive"].mean() < 1e-3
    assert within_5_standard_errors(survived["variational"], 0.7)


# --- LSTM with zoneout on h and c --------------------------------------------------------------

@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_lstm_zoneout_zero_is_torch_lstm_and_one_keeps_the_initial_state(T, B, D, H):
    torch.manual_seed(T * 10 + H)
    module = torch.nn.LSTM(D, H).double()
    params = numpy_state(module, "_l0")
    X, h0, c0 = random_inputs(T, B, D, H, seed=D)
    with torch.no_grad():
        out, (h_n, c_n) = module(torch.tensor(X), (torch.tensor(h0[None]), torch.tensor(c0[None])))
    for training in (True, False):
        rng = np.random.default_rng(1)
        Hs, (h_T, c_T), _ = dr.lstm_zoneout_forward(X, h0, c0, params, 0.0, 0.0, rng, training)
        np.testing.assert_allclose(Hs, out.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(c_T, c_n[0].numpy(), rtol=0, atol=1e-12)
        Hs, (h_T, c_T), _ = dr.lstm_zoneout_forward(X, h0, c0, params, 1.0, 1.0, rng, training)
        np.testing.assert_array_equal(Hs, np.broadcast_to(h0, Hs.shape))
        np.testing.assert_array_equal(c_T, c0)


@pytest.mark.parametrize("training", [True, False])
def test_lstm_zoneout_matches_torch_lstm_cell_loop_with_the_same_masks(training):
    T, B, D, H, z_h, z_c = 8, 3, 4, 5, 0.3, 0.6
    torch.manual_seed(2)
    cell = torch.nn.LSTMCell(D, H).double()
    params = numpy_state(cell)
    X, h0, c0 = random_inputs(T, B, D, H, seed=2)
    Hs, (h_T, c_T), masks = dr.lstm_zoneout_forward(X, h0, c0, params, z_h, z_c,
                                                    np.random.default_rng(2), training)
    assert set(masks) == ({"h", "c"} if training else set())
    h, c, states = torch.tensor(h0), torch.tensor(c0), []
    with torch.no_grad():
        for t, x in enumerate(torch.tensor(X)):
            h_new, c_new = cell(x, (h, c))
            if training:
                d_h, d_c = torch.tensor(masks["h"][t]), torch.tensor(masks["c"][t])
                h, c = d_h * h + (1 - d_h) * h_new, d_c * c + (1 - d_c) * c_new
            else:
                h, c = z_h * h + (1 - z_h) * h_new, z_c * c + (1 - z_c) * c_new
            states.append(h)
    np.testing.assert_allclose(Hs, torch.stack(states).numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_T, c.numpy(), rtol=0, atol=1e-12)
    if training:
        # the masks are not ignored: zoned-out units really kept their old value
        kept = masks["c"][-1] == 1
        prev_c = dr.lstm_zoneout_forward(X[:-1], h0, c0, params, z_h, z_c, None,
                                         masks={k: v[:-1] for k, v in masks.items()})[1][1]
        np.testing.assert_array_equal(c_T[kept], prev_c[kept])


# --- bad input ---------------------------------------------------------------------------------

def _args():
    T, B, D, H = 3, 2, 4, 5
    X, h0, c0 = random_inputs(T, B, D, H, seed=0)
    return SimpleNamespace(X=X, h0=h0, c0=c0, rng=np.random.default_rng(0),
                           params=rnn.init_rnn_params(D, H, np.random.default_rng(0)),
                           lstm_params=lstm.init_lstm_params(D, H, np.random.default_rng(0)),
                           variational=dr.rnn_dropout_config("variational", 0.5))


BAD_CALLS = {
    r"p must be a probability in \[0, 1\]": lambda a: dr.dropout_mask((2, 3), 1.5, a.rng),
    r"p must be a probability in \[0, 1\], got -0.1": lambda a: dr.dropout(a.X, -0.1, a.rng),
    r"z must be a probability": lambda a: dr.zoneout(a.h0, a.h0, 2, a.rng),
    r"p_recurrent must be a probability": lambda a: RNNDropoutConfig(p_recurrent=-1.0),
    r"z_c must be a probability": lambda a: dr.lstm_zoneout_forward(
        a.X, a.h0, a.c0, a.lstm_params, 0.1, 1.1, a.rng),
    "rng must be a numpy Generator": lambda a: dr.dropout(a.X, 0.5, 0),
    "rng must be a numpy Generator.*RandomState": lambda a: dr.rnn_dropout_forward(
        a.X, a.h0, a.params, a.variational, np.random.RandomState(0)),
    r"mask must broadcast to the shape of x \(3, 2, 4\)": lambda a: dr.dropout(
        a.X, 0.5, a.rng, mask=np.ones((3, 4))),
    r"new must have the shape of prev \(2, 5\)": lambda a: dr.zoneout(
        a.h0, a.h0.T, 0.5, a.rng),
    r"mask must have the shape of prev \(2, 5\)": lambda a: dr.zoneout(
        a.h0, a.h0, 0.5, a.rng, mask=np.ones(5)),
    "scheme must be one of": lambda a: dr.rnn_dropout_config("gal", 0.5),
    r"X must have shape \(T, B, D\)": lambda a: dr.rnn_dropout_forward(
        a.X[0], a.h0, a.params, a.variational, a.rng),
    r"h0 must have shape \(B, H\)": lambda a: dr.rnn_dropout_forward(
        a.X, a.h0[:1], a.params, a.variational, a.rng),
    r"masks\['recurrent'\] must have shape \(3, 2, 5\)": lambda a: dr.rnn_dropout_forward(
        a.X, a.h0, a.params, a.variational, None,
        masks={"input": np.ones((3, 2, 4)), "output": np.ones((3, 2, 5)),
               "recurrent": np.ones((2, 5))}),
    r"masks is missing 'output'.*\(3, 2, 5\)": lambda a: dr.rnn_dropout_forward(
        a.X, a.h0, a.params, a.variational, None,
        masks={"input": np.ones((3, 2, 4)), "recurrent": np.ones((3, 2, 5))}),
    "masks has unknown key 'hidden'": lambda a: dr.rnn_dropout_forward(
        a.X, a.h0, a.params, RNNDropoutConfig(), None, masks={"hidden": np.ones((3, 2, 5))}),
    r"masks\['c'\] must have shape \(T, B, H\) = \(3, 2, 5\)": lambda a: dr.lstm_zoneout_forward(
        a.X, a.h0, a.c0, a.lstm_params, 0.1, 0.1, None, masks={"h": np.ones((3, 2, 5))}),
    r"c0 must have shape \(B, H\)": lambda a: dr.lstm_zoneout_forward(
        a.X, a.h0, a.c0[:, :1], a.lstm_params, 0.1, 0.1, a.rng),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message](_args())
