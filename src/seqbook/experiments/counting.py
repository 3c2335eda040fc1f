"""Counting with LSTM and GRU: next-symbol prediction on a^n b^n, trained on short strings
and tested on longer ones.

Follows the set-up of Gers & Schmidhuber (2001), "LSTM recurrent networks learn simple
context-free and context-sensitive languages": strings ``S a^n b^n T``, one-hot inputs, at
every step the network predicts the *set* of symbols that may come next (sigmoid outputs,
one per symbol, thresholded at 0.5). A string counts as recognised when every prediction
of the whole string is right; the network must count the a's to know when the b's end.
Weiss, Goldberg & Yahav (2018) compared LSTM and GRU on this language: a finite-precision
LSTM can keep an unbounded count in its cell (c_t = c_{t-1} + 1 with f = i = 1), a GRU's
state is an interpolation (1 - z) n + z h of bounded values and cannot.

Data come from ``seqbook.tasks.counting_anbn``; models are ``torch.nn.LSTM`` / ``torch.nn.GRU``
with a linear read-out. ``run_counting`` trains one model, ``compare`` trains both for a few
seeds and reports the largest n up to which every string is recognised.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqbook import tasks


@dataclass(frozen=True)
class CountingConfig:
    """Hyperparameters of one run (the defaults take a few seconds on one CPU thread)."""
    # "lstm" or "gru" (torch.nn.LSTM / torch.nn.GRU, one layer)
    cell: str = "lstm"
    # hidden units H (the same for both cells; the GRU then has 3/4 of the LSTM's weights)
    hidden_size: int = 4
    # training strings have n = 1 .. train_max_n (Gers & Schmidhuber 2001: 1 .. 10)
    train_max_n: int = 10
    # test strings have n = 1 .. test_max_n
    test_max_n: int = 100
    # Adam steps, each on the whole training set (one string per n)
    steps: int = 1000
    # Adam learning rate
    lr: float = 0.03
    # torch.manual_seed for the weights
    seed: int = 0


def _batch(ns) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One string per n, padded: inputs (T, B, 4), targets (T, B, 4), mask (T, B)."""
    ns = np.asarray(ns)
    rows = [tasks.counting_anbn(1, int(n), 0, min_n=int(n)) for n in ns]
    T = 2 * int(ns.max()) + 2
    X = np.zeros((len(ns), T, 4))
    Y = np.zeros((len(ns), T, 4))
    M = np.zeros((len(ns), T))
    for b, (n, row) in enumerate(zip(ns, rows)):
        L = 2 * int(n) + 1  # predictions after S, every a and every b (not after T)
        X[b, :L] = row["inputs"][0, :L]
        Y[b, :L] = row["targets"][0, :L]
        M[b, :L] = 1
    to = lambda a: torch.tensor(a, dtype=torch.float32).transpose(0, 1).contiguous()
    return to(X), to(Y), to(M)


class Predictor(torch.nn.Module):
    """A one-layer LSTM or GRU and a linear read-out to 4 logits (S, a, b, T)."""

    def __init__(self, cell: str, hidden_size: int):
        super().__init__()
        rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
        self.rnn = rnn(4, hidden_size)
        self.out = torch.nn.Linear(hidden_size, 4)

    def forward(self, X):  # X (T, B, 4)
        H, _ = self.rnn(X)  # (T, B, H)
        return self.out(H), H  # logits (T, B, 4), states (T, B, H)


def recognised(model: Predictor, ns) -> np.ndarray:
    """For each n: True if every next-symbol set of ``S a^n b^n`` is predicted exactly."""
    X, Y, M = _batch(ns)
    with torch.no_grad():
        logits, _ = model(X)
    right = ((logits > 0) == (Y > 0.5)).all(dim=2) | (M == 0)  # (T, B)
    return right.all(dim=0).numpy()


def largest_correct_n(ok: np.ndarray) -> int:
    """The largest N such that strings n = 1 .. N are all recognised (0 if n = 1 fails)."""
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if len(bad) else len(ok)


def run_counting(config: CountingConfig = CountingConfig()) -> dict:
    """Train one model on n = 1 .. train_max_n and test it on n = 1 .. test_max_n.

    Returns a dict with ``model``, ``losses`` (per step), ``ok`` (bool per test n, index
    n - 1), ``largest_n`` (``largest_correct_n(ok)``) and ``params`` (number of weights).
    """
    torch.manual_seed(config.seed)
    model = Predictor(config.cell, config.hidden_size)
    X, Y, M = _batch(np.arange(1, config.train_max_n + 1))
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    losses = []
    for _ in range(config.steps):
        logits, _ = model(X)
        # multi-label cross-entropy of the allowed-next-symbol sets, padding masked out
        per = torch.nn.functional.binary_cross_entropy_with_logits(logits, Y, reduction="none")
        loss = (per.sum(dim=2) * M).sum() / M.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    ok = recognised(model, np.arange(1, config.test_max_n + 1))
    return {"model": model, "losses": np.array(losses), "ok": ok,
            "largest_n": largest_correct_n(ok),
            "params": sum(p.numel() for p in model.rnn.parameters())}


def compare(seeds=(0, 1, 2), **overrides) -> dict:
    """``run_counting`` for both cells and every seed (one CPU thread).

    Returns ``{cell: [result of each seed]}`` for ``cell`` in ("lstm", "gru").
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {cell: [run_counting(CountingConfig(cell=cell, seed=s, **overrides))
                       for s in seeds] for cell in ("lstm", "gru")}
    finally:
        torch.set_num_threads(threads)


def states_along(model: Predictor, n: int) -> dict:
    """The states the model goes through along ``S a^n b^n`` (2n + 1 steps).

    Returns ``{"h": (2n + 1, H)}`` for the GRU and ``{"h": ..., "c": (2n + 1, H)}`` for the
    LSTM (its cell states, fed one step at a time because ``nn.LSTM`` returns only c_T).
    """
    X, _, _ = _batch([n])
    X = X[:2 * n + 1]  # (2n + 1, 1, 4)
    hs, cs, state = [], [], None
    with torch.no_grad():
        for t in range(X.shape[0]):
            _, state = model.rnn(X[t:t + 1], state)
            h = state[0] if isinstance(state, tuple) else state  # (1, 1, H)
            hs.append(h[0, 0].numpy())
            if isinstance(state, tuple):
                cs.append(state[1][0, 0].numpy())
    out = {"h": np.array(hs)}
    if cs:
        out["c"] = np.array(cs)
    return out
