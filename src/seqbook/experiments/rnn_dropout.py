"""Does dropout on the recurrent state destroy an LSTM's memory? A measurement.

The chapter "Regularizing and normalizing recurrent networks" trains the same small LSTM on
a memory task (``seqbook.tasks.copy_task``: read a few symbols, wait, write them back) once
per dropout scheme and compares the test-time accuracy on the copied symbols.

The LSTM is written out as a PyTorch loop over time, because ``torch.nn.LSTM`` cannot put a
mask inside its recurrence. Its step is ``torch.nn.LSTM``'s (parameter names, gate order
i, f, g, o) and ``tests/test_experiments_rnn_dropout.py`` checks it against ``nn.LSTM``
without masks and against ``seqbook.nn.dropout.lstm_zoneout_forward`` with zoneout masks.
The masks on x_t, h_{t-1} and the output are drawn by ``seqbook.nn.dropout.sample_rnn_masks``
from the configurations of ``seqbook.nn.dropout.rnn_dropout_config``:

    x̃_t = m^x_t ⊙ x_t                      input dropout
    h̄_{t-1} = m^h_t ⊙ h_{t-1}              recurrent dropout (before W_hh, into all four gates)
    h̃_t, c̃_t = LSTMCell(x̃_t, h̄_{t-1}, c_{t-1})
    c̃_t ← m^c_t ⊙ c̃_t                      "naive_cell" only: dropout of the memory itself
    c_t = d^c_t ⊙ c_{t-1} + (1 - d^c_t) ⊙ c̃_t,  h_t likewise with d^h_t    zoneout
    y_t = m^y_t ⊙ h_t,   logits_t = W_hy y_t + b_hy

The schemes (``SCHEME_NOTES``): "none"; "standard" (per-step masks on x and y only,
Zaremba et al. 2014); "naive" (per-step masks on x, y and h_{t-1}); "naive_cell" (per-step
masks on x, y and the cell state c_t, the memory itself); "variational" (one mask per
sequence on x, y and h_{t-1}, Gal & Ghahramani 2016); "zoneout" (z = p on h and c,
Krueger et al. 2017). At test time every mask is 1 (zoneout uses its expectation).

Nothing runs on import; ``run_experiment`` is what the chapter calls.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from seqbook.nn.dropout import (RNNDropoutConfig, dropout_mask, rnn_dropout_config,
                                sample_rnn_masks, zoneout_mask)
from seqbook.tasks import copy_task, one_hot

SCHEME_NOTES = {
    "none": "no dropout",
    "standard": "new masks every step on x_t and y_t only (Zaremba et al. 2014)",
    "naive": "new masks every step on x_t, y_t and h_{t-1}",
    "naive_cell": "new masks every step on x_t, y_t and the cell state c_t",
    "variational": "one mask per sequence on x_t, y_t and h_{t-1} (Gal & Ghahramani 2016)",
    "zoneout": "units keep their previous h and c with probability z = p (Krueger et al. 2017)",
}
SCHEMES = tuple(SCHEME_NOTES)


def scheme_config(scheme: str, p: float) -> tuple[RNNDropoutConfig, float]:
    """(masks on x, h_{t-1}, y as ``rnn_dropout_config``; per-step dropout rate of c_t)."""
    if scheme == "naive_cell":
        return rnn_dropout_config("standard", p), p
    if scheme not in SCHEME_NOTES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    return rnn_dropout_config(scheme, p), 0.0


def sample_masks(T: int, B: int, D: int, H: int, scheme: str, p: float,
                 rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """Every mask one training pass of ``DropoutLSTM`` uses under ``scheme``, as float32
    tensors of shape (T, B, D) for "input" and (T, B, H) for the others: dropout masks
    (0 or 1/(1 - p)) "input", "recurrent", "output", "cell"; zoneout masks (0/1, 1 = keep
    the previous value) "zoneout" (for h) and "zoneout_c"."""
    config, p_cell = scheme_config(scheme, p)
    masks = sample_rnn_masks(T, B, D, H, config, rng, np.float32)
    if config.zoneout > 0:
        masks["zoneout_c"] = zoneout_mask((T, B, H), config.zoneout, rng, np.float32)
    if p_cell > 0:
        masks["cell"] = dropout_mask((T, B, H), p_cell, rng, np.float32)
    return {name: torch.from_numpy(m) for name, m in masks.items()}


class DropoutLSTM(torch.nn.Module):
    """A one-layer LSTM with a linear readout, run step by step so that masks can enter the
    recurrence. Parameters as ``torch.nn.LSTM`` (``weight_ih (4H, D)`` etc., gates i, f, g, o)."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 forget_bias: float = 0.0):
        super().__init__()
        reference = torch.nn.LSTM(input_size, hidden_size)  # same initialisation as nn.LSTM
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            setattr(self, name, torch.nn.Parameter(getattr(reference, name + "_l0").detach().clone()))
        with torch.no_grad():
            # add forget_bias to b_if (rows H..2H): remember by default (Gers et al. 2000)
            self.bias_ih[hidden_size:2 * hidden_size] += forget_bias
        self.readout = torch.nn.Linear(hidden_size, output_size)

    def recurrent(self, X: torch.Tensor, masks: dict[str, torch.Tensor], zoneout: float = 0.0):
        """X (T, B, D) -> outputs Y (after output dropout) and states H, each (T, B, H).

        ``masks`` empty is the test-time network; ``zoneout`` > 0 without masks then mixes
        h_t = z h_{t-1} + (1 - z) h̃_t (and c_t likewise), the expectation."""
        T, B, _ = X.shape
        n_hidden = self.weight_hh.shape[1]
        # x̃_t = m^x_t ⊙ x_t, all steps at once
        x_in = masks["input"] * X if "input" in masks else X              # (T, B, D)
        XW = x_in @ self.weight_ih.T + self.bias_ih + self.bias_hh         # (T, B, 4H)
        h = c = X.new_zeros(B, n_hidden)                                   # (B, H)
        states = []
        for t in range(T):
            # h̄_{t-1} = m^h_t ⊙ h_{t-1}
            h_bar = masks["recurrent"][t] * h if "recurrent" in masks else h
            i, f, g, o = (XW[t] + h_bar @ self.weight_hh.T).chunk(4, dim=1)  # each (B, H)
            # c̃_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t;  h̃_t = o_t ⊙ tanh(c̃_t)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            if "cell" in masks:
                # naive dropout of the memory: c̃_t ← m^c_t ⊙ c̃_t
                c_new = masks["cell"][t] * c_new
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            if "zoneout" in masks:
                # c_t = d^c_t ⊙ c_{t-1} + (1 - d^c_t) ⊙ c̃_t;  h_t likewise with d^h_t
                d_c, d_h = masks["zoneout_c"][t], masks["zoneout"][t]
                c, h = d_c * c + (1 - d_c) * c_new, d_h * h + (1 - d_h) * h_new
            elif zoneout > 0:
                # test time: c_t = z c_{t-1} + (1 - z) c̃_t;  h_t likewise
                c, h = zoneout * c + (1 - zoneout) * c_new, zoneout * h + (1 - zoneout) * h_new
            else:
                c, h = c_new, h_new
            states.append(h)
        H = torch.stack(states)                                            # (T, B, H)
        # y_t = m^y_t ⊙ h_t
        Y = masks["output"] * H if "output" in masks else H
        return Y, H

    def forward(self, X: torch.Tensor, masks: dict[str, torch.Tensor], zoneout: float = 0.0):
        """Logits (T, B, output_size) for X (T, B, D)."""
        Y, _ = self.recurrent(X, masks, zoneout)
        return self.readout(Y)


