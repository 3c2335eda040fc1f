"""BERT's pre-training machinery in numpy: inputs, masking, embeddings, heads and losses.

Follows Devlin et al. (2019), "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding", and Google's original ``create_pretraining_data.py`` /
``run_classifier.py``; the parameter names are those of HuggingFace's ``BertEmbeddings``,
``BertLMPredictionHead`` and ``BertPooler`` + ``seq_relationship`` state_dicts, so trained
weights can be copied in. The Transformer encoder between the embeddings and the heads lives
in ``seqbook.nn.transformer``.

Token ids (the assignment ``bert_masking`` uses the same ones):

    PAD=0, UNK=1, CLS=2, SEP=3, MASK=4; ordinary tokens are 5 .. vocab_size-1.

Pre-training sees a pair of segments ``[CLS] A [SEP] B [SEP]`` and learns two tasks:

- masked language modelling (MLM): 15 % of the ordinary positions are selected; of those
  80 % become [MASK], 10 % a random token, 10 % stay; the model predicts the original token
  at the selected positions only (labels -100 elsewhere, PyTorch's ``ignore_index``).
  ``mask_tokens`` selects every position independently with probability 0.15, as
  HuggingFace's ``DataCollatorForLanguageModeling`` does; ``mask_tokens_google`` selects
  exactly ``num_to_predict(n)`` shuffled positions per sequence, as Google's
  ``create_pretraining_data.py`` does;
- next sentence prediction (NSP): is B the sentence that follows A (``is_next=1``) or a
  random sentence from another document (``is_next=0``)? Predicted from [CLS].

Randomness comes only from the ``numpy.random.Generator`` passed in; the global
``np.random`` state is never used, and inputs are never modified in place.
"""
from __future__ import annotations


import numpy as np

from seqbook.nn.functional import gelu, log_softmax
from seqbook.nn.norm import layer_norm

PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
SPECIAL_IDS = (PAD, UNK, CLS, SEP, MASK)
NUM_SPECIAL = len(SPECIAL_IDS)  # ordinary tokens start here
IGNORE_INDEX = -100  # label of positions without a loss, as torch's cross_entropy ignore_index

EMBEDDING_NAMES = ("word_embeddings.weight", "position_embeddings.weight",
                   "token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias")
MLM_HEAD_NAMES = ("transform.dense.weight", "transform.dense.bias",
                  "transform.LayerNorm.weight", "transform.LayerNorm.bias", "bias")
NSP_HEAD_NAMES = ("pooler.dense.weight", "pooler.dense.bias",
                  "seq_relationship.weight", "seq_relationship.bias")


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}; the global np.random state is never used")


def _as_int_array(name: str, a) -> np.ndarray:
    arr = np.asarray(a)
    if arr.size == 0 and arr.dtype.kind == "f":  # an empty list becomes float64
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer token ids, got dtype {arr.dtype}")
    return arr


# ---------------------------------------------------------------------------------------
# Inputs: masking, pairs of segments, NSP examples
# ---------------------------------------------------------------------------------------

def mask_tokens(input_ids, vocab_size: int, rng: np.random.Generator,
                mlm_probability: float = 0.15):
    """Masked-language-model corruption of BERT (Devlin et al. 2019, section 3.1).

    Each position holding an ordinary token (id >= 5; PAD, UNK, CLS, SEP and MASK are never
    selected) is selected independently with probability ``mlm_probability``. A selected
    position becomes [MASK] with probability 0.8, a uniformly random ordinary token
    (5 .. vocab_size-1, possibly the same one) with 0.1, and stays unchanged with 0.1.
    HuggingFace's ``DataCollatorForLanguageModeling`` does the same.

    The generator is always consumed the same way (three draws of ``input_ids.shape``:
    selection, the 80/10/10 choice, the random tokens), so the same generator state gives
    the same result.

    Args:
        input_ids: integer token ids of any shape, e.g. (B, T) or (T,); not modified.
        vocab_size: V, the size of the vocabulary including the 5 special ids (V >= 6).
        rng: ``numpy.random.Generator``, the only source of randomness.
        mlm_probability: selection probability per ordinary position, in [0, 1].

    Returns:
        masked_ids: the corrupted ids, same shape and dtype as ``input_ids``.
        labels: int64, same shape: the original id at selected positions, -100 elsewhere.
    """
    _check_rng(rng)
    ids = _as_int_array("input_ids", input_ids)
    if not (isinstance(vocab_size, (int, np.integer)) and vocab_size > NUM_SPECIAL):
        raise ValueError(f"vocab_size must be an int > {NUM_SPECIAL} (the ids 0..4 are special, "
                         f"ordinary tokens are 5..vocab_size-1), got {vocab_size!r}")
    if not 0.0 <= mlm_probability <= 1.0:
        raise ValueError(f"mlm_probability must lie in [0, 1], got {mlm_probability}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"input_ids must lie in [0, vocab_size) = [0, {vocab_size}), "
                         f"got values in [{ids.min()}, {ids.max()}]")
    # selected_i ~ Bernoulli(p) for ordinary tokens, never for special ones
    selected = (rng.random(ids.shape) < mlm_probability) & (ids >= NUM_SPECIAL)
    # one uniform draw per position decides MASK (u < 0.8), random (0.8 <= u < 0.9) or keep
    u = rng.random(ids.shape)
    random_tokens = rng.integers(NUM_SPECIAL, vocab_size, size=ids.shape)
    labels = np.where(selected, ids, IGNORE_INDEX).astype(np.int64)
    masked_ids = ids.copy()
    masked_ids[selected & (u < 0.8)] = MASK
    to_random = selected & (u >= 0.8) & (u < 0.9)
    masked_ids[to_random] = random_tokens[to_random].astype(ids.dtype)
    return masked_ids, labels


