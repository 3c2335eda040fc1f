"""The numpy 2D MD-LSTM scan against an explicit torch loop, and on a one-row grid against
the 1D LSTM of ``seqbook.nn.lstm`` (itself checked against nn.LSTM)."""
import numpy as np
import pytest
import torch

from seqbook.nn import lstm, mdlstm


def torch_reference_mdlstm(X, p, direction):
    """Graves et al. (2007) in 2D written out with torch ops; other directions by indexing."""
    B, n_rows, n_cols, _ = X.shape
    n_hidden = p["bias"].shape[0] // 5
    up_step, left_step = {"down-right": (1, 1), "down-left": (1, -1), "up-right": (-1, 1),
                          "up-left": (-1, -1)}[direction]
    rows = range(n_rows) if up_step == 1 else reversed(range(n_rows))
    cols = list(range(n_cols) if left_step == 1 else reversed(range(n_cols)))
    zeros = torch.zeros(B, n_hidden, dtype=X.dtype)
    h, c = {}, {}
    for r in rows:
        for s in cols:
            # the predecessors in scan order; outside the grid the states are 0
            h_up, c_up = h.get((r - up_step, s), zeros), c.get((r - up_step, s), zeros)
            h_left, c_left = h.get((r, s - left_step), zeros), c.get((r, s - left_step), zeros)
            a = (X[:, r, s] @ p["weight_ih"].T + h_up @ p["weight_hh_up"].T
                 + h_left @ p["weight_hh_left"].T + p["bias"])
            a_i, a_fu, a_fl, a_g, a_o = a.chunk(5, dim=1)
            c[r, s] = (torch.sigmoid(a_fu) * c_up + torch.sigmoid(a_fl) * c_left
                       + torch.sigmoid(a_i) * torch.tanh(a_g))
            h[r, s] = torch.sigmoid(a_o) * torch.tanh(c[r, s])
    grid = lambda d: torch.stack([torch.stack([d[r, s] for s in range(n_cols)], dim=1)
                                  for r in range(n_rows)], dim=1)
    return grid(h), grid(c)  # (B, n_rows, n_cols, H) each


SHAPES = [(1, 1, 1, 1, 1), (2, 3, 4, 2, 5), (3, 4, 2, 3, 1), (1, 1, 6, 2, 3), (2, 5, 1, 1, 2)]


