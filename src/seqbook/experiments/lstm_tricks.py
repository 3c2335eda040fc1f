"""Tricks of the trade for LSTM: ticker steps, measured.

Ticker steps (Hochreiter's "tricks of the trade"; the idea of giving a recurrent network
extra time steps to think, as in Graves' 2016 adaptive computation time with a fixed
count) append k extra steps after the last real input, here copies of the last input with
a flag that marks them. Each extra step is one more layer of the unfolded network between
the last input and the answer, so the network can compute a deeper function of it.

The task makes this visible: the answer depends only on the last input, a point x in
[-1, 1]^2, through a function that needs several nonlinear layers, the parity of its ring
(label = floor(4 |x|) mod 2: four concentric rings, alternately labelled). With k = 0 the
LSTM must answer at the step that reads x: one cell update between x and the read-out. With
k ticker steps it gets k + 1 updates.

``run_ticker`` trains one small ``torch.nn.LSTM`` with k ticker steps; ``ticker_sweep``
runs several k and seeds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class TickerConfig:
    """Hyperparameters of one run (the defaults take about a second on one CPU thread)."""
    # number of ticker steps appended after the real input (0 = answer at once)
    ticker_steps: int = 0
    # hidden units of the LSTM
    hidden_size: int = 8
    # training and test points
    n_train: int = 512
    n_test: int = 1000
    # full-batch Adam steps and learning rate
    steps: int = 400
    lr: float = 0.03
    # seed of the data (numpy) and of the weights (torch.manual_seed)
    seed: int = 0


def rings(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]^2 (n, 2) and labels floor(4 |x|) mod 2 (n,) int64."""
    x = rng.uniform(-1, 1, (n, 2))
    r = np.sqrt((x ** 2).sum(axis=1))
    return x, (np.floor(4 * r) % 2).astype(np.int64)


def with_ticker_steps(x: np.ndarray, k: int) -> torch.Tensor:
    """The sequence a network reads: x, then k ticker steps (copies of x with a flag).

    Args:
        x: points, shape (N, 2).
        k: number of ticker steps >= 0.

    Returns:
        float32 tensor (1 + k, N, 3): features x_1, x_2 and the ticker flag (0 on the real
        step, 1 on ticker steps).
    """
    if k < 0:
        raise ValueError(f"ticker steps must be >= 0, got {k}")
    N = x.shape[0]
    S = torch.zeros(1 + k, N, 3)  # (T, N, 3)
    S[:, :, :2] = torch.tensor(x, dtype=torch.float32)  # x repeated on every step
    S[1:, :, 2] = 1.0  # ticker flag
    return S


class Classifier(torch.nn.Module):
    """LSTM over the sequence, linear read-out of the last hidden state to 2 logits."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, hidden_size)
        self.out = torch.nn.Linear(hidden_size, 2)

    def forward(self, S):  # S (T, N, 3)
        H, _ = self.lstm(S)  # (T, N, H)
        return self.out(H[-1])  # (N, 2): the answer is read only after the last step


def run_ticker(config: TickerConfig = TickerConfig()) -> dict:
    """Train on ``rings`` with ``config.ticker_steps`` ticker steps.

    Returns a dict with ``model``, ``losses`` (per step), ``test_accuracy`` and the test
    points ``x_test`` (N, 2) with their predicted labels ``pred`` (N,).
    """
    rng = np.random.default_rng(config.seed)
    x_train, y_train = rings(config.n_train, rng)
    x_test, y_test = rings(config.n_test, rng)
    torch.manual_seed(config.seed)
    model = Classifier(config.hidden_size)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    S_train = with_ticker_steps(x_train, config.ticker_steps)
    Y_train = torch.tensor(y_train)
    losses = []
    for _ in range(config.steps):
        loss = torch.nn.functional.cross_entropy(model(S_train), Y_train)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        pred = model(with_ticker_steps(x_test, config.ticker_steps)).argmax(dim=1).numpy()
    return {"model": model, "losses": np.array(losses),
            "test_accuracy": float((pred == y_test).mean()), "x_test": x_test, "pred": pred}


def ticker_sweep(ks=(0, 1, 2, 4), seeds=(0, 1, 2), **overrides) -> dict:
    """``run_ticker`` for every k and seed on one CPU thread: ``{k: [result per seed]}``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {k: [run_ticker(TickerConfig(ticker_steps=k, seed=s, **overrides))
                    for s in seeds] for k in ks}
    finally:
        torch.set_num_threads(threads)
