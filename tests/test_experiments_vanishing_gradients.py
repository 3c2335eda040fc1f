"""The vanishing-gradients chapter's experiment code."""
import numpy as np
import pytest
import torch

from seqbook.experiments import vanishing_gradients as vg
from seqbook.nn import gradient_flow, rnn


def _problem(rho, T=12, H=6, D=3, seed=0):
    rng = np.random.default_rng(seed)
    params = rnn.init_rnn_params(D, H, rng)
    params["weight_hh"] = gradient_flow.scaled_to_spectral_radius(rng.standard_normal((H, H)), rho)
    return rng.standard_normal((T, 1, D)), np.zeros((1, H)), params


@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_input_sensitivities_match_autograd(activation):
    X, h0, params = _problem(0.9)
    norms = vg.input_sensitivities(X, h0, params, activation)
    p = {k: torch.tensor(v) for k, v in params.items()}
    act = torch.tanh if activation == "tanh" else (lambda a: a)

    def last_state(x):
        h = torch.tensor(h0[0])
        for t in range(x.shape[0]):
            h = act(p["weight_ih"] @ x[t] + p["bias_ih"] + p["weight_hh"] @ h + p["bias_hh"])
        return h

    J = torch.autograd.functional.jacobian(last_state, torch.tensor(X[:, 0]))  # (H, T, D)
    expected = [np.linalg.norm(J[:, t].numpy(), 2) for t in range(X.shape[0])]
    np.testing.assert_allclose(norms, expected, rtol=1e-9)


def test_linear_sensitivity_grows_toward_the_end_when_contracting():
    X, h0, params = _problem(0.5, T=20)
    norms = vg.input_sensitivities(X, h0, params, "linear")
    assert norms[-1] > 1e3 * norms[0]
    X, h0, params = _problem(1.5, T=20)
    norms = vg.input_sensitivities(X, h0, params, "linear")
    assert norms[0] > 1e2 * norms[-1]


def test_decay_rate_recovers_a_geometric_rate():
    assert vg.decay_rate(3.0 * 0.7 ** np.arange(30)) == pytest.approx(0.7)


def test_input_sensitivities_are_pinned():
    """The seeded problem's tanh sensitivities as the code gave them before the refactoring
    (float64): they grow towards the end of the sequence, the earliest input reaches h_T least."""
    X, h0, params = _problem(0.9)
    expected = [0.0001836360281381046, 0.00036392050759272555, 0.0004605442833298606, 0.00043023775606836106,
                0.0010429762100092682, 0.0029398787191104374, 0.005270878932587108, 0.017149808253075546,
                0.05995530958848033, 0.15124776670090911, 0.22941219782601843, 0.6294781209739277]
    np.testing.assert_allclose(vg.input_sensitivities(X, h0, params, "tanh"), expected, rtol=1e-6)
