"""The reversal Transformer of the chapter "The Transformer": an encoder without recurrence
learns to reverse a sequence by looking positions up (attention plus positional encoding;
without positions every answer slot sees the same input), the seeded tiny run is pinned, and
the numpy reference reproduces its attention maps."""
import numpy as np
import pytest

from seqbook.experiments import transformer_toy as tt

TINY = tt.ToyConfig(seq_len=3, n_symbols=4, d_model=8, nhead=2, dim_feedforward=16, steps=3,
                    batch_size=4)
SMALL = tt.ToyConfig(seq_len=6, n_symbols=8, d_model=16, dim_feedforward=32, num_layers=1, steps=150,
                     batch_size=32)


def test_the_encoder_learns_to_reverse():
    result = tt.train_reversal_transformer(SMALL)
    # chance is 1/8; without the positional encoding the same training reaches about 0.37
    assert result.test_accuracy > 0.6
    assert result.losses[-1] < 0.5 * result.losses[0]


def test_training_is_pinned():
    """The seeded tiny run as the code gave it before the trainer port (float32, within 1e-5)."""
    a = tt.train_reversal_transformer(TINY)
    assert a.losses == pytest.approx([1.6524535417556763, 1.7727394104003906, 1.5525366067886353], abs=1e-5)
    assert a.test_accuracy == pytest.approx(0.26366665959358215, abs=1e-6)
    assert a.sequence_accuracy == pytest.approx(0.01600000075995922, abs=1e-6)
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