@pytest.mark.parametrize("direction", list(mdlstm.DIRECTIONS))
@pytest.mark.parametrize("B,n_rows,n_cols,D,H", SHAPES)
def test_scan_matches_torch_loop(B, n_rows, n_cols, D, H, direction):
    rng = np.random.default_rng(B + 10 * n_rows + 100 * n_cols)
    params = mdlstm.init_mdlstm_params(D, H, rng)
    params = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in params.items()}
    X = rng.standard_normal((B, n_rows, n_cols, D))

    Hs, Cs = mdlstm.mdlstm_forward(X, params, direction)

    with torch.no_grad():
        H_ref, C_ref = torch_reference_mdlstm(
            torch.tensor(X), {k: torch.tensor(v) for k, v in params.items()}, direction)
    assert Hs.shape == Cs.shape == (B, n_rows, n_cols, H)
    np.testing.assert_allclose(Hs, H_ref.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(Cs, C_ref.numpy(), rtol=0, atol=1e-10)


def test_directions_see_different_quadrants():
    """h at the top-left corner of a down-right scan sees only its own input; the up-left
    scan's top-left corner sees the whole grid."""
    rng = np.random.default_rng(0)
    params = mdlstm.init_mdlstm_params(2, 3, rng)
    X = rng.standard_normal((1, 4, 5, 2))
    X2 = X.copy()
    X2[0, 3, 4] += 1.0  # change the bottom-right input only
    for direction, corner_changes in (("down-right", False), ("up-left", True),
                                      ("down-left", False), ("up-right", False)):
        H1, _ = mdlstm.mdlstm_forward(X, params, direction)
        H2, _ = mdlstm.mdlstm_forward(X2, params, direction)
        assert (np.abs(H1[0, 0, 0] - H2[0, 0, 0]).max() > 0) == corner_changes, direction
        # the changed position itself always changes
        assert np.abs(H1[0, 3, 4] - H2[0, 3, 4]).max() > 0


@pytest.mark.parametrize("n_cols,B,D,H", [(1, 1, 1, 1), (7, 3, 4, 5), (4, 2, 2, 3)])
def test_one_row_grid_is_a_1d_lstm_over_the_row(n_cols, B, D, H):
    rng = np.random.default_rng(n_cols + H)
    lstm_params = lstm.init_lstm_params(D, H, rng)
    params = mdlstm.init_mdlstm_params(D, H, rng)  # the "up" parts stay random: unused
    split = lambda a: np.split(a, 4)  # PyTorch's blocks i, f, g, o
    W_i, W_f, W_g, W_o = split(lstm_params["weight_ih"])
    U_i, U_f, U_g, U_o = split(lstm_params["weight_hh"])
    b_i, b_f, b_g, b_o = split(lstm_params["bias_ih"] + lstm_params["bias_hh"])
    W_fu, U_fu, b_fu = (np.split(params[n], 5)[1] for n in ("weight_ih", "weight_hh_up", "bias"))
    # blocks i, f_up, f_left, g, o: the 1D forget gate is the left one
    params["weight_ih"] = np.concatenate([W_i, W_fu, W_f, W_g, W_o])
    params["weight_hh_left"] = np.concatenate([U_i, U_fu, U_f, U_g, U_o])
    params["bias"] = np.concatenate([b_i, b_fu, b_f, b_g, b_o])
    X = rng.standard_normal((B, 1, n_cols, D))

    Hs, Cs = mdlstm.mdlstm_forward(X, params)
    zeros = np.zeros((B, H))
    H_1d, (_, c_T), cache = lstm.lstm_forward(X[:, 0].swapaxes(0, 1), zeros, zeros, lstm_params)
    np.testing.assert_allclose(Hs[:, 0], H_1d.swapaxes(0, 1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(Cs[:, 0, -1], c_T, rtol=0, atol=1e-12)
    # and the down-left scan of the row is the LSTM over the reversed row
    Hs_rev, _ = mdlstm.mdlstm_forward(X, params, "down-left")
    H_rev, _, _ = lstm.lstm_forward(X[:, 0, ::-1].swapaxes(0, 1), zeros, zeros, lstm_params)
    np.testing.assert_allclose(Hs_rev[:, 0, ::-1], H_rev.swapaxes(0, 1), rtol=0, atol=1e-12)


def test_all_directions_concatenates_the_four_scans():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 3, 4, 2))
    by_direction = {d: mdlstm.init_mdlstm_params(2, 3, rng) for d in mdlstm.DIRECTIONS}
    out = mdlstm.mdlstm_all_directions(X, by_direction)
    assert out.shape == (2, 3, 4, 12)
    for k, d in enumerate(mdlstm.DIRECTIONS):
        np.testing.assert_array_equal(out[..., 3 * k:3 * (k + 1)],
                                      mdlstm.mdlstm_forward(X, by_direction[d], d)[0])


def test_init_mdlstm_params():
    D, H = 3, 4
    params = mdlstm.init_mdlstm_params(D, H, np.random.default_rng(0), 2.0, np.float32)
    assert {n: p.shape for n, p in params.items()} == {
        "weight_ih": (5 * H, D), "weight_hh_up": (5 * H, H), "weight_hh_left": (5 * H, H),
        "bias": (5 * H,)}
    assert all(p.dtype == np.float32 for p in params.values())
    np.testing.assert_array_equal(params["bias"][H:3 * H], 2.0)
    X = np.random.default_rng(1).standard_normal((1, 2, 2, D)).astype(np.float32)
    assert mdlstm.mdlstm_forward(X, params)[0].dtype == np.float32


def _args():
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, 3, 4, 2)), mdlstm.init_mdlstm_params(2, 3, rng)


BAD_CALLS = {
    "X must have shape": lambda X, p: mdlstm.mdlstm_forward(X[0], p),
    r"params\['weight_ih'\] must have shape": lambda X, p: mdlstm.mdlstm_forward(X[..., :1], p),
    r"params\['weight_hh_up'\]": lambda X, p: mdlstm.mdlstm_forward(
        X, {**p, "weight_hh_up": np.zeros((15, 2))}),
    r"params\['bias'\]": lambda X, p: mdlstm.mdlstm_forward(X, {**p, "bias": np.zeros(12)}),
    "missing.*weight_hh_left": lambda X, p: mdlstm.mdlstm_forward(
        X, {k: v for k, v in p.items() if k != "weight_hh_left"}),
    "direction must be one of": lambda X, p: mdlstm.mdlstm_forward(X, p, "diagonal"),
    "params_by_direction is missing": lambda X, p: mdlstm.mdlstm_all_directions(
        X, {"down-right": p}),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message](*_args())
