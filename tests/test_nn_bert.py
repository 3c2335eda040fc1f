"""BERT's inputs, masking, NSP pairs (properties and statistics), losses (against
torch.nn.functional.cross_entropy) and embeddings / heads (against an explicit torch
computation with the same weights), all in float64.

Statistical checks use large samples and a tolerance of 5 standard errors, so a correct
implementation does not fail (the seeds are fixed besides).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqbook.nn import bert
from seqbook.nn.bert import CLS, MASK, PAD, SEP, UNK
from seqbook.torch_reference import numpy_state


def within_5_se(count, n, p):
    """count successes in n trials is within 5 standard errors of n p."""
    se = np.sqrt(n * p * (1 - p))
    return abs(count - n * p) <= 5 * se + 1e-12


def random_ids(rng, shape, vocab_size, special_rate=0.2):
    """Ordinary ids with some special ones sprinkled in."""
    ids = rng.integers(bert.NUM_SPECIAL, vocab_size, size=shape)
    special = rng.random(shape) < special_rate
    ids[special] = rng.choice(bert.SPECIAL_IDS, size=special.sum())
    return ids


# ------------------------------------------------------------------ mask_tokens

def test_mask_tokens_properties():
    rng = np.random.default_rng(0)
    V = 50
    ids = random_ids(rng, (64, 33), V)
    before = ids.copy()
    masked, labels = bert.mask_tokens(ids, V, np.random.default_rng(1))
    np.testing.assert_array_equal(ids, before)  # input untouched
    assert masked.shape == ids.shape and labels.shape == ids.shape
    assert masked.dtype == ids.dtype and labels.dtype == np.int64
    special = np.isin(ids, bert.SPECIAL_IDS)
    selected = labels != -100
    assert not (selected & special).any(), "special tokens must never be selected"
    np.testing.assert_array_equal(masked[special], ids[special])
    np.testing.assert_array_equal(labels[selected], ids[selected])
    np.testing.assert_array_equal(masked[~selected], ids[~selected])
    changed = masked[selected]
    assert ((changed == MASK) | (changed >= bert.NUM_SPECIAL)).all()
    assert (masked < V).all()


@pytest.mark.parametrize("p", [0.15, 0.5])
def test_mask_tokens_rates(p):
    rng = np.random.default_rng(2)
    V = 30
    ids = random_ids(rng, (400, 500), V)
    masked, labels = bert.mask_tokens(ids, V, np.random.default_rng(3), mlm_probability=p)
    ordinary = ids >= bert.NUM_SPECIAL
    selected = labels != -100
    n = int(ordinary.sum())
    assert within_5_se(selected.sum(), n, p)
    m = int(selected.sum())
    to_mask = (masked == MASK) & selected
    assert within_5_se(to_mask.sum(), m, 0.8)
    # unchanged: 10 % kept + 10 % random that happens to draw the same token
    n_ordinary = V - bert.NUM_SPECIAL
    p_same = 0.1 + 0.1 / n_ordinary
    same = (masked == ids) & selected
    assert within_5_se(same.sum(), m, p_same)
    random_other = selected & (masked != MASK) & (masked != ids)
    assert within_5_se(random_other.sum(), m, 0.1 - 0.1 / n_ordinary)
    # the random replacements are uniform over the ordinary tokens
    counts = np.bincount(masked[random_other], minlength=V)
    assert (counts[bert.NUM_SPECIAL:] > 0).all() and (counts[:bert.NUM_SPECIAL] == 0).all()


def test_mask_tokens_random_replacements_are_uniform():
    V = 10  # 5 ordinary tokens
    ids = np.full((300, 400), 5)  # every position holds token 5
    masked, labels = bert.mask_tokens(ids, V, np.random.default_rng(4), mlm_probability=1.0)
    replaced = masked[(masked != MASK) & (masked != 5)]
    n = int(((masked != MASK)).sum())  # kept + random: each random token lands on 6..9 w.p. 0.05/0.2
    for token in range(6, V):
        assert within_5_se((replaced == token).sum(), n, 0.1 / 5 / 0.2)


def test_mask_tokens_reproducible_and_global_state_untouched():
    ids = random_ids(np.random.default_rng(5), (8, 20), 40)
    np.random.seed(123)
    state = np.random.get_state()
    a = bert.mask_tokens(ids, 40, np.random.default_rng(7))
    b = bert.mask_tokens(ids, 40, np.random.default_rng(7))
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = bert.mask_tokens(ids, 40, np.random.default_rng(8))
    assert not np.array_equal(a[0], c[0]) or not np.array_equal(a[1], c[1])


def test_mask_tokens_edge_cases():
    rng = np.random.default_rng(0)
    ids = np.array([CLS, 7, SEP, PAD, UNK, MASK])
    masked, labels = bert.mask_tokens(ids, 8, rng, mlm_probability=1.0)
    np.testing.assert_array_equal(labels, [-100, 7, -100, -100, -100, -100])
    masked, labels = bert.mask_tokens(ids, 8, rng, mlm_probability=0.0)
    np.testing.assert_array_equal(masked, ids)
    assert (labels == -100).all()
    masked, labels = bert.mask_tokens([9], 10, rng)  # a list, T=1
    assert masked.shape == (1,)


@pytest.mark.parametrize("kwargs, match", [
    ({"vocab_size": 5}, "vocab_size"),
    ({"mlm_probability": 1.5}, "mlm_probability"),
    ({"input_ids": np.array([5, 99])}, r"input_ids must lie in \[0, vocab_size\)"),
    ({"input_ids": np.array([5.0, 6.0])}, "integer"),
    ({"rng": np.random.RandomState(0)}, "Generator"),
])
def test_mask_tokens_errors(kwargs, match):
    args = {"input_ids": np.array([5, 6, 7]), "vocab_size": 10,
            "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=match):
        bert.mask_tokens(**args)


# ------------------------------------------------------------------ mask_tokens_google

@pytest.mark.parametrize("n, expected", [
    (0, 1), (3, 1),       # round(0.45) = 0, but at least one
    (10, 2), (30, 4),     # 1.5 and 4.5: Python rounds halves to even, as Google's code
    (20, 3), (128, 19),   # round(3.0), round(19.2)
    (200, 20), (512, 20),  # capped at max_predictions_per_seq
])
def test_num_to_predict_hand_checked(n, expected):
    assert bert.num_to_predict(n) == expected


def padded_rows(rng, B, T, V):
    """Rows [CLS] ordinary... [SEP] PAD..., of random lengths, some with UNK inside."""
    ids = np.full((B, T), PAD)
    for b in range(B):
        n = int(rng.integers(2, T + 1))
        ids[b, :n] = rng.integers(bert.NUM_SPECIAL, V, n)
        ids[b, 0], ids[b, n - 1] = CLS, SEP
        ids[b, rng.integers(1, n)] = UNK if n > 2 else SEP
    return ids


def test_mask_tokens_google_exact_count_never_special():
    rng = np.random.default_rng(0)
    V = 40
    ids = padded_rows(rng, 300, 48, V)
    before = ids.copy()
    masked, labels = bert.mask_tokens_google(ids, V, np.random.default_rng(1))
    np.testing.assert_array_equal(ids, before)  # input untouched
    selected = labels != -100
    for row, sel in zip(ids, selected):
        n = int((row != PAD).sum())
        candidates = int((row >= bert.NUM_SPECIAL).sum())
        # Google: min(max_predictions_per_seq, max(1, int(round(n * masked_lm_prob))))
        assert sel.sum() == min(20, max(1, int(round(n * 0.15))), candidates)
    special = ids < bert.NUM_SPECIAL
    assert not (selected & special).any(), "special tokens (PAD, UNK, CLS, SEP) are never chosen"
    np.testing.assert_array_equal(masked[~selected], ids[~selected])
    np.testing.assert_array_equal(labels[selected], ids[selected])
    assert ((masked[selected] == MASK) | (masked[selected] >= bert.NUM_SPECIAL)).all()


def test_mask_tokens_google_80_10_10_on_the_chosen_positions():
    V = 1005  # 1000 ordinary tokens: a random replacement rarely hits the original
    rng = np.random.default_rng(2)
    ids = rng.integers(bert.NUM_SPECIAL, V, (4000, 40))
    masked, labels = bert.mask_tokens_google(ids, V, np.random.default_rng(3))
    selected = labels != -100
    m = int(selected.sum())
    assert m == 4000 * 6  # round(40 * 0.15) = 6 per row
    assert within_5_se(((masked == MASK) & selected).sum(), m, 0.8)
    p_same = 0.1 + 0.1 / (V - bert.NUM_SPECIAL)
    assert within_5_se(((masked == ids) & selected).sum(), m, p_same)
    random_other = selected & (masked != MASK) & (masked != ids)
    assert within_5_se(random_other.sum(), m, 0.1 - 0.1 / (V - bert.NUM_SPECIAL))
    # every position is equally likely to be chosen (a uniform shuffle)
    per_position = selected.sum(axis=0)
    assert all(within_5_se(c, 4000, 6 / 40) for c in per_position)


def test_mask_tokens_google_shapes_cap_and_reproducibility():
    ids = np.r_[CLS, np.arange(5, 205), SEP]  # 202 tokens, 1-D
    a = bert.mask_tokens_google(ids, 300, np.random.default_rng(4))
    b = bert.mask_tokens_google(ids, 300, np.random.default_rng(4))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert a[0].shape == ids.shape and (a[1] != -100).sum() == 20  # capped
    few = bert.mask_tokens_google(ids, 300, np.random.default_rng(4), max_predictions_per_seq=3)
    assert (few[1] != -100).sum() == 3
    only_special = np.array([[CLS, SEP, PAD, PAD]])
    masked, labels = bert.mask_tokens_google(only_special, 10, np.random.default_rng(0))
    np.testing.assert_array_equal(masked, only_special)
    assert (labels == -100).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"vocab_size": 5}, "vocab_size"),
    ({"masked_lm_prob": -0.1}, "masked_lm_prob"),
    ({"max_predictions_per_seq": 0}, "max_predictions_per_seq"),
    ({"input_ids": np.zeros((2, 2, 2), dtype=int)}, "shape"),
    ({"rng": 0}, "Generator"),
])
def test_mask_tokens_google_errors(kwargs, match):
    args = {"input_ids": np.array([5, 6, 7]), "vocab_size": 10,
            "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=match):
        bert.mask_tokens_google(**args)


# ------------------------------------------------------------------ build_bert_inputs

def test_build_bert_inputs_layout_and_padding():
    out = bert.build_bert_inputs([10, 11, 12], [20, 21], max_len=10)
    np.testing.assert_array_equal(out["input_ids"], [CLS, 10, 11, 12, SEP, 20, 21, SEP, PAD, PAD])
    np.testing.assert_array_equal(out["token_type_ids"], [0, 0, 0, 0, 0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(out["attention_mask"], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    for v in out.values():
        assert v.dtype == np.int64 and v.shape == (10,)


def test_build_bert_inputs_exact_fit_and_single_segment():
    out = bert.build_bert_inputs([10, 11], [20], max_len=6)
    np.testing.assert_array_equal(out["input_ids"], [CLS, 10, 11, SEP, 20, SEP])
    assert out["attention_mask"].all()
    out = bert.build_bert_inputs([10, 11], None, max_len=5)
    np.testing.assert_array_equal(out["input_ids"], [CLS, 10, 11, SEP, PAD])
    np.testing.assert_array_equal(out["token_type_ids"], [0, 0, 0, 0, 0])


def test_build_bert_inputs_longest_first_truncation():
    a, b = list(range(10, 17)), list(range(20, 23))  # 7 and 3 tokens
    before = (list(a), list(b))
    out = bert.build_bert_inputs(a, b, max_len=3 + 6)
    assert (a, b) == before
    # budget 6: A is longer and loses its last token four times, 7 -> 3
    np.testing.assert_array_equal(out["input_ids"], [CLS, 10, 11, 12, SEP, 20, 21, 22, SEP])
    # equal lengths: B first
    out = bert.build_bert_inputs([10, 11, 12], [20, 21, 22], max_len=3 + 5)
    np.testing.assert_array_equal(out["input_ids"], [CLS, 10, 11, 12, SEP, 20, 21, SEP])
    out = bert.build_bert_inputs([10, 11, 12], [20, 21, 22], max_len=3 + 4)
    np.testing.assert_array_equal(out["input_ids"], [CLS, 10, 11, SEP, 20, 21, SEP])
    out = bert.build_bert_inputs([10, 11], [20, 21, 22, 23, 24], max_len=3)
    np.testing.assert_array_equal(out["input_ids"], [CLS, SEP, SEP])
    np.testing.assert_array_equal(out["token_type_ids"], [0, 0, 1])


def test_build_bert_inputs_random_properties():
    """Invariants over random lengths, against the reference loop of Google's
    run_classifier._truncate_seq_pair."""
    rng = np.random.default_rng(11)
    for _ in range(300):
        la, lb, max_len = rng.integers(0, 15), rng.integers(0, 15), int(rng.integers(3, 25))
        a = rng.integers(5, 100, la).tolist()
        b = rng.integers(5, 100, lb).tolist()
        ta, tb = list(a), list(b)
        while len(ta) + len(tb) > max_len - 3:
            if len(ta) > len(tb):
                ta.pop()
            else:
                tb.pop()
        out = bert.build_bert_inputs(np.array(a, dtype=np.int32), b, max_len)
        n = 3 + len(ta) + len(tb)
        expected = [CLS] + ta + [SEP] + tb + [SEP] + [PAD] * (max_len - n)
        np.testing.assert_array_equal(out["input_ids"], expected)
        np.testing.assert_array_equal(out["attention_mask"], [1] * n + [0] * (max_len - n))
        np.testing.assert_array_equal(
            out["token_type_ids"], [0] * (len(ta) + 2) + [1] * (len(tb) + 1) + [0] * (max_len - n))


@pytest.mark.parametrize("args, match", [
    (([5], [6], 2), "max_len"),
    (([[5]], [6], 8), "tokens_a"),
    (([5], [6.5], 8), "tokens_b"),
    (([5], [-1], 8), "non-negative"),
])
def test_build_bert_inputs_errors(args, match):
    with pytest.raises(ValueError, match=match):
        bert.build_bert_inputs(*args)


# ------------------------------------------------------------------ make_nsp_examples

def toy_documents(n_docs=6, rng=None):
    """Document d's sentence s is [100 d + s + 5, 7]: the origin of every sentence is known."""
    rng = rng or np.random.default_rng(0)
    return [[[100 * d + s + 5, 7] for s in range(int(rng.integers(1, 6)))]
            for d in range(n_docs)]


