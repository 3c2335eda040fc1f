import numpy as np

from seqbook.experiments import transformer_toy as tt

TINY = tt.ToyConfig(seq_len=3, n_symbols=4, d_model=8, nhead=2, dim_feedforward=16, steps=3,
                    batch_size=4)


def test_training_is_deterministic_and_shapes():
    a, b = tt.train_reversal_transformer(TINY), tt.train_reversal_transformer(TINY)
    assert a.losses == b.losses and len(a.losses) == 3
    assert 0 <= a.test_accuracy <= 1 and 0 <= a.sequence_accuracy <= a.test_accuracy
    ids, y = tt.make_batch(5, TINY, np.random.default_rng(0))
    assert ids.shape == (5, 7) and y.shape == (5, 3)
    assert a.model(ids).shape == (5, 7, 6)


def test_attention_maps_match_torch():
    result = tt.train_reversal_transformer(TINY)
    ids, _ = tt.make_batch(2, TINY, np.random.default_rng(1))
    maps, diff = tt.attention_maps(result.model, ids)
    assert maps.shape == (2, 2, 2, 7, 7)
    np.testing.assert_allclose(maps.sum(-1), 1, atol=1e-9)
    assert diff < 1e-4
