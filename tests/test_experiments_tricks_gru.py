"""Fast checks of the experiments of the chapters "Tricks of the trade" and "GRU and
highway networks": shapes and determinism with tiny settings, not learning success."""
import numpy as np

from seqbook.experiments import counting, lstm_tricks


def test_ticker_sequence_layout():
    x = np.array([[0.5, -0.25], [0.1, 0.2]])
    S = lstm_tricks.with_ticker_steps(x, 2)
    assert tuple(S.shape) == (3, 2, 3)
    np.testing.assert_allclose(S[:, :, :2].numpy(), np.broadcast_to(x, (3, 2, 2)), rtol=1e-6)
    assert S[0, :, 2].sum() == 0 and (S[1:, :, 2] == 1).all()


def test_rings_labels():
    x, y = lstm_tricks.rings(200, np.random.default_rng(0))
    r = np.sqrt((x ** 2).sum(axis=1))
    assert x.shape == (200, 2) and set(np.unique(y)) <= {0, 1}
    assert (y[r < 0.25] == 0).all() and (y[(r > 0.25) & (r < 0.5)] == 1).all()


def test_ticker_run_is_deterministic():
    cfg = lstm_tricks.TickerConfig(ticker_steps=1, hidden_size=3, n_train=16, n_test=8, steps=3)
    a, b = lstm_tricks.run_ticker(cfg), lstm_tricks.run_ticker(cfg)
    np.testing.assert_array_equal(a["losses"], b["losses"])
    assert a["pred"].shape == (8,) and 0 <= a["test_accuracy"] <= 1
    sweep = lstm_tricks.ticker_sweep(ks=(0, 2), seeds=(0,), hidden_size=2, n_train=8,
                                     n_test=4, steps=2)
    assert sorted(sweep) == [0, 2] and len(sweep[0]) == 1


def test_counting_batch_masks_and_targets():
    X, Y, M = counting._batch([1, 3])
    assert tuple(X.shape) == (8, 2, 4) and tuple(M.shape) == (8, 2)
    assert M[:, 0].sum() == 3 and M[:, 1].sum() == 7
    # after the last b of n = 3 (step 6) only T may follow
    np.testing.assert_array_equal(Y[6, 1].numpy(), [0, 0, 0, 1])


def test_largest_correct_n():
    assert counting.largest_correct_n(np.array([True, True, False, True])) == 2
    assert counting.largest_correct_n(np.array([False])) == 0
    assert counting.largest_correct_n(np.ones(5, bool)) == 5


def test_counting_runs_are_deterministic_and_sized():
    for cell, per_block in (("lstm", 4), ("gru", 3)):
        cfg = counting.CountingConfig(cell=cell, hidden_size=2, train_max_n=3, test_max_n=5,
                                      steps=3)
        a, b = counting.run_counting(cfg), counting.run_counting(cfg)
        np.testing.assert_array_equal(a["losses"], b["losses"])
        assert a["ok"].shape == (5,)
        assert a["params"] == per_block * 2 * (4 + 2 + 2)
        states = counting.states_along(a["model"], 3)
        assert states["h"].shape == (7, 2)
        assert ("c" in states) == (cell == "lstm")
