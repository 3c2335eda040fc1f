"""Trusted grading spec for the rnn_bptt assignment (never shipped to students).

Every case is judged against PyTorch (`seqbook.torch_reference`, float64 autograd) on
inputs drawn from the student's own seeded generator: fixed edge sizes (T=1, B=1, H=1)
plus random sizes.
"""
import numpy as np

from seqbook import torch_reference
from seqbook.grading.spec import (Failure, Spec, as_tuple, check_close, check_grads,
                                  recurrent_params, recurrent_sizes)

spec = Spec("rnn_bptt")
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

FORWARD_HINT = ("Typical causes: a bias missing, h_t used where h_{t-1} belongs, "
                "W instead of W.T in the batch products, or H[t] holding h_{t-1}.")
BACKWARD_HINT = ("Typical causes: the recurrent term delta_{t+1} W_hh missing, h_t used instead "
                 "of h_{t-1} in the W_hh gradient, bias gradients not summed over batch and time, "
                 "or the tanh derivative taken as 1 - a^2 instead of 1 - h^2.")
RTRL_HINT = ("Typical causes: the direct term da_t/dtheta missing or using h_t instead of h_{t-1}, "
             "sensitivities shared across the batch, or P_0 for h0 not the identity.")
TRUNCATED_HINT = ("Typical causes: an error propagated tau+1 or tau-1 steps (count the current "
                  "step as one), the window not clipped at the first step, or h0 never reached.")




def problem(rng, T, B, D, H):
    params = recurrent_params(rng, 1, D, H)
    return rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), params, rng.standard_normal((T, B, H))


@spec.test("test_rnn_forward")
def forward(student, rng):
    for T, B, D, H in recurrent_sizes(rng):
        X, h0, params, dH = problem(rng, T, B, D, H)
        expected, _ = torch_reference.rnn_gradients(X, h0, params, dH)
        out = as_tuple(student.call("rnn_forward", X, h0, params), 2, "rnn_forward")
        check_close(f"rnn_forward with T={T}, B={B}, D={D}, H={H}: H", out[0], expected, FORWARD_HINT)


@spec.test("test_rnn_backward")
def backward(student, rng):
    for T, B, D, H in recurrent_sizes(rng):
        X, h0, params, dH = problem(rng, T, B, D, H)
        _, expected = torch_reference.rnn_gradients(X, h0, params, dH)
        _, kept = student.call("rnn_forward", X, h0, params, keep=True)
        grads = student.call("rnn_backward", dH, kept[1])  # the cache never leaves the sandbox
        check_grads(f"rnn_backward with T={T}, B={B}, D={D}, H={H}", grads, expected, BACKWARD_HINT)


@spec.test("test_rnn_rtrl_gradient")
def rtrl(student, rng):
    for T, B, D, H in recurrent_sizes(rng, max_T=9):
        X, h0, params, dH = problem(rng, T, B, D, H)
        _, expected = torch_reference.rnn_gradients(X, h0, params, dH)
        expected.pop("X")
        grads = student.call("rnn_rtrl_gradient", X, h0, params, dH)
        check_grads(f"rnn_rtrl_gradient with T={T}, B={B}, D={D}, H={H}", grads, expected, RTRL_HINT)


@spec.test("test_truncated_bptt_gradient")
def truncated(student, rng):
    for T, B, D, H in recurrent_sizes(rng):
        X, h0, params, dH = problem(rng, T, B, D, H)
        for tau in sorted({1, 2, 3, T, T + 2}):
            expected = torch_reference.truncated_rnn_gradients(X, h0, params, dH, tau)
            grads = student.call("truncated_bptt_gradient", X, h0, params, dH, tau)
            check_grads(f"truncated_bptt_gradient with T={T}, B={B}, D={D}, H={H}, tau={tau}", grads,
                        expected, TRUNCATED_HINT)
    X, h0, params, dH = problem(rng, 3, 1, 1, 1)
    try:
        student.call("truncated_bptt_gradient", X, h0, params, dH, 0)
    except Failure as exc:
        if "ValueError" not in str(exc):
            raise Failure(f"truncated_bptt_gradient with tau=0 must raise ValueError, not: {exc}") from None
    else:
        raise Failure("truncated_bptt_gradient must raise ValueError for tau=0")
