"""Word embeddings in numpy: one-hot codes, latent semantic analysis, CBOW and skip-gram.

- **One-hot** codes: word i of a vocabulary of V words is e_i in R^V; every pair of words is
  equally far apart, so the code says nothing about meaning. An embedding table W (V, d)
  maps e_i to ``e_i @ W = W[i]``, a dense vector.
- **Latent semantic analysis** (Deerwester et al. 1990): the term-document matrix X (V, D),
  X[w, j] = how often word w occurs in document j, is replaced by its best rank-k
  approximation X_k = U_k Σ_k V_k^T (truncated SVD, Eckart & Young 1936); the rows of
  U_k Σ_k are k-dimensional word vectors, words used in the same documents end up close.
- **word2vec** (Mikolov et al. 2013a, "Efficient estimation of word representations in
  vector space"; 2013b, "Distributed representations of words and phrases and their
  compositionality"): two tables, input vectors ``W_in (V, d)`` (v_w, the embeddings kept
  afterwards) and output vectors ``W_out (V, d)`` (v'_w).
  *Skip-gram* predicts each context word o from the centre word c,
  p(o | c) = softmax_o(W_out v_c); *CBOW* predicts the centre word from the mean of its
  context words' input vectors, h = (1/|C|) Σ_{j∈C} v_j, p(c | C) = softmax_c(W_out h).
  *Negative sampling* replaces the V-way softmax by K+1 logistic regressions:
  -log σ(v'_o·h) - Σ_k log σ(-v'_{n_k}·h), the n_k drawn from the unigram distribution
  raised to 3/4.
  Gradients are written by hand (checked against torch autograd in the tests) and training
  is plain minibatch SGD, seeded: a few seconds on a CPU for the built-in corpus.
- **Nearest neighbours** by cosine similarity.

The built-in corpus (``builtin_corpus``) is generated in code from templates over a few
word classes (animals, food, vehicles, people, colours, places), so words of one class share
their contexts and their documents: both LSA and word2vec should place them together.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from seqbook.nn.functional import sigmoid

# ---------------------------------------------------------------------------------------
# The built-in corpus
# ---------------------------------------------------------------------------------------

WORD_CLASSES = {
    "animal": ("cat", "dog", "horse", "cow", "sheep", "goat", "pig", "duck"),
    "food": ("bread", "rice", "soup", "cheese", "apples", "pasta", "cake", "eggs"),
    "vehicle": ("car", "bus", "truck", "train", "bike", "van", "tram", "boat"),
    "person": ("teacher", "doctor", "farmer", "student", "baker", "nurse", "pilot", "lawyer"),
    "colour": ("red", "blue", "green", "yellow", "black", "white", "grey", "brown"),
    "place": ("farm", "field", "river", "town", "garden", "village", "forest", "market"),
}

# Each theme's sentences; {class} slots are filled with a random word of that class.
TEMPLATES = {
    "animals": (
        "the {animal} sleeps in the {place}",
        "the {animal} runs across the {place}",
        "the {person} feeds the {animal}",
        "a {colour} {animal} grazes near the {place}",
        "the young {animal} drinks milk",
        "the {animal} and the {animal} play together",
    ),
    "food": (
        "the {person} eats {food} for breakfast",
        "we cook {food} with {food} tonight",
        "fresh {food} tastes good",
        "she buys {food} at the {place}",
        "the {person} bakes {food} every morning",
        "a plate of {food} is on the table",
    ),
    "traffic": (
        "the {vehicle} stops at the station",
        "the {person} takes the {vehicle} to work",
        "a {colour} {vehicle} is parked outside",
        "the {vehicle} drives through the {place}",
        "the old {vehicle} needs new wheels",
        "the {vehicle} is faster than the {vehicle}",
    ),
    "colours": (
        "the house is painted {colour}",
        "her favourite colour is {colour}",
        "he wears a {colour} coat",
        "the sky turned {colour} and {colour}",
    ),
}


def builtin_corpus(n_documents: int = 120, sentences_per_document: int = 6,
                   seed: int = 0) -> list[list[list[str]]]:
    """A small English corpus generated from ``TEMPLATES`` over ``WORD_CLASSES``.

    Each document has one theme (animals, food, traffic, colours; cycled so every theme gets
    a quarter of the documents) and ``sentences_per_document`` sentences from that theme's
    templates with random words in the slots. The default is 720 sentences of 4 to 8 words,
    about 60 distinct words.

    Returns:
        documents: list of documents, each a list of sentences, each a list of words.
    """
    if n_documents < 1 or sentences_per_document < 1:
        raise ValueError(f"n_documents and sentences_per_document must be >= 1, "
                         f"got {n_documents} and {sentences_per_document}")
    rng = np.random.default_rng(seed)
    themes = list(TEMPLATES)
    documents = []
    for d in range(n_documents):
        templates = TEMPLATES[themes[d % len(themes)]]
        sentences = []
        for _ in range(sentences_per_document):
            words = []
            for token in templates[rng.integers(len(templates))].split():
                if token.startswith("{"):
                    choices = WORD_CLASSES[token.strip("{}")]
                    token = choices[rng.integers(len(choices))]
                words.append(token)
            sentences.append(words)
        documents.append(sentences)
    return documents


def corpus_sentences(documents) -> list[list[str]]:
    """All sentences of ``documents`` in order."""
    return [sentence for document in documents for sentence in document]


# ---------------------------------------------------------------------------------------
# Vocabulary and one-hot codes
# ---------------------------------------------------------------------------------------

def build_vocab(sentences, min_count: int = 1) -> tuple[list[str], dict[str, int]]:
    """The words occurring at least ``min_count`` times, most frequent first (ties
    alphabetical), and the index of each word."""
    counts = Counter(w for s in sentences for w in s)
    words = sorted((w for w, c in counts.items() if c >= min_count),
                   key=lambda w: (-counts[w], w))
    return words, {w: i for i, w in enumerate(words)}


def one_hot_encode(words, index: dict[str, int]) -> np.ndarray:
    """One-hot codes (n, V) of ``words`` in the vocabulary ``index``: row i is e_{index[w_i]}.
    ``one_hot_encode(words, index) @ W`` picks the rows of an embedding table W (V, d)."""
    unknown = [w for w in words if w not in index]
    if unknown:
        raise ValueError(f"words {unknown[:5]} are not in the vocabulary")
    out = np.zeros((len(words), len(index)))
    out[np.arange(len(words)), [index[w] for w in words]] = 1
    return out


def encode_sentences(sentences, index: dict[str, int]) -> list[np.ndarray]:
    """Sentences of words -> arrays of word ids (words not in ``index`` are dropped)."""
    return [np.array([index[w] for w in s if w in index], dtype=np.int64) for s in sentences]


# ---------------------------------------------------------------------------------------
# Latent semantic analysis
# ---------------------------------------------------------------------------------------

def term_document_matrix(documents, index: dict[str, int] | None = None,
                         weighting: str = "count") -> tuple[np.ndarray, dict[str, int]]:
    """X (V, D): X[w, j] = number of times word w occurs in document j.

    Args:
        documents: list of documents, each a list of sentences (lists of words) or a flat
            list of words.
        index: the vocabulary (built from the documents when None); other words are ignored.
        weighting: ``"count"``, or ``"tfidf"``: X[w, j] · log(D / df_w) with df_w the number
            of documents containing w (words in every document get weight 0).

    Returns:
        X (V, D) float64 and the vocabulary index.
    """
    flat = [[w for item in doc for w in ([item] if isinstance(item, str) else item)]
            for doc in documents]
    if index is None:
        _, index = build_vocab(flat)
    X = np.zeros((len(index), len(flat)))
    for j, doc in enumerate(flat):
        for w in doc:
            if w in index:
                X[index[w], j] += 1
    if weighting == "tfidf":
        df = (X > 0).sum(axis=1, keepdims=True)  # (V, 1)
        # idf_w = log(D / df_w)
        X = X * np.log(len(flat) / np.maximum(df, 1))
    elif weighting != "count":
        raise ValueError(f"weighting must be 'count' or 'tfidf', got {weighting!r}")
    return X, index


@dataclass
class LSA:
    """A rank-k factorisation X ≈ U_k diag(S_k) Vt_k."""
    U: np.ndarray  # (V, k) left singular vectors (terms)
    S: np.ndarray  # (k,) singular values, descending
    Vt: np.ndarray  # (k, D) right singular vectors (documents)

    @property
    def word_vectors(self) -> np.ndarray:
        """(V, k) word vectors U_k Σ_k."""
        return self.U * self.S

    @property
    def document_vectors(self) -> np.ndarray:
        """(D, k) document vectors V_k Σ_k."""
        return self.Vt.T * self.S

    def reconstruction(self) -> np.ndarray:
        """X_k = U_k Σ_k V_k^T (V, D), the best rank-k approximation of X in Frobenius and
        spectral norm (Eckart & Young 1936)."""
        return (self.U * self.S) @ self.Vt


def latent_semantic_analysis(X: np.ndarray, k: int) -> LSA:
    """Truncated SVD of the term-document matrix (Deerwester et al. 1990):
    X = U Σ V^T (``numpy.linalg.svd``, singular values descending), keep the first k.

    Args:
        X: (V, D) term-document matrix.
        k: the rank, 1 <= k <= min(V, D).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a (V, D) term-document matrix, got shape {X.shape}")
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= min(X.shape):
        raise ValueError(f"k must be an int in [1, min(V, D)] = [1, {min(X.shape)}], got {k!r}")
    U, S, Vt = np.linalg.svd(X, full_matrices=False)  # (V, r), (r,), (r, D)
    return LSA(U[:, :k].copy(), S[:k].copy(), Vt[:k].copy())