@dataclass(frozen=True)
class DropoutExperimentConfig:
    """The memory task, the network and the training run (one run per scheme)."""
    # symbols to remember (the copy task's L)
    seq_len: int = 1
    # blank steps between the last symbol and the delimiter (the task's D)
    delay: int = 20
    # data symbols 1..n_symbols (0 = blank, n_symbols + 1 = delimiter)
    n_symbols: int = 4
    # LSTM units H
    hidden_size: int = 32
    # dropout rate p (zoneout probability z for "zoneout")
    p: float = 0.25
    # added to the forget gate's bias at initialisation, so that the cell remembers by default
    forget_bias: float = 2.0
    # Adam steps, batch size and learning rate
    steps: int = 200
    batch_size: int = 64
    lr: float = 1e-2
    # held-out sequences for the test accuracy
    n_test: int = 500
    # seeds the data, the initial weights and the masks (the same for every scheme)
    seed: int = 0
    # the schemes to compare
    schemes: tuple[str, ...] = SCHEMES


def make_data(n: int, config: DropoutExperimentConfig, rng: np.random.Generator):
    """Copy-task batch as tensors: X (T, N, n_symbols + 2) one-hot, y (T, N) class ids;
    the last ``seq_len`` steps carry the symbols to copy."""
    inputs, targets = copy_task(n, config.seq_len, config.n_symbols, rng, delay=config.delay)
    X = one_hot(inputs.T, config.n_symbols + 2, dtype=np.float32)       # (T, N, D)
    return torch.from_numpy(X), torch.from_numpy(targets.T.copy())        # (T, N, D), (T, N)