def num_to_predict(n_tokens: int, masked_lm_prob: float = 0.15,
                   max_predictions_per_seq: int = 20) -> int:
    """How many positions Google's ``create_masked_lm_predictions`` masks in a sequence of
    ``n_tokens`` tokens ([CLS] and [SEP] included, padding not):
    ``min(max_predictions_per_seq, max(1, int(round(n_tokens * masked_lm_prob))))``.

    Python's ``round`` rounds halves to even (``round(4.5) == 4``), as in Google's code.
    The defaults are the script's flag defaults (``masked_lm_prob=0.15``,
    ``max_predictions_per_seq=20``).
    """
    return min(max_predictions_per_seq, max(1, int(round(n_tokens * masked_lm_prob))))


def mask_tokens_google(input_ids, vocab_size: int, rng: np.random.Generator,
                       masked_lm_prob: float = 0.15, max_predictions_per_seq: int = 20):
    """Masked-LM corruption as Google's ``create_pretraining_data.py`` does it
    (``create_masked_lm_predictions``, without whole-word masking).

    Unlike ``mask_tokens``, which selects every position independently (so the number of
    selected positions varies from sequence to sequence, and may be 0), each sequence gets
    **exactly** ``num_to_predict(n)`` selected positions, where n is its number of non-PAD
    tokens: the candidate positions are shuffled and the first ``num_to_predict(n)`` are
    taken (fewer only if there are fewer candidates). Each chosen position becomes [MASK]
    if ``u < 0.8``; otherwise it is kept if a second draw is ``< 0.5`` and replaced by a
    random ordinary token if not: 80/10/10, as in Google's code.

    Two deliberate differences from Google's script, shared with ``mask_tokens``:
    candidates are the ordinary tokens only (Google excludes [CLS] and [SEP]; its inputs
    have no [PAD] or [MASK] yet, but an [UNK] could be chosen), and the random replacement
    is an ordinary token (Google draws from its whole vocabulary file, special entries
    included, which with 30 522 entries almost never matters).

    Args:
        input_ids: integer ids, (T,) or (B, T), padded with PAD on the right; not modified.
        vocab_size: V, including the 5 special ids (V >= 6).
        rng: ``numpy.random.Generator``, the only source of randomness.
        masked_lm_prob: the 0.15 of ``num_to_predict``.
        max_predictions_per_seq: the cap of ``num_to_predict`` (20 in Google's script for
            sequences of 128 tokens).

    Returns:
        masked_ids, labels: as ``mask_tokens`` (labels -100 at unselected positions).
    """
    _check_rng(rng)
    ids = _as_int_array("input_ids", input_ids)
    if ids.ndim not in (1, 2):
        raise ValueError(f"input_ids must have shape (T,) or (B, T), got {ids.shape}")
    if not (isinstance(vocab_size, (int, np.integer)) and vocab_size > NUM_SPECIAL):
        raise ValueError(f"vocab_size must be an int > {NUM_SPECIAL}, got {vocab_size!r}")
    if not 0.0 <= masked_lm_prob <= 1.0:
        raise ValueError(f"masked_lm_prob must lie in [0, 1], got {masked_lm_prob}")
    if not isinstance(max_predictions_per_seq, (int, np.integer)) or max_predictions_per_seq < 1:
        raise ValueError(f"max_predictions_per_seq must be an int >= 1, "
                         f"got {max_predictions_per_seq!r}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"input_ids must lie in [0, vocab_size) = [0, {vocab_size}), "
                         f"got values in [{ids.min()}, {ids.max()}]")
    rows = ids.reshape(-1, ids.shape[-1])  # (B, T)
    masked_ids = rows.copy()
    labels = np.full(rows.shape, IGNORE_INDEX, dtype=np.int64)
    for b, row in enumerate(rows):
        n = int((row != PAD).sum())  # len(tokens) in Google's code: [CLS] and [SEP] count
        candidates = np.flatnonzero(row >= NUM_SPECIAL)
        chosen = rng.permutation(candidates)[:num_to_predict(n, masked_lm_prob,
                                                             max_predictions_per_seq)]
        for t in chosen:
            labels[b, t] = row[t]
            if rng.random() < 0.8:  # 80 %: [MASK]
                masked_ids[b, t] = MASK
            elif rng.random() >= 0.5:  # 10 %: a random token (the other 10 % stay)
                masked_ids[b, t] = rng.integers(NUM_SPECIAL, vocab_size)
    return masked_ids.reshape(ids.shape), labels.reshape(ids.shape)


