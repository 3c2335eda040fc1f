"""The numpy ConvLSTM against a PyTorch reference built from nn.Conv2d (Shi et al. 2015).

The reference holds two ``nn.Conv2d`` modules (input and recurrent convolution, 'same'
padding) whose weights are copied into our code, and writes the gate equations out with
torch ops; autograd on it checks our BPTT.
"""
import numpy as np
import pytest
import torch

from seqbook.nn import convlstm


class TorchConvLSTMCell(torch.nn.Module):
    """ConvLSTM cell: gates from Conv2d(x) + Conv2d(h), optional Hadamard peepholes."""

    def __init__(self, C, H, kernel_ih, kernel_hh, map_size=None):
        super().__init__()
        self.conv_x = torch.nn.Conv2d(C, 4 * H, kernel_ih,
                                      padding=tuple(k // 2 for k in kernel_ih))
        self.conv_h = torch.nn.Conv2d(H, 4 * H, kernel_hh,
                                      padding=tuple(k // 2 for k in kernel_hh))
        self.peephole = map_size is not None
        if self.peephole:
            self.w_ci, self.w_cf, self.w_co = (torch.nn.Parameter(torch.randn(H, *map_size))
                                               for _ in range(3))

    def numpy_params(self):
        params = {"weight_ih": self.conv_x.weight, "bias_ih": self.conv_x.bias,
                  "weight_hh": self.conv_h.weight, "bias_hh": self.conv_h.bias}
        if self.peephole:
            params.update(weight_ci=self.w_ci, weight_cf=self.w_cf, weight_co=self.w_co)
        return {k: v.detach().numpy().copy() for k, v in params.items()}

    def forward(self, x, state):
        h, c = state
        a_i, a_f, a_g, a_o = (self.conv_x(x) + self.conv_h(h)).chunk(4, dim=1)
        i = torch.sigmoid(a_i + self.w_ci * c if self.peephole else a_i)
        f = torch.sigmoid(a_f + self.w_cf * c if self.peephole else a_f)
        c = f * c + i * torch.tanh(a_g)
        o = torch.sigmoid(a_o + self.w_co * c if self.peephole else a_o)
        return o * torch.tanh(c), c


CASES = [  # T, B, C, H, n_rows, n_cols, kernel_ih, kernel_hh
    (1, 1, 1, 1, 1, 1, (1, 1), (1, 1)),
    (3, 2, 3, 4, 5, 6, (3, 3), (3, 3)),
    (4, 1, 2, 3, 4, 4, (5, 5), (3, 3)),
    (2, 3, 1, 2, 3, 7, (3, 5), (1, 3)),
    (5, 2, 2, 1, 2, 2, (3, 3), (5, 5)),  # kernel larger than the map
]


@pytest.mark.parametrize("peephole", [False, True])
@pytest.mark.parametrize("T,B,C,H,n_rows,n_cols,kernel_ih,kernel_hh", CASES)
def test_forward_matches_torch_conv2d_reference(T, B, C, H, n_rows, n_cols, kernel_ih,
                                                kernel_hh, peephole):
    torch.manual_seed(T + 10 * C + 100 * peephole)
    cell = TorchConvLSTMCell(C, H, kernel_ih, kernel_hh,
                             (n_rows, n_cols) if peephole else None).double()
    params = cell.numpy_params()
    rng = np.random.default_rng(T * B + H)
    X = rng.standard_normal((T, B, C, n_rows, n_cols))
    h0, c0 = rng.standard_normal((2, B, H, n_rows, n_cols))

    dH = rng.standard_normal((T, B, H, n_rows, n_cols))
    dh_T, dc_T = rng.standard_normal((2, B, H, n_rows, n_cols))

    Hs, (h_T, c_T), cache = convlstm.convlstm_forward(X, h0, c0, params, peephole)
    grads = convlstm.convlstm_backward(dH, cache, dh_T, dc_T)

    Xt, h0t, c0t = (torch.tensor(a, requires_grad=True) for a in (X, h0, c0))
    h, c, outputs = h0t, c0t, []
    for x in Xt:
        h, c = cell(x, (h, c))
        outputs.append(h)
    out = torch.stack(outputs)
    ((out * torch.tensor(dH)).sum() + (h * torch.tensor(dh_T)).sum()
     + (c * torch.tensor(dc_T)).sum()).backward()

    np.testing.assert_allclose(Hs, out.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_T, h.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(c_T, c.detach().numpy(), rtol=0, atol=1e-10)
    for name, tensor in (("X", Xt), ("h0", h0t), ("c0", c0t)):
        np.testing.assert_allclose(grads[name], tensor.grad.numpy(), rtol=0, atol=1e-10,
                                   err_msg=name)
    torch_params = {"weight_ih": cell.conv_x.weight, "bias_ih": cell.conv_x.bias,
                    "weight_hh": cell.conv_h.weight, "bias_hh": cell.conv_h.bias}
    if peephole:
        torch_params.update(weight_ci=cell.w_ci, weight_cf=cell.w_cf, weight_co=cell.w_co)
    assert set(grads) == {"X", "h0", "c0", *torch_params}
    for name, tensor in torch_params.items():
        np.testing.assert_allclose(grads[name], tensor.grad.numpy(), rtol=0, atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (5, 3)])
def test_conv2d_same_matches_torch(kernel):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, kernel, padding=(kernel[0] // 2, kernel[1] // 2)).double()
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6))
    out = convlstm.conv2d_same(x, conv.weight.detach().numpy(), conv.bias.detach().numpy())
    with torch.no_grad():
        expected = conv(torch.tensor(x)).numpy()
    assert out.shape == (2, 4, 5, 6)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)
    # and its backward pass against autograd
    dout = np.random.default_rng(2).standard_normal(out.shape)
    xt = torch.tensor(x, requires_grad=True)
    (conv(xt) * torch.tensor(dout)).sum().backward()
    dx, dweight, dbias = convlstm.conv2d_same_backward(dout, x, conv.weight.detach().numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dweight, conv.weight.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dbias, conv.bias.grad.numpy(), rtol=0, atol=1e-12)


def test_position_sees_only_its_neighbourhood():
    """With k × k kernels, h_t at a position depends on inputs at most t·(k // 2) away."""
    T, B, C, H, n = 2, 1, 1, 2, 9
    params = convlstm.init_convlstm_params(C, H, 3, np.random.default_rng(0))
    X = np.zeros((T, B, C, n, n))
    X[0, 0, 0, 4, 4] = 1.0  # one pixel at t = 1
    Hs = convlstm.convlstm_forward(X, None, None, params)[0]
    base = convlstm.convlstm_forward(np.zeros_like(X), None, None, params)[0]
    changed = np.abs(Hs - base).max(axis=(1, 2)) > 0  # (T, n, n)
    rows, cols = np.nonzero(changed[0])
    assert rows.min() == 3 and rows.max() == 5 and cols.min() == 3 and cols.max() == 5
    rows, cols = np.nonzero(changed[1])
    assert rows.min() == 2 and rows.max() == 6 and cols.min() == 2 and cols.max() == 6


def test_init_convlstm_params_and_zero_initial_state():
    C, H, k = 2, 3, 3
    params = convlstm.init_convlstm_params(C, H, k, np.random.default_rng(0), 2.0, np.float32,
                                           peephole=True, map_size=(4, 5))
    assert {n: p.shape for n, p in params.items()} == {
        "weight_ih": (4 * H, C, k, k), "weight_hh": (4 * H, H, k, k), "bias_ih": (4 * H,),
        "bias_hh": (4 * H,), "weight_ci": (H, 4, 5), "weight_cf": (H, 4, 5),
        "weight_co": (H, 4, 5)}
    assert all(p.dtype == np.float32 for p in params.values())
    np.testing.assert_allclose((params["bias_ih"] + params["bias_hh"])[H:2 * H], 2.0)
    assert np.all(np.abs(params["weight_ih"]) <= 1 / np.sqrt(C * k * k))
    assert np.all(np.abs(params["weight_hh"]) <= 1 / np.sqrt(H * k * k))
    X = np.random.default_rng(1).standard_normal((3, 2, C, 4, 5)).astype(np.float32)
    Hs, _, cache = convlstm.convlstm_forward(X, None, None, params, peephole=True)
    zeros = np.zeros((2, H, 4, 5), np.float32)
    H_zero = convlstm.convlstm_forward(X, zeros, zeros, params, peephole=True)[0]
    assert Hs.dtype == np.float32 and Hs.shape == (3, 2, H, 4, 5)
    np.testing.assert_array_equal(Hs, H_zero)
    grads = convlstm.convlstm_backward(np.ones_like(Hs), cache)
    assert all(g.dtype == np.float32 for g in grads.values())


def _args():
    rng = np.random.default_rng(0)
    params = convlstm.init_convlstm_params(2, 3, 3, rng)
    x = rng.standard_normal((1, 2, 4, 5))
    h = np.zeros((1, 3, 4, 5))
    return x, h, params


BAD_CALLS = {
    "x must have shape": lambda x, h, p: convlstm.convlstm_cell_forward(x[0], h, h, p),
    "h_prev must have shape": lambda x, h, p: convlstm.convlstm_cell_forward(x, h[:, :2], h, p),
    "c_prev must have shape": lambda x, h, p: convlstm.convlstm_cell_forward(x, h, h[..., :4], p),
    r"params\['weight_ih'\] must have shape \(4H, C, kh, kw\)":
        lambda x, h, p: convlstm.convlstm_cell_forward(x[:, :1], h, h, p),
    r"params\['bias_hh'\]": lambda x, h, p: convlstm.convlstm_cell_forward(
        x, h, h, {**p, "bias_hh": np.zeros(3)}),
    "missing.*weight_ci": lambda x, h, p: convlstm.convlstm_cell_forward(x, h, h, p, True),
    "peephole weights": lambda x, h, p: convlstm.convlstm_cell_forward(
        x, h, h, {**p, "weight_co": np.zeros((3, 4, 5))}),
    "kernel sizes must be odd": lambda x, h, p: convlstm.conv2d_same(x, np.zeros((1, 2, 2, 3))),
    "kernel_size must be odd": lambda x, h, p: convlstm.init_convlstm_params(
        2, 3, 4, np.random.default_rng(0)),
    "needs map_size": lambda x, h, p: convlstm.init_convlstm_params(
        2, 3, 3, np.random.default_rng(0), peephole=True),
    "X must have shape": lambda x, h, p: convlstm.convlstm_forward(x, None, None, p),
    "dH must have the shape": lambda x, h, p: convlstm.convlstm_backward(
        h, convlstm.convlstm_forward(x[None], None, None, p)[2]),
    "dc_T must have shape": lambda x, h, p: convlstm.convlstm_backward(
        h[None], convlstm.convlstm_forward(x[None], None, None, p)[2], dc_T=h[0]),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message](*_args())