def copy_accuracy(logits: torch.Tensor, y: torch.Tensor, seq_len: int) -> float:
    """Fraction of the copied symbols (the last ``seq_len`` steps) predicted right."""
    return float((logits[-seq_len:].argmax(-1) == y[-seq_len:]).float().mean())


@dataclass
class SchemeResult:
    """What one training run measured."""
    scheme: str
    # test accuracy on the copied symbols, test-time network; chance is 1 / n_symbols
    test_accuracy: float = 0.0
    # (step, training loss on the copied symbols, with the scheme's masks)
    losses: list[tuple[int, float]] = field(default_factory=list)
    # (step, test accuracy)
    accuracies: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0


def train_scheme(scheme: str, config: DropoutExperimentConfig = DropoutExperimentConfig(),
                 log_every: int = 25) -> SchemeResult:
    """Train the LSTM under one scheme. Data, initial weights and mask stream are seeded
    identically for every scheme, so runs differ only in where and when masks are applied."""
    start = time.perf_counter()
    torch.manual_seed(config.seed)
    data_rng = np.random.default_rng(config.seed)
    mask_rng = np.random.default_rng(config.seed + 1)
    zoneout = scheme_config(scheme, config.p)[0].zoneout
    D, K, L = config.n_symbols + 2, config.n_symbols + 1, config.seq_len
    model = DropoutLSTM(D, config.hidden_size, K, config.forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    X_test, y_test = make_data(config.n_test, config, np.random.default_rng(config.seed + 2))
    result = SchemeResult(scheme)
    for step in range(1, config.steps + 1):
        X, y = make_data(config.batch_size, config, data_rng)
        T, B, _ = X.shape
        masks = sample_masks(T, B, D, config.hidden_size, scheme, config.p, mask_rng)
        logits = model(X, masks)                                          # (T, B, K)
        # cross-entropy on the copied symbols only (the blanks are trivial)
        loss = torch.nn.functional.cross_entropy(logits[-L:].reshape(-1, K), y[-L:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % log_every == 0 or step == config.steps:
            with torch.no_grad():
                acc = copy_accuracy(model(X_test, {}, zoneout), y_test, L)
            result.losses.append((step, float(loss.detach())))
            result.accuracies.append((step, acc))
    result.test_accuracy = result.accuracies[-1][1]
    result.seconds = time.perf_counter() - start
    return result


def run_experiment(config: DropoutExperimentConfig = DropoutExperimentConfig(),
                   log_every: int = 25) -> dict[str, SchemeResult]:
    """Train one network per scheme of ``config.schemes`` on one CPU thread (the book is
    built on a shared machine); results keyed by scheme."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {s: train_scheme(s, config, log_every) for s in config.schemes}
    finally:
        torch.set_num_threads(threads)
