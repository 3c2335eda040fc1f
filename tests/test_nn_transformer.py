"""The numpy Transformer layers against nn.TransformerEncoderLayer / nn.TransformerDecoderLayer
(state_dict copied in), the feed-forward network against nn.Linear, the positional encoding
against the paper's formula."""
import math

import numpy as np
import pytest
import torch

from seqbook.nn import transformer as tf
from seqbook.nn.attention import causal_mask
from seqbook.torch_reference import numpy_state


def t(a):
    return torch.tensor(a)


def randomise(module, seed):
    """Random values for every parameter (torch starts biases at 0 and LayerNorm at 1, 0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


# --- positional encoding and feed-forward -------------------------------------------------------

@pytest.mark.parametrize("T,d", [(1, 1), (1, 4), (7, 1), (10, 6), (50, 16), (5, 7)])
def test_positional_encoding_is_the_papers_formula(T, d):
    pe = tf.positional_encoding(T, d)
    assert pe.shape == (T, d) and pe.dtype == np.float64
    for pos in range(T):
        for j in range(d):
            angle = pos / 10000 ** ((j - j % 2) / d)
            expected = math.sin(angle) if j % 2 == 0 else math.cos(angle)
            assert abs(pe[pos, j] - expected) < 1e-12, (pos, j)
    # position 0 is (0, 1, 0, 1, ...)
    np.testing.assert_array_equal(pe[0, 0::2], 0)
    np.testing.assert_array_equal(pe[0, 1::2], 1)
    assert tf.positional_encoding(T, d, dtype=np.float32).dtype == np.float32


def test_positional_encoding_shift_is_a_rotation():
    """PE[pos + k] is the same linear map of PE[pos] for every pos: a 2x2 rotation per pair."""
    d, k = 8, 3
    pe = tf.positional_encoding(20, d)
    for i in range(d // 2):
        w = 1 / 10000 ** (2 * i / d)
        R = np.array([[math.cos(k * w), -math.sin(k * w)], [math.sin(k * w), math.cos(k * w)]])
        np.testing.assert_allclose(pe[k:, 2 * i:2 * i + 2], pe[:-k, 2 * i:2 * i + 2] @ R,
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("shape,F", [((1, 1, 1), 1), ((2, 5, 4), 8), ((3, 6), 5)])
def test_feed_forward_matches_torch(shape, F, activation):
    E = shape[-1]
    torch.manual_seed(F + E)
    lin1, lin2 = torch.nn.Linear(E, F).double(), torch.nn.Linear(F, E).double()
    act = torch.nn.ReLU() if activation == "relu" else torch.nn.GELU()
    x = np.random.default_rng(F).standard_normal(shape)
    y = tf.feed_forward(x, *(p.detach().numpy() for p in (lin1.weight, lin1.bias, lin2.weight,
                                                          lin2.bias)), activation)
    with torch.no_grad():
        ref = lin2(act(lin1(t(x)))).numpy()
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12)


# --- encoder and decoder layers ------------------------------------------------------------------

LAYER_SHAPES = [  # B, T, S, E, h, F
    (1, 1, 1, 1, 1, 1), (2, 5, 4, 4, 2, 8), (3, 1, 6, 6, 3, 5), (1, 7, 1, 8, 8, 16),
    (2, 4, 4, 6, 1, 4),
]


def _mask(kind, Tq, Tk, rng):
    if kind == "none":
        return None
    if kind == "causal":
        return causal_mask(max(Tq, Tk))[:Tq, :Tk]
    return rng.standard_normal((Tq, Tk))  # float, added to the scores


def _torch_mask(mask):
    """Our masks are True = may attend; torch's boolean attention masks are True = blocked."""
    if mask is None:
        return None
    return ~t(mask) if mask.dtype == bool else t(mask)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("B,T,S,E,h,F", LAYER_SHAPES)
def test_encoder_layer_matches_torch(B, T, S, E, h, F, norm_first, activation):
    module = torch.nn.TransformerEncoderLayer(E, h, F, dropout=0.0, activation=activation,
                                              batch_first=True, norm_first=norm_first).double()
    randomise(module, seed=B + T + E + h + F + norm_first)
    params = numpy_state(module)
    rng = np.random.default_rng(B * T + E)
    x = rng.standard_normal((B, T, E))
    for kind in ("none", "causal", "float"):
        mask = _mask(kind, T, T, rng)
        y = tf.encoder_layer(x, params, h, mask, norm_first, activation=activation)
        with torch.no_grad():
            ref = module(t(x), src_mask=_torch_mask(mask)).numpy()
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10, err_msg=kind)


def test_encoder_layer_key_padding_mask_and_eps():
    B, T, E, h, F = 3, 5, 6, 2, 7
    module = torch.nn.TransformerEncoderLayer(E, h, F, dropout=0.0, batch_first=True,
                                              layer_norm_eps=1e-3).double()
    randomise(module, seed=3)
    params = numpy_state(module)
    x = np.random.default_rng(3).standard_normal((B, T, E))
    padding = np.zeros((B, T), bool)  # torch: True = padding
    padding[1, 2:] = True
    padding[2, 4:] = True
    y = tf.encoder_layer(x, params, h, src_mask=~padding[:, None, None, :], layer_norm_eps=1e-3)
    with torch.no_grad():
        ref = module(t(x), src_key_padding_mask=t(padding)).numpy()
    # torch's fast path may leave padded positions' outputs arbitrary: compare real tokens
    np.testing.assert_allclose(y[~padding], ref[~padding], rtol=0, atol=1e-10)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("B,T,S,E,h,F", LAYER_SHAPES)
