"""The vanishing-gradient chapter's long-lag experiment, on two lags and one seed: the
vanilla RNN learns the short lag and not the long one, the LSTM (forget gate open) both."""
import numpy as np

from seqbook.experiments import long_lags as ll


def test_first_symbol_task():
    X, y = ll.first_symbol_task(50, 7, np.random.default_rng(0))
    assert X.shape == (50, 8, 6) and set(y) == {0, 1}
    ids = X.argmax(-1)
    assert (ids[:, 0] == y).all() and (ids[:, 1:] >= ll.N_CLASSES).all()  # distractors after


def test_rnn_fails_at_a_long_lag_where_the_lstm_learns():
    config = ll.Config(lags=(5, 40), seeds=(0,), models=(("RNN", "rnn", None), ("LSTM", "lstm", 5.0)),
                       n_test=200)
    result = ll.run(config)
    assert result.success_rate("RNN", 5) == 1.0 and result.success_rate("LSTM", 5) == 1.0
    assert result.success_rate("RNN", 40) == 0.0, result.accuracy
    assert result.success_rate("LSTM", 40) == 1.0, result.accuracy
    assert result.accuracy["RNN", 40][0] < 0.6  # at chance, not just below the criterion
