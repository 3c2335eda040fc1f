"""LSTM versus a vanilla RNN on the long-time-lag benchmarks of Hochreiter & Schmidhuber (1997).

Small PyTorch models trained on CPU in a few seconds, seeded, for the chapter
"LSTM: memory cells and gates":

- ``train_adding``: the adding problem (their experiment 4), the 1997 variant of
  ``seqbook.tasks.adding_problem``: target ``0.5 + (v_1 + v_2) / 4``, a sequence counts as
  solved when the absolute error at its end is below 0.04, as in the paper.
- ``train_temporal_order``: the temporal order problem (their experiment 6a): classify
  ``B ... X ... Y ... E`` by the order of the two relevant symbols, 4 classes.
- ``train_embedded_reber``: next-symbol prediction on the embedded Reber grammar (their
  experiment 1); a string counts as learned when at every step the symbols whose predicted
  probability exceeds 0.5 are exactly the symbols the grammar allows next.
- ``gate_trace``: copies a trained ``torch.nn.LSTM`` into ``seqbook.nn.lstm`` and returns
  the gate activations and cell states of one sequence, step by step.

Training data are drawn fresh for every mini-batch (the paper's setting: an endless stream
of random sequences); the test sets are fixed and drawn from a separate seed. Each run
sets ``torch.manual_seed`` and uses one thread, so the same config gives the same numbers.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from seqbook import tasks
from seqbook.nn import lstm
from seqbook.torch_reference import numpy_state


@dataclass(frozen=True)
class TrainConfig:
    """One training run."""
    cell: str = "lstm"  # "lstm" (torch.nn.LSTM) or "rnn" (torch.nn.RNN with tanh)
    hidden_size: int = 16  # units of the recurrent layer
    steps: int = 500  # Adam updates, each on a fresh mini-batch
    batch_size: int = 32  # sequences per update
    lr: float = 1e-2  # Adam's learning rate
    forget_bias: float = 1.0  # b_f = bias_ih + bias_hh of the forget gate at initialisation
    clip: float = 1.0  # gradient-norm clipping threshold
    eval_every: int = 50  # evaluate on the test set every so many updates
    n_test: int = 500  # test sequences
    seed: int = 0  # seeds torch (initial weights) and numpy (data)


class SequenceNet(nn.Module):
    """A one-layer ``nn.LSTM`` or ``nn.RNN`` followed by a linear read-out.

    ``forward(X)`` takes ``X (T, B, D)`` and returns the read-out of every step,
    ``(T, B, output_size)``; many-to-one tasks use the last row.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int,
                 forget_bias: float = 1.0):
        super().__init__()
        if cell == "lstm":
            self.rnn = nn.LSTM(input_size, hidden_size)
            H = hidden_size
            with torch.no_grad():
                # b_f = bias_ih[H:2H] + bias_hh[H:2H] = forget_bias: start by remembering
                self.rnn.bias_ih_l0[H:2 * H] = forget_bias
                self.rnn.bias_hh_l0[H:2 * H] = 0.0
        elif cell == "rnn":
            self.rnn = nn.RNN(input_size, hidden_size, nonlinearity="tanh")
        else:
            raise ValueError(f"cell must be 'lstm' or 'rnn', got {cell!r}")
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        H, _ = self.rnn(X)  # (T, B, hidden)
        return self.head(H)  # (T, B, output_size)


def param_count(module: nn.Module) -> int:
    """Number of trainable parameters, as PyTorch counts them."""
    return sum(p.numel() for p in module.parameters())


def rnn_hidden_matching(lstm_hidden: int, input_size: int, output_size: int) -> int:
    """Hidden size of a ``SequenceNet("rnn", ...)`` whose parameter count is closest to that
    of ``SequenceNet("lstm", ...)`` with ``lstm_hidden`` units (about twice as many units)."""
    def count(cell, h):
        gates = 4 if cell == "lstm" else 1
        return gates * h * (input_size + h + 2) + h * output_size + output_size
    target = count("lstm", lstm_hidden)
    return min(range(1, 8 * lstm_hidden), key=lambda h: abs(count("rnn", h) - target))


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)