def truncate_seq_pair(tokens_a, tokens_b, max_num_tokens: int):
    """Longest-first truncation: remove one token at a time from the end of the longer
    segment (from B when both are equally long) until ``len(A) + len(B) <= max_num_tokens``.

    This is ``_truncate_seq_pair`` of Google's ``run_classifier.py``; the pre-training
    script's ``truncate_seq_pair`` picks the segment the same way
    (``tokens_a if len(tokens_a) > len(tokens_b) else tokens_b``) but removes from the
    front or the back at random; HuggingFace's ``truncation="longest_first"`` also ends with
    the same lengths. Returns new lists; the inputs are not modified.
    """
    a, b = list(tokens_a), list(tokens_b)
    while len(a) + len(b) > max_num_tokens:
        longer = a if len(a) > len(b) else b
        longer.pop()
    return a, b


def build_bert_inputs(tokens_a, tokens_b, max_len: int) -> dict[str, np.ndarray]:
    """The model inputs for a pair of segments: ``[CLS] A [SEP] B [SEP] [PAD] ...``.

    Token types (segment ids) are 0 for [CLS], A and the first [SEP], 1 for B and the second
    [SEP], and 0 on padding; the attention mask is 1 on real tokens and 0 on padding. When
    ``3 + len(A) + len(B) > max_len`` the pair is truncated longest-first, deterministically:
    one token at a time from the end of the longer segment, from B when both are equally
    long (``truncate_seq_pair``). ``tokens_b=None`` builds a single segment ``[CLS] A [SEP]``.

    Args:
        tokens_a, tokens_b: 1-D sequences of token ids (lists or arrays); not modified.
        max_len: the length of every output, >= 3 (>= 2 without B).

    Returns:
        dict of int64 arrays, each (max_len,): ``input_ids``, ``token_type_ids``,
        ``attention_mask``.
    """
    has_b = tokens_b is not None
    n_special = 3 if has_b else 2
    if not isinstance(max_len, (int, np.integer)) or max_len < n_special:
        raise ValueError(f"max_len must be an int >= {n_special} (room for [CLS]"
                         f"{' and two [SEP]' if has_b else ' and [SEP]'}), got {max_len!r}")
    segments = []
    for name, tokens in (("tokens_a", tokens_a), ("tokens_b", tokens_b if has_b else [])):
        arr = _as_int_array(name, tokens)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be a 1-D sequence of token ids, got shape {arr.shape}")
        if arr.size and arr.min() < 0:
            raise ValueError(f"{name} must hold non-negative token ids, got {arr.min()}")
        segments.append(arr.tolist())
    a, b = truncate_seq_pair(segments[0], segments[1], max_len - n_special)
    tokens = [CLS] + a + [SEP] + (b + [SEP] if has_b else [])
    types = [0] * (len(a) + 2) + ([1] * (len(b) + 1) if has_b else [])
    n = len(tokens)
    input_ids = np.full(max_len, PAD, dtype=np.int64)
    token_type_ids = np.zeros(max_len, dtype=np.int64)
    attention_mask = np.zeros(max_len, dtype=np.int64)
    input_ids[:n] = tokens
    token_type_ids[:n] = types
    attention_mask[:n] = 1
    return {"input_ids": input_ids, "token_type_ids": token_type_ids,
            "attention_mask": attention_mask}


