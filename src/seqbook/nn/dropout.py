"""Dropout for recurrent networks in numpy: per-step, variational, input-only, zoneout.

Dropout (Srivastava et al. 2014) multiplies activations by a random mask during training.
We use *inverted* dropout, as ``torch.nn.Dropout`` does: a unit is kept with probability
1 - p and scaled by 1/(1 - p),

    d ~ Bernoulli(1 - p),   m = d / (1 - p),   x̃ = m ⊙ x,   E[x̃] = x,

so at test time nothing changes (x̃ = x). Inside a recurrence the mask's *timing* matters:

- **Per-step** (standard) dropout draws a new mask d(t) at every step. On the inputs and
  outputs (the non-recurrent connections) this is the recipe of Zaremba et al. (2014). On
  the recurrent state it fails: a unit's value survives T steps only with probability
  (1 - p)^T, so the memory is wiped out on long sequences (``survival_probability``).
- **Variational** dropout (Gal & Ghahramani 2016) draws one mask per sequence and uses it
  at every step, for the inputs x_t, the outputs h_t and the recurrent state h_{t-1}
  before W_hh. A unit is then either dropped for the whole sequence or kept for the whole
  sequence: the recurrence itself is a fixed (thinned) network, and survival does not
  decay with T.
- **Input-only** masks drop only the input connections x_t, never the recurrence.
- **Zoneout** (Krueger et al. 2017) does not zero a unit but lets it keep its previous
  value: with d_t ~ Bernoulli(z) (1 = keep),

      h_t = d_t ⊙ h_{t-1} + (1 - d_t) ⊙ h̃_t      (training)
      h_t = z h_{t-1} + (1 - z) h̃_t               (test: the expectation over d_t)

  where h̃_t is the cell's ordinary update. Applied to h and, in an LSTM, to c ("dropping
  the updates to the memory cell"); the identity path keeps gradients flowing.

Every random function takes an explicit ``rng`` (``np.random.Generator``) and a
``training`` flag; every mask can also be passed in, so a test or a chapter can run two
computations with the same mask. ``rnn_dropout_forward`` runs a vanilla tanh RNN
(``seqbook.nn.rnn`` parameters, ``torch.nn.RNN`` layout) under a chosen scheme, and
``lstm_zoneout_forward`` an LSTM (``seqbook.nn.lstm``) with zoneout on h and c.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqbook.nn.lstm import LSTMConfig, check_lstm_inputs, lstm_cell_forward
from seqbook.nn.rnn import check_rnn_inputs


def _check_probability(name: str, value: float) -> None:
    if not (isinstance(value, (int, float, np.floating)) and 0 <= value <= 1):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)) to "
                         f"sample masks in training, got {type(rng).__name__}")


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator,
                 dtype=np.float64) -> np.ndarray:
    """An inverted-dropout mask: each entry 0 with probability p, 1/(1 - p) otherwise.

    m = d / (1 - p) with d ~ Bernoulli(1 - p), so E[m] = 1; with p = 1 every entry is 0
    (as ``torch.nn.Dropout(p=1)``). Shape ``shape``, dtype ``dtype``.
    """
    _check_probability("p", p)
    _check_rng(rng)
    # d ~ Bernoulli(1 - p): 1 = keep the unit
    d = rng.random(shape) >= p
    # m = d / (1 - p)
    return (d / (1 - p)).astype(dtype) if p < 1 else np.zeros(shape, dtype)


def dropout(x: np.ndarray, p: float, rng: np.random.Generator | None, training: bool = True,
            mask: np.ndarray | None = None):
    """Inverted dropout, as ``torch.nn.Dropout(p)`` (``F.dropout``).

    Args:
        x: any shape.
        p: probability of dropping a unit.
        rng: draws the mask when ``training`` and no ``mask`` is given.
        training: False is the identity (the test-time network).
        mask: optional mask broadcastable to ``x`` (values 0 or 1/(1 - p)), used instead of
            drawing one.

    Returns:
        y = mask ⊙ x (training) or x (not training), the shape of ``x``.
        mask: the mask used (None when not training).
    """
    _check_probability("p", p)
    if not training:
        return x, None
    if mask is None:
        mask = dropout_mask(np.shape(x), p, rng, np.result_type(x, np.float32))
    elif not _broadcasts_to(np.shape(mask), np.shape(x)):
        raise ValueError(f"mask must broadcast to the shape of x {np.shape(x)}, "
                         f"got {np.shape(mask)}")
    # x̃ = m ⊙ x
    return mask * x, mask


def sequence_masks(T: int, B: int, size: int, p: float, rng: np.random.Generator,
                   per_sequence: bool = False, dtype=np.float64) -> np.ndarray:
    """Dropout masks for a sequence, shape (T, B, size).

    ``per_sequence=False``: a new mask at every step (standard dropout).
    ``per_sequence=True``: one mask per sequence, the same at every step t (variational
    dropout, Gal & Ghahramani 2016); ``masks[t]`` is the same array for every t.
    """
    if per_sequence:
        # one mask per sequence (and batch element), repeated over time
        mask = dropout_mask((B, size), p, rng, dtype)  # (B, size)
        return np.repeat(mask[None], T, axis=0)  # (T, B, size)
    # a fresh mask at every step
    return dropout_mask((T, B, size), p, rng, dtype)  # (T, B, size)


def survival_probability(p: float, T: int, per_sequence: bool = False) -> float:
    """Probability that a recurrent unit is never dropped over T steps of dropout with rate p.

    Per-step masks: (1 - p)^T, which vanishes as T grows (why naive dropout on the
    recurrent state fails); one mask per sequence: 1 - p, independent of T.
    """
    _check_probability("p", p)
    return (1 - p) if per_sequence else (1 - p) ** T


def zoneout_mask(shape: tuple[int, ...], z: float, rng: np.random.Generator,
                 dtype=np.float64) -> np.ndarray:
    """Zoneout mask d ~ Bernoulli(z): 1 where the unit keeps its previous value."""
    _check_probability("z", z)
    _check_rng(rng)
    return (rng.random(shape) < z).astype(dtype)


def zoneout(prev: np.ndarray, new: np.ndarray, z: float, rng: np.random.Generator | None,
            training: bool = True, mask: np.ndarray | None = None):
    """Zoneout (Krueger et al. 2017) of one state update.

    Args:
        prev: the previous state (h_{t-1} or c_{t-1}), any shape.
        new: the cell's ordinary update (h̃_t or c̃_t), the same shape.
        z: probability that a unit keeps its previous value.
        rng: draws the mask when ``training`` and no ``mask`` is given.
        training: False uses the expectation z prev + (1 - z) new.
        mask: optional 0/1 mask d, the shape of ``prev`` (1 = keep), instead of drawing one.

    Returns:
        the new state, the shape of ``prev``, and the mask d used (None when not training).
    """
    _check_probability("z", z)
    if np.shape(prev) != np.shape(new):
        raise ValueError(f"new must have the shape of prev {np.shape(prev)}, got {np.shape(new)}")
    if not training:
        # h_t = z h_{t-1} + (1 - z) h̃_t: the expectation over d_t
        return z * prev + (1 - z) * new, None
    if mask is None:
        mask = zoneout_mask(np.shape(prev), z, rng, np.result_type(prev, new, np.float32))
    elif np.shape(mask) != np.shape(prev):
        raise ValueError(f"mask must have the shape of prev {np.shape(prev)}, got {np.shape(mask)}")
    # h_t = d_t ⊙ h_{t-1} + (1 - d_t) ⊙ h̃_t
    return mask * prev + (1 - mask) * new, mask


# --- a vanilla RNN under a chosen scheme ----------------------------------------------------

@dataclass(frozen=True)
class RNNDropoutConfig:
    """Where and how a recurrent layer drops units. The defaults: no dropout at all."""
    # dropout on the input x_t before W_ih
    p_input: float = 0.0
    # dropout on the output h_t as the next layer sees it (the recurrence uses the unmasked h_t)
    p_output: float = 0.0
    # dropout on the recurrent state h_{t-1} before W_hh, inside the recurrence
    p_recurrent: float = 0.0
    # False: a new mask at every step (standard); True: one mask per sequence (variational)
    per_sequence: bool = False
    # zoneout probability z for h: a unit keeps h_{t-1} with probability z (always per step)
    zoneout: float = 0.0

    def __post_init__(self):
        for field in ("p_input", "p_output", "p_recurrent", "zoneout"):
            _check_probability(field, getattr(self, field))


def rnn_dropout_config(scheme: str, p: float) -> RNNDropoutConfig:
    """The named schemes a chapter compares, each with rate ``p``.

    - ``"none"``: no dropout (p ignored).
    - ``"standard"``: per-step masks on inputs and outputs only (Zaremba et al. 2014).
    - ``"naive"``: per-step masks on inputs, outputs and the recurrent state (fails on long
      sequences: survival (1 - p)^T).
    - ``"variational"``: one mask per sequence on inputs, outputs and the recurrent state
      (Gal & Ghahramani 2016).
    - ``"input_only"``: per-step masks on the inputs x_t only.
    - ``"zoneout"``: zoneout of h with z = p (Krueger et al. 2017).
    """
    schemes = {
        "none": RNNDropoutConfig(),
        "standard": RNNDropoutConfig(p_input=p, p_output=p),
        "naive": RNNDropoutConfig(p_input=p, p_output=p, p_recurrent=p),
        "variational": RNNDropoutConfig(p_input=p, p_output=p, p_recurrent=p,
                                        per_sequence=True),
        "input_only": RNNDropoutConfig(p_input=p),
        "zoneout": RNNDropoutConfig(zoneout=p),
    }
    if scheme not in schemes:
        raise ValueError(f"scheme must be one of {list(schemes)}, got {scheme!r}")
    return schemes[scheme]


SCHEMES = ("none", "standard", "naive", "variational", "input_only", "zoneout")


def _mask_names(config: RNNDropoutConfig) -> list[str]:
    """The masks ``config`` uses, in the order ``sample_rnn_masks`` draws them."""
    rates = {"input": config.p_input, "recurrent": config.p_recurrent,
             "output": config.p_output, "zoneout": config.zoneout}
    return [name for name, rate in rates.items() if rate > 0]


def sample_rnn_masks(T: int, B: int, D: int, H: int, config: RNNDropoutConfig,
                     rng: np.random.Generator, dtype=np.float64) -> dict[str, np.ndarray]:
    """All masks one training pass of ``rnn_dropout_forward`` uses.

    Returns a dict with, for each part the config switches on, ``"input" (T, B, D)``,
    ``"recurrent" (T, B, H)``, ``"output" (T, B, H)`` (dropout masks, values 0 or
    1/(1 - p)) and ``"zoneout" (T, B, H)`` (0/1, 1 = keep h_{t-1}).
    """
    masks = {}
    for name in _mask_names(config):
        if name == "zoneout":
            # zoneout masks are new at every step, as in Krueger et al. (2017)
            masks[name] = zoneout_mask((T, B, H), config.zoneout, rng, dtype)
        else:
            p = getattr(config, f"p_{name}")
            size = D if name == "input" else H
            masks[name] = sequence_masks(T, B, size, p, rng, config.per_sequence, dtype)
    return masks


def rnn_dropout_forward(X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray],
                        config: RNNDropoutConfig, rng: np.random.Generator | None,
                        training: bool = True, masks: dict[str, np.ndarray] | None = None):
    """A vanilla tanh RNN (``torch.nn.RNN`` parameters) with dropout or zoneout:

        x̃_t = m^x_t ⊙ x_t                                    input dropout
        h̄_{t-1} = m^h_t ⊙ h_{t-1}                            recurrent dropout
        h̃_t = tanh(W_ih x̃_t + b_ih + W_hh h̄_{t-1} + b_hh)
        h_t = d_t ⊙ h_{t-1} + (1 - d_t) ⊙ h̃_t                zoneout
        y_t = m^y_t ⊙ h_t                                    output dropout

    Not training: every m is 1 and h_t = z h_{t-1} + (1 - z) h̃_t. With the default config
    this is ``seqbook.nn.rnn.rnn_forward``.

    Args:
        X: inputs, shape (T, B, D).
        h0: initial hidden state, shape (B, H).
        params: ``weight_ih (H, D)``, ``weight_hh (H, H)``, ``bias_ih (H,)``, ``bias_hh (H,)``
            (``seqbook.nn.rnn.init_rnn_params`` or an ``nn.RNN`` state_dict).
        config: which dropout (``rnn_dropout_config(scheme, p)`` for the named schemes).
        rng: draws the masks when ``training`` and ``masks`` is None.
        training: False gives the test-time network.
        masks: optional masks as ``sample_rnn_masks`` returns them, used instead of drawing.

    Returns:
        Y: outputs y_1..y_T after output dropout, shape (T, B, H).
        H: hidden states h_1..h_T (what the recurrence carries), shape (T, B, H).
        masks: the masks used ({} when not training).
    """
    check_rnn_inputs(X, h0, params)
    T, B, D = X.shape
    n_hidden = h0.shape[1]
    dtype = np.result_type(X, h0, params["weight_hh"])
    if not training:
        masks = {}
    elif masks is None:
        _check_rng(rng)
        masks = sample_rnn_masks(T, B, D, n_hidden, config, rng, dtype)
    else:
        expected = {"input": (T, B, D), "recurrent": (T, B, n_hidden),
                    "output": (T, B, n_hidden), "zoneout": (T, B, n_hidden)}
        for name in _mask_names(config):
            if name not in masks:
                raise ValueError(f"masks is missing '{name}' (the config uses it); "
                                 f"expected shape {expected[name]}")
        for name, mask in masks.items():
            if name not in expected:
                raise ValueError(f"masks has unknown key '{name}'; expected keys {list(expected)}")
            if np.shape(mask) != expected[name]:
                raise ValueError(f"masks['{name}'] must have shape {expected[name]}, "
                                 f"got {np.shape(mask)}")
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    b = params["bias_ih"] + params["bias_hh"]
    # x̃_t = m^x_t ⊙ x_t (all steps at once: the inputs do not depend on the recurrence)
    X_in = masks["input"] * X if "input" in masks else X  # (T, B, D)
    XW = X_in @ W_ih.T + b  # (T, B, H)
    H = np.empty((T, B, n_hidden), dtype=dtype)
    h = h0
    for t in range(T):
        # h̄_{t-1} = m^h_t ⊙ h_{t-1}
        h_bar = masks["recurrent"][t] * h if "recurrent" in masks else h
        # h̃_t = tanh(W_ih x̃_t + b_ih + W_hh h̄_{t-1} + b_hh)
        h_new = np.tanh(XW[t] + h_bar @ W_hh.T)  # (B, H)
        if training and "zoneout" in masks:
            # h_t = d_t ⊙ h_{t-1} + (1 - d_t) ⊙ h̃_t
            h = masks["zoneout"][t] * h + (1 - masks["zoneout"][t]) * h_new
        elif not training and config.zoneout > 0:
            # h_t = z h_{t-1} + (1 - z) h̃_t
            h = config.zoneout * h + (1 - config.zoneout) * h_new
        else:
            h = h_new
        H[t] = h
    # y_t = m^y_t ⊙ h_t
    Y = masks["output"] * H if "output" in masks else H.copy()  # (T, B, H)
    return Y, H, masks


def lstm_zoneout_forward(X: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                         params: dict[str, np.ndarray], z_h: float, z_c: float,
                         rng: np.random.Generator | None, training: bool = True,
                         masks: dict[str, np.ndarray] | None = None,
                         config: LSTMConfig = LSTMConfig()):
    """An LSTM (``seqbook.nn.lstm``, ``torch.nn.LSTM`` parameters) with zoneout on h and c,
    as in Krueger et al. (2017):

        h̃_t, c̃_t = LSTMCell(x_t, h_{t-1}, c_{t-1})
        c_t = d^c_t ⊙ c_{t-1} + (1 - d^c_t) ⊙ c̃_t
        h_t = d^h_t ⊙ h_{t-1} + (1 - d^h_t) ⊙ h̃_t

    with d^c_t ~ Bernoulli(z_c), d^h_t ~ Bernoulli(z_h), new masks every step; not training,
    c_t = z_c c_{t-1} + (1 - z_c) c̃_t and h_t = z_h h_{t-1} + (1 - z_h) h̃_t.

    Args:
        X: inputs, shape (T, B, D).
        h0, c0: initial states, each (B, H).
        params: ``weight_ih (4H, D)``, ``weight_hh (4H, H)``, ``bias_ih (4H,)``, ``bias_hh (4H,)``.
        z_h, z_c: zoneout probabilities of h and c.
        rng: draws the masks when ``training`` and ``masks`` is None.
        training: False uses the expectations.
        masks: optional ``{"h": (T, B, H), "c": (T, B, H)}`` 0/1 masks (1 = keep).
        config: the LSTM variant.

    Returns:
        H: hidden states h_1..h_T, shape (T, B, H).
        (h_T, c_T): final states, each (B, H).
        masks: the masks used ({} when not training).
    """
    _check_probability("z_h", z_h)
    _check_probability("z_c", z_c)
    check_lstm_inputs(X, h0, c0, params, config)
    T, B, _ = X.shape
    n_hidden = h0.shape[1]
    dtype = np.result_type(X, h0, c0, params["weight_hh"])
    if not training:
        masks = {}
    elif masks is None:
        _check_rng(rng)
        masks = {"h": zoneout_mask((T, B, n_hidden), z_h, rng, dtype),
                 "c": zoneout_mask((T, B, n_hidden), z_c, rng, dtype)}
    else:
        for name in ("h", "c"):
            if np.shape(masks.get(name)) != (T, B, n_hidden):
                raise ValueError(f"masks['{name}'] must have shape (T, B, H) = "
                                 f"{(T, B, n_hidden)}, got {np.shape(masks.get(name))}")
    H = np.empty((T, B, n_hidden), dtype=dtype)
    h, c = h0, c0
    for t in range(T):
        # h̃_t, c̃_t: the ordinary LSTM step
        h_new, c_new, _ = lstm_cell_forward(X[t], h, c, params, config)
        if training:
            # c_t = d^c_t ⊙ c_{t-1} + (1 - d^c_t) ⊙ c̃_t;  h_t likewise with d^h_t
            c, _ = zoneout(c, c_new, z_c, None, mask=masks["c"][t])
            h, _ = zoneout(h, h_new, z_h, None, mask=masks["h"][t])
        else:
            # c_t = z_c c_{t-1} + (1 - z_c) c̃_t;  h_t = z_h h_{t-1} + (1 - z_h) h̃_t
            c, _ = zoneout(c, c_new, z_c, None, training=False)
            h, _ = zoneout(h, h_new, z_h, None, training=False)
        H[t] = h
    return H, (h, c), masks
