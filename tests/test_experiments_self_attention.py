import numpy as np

from seqbook.experiments import self_attention_toy as sa


def test_data_labels_follow_negation():
    sentences, y = sa.sentiment_data(50, np.random.default_rng(0))
    for s, label in zip(sentences, y):
        positive = s[-1] in sa.POSITIVE
        assert label == int(positive != ("not" in s))


def test_training_is_deterministic_and_shapes():
    a = sa.train_self_attentive(r=3, steps=2)
    b = sa.train_self_attentive(r=3, steps=2)
    assert a.accuracy == b.accuracy and a.penalty == b.penalty
    A = sa.attention_weights(a.model, "the film was not good".split())
    assert A.shape == (3, 5)
    np.testing.assert_allclose(A.sum(-1), 1, rtol=1e-5)
