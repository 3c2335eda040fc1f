"""A tiny BERT pre-trained with masked LM and next sentence prediction (chapter "BERT").

The corpus is generated in code: documents about a river and documents about money, both
using the ambiguous word "bank" ("the boat drifts towards the muddy bank" / "the bank lends
money to the farmer"), mixed with documents of ``seqbook.nn.embeddings.builtin_corpus``.
Inputs, masking and losses come from ``seqbook.nn.bert`` (``make_nsp_examples``,
``build_bert_inputs``, ``mask_tokens``, ``mlm_loss``, ``nsp_loss``); the model is PyTorch:
learned token + segment + position embeddings and a layer norm (BERT's input
representation), a post-norm ``nn.TransformerEncoder`` with GELU, an MLM head tied to the
token embedding and an NSP head on [CLS] (Devlin et al. 2019, with about 2000 times fewer
parameters than BERT-base).

``contextual_vectors`` reads the final hidden state at every occurrence of a word, so the
two senses of "bank" can be compared with the single static vector word2vec gives it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from seqbook.nn import bert
from seqbook.nn.embeddings import WORD_CLASSES, builtin_corpus

AMBIGUOUS = "bank"
SENSE_TEMPLATES = {
    "river": (
        "the {animal} sleeps on the bank of the river",
        "we sit on the grassy bank and watch the water",
        "the boat drifts towards the muddy bank",
        "fish swim near the bank of the river",
        "the {person} walks along the river bank",
        "the water rises over the bank after the rain",
        "the river flows past the old mill",
        "the water is cold and clear",
    ),
    "money": (
        "the {person} puts money in the bank",
        "the bank lends money to the {person}",
        "she opens an account at the bank",
        "the bank pays interest on savings",
        "he takes cash from the bank",
        "the {person} asks the bank for a loan",
        "the {person} saves money every month",
        "interest rates are high this year",
    ),
}


def _fill(template: str, rng: np.random.Generator) -> list[str]:
    words = []
    for token in template.split():
        if token.startswith("{"):
            choices = WORD_CLASSES[token.strip("{}")]
            token = choices[rng.integers(len(choices))]
        words.append(token)
    return words


def bank_corpus(n_documents: int = 80, sentences_per_document: int = 6, n_builtin: int = 40,
                seed: int = 0) -> tuple[list[list[list[str]]], list[str]]:
    """Documents alternating between the river and the money sense, plus ``n_builtin``
    documents of the built-in corpus. Returns (documents, the theme of each document:
    "river", "money" or "other")."""
    rng = np.random.default_rng(seed)
    documents, themes = [], []
    for d in range(n_documents):
        theme = ("river", "money")[d % 2]
        templates = SENSE_TEMPLATES[theme]
        documents.append([_fill(templates[rng.integers(len(templates))], rng)
                          for _ in range(sentences_per_document)])
        themes.append(theme)
    if n_builtin:
        documents += builtin_corpus(n_builtin, sentences_per_document, seed=seed + 1000)
        themes += ["other"] * n_builtin
    return documents, themes


class Vocab:
    """Words <-> ids; ids 0..4 are BERT's special tokens (PAD, UNK, CLS, SEP, MASK)."""
    SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

    def __init__(self, documents):
        words = sorted({w for doc in documents for s in doc for w in s})
        self.words = list(self.SPECIAL) + words
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, sentence) -> list[int]:
        return [self.index.get(w, bert.UNK) for w in sentence]

    def decode(self, ids) -> list[str]:
        return [self.words[int(i)] for i in ids]


@dataclass(frozen=True)
class TinyBertConfig:
    """Hyperparameters of ``pretrain_tiny_bert``."""
    d_model: int = 48  # E, hidden size (BERT-base: 768)
    nhead: int = 2  # attention heads (BERT-base: 12)
    num_layers: int = 2  # encoder layers (BERT-base: 12)
    dim_feedforward: int = 96  # FFN hidden size (BERT-base: 3072)
    max_len: int = 24  # positions, [CLS] A [SEP] B [SEP] truncated to this
    steps: int = 400  # Adam steps
    batch_size: int = 32  # sentence pairs per step
    lr: float = 2e-3  # Adam learning rate
    mlm_probability: float = 0.15  # BERT's 15 %
    nsp: bool = True  # also train next sentence prediction
    all_mask: bool = False  # ablation (Devlin et al. 2019, table 8): every selected token -> [MASK]
    seed: int = 0  # initialisation, masking and pairs


