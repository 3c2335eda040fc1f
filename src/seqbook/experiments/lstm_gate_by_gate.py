"""The LSTM cell built one gate at a time, on a running example; for the chapter "LSTM:
memory cells and gates" (book/lstm/lstm.md).

A one-cell LSTM with hand-set weights reads a stream of steps ``x_t = (v_t, w_t, r_t)``: a
value ``v_t`` in [-0.8, 0.8] at every step, a *write* marker ``w_t`` and a *read* marker
``r_t`` (0 or 1). The job of a memory: store the value seen at a write marker, show it at a
read marker and nowhere else, and replace it at the next write. What the cell should output
is ``h*_t = tanh(g_w)`` at a read step (``g_w = tanh(v)`` of the last write, the value as the
cell stores it, read through the output squashing) and 0 elsewhere.

``run(Config(gates=...))`` computes the cell with only some of its gates, with
``seqbook.nn.lstm.lstm_forward``: ``STAGES`` adds them in the order of the chapter's figures,

- ``""``: the constant error carousel alone, ``c_t = c_{t-1} + g_t``, ``h_t = tanh(c_t)``:
  every value is added in;
- ``"i"``: an input gate opens at write markers, ``c_t = c_{t-1} + i_t g_t``; the cell now
  holds the right value but shows it at every step;
- ``"io"``: an output gate opens at read markers, ``h_t = o_t tanh(c_t)`` (the 1997 cell); the
  second write is added to the first;
- ``"ifo"``: a forget gate closes at write markers, ``c_t = f_t c_{t-1} + i_t g_t``
  (``torch.nn.LSTM``); the old value is replaced.

A gate the cell does not have is held at 1: the forget and output gates through
``LSTMConfig(forget_gate=False)`` / ``LSTMConfig(output_gate=False)``, the input gate by a
bias of +30 (``σ(30) = 1 - 10^-13``), since ``seqbook.nn.lstm`` has no switch for it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqbook.nn import lstm

STAGES = ("", "i", "io", "ifo")  # the gates of the cell, one more at each stage


@dataclass(frozen=True)
class Config:
    gates: str = "ifo"  # the cell's gates, a subset of "ifo"; a missing gate is held at 1
    steepness: float = 16.0  # weight of a marker on its gate: the gate is σ(±steepness / 2)
    steps: int = 24  # length of the stream
    writes: tuple = (3, 14)  # steps with a write marker (0-based)
    reads: tuple = (9, 20)  # steps with a read marker
    seed: int = 0  # seeds the values v_t
    tolerance: float = 0.05  # |h_t - h*_t| above this counts as a wrong output


@dataclass
class Result:
    config: Config
    x: np.ndarray  # (T, 3) the stream: value v_t, write marker w_t, read marker r_t
    i: np.ndarray  # (T,) input gate (1 where the cell has none)
    f: np.ndarray  # (T,) forget gate
    g: np.ndarray  # (T,) cell input tanh(v_t)
    o: np.ndarray  # (T,) output gate
    c: np.ndarray  # (T,) cell state
    h: np.ndarray  # (T,) output
    target: np.ndarray  # (T,) h*_t: tanh of the stored value at read steps, 0 elsewhere
    wrong: int  # number of steps with |h_t - h*_t| > tolerance


def stream(config: Config) -> np.ndarray:
    """The input stream ``(T, 3)``: random values, write and read markers."""
    rng = np.random.default_rng(config.seed)
    x = np.zeros((config.steps, 3))
    x[:, 0] = rng.uniform(-0.8, 0.8, config.steps)  # v_t
    x[list(config.writes), 1] = 1.0  # w_t
    x[list(config.reads), 2] = 1.0  # r_t
    return x


def wired_params(config: Config) -> dict[str, np.ndarray]:
    """Hand-set weights of the one-cell LSTM (``torch.nn.LSTM`` layout, gates i, f, g, o).

    a_i = s w_t - s/2, a_f = -s w_t + s/2, a_g = v_t, a_o = s r_t - s/2 (s = steepness):
    the input gate opens and the forget gate closes at a write, the output gate opens at a
    read; no recurrent weights (the markers say everything).
    """
    s = config.steepness
    weight_ih = np.array([[0, s, 0],  # i: opens at w_t = 1
                          [0, -s, 0],  # f: closes at w_t = 1
                          [1, 0, 0],  # g: the value v_t
                          [0, 0, s]], dtype=float)  # o: opens at r_t = 1
    bias_ih = np.array([-s / 2, s / 2, 0.0, -s / 2])
    if "i" not in config.gates:
        weight_ih[0], bias_ih[0] = 0.0, 30.0  # input gate held at σ(30) = 1
    return {"weight_ih": weight_ih, "weight_hh": np.zeros((4, 1)), "bias_ih": bias_ih,
            "bias_hh": np.zeros(4)}


def run(config: Config = Config()) -> Result:
    """Run the one-cell LSTM with ``config.gates`` over the stream; see the module docstring."""
    if set(config.gates) - set("ifo"):
        raise ValueError(f"gates must be a subset of 'ifo', got {config.gates!r}")
    x = stream(config)
    cell = lstm.LSTMConfig(forget_gate="f" in config.gates, output_gate="o" in config.gates)
    zeros = np.zeros((1, 1))
    h, _, cache = lstm.lstm_forward(x[:, None, :], zeros, zeros, wired_params(config), cell)
    trace = {k: np.array([step[k][0, 0] for step in cache["steps"]]) for k in "ifgoc"}
    # what a perfect memory outputs: tanh of the last written g at read steps, 0 elsewhere
    target, stored = np.zeros(config.steps), 0.0
    for t in range(config.steps):
        if x[t, 1]:
            stored = np.tanh(x[t, 0])
        if x[t, 2]:
            target[t] = np.tanh(stored)
    h = h[:, 0, 0]
    wrong = int((np.abs(h - target) > config.tolerance).sum())
    return Result(config=config, x=x, h=h, target=target, wrong=wrong, **trace)
