"""seqbook.train: determinism, gradient clipping, every optimizer, config checks, models, demo."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from seqbook import train as tr
from seqbook.train import History, TrainConfig


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train fastest on one thread (and do not fight other jobs for cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def regression_batches(rng, B):
    """y = X w* + 0.5 with a fixed w*, fresh X every step: a tiny linear regression."""
    w = np.array([1.0, -2.0, 0.5])
    X = rng.standard_normal((B, 3))
    return X, (X @ w + 0.5)[:, None]


def linear_model(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(3, 1)


def run(config, model=None, batches=regression_batches, **kw):
    model = linear_model() if model is None else model
    return tr.train(model, batches, nn.MSELoss(), config, **kw), model


# ---------------------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_same_config_gives_the_same_history_exactly(cell):
    config = TrainConfig(steps=8, batch_size=4, lr=0.05, optimizer="adam", clip_norm=0.5, seed=3)

    def batches(rng, B):
        X = rng.standard_normal((B, 5, 2))
        return X, X.sum(axis=(1, 2))[:, None]

    histories, states = [], []
    for _ in range(2):
        torch.manual_seed(11)
        model = tr.SequenceClassifier(cell, input_size=2, hidden_size=3, output_size=1)
        history = tr.train(model, batches, nn.MSELoss(), config)
        histories.append(history)
        states.append({k: v.clone() for k, v in model.state_dict().items()})
    a, b = histories
    assert len(a) == 8 and a.loss == b.loss and a.grad_norm == b.grad_norm and a.lr == b.lr
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k


def test_a_different_seed_gives_different_data():
    a, _ = run(TrainConfig(steps=3, batch_size=4, lr=0.01, seed=0))
    b, _ = run(TrainConfig(steps=3, batch_size=4, lr=0.01, seed=1))
    assert a.loss != b.loss


def test_fixed_list_of_batches_is_cycled():
    rng = np.random.default_rng(0)
    data = [regression_batches(rng, 4) for _ in range(2)]
    history, _ = run(TrainConfig(steps=5, optimizer="sgd", lr=1e-9), batches=data)
    assert len(history) == 5
    # lr ~ 0: the model does not change, so step 3 sees batch 1 again with the same loss
    assert history.loss[2] == pytest.approx(history.loss[0], rel=1e-6)
    with pytest.raises(ValueError, match="batches is empty"):
        run(TrainConfig(steps=2), batches=[])


# ---------------------------------------------------------------------------------------
# clipping and gradient norms
# ---------------------------------------------------------------------------------------

def test_grad_norm_is_recorded_before_clipping():
    model = linear_model()
    X, y = regression_batches(np.random.default_rng(0), 8)
    loss = nn.MSELoss()(model(torch.tensor(X, dtype=torch.float32)),
                        torch.tensor(y, dtype=torch.float32))
    loss.backward()
    expected = math.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))

    history, _ = run(TrainConfig(steps=1, batch_size=8, optimizer="sgd", lr=0.1, clip_norm=1e-3),
                     batches=[(X, y)])
    assert history.grad_norm[0] == pytest.approx(expected, rel=1e-5)
    assert history.grad_norm[0] > 1e-3  # so clipping was active


@pytest.mark.parametrize("clip_norm", [1e-3, 0.1, 1.0])
def test_clipping_bounds_the_applied_gradient(clip_norm):
    # plain SGD: θ_new - θ_old = -lr · g_applied, so ‖Δθ‖ / lr is the applied gradient norm
    # (float64 model, so that rounding of θ does not blur a step of size lr · 1e-3)
    lr = 0.1
    for seed in range(3):
        model = linear_model(seed).double()
        before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
        config = TrainConfig(steps=1, batch_size=16, optimizer="sgd", lr=lr,
                             clip_norm=clip_norm, seed=seed)
        history, _ = run(config, model=model)
        after = torch.cat([p.detach().flatten() for p in model.parameters()])
        applied = float(torch.linalg.vector_norm(after - before)) / lr
        assert applied <= clip_norm * (1 + 1e-9)
        # clipping keeps the direction and lands exactly on the bound when active
        assert applied == pytest.approx(min(clip_norm, history.grad_norm[0]), rel=1e-9)


def test_clip_gradients_leaves_small_gradients_alone():
    p = nn.Parameter(torch.zeros(3))
    p.grad = torch.tensor([0.3, 0.0, 0.4])
    assert tr.clip_gradients([p], 1.0) == pytest.approx(0.5)
    assert torch.allclose(p.grad, torch.tensor([0.3, 0.0, 0.4]))
    assert tr.clip_gradients([p], 0.25) == pytest.approx(0.5)
    assert torch.allclose(p.grad, torch.tensor([0.15, 0.0, 0.2]))


# ---------------------------------------------------------------------------------------
# optimizers
# ---------------------------------------------------------------------------------------

LRS = {"sgd": 0.1, "momentum": 0.02, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05}


@pytest.mark.parametrize("optimizer", tr.OPTIMIZERS)
def test_each_optimizer_makes_the_loss_drop(optimizer):
    config = TrainConfig(steps=60, batch_size=16, lr=LRS[optimizer], optimizer=optimizer)
    history, _ = run(config)
    first, last = np.mean(history.loss[:5]), np.mean(history.loss[-5:])
    assert all(math.isfinite(v) for v in history.loss)
    assert last < 0.3 * first, (optimizer, first, last)
    assert history.lr == [LRS[optimizer]] * 60


def test_optimizer_classes():
    params = [nn.Parameter(torch.zeros(2))]
    expect = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
              "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}
    for name, cls in expect.items():
        opt = tr.make_optimizer(params, TrainConfig(optimizer=name, lr=0.2, momentum=0.5))
        assert type(opt) is cls and opt.param_groups[0]["lr"] == 0.2
    assert tr.make_optimizer(params, TrainConfig(optimizer="momentum",
                                                 momentum=0.5)).param_groups[0]["momentum"] == 0.5
    assert tr.make_optimizer(params, TrainConfig(optimizer="sgd")).param_groups[0]["momentum"] == 0


# ---------------------------------------------------------------------------------------
# config checks
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("steps", 0), ("steps", 2.5), ("steps", True), ("batch_size", 0), ("batch_size", -3),
    ("lr", 0), ("lr", -1e-3), ("lr", float("nan")), ("lr", float("inf")), ("lr", "0.1"),
    ("optimizer", "adamw"), ("optimizer", "SGD"), ("momentum", 1.0), ("momentum", -0.1),
    ("clip_norm", 0), ("clip_norm", -1.0), ("clip_norm", float("inf")), ("seed", -1),
    ("seed", 1.5), ("log_every", -1), ("log_every", 0.5),
])
def test_bad_config_raises_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"^{field} "):
        TrainConfig(**{field: value})


def test_train_checks_its_arguments():
    with pytest.raises(ValueError, match="config"):
        tr.train(linear_model(), regression_batches, nn.MSELoss(), {"steps": 3})
    with pytest.raises(ValueError, match="progress"):
        run(TrainConfig(steps=1), progress=42)
    with pytest.raises(ValueError, match="model"):
        tr.train(lambda x: x, regression_batches, nn.MSELoss(), TrainConfig(steps=1))
    with pytest.raises(ValueError, match="loss_fn"):
        tr.train(linear_model(), regression_batches, "mse", TrainConfig(steps=1))
    with pytest.raises(ValueError, match=r"batches must give \(inputs, targets\) pairs"):
        tr.train(linear_model(), lambda rng, B: rng.standard_normal((B, 3)), nn.MSELoss(),
                 TrainConfig(steps=1))
    with pytest.raises(ValueError, match="num_threads"):
        tr.train_on_adding_problem(num_threads=0)


# ---------------------------------------------------------------------------------------
# progress hook
# ---------------------------------------------------------------------------------------

def test_progress_is_called_every_log_every_steps_and_at_the_end():
    calls = []
    history, _ = run(TrainConfig(steps=7, log_every=3, lr=0.01),
                     progress=lambda step, record: calls.append((step, record)))
    assert [s for s, _ in calls] == [3, 6, 7]
    for step, record in calls:
        assert record == {"loss": history.loss[step - 1], "grad_norm": history.grad_norm[step - 1],
                          "lr": 0.01}
    calls.clear()
    run(TrainConfig(steps=4, log_every=0), progress=lambda s, r: calls.append(s))
    assert calls == []


def test_print_progress(capsys):
    run(TrainConfig(steps=4, log_every=2), progress=tr.print_progress)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("step     2  loss ")


# ---------------------------------------------------------------------------------------
# evaluate and metrics
# ---------------------------------------------------------------------------------------

def test_evaluate_weights_batches_by_size_and_restores_mode():
    model = nn.Sequential(nn.Identity(), nn.Dropout(0.5))
    model.train()
    batches = [(np.array([[0.0, 1.0]]), np.array([1])),                   # correct
               (np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), np.array([1, 1, 1]))]  # 1 of 3
    assert tr.evaluate(model, batches, tr.accuracy) == pytest.approx(2 / 4)
    assert model.training
    with pytest.raises(ValueError, match="empty"):
        tr.evaluate(model, [], tr.accuracy)


def test_metrics():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 1.0], [5.0, 0.0]]])  # (B=1, T=3, C=2)
    assert tr.accuracy(logits, torch.tensor([[0, 0, -100]])) == pytest.approx(0.5)
    close = tr.within_tolerance(0.04)
    assert close(torch.tensor([[1.0], [1.5]]), torch.tensor([1.03, 1.0])) == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
def test_classifier_and_tagger_shapes(cell, num_layers, bidirectional):
    B, T, D, H, C = 3, 5, 4, 6, 7
    x = torch.randn(B, T, D)
    clf = tr.SequenceClassifier(cell, D, H, C, num_layers=num_layers, bidirectional=bidirectional)
    tag = tr.SequenceTagger(cell, D, H, C, num_layers=num_layers, bidirectional=bidirectional)
    assert clf(x).shape == (B, C)
    assert tag(x).shape == (B, T, C)
    # time-major layout
    clf_t = tr.SequenceClassifier(cell, D, H, C, batch_first=False)
    assert clf_t(x.transpose(0, 1)).shape == (B, C)
    # token ids through an embedding
    ids = torch.randint(0, 9, (B, T))
    assert tr.SequenceTagger(cell, D, H, C, num_embeddings=9)(ids).shape == (B, T, C)


def test_classifier_reads_the_last_state():
    torch.manual_seed(0)
    clf = tr.SequenceClassifier("lstm", 2, 4, 3, bidirectional=True)
    x = torch.randn(2, 6, 2)
    output, _ = clf.rnn(x)  # (B, T, 2H)
    # forward direction's h_T is output[:, -1, :H]; the reverse direction's h_1 is output[:, 0, H:]
    last = torch.cat([output[:, -1, :4], output[:, 0, 4:]], dim=-1)
    torch.testing.assert_close(clf(x), clf.head(last))


def test_model_checks_arguments():
    with pytest.raises(ValueError, match="cell"):
        tr.SequenceClassifier("transformer", 2, 3, 1)
    with pytest.raises(ValueError, match="hidden_size"):
        tr.SequenceTagger("rnn", 2, 0, 1)
    with pytest.raises(ValueError, match="num_embeddings"):
        tr.SequenceTagger("rnn", 2, 3, 1, num_embeddings=0)


def test_tagger_trains_with_tagging_loss():
    # predict the current token of a random sequence: learnable in a few dozen steps
    def batches(rng, B):
        ids = rng.integers(0, 4, (B, 6))
        targets = ids.copy()
        targets[:, 0] = -100  # an ignored position
        return ids, targets

    torch.manual_seed(0)
    model = tr.SequenceTagger("gru", 8, 8, 4, num_embeddings=4)
    history = tr.train(model, batches, tr.tagging_loss,
                       TrainConfig(steps=60, batch_size=16, lr=0.05))
    assert history.loss[-1] < 0.5 * history.loss[0]


# ---------------------------------------------------------------------------------------
# adding-problem demo
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_adding_problem_demo_runs_with_tiny_settings(cell):
    torch.set_num_threads(2)  # the demo runs on one thread and puts this back
    threads = torch.get_num_threads()
    history, acc = tr.train_on_adding_problem(cell, seq_len=6, steps=5, hidden_size=4,
                                              batch_size=4, n_test=20)
    assert isinstance(history, History) and len(history) == 5
    assert all(math.isfinite(v) for v in history.loss + history.grad_norm)
    assert 0.0 <= acc <= 1.0
    assert history.seconds > 0
    assert torch.get_num_threads() == threads  # restored
    again, acc_again = tr.train_on_adding_problem(cell, seq_len=6, steps=5, hidden_size=4,
                                                  batch_size=4, n_test=20)
    assert again.loss == history.loss and acc_again == acc
