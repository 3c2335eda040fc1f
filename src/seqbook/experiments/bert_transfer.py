"""Fine-tuning the tiny BERT, against training from scratch, and the masking ablation
(chapter "BERT and transfer learning").

The task: is a sentence about the river or about money? Its labelled sentences come from
two templates per sense of ``tiny_bert.SENSE_TEMPLATES`` ("the boat drifts towards the
muddy bank", "he takes cash from the bank", ...), the test sentences from the *other*
templates, whose content words never occur in a labelled sentence ("fish swim near the
bank of the river", "the bank pays interest on savings"). A model can only get them right
if it knows, from somewhere else, that "fish" and "river" go with "boat", and "interest"
with "cash": from pre-training on the unlabelled corpus.

``run(Config()) -> Result`` fine-tunes, with ``seqbook.train``, three copies of the same
architecture (a classifier on the pooled ``[CLS]`` state, all weights trained):

- "scratch": randomly initialised;
- "80/10/10": pre-trained as in the chapter (``tiny_bert.pretrain_tiny_bert``);
- "100 % [MASK]": pre-trained identically except that every selected token becomes
  ``[MASK]`` (the ablation of Devlin et al. 2019, appendix C.2, table 8).

For both pre-trained models it also measures what the mismatch between pre-training
(inputs with ``[MASK]``) and use (inputs without) does when the network is *frozen*, as
in Devlin et al.'s feature-based experiment: a classifier trained on the frozen pooled
``[CLS]`` state alone ("probe"), and how often the MLM head predicts the token that is
actually there at the positions of an unmasked sentence ("identity accuracy").
"""
from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from seqbook import train
from seqbook.experiments import tiny_bert as tb
from seqbook.nn import bert

ARMS = ("scratch", "80/10/10", "100 % [MASK]")


@dataclass(frozen=True)
class Config:
    """The fine-tuning task and its training; the pre-training is ``pretrain``."""
    pretrain: tb.TinyBertConfig = tb.TinyBertConfig()  # both pre-trainings (all_mask set per arm)
    train_templates: tuple = (("river", (1, 2)), ("money", (2, 4)))  # labelled sentences from these
    test_templates: tuple = (("river", (0, 3, 4, 6)), ("money", (0, 1, 3, 5, 6, 7)))  # disjoint words
    n_train_per_template: int = 8  # labelled sentences per template (32 in all)
    n_test_per_template: int = 25  # test sentences per template
    steps: int = 30  # Adam steps of fine-tuning (about 15 passes over the labelled sentences)
    batch_size: int = 16  # sentences per step
    lr: float = 1e-3  # fine-tuning learning rate (all weights)
    seeds: tuple = (0, 1, 2, 3)  # one fine-tuning run per seed: data, new layers, batches
    probe_steps: int = 100  # Adam steps of the classifier on the frozen network
    probe_lr: float = 1e-2  # its learning rate (only W_c, b_c are trained)
    identity_seed: int = 11  # held-out unmasked sentences for the identity accuracy


@dataclass
class Result:
    """Test accuracies per arm and seed, and the frozen-output measures per pre-training."""
    config: Config
    accuracy: dict = field(default_factory=dict)  # arm -> [test accuracy per seed], fine-tuned
    probe_accuracy: dict = field(default_factory=dict)  # pre-training -> [test accuracy], frozen
    identity_accuracy: dict = field(default_factory=dict)  # pre-training -> MLM head keeps the token
    pretrained: dict = field(default_factory=dict)  # pre-training -> tiny_bert.TinyBertResult
    seconds: float = float("nan")

    def mean_accuracy(self, arm: str, frozen: bool = False) -> float:
        return float(np.mean((self.probe_accuracy if frozen else self.accuracy)[arm]))


