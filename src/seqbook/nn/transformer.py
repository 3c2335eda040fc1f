"""The Transformer's building blocks in numpy (Vaswani et al. 2017, "Attention is all you need").

- sinusoidal positional encoding,
- the position-wise feed-forward network FFN(x) = act(x W_1ᵀ + b_1) W_2ᵀ + b_2,
- an encoder layer (self-attention, feed-forward) and a decoder layer (masked
  self-attention, encoder-decoder attention, feed-forward), each sub-layer wrapped in a
  residual connection and layer normalization, matching ``nn.TransformerEncoderLayer`` /
  ``nn.TransformerDecoderLayer`` with ``batch_first=True``, ``dropout=0`` and their
  ``state_dict`` names.

Post-norm (the paper and torch's default): x ← LayerNorm(x + Sublayer(x)).
Pre-norm (``norm_first=True``): x ← x + Sublayer(LayerNorm(x)), which keeps an identity path
from input to output and trains deep stacks without warm-up (Xiong et al. 2020).

Forward pass only: there is no hand-written backward for these layers (the gradients of
their parts are in ``norm`` and, for the LSTM, ``lstm``). Masks follow ``attention``: boolean
True = may attend, the opposite of torch's ``src_mask``/``tgt_mask``/``memory_mask``
(pass ``~mask`` to torch), or float masks added to the scores; a key padding mask is a
boolean (B, 1, 1, Tk) mask.
"""
from __future__ import annotations

import numpy as np

from seqbook.nn.attention import MHA_PARAM_NAMES, multi_head_attention
from seqbook.nn.functional import gelu, relu
from seqbook.nn.norm import layer_norm

ACTIVATIONS = {"relu": relu, "gelu": gelu}


