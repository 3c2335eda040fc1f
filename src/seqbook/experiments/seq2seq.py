"""Experiments of the sequence-to-sequence and attention chapters.

A GRU encoder-decoder in PyTorch, with or without Bahdanau additive attention, trained on a
toy copy task of variable length (the source sequence must be reproduced, the shape of
translation without the vocabulary), and beam search.

- Without attention (Cho et al. 2014, "RNN Encoder-Decoder"): the encoder's summary c is the
  only thing the decoder knows about the source; it initialises the decoder state and is
  fed to the decoder at every step.
- With attention (Bahdanau, Cho & Bengio 2014, "RNNsearch"): a bidirectional encoder gives
  one annotation h_j per source position, and at every decoder step i

      e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j),   α_ij = softmax_j(e_ij),   c_i = Σ_j α_ij h_j

  The two models are otherwise identical (same encoder, same decoder, same sizes), so the
  difference in accuracy as the source grows longer is the effect of attention (the shape of
  Bahdanau et al. 2014, Fig. 2).

Data: ``seqbook.tasks.copy_task`` gives the symbols; every batch has one length L drawn
uniformly from [min_len, max_len], so no padding is needed. Vocabulary: 0 = <pad> (unused),
1 .. n_symbols = data, BOS = n_symbols + 1, EOS = n_symbols + 2.

Training the two models takes a few minutes on a loaded CPU, so ``scripts/train_seq2seq.py``
trains them and saves the small weights under ``book/seq2seq/data/``; the chapters load them.

``beam_search`` is model-agnostic (a function from a prefix to next-token log-probabilities),
so the chapter runs it on a hand-written toy model and on the trained network.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from seqbook import tasks


@dataclass
class Seq2SeqConfig:
    """Hyperparameters of the copy-task experiment."""

    n_symbols: int = 8  # data symbols 1..n_symbols
    min_len: int = 3  # shortest source length in training and evaluation
    max_len: int = 24  # longest source length
    embed_size: int = 32  # token embedding size
    hidden_size: int = 64  # decoder state size; each encoder direction has hidden_size // 2
    attention_size: int = 64  # A, hidden size of the additive score's feed-forward net
    batch_size: int = 64  # sequences per step
    steps: int = 3000  # Adam steps
    lr: float = 3e-3  # Adam learning rate
    clip: float = 1.0  # gradient-norm clipping threshold
    seed: int = 0  # torch and numpy seed

    @property
    def vocab_size(self) -> int:
        return self.n_symbols + 3

    @property
    def bos(self) -> int:
        return self.n_symbols + 1

    @property
    def eos(self) -> int:
        return self.n_symbols + 2


def copy_batch(cfg: Seq2SeqConfig, batch_size: int, length: int, rng):
    """A batch of the copy task, all of one length.

    Returns (int64 tensors):
        src: (B, L) the symbols followed by nothing (the encoder reads exactly L tokens);
        tgt_in: (B, L + 1) <bos> y_1 .. y_L, the decoder's input under teacher forcing;
        tgt_out: (B, L + 1) y_1 .. y_L <eos>, what it must predict.
    """
    inputs, _ = tasks.copy_task(batch_size, length, cfg.n_symbols, rng)
    x = torch.from_numpy(inputs[:, :length])  # (B, L) the data symbols
    B = x.shape[0]
    bos = torch.full((B, 1), cfg.bos, dtype=torch.int64)
    eos = torch.full((B, 1), cfg.eos, dtype=torch.int64)
    return x, torch.cat([bos, x], 1), torch.cat([x, eos], 1)


class Seq2Seq(nn.Module):
    """GRU encoder-decoder; ``attention=True`` is Bahdanau et al.'s RNNsearch, False Cho et
    al.'s RNN Encoder-Decoder with the same encoder and decoder.

    Encoder: embedding, bidirectional GRU (hidden_size // 2 per direction), annotations
    h_j = [→h_j; ←h_j] of size hidden_size. Initial decoder state s_0 = tanh(W_s ←h_1) as in
    Bahdanau et al. (the backward state at the first position has read the whole source).
    Without attention the context is c = [→h_L; ←h_1] at every step.

    Decoder step i: s_i = GRU([E y_{i-1}; c_i], s_{i-1}), logits = W_o [s_i; c_i; E y_{i-1}].
    """

    def __init__(self, cfg: Seq2SeqConfig, attention: bool):
        super().__init__()
        self.cfg, self.attention = cfg, attention
        V, E, H, A = cfg.vocab_size, cfg.embed_size, cfg.hidden_size, cfg.attention_size
        self.src_embed = nn.Embedding(V, E)
        self.tgt_embed = nn.Embedding(V, E)
        self.encoder = nn.GRU(E, H // 2, batch_first=True, bidirectional=True)
        self.init_state = nn.Linear(H // 2, H)  # W_s
        self.decoder = nn.GRUCell(E + H, H)
        self.out = nn.Linear(H + H + E, V)  # W_o
        if attention:
            self.W_a = nn.Linear(H, A, bias=False)
            self.U_a = nn.Linear(H, A)
            self.v_a = nn.Linear(A, 1, bias=False)

    def encode(self, src: torch.Tensor):
        """Annotations h (B, L, H), the fixed summary c (B, H) and s_0 (B, H)."""
        h, _ = self.encoder(self.src_embed(src))  # (B, L, H) = [→h_j; ←h_j]
        half = self.cfg.hidden_size // 2
        forward_last, backward_first = h[:, -1, :half], h[:, 0, half:]  # (B, H/2) each
        # s_0 = tanh(W_s ←h_1)
        s0 = torch.tanh(self.init_state(backward_first))  # (B, H)
        c = torch.cat([forward_last, backward_first], -1)  # (B, H)
        return h, c, s0

    def attend(self, s_prev: torch.Tensor, h: torch.Tensor, Uh: torch.Tensor):
        """c_i = Σ_j α_ij h_j with α_i = softmax_j(v_aᵀ tanh(W_a s_{i-1} + U_a h_j))."""
        # e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j)
        e = self.v_a(torch.tanh(self.W_a(s_prev)[:, None, :] + Uh))[..., 0]  # (B, L)
        alpha = torch.softmax(e, dim=-1)  # (B, L)
        c = torch.bmm(alpha[:, None, :], h)[:, 0]  # (B, H)
        return c, alpha

    def step(self, y_prev: torch.Tensor, s_prev: torch.Tensor, enc):
        """One decoder step: logits (B, V), new state (B, H), attention weights (B, L) or None."""
        h, c_fixed, Uh = enc
        emb = self.tgt_embed(y_prev)  # (B, E)
        if self.attention:
            c, alpha = self.attend(s_prev, h, Uh)
        else:
            c, alpha = c_fixed, None
        s = self.decoder(torch.cat([emb, c], -1), s_prev)  # (B, H)
        logits = self.out(torch.cat([s, c, emb], -1))  # (B, V)
        return logits, s, alpha

    def start(self, src: torch.Tensor):
        """Encode ``src``; returns the encoder outputs a decoder step needs and s_0."""
        h, c, s0 = self.encode(src)
        Uh = self.U_a(h) if self.attention else None  # (B, L, A), once per sentence
        return (h, c, Uh), s0

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher forcing: the decoder reads the true previous token. Returns logits
        (B, U, V) and attention weights (B, U, L) (None without attention)."""
        enc, s = self.start(src)
        logits, alphas = [], []
        for i in range(tgt_in.shape[1]):
            out, s, alpha = self.step(tgt_in[:, i], s, enc)
            logits.append(out)
            alphas.append(alpha)
        return torch.stack(logits, 1), (torch.stack(alphas, 1) if self.attention else None)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, max_len: int | None = None):
        """Greedy decoding: feed back the argmax. Returns tokens (B, U) and weights (B, U, L)."""
        enc, s = self.start(src)
        y = torch.full((src.shape[0],), self.cfg.bos, dtype=torch.int64)
        tokens, alphas = [], []
        for _ in range(max_len or src.shape[1] + 1):
            logits, s, alpha = self.step(y, s, enc)
            y = logits.argmax(-1)
            tokens.append(y)
            alphas.append(alpha)
        return torch.stack(tokens, 1), (torch.stack(alphas, 1) if self.attention else None)


