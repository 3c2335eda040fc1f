"""The tagger of the chapter "LSTMs in practice": character-level word embeddings tag words
never seen in training far better than word embeddings alone (the chapter's point), the corpus
is seeded and holds words out, the model has the right shapes, the seeded run is pinned."""
import dataclasses

import pytest

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


def test_characters_tag_unseen_words():
    corpus = tg.make_corpus(n_train=300, n_test=100, seed=0)
    config = dataclasses.replace(tg.TaggerConfig(), epochs=2)
    chars = tg.train_tagger(corpus, config, use_chars=True).test
    words = tg.train_tagger(corpus, config, use_chars=False).test
    # an unseen word is one unknown-word vector to the words-only model; its suffix tells
    # the character BiLSTM the class
    assert chars["unseen"] > 0.85
    assert chars["unseen"] > words["unseen"] + 0.15


def test_training_is_pinned():
    """The seeded tiny run as the code gave it before the trainer port (float32 loss within 1e-5)."""
    corpus = tg.make_corpus(n_train=40, n_test=10, seed=1)
    config = dataclasses.replace(tg.TaggerConfig(), epochs=1, batch_size=20)
    a = tg.train_tagger(corpus, config)
    assert a.losses == pytest.approx([1.931283414363861], abs=1e-5)
    assert a.test == pytest.approx({"all": 0.34545454545454546, "unseen": 0.0, "ambiguous": 0.2}, abs=1e-12)
    predicted = tg.predict(a.model, [words for words, _ in corpus.test])
    assert [len(p) for p in predicted] == [len(w) for w, _ in corpus.test]
