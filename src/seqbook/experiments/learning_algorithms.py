"""Experiments of the chapter "Learning algorithms: truncated BPTT, RTRL and hybrids".

- ``contributing_pairs``: which (error step t, weight-use step s) pairs of full BPTT,
  Williams & Peng's BPTT(h) and chunked truncated BPTT add a term to the gradient;
- ``truncation_errors``: how far the truncated gradients of ``seqbook.nn.rnn`` are from the
  exact one as the truncation length grows;
- ``focused_forward`` / ``focused_gradients``: Mozer's (1989) focused architecture, whose
  recurrent units have only a self-connection, and its gradient by forward-mode
  sensitivities that are as cheap as the forward pass;
- ``loglog_slope``: the exponent a in cost ~ size^a fitted to measured costs.

The algorithms themselves (BPTT, truncated BPTT, RTRL, Schmidhuber's hybrid) are in
``seqbook.nn.rnn`` and their measured costs come from ``seqbook.experiments.rnn_cost``.
Nothing runs on import.
"""
from __future__ import annotations

import time

import numpy as np

from seqbook.experiments import rnn_cost
from seqbook.nn import rnn

FORMS = ("full BPTT", "BPTT(h)", "chunked")


def contributing_pairs(T: int, tau: int, form: str) -> np.ndarray:
    """Boolean (T, T) matrix: entry [t, s] is True when the error of step t reaches the use
    of the weights at step s (so adds delta_s^(t) h_{s-1}^T to dL/dW_hh).

    Args:
        T: sequence length (steps 0..T-1).
        tau: truncation length; ignored by "full BPTT".
        form: "full BPTT" (every s <= t), "BPTT(h)" (Williams & Peng: t - tau < s <= t) or
            "chunked" (s <= t inside the same chunk of tau steps, as a training loop that
            detaches the state every tau steps computes).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    t = np.arange(T)[:, None]  # error step
    s = np.arange(T)[None, :]  # weight-use step
    causal = s <= t  # an error can only reach steps at or before it
    if form == "full BPTT":
        return causal
    if form == "BPTT(h)":
        return causal & (t - s < tau)
    return causal & (t // tau == s // tau)


def truncation_errors(taus, rho: float, T: int = 40, hidden_size: int = 16, input_size: int = 4,
                      form: str = "BPTT(h)", seed: int = 0) -> np.ndarray:
    """Relative error ||g_tau - g|| / ||g|| of the truncated gradient of ``weight_hh``.

    A random tanh RNN whose ``weight_hh`` has spectral radius ``rho`` gets random errors
    dL/dh_t at every step; g is the exact gradient (``rnn.bptt_gradients``) and g_tau the
    truncated one (``rnn.truncated_bptt_gradients`` for "BPTT(h)",
    ``rnn.chunked_bptt_gradients`` for "chunked").

    Returns:
        array of relative errors, one per tau.
    """
    rng = np.random.default_rng(seed)
    params = rnn.init_rnn_params(input_size, hidden_size, rng)
    W = rng.standard_normal((hidden_size, hidden_size))
    params["weight_hh"] = W * (rho / np.max(np.abs(np.linalg.eigvals(W))))
    X = rng.standard_normal((T, 1, input_size))
    h0 = np.zeros((1, hidden_size))
    dH = rng.standard_normal((T, 1, hidden_size))
    exact = rnn.bptt_gradients(X, h0, params, dH)["weight_hh"]
    truncate = {"BPTT(h)": rnn.truncated_bptt_gradients,
                "chunked": rnn.chunked_bptt_gradients}[form]
    errors = []
    for tau in taus:
        approx = truncate(X, h0, params, dH, tau=int(tau))["weight_hh"]
        errors.append(np.linalg.norm(approx - exact) / np.linalg.norm(exact))
    return np.asarray(errors)


def init_focused_params(input_size: int, hidden_size: int, rng: np.random.Generator):
    """Parameters of a focused layer: ``weight_ih (H, D)``, ``bias (H,)`` and the
    self-recurrent weights ``decay (H,)``, drawn in (0, 1) so every unit is a stable leaky
    integrator."""
    k = 1.0 / np.sqrt(hidden_size)
    return {"weight_ih": rng.uniform(-k, k, (hidden_size, input_size)),
            "bias": rng.uniform(-k, k, hidden_size),
            "decay": rng.uniform(0.0, 1.0, hidden_size)}


def focused_forward(X: np.ndarray, c0: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """Mozer's (1989) focused recurrent layer.

    Every unit i is connected to itself only, through one weight d_i ("decay"):

        c_t = d ⊙ c_{t-1} + tanh(W_ih x_t + b)

    Args:
        X: inputs, shape (T, B, D); c0: initial state, shape (B, H).

    Returns:
        the states c_1..c_T, shape (T, B, H).
    """
    T, B, _ = X.shape
    d = params["decay"]
    C = np.empty((T, B, d.shape[0]))
    c = c0
    for t in range(T):
        # c_t = d ⊙ c_{t-1} + tanh(W_ih x_t + b)
        c = d * c + np.tanh(X[t] @ params["weight_ih"].T + params["bias"])  # (B, H)
        C[t] = c
    return C


def focused_gradients(X: np.ndarray, c0: np.ndarray, params: dict[str, np.ndarray],
                      dC: np.ndarray) -> dict[str, np.ndarray]:
    """Gradient of L = sum(C * dC) for ``focused_forward``, computed forward in time.

    Because c_t[i] depends on no other unit's past, the sensitivity of unit i to a weight
    of another unit is always 0, and RTRL's sensitivities shrink to one number per weight,
    each updated from its own previous value (g_t = tanh(W_ih x_t + b)):

        dc_t[i]/dW_ih[i, k] = d_i dc_{t-1}[i]/dW_ih[i, k] + (1 - g_t[i]²) x_t[k]
        dc_t[i]/db[i]       = d_i dc_{t-1}[i]/db[i]       + (1 - g_t[i]²)
        dc_t[i]/dd_i        = d_i dc_{t-1}[i]/dd_i        + c_{t-1}[i]
        dc_t[i]/dc_0[i]     = d_i dc_{t-1}[i]/dc_0[i]

    and dL/dθ += dC[t] · dc_t/dθ at every step. Exact, local in time (nothing of the past is
    stored) and O(H·D) time and memory per step, like the forward pass itself, against RTRL's
    O(H⁴) time and O(H³) memory for a fully recurrent layer.

    Mozer, M. C. (1989). A focused back-propagation algorithm for temporal pattern
    recognition. Complex Systems 3, 349-381.

    Returns:
        dict with the gradients ``c0, weight_ih, bias, decay``.
    """
    T, B, D = X.shape
    d = params["decay"]
    n_hidden = d.shape[0]
    P_ih = np.zeros((B, n_hidden, D))  # dc_t[b, i]/dW_ih[i, k]
    P_b = np.zeros((B, n_hidden))  # dc_t[b, i]/db[i]
    P_d = np.zeros((B, n_hidden))  # dc_t[b, i]/dd_i
    P_c0 = np.ones((B, n_hidden))  # dc_t[b, i]/dc_0[b, i], 1 at t = 0
    grads = {"c0": np.zeros((B, n_hidden)), "weight_ih": np.zeros((n_hidden, D)),
             "bias": np.zeros(n_hidden), "decay": np.zeros(n_hidden)}
    c = c0
    for t in range(T):
        c_prev = c
        g = np.tanh(X[t] @ params["weight_ih"].T + params["bias"])  # (B, H)
        c = d * c_prev + g
        # the sensitivities, each from its own previous value: O(H·D) per step
        P_ih = d[:, None] * P_ih + (1.0 - g ** 2)[:, :, None] * X[t][:, None, :]  # (B, H, D)
        P_b = d * P_b + (1.0 - g ** 2)  # (B, H)
        P_d = d * P_d + c_prev  # (B, H)
        P_c0 = d * P_c0  # (B, H)
        # dL/dθ += dC[t] · dc_t/dθ
        grads["weight_ih"] += np.einsum("bi,bik->ik", dC[t], P_ih)  # (H, D)
        grads["bias"] += (dC[t] * P_b).sum(axis=0)
        grads["decay"] += (dC[t] * P_d).sum(axis=0)
        grads["c0"] += dC[t] * P_c0
    return grads


def loglog_slope(sizes, costs) -> float:
    """Exponent a of cost ~ size^a, least squares on log-log axes."""
    slope, _ = np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(costs, float)), 1)
    return float(slope)


def cpu_seconds(algorithm, T: int, hidden_size: int, repeats: int = 5, **problem) -> float:
    """CPU time of one run of an algorithm of ``rnn_cost.ALGORITHMS`` (fastest of ``repeats``).

    Like ``rnn_cost.measure`` (same random problem, one BLAS thread) but timed with
    ``time.process_time``, the CPU time of this process: on a machine shared with other
    jobs, the time spent waiting for a core is not counted, so the measurement shows the
    algorithm's work rather than the machine's load.
    """
    function = rnn_cost.ALGORITHMS[algorithm] if isinstance(algorithm, str) else algorithm
    X, h0, params, dH = rnn_cost.make_problem(T, hidden_size, **problem)
    best = float("inf")
    with rnn_cost.single_threaded_blas():
        for _ in range(repeats):
            start = time.process_time()
            function(X, h0, params, dH)
            best = min(best, time.process_time() - start)
    return best


def cost_sweeps(Ts=(64, 128, 256, 512), hidden_for_T: int = 32, hidden_sizes=(16, 32, 64, 96),
                T_for_hidden: int = 192, T_for_rtrl: int = 24, repeats: int = 5):
    """Measured CPU time (``cpu_seconds``) and peak memory (``rnn_cost.measure``) of every
    algorithm of ``rnn_cost.ALGORITHMS``.

    Two sweeps: over the sequence length T at ``hidden_for_T`` hidden units, and over the
    hidden size at ``T_for_hidden`` steps. RTRL, whose cost per step and memory do not
    depend on T, is measured on ``T_for_rtrl`` steps in the second sweep so that its large
    sizes stay fast; compare it per step. The slow algorithms (RTRL, truncated BPTT) get
    ``max(1, repeats // 2)`` timed runs, the others ``repeats`` (the fastest counts).

    Returns:
        (by_T, by_H): two lists of ``rnn_cost.CostRow``.
    """
    def run(name, T, hidden):
        slow = name == "RTRL" or name.startswith("truncated")
        seconds = cpu_seconds(name, T, hidden, repeats=max(1, repeats // 2) if slow else repeats)
        memory = rnn_cost.measure(name, T, hidden, repeats=1).peak_bytes
        return rnn_cost.CostRow(name, T, hidden, seconds, memory)

    by_T = [run(name, T, hidden_for_T) for name in rnn_cost.ALGORITHMS for T in Ts]
    by_H = [run(name, T_for_rtrl if name == "RTRL" else T_for_hidden, hidden)
            for name in rnn_cost.ALGORITHMS for hidden in hidden_sizes]
    return by_T, by_H
