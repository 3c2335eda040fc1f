"""Structured self-attentive sentence embedding on a toy sentiment task (chapter
"Self-attention, key-value attention and memory").

Sentences such as "i think the film was not very good" are labelled positive or negative:
the label depends on the adjective and on whether "not" precedes it, the other words are
filler. A BiLSTM reads the sentence; r attention hops (Lin et al. 2017),

    A = softmax(W_s2 tanh(W_s1 Hᵀ)),   M = A H,

give an r-row sentence embedding, flattened into a linear classifier. The loss is the
cross-entropy plus ``penalty`` times Lin et al.'s ||A Aᵀ - I||_F². The attention weights
can then be read per word.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

POSITIVE = ("good", "great", "fine", "nice")
NEGATIVE = ("bad", "awful", "poor", "dull")
NOUNS = ("film", "food", "trip", "book", "show")
ADVERBS = ("very", "really", "quite")
PREFIXES = ("", "i think", "honestly", "my friend said")


def sentiment_data(n: int, rng: np.random.Generator) -> tuple[list[list[str]], np.ndarray]:
    """``n`` sentences "[prefix] the NOUN was [not] [ADV] ADJ" and labels 1 = positive."""
    sentences, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.5
        negated = rng.random() < 0.5
        adj = (POSITIVE if positive else NEGATIVE)[rng.integers(4)]
        words = PREFIXES[rng.integers(len(PREFIXES))].split()
        words += ["the", NOUNS[rng.integers(len(NOUNS))], "was"]
        words += ["not"] * negated
        if rng.random() < 0.6:
            words.append(ADVERBS[rng.integers(len(ADVERBS))])
        words.append(adj)
        sentences.append(words)
        labels.append(int(positive != negated))
    return sentences, np.array(labels)


VOCAB = ["<pad>"] + sorted({w for group in (POSITIVE, NEGATIVE, NOUNS, ADVERBS) for w in group}
                           | {w for p in PREFIXES for w in p.split()} | {"the", "was", "not"})
INDEX = {w: i for i, w in enumerate(VOCAB)}


def encode(sentences, max_len: int = 12) -> torch.Tensor:
    """Pad with 0 on the right: (N, max_len) int64."""
    out = torch.zeros(len(sentences), max_len, dtype=torch.long)
    for i, s in enumerate(sentences):
        out[i, :len(s)] = torch.tensor([INDEX[w] for w in s])
    return out


class SelfAttentiveClassifier(nn.Module):
    """Embedding -> BiLSTM (H: n x 2u) -> r hops of self-attention -> linear classifier."""

    def __init__(self, r: int, emb: int = 16, u: int = 12, d_a: int = 16):
        super().__init__()
        self.embed = nn.Embedding(len(VOCAB), emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, u, batch_first=True, bidirectional=True)
        self.W_s1 = nn.Linear(2 * u, d_a, bias=False)  # (d_a, 2u)
        self.W_s2 = nn.Linear(d_a, r, bias=False)  # (r, d_a)
        self.out = nn.Linear(r * 2 * u, 2)

    def forward(self, ids):
        H, _ = self.lstm(self.embed(ids))  # (B, n, 2u)
        scores = self.W_s2(torch.tanh(self.W_s1(H))).transpose(1, 2)  # (B, r, n)
        scores = scores.masked_fill((ids == 0)[:, None, :], float("-inf"))
        A = torch.softmax(scores, dim=-1)  # (B, r, n)
        M = A @ H  # (B, r, 2u)
        return self.out(M.flatten(1)), A


@dataclass
class SelfAttentionResult:
    model: SelfAttentiveClassifier
    accuracy: float  # on 500 held-out sentences
    penalty: float  # mean ||A Aᵀ - I||_F² on them


def train_self_attentive(r: int = 2, penalty: float = 1.0, steps: int = 150,
                         batch_size: int = 32, seed: int = 0) -> SelfAttentionResult:
    """Train with Adam (lr 1e-2) on fresh batches; seeded, CPU, about a second."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SelfAttentiveClassifier(r)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    eye = torch.eye(r)
    for _ in range(steps):
        sentences, y = sentiment_data(batch_size, rng)
        logits, A = model(encode(sentences))
        # P = ||A Aᵀ - I||_F², averaged over the batch
        P = ((A @ A.transpose(1, 2) - eye) ** 2).sum((1, 2)).mean()
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(y)) + penalty * P
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    sentences, y = sentiment_data(500, np.random.default_rng(seed + 1))
    with torch.no_grad():
        logits, A = model(encode(sentences))
    P = ((A @ A.transpose(1, 2) - eye) ** 2).sum((1, 2)).mean().item()
    accuracy = (logits.argmax(-1).numpy() == y).mean()
    return SelfAttentionResult(model, float(accuracy), P)


def attention_weights(model: SelfAttentiveClassifier, sentence: list[str]) -> np.ndarray:
    """A (r, n) for one sentence."""
    with torch.no_grad():
        _, A = model(encode([sentence]))
    return A[0, :, :len(sentence)].numpy()