def make_nsp_examples(documents, rng: np.random.Generator) -> list[tuple[list, list, int]]:
    """Sentence pairs for next sentence prediction (Devlin et al. 2019, section 3.1).

    For each document and each pair of consecutive sentences (A, A_next) in it, in order:
    with probability 0.5 the example is ``(A, A_next, 1)``; otherwise ``(A, R, 0)`` with R a
    random sentence of a different document: the document is drawn uniformly among the
    other non-empty documents, then the sentence uniformly within it. (Google's
    ``create_pretraining_data.py`` draws a random document and retries when it hits the
    current one; the distribution is the same.)

    Args:
        documents: a list of documents, each a list of sentences, each a list (or 1-D array)
            of token ids. At least two non-empty documents are needed when some document
            has two sentences. Not modified.
        rng: ``numpy.random.Generator``, the only source of randomness: one ``rng.random()``
            per pair, and two ``rng.integers`` for every random B.

    Returns:
        list of ``(tokens_a, tokens_b, is_next)``, token lists copied as Python lists of int,
        ``is_next`` 1 for the true next sentence and 0 for a random one.
    """
    _check_rng(rng)
    if isinstance(documents, (str, bytes)) or not hasattr(documents, "__len__"):
        raise ValueError("documents must be a list of documents, each a list of sentences "
                         f"(lists of token ids), got {type(documents).__name__}")
    docs = []
    for d, doc in enumerate(documents):
        if isinstance(doc, (str, bytes)) or not hasattr(doc, "__len__"):
            raise ValueError(f"documents[{d}] must be a list of sentences, "
                             f"got {type(doc).__name__}")
        sentences = []
        for s, sentence in enumerate(doc):
            arr = _as_int_array(f"documents[{d}][{s}]", sentence)
            if arr.ndim != 1:
                raise ValueError(f"documents[{d}][{s}] must be a 1-D sequence of token ids, "
                                 f"got shape {arr.shape}")
            sentences.append(arr)
        docs.append(sentences)
    non_empty = [d for d, doc in enumerate(docs) if doc]
    if any(len(doc) >= 2 for doc in docs) and len(non_empty) < 2:
        raise ValueError("make_nsp_examples needs at least two non-empty documents, "
                         f"got {len(non_empty)}: a random B must come from a different document")
    examples = []
    for d, doc in enumerate(docs):
        others = [e for e in non_empty if e != d]
        for i in range(len(doc) - 1):
            if rng.random() < 0.5:
                examples.append((doc[i].tolist(), doc[i + 1].tolist(), 1))
            else:
                other = docs[others[rng.integers(len(others))]]
                examples.append((doc[i].tolist(), other[rng.integers(len(other))].tolist(), 0))
    return examples


# ---------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------

def cross_entropy(logits, labels, ignore_index: int = IGNORE_INDEX) -> float:
    """Mean of -log softmax(logits)[label] over the positions whose label is not
    ``ignore_index``, as ``torch.nn.functional.cross_entropy(logits, labels,
    ignore_index=ignore_index)`` with the default ``reduction="mean"``.

    Args:
        logits: (..., C) unnormalised scores.
        labels: (...) integer class ids in [0, C) or ``ignore_index``.

    Returns:
        a Python float; ``nan`` when every label is ignored (0/0, as torch).
    """
    logits = np.asarray(logits)
    labels = _as_int_array("labels", labels)
    if logits.ndim < 1 or logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits must have shape labels.shape + (C,) = {labels.shape} + (C,), "
                         f"got logits {logits.shape} and labels {labels.shape}")
    C = logits.shape[-1]
    keep = labels != ignore_index
    bad = keep & ((labels < 0) | (labels >= C))
    if bad.any():
        raise ValueError(f"labels must lie in [0, {C}) or equal {ignore_index}, "
                         f"got {labels[bad][0]}")
    if not keep.any():
        return float("nan")
    # -log p(y) = logsumexp(z) - z_y at the kept positions
    logp = log_softmax(logits[keep], axis=-1)  # (N, C)
    nll = -logp[np.arange(logp.shape[0]), labels[keep]]  # (N,)
    return float(nll.mean())