def train(cfg: Seq2SeqConfig, attention: bool, log_every: int = 0):
    """Train one model with teacher forcing and cross-entropy; returns (model, losses)."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = Seq2Seq(cfg, attention)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    losses = []
    start = time.perf_counter()
    for step in range(cfg.steps):
        L = int(rng.integers(cfg.min_len, cfg.max_len + 1))
        src, tgt_in, tgt_out = copy_batch(cfg, cfg.batch_size, L, rng)
        logits, _ = model(src, tgt_in)  # (B, L + 1, V)
        loss = nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab_size), tgt_out.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            print(f"attention={attention} step {step + 1}: loss {np.mean(losses[-log_every:]):.3f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    return model, np.array(losses)


@torch.no_grad()
def accuracy_by_length(model: Seq2Seq, lengths, n_samples: int = 200, seed: int = 1):
    """Greedy decoding on fresh copy-task data: token accuracy (fraction of the L symbols
    right, position by position) and sequence accuracy (all L right) per source length."""
    rng = np.random.default_rng(seed)
    token_acc, seq_acc = [], []
    for L in lengths:
        src, _, _ = copy_batch(model.cfg, n_samples, int(L), rng)
        pred, _ = model.greedy(src, max_len=int(L))  # (N, L)
        right = (pred == src).float()
        token_acc.append(right.mean().item())
        seq_acc.append(right.min(1).values.mean().item())
    return np.array(token_acc), np.array(seq_acc)


def save_models(path, cfg: Seq2SeqConfig, models: dict, losses: dict) -> None:
    """Save the config, the ``state_dict`` of each model (float16 halves the file) and the
    training losses to one file."""
    torch.save({"config": asdict(cfg),
                "state_dicts": {k: {n: p.half() for n, p in m.state_dict().items()}
                                for k, m in models.items()},
                "losses": {k: np.asarray(v, dtype=np.float32) for k, v in losses.items()}}, path)


def load_models(path):
    """Inverse of ``save_models``: (cfg, {"plain": Seq2Seq, "attention": Seq2Seq}, losses)."""
    blob = torch.load(path, weights_only=False)
    cfg = Seq2SeqConfig(**blob["config"])
    models = {}
    for name, state in blob["state_dicts"].items():
        model = Seq2Seq(cfg, attention=(name == "attention"))
        model.load_state_dict({n: p.float() for n, p in state.items()})
        models[name] = model.eval()
    return cfg, models, blob["losses"]


# ---------------------------------------------------------------------------------------
# Beam search
# ---------------------------------------------------------------------------------------

def beam_search(next_log_probs, bos: int, eos: int, beam_size: int, max_len: int,
                alpha: float = 0.0):
    """Beam search over a model given as ``next_log_probs(prefix) -> (V,) log p(y | prefix)``.

    Keeps the ``beam_size`` best partial hypotheses by score = Σ log p; a hypothesis that
    emits ``eos`` is finished and leaves the beam. Stops when ``beam_size`` hypotheses have
    finished or after ``max_len`` steps. With ``alpha > 0`` finished hypotheses are ranked by
    the length-normalised score Σ log p / |y|^alpha (Wu et al. 2016 use a variant), which
    removes the bias towards short outputs. ``beam_size=1`` is greedy decoding.

    Returns:
        best: the best finished hypothesis (tokens after bos, with eos) and its score;
        finished: every finished (tokens, log p) pair;
        history: per step, the list of (tokens, log p) kept in the beam, for tables.
    """
    beam = [((bos,), 0.0)]
    finished, history = [], []
    for _ in range(max_len):
        k = beam_size - len(finished)  # the beam shrinks as hypotheses finish
        candidates = []
        for prefix, score in beam:
            logp = np.asarray(next_log_probs(prefix))
            for y in np.argsort(-logp)[:k]:  # only a prefix's top k can survive
                # score(y_1..y_i) = score(y_1..y_{i-1}) + log p(y_i | y_<i, x)
                candidates.append((prefix + (int(y),), score + float(logp[y])))
        candidates.sort(key=lambda c: -c[1])
        beam = []
        for prefix, score in candidates[:k]:
            if prefix[-1] == eos:
                finished.append((prefix[1:], score))
            else:
                beam.append((prefix, score))
        history.append([(p[1:], s) for p, s in candidates[:k]])
        if not beam:
            break
    if not finished:  # nothing ended: return the best unfinished hypotheses
        finished = [(p[1:], s) for p, s in beam]

    def rank(item):
        tokens, score = item
        return score / (len(tokens) ** alpha) if alpha else score

    best = max(finished, key=rank)
    return best, finished, history


def model_log_probs(model: Seq2Seq, src: torch.Tensor):
    """``next_log_probs`` for ``beam_search``: the trained network's distribution of the next
    token given the source (one sequence, shape (L,)) and a prefix (re-run from the start,
    which is simple and fast enough for short outputs)."""
    src = src[None]  # (1, L)

    @torch.no_grad()
    def fn(prefix):
        enc, s = model.start(src)
        for y in prefix:
            logits, s, _ = model.step(torch.tensor([y]), s, enc)
        return torch.log_softmax(logits[0], -1).numpy()

    return fn