class TinyBert(nn.Module):
    """Embeddings (token + segment + learned position, LayerNorm) -> encoder -> MLM and NSP
    heads, the parameter layout of BERT at toy size."""

    def __init__(self, vocab_size: int, config: TinyBertConfig):
        super().__init__()
        E = config.d_model
        self.word_embeddings = nn.Embedding(vocab_size, E)
        self.position_embeddings = nn.Embedding(config.max_len, E)
        self.token_type_embeddings = nn.Embedding(2, E)
        self.emb_norm = nn.LayerNorm(E, eps=1e-12)
        for emb in (self.word_embeddings, self.position_embeddings, self.token_type_embeddings):
            nn.init.normal_(emb.weight, std=0.02)  # BERT's initializer_range
        layer = nn.TransformerEncoderLayer(E, config.nhead, config.dim_feedforward, dropout=0.0,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.num_layers, enable_nested_tensor=False)
        # MLM head: u = LayerNorm(gelu(W_d h + b_d)); z = W_tok u + b (tied decoder)
        self.mlm_dense = nn.Linear(E, E)
        self.mlm_norm = nn.LayerNorm(E, eps=1e-12)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab_size))
        # NSP head: p = tanh(W_p h_[CLS] + b_p); z = W_s p + b_s
        self.pooler = nn.Linear(E, E)
        self.seq_relationship = nn.Linear(E, 2)

    def hidden(self, input_ids, token_type_ids, attention_mask):
        """Final hidden states (B, T, E)."""
        T = input_ids.shape[1]
        # e = LayerNorm(W_tok[x] + W_seg[s] + W_pos[t])
        e = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings.weight[:T])
        return self.encoder(self.emb_norm(e), src_key_padding_mask=attention_mask == 0)

    def forward(self, input_ids, token_type_ids, attention_mask):
        h = self.hidden(input_ids, token_type_ids, attention_mask)  # (B, T, E)
        u = self.mlm_norm(nn.functional.gelu(self.mlm_dense(h)))
        mlm_logits = u @ self.word_embeddings.weight.T + self.mlm_bias  # (B, T, V)
        nsp_logits = self.seq_relationship(torch.tanh(self.pooler(h[:, 0])))  # (B, 2)
        return mlm_logits, nsp_logits


def make_pairs(documents, vocab: Vocab, max_len: int, rng: np.random.Generator) -> dict:
    """NSP examples of ``bert.make_nsp_examples`` as arrays of ``bert.build_bert_inputs``."""
    encoded = [[vocab.encode(s) for s in doc] for doc in documents]
    examples = bert.make_nsp_examples(encoded, rng)
    rows = [bert.build_bert_inputs(a, b, max_len) for a, b, _ in examples]
    batch = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
    batch["is_next"] = np.array([n for _, _, n in examples], dtype=np.int64)
    return batch


def _torch(batch: dict, index=None) -> dict:
    return {k: torch.from_numpy(v if index is None else v[index]) for k, v in batch.items()}


@dataclass
class TinyBertResult:
    """The pre-trained model and what was measured."""
    config: TinyBertConfig
    model: TinyBert
    vocab: Vocab
    mlm_losses: list[float] = field(default_factory=list)  # training MLM loss per step
    nsp_losses: list[float] = field(default_factory=list)  # training NSP loss per step
    unigram_loss: float = float("nan")  # held-out cross-entropy of the unigram distribution
    test_mlm_loss: float = float("nan")  # held-out MLM loss (``bert.mlm_loss``)
    test_mlm_accuracy: float = float("nan")  # held-out accuracy at masked positions
    test_nsp_accuracy: float = float("nan")  # held-out NSP accuracy
    seconds: float = float("nan")