def mlm_loss(logits, labels) -> float:
    """Masked-language-model loss: mean cross-entropy over the positions whose label is not
    -100, equal to ``F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1),
    ignore_index=-100)``.

    Args:
        logits: (B, T, V) (or any (..., V)) scores of the MLM head.
        labels: (B, T) (or (...)) from ``mask_tokens``: original ids at selected positions,
            -100 elsewhere.

    Returns:
        a Python float (``nan`` when no position is labelled, as torch).
    """
    return cross_entropy(logits, labels, IGNORE_INDEX)


def nsp_loss(logits, is_next) -> float:
    """Next-sentence-prediction loss: mean cross-entropy of the 2-way NSP logits, equal to
    ``F.cross_entropy(logits, is_next)``.

    Class 1 means "B follows A", matching ``is_next`` of ``make_nsp_examples``. (Google's
    code and HuggingFace's ``next_sentence_label`` use the opposite: 0 = is next.)

    Args:
        logits: (B, 2) from ``nsp_head``.
        is_next: (B,) integers in {0, 1}.
    """
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[1] != 2:
        raise ValueError(f"logits must have shape (B, 2), got {logits.shape}")
    is_next = _as_int_array("is_next", is_next)
    if is_next.shape != logits.shape[:1]:
        raise ValueError(f"is_next must have shape (B,) = {logits.shape[:1]}, got {is_next.shape}")
    if np.any((is_next != 0) & (is_next != 1)):
        raise ValueError("is_next must hold 0 (random B) or 1 (B follows A)")
    return cross_entropy(logits, is_next, IGNORE_INDEX)


# ---------------------------------------------------------------------------------------
# Embeddings and heads (forward)
# ---------------------------------------------------------------------------------------

