"""The cost measurements show the complexities the book states.

Peak memory under tracemalloc is deterministic (the same arrays are allocated on every run),
so the complexity checks use it; the one timing check compares growth rates that differ by
more than an order of magnitude, the fastest of several runs each.
"""
import numpy as np
import pytest

from seqbook.experiments import rnn_cost
from seqbook.nn import rnn


def peak(algorithm, T, hidden_size, batch_size=8):
    return rnn_cost.measure(algorithm, T, hidden_size, batch_size=batch_size,
                            repeats=1).peak_bytes


@pytest.mark.parametrize("algorithm", rnn_cost.ALGORITHMS)
def test_measure_returns_time_and_memory(algorithm):
    cost = rnn_cost.measure(algorithm, 12, 4, repeats=2)
    assert isinstance(cost, rnn_cost.Cost)
    assert 0 < cost.seconds < 5
    assert cost.peak_bytes > 0


def test_measured_algorithms_compute_the_same_gradient():
    """The entries of ALGORITHMS are the exact or truncated gradients they are named after."""
    X, h0, params, dH = rnn_cost.make_problem(20, 5, batch_size=2, seed=3)
    full = rnn.bptt_gradients(X, h0, params, dH)
    for label in ("RTRL", "hybrid, block=H"):
        got = rnn_cost.ALGORITHMS[label](X, h0, params, dH)
        for name in rnn.GRAD_NAMES:
            np.testing.assert_allclose(got[name], full[name], atol=1e-10, err_msg=label)
    tau = rnn_cost.TAU
    truncated = rnn_cost.ALGORITHMS[f"truncated BPTT, tau={tau}"](X, h0, params, dH)
    expected = rnn.truncated_bptt_gradients(X, h0, params, dH, tau)
    np.testing.assert_allclose(truncated["weight_hh"], expected["weight_hh"], atol=1e-12)


def test_bptt_memory_grows_linearly_in_T():
    # every state h_t is stored: 4x the length, about 4x the memory (plus a constant)
    ratio = peak("BPTT", 100, 8) / peak("BPTT", 25, 8)
    assert 3.3 < ratio < 4.3, ratio


@pytest.mark.parametrize("algorithm", ["RTRL", f"truncated BPTT, tau={rnn_cost.TAU}",
                                       f"chunked BPTT, tau={rnn_cost.TAU}", "hybrid, block=H"])
def test_memory_of_the_online_algorithms_does_not_grow_with_T(algorithm):
    # T = 25 and 100 are both longer than tau = 8 and than one block of H = 8 steps
    short, long = peak(algorithm, 25, 8), peak(algorithm, 100, 8)
    assert long < 1.1 * short, (short, long)


def test_rtrl_memory_grows_as_H_cubed_and_bptt_memory_linearly():
    # RTRL keeps dh/dW_hh, (B, H, H, H): twice the units, about 8x the memory
    rtrl = peak("RTRL", 40, 32, batch_size=2) / peak("RTRL", 40, 16, batch_size=2)
    # BPTT keeps T states of H units: twice the units, about twice the memory
    bptt = peak("BPTT", 40, 32, batch_size=2) / peak("BPTT", 40, 16, batch_size=2)
    assert rtrl > 6, rtrl
    assert bptt < 2.5, bptt


def test_rtrl_time_per_step_grows_much_faster_in_H_than_bptt():
    # O(H⁴) against O(H²) per step. From H = 8 to 48 the work per step of RTRL grows by
    # ~1000x, that of BPTT by 36x; measured (small products are bound by Python overhead)
    # 30-50x against 1.1-1.3x. The check asks only for a factor 3 between the two.
    def growth(algorithm):
        small = rnn_cost.measure(algorithm, 16, 8, repeats=5).seconds
        large = rnn_cost.measure(algorithm, 16, 48, repeats=5).seconds
        return large / small
    rtrl, bptt = growth("RTRL"), growth("BPTT")
    assert rtrl > 3 * bptt, (rtrl, bptt)


def test_sweep_returns_one_row_per_point_and_a_table():
    rows = rnn_cost.sweep(["BPTT", "RTRL"], Ts=(4, 8), hidden_sizes=(2, 3), repeats=1)
    assert [(r.algorithm, r.T, r.hidden_size) for r in rows] == [
        (a, T, H) for a in ("BPTT", "RTRL") for T in (4, 8) for H in (2, 3)]
    assert all(isinstance(r, rnn_cost.CostRow) and r.seconds > 0 and r.peak_bytes > 0
               for r in rows)
    assert rows[0].seconds_per_step == rows[0].seconds / 4
    table = rnn_cost.format_table(rows).splitlines()
    assert table[0].startswith("| algorithm | T | H |") and len(table) == 2 + len(rows)


def test_sweep_accepts_own_algorithms():
    def local_only(X, h0, params, dH):
        return rnn.truncated_bptt_gradients(X, h0, params, dH, tau=1)
    rows = rnn_cost.sweep({"BPTT(1)": local_only}, Ts=(5,), hidden_sizes=(3,), repeats=1)
    assert [(r.algorithm, r.T, r.hidden_size) for r in rows] == [("BPTT(1)", 5, 3)]


def test_single_threaded_blas_restores_the_thread_count():
    from threadpoolctl import threadpool_info
    blas = lambda: [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    before = blas()
    assert before, "numpy's BLAS was not found"
    with rnn_cost.single_threaded_blas():
        assert set(blas()) == {1}
    assert blas() == before


@pytest.mark.parametrize("kwargs,message", [
    ({"algorithm": "LSTM"}, "algorithm must be a callable or one of"),
    ({"T": 0}, "T must be an integer >= 1"),
    ({"hidden_size": 2.5}, "hidden_size must be an integer >= 1"),
    ({"repeats": 0}, "repeats must be an integer >= 1"),
])
def test_measure_names_the_bad_argument(kwargs, message):
    args = {"algorithm": "BPTT", "T": 4, "hidden_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        rnn_cost.measure(args.pop("algorithm"), args.pop("T"), args.pop("hidden_size"), **args)
