"""Time and memory of the RNN gradient algorithms as the sequence length T and the hidden size
H grow, measured on this machine, so a chapter can plot the complexities it states:

    algorithm                                time               memory (beyond inputs, weights)
    BPTT (Werbos 1990)                       O(T·H²)            O(T·H)
    truncated BPTT, each error tau steps     O(T·tau·H²)        O(tau·H)
      back (Williams & Peng 1990)
    chunked BPTT, chunks of tau steps        O(T·H²)            O(tau·H)
    RTRL (Williams & Zipser 1989)            O(T·H⁴)            O(H³)
    hybrid, blocks of h steps (Schmidhuber)  O(T·(H³ + H⁴/h))   O(H³ + h·H²)

(input size D <= H and batch B fixed; ``seqbook.nn.rnn`` has every function and its cost.)

``measure`` times one algorithm with ``time.perf_counter`` (best of ``repeats`` runs) and
measures the peak of the memory it allocates with ``tracemalloc``, which numpy reports its
arrays to; the inputs are made before the measurement starts, so only the algorithm's own
allocations count. ``sweep`` does this over a grid of T and H and returns one ``CostRow``
per point. Matrix products run on one BLAS thread while measuring (``single_threaded_blas``),
so the times show the work of the algorithm, not how busy the machine's other cores are.
Nothing runs on import.
"""
from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterable

import numpy as np
from threadpoolctl import threadpool_limits

from seqbook.nn import rnn

# truncation length of the default truncated and chunked BPTT
TAU = 8


def hybrid_block_h(X, h0, params, dH):
    """Schmidhuber's hybrid with the block length he proposes, block = H: O(H³) per step."""
    return rnn.hybrid_gradients(X, h0, params, dH, block=params["weight_hh"].shape[0])


# label: f(X, h0, params, dH) -> gradients
ALGORITHMS: dict[str, Callable] = {
    "BPTT": rnn.bptt_gradients,
    f"truncated BPTT, tau={TAU}": partial(rnn.truncated_bptt_gradients, tau=TAU),
    f"chunked BPTT, tau={TAU}": partial(rnn.chunked_bptt_gradients, tau=TAU),
    "RTRL": rnn.rtrl_gradients,
    "hybrid, block=H": hybrid_block_h,
}


@dataclass(frozen=True)
class Cost:
    """What one run of an algorithm cost."""
    # wall-clock time of the fastest of the repeated runs, in seconds
    seconds: float
    # the most memory the algorithm held at once, in bytes, its inputs not counted
    peak_bytes: int


@dataclass(frozen=True)
class CostRow:
    """One point of a sweep: an algorithm at one sequence length and hidden size."""
    algorithm: str  # label, a key of ALGORITHMS unless the caller named their own
    T: int  # sequence length
    hidden_size: int  # H
    seconds: float  # best wall-clock time of the whole sequence
    peak_bytes: int  # peak memory allocated by the algorithm

    @property
    def seconds_per_step(self) -> float:
        return self.seconds / self.T


# (set, get) thread-count functions of OpenBLAS under the names its builds export
def single_threaded_blas():
    """Run numpy's matrix products on one thread inside the ``with`` block.

    The products here are small; on a busy machine (a book build, CI) waiting for BLAS
    threads can make one 20 times slower, and a plot would show the machine's load instead
    of the algorithm's cost.
    """
    return threadpool_limits(limits=1, user_api="blas")


def make_problem(T: int, hidden_size: int, input_size: int = 4, batch_size: int = 1,
                 seed: int = 0, dtype=np.float64):
    """A random problem ``(X (T, B, D), h0 (B, H), params, dH (T, B, H))`` for the algorithms."""
    rng = np.random.default_rng(seed)
    params = rnn.init_rnn_params(input_size, hidden_size, rng, dtype=dtype)
    X = rng.standard_normal((T, batch_size, input_size)).astype(dtype)
    h0 = rng.standard_normal((batch_size, hidden_size)).astype(dtype)
    dH = rng.standard_normal((T, batch_size, hidden_size)).astype(dtype)
    return X, h0, params, dH


def _resolve(algorithm: str | Callable) -> Callable:
    if callable(algorithm):
        return algorithm
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be a callable or one of {list(ALGORITHMS)}, "
                         f"got {algorithm!r}")
    return ALGORITHMS[algorithm]


def measure(algorithm: str | Callable, T: int, hidden_size: int, *, input_size: int = 4,
            batch_size: int = 1, repeats: int = 3, seed: int = 0, dtype=np.float64) -> Cost:
    """Time and peak memory of one algorithm on a random problem of the given size.

    Args:
        algorithm: a label of ``ALGORITHMS`` or any ``f(X, h0, params, dH) -> gradients``.
        T, hidden_size, input_size, batch_size: the problem, X (T, B, D) and H hidden units.
        repeats: timed runs; the fastest counts (the least disturbed by the machine).
        seed, dtype: of the random problem.

    Returns:
        ``Cost(seconds, peak_bytes)``. Memory is measured in one extra run under
        ``tracemalloc`` (which slows allocation, so it is not timed): the peak of the memory
        allocated during the run, above what was allocated before it.
    """
    function = _resolve(algorithm)
    for name, value in (("T", T), ("hidden_size", hidden_size), ("input_size", input_size),
                        ("batch_size", batch_size), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    X, h0, params, dH = make_problem(T, hidden_size, input_size, batch_size, seed, dtype)
    with single_threaded_blas():
        seconds = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            function(X, h0, params, dH)
            seconds = min(seconds, time.perf_counter() - start)
        already_tracing = tracemalloc.is_tracing()
        if not already_tracing:
            tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            function(X, h0, params, dH)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            if not already_tracing:
                tracemalloc.stop()
    return Cost(seconds=float(seconds), peak_bytes=int(peak - before))


def sweep(algorithms: Iterable[str] | dict[str, Callable] | None = None,
          Ts: Iterable[int] = (16, 32, 64, 128), hidden_sizes: Iterable[int] = (8, 16, 32, 64),
          repeats: int = 3, **problem) -> list[CostRow]:
    """``measure`` every algorithm at every sequence length and hidden size.

    Args:
        algorithms: labels of ``ALGORITHMS``, or a dict label -> ``f(X, h0, params, dH)``;
            None means all of ``ALGORITHMS``.
        Ts, hidden_sizes: the grid.
        repeats: timed runs per point (the fastest counts).
        **problem: ``input_size``, ``batch_size``, ``seed``, ``dtype``, passed to ``measure``.

    Returns:
        one ``CostRow`` per algorithm, T and hidden size, in that nesting order. With the
        defaults the whole sweep takes a few seconds.
    """
    if algorithms is None:
        algorithms = ALGORITHMS
    if not isinstance(algorithms, dict):
        algorithms = {label: _resolve(label) for label in algorithms}
    rows = []
    for label, function in algorithms.items():
        for T in Ts:
            for hidden_size in hidden_sizes:
                cost = measure(function, T, hidden_size, repeats=repeats, **problem)
                rows.append(CostRow(label, T, hidden_size, cost.seconds, cost.peak_bytes))
    return rows


def format_table(rows: Iterable[CostRow]) -> str:
    """The rows as a Markdown table: time in ms, time per step in µs, peak memory in KiB."""
    lines = ["| algorithm | T | H | time (ms) | per step (µs) | peak memory (KiB) |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row.algorithm} | {row.T} | {row.hidden_size} | "
                     f"{1e3 * row.seconds:.2f} | {1e6 * row.seconds_per_step:.1f} | "
                     f"{row.peak_bytes / 1024:.1f} |")
    return "\n".join(lines)
