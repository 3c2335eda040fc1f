"""Gradient-flow helpers against autograd and against the linear-algebra facts they teach."""
import numpy as np
import torch

from seqbook.nn import gradient_flow as gf
from seqbook.nn import rnn


def test_jacobian_norms_match_autograd():
    rng = np.random.default_rng(1)
    params = rnn.init_rnn_params(2, 5, rng)
    X, h0 = rng.standard_normal((6, 1, 2)), rng.standard_normal((1, 5))
    norms = gf.jacobian_norms(X, h0, params)
    W_ih, W_hh = (torch.tensor(params[k]) for k in ("weight_ih", "weight_hh"))
    b = torch.tensor(params["bias_ih"] + params["bias_hh"])

    def h_T_from(h_s, s):
        h = h_s
        for t in range(s, 6):
            h = torch.tanh(torch.tensor(X[t, 0]) @ W_ih.T + h @ W_hh.T + b)
        return h

    Hs, _ = rnn.rnn_forward(X, h0, params)
    states = [h0[0]] + [Hs[t, 0] for t in range(6)]
    for k in range(7):  # k steps back from the end
        s = 6 - k
        J = torch.autograd.functional.jacobian(lambda h: h_T_from(h, s), torch.tensor(states[s]))
        assert abs(norms[k] - torch.linalg.matrix_norm(J, 2).item()) < 1e-10


def test_spectral_radius_decides_linear_regime():
    W = np.random.default_rng(0).standard_normal((8, 8))
    for rho, check in [(0.5, lambda n: n[-1] < 1e-3), (1.5, lambda n: n[-1] > 1e3)]:
        Ws = gf.scaled_to_spectral_radius(W, rho)
        assert abs(gf.spectral_radius(Ws) - rho) < 1e-12
        assert check(gf.linear_jacobian_norms(Ws, 30))
    Q, _ = np.linalg.qr(W)  # orthogonal: volume-conserving, every power has norm 1
    np.testing.assert_allclose(gf.linear_jacobian_norms(Q, 30), 1.0, atol=1e-10)
