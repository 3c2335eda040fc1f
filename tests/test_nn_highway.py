"""The numpy highway layer against autograd of the same formula written with torch ops
(PyTorch has no highway layer), in float64 and float32."""
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from seqbook.nn import highway
from seqbook.nn.highway import HighwayConfig

SHAPES = [(1, 1), (1, 5), (4, 1), (3, 6), (16, 8), ((5, 3), 4), ((1, 1), 1)]  # leading, D
CONFIGS = [HighwayConfig(), HighwayConfig(activation="tanh")]
TORCH_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


def torch_highway(x, p, config):
    """y = H(x) T(x) + x (1 - T(x)) with torch ops, for autograd."""
    T = torch.sigmoid(x @ p["weight_T"].T + p["bias_T"])
    H = TORCH_ACTIVATIONS[config.activation](x @ p["weight_H"].T + p["bias_H"])
    return H * T + x * (1 - T)


def ours_and_torchs(x, dy, params, config):
    """(y, grads) of highway_forward/backward and of torch_highway with autograd of sum(y * dy)."""
    y, cache = highway.highway_forward(x, params, config)
    grads = highway.highway_backward(dy, cache)
    pt = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    xt = torch.tensor(x, requires_grad=True)
    y_ref = torch_highway(xt, pt, config)
    (y_ref * torch.tensor(dy)).sum().backward()
    grads_ref = {name: tensor.grad.numpy() for name, tensor in (("x", xt), *pt.items())}
    return (y, grads), (y_ref.detach().numpy(), grads_ref)


def random_inputs(leading, D, seed, dtype=np.float64):
    leading = leading if isinstance(leading, tuple) else (leading,)
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((*leading, D)).astype(dtype) for _ in range(2)]


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
@pytest.mark.parametrize("leading,D", SHAPES)
def test_forward_and_backward_match_torch_autograd(leading, D, config, assert_grads_close):
    rng = np.random.default_rng(D)
    # gate bias 0 here so both the carry and the transform paths carry weight
    params = highway.init_highway_params(D, rng, gate_bias=0.0)
    params["bias_T"] = rng.standard_normal(D)
    x, dy = random_inputs(leading, D, seed=D + 1)

    (y, grads), (y_ref, grads_ref) = ours_and_torchs(x, dy, params, config)

    assert y.shape == x.shape
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-12)
    assert_grads_close(grads, grads_ref, atol=1e-10)
    assert set(grads) == {"x", *highway.PARAM_NAMES}


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_float32_stays_float32_and_matches_torch(config, assert_grads_close):
    D = 6
    params = highway.init_highway_params(D, np.random.default_rng(0), dtype=np.float32)
    x, dy = random_inputs((4, 3), D, seed=1, dtype=np.float32)
    (y, grads), (y_ref, grads_ref) = ours_and_torchs(x, dy, params, config)

    assert y.dtype == np.float32
    assert {name: g.dtype for name, g in grads.items()} == dict.fromkeys(grads, np.float32)
    np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-6)
    assert_grads_close(grads, grads_ref, atol=1e-5, rtol=1e-5)


def test_gate_limits_carry_and_transform():
    D = 5
    params = highway.init_highway_params(D, np.random.default_rng(2))
    x, _ = random_inputs(7, D, seed=2)
    # T = 0: the layer is the identity (pure carry)
    y, _ = highway.highway_forward(x, {**params, "bias_T": np.full(D, -60.0)})
    np.testing.assert_allclose(y, x, rtol=0, atol=1e-12)
    # T = 1: the layer is the plain layer H(x) (pure transform)
    y, _ = highway.highway_forward(x, {**params, "bias_T": np.full(D, 60.0)})
    np.testing.assert_allclose(y, np.maximum(x @ params["weight_H"].T + params["bias_H"], 0),
                               rtol=0, atol=1e-12)


