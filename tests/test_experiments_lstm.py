"""The LSTM chapters' experiment and diagram code: what each experiment teaches, determinism,
parameter counts."""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest
import torch

from seqbook import tasks
from seqbook.experiments import error_flow
from seqbook.experiments import lstm_benchmarks as lb
from seqbook.experiments import lstm_diagrams as ld
from seqbook.experiments import lstm_gate_by_gate as gbg
from seqbook.experiments import reber_diagrams as rd
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


# --- the cell built one gate at a time (lstm.md) --------------------------------------------

def test_each_gate_fixes_what_the_chapter_says():
    runs = {gates: gbg.run(gbg.Config(gates=gates)) for gates in gbg.STAGES}
    wrong = {gates: r.wrong for gates, r in runs.items()}
    # the carousel adds everything; the input gate selects; the output gate hides; the
    # forget gate replaces: every stage gets fewer steps wrong, the full cell none
    assert wrong[""] > wrong["i"] > wrong["io"] > wrong["ifo"] == 0, wrong
    writes, reads = list(gbg.Config().writes), list(gbg.Config().reads)
    full = runs["ifo"]
    assert full.i[writes].min() > 0.99 and np.delete(full.i, writes).max() < 1e-3
    assert full.f[writes].max() < 1e-3 and full.o[reads].min() > 0.99
    # without a forget gate the second write is added to the first
    io = runs["io"]
    assert io.c[-1] == pytest.approx(np.tanh(io.x[writes, 0]).sum(), abs=0.01)
    assert full.c[-1] == pytest.approx(np.tanh(full.x[writes[1], 0]), abs=0.01)


def test_gate_by_gate_rejects_unknown_gates():
    with pytest.raises(ValueError, match="subset of 'ifo'"):
        gbg.run(gbg.Config(gates="ig"))


def test_build_up_diagrams_draw_only_the_gates_shown():
    def labels(fig):
        return {t.get_text() for t in fig.axes[0].texts}

    fig = ld.draw_lstm_cell(show="", title=False)
    assert "$g_t$" in labels(fig) and not {"$i_t$", "$f_t$", "$o_t$"} & labels(fig)
    fig2 = ld.draw_lstm_cell(show="io", new="o")
    assert {"$i_t$", "$o_t$"} <= labels(fig2) and "$f_t$" not in labels(fig2)
    o_label = next(t for t in fig2.axes[0].texts if t.get_text() == "$o_t$")
    assert o_label.get_color() == "tab:blue"  # the gate just added is highlighted
    with pytest.raises(ValueError, match="subset"):
        ld.draw_lstm_cell(show="io", new="f")
    for f in (fig, fig2):
        matplotlib.pyplot.close(f)


# --- the Reber grammar figure (lstm.md) ------------------------------------------------------

def test_reber_diagram_draws_every_edge_of_the_automaton():
    fig = rd.draw_reber_grammar()
    drawn = sorted(t.get_text() for t in fig.axes[0].texts if t.get_text())  # not the arrows
    assert drawn == sorted(s for edges in tasks.REBER_GRAPH.values() for s in edges)
    fig2 = rd.draw_embedded_reber_grammar()
    symbols = sorted(t.get_text() for t in fig2.axes[0].texts if len(t.get_text()) == 1)
    assert symbols == ["B", "E", "P", "P", "T", "T"]
    for f in (fig, fig2):
        matplotlib.pyplot.close(f)


# --- error flow in trained networks (lstm.md) ------------------------------------------------

def test_trained_lstm_keeps_the_error_that_the_trained_rnn_loses():
    T = 20
    result = error_flow.run(error_flow.Config(seq_len=T, steps=400, n_sequences=50))
    assert result.runs["lstm"]["final"]["mse"] < 0.01  # the LSTM has learned the task
    assert result.trained["lstm"][0] == result.trained["rnn"][0] == 1.0
    assert result.trained["lstm"][T - 1] > 0.3
    assert result.trained["rnn"][T - 1] < 0.01
    # training made the difference: the untrained LSTM loses the error too
    assert result.trained["lstm"][T - 1] > 20 * result.initial["lstm"][T - 1]
