"""The self-attentive sentence embedding of the chapter "Self-attention, key-value attention and
memory": it learns the negation task, and Lin et al.'s penalty ||A Aᵀ - I||² makes the
attention hops read different words where without it they read the same; the seeded run is
pinned."""
import numpy as np
import pytest

from seqbook.experiments import self_attention_toy as sa

SENTENCE = "i think the film was not very good".split()


def test_data_labels_follow_negation():
    sentences, y = sa.sentiment_data(50, np.random.default_rng(0))
    for s, label in zip(sentences, y):
        positive = s[-1] in sa.POSITIVE
        assert label == int(positive != ("not" in s))


def test_the_penalty_makes_the_hops_differ():
    off = sa.train_self_attentive(r=2, penalty=0.0, steps=100)
    on = sa.train_self_attentive(r=2, penalty=1.0, steps=100)
    assert off.accuracy > 0.85 and on.accuracy > 0.85  # chance: 0.5
    # without the penalty both hops put their weight on the same words (two identical
    # one-hot rows give ||A Aᵀ - I||² = 2); with it, each hop reads a word of its own
    assert off.penalty > 1.0 and on.penalty < 0.05
    A = sa.attention_weights(on.model, SENTENCE)
    assert A.shape == (2, len(SENTENCE))
    np.testing.assert_allclose(A.sum(-1), 1, rtol=1e-5)
    assert A[0].argmax() != A[1].argmax()


def test_training_is_pinned():
    """The seeded two-step run as the code gave it before the trainer port."""
    result = sa.train_self_attentive(r=3, steps=2)
    assert result.accuracy == 0.484
    assert result.penalty == pytest.approx(2.2764101028442383, abs=1e-5)
