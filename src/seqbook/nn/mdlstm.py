"""Two-dimensional multidimensional LSTM (MD-LSTM) in numpy: one scan over a grid.

Follows Graves, Fernández & Schmidhuber (2007), "Multi-dimensional recurrent neural
networks". A 1D LSTM walks along time and each step receives the state of its predecessor;
a 2D MD-LSTM walks over a grid (an image, a spectrogram) and position (r, s) receives the
states of its two predecessors, the position above (r-1, s) and the one to the left
(r, s-1), with one forget gate per direction:

    a = W x_{r,s} + U_up h_{r-1,s} + U_left h_{r,s-1} + b
    i = σ(a_i),  f_up = σ(a_f_up),  f_left = σ(a_f_left),  g = tanh(a_g),  o = σ(a_o)
    c_{r,s} = f_up ⊙ c_{r-1,s} + f_left ⊙ c_{r,s-1} + i ⊙ g
    h_{r,s} = o ⊙ tanh(c_{r,s})

States outside the grid are 0. Parameters: ``weight_ih (5H, D)``, ``weight_hh_up (5H, H)``,
``weight_hh_left (5H, H)``, ``bias (5H,)``, the row blocks stacked i, f_up, f_left, g, o
(PyTorch's i, f, g, o with the forget gate doubled). h_{r,s} has seen the whole quadrant
above and to the left of (r, s); the four scan ``directions`` (each with its own parameters,
computed here by flipping the grid) together give every position the whole image as context
(``mdlstm_all_directions``). On a grid with one row, h_{r-1,s} = c_{r-1,s} = 0 and the scan
is a 1D LSTM over the row with forget gate f_left and recurrent weights U_left.

Positions on one anti-diagonal r + s = k do not depend on each other, so an implementation
can compute them in parallel (a "wavefront"); this one walks the grid position by position.
With both forget gates open the cell sums its two predecessors' cells, so c can grow
exponentially in r + s (there are binomially many paths from the corner); Leifert et al.
(2016) analyse this and propose cells whose forget gates form a convex combination.

Relatives:

- **PyraMiD-LSTM** (Stollenga, Byeon, Liwicki & Schmidhuber 2015) re-arranges the context:
  instead of a quadrant (in 3D an octant, a cuboid corner) each scan runs along one axis and
  position p of slice k reads the *neighbourhood* of p in slice k-1, a pyramid-shaped
  context. A scan is then a sequence of convolutional LSTM steps over slices, one
  convolution per step as in ``seqbook.nn.convlstm``, which parallelises on GPUs (6
  directions in 3D, 4 in 2D) and was used for 3D biomedical volume segmentation.
- **Grid LSTM** (Kalchbrenner, Danihelka & Graves 2015) gives every dimension, including
  depth, its own LSTM transform and its own memory: a block receives N hidden and N memory
  vectors and emits N of each, rather than one cell that sums its predecessors' cells
  through per-direction forget gates as here. A 1D Grid LSTM (depth only) is a
  feed-forward net with LSTM-gated layers, akin to highway networks; a 2D Grid LSTM over
  time and depth is a stacked LSTM whose connections between layers are LSTM cells too.

Forward pass only.
"""
from __future__ import annotations

import numpy as np

from seqbook.nn.functional import sigmoid

PARAM_NAMES = ("weight_ih", "weight_hh_up", "weight_hh_left", "bias")
GATE_NAMES = ("i", "f_up", "f_left", "g", "o")  # order of the row blocks
# scan direction -> (flip rows, flip columns): "down-right" starts at the top-left corner
# and reads the neighbours above and to the left; the others are that scan on a flipped grid
DIRECTIONS = {"down-right": (False, False), "down-left": (False, True),
              "up-right": (True, False), "up-left": (True, True)}


def init_mdlstm_params(input_size: int, hidden_size: int, rng: np.random.Generator,
                       forget_bias: float = 1.0, dtype=np.float64) -> dict[str, np.ndarray]:
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter, as ``torch.nn.LSTM``, except the biases
    of both forget gates, set to ``forget_bias``.

    Returns ``weight_ih (5H, D)``, ``weight_hh_up (5H, H)``, ``weight_hh_left (5H, H)``,
    ``bias (5H,)``, blocks stacked i, f_up, f_left, g, o.
    """
    D, H = input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    shapes = {"weight_ih": (5 * H, D), "weight_hh_up": (5 * H, H),
              "weight_hh_left": (5 * H, H), "bias": (5 * H,)}
    params = {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}
    # b_f_up = b_f_left = forget_bias (rows H:2H and 2H:3H)
    params["bias"][H:3 * H] = forget_bias
    return params


def check_mdlstm_inputs(X: np.ndarray, params: dict[str, np.ndarray], direction: str) -> None:
    """Raise ValueError naming the argument that does not fit a grid
    ``X (B, n_rows, n_cols, D)``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {list(DIRECTIONS)}, got {direction!r}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    if np.ndim(X) != 4:
        raise ValueError(f"X must have shape (B, n_rows, n_cols, D), got {np.shape(X)}")
    D = X.shape[-1]
    if np.ndim(params["weight_hh_left"]) != 2:
        raise ValueError(f"params['weight_hh_left'] must have shape (5H, H), "
                         f"got {np.shape(params['weight_hh_left'])}")
    H = np.shape(params["weight_hh_left"])[-1]  # the hidden size, as U_left is (5H, H)
    expected = {"weight_ih": (5 * H, D), "weight_hh_up": (5 * H, H),
                "weight_hh_left": (5 * H, H), "bias": (5 * H,)}
    for name in PARAM_NAMES:
        if np.shape(params[name]) != expected[name]:
            raise ValueError(f"params['{name}'] must have shape {expected[name]} (5H = 5 × "
                             f"hidden size, D = {D}), got {np.shape(params[name])}")


