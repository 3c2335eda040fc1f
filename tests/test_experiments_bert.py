import numpy as np

from seqbook.experiments import tiny_bert as tb

TINY = tb.TinyBertConfig(d_model=8, nhead=2, num_layers=1, dim_feedforward=16, max_len=24,
                         steps=3, batch_size=4)


def test_pretraining_is_deterministic_and_shapes():
    a = tb.pretrain_tiny_bert(TINY, n_documents=6, n_builtin=2)
    b = tb.pretrain_tiny_bert(TINY, n_documents=6, n_builtin=2)
    assert a.mlm_losses == b.mlm_losses and len(a.mlm_losses) == 3
    assert np.isfinite(a.test_mlm_loss) and np.isfinite(a.unigram_loss)
    assert 0 <= a.test_nsp_accuracy <= 1
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
