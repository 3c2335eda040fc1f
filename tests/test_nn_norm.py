"""The numpy layer norm against torch.nn.LayerNorm, batch norm against nn.BatchNorm1d;
both backward passes against autograd."""
import numpy as np
import pytest
import torch

from seqbook.nn import norm
from seqbook.torch_reference import numpy_state


def randomise_affine(module, seed):
    """Give γ and β random values (torch initialises them to 1 and 0, which hides bugs)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))


# shape of x, normalized_shape
LN_SHAPES = [((1, 1, 1), 1), ((2, 5, 4), 4), ((3, 1, 7), 7), ((1, 4, 1), 1), ((6, 3), 3),
             ((2, 3, 4, 5), (4, 5)), ((8,), 8)]


@pytest.mark.parametrize("affine,bias", [(True, True), (False, False), (True, False)])
@pytest.mark.parametrize("eps", [1e-5, 1e-2])
@pytest.mark.parametrize("shape,normalized_shape", LN_SHAPES)
def test_layer_norm_forward_and_backward_match_torch(shape, normalized_shape, affine, bias, eps):
    seed = sum(shape) + 10 * affine + 20 * bias
    module = torch.nn.LayerNorm(normalized_shape, eps=eps, elementwise_affine=affine,
                                bias=bias).double()
    randomise_affine(module, seed)
    params = numpy_state(module)
    rng = np.random.default_rng(seed)
    x = 3 * rng.standard_normal(shape) + 1
    dy = rng.standard_normal(shape)

    y, cache = norm.layer_norm_forward(x, normalized_shape, params.get("weight"),
                                       params.get("bias"), eps)
    grads = norm.layer_norm_backward(dy, cache)

    xt = torch.tensor(x, requires_grad=True)
    y_ref = module(xt)
    (y_ref * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=0, atol=1e-10)
    for name in ("weight", "bias"):
        if name in params:
            np.testing.assert_allclose(grads[name], getattr(module, name).grad.numpy(),
                                       rtol=0, atol=1e-10, err_msg=name)
        else:
            assert grads[name] is None
    # layer_norm is the forward output, as F.layer_norm with the same arguments
    np.testing.assert_allclose(norm.layer_norm(x, normalized_shape, params.get("weight"),
                                               params.get("bias"), eps), y, rtol=0, atol=0)


def test_layer_norm_same_in_train_and_eval_and_per_example():
    module = torch.nn.LayerNorm(5).double()
    randomise_affine(module, 1)
    p = numpy_state(module)
    x = np.random.default_rng(1).standard_normal((4, 6, 5))
    y = norm.layer_norm(x, 5, p["weight"], p["bias"])
    for mode in (module.train, module.eval):
        mode()
        with torch.no_grad():
            np.testing.assert_allclose(y, module(torch.tensor(x)).numpy(), rtol=0, atol=1e-10)
    # per example: one sequence alone, or one time step alone, gives the same output
    np.testing.assert_allclose(norm.layer_norm(x[2:3], 5, p["weight"], p["bias"]), y[2:3],
                               rtol=0, atol=1e-14)
    np.testing.assert_allclose(norm.layer_norm(x[:, 4], 5, p["weight"], p["bias"]), y[:, 4],
                               rtol=0, atol=1e-14)


def test_layer_norm_float32():
    module = torch.nn.LayerNorm(16)
    randomise_affine(module, 2)
    p = numpy_state(module)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 7, 16)).astype(np.float32)
    dy = rng.standard_normal((3, 7, 16)).astype(np.float32)
    y, cache = norm.layer_norm_forward(x, 16, p["weight"], p["bias"])
    grads = norm.layer_norm_backward(dy, cache)
    xt = torch.tensor(x, requires_grad=True)
    y_ref = module(xt)
    (y_ref * torch.tensor(dy)).sum().backward()
    assert y.dtype == grads["x"].dtype == grads["weight"].dtype == np.float32
    np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grads["weight"], module.weight.grad.numpy(), rtol=1e-4, atol=1e-4)


# --- batch norm ------------------------------------------------------------------------------

BN_SHAPES = [(2, 1), (5, 3), (4, 3, 6), (1, 2, 3), (3, 1, 1), (7, 4, 2)]


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_training_matches_torch(shape, momentum, affine):
    seed = sum(shape) + 7 * affine
    C = shape[1]
    module = torch.nn.BatchNorm1d(C, momentum=momentum, affine=affine).double()
    randomise_affine(module, seed)
    rng = np.random.default_rng(seed)
    with torch.no_grad():  # nonzero running statistics to start from
        module.running_mean.copy_(torch.tensor(rng.standard_normal(C)))
        module.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, C)))
    p = numpy_state(module)
    module.train()
    # three training steps: the running statistics follow torch's every step
    running_mean, running_var = p["running_mean"], p["running_var"]
    for step in range(3):
        x = 2 * rng.standard_normal(shape) + step
        dy = rng.standard_normal(shape)
        y, (running_mean, running_var), cache = norm.batch_norm_forward(
            x, running_mean, running_var, p.get("weight"), p.get("bias"), training=True,
            momentum=momentum)
        grads = norm.batch_norm_backward(dy, cache)
        module.zero_grad()
        xt = torch.tensor(x, requires_grad=True)
        y_ref = module(xt)
        (y_ref * torch.tensor(dy)).sum().backward()
        np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(running_mean, module.running_mean.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(running_var, module.running_var.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=0, atol=1e-10)
        for name in ("weight", "bias"):
            if affine:
                np.testing.assert_allclose(grads[name], getattr(module, name).grad.numpy(),
                                           rtol=0, atol=1e-10, err_msg=name)
            else:
                assert grads[name] is None
    # inference uses the running statistics
    module.eval()
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(shape)
    y, stats, cache = norm.batch_norm_forward(x, running_mean, running_var, p.get("weight"),
                                              p.get("bias"), training=False)
    assert stats[0] is running_mean and stats[1] is running_var
    grads = norm.batch_norm_backward(dy, cache)
    xt = torch.tensor(x, requires_grad=True)
    y_ref = module(xt)
    (y_ref * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=0, atol=1e-10)


def test_batch_norm_depends_on_the_batch_layer_norm_does_not():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 5))
    C = 5
    ones, zeros = np.ones(C), np.zeros(C)
    y_bn = norm.batch_norm_forward(x, zeros, ones)[0]
    y_bn_half = norm.batch_norm_forward(x[:3], zeros, ones)[0]
    assert np.abs(y_bn[:3] - y_bn_half).max() > 1e-3
    np.testing.assert_allclose(norm.layer_norm(x[:3], C), norm.layer_norm(x, C)[:3], atol=1e-14)


def test_batch_norm_float32():
    module = torch.nn.BatchNorm1d(4)
    randomise_affine(module, 5)
    p = numpy_state(module)
    x = np.random.default_rng(5).standard_normal((8, 4, 3)).astype(np.float32)
    y, (rm, rv), _ = norm.batch_norm_forward(x, p["running_mean"], p["running_var"],
                                             p["weight"], p["bias"])
    with torch.no_grad():
        y_ref = module(torch.tensor(x)).numpy()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rv, module.running_var.numpy(), rtol=1e-5, atol=1e-6)


# --- bad input --------------------------------------------------------------------------------

X = np.zeros((2, 3, 4))
BAD_CALLS = {
    r"x must have shape \(\.\.\., 5\)": lambda: norm.layer_norm(X, 5),
    r"x must have shape \(\.\.\., 3, 5\)": lambda: norm.layer_norm(X, (3, 5)),
    "weight must have shape normalized_shape": lambda: norm.layer_norm(X, 4, np.ones(3)),
    "bias must have shape normalized_shape": lambda: norm.layer_norm(X, 4, None, np.ones((1, 4))),
    "dy must have the shape of y": lambda: norm.layer_norm_backward(
        X[0], norm.layer_norm_forward(X, 4)[1]),
    r"x must have shape \(B, C\) or \(B, C, L\)": lambda: norm.batch_norm_forward(
        X[0, 0], np.zeros(3), np.ones(3)),
    "running_mean must have shape": lambda: norm.batch_norm_forward(X, np.zeros(4), np.ones(3)),
    "running_var must have shape": lambda: norm.batch_norm_forward(X, np.zeros(3), np.ones(1)),
    "weight must have shape": lambda: norm.batch_norm_forward(X, np.zeros(3), np.ones(3),
                                                              np.ones(4)),
    "more than one value per channel": lambda: norm.batch_norm_forward(
        np.zeros((1, 3)), np.zeros(3), np.ones(3)),
    "dy must have the shape": lambda: norm.batch_norm_backward(
        X[:1], norm.batch_norm_forward(X, np.zeros(3), np.ones(3))[2]),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message]()
