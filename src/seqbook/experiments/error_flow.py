"""How much error reaches the state k steps back, in trained networks; for the chapter "LSTM:
memory cells and gates" (book/lstm/lstm.md).

The vanishing-gradient argument is about products of Jacobians; this module measures the
effect in networks that were actually trained on the same task. For a sequence of length T
and its loss L at the last step, the error that reaches the recurrent state k steps back is
``∂L/∂s_{T-k}``, with ``s_t = h_t`` for a vanilla RNN and ``s_t = (h_t, c_t)`` for an LSTM
(the error on the cell state is the one that can travel far). ``error_by_lag`` computes it
with autograd by running the network's own ``nn.LSTM`` / ``nn.RNN`` one step at a time, and
reports ``‖∂L/∂s_{T-k}‖ / ‖∂L/∂s_T‖``, the fraction of the error at the output that is
still there k steps back, as the median over test sequences.

``run(Config())`` trains an LSTM and a vanilla RNN with the same number of parameters on the
adding problem (``seqbook.experiments.lstm_benchmarks.compare``) and measures both, trained
and at their initialisation (``initial_model``). The chapter measures the networks it has
already trained with ``measure``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqbook import tasks
from seqbook.experiments import lstm_benchmarks as lb


@dataclass(frozen=True)
class Config:
    seq_len: int = 60  # T of the adding problem (the modern form: one marker in each half)
    steps: int = 1000  # Adam updates of each network
    hidden_size: int = 16  # LSTM cells; the RNN gets as many parameters (about twice the units)
    lr: float = 1e-2  # Adam's learning rate
    n_sequences: int = 200  # test sequences the median is taken over
    seed: int = 0  # seeds the training runs and (plus 1) the test sequences


@dataclass
class Result:
    lags: np.ndarray  # (T,) k = 0 .. T-1
    trained: dict[str, np.ndarray]  # cell ("lstm", "rnn") -> (T,) median ‖∂L/∂s_{T-k}‖ / ‖∂L/∂s_T‖
    initial: dict[str, np.ndarray]  # the same for the untrained networks
    runs: dict  # the training runs of lstm_benchmarks.compare, {cell: result}


def error_by_lag(model: lb.SequenceNet, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Median over sequences of ``‖∂L/∂s_{T-k}‖ / ‖∂L/∂s_T‖`` for k = 0 .. T-1.

    Args:
        model: a ``SequenceNet`` (one-layer ``nn.LSTM`` or ``nn.RNN`` and a linear read-out)
            trained for a many-to-one regression such as the adding problem.
        X: inputs, (N, T, D) as ``seqbook.tasks`` makes them; y: targets, (N,).

    The loss of sequence n is ``(ŷ_n - y_n)^2`` at its last step; the sequences are
    independent, so one backward pass of their sum gives every ``∂L_n/∂s_t``.
    """
    X = torch.as_tensor(np.ascontiguousarray(X.transpose(1, 0, 2)), dtype=torch.float32)
    T, N, _ = X.shape
    rnn = model.rnn
    is_lstm = isinstance(rnn, torch.nn.LSTM)
    H = rnn.hidden_size
    state = ((torch.zeros(1, N, H), torch.zeros(1, N, H)) if is_lstm else torch.zeros(1, N, H))
    states = []
    for t in range(T):
        # the network's own layer, one step at a time, so that every s_t is a graph node
        _, state = rnn(X[t:t + 1], state)
        for s in (state if is_lstm else (state,)):
            s.retain_grad()
        states.append(state if is_lstm else (state,))
    h_T = state[0] if is_lstm else state  # (1, N, H): the last state itself, not a copy
    prediction = model.head(h_T[0])[:, 0]  # (N,)
    loss = ((prediction - torch.as_tensor(y, dtype=torch.float32)) ** 2).sum()
    loss.backward()
    # ‖∂L_n/∂s_t‖ per sequence n: (T, N), s_t = h_t (RNN) or [h_t, c_t] (LSTM)
    # (c_T does not reach the loss: its gradient is None, i.e. zero)
    norms = torch.stack([torch.cat([torch.zeros(N, H) if s.grad is None else s.grad[0]
                                    for s in st], dim=1).norm(dim=1)
                         for st in states]).detach().numpy()
    relative = norms / norms[-1]  # relative to the error at the last state
    return np.median(relative[::-1], axis=1)  # index k = lag T - t


def initial_model(run: dict) -> lb.SequenceNet:
    """The network of a ``lstm_benchmarks`` training run as it was before training: the same
    seed and construction give the same initial weights."""
    config = run["config"]
    input_size, output_size = lb._TASKS[run["task"]][:2]
    torch.manual_seed(config.seed)
    return lb.SequenceNet(config.cell, input_size, config.hidden_size, output_size,
                          config.forget_bias)


def measure(runs: dict, seq_len: int, n_sequences: int = 200, seed: int = 1) -> tuple[dict, dict]:
    """``error_by_lag`` of the trained and of the initial networks of ``runs`` ({cell: run of
    the adding problem}) on ``n_sequences`` fresh test sequences; returns (trained, initial)."""
    X, y = tasks.adding_problem(n_sequences, seq_len, seed, variant="modern")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is many times faster on a busy machine
    try:
        trained = {cell: error_by_lag(run["model"], X, y) for cell, run in runs.items()}
        initial = {cell: error_by_lag(initial_model(run), X, y) for cell, run in runs.items()}
    finally:
        torch.set_num_threads(threads)
    return trained, initial


def run(config: Config = Config()) -> Result:
    """Train an LSTM and an RNN on the adding problem and measure the error by lag."""
    train = lb.TrainConfig(steps=config.steps, lr=config.lr, hidden_size=config.hidden_size,
                           eval_every=config.steps, seed=config.seed)
    runs = lb.compare("adding", config.seq_len, train, variant="modern")
    trained, initial = measure(runs, config.seq_len, config.n_sequences, config.seed + 1)
    return Result(lags=np.arange(config.seq_len), trained=trained, initial=initial, runs=runs)