def origin(sentence):
    return divmod(sentence[0] - 5, 100)  # (document, sentence index)


def test_make_nsp_examples_structure():
    docs = toy_documents(8)
    copy = [[list(s) for s in d] for d in docs]
    examples = bert.make_nsp_examples(docs, np.random.default_rng(1))
    assert docs == copy
    expected_a = [s for d in docs for s in d[:-1]]
    assert [a for a, _, _ in examples] == expected_a
    for a, b, is_next in examples:
        (da, sa), (db, sb) = origin(a), origin(b)
        assert is_next in (0, 1)
        if is_next:
            assert (db, sb) == (da, sa + 1)
        else:
            assert db != da


def test_make_nsp_examples_rates_and_uniform_other_documents():
    docs = [[[100 * d + s + 5] for s in range(30)] for d in range(4)]
    examples = bert.make_nsp_examples(docs, np.random.default_rng(2))
    examples += bert.make_nsp_examples(docs, np.random.default_rng(3))
    n = len(examples)
    labels = np.array([e[2] for e in examples])
    assert within_5_se(labels.sum(), n, 0.5)
    # the random B of a document-0 sentence comes from documents 1, 2, 3 uniformly
    random_b = [origin(b)[0] for a, b, y in examples if y == 0 and origin(a)[0] == 0]
    for d in (1, 2, 3):
        assert within_5_se(random_b.count(d), len(random_b), 1 / 3)


