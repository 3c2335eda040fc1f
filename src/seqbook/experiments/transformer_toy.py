"""A small Transformer encoder trained to reverse a sequence (chapter "The Transformer").

The data is ``seqbook.tasks.reversal_task`` without delay: a row is ``x_1 .. x_L DELIM 0 .. 0``
and the targets of the last L positions are ``x_L .. x_1``. An encoder-only model sees the
whole row at once, so output position L + 1 + i has to *look up* input position L - 1 - i:
a job for attention and positional encoding, with no recurrence at all.

The model follows Vaswani et al. (2017): token embedding scaled by sqrt(d_model) plus the
sinusoidal positional encoding of ``seqbook.nn.transformer.positional_encoding``, a stack of
post-norm ``nn.TransformerEncoderLayer`` (dropout 0), and a linear read-out. After training,
the attention maps are recomputed layer by layer with the numpy reference
(``seqbook.nn.attention.multi_head_attention`` and ``seqbook.nn.transformer.encoder_layer``)
from the trained ``state_dict``, which also checks that reference against torch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from seqbook import tasks
from seqbook.nn.attention import multi_head_attention
from seqbook.nn.transformer import encoder_layer, positional_encoding
from seqbook.torch_reference import numpy_state


@dataclass(frozen=True)
class ToyConfig:
    """Hyperparameters of ``train_reversal_transformer``."""
    seq_len: int = 6  # L, symbols to reverse
    n_symbols: int = 8  # data symbols 1..n_symbols (0 = blank, n_symbols + 1 = delimiter)
    d_model: int = 32  # E, the width of every layer
    nhead: int = 2  # h, attention heads per layer
    dim_feedforward: int = 64  # F, hidden size of the position-wise FFN
    num_layers: int = 2  # encoder layers
    steps: int = 200  # Adam steps
    batch_size: int = 64  # fresh random sequences per step
    lr: float = 3e-3  # Adam learning rate
    seed: int = 0  # initialisation and data


class ReversalTransformer(nn.Module):
    """Embedding * sqrt(E) + sinusoidal positions -> TransformerEncoder -> linear logits."""

    def __init__(self, vocab_size: int, max_len: int, config: ToyConfig):
        super().__init__()
        E = config.d_model
        self.embed = nn.Embedding(vocab_size, E)
        # std E^-1/2, so that sqrt(E) W_emb[x] has unit scale, like the positional encoding
        nn.init.normal_(self.embed.weight, std=E ** -0.5)
        pe = torch.tensor(positional_encoding(max_len, E), dtype=torch.float32)
        self.register_buffer("pe", pe)  # (max_len, E), fixed, not learned
        layer = nn.TransformerEncoderLayer(E, config.nhead, config.dim_feedforward, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.num_layers, enable_nested_tensor=False)
        self.out = nn.Linear(E, vocab_size)

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """x = sqrt(E) W_emb[ids] + PE, shape (B, T, E)."""
        T = ids.shape[1]
        return self.embed(ids) * self.embed.embedding_dim ** 0.5 + self.pe[:T]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(self.encoder(self.embed_tokens(ids)))  # (B, T, V)


@dataclass
class ToyResult:
    """The trained model, its training curve and what it learned."""
    config: ToyConfig
    model: ReversalTransformer
    losses: list[float] = field(default_factory=list)  # training loss per step
    accuracies: list[float] = field(default_factory=list)  # token accuracy per step (batch)
    test_accuracy: float = float("nan")  # token accuracy on 1000 fresh sequences
    sequence_accuracy: float = float("nan")  # fraction of sequences reversed without error
    seconds: float = float("nan")  # wall-clock training time


def make_batch(n: int, config: ToyConfig, rng: np.random.Generator):
    """A reversal batch: ids (n, 2L + 1) and the targets of the last L positions (n, L)."""
    inputs, targets = tasks.reversal_task(n, config.seq_len, config.n_symbols, rng)
    return torch.from_numpy(inputs), torch.from_numpy(targets[:, config.seq_len + 1:])


def train_reversal_transformer(config: ToyConfig = ToyConfig()) -> ToyResult:
    """Train ``ReversalTransformer`` with Adam on fresh random batches (seeded, CPU)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    L, V = config.seq_len, config.n_symbols + 2
    model = ReversalTransformer(V, 2 * L + 1, config)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    result = ToyResult(config, model)
    start = time.perf_counter()
    for _ in range(config.steps):
        ids, y = make_batch(config.batch_size, config, rng)
        logits = model(ids)[:, L + 1:]  # (B, L, V): only the answer positions are scored
        loss = nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        result.losses.append(loss.item())
        result.accuracies.append((logits.argmax(-1) == y).float().mean().item())
    result.seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        ids, y = make_batch(1000, config, np.random.default_rng(config.seed + 1))
        correct = model(ids)[:, L + 1:].argmax(-1) == y
    result.test_accuracy = correct.float().mean().item()
    result.sequence_accuracy = correct.all(-1).float().mean().item()
    return result


def attention_maps(model: ReversalTransformer, ids) -> tuple[np.ndarray, float]:
    """Attention weights of every layer and head for one batch, from the numpy reference.

    Runs ``multi_head_attention`` (for the weights) and ``encoder_layer`` (for the next
    layer's input) on the trained ``state_dict``.

    Returns:
        weights: (num_layers, B, h, T, T); max_diff: the largest |numpy - torch| of the
        encoder's output, a parity check of the reference against the trained torch model.
    """
    ids_t = torch.as_tensor(np.asarray(ids))
    with torch.no_grad():
        x_t = model.embed_tokens(ids_t)
        expected = model.encoder(x_t).numpy().astype(np.float64)
    x = x_t.numpy().astype(np.float64)  # (B, T, E)
    h = model.encoder.layers[0].self_attn.num_heads
    maps = []
    for layer in model.encoder.layers:
        params = numpy_state(layer, dtype=np.float64)
        attn = {k[len("self_attn."):]: v for k, v in params.items() if k.startswith("self_attn.")}
        maps.append(multi_head_attention(x, x, x, attn, h)[1])  # (B, h, T, T)
        x = encoder_layer(x, params, h)  # (B, T, E)
    return np.stack(maps), float(np.abs(x - expected).max())