def pretrain_tiny_bert(config: TinyBertConfig = TinyBertConfig(), corpus_seed: int = 0,
                       n_documents: int = 80, n_builtin: int = 40) -> TinyBertResult:
    """Pre-train ``TinyBert`` on ``bank_corpus`` with MLM (+ NSP), then evaluate on a
    held-out corpus drawn with another seed. Seeded, CPU."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    train_docs, _ = bank_corpus(n_documents, n_builtin=n_builtin, seed=corpus_seed)
    test_docs, _ = bank_corpus(max(n_documents // 4, 2), n_builtin=max(n_builtin // 4, 0),
                               seed=corpus_seed + 1)
    vocab = Vocab(train_docs)
    V = len(vocab)
    train = make_pairs(train_docs, vocab, config.max_len, rng)
    model = TinyBert(V, config)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    result = TinyBertResult(config, model, vocab)
    N = len(train["is_next"])
    start = time.perf_counter()
    for _ in range(config.steps):
        idx = rng.integers(N, size=config.batch_size)
        # fresh masks every step (BERT's "dynamic masking" is RoBERTa's; same idea)
        masked, labels = bert.mask_tokens(train["input_ids"][idx], V, rng, config.mlm_probability)
        if config.all_mask:  # 100 % [MASK] instead of 80/10/10; the same random draws
            masked[labels != bert.IGNORE_INDEX] = bert.MASK
        b = _torch(train, idx)
        mlm_logits, nsp_logits = model(torch.from_numpy(masked), b["token_type_ids"],
                                       b["attention_mask"])
        mlm = nn.functional.cross_entropy(mlm_logits.reshape(-1, V),
                                          torch.from_numpy(labels).reshape(-1), ignore_index=-100)
        nsp = nn.functional.cross_entropy(nsp_logits, b["is_next"])
        loss = mlm + nsp if config.nsp else mlm
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        result.mlm_losses.append(mlm.item())
        result.nsp_losses.append(nsp.item())
    result.seconds = time.perf_counter() - start
    model.eval()
    # held-out evaluation with a fixed masking
    test = make_pairs(test_docs, vocab, config.max_len, np.random.default_rng(123))
    masked, labels = bert.mask_tokens(test["input_ids"], V, np.random.default_rng(7), 0.15)
    with torch.no_grad():
        mlm_logits, nsp_logits = model(torch.from_numpy(masked),
                                       torch.from_numpy(test["token_type_ids"]),
                                       torch.from_numpy(test["attention_mask"]))
    mlm_logits, nsp_logits = mlm_logits.numpy().astype(np.float64), nsp_logits.numpy()
    result.test_mlm_loss = bert.mlm_loss(mlm_logits, labels)
    sel = labels != bert.IGNORE_INDEX
    result.test_mlm_accuracy = float((mlm_logits.argmax(-1)[sel] == labels[sel]).mean())
    result.test_nsp_accuracy = float((nsp_logits.argmax(-1) == test["is_next"]).mean())
    result.unigram_loss = unigram_cross_entropy(train_docs, vocab, labels[sel])
    return result


def unigram_cross_entropy(documents, vocab: Vocab, targets) -> float:
    """Cross-entropy of the training unigram distribution (add-one smoothed) on ``targets``:
    the loss of a model that ignores the context."""
    counts = np.ones(len(vocab))
    counts[:bert.NUM_SPECIAL] = 0
    for doc in documents:
        for s in doc:
            np.add.at(counts, vocab.encode(s), 1)
    p = counts / counts.sum()
    return float(-np.log(p[np.asarray(targets)]).mean())


def contextual_vectors(model: TinyBert, vocab: Vocab, sentences, word: str = AMBIGUOUS,
                       max_len: int = 24) -> tuple[np.ndarray, list[int]]:
    """The final hidden state at the first occurrence of ``word`` in each sentence that has
    it, each sentence encoded alone as ``[CLS] sentence [SEP]``.

    Returns:
        vectors (n, E) and the indices of the sentences used.
    """
    rows, positions, used = [], [], []
    for i, s in enumerate(sentences):
        if word in s:
            rows.append(bert.build_bert_inputs(vocab.encode(s), None, max_len))
            positions.append(1 + s.index(word))  # +1 for [CLS]
            used.append(i)
    batch = _torch({k: np.stack([r[k] for r in rows]) for k in rows[0]})
    with torch.no_grad():
        h = model.hidden(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"])
    return h[torch.arange(len(rows)), torch.tensor(positions)].numpy(), used


def nearest_centroid_accuracy(X: np.ndarray, y) -> float:
    """Leave-one-out nearest-centroid accuracy (cosine) of labels ``y`` from vectors ``X``:
    1.0 = the senses are perfectly separated, 0.5 = chance for two balanced senses. Ties (all
    vectors equal, as for a static embedding) count as half right."""
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    y = np.asarray(y)
    classes = np.unique(y)
    score = 0.0
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        sims = np.array([X[i] @ X[keep & (y == c)].mean(0) for c in classes])
        best = np.flatnonzero(np.isclose(sims, sims.max()))
        score += (classes[best] == y[i]).mean()
    return score / len(y)


def predict_masked(model: TinyBert, vocab: Vocab, sentence: list[str], position: int,
                   k: int = 5, max_len: int = 24) -> list[tuple[str, float]]:
    """Replace ``sentence[position]`` by [MASK] and return the model's top-k words."""
    ids = vocab.encode(sentence)
    ids[position] = bert.MASK
    b = _torch({k_: v[None] for k_, v in bert.build_bert_inputs(ids, None, max_len).items()})
    with torch.no_grad():
        logits, _ = model(b["input_ids"], b["token_type_ids"], b["attention_mask"])
    p = torch.softmax(logits[0, 1 + position], -1).numpy()
    p[:bert.NUM_SPECIAL] = 0
    top = np.argsort(-p)[:k]
    return [(vocab.words[i], float(p[i])) for i in top]