def _check_params(params, names, what: str) -> None:
    missing = [n for n in names if n not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; {what} expects keys {list(names)}")


def bert_embeddings(input_ids, token_type_ids, params: dict[str, np.ndarray],
                    eps: float = 1e-12) -> np.ndarray:
    """BERT's input representation (Devlin et al. 2019, figure 2), as HuggingFace's
    ``BertEmbeddings`` in eval mode (no dropout):

        e_{b,t} = LayerNorm(W_tok[x_{b,t}] + W_seg[s_{b,t}] + W_pos[t])

    with learned absolute positions t = 0 .. T-1.

    Args:
        input_ids: (B, T) token ids in [0, V).
        token_type_ids: (B, T) segment ids in [0, n_types), or None for all zeros.
        params: ``word_embeddings.weight (V, E)``, ``position_embeddings.weight (P, E)``
            with P >= T, ``token_type_embeddings.weight (n_types, E)``,
            ``LayerNorm.weight (E,)``, ``LayerNorm.bias (E,)``.
        eps: the layer norm's epsilon (BERT uses 1e-12).

    Returns:
        (B, T, E) embeddings.
    """
    _check_params(params, EMBEDDING_NAMES, "bert_embeddings")
    ids = _as_int_array("input_ids", input_ids)
    if ids.ndim != 2:
        raise ValueError(f"input_ids must have shape (B, T), got {ids.shape}")
    B, T = ids.shape
    types = np.zeros_like(ids) if token_type_ids is None \
        else _as_int_array("token_type_ids", token_type_ids)
    if types.shape != (B, T):
        raise ValueError(f"token_type_ids must have shape (B, T) = {(B, T)}, got {types.shape}")
    W_tok = params["word_embeddings.weight"]  # (V, E)
    W_pos = params["position_embeddings.weight"]  # (P, E)
    W_seg = params["token_type_embeddings.weight"]  # (n_types, E)
    V, E = W_tok.shape
    for name, table, rows in (("position_embeddings.weight", W_pos, T),
                              ("token_type_embeddings.weight", W_seg, None)):
        if table.ndim != 2 or table.shape[1] != E or (rows is not None and table.shape[0] < rows):
            need = f"(P >= T = {T}, E = {E})" if rows is not None else f"(n_types, E = {E})"
            raise ValueError(f"params['{name}'] must have shape {need}, got {table.shape}")
    for name in ("LayerNorm.weight", "LayerNorm.bias"):
        if params[name].shape != (E,):
            raise ValueError(f"params['{name}'] must have shape (E,) = {(E,)}, "
                             f"got {params[name].shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"input_ids must lie in [0, V) = [0, {V}), "
                         f"got values in [{ids.min()}, {ids.max()}]")
    if types.size and (types.min() < 0 or types.max() >= W_seg.shape[0]):
        raise ValueError(f"token_type_ids must lie in [0, {W_seg.shape[0]}), "
                         f"got values in [{types.min()}, {types.max()}]")
    # e = W_tok[x] + W_seg[s] + W_pos[t]
    e = W_tok[ids] + W_seg[types] + W_pos[:T][None]  # (B, T, E)
    # LayerNorm(e)
    return layer_norm(e, e.shape[-1:], params["LayerNorm.weight"], params["LayerNorm.bias"], eps)


def mlm_head(hidden, params: dict[str, np.ndarray], word_embeddings: np.ndarray,
             eps: float = 1e-12) -> np.ndarray:
    """The masked-language-model head, as HuggingFace's ``BertLMPredictionHead``:

        u = LayerNorm(gelu(W_d h + b_d))          the "transform"
        z = W_tok u + b                          decoder tied to the token embedding

    Args:
        hidden: (B, T, E) encoder outputs.
        params: ``transform.dense.weight (E, E)``, ``transform.dense.bias (E,)``,
            ``transform.LayerNorm.weight (E,)``, ``transform.LayerNorm.bias (E,)``,
            ``bias (V,)``.
        word_embeddings: (V, E), the token embedding ``word_embeddings.weight`` (tied).
        eps: the layer norm's epsilon.

    Returns:
        (B, T, V) logits over the vocabulary.
    """
    _check_params(params, MLM_HEAD_NAMES, "mlm_head")
    hidden = np.asarray(hidden)
    if hidden.ndim != 3:
        raise ValueError(f"hidden must have shape (B, T, E), got {hidden.shape}")
    E = hidden.shape[-1]
    W_tok = np.asarray(word_embeddings)
    if W_tok.ndim != 2 or W_tok.shape[1] != E:
        raise ValueError(f"word_embeddings must have shape (V, E = {E}), got {W_tok.shape}")
    V = W_tok.shape[0]
    expected = {"transform.dense.weight": (E, E), "transform.dense.bias": (E,),
                "transform.LayerNorm.weight": (E,), "transform.LayerNorm.bias": (E,),
                "bias": (V,)}
    for name, shape in expected.items():
        if np.shape(params[name]) != shape:
            raise ValueError(f"params['{name}'] must have shape {shape}, "
                             f"got {np.shape(params[name])}")
    # u = LayerNorm(gelu(W_d h + b_d))
    a = hidden @ params["transform.dense.weight"].T + params["transform.dense.bias"]  # (B, T, E)
    u = layer_norm(gelu(a), a.shape[-1:], params["transform.LayerNorm.weight"],
                   params["transform.LayerNorm.bias"], eps)  # (B, T, E)
    # z = W_tok u + b
    return u @ W_tok.T + params["bias"]  # (B, T, V)


def nsp_head(hidden, params: dict[str, np.ndarray]) -> np.ndarray:
    """The next-sentence-prediction head, as HuggingFace's ``BertPooler`` followed by
    ``BertOnlyNSPHead.seq_relationship``:

        p = tanh(W_p h_[CLS] + b_p)        the pooled output, from position 0
        z = W_s p + b_s                    two logits; here class 1 = "B follows A"

    Args:
        hidden: (B, T, E) encoder outputs; position 0 holds [CLS].
        params: ``pooler.dense.weight (E, E)``, ``pooler.dense.bias (E,)``,
            ``seq_relationship.weight (2, E)``, ``seq_relationship.bias (2,)``.

    Returns:
        (B, 2) logits.
    """
    _check_params(params, NSP_HEAD_NAMES, "nsp_head")
    hidden = np.asarray(hidden)
    if hidden.ndim != 3 or hidden.shape[1] < 1:
        raise ValueError(f"hidden must have shape (B, T >= 1, E), got {hidden.shape}")
    E = hidden.shape[-1]
    expected = {"pooler.dense.weight": (E, E), "pooler.dense.bias": (E,),
                "seq_relationship.weight": (2, E), "seq_relationship.bias": (2,)}
    for name, shape in expected.items():
        if np.shape(params[name]) != shape:
            raise ValueError(f"params['{name}'] must have shape {shape}, "
                             f"got {np.shape(params[name])}")
    h_cls = hidden[:, 0]  # (B, E)
    # p = tanh(W_p h_[CLS] + b_p)
    p = np.tanh(h_cls @ params["pooler.dense.weight"].T + params["pooler.dense.bias"])  # (B, E)
    # z = W_s p + b_s
    return p @ params["seq_relationship.weight"].T + params["seq_relationship.bias"]  # (B, 2)