def test_decoder_layer_matches_torch(B, T, S, E, h, F, norm_first, activation):
    module = torch.nn.TransformerDecoderLayer(E, h, F, dropout=0.0, activation=activation,
                                              batch_first=True, norm_first=norm_first).double()
    randomise(module, seed=B + T + S + E + h + F + norm_first)
    params = numpy_state(module)
    rng = np.random.default_rng(B * T + S + E)
    tgt, memory = rng.standard_normal((B, T, E)), rng.standard_normal((B, S, E))
    for tgt_kind, memory_kind in [("none", "none"), ("causal", "none"), ("causal", "float"),
                                  ("float", "causal")]:
        tgt_mask = _mask(tgt_kind, T, T, rng)
        memory_mask = _mask(memory_kind, T, S, rng)
        y = tf.decoder_layer(tgt, memory, params, h, tgt_mask, memory_mask, norm_first,
                             activation=activation)
        with torch.no_grad():
            ref = module(t(tgt), t(memory), tgt_mask=_torch_mask(tgt_mask),
                         memory_mask=_torch_mask(memory_mask)).numpy()
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10, err_msg=f"{tgt_kind}/{memory_kind}")


def test_decoder_causal_mask_hides_the_future():
    B, T, S, E, h, F = 2, 6, 4, 4, 2, 8
    params = numpy_state(randomise(torch.nn.TransformerDecoderLayer(
        E, h, F, dropout=0.0, batch_first=True).double(), seed=8))
    rng = np.random.default_rng(8)
    tgt, memory = rng.standard_normal((B, T, E)), rng.standard_normal((B, S, E))
    y = tf.decoder_layer(tgt, memory, params, h, tgt_mask=causal_mask(T))
    changed = tgt.copy()
    changed[:, 4:] += 10  # change the future of position 3
    y_changed = tf.decoder_layer(changed, memory, params, h, tgt_mask=causal_mask(T))
    np.testing.assert_allclose(y[:, :4], y_changed[:, :4], rtol=0, atol=1e-12)
    assert np.abs(y[:, 4:] - y_changed[:, 4:]).min() > 0


def test_layers_float32():
    E, h, F = 8, 2, 16
    enc = randomise(torch.nn.TransformerEncoderLayer(E, h, F, dropout=0.0, batch_first=True), 9)
    dec = randomise(torch.nn.TransformerDecoderLayer(E, h, F, dropout=0.0, batch_first=True,
                                                     norm_first=True), 10)
    rng = np.random.default_rng(9)
    x, memory = (rng.standard_normal((2, T, E)).astype(np.float32) for T in (5, 3))
    y = tf.encoder_layer(x, numpy_state(enc), h)
    z = tf.decoder_layer(x, memory, numpy_state(dec), h, tgt_mask=causal_mask(5), norm_first=True)
    with torch.no_grad():
        y_ref = enc(t(x)).numpy()
        z_ref = dec(t(x), t(memory), tgt_mask=~t(causal_mask(5))).numpy()
    assert y.dtype == z.dtype == np.float32
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(z, z_ref, rtol=1e-4, atol=1e-4)


# --- bad input -------------------------------------------------------------------------------------

_ENC = numpy_state(torch.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True).double())
_DEC = numpy_state(torch.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, batch_first=True).double())
_X = np.zeros((2, 3, 4))

BAD_CALLS = {
    "T must be a positive int": lambda: tf.positional_encoding(0, 4),
    "d_model must be a positive int": lambda: tf.positional_encoding(3, 2.0),
    "activation must be one of": lambda: tf.encoder_layer(_X, _ENC, 2, activation="tanh"),
    r"weight1 must have shape": lambda: tf.feed_forward(_X, np.ones(8), np.ones(8),
                                                        np.ones((4, 8)), np.ones(4)),
    r"weight2 must have shape \(4, 8\)": lambda: tf.feed_forward(_X, np.ones((8, 4)), np.ones(8),
                                                                 np.ones((8, 4)), np.ones(4)),
    "params is missing.*norm2.weight": lambda: tf.encoder_layer(
        _X, {k: v for k, v in _ENC.items() if k != "norm2.weight"}, 2),
    "params is missing.*multihead_attn": lambda: tf.decoder_layer(_X, _X, _ENC, 2),
    "num_heads must be a positive int dividing E": lambda: tf.encoder_layer(_X, _ENC, 3),
    r"query must have shape \(B, T, E\)": lambda: tf.encoder_layer(_X[0], _ENC, 2),
    r"memory must have shape \(B, S, E\)": lambda: tf.decoder_layer(_X, _X[..., :2], _DEC, 2),
    "mask must broadcast": lambda: tf.encoder_layer(_X, _ENC, 2, src_mask=np.ones((2, 2), bool)),
}


@pytest.mark.parametrize("message", BAD_CALLS)
def test_bad_input_names_the_argument(message):
    with pytest.raises(ValueError, match=message):
        BAD_CALLS[message]()
