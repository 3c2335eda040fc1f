"""Learning a long time lag: how often a vanilla RNN and an LSTM learn it, against the lag
(chapter "Vanishing and exploding gradients").

The task (``first_symbol_task``) isolates the lag: the first input is one of two symbols,
X or Y; then come ``lag`` random distractor symbols; at the end the network must say
whether the sequence began with X or Y. This is the "latch" of Bengio, Simard and
Frasconi (1994) and the two-sequence problem of Hochreiter and Schmidhuber (1997,
experiment 2), with noisy distractors. Only the error at the end teaches the network to
keep the first symbol, and that error has to travel back ``lag`` steps.

``run(Config()) -> Result`` trains, for every lag and seed, a ``seqbook.train``
``SequenceClassifier`` with each recurrent cell of ``Config.models`` for a fixed budget of
Adam steps and counts a run as a success when its test accuracy reaches
``Config.criterion`` (chance is 0.5). The LSTM's forget-gate bias is the knob that connects
the experiment to the constant error carousel: with a large bias the forget gate starts near
1, ``dc_t/dc_{t-1} = f_t ≈ 1``, as in the original LSTM without a forget gate; PyTorch's
default initialisation starts it near 0.5, and the error through the cell then shrinks like
0.5^lag.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from seqbook import tasks, train

N_CLASSES = 2  # the first symbol: X (0) or Y (1); distractors are the symbols 2, 3, ...


@dataclass(frozen=True)
class Config:
    """Lags, models and the training budget of every run."""
    lags: tuple = (10, 20, 40, 80)  # distractor steps between the first symbol and the answer
    # (name, cell, forget-gate bias added at initialisation; None: PyTorch's default)
    models: tuple = (("RNN", "rnn", None), ("LSTM", "lstm", 5.0),
                     ("LSTM, default init", "lstm", None))
    seeds: tuple = (0, 1, 2)  # one run per seed: initialisation, data, batches
    hidden_size: int = 8  # H, the same for every cell
    n_distractors: int = 4  # distractor symbols, one-hot inputs of N_CLASSES + n_distractors
    steps: int = 200  # Adam steps per run
    batch_size: int = 32  # fresh sequences per step
    lr: float = 3e-3  # Adam learning rate
    clip_norm: float = 1.0  # gradient clipping by the global norm
    n_test: int = 500  # fresh test sequences per run
    criterion: float = 0.95  # test accuracy that counts as learned (chance 0.5)


@dataclass
class Result:
    """Test accuracy of every run."""
    config: Config
    accuracy: dict = field(default_factory=dict)  # (model name, lag) -> [accuracy per seed]
    seconds: float = float("nan")  # wall-clock time of the whole sweep

    def success_rate(self, name: str, lag: int) -> float:
        """Fraction of the seeds whose run reached the criterion."""
        return float(np.mean(np.array(self.accuracy[name, lag]) >= self.config.criterion))


def first_symbol_task(n: int, lag: int, rng: np.random.Generator, n_distractors: int = 4):
    """n sequences of length lag + 1: X or Y, then ``lag`` random distractors.

    Returns:
        X: (n, lag + 1, N_CLASSES + n_distractors) float32 one-hot inputs.
        y: (n,) int64, 0 if the sequence began with X, 1 if with Y.
    """
    y = rng.integers(0, N_CLASSES, n)
    ids = rng.integers(N_CLASSES, N_CLASSES + n_distractors, (n, lag + 1))
    ids[:, 0] = y
    return tasks.one_hot(ids, N_CLASSES + n_distractors, dtype=np.float32), y


def train_one(cell: str, forget_bias: float | None, lag: int, seed: int, config: Config) -> float:
    """Train one ``SequenceClassifier``; return its accuracy on fresh test sequences."""
    torch.manual_seed(seed)  # the initialisation
    H = config.hidden_size
    model = train.SequenceClassifier(cell, input_size=N_CLASSES + config.n_distractors,
                                     hidden_size=H, output_size=N_CLASSES)
    if forget_bias is not None:  # PyTorch's gate order is i, f, g, o: rows H..2H are f
        with torch.no_grad():
            model.rnn.bias_hh_l0[H:2 * H] += forget_bias
    train.train(model, lambda rng, B: first_symbol_task(B, lag, rng, config.n_distractors),
                nn.CrossEntropyLoss(),
                train.TrainConfig(steps=config.steps, batch_size=config.batch_size, lr=config.lr,
                                  optimizer="adam", clip_norm=config.clip_norm, seed=seed))
    X, y = first_symbol_task(config.n_test, lag, np.random.default_rng(10_000 + seed),
                             config.n_distractors)
    return train.evaluate(model, [(X, y)], train.accuracy)


def run(config: Config = Config()) -> Result:
    """Every model at every lag with every seed. Seeded, CPU, one thread."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest
    start = time.perf_counter()
    result = Result(config)
    try:
        for name, cell, forget_bias in config.models:
            for lag in config.lags:
                result.accuracy[name, lag] = [train_one(cell, forget_bias, lag, s, config)
                                              for s in config.seeds]
    finally:
        torch.set_num_threads(previous)
    result.seconds = time.perf_counter() - start
    return result
