"""A small, readable PyTorch trainer for the chapters' demos (CPU, seconds to a minute).

The loop is the textbook one, written out so a chapter can show it:

    for step in 1..steps:
        x, y = next batch
        L = loss_fn(model(x), y)                      forward
        g = ∇_θ L                                     backward (autograd: BPTT for an RNN)
        ‖g‖ = sqrt(Σ_p ‖g_p‖²)                        global gradient norm
        g ← g · clip_norm / ‖g‖   if ‖g‖ > clip_norm  clipping (Pascanu et al. 2013)
        θ ← optimizer step(θ, g)                      SGD / momentum / Adagrad / RMSProp / Adam

- ``TrainConfig``: the hyperparameters, a plain dataclass that checks its values.
- ``train(model, batches, loss_fn, config, progress=None) -> History``: per-step loss,
  gradient norm (before clipping) and learning rate. Seeded: ``torch.manual_seed`` and a
  ``numpy.random.Generator`` from ``config.seed``, so the same model initialisation, data
  and config give the same history exactly.
- ``evaluate(model, batches, metric)``: a metric averaged over batches, without gradients.
- ``SequenceClassifier`` (one output per sequence, from the last state) and
  ``SequenceTagger`` (one output per step) around ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``.
- ``train_on_adding_problem``: the demo where an LSTM solves the adding problem
  (Hochreiter & Schmidhuber 1997, experiment 4) at a length where a vanilla RNN does not.

Batches are **sample-major** like ``seqbook.tasks``: ``(B, T, ...)``, so the models default to
``batch_first=True``. Nothing runs on import.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import torch
from torch import nn

from seqbook import tasks

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


# ---------------------------------------------------------------------------------------
# Configuration and history
# ---------------------------------------------------------------------------------------

def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


@dataclass
class TrainConfig:
    """Hyperparameters of ``train``; every field is checked, a bad one raises ValueError."""
    steps: int = 500               # optimizer steps, one batch each
    batch_size: int = 32           # samples per batch (passed to a batch-making function)
    lr: float = 1e-3               # learning rate η
    optimizer: str = "adam"        # one of OPTIMIZERS; "momentum" is SGD with heavy-ball momentum
    momentum: float = 0.9          # β of "momentum" (ignored by the others)
    clip_norm: float | None = None  # rescale g to this global L2 norm when larger; None: never
    seed: int = 0                  # seeds torch and the numpy Generator handed to batch makers
    log_every: int = 0             # call ``progress`` every log_every steps; 0: never

    def __post_init__(self):
        for name in ("steps", "batch_size"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if not _is_real(self.lr) or not math.isfinite(self.lr) or self.lr <= 0:
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {self.optimizer!r}")
        if not _is_real(self.momentum) or not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be a number in [0, 1), got {self.momentum!r}")
        if self.clip_norm is not None and (not _is_real(self.clip_norm)
                                           or not math.isfinite(self.clip_norm)
                                           or self.clip_norm <= 0):
            raise ValueError(f"clip_norm must be None or a finite number > 0, "
                             f"got {self.clip_norm!r}")
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        if not _is_int(self.log_every) or self.log_every < 0:
            raise ValueError(f"log_every must be an int >= 0, got {self.log_every!r}")


@dataclass
class History:
    """What ``train`` measured, one entry per step (index 0 is the first step)."""
    loss: list[float] = field(default_factory=list)       # training loss of the step's batch
    grad_norm: list[float] = field(default_factory=list)  # ‖g‖ before clipping
    lr: list[float] = field(default_factory=list)         # learning rate used for the step
    seconds: float = 0.0                                   # wall-clock time of the whole run

    def __len__(self) -> int:
        return len(self.loss)


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer that ``config.optimizer`` names, with ``config.lr``."""
    params = list(params)
    if config.optimizer == "sgd":
        # θ ← θ - η g
        return torch.optim.SGD(params, lr=config.lr)
    if config.optimizer == "momentum":
        # v ← β v + g;  θ ← θ - η v
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    if config.optimizer == "adagrad":
        # s ← s + g²;  θ ← θ - η g / (sqrt(s) + ε)           (Duchi et al. 2011)
        return torch.optim.Adagrad(params, lr=config.lr)
    if config.optimizer == "rmsprop":
        # s ← α s + (1 - α) g²;  θ ← θ - η g / (sqrt(s) + ε)  (Tieleman & Hinton 2012)
        return torch.optim.RMSprop(params, lr=config.lr)
    # m ← β1 m + (1 - β1) g;  v ← β2 v + (1 - β2) g²;
    # θ ← θ - η m̂ / (sqrt(v̂) + ε), m̂ and v̂ bias-corrected       (Kingma & Ba 2015)
    return torch.optim.Adam(params, lr=config.lr)