# ---------------------------------------------------------------------------------------
# Nearest neighbours
# ---------------------------------------------------------------------------------------

def cosine_similarity(A: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """cos(a_i, b_j) = a_i·b_j / (|a_i| |b_j|) for rows of A (n, d) and B (m, d) -> (n, m);
    zero vectors have similarity 0 with everything."""
    A = np.asarray(A, dtype=np.float64)
    B = A if B is None else np.asarray(B, dtype=np.float64)
    na = np.linalg.norm(A, axis=1, keepdims=True)
    nb = np.linalg.norm(B, axis=1, keepdims=True)
    return (A / np.where(na == 0, 1, na)) @ (B / np.where(nb == 0, 1, nb)).T


def nearest_neighbours(word: str, words, vectors: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words whose vectors have the highest cosine similarity with ``word``'s
    (excluding the word itself), most similar first, as (word, similarity)."""
    words = list(words)
    if word not in words:
        raise ValueError(f"{word!r} is not in the vocabulary")
    vectors = np.asarray(vectors)
    if vectors.shape[0] != len(words):
        raise ValueError(f"vectors must have one row per word, {len(words)}, "
                         f"got shape {vectors.shape}")
    i = words.index(word)
    sims = cosine_similarity(vectors[i:i + 1], vectors)[0]  # (V,)
    sims[i] = -np.inf
    order = np.argsort(-sims, kind="stable")[:k]
    return [(words[j], float(sims[j])) for j in order]


# ---------------------------------------------------------------------------------------
# word2vec: training examples
# ---------------------------------------------------------------------------------------

def skipgram_pairs(sentences_ids, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(centre, context) pairs: every word with every word at most ``window`` positions
    away in the same sentence. Returns centres (N,), contexts (N,) int64."""
    centres, contexts = [], []
    for s in sentences_ids:
        for t in range(len(s)):
            for u in range(max(0, t - window), min(len(s), t + window + 1)):
                if u != t:
                    centres.append(s[t])
                    contexts.append(s[u])
    return np.array(centres, dtype=np.int64), np.array(contexts, dtype=np.int64)


def cbow_examples(sentences_ids, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(context window, centre) examples for CBOW. Returns contexts (N, 2 window) int64
    padded with -1 where the window leaves the sentence, and centres (N,); words without
    any context (one-word sentences) are skipped."""
    rows, centres = [], []
    for s in sentences_ids:
        for t in range(len(s)):
            ctx = [s[u] for u in range(t - window, t + window + 1)
                   if u != t and 0 <= u < len(s)]
            if ctx:
                rows.append(ctx + [-1] * (2 * window - len(ctx)))
                centres.append(s[t])
    return (np.array(rows, dtype=np.int64).reshape(-1, 2 * window),
            np.array(centres, dtype=np.int64))


def negative_sampling_distribution(counts, power: float = 0.75) -> np.ndarray:
    """P_n(w) ∝ count(w)^{3/4} (Mikolov et al. 2013b), a probability vector (V,)."""
    p = np.asarray(counts, dtype=np.float64) ** power
    return p / p.sum()


# ---------------------------------------------------------------------------------------
# word2vec: losses and their gradients
# ---------------------------------------------------------------------------------------

def _check_w2v_params(params) -> tuple[int, int]:
    for name in ("W_in", "W_out"):
        if name not in params:
            raise ValueError(f"params is missing '{name}'; expected W_in (V, d) and W_out (V, d)")
    if params["W_in"].ndim != 2 or params["W_in"].shape != params["W_out"].shape:
        raise ValueError(f"params W_in and W_out must both have shape (V, d), got "
                         f"{params['W_in'].shape} and {params['W_out'].shape}")
    return params["W_in"].shape


def _output_loss(h: np.ndarray, targets: np.ndarray, W_out: np.ndarray, negatives):
    """The loss of predicting ``targets`` from hidden vectors ``h`` (N, d), averaged over N,
    with dL/dh and dL/dW_out. Full softmax when ``negatives`` is None, else negative
    sampling with ``negatives`` (N, K)."""
    N = h.shape[0]
    dW_out = np.zeros_like(W_out)
    if negatives is None:
        scores = h @ W_out.T  # (N, V)
        # log p(o | h) = s_o - logsumexp(s)
        m = scores.max(axis=1, keepdims=True)
        e = np.exp(scores - m)
        Z = e.sum(axis=1, keepdims=True)
        log_p = scores - m - np.log(Z)  # (N, V)
        loss = -log_p[np.arange(N), targets].mean()
        # through the softmax cross-entropy: dL/ds = (softmax(s) - e_o) / N
        dscores = e / Z
        dscores[np.arange(N), targets] -= 1
        dscores /= N
        # through s = h W_out^T: into h and W_out
        dh = dscores @ W_out  # (N, d)
        dW_out = dscores.T @ h  # (V, d)
        return loss, dh, dW_out
    u_pos = W_out[targets]  # (N, d)
    u_neg = W_out[negatives]  # (N, K, d)
    s_pos = np.sum(h * u_pos, axis=1)  # (N,)
    s_neg = np.einsum("nkd,nd->nk", u_neg, h)  # (N, K)
    # L = mean_n [ -log σ(s_pos) - Σ_k log σ(-s_neg_k) ],  -log σ(x) = log(1 + e^{-x})
    loss = (np.logaddexp(0, -s_pos).sum() + np.logaddexp(0, s_neg).sum()) / N
    # through -log σ(s_pos): σ(s_pos) - 1; through -log σ(-s_neg): σ(s_neg)
    ds_pos = (sigmoid(s_pos) - 1) / N  # (N,)
    ds_neg = sigmoid(s_neg) / N  # (N, K)
    # through the dot products: into h and the output vectors
    dh = ds_pos[:, None] * u_pos + np.einsum("nk,nkd->nd", ds_neg, u_neg)  # (N, d)
    np.add.at(dW_out, targets, ds_pos[:, None] * h)
    np.add.at(dW_out, negatives, ds_neg[:, :, None] * h[:, None, :])
    return loss, dh, dW_out


def skipgram_loss(params: dict[str, np.ndarray], centres, contexts, negatives=None):
    """Skip-gram loss and its gradient (Mikolov et al. 2013a, b), averaged over the pairs.

    Full softmax: L = -(1/N) Σ_n log softmax(W_out v_{c_n})[o_n].
    Negative sampling: L = (1/N) Σ_n [ -log σ(v'_{o_n}·v_{c_n})
                                       - Σ_k log σ(-v'_{n_nk}·v_{c_n}) ].

    Args:
        params: ``W_in (V, d)`` (v) and ``W_out (V, d)`` (v').
        centres, contexts: (N,) word ids, the pairs of ``skipgram_pairs``.
        negatives: None for the full softmax, else (N, K) ids of negative samples.

    Returns:
        loss (float) and grads ``{"W_in": (V, d), "W_out": (V, d)}``.
    """
    V, d = _check_w2v_params(params)
    centres, contexts = np.asarray(centres), np.asarray(contexts)
    if centres.ndim != 1 or centres.shape != contexts.shape or centres.size == 0:
        raise ValueError(f"centres and contexts must both have shape (N,), N >= 1, got "
                         f"{centres.shape} and {contexts.shape}")
    if negatives is not None and np.shape(negatives)[:1] != centres.shape:
        raise ValueError(f"negatives must have shape (N, K) with N = {len(centres)}, "
                         f"got {np.shape(negatives)}")
    h = params["W_in"][centres]  # (N, d): v_c
    loss, dh, dW_out = _output_loss(h, contexts, params["W_out"], negatives)
    # through h = W_in[c]: into the centre words' rows
    dW_in = np.zeros_like(params["W_in"])
    np.add.at(dW_in, centres, dh)
    return float(loss), {"W_in": dW_in, "W_out": dW_out}


def cbow_loss(params: dict[str, np.ndarray], contexts, centres, negatives=None):
    """CBOW loss and its gradient (Mikolov et al. 2013a), averaged over the examples.

    h_n = (1/|C_n|) Σ_{j∈C_n} v_j, the mean of the context words' input vectors; then the
    centre word is predicted from h_n by full softmax or negative sampling, as skip-gram
    predicts a context word from v_c.

    Args:
        params: ``W_in (V, d)`` and ``W_out (V, d)``.
        contexts: (N, 2w) context ids, -1 = no word (``cbow_examples``); every row needs
            one word at least.
        centres: (N,) the words to predict.
        negatives: None for the full softmax, else (N, K) negative ids.

    Returns:
        loss (float) and grads ``{"W_in", "W_out"}``.
    """
    V, d = _check_w2v_params(params)
    contexts, centres = np.asarray(contexts), np.asarray(centres)
    if contexts.ndim != 2 or contexts.shape[0] != centres.shape[0] or centres.ndim != 1 \
            or centres.size == 0:
        raise ValueError(f"contexts must have shape (N, 2w) and centres (N,), N >= 1, got "
                         f"{contexts.shape} and {centres.shape}")
    if negatives is not None and np.shape(negatives)[:1] != centres.shape:
        raise ValueError(f"negatives must have shape (N, K) with N = {len(centres)}, "
                         f"got {np.shape(negatives)}")
    mask = (contexts >= 0).astype(np.float64)  # (N, 2w)
    count = mask.sum(axis=1, keepdims=True)  # (N, 1) = |C_n|
    if (count == 0).any():
        raise ValueError("every row of contexts needs at least one word (id >= 0)")
    ids = np.where(contexts >= 0, contexts, 0)
    # h = (1/|C|) Σ_j v_j
    h = np.einsum("nj,njd->nd", mask, params["W_in"][ids]) / count  # (N, d)
    loss, dh, dW_out = _output_loss(h, centres, params["W_out"], negatives)
    # through the mean: each context word receives dh / |C|
    dW_in = np.zeros_like(params["W_in"])
    np.add.at(dW_in, ids, (mask / count)[:, :, None] * dh[:, None, :])
    return float(loss), {"W_in": dW_in, "W_out": dW_out}


# ---------------------------------------------------------------------------------------
# word2vec: training
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word2VecConfig:
    """Hyperparameters of ``train_word2vec``."""
    model: str = "skipgram"  # "skipgram" or "cbow"
    loss: str = "negative"  # "softmax" (full V-way softmax) or "negative" (negative sampling)
    dim: int = 20  # d, the size of the word vectors
    window: int = 2  # context words on each side of the centre word
    n_negative: int = 5  # K negative samples per example (loss="negative")
    epochs: int = 10  # passes over the shuffled examples
    batch_size: int = 32  # examples per SGD step
    lr: float = 1.0  # initial learning rate of the batch-mean loss (1/32 per example), decayed
    # linearly to lr/100 as in word2vec's C code
    seed: int = 0  # initialisation, shuffling and negative samples


@dataclass
class Word2VecResult:
    """Trained word2vec tables and the training curve."""
    words: list[str]  # the vocabulary, id order
    index: dict[str, int]  # word -> id
    W_in: np.ndarray  # (V, d) input vectors: the word embeddings
    W_out: np.ndarray  # (V, d) output vectors
    losses: list[float] = field(default_factory=list)  # mean training loss of each epoch
    initial_loss: float = float("nan")  # the loss of the initial tables on all examples

    def neighbours(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """Nearest neighbours of ``word`` by cosine similarity of the input vectors."""
        return nearest_neighbours(word, self.words, self.W_in, k)


def train_word2vec(sentences, config: Word2VecConfig = Word2VecConfig()) -> Word2VecResult:
    """Train skip-gram or CBOW with minibatch SGD and the hand-written gradients of
    ``skipgram_loss`` / ``cbow_loss``.

    Initialisation as word2vec's C code: W_in ~ U(-0.5/d, 0.5/d), W_out = 0. Negative samples
    are drawn fresh for every batch from P_n(w) ∝ count(w)^{3/4}. All randomness comes from
    ``np.random.default_rng(config.seed)``.

    Args:
        sentences: list of sentences, each a list of words.
        config: the hyperparameters.
    """
    if config.model not in ("skipgram", "cbow"):
        raise ValueError(f"config.model must be 'skipgram' or 'cbow', got {config.model!r}")
    if config.loss not in ("softmax", "negative"):
        raise ValueError(f"config.loss must be 'softmax' or 'negative', got {config.loss!r}")
    words, index = build_vocab(sentences)
    if not words:
        raise ValueError("sentences contain no words")
    ids = encode_sentences(sentences, index)
    if config.model == "skipgram":
        inputs, targets = skipgram_pairs(ids, config.window)
        loss_fn = skipgram_loss
    else:
        inputs, targets = cbow_examples(ids, config.window)
        loss_fn = cbow_loss
    N = len(targets)
    if N == 0:
        raise ValueError("no training examples: every sentence has a single word")
    rng = np.random.default_rng(config.seed)
    V, d = len(words), config.dim
    params = {"W_in": rng.uniform(-0.5 / d, 0.5 / d, (V, d)), "W_out": np.zeros((V, d))}
    counts = Counter(w for s in sentences for w in s)
    # inverse-CDF sampling from P_n: the first w with cdf[w] > u, u ~ U(0, 1)
    cdf = np.cumsum(negative_sampling_distribution([counts[w] for w in words]))

    def draw_negatives(n):
        if config.loss == "softmax":
            return None
        u = rng.random((n, config.n_negative))
        return np.minimum(np.searchsorted(cdf, u, side="right"), V - 1)

    result = Word2VecResult(words, index, params["W_in"], params["W_out"])
    result.initial_loss = loss_fn(params, inputs, targets, draw_negatives(N))[0]
    steps = config.epochs * int(np.ceil(N / config.batch_size))
    step = 0
    for _ in range(config.epochs):
        order = rng.permutation(N)
        total = 0.0
        for start in range(0, N, config.batch_size):
            batch = order[start:start + config.batch_size]
            # linearly decaying learning rate
            lr = config.lr * max(1 - step / steps, 0.01)
            loss, grads = loss_fn(params, inputs[batch], targets[batch],
                                  draw_negatives(len(batch)))
            # SGD on the batch mean: θ ← θ - lr ∇L
            for name in params:
                params[name] -= lr * grads[name]
            total += loss * len(batch)
            step += 1
        result.losses.append(total / N)
    return result
