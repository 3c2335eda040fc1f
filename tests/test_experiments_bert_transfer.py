"""The BERT chapter's transfer experiment, on a shorter pre-training: pre-trained models
fine-tune far better than the same network from scratch, and frozen, the 100 % [MASK]
pre-training is worse on unmasked inputs than 80/10/10."""
import numpy as np
import pytest
import torch

from seqbook.experiments import bert_transfer as bt
from seqbook.experiments import tiny_bert as tb

SHORT = bt.Config(pretrain=tb.TinyBertConfig(steps=200), seeds=(0, 1), n_test_per_template=5)


@pytest.fixture(scope="module")
def result():
    torch.set_num_threads(1)
    return bt.run(SHORT)


def test_pretraining_beats_scratch(result):
    scratch = result.mean_accuracy("scratch")
    for arm in ("80/10/10", "100 % [MASK]"):
        assert result.mean_accuracy(arm) > scratch + 0.15, (arm, result.accuracy)
    assert scratch < 0.75  # the test templates' words never occur in a labelled sentence


def test_frozen_all_mask_pretraining_suffers_from_the_mismatch(result):
    assert result.mean_accuracy("80/10/10", frozen=True) > result.mean_accuracy("100 % [MASK]", frozen=True)
    assert result.identity_accuracy["80/10/10"] > result.identity_accuracy["100 % [MASK]"] + 0.15


def test_reuses_a_given_pretraining_and_checks_its_config(result):
    given = {"80/10/10": result.pretrained["80/10/10"]}
    config = bt.Config(pretrain=SHORT.pretrain, seeds=(0,), n_test_per_template=2, steps=2,
                       probe_steps=2)
    again = bt.run(config, pretrained={**given, "100 % [MASK]": result.pretrained["100 % [MASK]"]})
    assert again.pretrained["80/10/10"] is given["80/10/10"]
    assert np.isclose(again.identity_accuracy["80/10/10"], result.identity_accuracy["80/10/10"])
    with pytest.raises(ValueError, match="expected"):
        bt.run(config, pretrained={"100 % [MASK]": result.pretrained["80/10/10"]})
