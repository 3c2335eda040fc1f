"""The tiny BERT of the chapter "BERT": pre-training on a small configuration makes the masked
words predictable from their context (held-out MLM loss far below the unigram baseline, the
chapter's point), the seeded run is pinned, and the probes work."""
import numpy as np
import pytest

from seqbook.experiments import tiny_bert as tb

TINY = tb.TinyBertConfig(d_model=8, nhead=2, num_layers=1, dim_feedforward=16, max_len=24,
                         steps=3, batch_size=4)
SMALL = tb.TinyBertConfig(d_model=24, nhead=2, num_layers=1, dim_feedforward=48, steps=150,
                          batch_size=16, lr=5e-3)


def test_masked_words_are_predicted_from_their_context():
    result = tb.pretrain_tiny_bert(SMALL, n_documents=30, n_builtin=10)
    # the unigram baseline predicts a masked word from its frequency alone (3.7 nats here);
    # 150 steps take the held-out MLM loss to about 2.9
    assert result.test_mlm_loss < result.unigram_loss - 0.5


def test_pretraining_is_pinned():
    """The seeded tiny run as the code gave it before the trainer port (float32 losses within
    1e-5; the held-out figures are float64 sums of them)."""
    a = tb.pretrain_tiny_bert(TINY, n_documents=6, n_builtin=2)
    assert a.mlm_losses == pytest.approx([4.492626667022705, 4.49683141708374, 4.470484733581543], abs=1e-5)
    assert a.nsp_losses == pytest.approx([0.7106751203536987, 0.7016417384147644, 0.7211986780166626], abs=1e-5)
    assert a.test_mlm_loss == pytest.approx(4.4854664882862725, abs=1e-5)
    assert a.unigram_loss == pytest.approx(4.262423526567985, rel=1e-9)
    assert (a.test_nsp_accuracy, a.test_mlm_accuracy) == (0.6, 0.0)
    docs, themes = tb.bank_corpus(4, n_builtin=0, seed=3)
    sents = [s for d in docs for s in d]
    X, used = tb.contextual_vectors(a.model, a.vocab, sents)
    assert X.shape == (len(used), 8) and all(tb.AMBIGUOUS in sents[i] for i in used)
    top = tb.predict_masked(a.model, a.vocab, ["the", "bank", "pays", "interest"], 1, k=3)
    assert len(top) == 3 and all(not w.startswith("[") for w, _ in top)


def test_nearest_centroid_accuracy():
    X = np.array([[1.0, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    assert tb.nearest_centroid_accuracy(X, ["a", "a", "b", "b"]) == 1.0
    assert tb.nearest_centroid_accuracy(np.ones((4, 2)), ["a", "a", "b", "b"]) == 0.5
