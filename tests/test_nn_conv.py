"""seqbook.nn.conv against torch.nn.functional.conv1d, in float64."""
import numpy as np
import pytest
import torch

from seqbook.nn import conv


@pytest.mark.parametrize("stride,padding,k", [(1, 0, 3), (2, 1, 3), (3, 2, 5), (1, 2, 5), (1, 0, 11)])
@pytest.mark.parametrize("bias", [True, False])
def test_conv1d_matches_torch(stride, padding, k, bias):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 11)), rng.standard_normal((4, 3, k))
    b = rng.standard_normal(4) if bias else None
    y = conv.conv1d(x, w, b, stride=stride, padding=padding)
    expected = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b),
                                          stride=stride, padding=padding).numpy()
    assert y.shape == expected.shape == (2, 4, conv.conv_output_size(11, k, stride, padding))
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)


def test_conv_output_size_with_dilation_matches_torch():
    for n, k, s, p, d in [(11, 3, 1, 0, 2), (20, 4, 3, 1, 3), (5, 5, 1, 2, 1)]:
        out = torch.nn.functional.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p,
                                         dilation=d)
        assert conv.conv_output_size(n, k, s, p, d) == out.shape[-1]


def test_conv1d_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="input channels"):
        conv.conv1d(np.zeros((1, 2, 5)), np.zeros((1, 3, 2)))
