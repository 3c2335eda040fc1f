"""The dropout experiment's LSTM loop is nn.LSTM's, its zoneout is seqbook.nn's, and it is seeded."""
import dataclasses

import numpy as np
import torch

from seqbook.experiments import rnn_dropout as rd
from seqbook.nn.dropout import lstm_zoneout_forward


def _model(D=3, H=5, K=4):
    torch.manual_seed(0)
    return rd.DropoutLSTM(D, H, K).double()


def test_loop_without_masks_is_nn_lstm():
    model = _model()
    reference = torch.nn.LSTM(3, 5).double()
    reference.load_state_dict({f"{n}_l0": getattr(model, n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    X = torch.randn(7, 2, 3, dtype=torch.float64)
    _, H = model.recurrent(X, {})
    expected, _ = reference(X)
    torch.testing.assert_close(H, expected)


def test_zoneout_matches_seqbook_nn():
    model = _model()
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 2, 3))
    masks = rd.sample_masks(6, 2, 3, 5, "zoneout", 0.3, rng)
    _, H = model.recurrent(torch.tensor(X), {k: v.double() for k, v in masks.items()})
    params = {n: getattr(model, n).detach().numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    zeros = np.zeros((2, 5))
    expected, _, _ = lstm_zoneout_forward(X, zeros, zeros, params, 0.3, 0.3, None,
                                          masks={"h": masks["zoneout"].double().numpy(),
                                                 "c": masks["zoneout_c"].double().numpy()})
    np.testing.assert_allclose(H.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    # test time: the expectation, as seqbook.nn
    _, H_test = model.recurrent(torch.tensor(X), {}, zoneout=0.3)
    expected, _, _ = lstm_zoneout_forward(X, zeros, zeros, params, 0.3, 0.3, None, training=False)
    np.testing.assert_allclose(H_test.detach().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_masks_per_scheme():
    rng = np.random.default_rng(0)
    T, B, D, H = 4, 3, 2, 6
    assert rd.sample_masks(T, B, D, H, "none", 0.5, rng) == {}
    naive = rd.sample_masks(T, B, D, H, "naive", 0.5, rng)
    assert set(naive) == {"input", "recurrent", "output"}
    assert naive["recurrent"].shape == (T, B, H) and naive["input"].shape == (T, B, D)
    variational = rd.sample_masks(T, B, D, H, "variational", 0.5, rng)
    for mask in variational.values():  # one mask per sequence: the same at every step
        assert torch.equal(mask, mask[:1].expand_as(mask))
    assert set(rd.sample_masks(T, B, D, H, "naive_cell", 0.5, rng)) == {"input", "output", "cell"}
    assert set(rd.sample_masks(T, B, D, H, "zoneout", 0.5, rng)) == {"zoneout", "zoneout_c"}


def test_training_is_seeded():
    config = dataclasses.replace(rd.DropoutExperimentConfig(), steps=3, batch_size=8, n_test=16,
                                 delay=2, hidden_size=8, schemes=("naive", "variational"))
    a = rd.run_experiment(config, log_every=1)
    b = rd.run_experiment(config, log_every=1)
    assert list(a) == ["naive", "variational"]
    for scheme in a:
        assert a[scheme].losses == b[scheme].losses
        assert len(a[scheme].accuracies) == 3 and 0 <= a[scheme].test_accuracy <= 1