def test_make_nsp_examples_reproducible_and_global_state_untouched():
    docs = toy_documents(5)
    state = np.random.get_state()
    a = bert.make_nsp_examples(docs, np.random.default_rng(9))
    b = bert.make_nsp_examples(docs, np.random.default_rng(9))
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    assert a == b


def test_make_nsp_examples_edge_cases_and_errors():
    assert bert.make_nsp_examples([], np.random.default_rng(0)) == []
    assert bert.make_nsp_examples([[[5]]], np.random.default_rng(0)) == []
    with pytest.raises(ValueError, match="two non-empty documents"):
        bert.make_nsp_examples([[[5], [6]], []], np.random.default_rng(0))
    with pytest.raises(ValueError, match="Generator"):
        bert.make_nsp_examples(toy_documents(), rng=0)
    with pytest.raises(ValueError, match=r"documents\[0\]"):
        bert.make_nsp_examples([5, 6], np.random.default_rng(0))


# ------------------------------------------------------------------ losses

@pytest.mark.parametrize("B,T,V", [(1, 1, 6), (3, 7, 11), (2, 16, 50)])
def test_mlm_loss_matches_torch_cross_entropy(B, T, V):
    rng = np.random.default_rng(B * T + V)
    logits = rng.standard_normal((B, T, V)) * 3
    ids = rng.integers(5, V, (B, T))
    _, labels = bert.mask_tokens(ids, V, rng, mlm_probability=0.5)
    labels[0, 0] = ids[0, 0]  # at least one labelled position
    expected = F.cross_entropy(torch.tensor(logits).reshape(-1, V),
                               torch.tensor(labels).reshape(-1), ignore_index=-100).item()
    loss = bert.mlm_loss(logits, labels)
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, expected, rtol=0, atol=1e-12)


