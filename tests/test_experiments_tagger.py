"""The tagger experiment: the corpus is seeded and holds words out, the model has the right
shapes, and training is deterministic (tiny settings: not a test of learning success)."""
import dataclasses

import torch

from seqbook.experiments import tagger as tg


def test_corpus_is_seeded_and_holds_words_out():
    a, b = tg.make_corpus(n_train=50, n_test=30, seed=3), tg.make_corpus(n_train=50, n_test=30, seed=3)
    assert a.train == b.train and a.test == b.test
    train_words = {w for words, _ in a.train for w in words}
    assert a.unseen and not (a.unseen & train_words)
    for words, tags in a.train + a.test:
        assert len(words) == len(tags) and set(tags) <= set(tg.TAGS)


def test_tagger_shapes_with_and_without_chars():
    corpus = tg.make_corpus(n_train=20, n_test=5, seed=0)
    vocab = tg.Vocab(corpus.train)
    batch = corpus.test[:3]
    word_ids, tag_ids = tg.encode_batch(batch, vocab)
    n = max(len(w) for w, _ in batch)
    assert word_ids.shape == tag_ids.shape == (n, 3)
    for use_chars in (True, False):
        model = tg.Tagger(vocab, tg.TaggerConfig(), use_chars)
        logits = model([w for w, _ in batch], word_ids)
        assert logits.shape == (n, 3, len(tg.TAGS))
    chars = tg.Tagger(vocab, tg.TaggerConfig(), True).char_words(["ab", "xyz"])
    assert chars.shape == (2, 2 * tg.TaggerConfig().char_hidden)


def test_training_is_seeded():
    corpus = tg.make_corpus(n_train=40, n_test=10, seed=1)
    config = dataclasses.replace(tg.TaggerConfig(), epochs=1, batch_size=20)
    a, b = tg.train_tagger(corpus, config), tg.train_tagger(corpus, config)
    assert a.losses == b.losses and a.test == b.test
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)
    predicted = tg.predict(a.model, [words for words, _ in corpus.test])
    assert [len(p) for p in predicted] == [len(w) for w, _ in corpus.test]
    assert 0 <= a.test["all"] <= 1
