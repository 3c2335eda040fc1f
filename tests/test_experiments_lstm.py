"""The LSTM chapters' experiment and diagram code: shapes, determinism, parameter counts."""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest
import torch

from seqbook.experiments import lstm_benchmarks as lb
from seqbook.experiments import lstm_diagrams as ld
from seqbook.nn import gru

TINY = lb.TrainConfig(hidden_size=4, steps=3, batch_size=4, eval_every=2, n_test=8)


@pytest.mark.parametrize("run", [
    lambda c: lb.train_adding(12, c),
    lambda c: lb.train_adding(12, c, variant="modern"),
    lambda c: lb.train_temporal_order(20, c),
    lambda c: lb.train_embedded_reber(c),
])
def test_training_is_deterministic(run):
    a, b = run(TINY), run(TINY)
    assert a["history"]["step"] == [2, 3]
    assert a["history"] == b["history"]
    assert len(a["history"]["train_loss"]) == 3


def test_compare_matches_parameter_counts():
    runs = lb.compare("adding", 12, TINY)
    assert set(runs) == {"lstm", "rnn"}
    ratio = runs["rnn"]["params"] / runs["lstm"]["params"]
    assert 0.9 < ratio < 1.1
    assert isinstance(runs["rnn"]["model"].rnn, torch.nn.RNN)


def test_forget_bias_is_set():
    model = lb.SequenceNet("lstm", 2, 5, 1, forget_bias=2.0)
    b = model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0
    assert torch.allclose(b[5:10], torch.full((5,), 2.0))


def test_gate_trace_matches_torch():
    model = lb.train_adding(12, TINY)["model"]
    X = np.random.default_rng(0).standard_normal((12, 2))
    trace = lb.gate_trace(model, X)
    assert trace["i"].shape == (12, 4) and trace["c"].shape == (12, 4)
    with torch.no_grad():
        out = model(torch.tensor(X[:, None], dtype=torch.float32))[:, 0, 0].numpy()
    np.testing.assert_allclose(trace["output"], out, atol=1e-5)


def test_variant_param_counts():
    assert ld.variant_param_count("vanilla", 3, 5) == gru.lstm_param_count(3, 5)
    # focused: i, o read h (H*H + 2H each), g reads x (H*D + 2H)
    assert ld.variant_param_count("focused", 3, 5) == 2 * (25 + 10) + (15 + 10)
    assert ld.variant_param_count("peephole", 3, 5) == gru.lstm_param_count(3, 5) + 15


@pytest.mark.parametrize("variant", list(ld.VARIANT_GATES))
def test_diagrams_draw(variant):
    fig = ld.draw_lstm_cell(variant)
    assert fig.axes
    matplotlib.pyplot.close(fig)
