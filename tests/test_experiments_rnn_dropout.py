"""The dropout experiment of the chapter "Regularizing and normalizing recurrent networks":
dropping the memory cell at every step destroys the LSTM's memory while variational dropout
leaves it intact; its LSTM loop is nn.LSTM's, its zoneout is seqbook.nn's; the seeded run is
pinned."""
import dataclasses

import numpy as np
import pytest
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


def test_dropping_the_cell_destroys_the_memory():
    """The chapter's measurement on a shorter lag: a new mask on c_t at every step leaves a
    cell unit alive across the 8 steps with probability 0.75^8 = 10 %, and the copy stays at
    chance (1/4); one mask per sequence on x, h and y learns the task."""
    config = dataclasses.replace(rd.DropoutExperimentConfig(), delay=8, hidden_size=16, steps=120,
                                 batch_size=32, n_test=200, schemes=("naive_cell", "variational"))
    results = rd.run_experiment(config, log_every=40)
    assert results["variational"].test_accuracy > 0.9
    assert results["naive_cell"].test_accuracy < 0.4
    assert results["naive_cell"].losses[-1][1] > 1.2  # near ln 4, the loss of guessing


# losses and test accuracies of the tiny configuration as the code gave them before the trainer
# port (float32 losses within 1e-5): a change in the order of random draws changes them
PINNED = {
    "naive": [1.760512351989746, 1.953589677810669, 1.7992870807647705],
    "variational": [1.7637503147125244, 1.8645042181015015, 1.8037229776382446],
    "zoneout": [1.7533715963363647, 1.879396677017212, 1.7710967063903809],
    "naive_cell": [1.7587494850158691, 1.8916751146316528, 1.7619178295135498],
}


def test_training_is_pinned():
    config = dataclasses.replace(rd.DropoutExperimentConfig(), steps=3, batch_size=8, n_test=16,
                                 delay=2, hidden_size=8, schemes=tuple(PINNED))
    results = rd.run_experiment(config, log_every=1)
    assert list(results) == list(PINNED)
    for scheme, losses in PINNED.items():
        assert [loss for _, loss in results[scheme].losses] == pytest.approx(losses, abs=1e-5), scheme
        assert [acc for _, acc in results[scheme].accuracies] == [0.0, 0.0, 0.0]