def _stack_input_gradient(layers, x, config):
    """Mean |dL/dx| at the input of a stack of highway layers, for L = sum(y)."""
    y, caches = x, []
    for params in layers:
        y, cache = highway.highway_forward(y, params, config)
        caches.append(cache)
    dx = np.ones_like(y)
    for cache in reversed(caches):
        dx = highway.highway_backward(dx, cache)["x"]
    return np.abs(dx).mean(), caches


def test_negative_gate_bias_starts_a_deep_stack_near_the_identity():
    D, depth, config = 16, 50, HighwayConfig(activation="tanh")
    x, _ = random_inputs(32, D, seed=3)
    reached = {}
    for gate_bias in (-1.0, -2.0, -3.0):
        rng = np.random.default_rng(3)
        layers = [highway.init_highway_params(D, rng, gate_bias) for _ in range(depth)]
        assert all(np.all(p["bias_T"] == gate_bias) for p in layers)
        reached[gate_bias], caches = _stack_input_gradient(layers, x, config)
        # the mean gate is about σ(gate_bias): mostly carry
        gates = np.concatenate([c["T"].ravel() for c in caches])
        assert abs(gates.mean() - 1 / (1 + np.exp(-gate_bias))) < 0.05
    # the same weights with the gate always open (T = 1) are a plain 50-layer tanh net
    plain = [{**p, "bias_T": np.full(D, 60.0)} for p in layers]
    reached["plain"], _ = _stack_input_gradient(plain, x, config)
    # the error reaching the input: the plain net's vanishes, the carry path keeps it,
    # the more so the more negative the gate bias (per layer about 1 - σ(b_T))
    assert reached["plain"] < 1e-8
    assert 1e-8 < reached[-1.0] < reached[-2.0] < reached[-3.0] < 10
    assert reached[-3.0] > 0.05


def test_init_highway_params():
    D = 7
    params = highway.init_highway_params(D, np.random.default_rng(0), dtype=np.float32)
    assert {n: p.shape for n, p in params.items()} == {
        "weight_H": (D, D), "bias_H": (D,), "weight_T": (D, D), "bias_T": (D,)}
    assert all(p.dtype == np.float32 for p in params.values())
    np.testing.assert_array_equal(params["bias_T"], -2.0)
    k = 1 / np.sqrt(D)
    for name in ("weight_H", "bias_H", "weight_T"):
        assert np.all(np.abs(params[name]) <= k) and np.std(params[name]) > 0.1 * k


def test_no_overflow_warnings_for_huge_inputs():
    D = 4
    params = highway.init_highway_params(D, np.random.default_rng(5))
    x, dy = random_inputs(3, D, seed=5)
    for config in CONFIGS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y, cache = highway.highway_forward(1e4 * x, params, config)
            grads = highway.highway_backward(dy, cache)
        assert np.all(np.isfinite(y)) and all(np.all(np.isfinite(g)) for g in grads.values())


# --- bad input --------------------------------------------------------------------------------

def _args():
    D = 4
    params = highway.init_highway_params(D, np.random.default_rng(0))
    x, dy = random_inputs(3, D, seed=0)
    return SimpleNamespace(x=x, dy=dy, params=params,
                           cache=highway.highway_forward(x, params)[1])


BAD_CALLS = {
    r"weight_H'\] must have shape \(3, 3\)": lambda a: highway.highway_forward(
        a.x[:, :3], a.params),
    r"weight_T'\] must have shape \(4, 4\)": lambda a: highway.highway_forward(
        a.x, {**a.params, "weight_T": np.zeros((4, 3))}),
    r"bias_T'\] must have shape \(4,\)": lambda a: highway.highway_forward(
        a.x, {**a.params, "bias_T": np.zeros((1, 4))}),
    r"x must have shape \(\.\.\., D\)": lambda a: highway.highway_forward(
        np.float64(1.0), a.params),
    "params is missing.*bias_H": lambda a: highway.highway_forward(
        a.x, {k: v for k, v in a.params.items() if k != "bias_H"}),
    r"dy must have the shape of x \(3, 4\)": lambda a: highway.highway_backward(
        a.dy[:2], a.cache),
    "activation must be one of": lambda a: HighwayConfig(activation="sigmoid"),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message](_args())