# ---------------------------------------------------------------------------------------
# The three tasks: data as (T, B, D) tensors, loss and score
# ---------------------------------------------------------------------------------------

def _adding_batch(n, seq_len, rng, variant="1997"):
    X, y = tasks.adding_problem(n, seq_len, rng, variant=variant)  # (N, T, 2), (N,)
    return _tensor(X.transpose(1, 0, 2)), _tensor(y)  # (T, N, 2), (N,)


def _temporal_order_batch(n, seq_len, rng):
    ids, y, _ = tasks.temporal_order(n, seq_len, rng)  # (N, T), (N,)
    X = tasks.one_hot(ids, len(tasks.TEMPORAL_ORDER_VOCAB))  # (N, T, 8)
    return _tensor(X.transpose(1, 0, 2)), torch.as_tensor(y)


def _reber_batch(n, rng):
    data = tasks.embedded_reber(n, rng)
    X = _tensor(data["inputs"].transpose(1, 0, 2))  # (T, N, 7), zero rows on padding
    Y = _tensor(data["targets"].transpose(1, 0, 2))  # (T, N, 7) multi-hot next symbols
    T = X.shape[0]
    # a step is scored while the string lasts, up to its final E (which has no successor)
    mask = torch.as_tensor(np.arange(T)[:, None] < data["lengths"][None] - 1)  # (T, N)
    return X, Y, mask


def _adding_loss(model, batch):
    X, y = batch
    return nn.functional.mse_loss(model(X)[-1, :, 0], y)


def _adding_score(model, batch):
    """Test MSE and the fraction of sequences with |error| < 0.04 (the paper's criterion)."""
    X, y = batch
    err = model(X)[-1, :, 0] - y
    return {"mse": float((err ** 2).mean()), "solved": float((err.abs() < 0.04).float().mean())}


def _order_loss(model, batch):
    X, y = batch
    return nn.functional.cross_entropy(model(X)[-1], y)


def _order_score(model, batch):
    X, y = batch
    logits = model(X)[-1]
    return {"loss": float(nn.functional.cross_entropy(logits, y)),
            "accuracy": float((logits.argmax(1) == y).float().mean())}


def _reber_loss(model, batch):
    X, Y, mask = batch
    loss = nn.functional.binary_cross_entropy_with_logits(model(X), Y, reduction="none")
    return loss.sum(2)[mask].mean()


def _reber_score(model, batch):
    """Fraction of strings predicted right at every step, and of the penultimate symbol
    (the long-time-lag T or P) predicted right."""
    X, Y, mask = batch
    predicted = model(X) > 0  # sigmoid(logit) > 0.5, (T, N, 7)
    step_ok = (predicted == (Y > 0.5)).all(2) | ~mask  # (T, N)
    lengths = mask.sum(0) + 1  # (N,)
    rows = torch.arange(X.shape[1])
    penultimate = (predicted == (Y > 0.5)).all(2)[lengths - 3, rows]  # predicting T/P before E
    return {"strings": float(step_ok.all(0).float().mean()),
            "penultimate": float(penultimate.float().mean())}


_TASKS = {
    "adding": (2, 1, _adding_loss, _adding_score),
    "temporal_order": (len(tasks.TEMPORAL_ORDER_VOCAB), 4, _order_loss, _order_score),
    "embedded_reber": (len(tasks.REBER_SYMBOLS), len(tasks.REBER_SYMBOLS), _reber_loss,
                       _reber_score),
}


def _train(task: str, config: TrainConfig, make_batch) -> dict:
    """The shared loop: fresh batches, Adam, gradient clipping, periodic test scores."""
    input_size, output_size, loss_fn, score_fn = _TASKS[task]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(config.seed)
        model = SequenceNet(config.cell, input_size, config.hidden_size, output_size,
                            config.forget_bias)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        train_rng = np.random.default_rng(config.seed)
        test_batch = make_batch(config.n_test, np.random.default_rng(10_000 + config.seed))
        history = {"step": [], "train_loss": []}
        start = time.perf_counter()
        for step in range(1, config.steps + 1):
            loss = loss_fn(model, make_batch(config.batch_size, train_rng))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            history["train_loss"].append(loss.item())
            if step % config.eval_every == 0 or step == config.steps:
                with torch.no_grad():
                    scores = score_fn(model, test_batch)
                history["step"].append(step)
                for name, value in scores.items():
                    history.setdefault(name, []).append(value)
        return {"task": task, "config": config, "model": model,
                "params": param_count(model), "history": history,
                "final": {name: values[-1] for name, values in history.items()
                          if name not in ("step", "train_loss")},
                "seconds": time.perf_counter() - start}
    finally:
        torch.set_num_threads(threads)


