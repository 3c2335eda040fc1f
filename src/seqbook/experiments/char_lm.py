"""A character-level LSTM language model and n-gram baselines, sized for a CPU in seconds.

A language model factorises the probability of a text c_1 ... c_T by the chain rule,
p(c_1 ... c_T) = prod_t p(c_t | c_<t), and is trained to minimise the mean negative
log-likelihood (cross-entropy, in nats per character) -1/T sum_t log p(c_t | c_<t); its
exponential is the perplexity. Here:

- ``ngram_cross_entropy``: the n-gram baseline (Markov assumption p(c_t | c_<t) ≈
  p(c_t | c_{t-n+1} ... c_{t-1})) estimated by counting with add-k smoothing; n=1 is the
  unigram model, n=2 the bigram model.
- ``CharLSTM``: embedding -> ``torch.nn.LSTM`` -> linear layer to logits over the
  characters, the model of Karpathy's char-rnn / Graves (2013) at toy size.
- ``train_char_lm``: Adam on random windows of the training text, gradient clipping,
  seeded; the validation loss is measured on held-out text read in one pass with the state
  carried along.
- ``next_char_distribution`` and ``sample``: softmax(z / temperature), optionally restricted
  to the top-k characters; temperature 0 means greedy (argmax) decoding.

Nothing runs on import; the chapter ``book/language/language_models.md`` calls these.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------

@dataclass
class CharVocab:
    """The characters of a text, sorted, and the id of each."""
    chars: list[str]  # id -> character
    stoi: dict[str, int]  # character -> id

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        chars = sorted(set(text))
        if not chars:
            raise ValueError("the text is empty")
        return cls(chars, {c: i for i, c in enumerate(chars)})

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Characters -> ids (int64); characters not in the vocabulary raise ValueError."""
        unknown = sorted(set(text) - set(self.stoi))
        if unknown:
            raise ValueError(f"characters {unknown[:5]} are not in the vocabulary")
        return np.array([self.stoi[c] for c in text], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def prepare_text(text: str) -> str:
    """Normalise whitespace: every run of spaces and newlines becomes a single space, except
    that paragraph breaks (blank lines) become one newline."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n".join(p for p in paragraphs if p)


def split_text(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The first (1 - val_fraction) of the ids for training, the rest for validation."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_val = max(2, int(round(len(ids) * val_fraction)))
    if len(ids) - n_val < 2:
        raise ValueError(f"text of {len(ids)} characters is too short to split")
    return ids[:-n_val], ids[-n_val:]


# ---------------------------------------------------------------------------------------
# n-gram baselines
# ---------------------------------------------------------------------------------------

def ngram_cross_entropy(train_ids, eval_ids, n: int, vocab_size: int, k: float = 0.1) -> float:
    """Mean -log p(c_t | previous n-1 characters) in nats over ``eval_ids[n-1:]``, for the
    n-gram model estimated on ``train_ids`` with add-k smoothing:

        p(c | h) = (count(h c) + k) / (count(h) + k V).

    The first n-1 characters of ``eval_ids`` are only used as history.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    train, evals = [int(i) for i in train_ids], [int(i) for i in eval_ids]
    if len(evals) < n:
        raise ValueError(f"eval_ids needs at least n = {n} characters")
    grams = Counter(tuple(train[t - n + 1:t + 1]) for t in range(n - 1, len(train)))
    histories = Counter()
    for gram, count in grams.items():
        histories[gram[:-1]] += count
    total = 0.0
    for t in range(n - 1, len(evals)):
        gram = tuple(evals[t - n + 1:t + 1])
        # p(c | h) = (count(h c) + k) / (count(h) + k V)
        p = (grams[gram] + k) / (histories[gram[:-1]] + k * vocab_size)
        total -= np.log(p)
    return total / (len(evals) - n + 1)


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CharLMConfig:
    """Hyperparameters of ``train_char_lm``."""
    embed_size: int = 32  # size of the character embeddings
    hidden_size: int = 96  # LSTM units
    num_layers: int = 1  # stacked LSTM layers
    dropout: float = 0.5  # dropout on the LSTM outputs before the softmax layer
    seq_len: int = 64  # characters per training window (truncated BPTT length)
    batch_size: int = 32  # windows per step
    steps: int = 400  # Adam steps
    lr: float = 5e-3  # Adam learning rate (decayed linearly to lr/10)
    clip: float = 1.0  # gradient-norm clipping threshold
    eval_every: int = 50  # steps between validation measurements
    seed: int = 0  # initialisation, windows and dropout


class CharLSTM(nn.Module):
    """x_t -> embedding e_t -> LSTM state h_t -> logits z_t = W h_t + b over the characters;
    softmax(z_t) is p(c_{t+1} | c_1 ... c_t)."""

    def __init__(self, vocab_size: int, config: CharLMConfig = CharLMConfig()):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, config.embed_size)
        self.lstm = nn.LSTM(config.embed_size, config.hidden_size, config.num_layers,
                            batch_first=True)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (B, T) int64 -> logits (B, T, V) and the final LSTM state (h, c)."""
        e = self.embedding(ids)  # (B, T, embed_size)
        h, state = self.lstm(e, state)  # (B, T, hidden_size)
        return self.head(self.dropout(h)), state  # (B, T, V)


@dataclass
class CharLMResult:
    """A trained model with its vocabulary and training curves (losses in nats per char)."""
    model: CharLSTM
    vocab: CharVocab
    config: CharLMConfig
    steps: list[int] = field(default_factory=list)  # steps at which the curves were measured
    train_loss: list[float] = field(default_factory=list)  # mean training loss since last point
    val_loss: list[float] = field(default_factory=list)  # loss on the validation text
    seconds: float = 0.0  # wall-clock training time
    best_step: int = 0  # the step whose weights ``model`` holds (lowest validation loss)


def evaluate(model: CharLSTM, ids: np.ndarray) -> float:
    """Mean -log p(c_{t+1} | c_1 ... c_t) in nats over the text ``ids``, read in one pass
    (the first character is only an input)."""
    model.eval()
    with torch.no_grad():
        x = torch.as_tensor(ids[None, :-1])  # (1, T-1)
        y = torch.as_tensor(ids[1:])  # (T-1,)
        logits, _ = model(x)  # (1, T-1, V)
        loss = nn.functional.cross_entropy(logits[0], y)
    return float(loss)


def train_char_lm(text: str, config: CharLMConfig = CharLMConfig(),
                  val_fraction: float = 0.1, vocab: CharVocab | None = None) -> CharLMResult:
    """Train ``CharLSTM`` on the first part of ``text``, validate on the rest.

    Each step draws ``batch_size`` random windows of ``seq_len + 1`` characters from the
    training text; inputs are characters 0..T-1 of a window and targets 1..T (teacher
    forcing), the loss is the mean cross-entropy, the update Adam with gradient clipping.
    The returned model holds the weights of the measurement with the lowest validation loss
    (early stopping); the curves cover the whole run.
    Seeded with ``torch.manual_seed(config.seed)`` and a numpy generator; runs in one thread.
    """
    vocab = vocab or CharVocab.from_text(text)
    train_ids, val_ids = split_text(vocab.encode(text), val_fraction)
    if len(train_ids) <= config.seq_len + 1:
        raise ValueError(f"training text of {len(train_ids)} characters is shorter than "
                         f"seq_len + 1 = {config.seq_len + 1}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(config.seed)
        rng = np.random.default_rng(config.seed)
        model = CharLSTM(len(vocab), config)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: 1 - 0.9 * min(s / config.steps, 1))
        result = CharLMResult(model, vocab, config)
        offsets = np.arange(config.seq_len + 1)
        start_time, running, counted = time.perf_counter(), 0.0, 0
        for step in range(1, config.steps + 1):
            model.train()
            starts = rng.integers(0, len(train_ids) - config.seq_len, config.batch_size)
            windows = torch.as_tensor(train_ids[starts[:, None] + offsets])  # (B, T+1)
            logits, _ = model(windows[:, :-1])  # (B, T, V)
            # L = -1/(B T) sum_{b,t} log p(c_{t+1} | c_<=t)
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)),
                                               windows[:, 1:].reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimiser.step()
            schedule.step()
            running, counted = running + loss.item(), counted + 1
            if step % config.eval_every == 0 or step == config.steps:
                result.steps.append(step)
                result.train_loss.append(running / counted)
                result.val_loss.append(evaluate(model, val_ids))
                running, counted = 0.0, 0
                # early stopping: keep the weights with the lowest validation loss
                if result.val_loss[-1] == min(result.val_loss):
                    best = {k: v.clone() for k, v in model.state_dict().items()}
                    result.best_step = step
        model.load_state_dict(best)
        result.seconds = time.perf_counter() - start_time
        model.eval()
        return result
    finally:
        torch.set_num_threads(threads)


# ---------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------

def softmax_with_temperature(logits, temperature: float, top_k: int | None = None) -> np.ndarray:
    """p_i = exp(z_i / T) / sum_j exp(z_j / T), over the top-k logits only when ``top_k`` is
    given (the others get probability 0). Temperature 0 puts all mass on the argmax."""
    z = np.asarray(logits, dtype=np.float64)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    keep = np.ones_like(z, dtype=bool)
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        keep[:] = False
        keep[np.argsort(-z, kind="stable")[:top_k]] = True
    if temperature == 0:
        p = np.zeros_like(z)
        p[int(np.argmax(np.where(keep, z, -np.inf)))] = 1.0
        return p
    s = np.where(keep, z / temperature, -np.inf)
    e = np.exp(s - s.max())
    return e / e.sum()


def next_char_distribution(result: CharLMResult, prompt: str, temperature: float = 1.0,
                           top_k: int | None = None) -> np.ndarray:
    """p(next character | prompt) (V,) from the trained model at the given temperature."""
    if not prompt:
        raise ValueError("the prompt needs at least one character")
    result.model.eval()
    with torch.no_grad():
        logits, _ = result.model(torch.as_tensor(result.vocab.encode(prompt)[None]))  # (1, T, V)
    return softmax_with_temperature(logits[0, -1].numpy(), temperature, top_k)


def sample(result: CharLMResult, prompt: str, length: int = 200, temperature: float = 1.0,
           top_k: int | None = None, seed: int = 0) -> str:
    """Continue ``prompt`` by ``length`` characters, each drawn from
    softmax(z / temperature) (greedy when temperature is 0), seeded."""
    if not prompt:
        raise ValueError("the prompt needs at least one character")
    rng = np.random.default_rng(seed)
    model = result.model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.as_tensor(result.vocab.encode(prompt)[None]))  # (1, T, V)
        z = logits[0, -1].numpy()
        for _ in range(length):
            p = softmax_with_temperature(z, temperature, top_k)
            c = int(rng.choice(len(p), p=p)) if temperature > 0 else int(np.argmax(p))
            out.append(c)
            logits, state = model(torch.tensor([[c]]), state)  # (1, 1, V)
            z = logits[0, -1].numpy()
    return result.vocab.decode(out)
