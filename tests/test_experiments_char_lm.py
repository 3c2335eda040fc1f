"""The character-level language model of the language-models chapter: on the chapter's text a
small LSTM passes the unigram and bigram baselines within a hundred and fifty steps (its
state carries context), the seeded tiny run is pinned, sampling and the n-gram baselines."""
import numpy as np
import pytest
import torch

from seqbook.experiments import char_lm as lm

TEXT = lm.prepare_text("the cat sat on the mat.\n\nthe dog sat on the log. " * 6)
TINY = lm.CharLMConfig(embed_size=4, hidden_size=8, seq_len=8, batch_size=4, steps=6,
                       eval_every=3, dropout=0.0)


def test_prepare_text_and_vocab():
    assert lm.prepare_text("a  b\nc\n\n\nd") == "a b c\nd"
    vocab = lm.CharVocab.from_text("banana")
    assert vocab.chars == ["a", "b", "n"]
    assert vocab.decode(vocab.encode("nab")) == "nab"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("x")
    train, val = lm.split_text(np.arange(100), 0.1)
    assert len(train) == 90 and val[0] == 90


def test_model_shapes():
    model = lm.CharLSTM(7, TINY)
    logits, (h, c) = model(torch.zeros(3, 5, dtype=torch.int64))
    assert logits.shape == (3, 5, 7)
    assert h.shape == c.shape == (1, 3, 8)


def test_lstm_passes_the_unigram_and_bigram_models(repo_root):
    """The chapter's first claim, on its own text with a smaller model and fewer steps: the
    recurrent state carries more context than the previous character."""
    text = lm.prepare_text((repo_root / "book" / "language" / "data" / "tiny_corpus.txt").read_text(encoding="utf-8"))
    config = lm.CharLMConfig(embed_size=16, hidden_size=64, seq_len=32, batch_size=16, steps=150,
                             lr=1e-2, eval_every=50)
    result = lm.train_char_lm(text, config)
    train_ids, val_ids = lm.split_text(result.vocab.encode(text))
    unigram, bigram = (lm.ngram_cross_entropy(train_ids, val_ids, n, len(result.vocab)) for n in (1, 2))
    assert min(result.val_loss) < bigram - 0.1 < unigram - 0.1


def test_training_is_pinned():
    """The seeded tiny run as the code gave it before the trainer port (float32, within 1e-5)."""
    a = lm.train_char_lm(TEXT, TINY)
    assert a.steps == [3, 6] and a.best_step == 6
    assert a.train_loss == pytest.approx([2.6332834561665854, 2.5900323390960693], abs=1e-5)
    assert a.val_loss == pytest.approx([2.630722761154175, 2.620405673980713], abs=1e-5)
    assert lm.sample(a, "the ", length=20, temperature=1.0, seed=3) == " aoh ee.m dgehmtalla"
    # the returned weights are those of the best validation measurement
    val_ids = lm.split_text(a.vocab.encode(TEXT))[1]
    assert lm.evaluate(a.model, val_ids) == pytest.approx(min(a.val_loss), abs=1e-6)


def test_softmax_with_temperature():
    z = np.array([2.0, 1.0, 0.0, -1.0])
    p1 = lm.softmax_with_temperature(z, 1.0)
    np.testing.assert_allclose(p1, np.exp(z) / np.exp(z).sum())
    np.testing.assert_array_equal(lm.softmax_with_temperature(z, 0), [1, 0, 0, 0])
    hot, cold = lm.softmax_with_temperature(z, 5.0), lm.softmax_with_temperature(z, 0.2)
    assert hot.max() < p1.max() < cold.max()  # low temperature sharpens, high flattens
    top2 = lm.softmax_with_temperature(z, 1.0, top_k=2)
    np.testing.assert_allclose(top2, [np.e / (np.e + 1), 1 / (np.e + 1), 0, 0])


def test_sampling_and_next_char_distribution():
    result = lm.train_char_lm(TEXT, TINY)
    p = lm.next_char_distribution(result, "the ", temperature=1.0)
    assert p.shape == (len(result.vocab),) and p.sum() == pytest.approx(1.0)
    s = lm.sample(result, "the ", length=20, temperature=1.0, seed=3)
    assert len(s) == 20 and set(s) <= set(result.vocab.chars)
    assert s == lm.sample(result, "the ", length=20, temperature=1.0, seed=3)
    greedy = lm.sample(result, "the ", length=10, temperature=0)
    assert greedy == lm.sample(result, "the ", length=10, temperature=0, seed=99)


def test_ngram_cross_entropy():
    # a uniform unigram model over V characters costs log V nats per character
    ids = np.arange(4).repeat(5)
    assert lm.ngram_cross_entropy(ids, ids, 1, 4, k=0.1) == pytest.approx(np.log(4))
    # a deterministic alternation is almost free for a bigram model
    alt = np.array([0, 1] * 20)
    assert lm.ngram_cross_entropy(alt, alt, 2, 2, k=1e-6) < 1e-4
    assert lm.ngram_cross_entropy(alt, alt, 1, 2, k=1e-6) == pytest.approx(np.log(2))