def test_mlm_loss_stable_for_large_logits_and_all_ignored():
    logits = np.array([[[1000.0, -1000.0, 0.0], [5e4, 5e4, -5e4]]])
    labels = np.array([[1, 0]])
    expected = F.cross_entropy(torch.tensor(logits[0]), torch.tensor(labels[0])).item()
    loss = bert.mlm_loss(logits, labels)
    assert np.isfinite(loss)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    assert np.isnan(bert.mlm_loss(logits, np.full((1, 2), -100)))


def test_mlm_loss_errors():
    with pytest.raises(ValueError, match="shape"):
        bert.mlm_loss(np.zeros((2, 3, 5)), np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="labels must lie"):
        bert.mlm_loss(np.zeros((2, 3, 5)), np.full((2, 3), 5))


@pytest.mark.parametrize("B", [1, 9])
def test_nsp_loss_matches_torch_cross_entropy(B):
    rng = np.random.default_rng(B)
    logits = rng.standard_normal((B, 2)) * 2
    y = rng.integers(0, 2, B)
    expected = F.cross_entropy(torch.tensor(logits), torch.tensor(y)).item()
    np.testing.assert_allclose(bert.nsp_loss(logits, y), expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="is_next"):
        bert.nsp_loss(logits, np.full(B, 2))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        bert.nsp_loss(np.zeros((B, 3)), y)


