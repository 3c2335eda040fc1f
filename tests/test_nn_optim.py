"""seqbook.nn.optim against torch.optim and torch.nn.utils' clipping, in float64."""
import numpy as np
import pytest
import torch

from seqbook.nn import optim

TORCH = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "Momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "AdaGrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "RMSProp": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
@pytest.mark.parametrize("lr", [1e-3, 0.1])
def test_optimizer_matches_torch_optim(name, lr):
    rng = np.random.default_rng(0)
    theta, state = rng.standard_normal((3, 4)), {}
    param = torch.tensor(theta, requires_grad=True)
    optimizer = TORCH[name]([param], lr)
    for t in range(30):
        # gradients of changing size and sign, as training gives them
        g = rng.standard_normal((3, 4)) * 10.0 ** rng.uniform(-3, 1)
        theta = optim.OPTIMIZERS[name](theta, g, state, lr)
        param.grad = torch.tensor(g)
        optimizer.step()
        np.testing.assert_allclose(theta, param.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}, step {t + 1}")


def test_adam_without_bias_correction_takes_smaller_first_steps():
    # m, v start at 0: uncorrected, the first step is (1 - β1) / sqrt(1 - β2) ≈ 3.2 times the
    # corrected one's size lr, in the direction of -g
    corrected = optim.adam_step(np.zeros(1), np.ones(1), {}, lr=1.0)
    raw = optim.adam_step(np.zeros(1), np.ones(1), {}, lr=1.0, bias_correction=False)
    np.testing.assert_allclose(corrected, [-1.0], rtol=1e-7)
    np.testing.assert_allclose(raw, [-0.1 / np.sqrt(0.001)], rtol=1e-6)


@pytest.mark.parametrize("max_norm", [0.5, 2.0, 1e3])
def test_clip_grad_norm_matches_torch(max_norm):
    rng = np.random.default_rng(1)
    grads = {"weight": rng.standard_normal((3, 4)) * 5, "bias": rng.standard_normal(4)}
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for p, g in zip(params, grads.values()):
        p.grad = torch.tensor(g)
    before = grads["bias"].copy()
    total_torch = torch.nn.utils.clip_grad_norm_(params, max_norm=max_norm)
    clipped, total = optim.clip_grad_norm(grads, max_norm)
    assert list(clipped) == list(grads)
    np.testing.assert_allclose(total, total_torch.item(), rtol=1e-14)
    for c, p in zip(clipped.values(), params):
        np.testing.assert_allclose(c, p.grad.numpy(), rtol=1e-14)
    # new arrays: the gradients passed in are left as they were
    np.testing.assert_array_equal(grads["bias"], before)


def test_clip_grad_value_matches_torch():
    rng = np.random.default_rng(2)
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for p, g in zip(params, grads.values()):
        p.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(params, clip_value=0.5)
    for c, p in zip(optim.clip_grad_value(grads, 0.5).values(), params):
        np.testing.assert_array_equal(c, p.grad.numpy())