def mdlstm_forward(X: np.ndarray, params: dict[str, np.ndarray],
                   direction: str = "down-right"):
    """One 2D MD-LSTM scan over a grid.

    Args:
        X: inputs, shape (B, n_rows, n_cols, D).
        params: ``weight_ih (5H, D)``, ``weight_hh_up (5H, H)``, ``weight_hh_left (5H, H)``,
            ``bias (5H,)``, blocks stacked i, f_up, f_left, g, o.
        direction: a key of ``DIRECTIONS``. "down-right" reads the neighbours above and to
            the left; "up-left" those below and to the right (its "up" neighbour is then the
            one below), and so on.

    Returns:
        H: hidden states h_{r,s}, shape (B, n_rows, n_cols, H), in the grid's own order.
        C: cell states c_{r,s}, shape (B, n_rows, n_cols, H).
    """
    check_mdlstm_inputs(X, params, direction)
    flip_rows, flip_cols = DIRECTIONS[direction]
    # the other directions are the down-right scan of the flipped grid
    axes = tuple(axis for axis, flip in ((1, flip_rows), (2, flip_cols)) if flip)
    X = np.flip(X, axis=axes)
    B, n_rows, n_cols, _ = X.shape
    n_hidden = params["bias"].shape[0] // 5
    dtype = np.result_type(X, params["bias"])
    W, U_up, U_left, b = (params[name] for name in PARAM_NAMES)
    # one extra row above and column to the left of zeros: the states outside the grid
    H = np.zeros((B, n_rows + 1, n_cols + 1, n_hidden), dtype)
    C = np.zeros((B, n_rows + 1, n_cols + 1, n_hidden), dtype)
    # the input's share of every position at once: W x_{r,s} + b
    A_x = X @ W.T + b  # (B, n_rows, n_cols, 5H)
    for r in range(n_rows):
        for s in range(n_cols):
            # padded indices: (r + 1, s + 1) is position (r, s); above is (r, s + 1)
            h_up, c_up = H[:, r, s + 1], C[:, r, s + 1]  # (B, H) each
            h_left, c_left = H[:, r + 1, s], C[:, r + 1, s]  # (B, H) each
            # a = W x_{r,s} + U_up h_{r-1,s} + U_left h_{r,s-1} + b
            a = A_x[:, r, s] + h_up @ U_up.T + h_left @ U_left.T  # (B, 5H)
            a_i, a_f_up, a_f_left, a_g, a_o = np.split(a, 5, axis=1)  # 5 × (B, H)
            i, f_up, f_left = sigmoid(a_i), sigmoid(a_f_up), sigmoid(a_f_left)
            g, o = np.tanh(a_g), sigmoid(a_o)
            # c_{r,s} = f_up ⊙ c_{r-1,s} + f_left ⊙ c_{r,s-1} + i ⊙ g
            C[:, r + 1, s + 1] = f_up * c_up + f_left * c_left + i * g
            # h_{r,s} = o ⊙ tanh(c_{r,s})
            H[:, r + 1, s + 1] = o * np.tanh(C[:, r + 1, s + 1])
    # drop the zero border and flip back to the grid's own order
    H = np.flip(H[:, 1:, 1:], axis=axes).copy()  # (B, n_rows, n_cols, H)
    C = np.flip(C[:, 1:, 1:], axis=axes).copy()  # (B, n_rows, n_cols, H)
    return H, C


def mdlstm_all_directions(X: np.ndarray,
                          params_by_direction: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
    """The four scans of Graves et al. (2007), each with its own parameters, side by side:
    every position's output then depends on the whole grid.

    Args:
        X: inputs, shape (B, n_rows, n_cols, D).
        params_by_direction: for every key of ``DIRECTIONS`` the parameters of that scan.

    Returns:
        hidden states of the four scans concatenated in ``DIRECTIONS`` order,
        shape (B, n_rows, n_cols, 4H).
    """
    missing = [d for d in DIRECTIONS if d not in params_by_direction]
    if missing:
        raise ValueError(f"params_by_direction is missing {missing}")
    outputs = [mdlstm_forward(X, params_by_direction[d], d)[0] for d in DIRECTIONS]
    return np.concatenate(outputs, axis=-1)  # (B, n_rows, n_cols, 4H)