# ---------------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------------

def to_tensor(array, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """numpy array or tensor -> tensor; floating data becomes ``dtype``, integers int64."""
    t = torch.as_tensor(array)
    return t.to(dtype) if t.is_floating_point() else t.long()


def _batch_stream(batches, rng: np.random.Generator, batch_size: int):
    """Yield (inputs, targets) forever from a batch maker or a re-iterable collection.

    ``batches`` is either a function ``batches(rng, batch_size) -> (inputs, targets)``, called
    once per step with the trainer's seeded Generator, or an iterable of (inputs, targets)
    pairs, iterated again from the start whenever it runs out (one epoch after another).
    """
    if callable(batches):
        while True:
            yield batches(rng, batch_size)
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            raise ValueError("batches is empty (or a one-shot iterator that has run out)")


def _model_dtype(model: nn.Module) -> torch.dtype:
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


# ---------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------

def global_grad_norm(parameters) -> torch.Tensor:
    """‖g‖ = sqrt(Σ_p ‖∇_p L‖²) over every parameter that has a gradient."""
    norms = [p.grad.detach().norm(2) for p in parameters if p.grad is not None]
    if not norms:
        return torch.tensor(0.0)
    return torch.linalg.vector_norm(torch.stack(norms), 2)


def clip_gradients(parameters, clip_norm: float) -> float:
    """Rescale all gradients together so that their global norm is at most ``clip_norm``:
    g ← g · clip_norm / ‖g‖ if ‖g‖ > clip_norm (Pascanu, Mikolov & Bengio 2013). The
    direction of g is kept. Returns ‖g‖ before clipping (``torch.nn.utils.clip_grad_norm_``
    does the same, with an ε in the denominator)."""
    parameters = [p for p in parameters if p.grad is not None]
    norm = float(global_grad_norm(parameters))
    if norm > clip_norm:
        scale = clip_norm / norm
        for p in parameters:
            p.grad.mul_(scale)
    return norm


def train(model: nn.Module, batches, loss_fn: Callable, config: TrainConfig,
          progress: Callable[[int, dict], None] | None = None) -> History:
    """Train ``model`` for ``config.steps`` steps and return the per-step ``History``.

    Args:
        model: any ``nn.Module``; called as ``model(inputs)``.
        batches: a function ``batches(rng, batch_size) -> (inputs, targets)`` (fresh data
            every step from the trainer's ``numpy.random.Generator``, seeded with
            ``config.seed``), or an iterable of (inputs, targets) pairs, cycled. numpy arrays
            are converted: floating data to the model's dtype, integers to int64.
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``, e.g. ``nn.MSELoss()``.
        config: ``TrainConfig``.
        progress: None (default, silent) or a callback ``progress(step, record)`` called
            every ``config.log_every`` steps and after the last step (never with
            ``log_every=0``), with the 1-based step
            and ``record = {"loss", "grad_norm", "lr"}`` of that step. For a tqdm bar:
            ``bar = tqdm(total=steps); progress=lambda s, r: (bar.update(s - bar.n),
            bar.set_postfix(loss=r["loss"]))``.

    Determinism: ``torch.manual_seed(config.seed)`` is called first (it also fixes dropout
    masks), and the numpy Generator is ``default_rng(config.seed)``; create (or seed) the
    model before calling ``train`` to fix its initialisation as well.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be a callable (outputs, targets) -> loss, "
                         f"got {type(loss_fn).__name__}")
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be None or a callable, got {type(progress).__name__}")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(parameters, config)
    dtype = _model_dtype(model)
    stream = _batch_stream(batches, rng, config.batch_size)
    history = History()
    model.train()
    start = time.perf_counter()
    for step in range(1, config.steps + 1):
        batch = next(stream)
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise ValueError(f"batches must give (inputs, targets) pairs, got "
                             f"{type(batch).__name__} at step {step}")
        inputs, targets = batch
        inputs, targets = to_tensor(inputs, dtype), to_tensor(targets, dtype)
        optimizer.zero_grad(set_to_none=True)
        # forward: L = loss(model(x), y)
        loss = loss_fn(model(inputs), targets)
        # backward: g = ∇_θ L (through time, for a recurrent model)
        loss.backward()
        if config.clip_norm is None:
            grad_norm = float(global_grad_norm(parameters))
        else:
            # g ← g · clip_norm / ‖g‖ if ‖g‖ > clip_norm
            grad_norm = clip_gradients(parameters, config.clip_norm)
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        history.loss.append(float(loss.detach()))
        history.grad_norm.append(grad_norm)
        history.lr.append(float(lr))
        if progress is not None and config.log_every and (step % config.log_every == 0
                                                          or step == config.steps):
            progress(step, {"loss": history.loss[-1], "grad_norm": grad_norm, "lr": float(lr)})
    history.seconds = time.perf_counter() - start
    return history


def print_progress(step: int, record: dict) -> None:
    """A ready-made ``progress`` callback: one line per call, e.g.
    ``step   200  loss 0.0123  |g| 0.456  lr 0.01``."""
    print(f"step {step:5d}  loss {record['loss']:.4g}  |g| {record['grad_norm']:.3g}  "
          f"lr {record['lr']:.3g}")


def evaluate(model: nn.Module, batches: Iterable, metric: Callable) -> float:
    """The mean of ``metric(outputs, targets)`` over ``batches``, weighted by batch size.

    Runs without gradients and in eval mode (dropout off); the model's mode is restored.

    Args:
        batches: an iterable of (inputs, targets) pairs (numpy arrays or tensors).
        metric: ``metric(outputs, targets) -> float`` (or 0-d tensor), the batch mean, e.g.
            ``accuracy`` or ``within_tolerance(0.04)``.
    """
    was_training = model.training
    model.eval()
    dtype = _model_dtype(model)
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in batches:
                inputs, targets = to_tensor(inputs, dtype), to_tensor(targets, dtype)
                n = len(targets)
                total += float(metric(model(inputs), targets)) * n
                count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("batches is empty")
    return total / count


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of correct classes: ``outputs (..., C)`` scores, ``targets (...)`` class ids;
    positions whose target is -100 (``nn.CrossEntropyLoss``'s ignore_index) are skipped."""
    keep = targets != -100
    correct = (outputs.argmax(dim=-1) == targets)[keep]
    return float(correct.float().mean()) if correct.numel() else 0.0


def within_tolerance(tol: float) -> Callable:
    """Regression metric: the fraction of predictions with |output - target| < ``tol``
    (Hochreiter & Schmidhuber 1997 count an adding-problem sequence as solved when the
    absolute error is below 0.04)."""
    def metric(outputs: torch.Tensor, targets: torch.Tensor) -> float:
        return float(((outputs.reshape(targets.shape) - targets).abs() < tol).float().mean())
    return metric


# ---------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------

class _Recurrent(nn.Module):
    """Shared part of the two models: optional embedding, then ``nn.RNN/LSTM/GRU``."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int,
                 num_layers: int = 1, bidirectional: bool = False, batch_first: bool = True,
                 num_embeddings: int | None = None, dropout: float = 0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {list(CELLS)}, got {cell!r}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("output_size", output_size), ("num_layers", num_layers)):
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if num_embeddings is not None and (not _is_int(num_embeddings) or num_embeddings < 1):
            raise ValueError(f"num_embeddings must be None or an int >= 1, got {num_embeddings!r}")
        self.cell, self.batch_first = cell, batch_first
        # integer token ids (B, T) -> vectors (B, T, input_size) when num_embeddings is given
        self.embedding = (None if num_embeddings is None
                          else nn.Embedding(num_embeddings, input_size))
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers,
                               bidirectional=bidirectional, batch_first=batch_first,
                               dropout=dropout)
        self.num_directions = 2 if bidirectional else 1
        self.head = nn.Linear(self.num_directions * hidden_size, output_size)

    def _run(self, x: torch.Tensor):
        if self.embedding is not None:
            x = self.embedding(x)
        output, state = self.rnn(x)
        h_n = state[0] if self.cell == "lstm" else state  # (num_layers * dirs, B, H)
        return output, h_n


class SequenceClassifier(_Recurrent):
    """Many-to-one: a recurrent network reads the sequence, a linear head reads its last state.

    ``nn.RNN`` (tanh) / ``nn.LSTM`` / ``nn.GRU`` chosen by ``cell``, then ``y = W h_T + b``.
    With ``bidirectional`` the head reads [h_T of the forward direction, h_1 of the reverse
    direction] of the last layer, the states that have seen the whole sequence.

    Args:
        cell: "rnn", "lstm" or "gru".
        input_size: D (or the embedding size when ``num_embeddings`` is given).
        hidden_size: H.
        output_size: C, number of classes (logits for ``nn.CrossEntropyLoss``) or regression
            outputs.
        num_layers, bidirectional, batch_first, dropout: as in ``torch.nn.LSTM``;
            ``batch_first=True`` by default, like ``seqbook.tasks``.
        num_embeddings: if given, inputs are token ids and go through ``nn.Embedding`` first.

    Shapes:
        input: (B, T, D) float, or (B, T) int64 ids with ``num_embeddings``
            ((T, B, ...) with ``batch_first=False``).
        output: (B, C).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self._run(x)
        # last layer's final states, both directions side by side: (B, dirs * H)
        last = torch.cat(list(h_n[-self.num_directions:]), dim=-1)
        # y = W h_T + b
        return self.head(last)  # (B, C)


class SequenceTagger(_Recurrent):
    """Many-to-many (one output per step): ``y_t = W h_t + b`` for every t, e.g. next-symbol
    prediction on the embedded Reber grammar or a^n b^n, or per-step copy targets.

    Arguments as ``SequenceClassifier``; with ``bidirectional`` h_t is [forward h_t, reverse h_t].

    Shapes:
        input: (B, T, D) float, or (B, T) int64 ids with ``num_embeddings``.
        output: (B, T, C) ((T, B, C) with ``batch_first=False``). For
            ``nn.CrossEntropyLoss``, which wants classes on dim 1, use ``tagging_loss``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self._run(x)  # (B, T, dirs * H)
        # y_t = W h_t + b, every step at once
        return self.head(output)  # (B, T, C)


def tagging_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over every step: ``outputs (B, T, C)`` logits, ``targets (B, T)`` class
    ids, -100 where there is no target (padding); the mean over the counted steps."""
    C = outputs.shape[-1]
    return nn.functional.cross_entropy(outputs.reshape(-1, C), targets.reshape(-1),
                                       ignore_index=-100)


# ---------------------------------------------------------------------------------------
# Demo: the adding problem
# ---------------------------------------------------------------------------------------

def train_on_adding_problem(cell: str = "lstm", seq_len: int = 50, steps: int = 1500,
                            hidden_size: int = 32, batch_size: int = 32, lr: float = 1e-2,
                            clip_norm: float | None = 1.0, seed: int = 0, n_test: int = 500,
                            tol: float = 0.04, progress=None, num_threads: int | None = 1):
    """Train a ``SequenceClassifier`` (one regression output) on the adding problem.

    Each step draws a fresh batch of ``tasks.adding_problem`` (the modern form: values
    U(0, 1), one marker in each half, y = v_1 + v_2) and minimises the mean squared error
    with Adam. The baseline that always predicts E[y] = 1 has MSE 1/6 ≈ 0.167.

    With the defaults (T = 50, 1500 steps of 32 sequences, H = 32, Adam 1e-2, clipping at 1)
    the LSTM reaches an MSE of about 5e-4 and 95-97 % of test sequences within 0.04 (seeds
    0, 1, 2), while the vanilla RNN (``cell="rnn"``) stays at the baseline (MSE ≈ 0.18,
    6-7 %; also with lr 1e-3): it cannot carry the first marked value over ~25-50 steps.
    One run takes 4-5 s on an idle CPU core (11-22 s on a busy shared 2-core machine).
    ``seq_len=100, steps=2000`` shows the same contrast (LSTM ~91-95 %) in about twice the time.

    ``num_threads``: torch's intra-op threads during the run (restored afterwards). These
    matrices are tiny, so one thread is fastest (several times faster than two threads
    competing on a busy machine); None leaves torch's setting alone.

    Returns:
        history: the ``History`` of the run (``history.seconds`` is the training time).
        accuracy: the fraction of ``n_test`` fresh test sequences (seed ``seed + 1``) with
            |prediction - y| < ``tol`` (0.04 as in Hochreiter & Schmidhuber 1997); the
            constant prediction 1 scores about 2 · tol ≈ 0.08.
    """
    if num_threads is not None and (not _is_int(num_threads) or num_threads < 1):
        raise ValueError(f"num_threads must be None or an int >= 1, got {num_threads!r}")
    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        return _adding_problem_run(cell, seq_len, steps, hidden_size, batch_size, lr,
                                   clip_norm, seed, n_test, tol, progress)
    finally:
        torch.set_num_threads(previous_threads)


def _adding_problem_run(cell, seq_len, steps, hidden_size, batch_size, lr, clip_norm, seed,
                        n_test, tol, progress):
    torch.manual_seed(seed)  # the model's initialisation
    model = SequenceClassifier(cell, input_size=2, hidden_size=hidden_size, output_size=1)
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, optimizer="adam",
                         clip_norm=clip_norm, seed=seed, log_every=max(1, steps // 10))

    def batches(rng, B):
        X, y = tasks.adding_problem(B, seq_len, rng)  # (B, T, 2), (B,)
        return X, y[:, None]  # targets (B, 1) like the model's output

    history = train(model, batches, nn.MSELoss(), config, progress=progress)
    X_test, y_test = tasks.adding_problem(n_test, seq_len, seed + 1)
    acc = evaluate(model, [(X_test, y_test[:, None])], within_tolerance(tol))
    return history, acc