# ------------------------------------------------------------------ embeddings and heads

class TorchBertEmbeddings(torch.nn.Module):
    """The same computation as HuggingFace's BertEmbeddings in eval mode, written with
    torch modules (transformers is not a dependency)."""

    def __init__(self, V, P, n_types, E):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(V, E)
        self.position_embeddings = torch.nn.Embedding(P, E)
        self.token_type_embeddings = torch.nn.Embedding(n_types, E)
        self.LayerNorm = torch.nn.LayerNorm(E, eps=1e-12)

    def forward(self, input_ids, token_type_ids):
        T = input_ids.shape[1]
        positions = torch.arange(T)[None]
        e = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings(positions))
        return self.LayerNorm(e)


@pytest.mark.parametrize("B,T,V,E", [(1, 1, 6, 1), (3, 9, 20, 8), (2, 16, 31, 5)])
def test_bert_embeddings_match_torch(B, T, V, E):
    torch.manual_seed(B + T + V + E)
    module = TorchBertEmbeddings(V, 32, 2, E).double()
    with torch.no_grad():  # non-trivial layer-norm affine parameters
        module.LayerNorm.weight.normal_()
        module.LayerNorm.bias.normal_()
    params = numpy_state(module)
    rng = np.random.default_rng(T)
    ids = rng.integers(0, V, (B, T))
    types = rng.integers(0, 2, (B, T))
    out = bert.bert_embeddings(ids, types, params)
    ref = module(torch.tensor(ids), torch.tensor(types)).detach().numpy()
    assert out.shape == (B, T, E)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-10)
    # token_type_ids=None means segment 0 everywhere
    np.testing.assert_allclose(bert.bert_embeddings(ids, None, params),
                               module(torch.tensor(ids), torch.zeros_like(torch.tensor(ids)))
                               .detach().numpy(), rtol=0, atol=1e-10)


def test_bert_embeddings_of_built_inputs():
    inputs = bert.build_bert_inputs([7, 8, 9], [10, 11], max_len=12)
    torch.manual_seed(0)
    module = TorchBertEmbeddings(12, 12, 2, 4).double()
    out = bert.bert_embeddings(inputs["input_ids"][None], inputs["token_type_ids"][None],
                               numpy_state(module))
    ref = module(torch.tensor(inputs["input_ids"][None]),
                 torch.tensor(inputs["token_type_ids"][None])).detach().numpy()
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-10)


def test_bert_embeddings_errors():
    torch.manual_seed(0)
    params = numpy_state(TorchBertEmbeddings(10, 4, 2, 3).double())
    ids = np.array([[5, 6]])
    with pytest.raises(ValueError, match=r"input_ids must have shape \(B, T\)"):
        bert.bert_embeddings(ids[0], None, params)
    with pytest.raises(ValueError, match="token_type_ids must have shape"):
        bert.bert_embeddings(ids, np.zeros((1, 3), dtype=int), params)
    with pytest.raises(ValueError, match="position_embeddings"):
        bert.bert_embeddings(np.zeros((1, 5), dtype=int), None, params)
    with pytest.raises(ValueError, match="input_ids must lie"):
        bert.bert_embeddings(np.array([[10]]), None, params)
    with pytest.raises(ValueError, match="missing"):
        bert.bert_embeddings(ids, None, {})