def train_adding(seq_len: int, config: TrainConfig = TrainConfig(), variant: str = "1997") -> dict:
    """Train on the adding problem (1997 variant) with sequences of length ``seq_len``.

    Returns a dict with ``model``, ``params`` (its parameter count), ``history`` (``step``,
    ``train_loss`` per update; test ``mse`` and ``solved`` every ``eval_every`` updates),
    ``final`` (the last test scores) and ``seconds`` of training.
    """
    return _train("adding", config, lambda n, rng: _adding_batch(n, seq_len, rng, variant))


def train_temporal_order(seq_len: int, config: TrainConfig = TrainConfig()) -> dict:
    """Train on the temporal order problem (two relevant symbols, 4 classes); the history
    has test ``loss`` and ``accuracy``. Otherwise as ``train_adding``."""
    return _train("temporal_order", config, lambda n, rng: _temporal_order_batch(n, seq_len, rng))


def train_embedded_reber(config: TrainConfig = TrainConfig()) -> dict:
    """Train next-symbol prediction on embedded Reber strings; the history has the test
    fraction of ``strings`` predicted right at every step and of the ``penultimate``
    symbol (the long-lag T/P) predicted right. Otherwise as ``train_adding``."""
    return _train("embedded_reber", config, _reber_batch)


def compare(task: str, seq_len: int | None, config: TrainConfig,
            cells=("lstm", "rnn"), variant: str = "1997") -> dict:
    """Train an LSTM and a vanilla RNN with about the same number of parameters (the RNN gets
    ``rnn_hidden_matching`` units) on the same task and data; returns ``{cell: result}``.
    ``variant`` is the adding problem's ("1997" or "modern")."""
    input_size, output_size, _, _ = _TASKS[task]
    runs = {}
    for cell in cells:
        hidden = config.hidden_size if cell == "lstm" else rnn_hidden_matching(
            config.hidden_size, input_size, output_size)
        cfg = replace(config, cell=cell, hidden_size=hidden)
        if task == "adding":
            runs[cell] = train_adding(seq_len, cfg, variant)
        elif task == "temporal_order":
            runs[cell] = train_temporal_order(seq_len, cfg)
        elif task == "embedded_reber":
            runs[cell] = train_embedded_reber(cfg)
        else:
            raise ValueError(f"task must be one of {list(_TASKS)}, got {task!r}")
    return runs


def gate_trace(model: SequenceNet, X: np.ndarray) -> dict:
    """Run ``seqbook.nn.lstm.lstm_forward`` with the weights of a trained LSTM ``model`` on
    one sequence ``X (T, D)`` and return its gates step by step.

    Returns a dict of arrays, each (T, H): ``i, f, g, o, c, h``, and ``output (T,)`` the
    read-out of the first output unit.
    """
    if not isinstance(model.rnn, nn.LSTM):
        raise ValueError("gate_trace needs a model with an LSTM layer")
    params = numpy_state(model.rnn, "_l0", dtype=np.float64)
    H = params["weight_hh"].shape[1]
    zeros = np.zeros((1, H))
    X = np.asarray(X, dtype=np.float64)[:, None, :]  # (T, 1, D)
    states, _, cache = lstm.lstm_forward(X, zeros, zeros, params)
    trace = {k: np.stack([step[k][0] for step in cache["steps"]]) for k in "ifgoc"}
    trace["h"] = states[:, 0]
    W = model.head.weight.detach().double().numpy()  # (K, H)
    b = model.head.bias.detach().double().numpy()
    trace["output"] = states[:, 0] @ W[0] + b[0]  # (T,)
    return trace
