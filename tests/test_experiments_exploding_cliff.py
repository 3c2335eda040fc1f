"""The exploding-gradient cliff of Pascanu et al. (2013, Fig. 6): the forward-mode gradient
against PyTorch's autograd, the wall, and clipping against plain gradient descent."""
import numpy as np
import pytest
import torch

from seqbook.experiments import exploding_cliff as ec


@pytest.mark.parametrize("w, b", [(6.0, -4.5), (3.0, -1.0), (8.5, -6.9), (1.0, 0.3)])
def test_gradient_matches_autograd(w, b):
    config = ec.Config()
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(config.x0, dtype=torch.float64)
    for _ in range(config.T):
        x = wt * torch.sigmoid(x) + bt
    E = (torch.sigmoid(x) - config.target) ** 2
    E.backward()
    ours = ec.error_and_gradient(w, b, config)
    np.testing.assert_allclose([float(v) for v in ours], [E.item(), wt.grad.item(), bt.grad.item()],
                               rtol=1e-10, atol=1e-14)


@pytest.fixture(scope="module")
def result():
    return ec.run(ec.Config(grid=41))


def test_the_cut_has_a_cliff(result):
    E, slope = result.cut_E, np.abs(result.cut_dE_db)
    assert E.max() - E.min() > 0.35                    # a step of about 0.4 in E
    assert slope.max() > 1e6 * np.median(slope)         # a wall far steeper than the plateaus
    config = result.config
    E_even = ec.error_and_gradient(config.cut_w, np.linspace(*config.b_range, 2001), config)[0]
    assert (np.abs(np.diff(E_even)) > 0.3).sum() == 1   # one wall on the cut


def test_plain_descent_is_thrown_off_and_clipping_is_not(result):
    steps = {n: np.linalg.norm(np.diff(p, axis=0), axis=1) for n, p in result.paths.items()}
    assert steps["plain"].max() > 100                                   # thrown far away
    assert steps["clipped"].max() <= result.config.lr * result.config.clip_norm + 1e-9
    assert result.losses["plain"][-1] > 0.08                            # stuck on the saturated plateau
    assert result.losses["clipped"][-1] < 0.01 < result.losses["clipped"][0]
    k = int(steps["plain"].argmax())                                    # identical until the wall
    np.testing.assert_allclose(result.paths["plain"][:k + 1], result.paths["clipped"][:k + 1])