def positional_encoding(T: int, d_model: int, base: float = 10000.0,
                        dtype=np.float64) -> np.ndarray:
    """Sinusoidal positional encoding of Vaswani et al. (2017), shape (T, d_model):

        PE[pos, 2i]     = sin(pos / base^(2i / d_model))
        PE[pos, 2i + 1] = cos(pos / base^(2i / d_model))

    Each pair of columns is a rotation at its own frequency, so PE[pos + k] is a fixed linear
    function of PE[pos] for every k. For odd d_model the last column is a sine.
    """
    for name, n in (("T", T), ("d_model", d_model)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    pos = np.arange(T, dtype=np.float64)[:, None]  # (T, 1)
    two_i = np.arange(0, d_model, 2, dtype=np.float64)  # (ceil(d/2),)
    # pos / base^(2i / d_model)
    angle = pos / base ** (two_i / d_model)  # (T, ceil(d/2))
    pe = np.empty((T, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, :d_model // 2])
    return pe.astype(dtype)


def feed_forward(x: np.ndarray, weight1: np.ndarray, bias1: np.ndarray, weight2: np.ndarray,
                 bias2: np.ndarray, activation: str = "relu") -> np.ndarray:
    """Position-wise feed-forward network: FFN(x) = act(x W_1ᵀ + b_1) W_2ᵀ + b_2, the same
    two linear maps at every position (``linear1``, ``linear2`` of ``nn.TransformerEncoderLayer``).

    Args:
        x: (..., E); weight1: (F, E); bias1: (F,); weight2: (E, F); bias2: (E,).
        activation: "relu" or "gelu".

    Returns:
        (..., E).
    """
    x = np.asarray(x)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    E = x.shape[-1]
    F = np.shape(weight1)[0] if np.ndim(weight1) == 2 else None
    expected = {"weight1": (F, E), "bias1": (F,), "weight2": (E, F), "bias2": (E,)}
    for name, a in (("weight1", weight1), ("bias1", bias1), ("weight2", weight2), ("bias2", bias2)):
        if np.shape(a) != expected[name]:
            raise ValueError(f"{name} must have shape {expected[name]} (x has E = {E}), "
                             f"got {np.shape(a)}")
    # act(x W_1ᵀ + b_1)
    hidden = ACTIVATIONS[activation](x @ weight1.T + bias1)  # (..., F)
    # · W_2ᵀ + b_2
    return hidden @ weight2.T + bias2  # (..., E)


def _sub(params: dict, prefix: str) -> dict:
    """The entries of ``params`` under ``prefix.``, without it (``self_attn.`` -> MHA params)."""
    return {name[len(prefix) + 1:]: value for name, value in params.items()
            if name.startswith(prefix + ".")}


def _check_layer(params: dict, attn: tuple[str, ...], norms: tuple[str, ...]) -> None:
    required = [f"{a}.{n}" for a in attn for n in MHA_PARAM_NAMES]
    required += [f"linear{i}.{n}" for i in (1, 2) for n in ("weight", "bias")]
    required += [f"{n}.{p}" for n in norms for p in ("weight", "bias")]
    missing = [name for name in required if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected the state_dict of the torch layer")


def _ffn(x, params, activation):
    return feed_forward(x, params["linear1.weight"], params["linear1.bias"],
                        params["linear2.weight"], params["linear2.bias"], activation)


def _norm(x, params, name, eps):
    return layer_norm(x, x.shape[-1], params[f"{name}.weight"], params[f"{name}.bias"], eps)


def encoder_layer(x: np.ndarray, params: dict, num_heads: int, src_mask=None,
                  norm_first: bool = False, activation: str = "relu",
                  layer_norm_eps: float = 1e-5) -> np.ndarray:
    """One Transformer encoder layer, as ``nn.TransformerEncoderLayer(E, num_heads, F,
    dropout=0, activation=activation, layer_norm_eps=..., batch_first=True, norm_first=...)``.

    Post-norm:  x ← LN_1(x + SelfAttn(x));   x ← LN_2(x + FFN(x))
    Pre-norm:   x ← x + SelfAttn(LN_1(x));   x ← x + FFN(LN_2(x))

    Args:
        x: (B, T, E).
        params: the layer's state_dict: ``self_attn.in_proj_weight``, ``self_attn.in_proj_bias``,
            ``self_attn.out_proj.weight``, ``self_attn.out_proj.bias``, ``linear1.weight (F, E)``,
            ``linear1.bias``, ``linear2.weight (E, F)``, ``linear2.bias``, ``norm1.weight``,
            ``norm1.bias``, ``norm2.weight``, ``norm2.bias``.
        num_heads: h.
        src_mask: boolean True = may attend (torch's ``~src_mask``) or float, broadcastable to
            (B, h, T, T); e.g. (B, 1, 1, T) for torch's ``~src_key_padding_mask``.
        norm_first, activation ("relu" or "gelu"), layer_norm_eps: as in torch.

    Returns:
        (B, T, E). Forward only.
    """
    _check_layer(params, ("self_attn",), ("norm1", "norm2"))
    x = np.asarray(x)
    attn = _sub(params, "self_attn")

    def self_attn(z):
        return multi_head_attention(z, z, z, attn, num_heads, src_mask)[0]

    if norm_first:
        # x ← x + SelfAttn(LN_1(x))
        x = x + self_attn(_norm(x, params, "norm1", layer_norm_eps))
        # x ← x + FFN(LN_2(x))
        x = x + _ffn(_norm(x, params, "norm2", layer_norm_eps), params, activation)
    else:
        # x ← LN_1(x + SelfAttn(x))
        x = _norm(x + self_attn(x), params, "norm1", layer_norm_eps)
        # x ← LN_2(x + FFN(x))
        x = _norm(x + _ffn(x, params, activation), params, "norm2", layer_norm_eps)
    return x


def decoder_layer(tgt: np.ndarray, memory: np.ndarray, params: dict, num_heads: int,
                  tgt_mask=None, memory_mask=None, norm_first: bool = False,
                  activation: str = "relu", layer_norm_eps: float = 1e-5) -> np.ndarray:
    """One Transformer decoder layer, as ``nn.TransformerDecoderLayer(E, num_heads, F,
    dropout=0, activation=activation, layer_norm_eps=..., batch_first=True, norm_first=...)``.

    Post-norm:  x ← LN_1(x + SelfAttn(x, tgt_mask))
                x ← LN_2(x + CrossAttn(x, memory, memory_mask))
                x ← LN_3(x + FFN(x))
    Pre-norm:   x ← x + SelfAttn(LN_1(x), tgt_mask)
                x ← x + CrossAttn(LN_2(x), memory, memory_mask)
                x ← x + FFN(LN_3(x))

    The self-attention is masked (``tgt_mask=causal_mask(T)``) so that position t cannot see
    the targets after it; the encoder-decoder attention takes queries from the decoder and
    keys and values from the encoder's output ``memory``.

    Args:
        tgt: (B, T, E); memory: (B, S, E).
        params: the layer's state_dict: ``self_attn.*``, ``multihead_attn.*`` (the
            encoder-decoder attention), ``linear1.*``, ``linear2.*``, ``norm1.*``, ``norm2.*``,
            ``norm3.*``.
        num_heads: h.
        tgt_mask: broadcastable to (B, h, T, T); memory_mask: to (B, h, T, S); boolean True =
            may attend (torch's ``~mask``) or float.
        norm_first, activation, layer_norm_eps: as in torch.

    Returns:
        (B, T, E). Forward only.
    """
    _check_layer(params, ("self_attn", "multihead_attn"), ("norm1", "norm2", "norm3"))
    x, memory = np.asarray(tgt), np.asarray(memory)
    if memory.ndim != 3 or x.ndim != 3 or memory.shape[::2] != x.shape[::2]:
        raise ValueError(f"memory must have shape (B, S, E) with B, E of tgt {x.shape}, "
                         f"got {memory.shape}")
    self_params, cross_params = _sub(params, "self_attn"), _sub(params, "multihead_attn")

    def self_attn(z):
        return multi_head_attention(z, z, z, self_params, num_heads, tgt_mask)[0]

    def cross_attn(z):
        return multi_head_attention(z, memory, memory, cross_params, num_heads, memory_mask)[0]

    if norm_first:
        # x ← x + SelfAttn(LN_1(x))
        x = x + self_attn(_norm(x, params, "norm1", layer_norm_eps))
        # x ← x + CrossAttn(LN_2(x), memory)
        x = x + cross_attn(_norm(x, params, "norm2", layer_norm_eps))
        # x ← x + FFN(LN_3(x))
        x = x + _ffn(_norm(x, params, "norm3", layer_norm_eps), params, activation)
    else:
        # x ← LN_1(x + SelfAttn(x))
        x = _norm(x + self_attn(x), params, "norm1", layer_norm_eps)
        # x ← LN_2(x + CrossAttn(x, memory))
        x = _norm(x + cross_attn(x), params, "norm2", layer_norm_eps)
        # x ← LN_3(x + FFN(x))
        x = _norm(x + _ffn(x, params, activation), params, "norm3", layer_norm_eps)
    return x
