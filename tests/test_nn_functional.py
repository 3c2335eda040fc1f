"""The shared functions of seqbook.nn.functional against torch, in float64 and float32,
at the extremes where a naive formula overflows."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqbook.nn import functional


def t(a):
    return torch.tensor(a)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-15), (np.float32, 1e-6)])
def test_sigmoid_is_stable_and_matches_torch(dtype, rtol):
    x = np.array([-1e4, -1000, -745, -50, -1, -1e-8, 0, 1e-8, 1, 50, 745, 1000, 1e4], dtype)
    x = np.concatenate([x, np.linspace(-30, 30, 101, dtype=dtype)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = functional.sigmoid(x)
    assert y.dtype == dtype
    # atol: at x = -745 we return the subnormal e^{-745} = 5e-324 where torch returns 0
    np.testing.assert_allclose(y, torch.sigmoid(t(x)).numpy(), rtol=rtol, atol=1e-300)
    assert y[0] == 0 and y[12] == 1


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-15), (np.float32, 1e-6)])
def test_softmax_matches_torch_and_is_stable(dtype, tol):
    rng = np.random.default_rng(0)
    for shape, axis in [((1,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 5), 1), ((2, 1, 1), -1)]:
        x = (10 * rng.standard_normal(shape)).astype(dtype)
        y = functional.softmax(x, axis=axis)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, torch.softmax(t(x), dim=axis).numpy(), rtol=tol, atol=tol)
    x = np.array([[1e4, 0, -1e4], [-1e4, -1e4, -1e4], [-np.inf, 0, 1]], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = functional.softmax(x)
        y_masked = functional.softmax(np.full((2, 3), -np.inf, dtype))
    np.testing.assert_allclose(y, torch.softmax(t(x), -1).numpy(), rtol=tol, atol=1e-300)
    # a row with no allowed entry: zeros, where torch gives NaN
    assert np.all(y_masked == 0)
    assert torch.softmax(t(np.full(3, -np.inf)), -1).isnan().all()


def test_log_softmax_matches_torch_and_is_stable():
    rng = np.random.default_rng(1)
    for shape, axis in [((1,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 5), 1)]:
        x = 10 * rng.standard_normal(shape)
        np.testing.assert_allclose(functional.log_softmax(x, axis), F.log_softmax(t(x), dim=axis).numpy(),
                                   rtol=0, atol=1e-13)
    x = np.array([1e4, 0.0, -1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(functional.log_softmax(x), [0.0, -1e4, -2e4])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch(approximate):
    x = np.concatenate([np.linspace(-10, 10, 201), [-40.0, 0.0, 40.0]])
    np.testing.assert_allclose(functional.gelu(x, approximate),
                               F.gelu(t(x), approximate=approximate).numpy(), rtol=0, atol=1e-14)
    assert functional.gelu(x.astype(np.float32), approximate).dtype == np.float32
    with pytest.raises(ValueError, match="approximate"):
        functional.gelu(x, "erf")


def test_relu():
    np.testing.assert_array_equal(functional.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
