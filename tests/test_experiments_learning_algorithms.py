"""The learning-algorithms chapter's experiment code: pairs, truncation errors, focused BPTT."""
import numpy as np
import pytest
import torch

from seqbook.experiments import learning_algorithms as la


def test_contributing_pairs_count_the_terms():
    T, tau = 10, 3
    full = la.contributing_pairs(T, tau, "full BPTT")
    band = la.contributing_pairs(T, tau, "BPTT(h)")
    chunk = la.contributing_pairs(T, tau, "chunked")
    assert full.sum() == T * (T + 1) // 2
    assert band.sum() == sum(min(t + 1, tau) for t in range(T))
    assert (chunk <= band).all() and (band <= full).all()
    assert la.contributing_pairs(T, T, "BPTT(h)").sum() == full.sum()
    with pytest.raises(ValueError):
        la.contributing_pairs(T, tau, "nonsense")


def test_truncation_errors_vanish_at_full_length_and_are_pinned():
    errors = la.truncation_errors([1, 4, 12], rho=0.8, T=12, hidden_size=4)
    assert errors.shape == (3,)
    assert errors[-1] < 1e-12 and errors[0] > errors[1]
    # the values the chapter's code gave before the refactoring (float64, seeded problem)
    np.testing.assert_allclose(errors, [0.36923069468872655, 0.046529295636447, 0.0], rtol=1e-9, atol=1e-12)
    chunked = la.truncation_errors([1, 4, 12], rho=0.8, T=12, hidden_size=4, form="chunked")
    np.testing.assert_allclose(chunked, [0.3692306946887266, 0.16106322988945854, 0.0], rtol=1e-9, atol=1e-12)
    assert chunked[1] > errors[1]  # chunks cut more of the gradient than a sliding window


def test_focused_gradients_match_autograd():
    rng = np.random.default_rng(3)
    T, B, D, H = 7, 2, 3, 5
    params = la.init_focused_params(D, H, rng)
    X, c0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    dC = rng.standard_normal((T, B, H))
    grads = la.focused_gradients(X, c0, params, dC)

    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    tc0 = torch.tensor(c0, requires_grad=True)
    c, loss = tc0, 0.0
    for t in range(T):
        c = tp["decay"] * c + torch.tanh(torch.tensor(X[t]) @ tp["weight_ih"].T + tp["bias"])
        loss = loss + (c * torch.tensor(dC[t])).sum()
    loss.backward()
    np.testing.assert_allclose(la.focused_forward(X, c0, params)[-1], c.detach().numpy())
    for name in params:
        np.testing.assert_allclose(grads[name], tp[name].grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(grads["c0"], tc0.grad.numpy(), atol=1e-10)


def test_loglog_slope():
    sizes = np.array([2, 4, 8, 16])
    assert la.loglog_slope(sizes, 3 * sizes ** 4) == pytest.approx(4.0)


def test_cost_sweeps_shapes():
    by_T, by_H = la.cost_sweeps(Ts=(8, 16), hidden_for_T=4, hidden_sizes=(2, 4), T_for_hidden=8,
                                T_for_rtrl=4, repeats=1)
    assert len(by_T) == 5 * 2 and len(by_H) == 5 * 2
    assert {r.T for r in by_H if r.algorithm == "RTRL"} == {4}
    assert all(r.seconds > 0 and r.peak_bytes > 0 for r in by_T + by_H)