class SentenceClassifier(nn.Module):
    """BERT's sentence classifier: logits = W tanh(W_p h_[CLS] + b_p) + b, on a TinyBert
    body (its pooler, pre-trained by NSP when the body is). Input: (B, 3, T) int64, the
    rows ``input_ids``, ``token_type_ids``, ``attention_mask`` of ``bert.build_bert_inputs``
    (one tensor, so that ``seqbook.train`` can feed it)."""

    def __init__(self, body: tb.TinyBert, num_classes: int = 2):
        super().__init__()
        self.body = body
        self.classifier = nn.Linear(body.pooler.out_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body.hidden(x[:, 0], x[:, 1], x[:, 2])  # (B, T, E)
        return self.classifier(torch.tanh(self.body.pooler(h[:, 0])))  # (B, C)


def labelled_sentences(templates, n_per_template: int, rng: np.random.Generator):
    """Sentences drawn from the given templates of each sense; label 0 river, 1 money."""
    sentences, labels = [], []
    for sense, which in templates:
        for t in which:
            for _ in range(n_per_template):
                sentences.append(tb._fill(tb.SENSE_TEMPLATES[sense][t], rng))
                labels.append(("river", "money").index(sense))
    return sentences, np.array(labels, dtype=np.int64)


def encode(vocab: tb.Vocab, sentences, max_len: int) -> np.ndarray:
    """(N, 3, T) int64: each sentence as ``[CLS] sentence [SEP]`` with types and mask."""
    rows = [bert.build_bert_inputs(vocab.encode(s), None, max_len) for s in sentences]
    keys = ("input_ids", "token_type_ids", "attention_mask")
    return np.stack([np.stack([r[k] for k in keys]) for r in rows])


def fine_tune(body: tb.TinyBert, vocab: tb.Vocab, config: Config, seed: int,
              frozen: bool = False) -> float:
    """Fine-tune a copy of ``body`` with a new classifier (``frozen``: train the classifier
    only, the feature-based use); return the test accuracy."""
    rng = np.random.default_rng(seed)
    X_train, y_train = labelled_sentences(config.train_templates, config.n_train_per_template, rng)
    X_test, y_test = labelled_sentences(config.test_templates, config.n_test_per_template,
                                        np.random.default_rng(1000 + seed))
    max_len = config.pretrain.max_len
    X_train, X_test = encode(vocab, X_train, max_len), encode(vocab, X_test, max_len)
    torch.manual_seed(seed)  # the new classifier layer
    model = SentenceClassifier(copy.deepcopy(body))
    model.body.requires_grad_(not frozen)

    def batches(rng, B):
        idx = rng.integers(len(y_train), size=B)
        return X_train[idx], y_train[idx]

    steps, lr = (config.probe_steps, config.probe_lr) if frozen else (config.steps, config.lr)
    train.train(model, batches, nn.CrossEntropyLoss(),
                train.TrainConfig(steps=steps, batch_size=config.batch_size, lr=lr,
                                  optimizer="adam", seed=seed))
    return train.evaluate(model, [(X_test, y_test)], train.accuracy)


def identity_accuracy(model: tb.TinyBert, vocab: tb.Vocab, sentences, max_len: int) -> float:
    """Fraction of the ordinary tokens of unmasked sentences that the MLM head predicts
    as themselves (argmax of the logits at their own position)."""
    ids = torch.from_numpy(encode(vocab, sentences, max_len))
    with torch.no_grad():
        logits, _ = model(ids[:, 0], ids[:, 1], ids[:, 2])
    tokens = ids[:, 0].numpy()
    ordinary = tokens >= bert.NUM_SPECIAL
    return float((logits.argmax(-1).numpy()[ordinary] == tokens[ordinary]).mean())


def run(config: Config = Config(), pretrained: dict | None = None) -> Result:
    """Pre-train (unless given), fine-tune every arm for every seed, measure the frozen
    outputs. ``pretrained`` may hold already pre-trained ``TinyBertResult``s under
    "80/10/10" and/or "100 % [MASK]" (their configs must be ``config.pretrain`` with
    ``all_mask`` False / True); the missing ones are trained here. Seeded, CPU."""
    start = time.perf_counter()
    result = Result(config)
    pretrained = dict(pretrained or {})
    wanted = {arm: dataclasses.replace(config.pretrain, all_mask=all_mask)
              for arm, all_mask in (("80/10/10", False), ("100 % [MASK]", True))}
    for arm, r in pretrained.items():
        if wanted.get(arm) != r.config:
            raise ValueError(f"pretrained[{arm!r}] was trained with {r.config}, "
                             f"expected {wanted.get(arm)}")
    for arm, pretrain_config in wanted.items():
        if arm not in pretrained:
            pretrained[arm] = tb.pretrain_tiny_bert(pretrain_config)
    result.pretrained = pretrained
    vocab = pretrained["80/10/10"].vocab
    torch.manual_seed(config.pretrain.seed)
    bodies = {"scratch": tb.TinyBert(len(vocab), config.pretrain),
              **{arm: r.model for arm, r in pretrained.items()}}
    for arm in ARMS:
        result.accuracy[arm] = [fine_tune(bodies[arm], vocab, config, s) for s in config.seeds]
    # the frozen pre-trained networks, on inputs without [MASK]
    docs, _ = tb.bank_corpus(40, n_builtin=0, seed=config.identity_seed)
    sentences = [s for d in docs for s in d]
    for arm, r in pretrained.items():
        result.probe_accuracy[arm] = [fine_tune(r.model, vocab, config, s, frozen=True)
                                      for s in config.seeds]
        r.model.eval()
        result.identity_accuracy[arm] = identity_accuracy(r.model, r.vocab, sentences,
                                                          config.pretrain.max_len)
    result.seconds = time.perf_counter() - start
    return result