@pytest.mark.parametrize("B,T,V,E", [(1, 1, 6, 1), (2, 7, 23, 8)])
def test_mlm_head_matches_torch_with_tied_decoder(B, T, V, E):
    torch.manual_seed(V + E)
    word = torch.nn.Embedding(V, E).double()
    dense = torch.nn.Linear(E, E).double()
    norm = torch.nn.LayerNorm(E, eps=1e-12).double()
    decoder = torch.nn.Linear(E, V).double()
    decoder.weight = word.weight  # tied, as BertForPreTraining
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    params = {**numpy_state(dense, prefix="transform.dense."), **numpy_state(norm, prefix="transform.LayerNorm."),
              "bias": decoder.bias.detach().numpy().copy()}
    hidden = np.random.default_rng(B).standard_normal((B, T, E))
    logits = bert.mlm_head(hidden, params, word.weight.detach().numpy())
    ht = torch.tensor(hidden)
    ref = decoder(norm(F.gelu(dense(ht)))).detach().numpy()
    assert logits.shape == (B, T, V)
    np.testing.assert_allclose(logits, ref, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match=r"params\['bias'\]"):
        bert.mlm_head(hidden, {**params, "bias": np.zeros(V + 1)}, word.weight.detach().numpy())


@pytest.mark.parametrize("B,T,E", [(1, 1, 1), (4, 6, 8)])
def test_nsp_head_and_loss_match_torch(B, T, E):
    torch.manual_seed(B * E)
    pooler = torch.nn.Linear(E, E).double()
    seq_rel = torch.nn.Linear(E, 2).double()
    params = {**numpy_state(pooler, prefix="pooler.dense."), **numpy_state(seq_rel, prefix="seq_relationship.")}
    hidden = np.random.default_rng(E).standard_normal((B, T, E))
    logits = bert.nsp_head(hidden, params)
    ref = seq_rel(torch.tanh(pooler(torch.tensor(hidden)[:, 0])))
    np.testing.assert_allclose(logits, ref.detach().numpy(), rtol=0, atol=1e-12)
    y = np.arange(B) % 2
    np.testing.assert_allclose(bert.nsp_loss(logits, y),
                               F.cross_entropy(ref, torch.tensor(y)).item(), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="seq_relationship.weight"):
        bert.nsp_head(hidden, {**params, "seq_relationship.weight": np.zeros((3, E))})


def test_pretraining_pipeline_end_to_end():
    """documents -> NSP pairs -> inputs -> masking -> embeddings -> heads -> losses: finite."""
    rng = np.random.default_rng(0)
    V, E, L = 40, 6, 16
    docs = [[rng.integers(5, V, rng.integers(2, 9)).tolist() for _ in range(4)] for _ in range(3)]
    examples = bert.make_nsp_examples(docs, rng)
    batch = [bert.build_bert_inputs(a, b, L) for a, b, _ in examples]
    ids = np.stack([x["input_ids"] for x in batch])
    types = np.stack([x["token_type_ids"] for x in batch])
    masked, labels = bert.mask_tokens(ids, V, rng, mlm_probability=0.3)
    assert (labels[ids < 5] == -100).all()
    torch.manual_seed(0)
    params = numpy_state(TorchBertEmbeddings(V, L, 2, E).double())
    hidden = bert.bert_embeddings(masked, types, params)
    head = {"transform.dense.weight": np.eye(E), "transform.dense.bias": np.zeros(E),
            "transform.LayerNorm.weight": np.ones(E), "transform.LayerNorm.bias": np.zeros(E),
            "bias": np.zeros(V)}
    logits = bert.mlm_head(hidden, head, params["word_embeddings.weight"])
    nsp = bert.nsp_head(hidden, {"pooler.dense.weight": np.eye(E), "pooler.dense.bias": np.zeros(E),
                                 "seq_relationship.weight": rng.standard_normal((2, E)),
                                 "seq_relationship.bias": np.zeros(2)})
    assert np.isfinite(bert.mlm_loss(logits, labels))
    assert np.isfinite(bert.nsp_loss(nsp, np.array([y for _, _, y in examples])))
