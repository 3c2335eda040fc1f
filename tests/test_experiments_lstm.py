"""The LSTM chapters' experiments and diagrams: an LSTM bridges a time lag a vanilla RNN with
as many weights does not yet bridge after the same training (chapter "LSTM: memory cells and
gates", on a shorter sequence and fewer steps), the seeded tiny runs are pinned, the gate
trace is seqbook.nn.lstm's, the diagrams draw each variant's gates, the gate-by-gate build-up, parameter counts."""
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
from seqbook.nn import lstm

TINY = lb.TrainConfig(hidden_size=4, steps=3, batch_size=4, eval_every=2, n_test=8)


def test_lstm_bridges_the_lag_the_rnn_does_not():
    """Temporal order, T = 30: which of X, Y came first, 10-20 % and 50-60 % into the sequence.
    After 100 updates the LSTM classifies every test sequence, the RNN is far from it."""
    config = lb.TrainConfig(hidden_size=8, steps=100, eval_every=100, n_test=200)
    runs = lb.compare("temporal_order", 30, config)
    assert runs["lstm"]["history"]["accuracy"][-1] > 0.95
    assert runs["rnn"]["history"]["accuracy"][-1] < 0.7  # chance: 0.25
    assert 0.9 < runs["rnn"]["params"] / runs["lstm"]["params"] < 1.1


# the histories of the tiny runs as the code gave them before the trainer port (float32 losses
# and scores, within 1e-5): a change in the order of random draws changes them
PINNED = {
    "adding": {"step": [2, 3], "train_loss": [0.8355293869972229, 0.7625115513801575, 0.6611399054527283],
               "mse": [0.6223125457763672, 0.5526621341705322], "solved": [0.0, 0.0]},
    "adding_modern": {"step": [2, 3], "train_loss": [2.2503914833068848, 1.8339426517486572, 0.8971541523933411],
                      "mse": [1.5740861892700195, 1.465321660041809], "solved": [0.0, 0.0]},
    "temporal_order": {"step": [2, 3], "train_loss": [1.4705522060394287, 1.4372979402542114, 1.5007426738739014],
                       "loss": [1.4231969118118286, 1.4172197580337524], "accuracy": [0.25, 0.25]},
    "embedded_reber": {"step": [2, 3], "train_loss": [5.329185962677002, 5.217037677764893, 5.18573522567749],
                       "strings": [0.0, 0.0], "penultimate": [0.0, 0.0]},
    "rnn_adding": {"step": [2, 3], "train_loss": [0.12502101063728333, 0.1388547122478485, 0.0270344577729702],
                   "mse": [0.014964226633310318, 0.013005399145185947], "solved": [0.25, 0.25]},
}
RUNS = {
    "adding": lambda c: lb.train_adding(12, c),
    "adding_modern": lambda c: lb.train_adding(12, c, variant="modern"),
    "temporal_order": lambda c: lb.train_temporal_order(20, c),
    "embedded_reber": lambda c: lb.train_embedded_reber(c),
    "rnn_adding": lambda c: lb.compare("adding", 12, c)["rnn"],
}


def assert_history(history, expected):
    assert list(history) == list(expected)
    assert history["step"] == expected["step"]
    for key, values in expected.items():
        assert history[key] == pytest.approx(values, abs=1e-5), key


@pytest.mark.parametrize("name", list(RUNS))
def test_training_is_pinned(name):
    assert_history(RUNS[name](TINY)["history"], PINNED[name])


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
    assert ld.variant_param_count("vanilla", 3, 5) == lstm.lstm_param_count(3, 5)
    # focused: i, o read h (H*H + 2H each), g reads x (H*D + 2H)
    assert ld.variant_param_count("focused", 3, 5) == 2 * (25 + 10) + (15 + 10)
    assert ld.variant_param_count("peephole", 3, 5) == lstm.lstm_param_count(3, 5) + 15


INPUT_LABELS = {"x": "x_t", "h": "h_{t-1}"}


def gate_labels(ax) -> dict[str, str]:
    """{gate: the label under its block}: gate names stand in one row, the labels of what
    each block reads in the row below, in the same left-to-right order."""
    def row(y):
        return [t.get_text() for t in sorted((t for t in ax.texts if t.get_position()[1] == y),
                                             key=lambda t: t.get_position()[0])]
    names = row(3.2)  # "$f_t$", "$i_t$", ...
    return {name[1]: label for name, label in zip(names, row(1.55), strict=True)}


@pytest.mark.parametrize("variant", list(ld.VARIANT_GATES))
def test_diagram_draws_the_variants_gates(variant):
    """Under each of the four gate blocks the diagram names what it reads, or "absent"; a
    peephole is drawn for each gate that reads the cell state."""
    fig = ld.draw_lstm_cell(variant)
    ax = fig.axes[0]
    gates = ld.VARIANT_GATES[variant]
    expected = {g: "$" + ",".join(INPUT_LABELS[k] for k in gates[g] if k != "c") + "$" if g in gates
                else "absent" for g in "ifgo"}
    assert gate_labels(ax) == expected
    assert [t.get_text() for t in ax.texts].count("peep") == sum("c" in reads for reads in gates.values())
    assert ax.get_title() == ld.VARIANT_TITLES[variant]
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
