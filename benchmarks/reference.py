"""The numpy reference library against PyTorch on the CPU, in one run.

- LSTM layer, T=100, B=32, D=H=128, float32: forward + backward, ``seqbook.nn.lstm``
  (lstm_forward + lstm_backward) against ``torch.nn.LSTM`` (forward + autograd backward).
- Multi-head self-attention, B=8, T=256, E=256, 8 heads, float32: forward only (there is no
  hand-written MHA backward), ``seqbook.nn.attention.multi_head_attention`` against
  ``torch.nn.MultiheadAttention(batch_first=True)`` in eval mode under ``torch.no_grad()``,
  once returning the per-head weights as ours does (``need_weights=True,
  average_attn_weights=False``) and once without weights (torch's fused kernel).

torch runs with as many threads as numpy's OpenBLAS (both printed): by default OpenBLAS's
own choice (OPENBLAS_NUM_THREADS, else one per core), or the ``threads`` argument for both.
Each figure is the median wall-clock time of ``repeats`` runs after a short warm-up;
ratio = numpy / torch. On a shared, loaded machine OpenBLAS with several threads can be
much slower than with one (its threads wait for each other); ``threads=1`` is then the
steadier comparison.
Run: .venv/bin/python benchmarks/reference.py [repeats] [threads]
"""
import os
import statistics
import sys
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from seqbook.nn import attention, lstm
from seqbook.torch_reference import numpy_state


def median_time(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_lstm(repeats: int):
    T, B, D, H = 100, 32, 128, 128
    torch.manual_seed(0)
    module = torch.nn.LSTM(D, H)  # float32
    params = numpy_state(module, "_l0")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((T, B, D)).astype(np.float32)
    dH = rng.standard_normal((T, B, H)).astype(np.float32)
    h0 = np.zeros((B, H), np.float32)
    c0 = np.zeros((B, H), np.float32)

    def ours():
        _, _, cache = lstm.lstm_forward(X, h0, c0, params)
        lstm.lstm_backward(dH, cache)

    Xt, dHt = torch.tensor(X, requires_grad=True), torch.tensor(dH)

    def theirs():
        module.zero_grad(set_to_none=True)
        Xt.grad = None
        out, _ = module(Xt)
        out.backward(dHt)

    return median_time(ours, repeats), median_time(theirs, repeats)


def bench_mha(repeats: int):
    B, T, E, h = 8, 256, 256, 8
    torch.manual_seed(0)
    module = torch.nn.MultiheadAttention(E, h, batch_first=True).eval()  # float32
    params = numpy_state(module)
    x = np.random.default_rng(0).standard_normal((B, T, E)).astype(np.float32)
    xt = torch.tensor(x)

    def ours():
        attention.multi_head_attention(x, x, x, params, h)

    def theirs_weights():
        with torch.no_grad():
            module(xt, xt, xt, need_weights=True, average_attn_weights=False)

    def theirs_fused():
        with torch.no_grad():
            module(xt, xt, xt, need_weights=False)

    return (median_time(ours, repeats), median_time(theirs_weights, repeats),
            median_time(theirs_fused, repeats))


def main(repeats: int = 7, threads: int | None = None) -> None:
    if threads is not None:
        threadpool_limits(limits=threads, user_api="blas")
    threads = max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
    torch.set_num_threads(threads)
    print(f"numpy {np.__version__} (BLAS threads: {threads}), "
          f"torch {torch.__version__} (threads: {torch.get_num_threads()}), "
          f"{os.cpu_count()} CPUs; median of {repeats} runs after 2 warm-up runs, milliseconds")
    lstm_np, lstm_torch = bench_lstm(repeats)
    mha_np, mha_torch_w, mha_torch_fused = bench_mha(repeats)
    rows = [
        ("LSTM T=100 B=32 D=H=128, fwd+bwd", lstm_np, lstm_torch, "nn.LSTM"),
        ("MHA B=8 T=256 E=256 h=8, fwd", mha_np, mha_torch_w, "MHA, per-head weights"),
        ("MHA B=8 T=256 E=256 h=8, fwd", mha_np, mha_torch_fused, "MHA, need_weights=False"),
    ]
    print(f"{'benchmark (float32)':36s} {'numpy':>9s} {'torch':>9s} {'numpy/torch':>12s}  "
          "torch variant")
    for name, ours, theirs, variant in rows:
        print(f"{name:36s} {1e3 * ours:9.2f} {1e3 * theirs:9.2f} {ours / theirs:11.2f}x  {variant}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7,
         int(sys.argv[2]) if len(sys.argv) > 2 else None)
