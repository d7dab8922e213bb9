"""TrainingMonitor: findings during fit, warnings once per kind and layer, stop, loss rules."""

import warnings

import pytest

from deltaw.diagnostics import rules
from deltaw.keras.callbacks import TrainingMonitor
from tests.diagnostics import corpus


def test_stop_ends_training_at_the_first_finding():
    model, x, y = corpus.dead_mlp()
    monitor = TrainingMonitor(on_finding="stop")
    with pytest.warns(UserWarning, match=r"dead_units \[dense_2\] \(epoch 1\)"):
        history = model.fit(x, y, epochs=5, batch_size=64, callbacks=[monitor], verbose=0)
    assert history.epoch == [0] and model.stop_training
    assert [(f.kind, f.layer, f.epoch) for f in monitor.findings] == [("dead_units", "dense_2", 0)]


def test_warns_once_per_kind_and_layer_and_keeps_every_finding():
    model, x, y = corpus.dead_mlp()
    monitor = TrainingMonitor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=3, batch_size=64, callbacks=[monitor], verbose=0)
    assert len(history.epoch) == 3
    messages = [str(w.message) for w in caught if "TrainingMonitor" in str(w.message)]
    assert len(messages) == 1 and "dead_units [dense_2]" in messages[0]
    assert [f.epoch for f in monitor.findings if f.kind == "dead_units"] == [0, 1, 2]
    assert monitor.diagnosis.layer("dense_2").dead_fraction >= 0.7


def test_every_n_epochs_and_ignore_record_without_warning():
    model, x, y = corpus.dead_mlp()
    monitor = TrainingMonitor(every_n_epochs=2, on_finding="ignore", probe=(x[:128], y[:128]))
    model.fit(x, y, epochs=4, batch_size=64, callbacks=[monitor], verbose=0)  # warnings = errors
    assert [f.epoch for f in monitor.findings] == [1, 3]
    assert monitor.diagnosis.samples == 128


def test_a_network_that_does_not_learn_gets_a_plateau_and_the_reason():
    model, x, y = corpus.vanishing_mlp()
    monitor = TrainingMonitor(every_n_epochs=10, on_finding="ignore")
    history = model.fit(x, y, epochs=10, batch_size=128, callbacks=[monitor], verbose=0)
    kinds = {(f.kind, f.layer) for f in monitor.findings}
    assert ("loss_plateau", None) in kinds and ("vanishing_gradient", "dense_1") in kinds
    assert history.history["accuracy"][-1] < 0.25      # it really does not learn (10 classes)


def test_a_healthy_network_trains_without_findings():
    model, x, y = corpus.healthy_digits_cnn()
    monitor = TrainingMonitor()
    history = model.fit(x, y, epochs=3, batch_size=32, callbacks=[monitor], verbose=0)
    assert monitor.findings == [] and history.history["accuracy"][-1] > 0.85


@pytest.mark.parametrize("losses, kind", [
    ([2.30, 2.31, 2.30, 2.30, 2.302, 2.30, 2.301], "loss_plateau"),
    ([1.0, 1.5, 0.9, 1.6, 0.95, 1.55], "loss_oscillation"),
    ([2.3, 1.0, 0.5, 0.3, 0.25, 0.245, 0.245], None),           # converged: not a plateau
    ([2.3, 2.0, 1.8, 1.6, 1.4, 1.2, 1.0], None),                # steady progress
    ([1.0, 0.8, 0.85, 0.7, 0.72, 0.6, 0.62], None),             # noisy but going down
    ([2.3, 2.3, 2.3], None),                                   # too early to tell
])
def test_loss_history_rules(losses, kind):
    found = rules.find_in_losses(losses)
    assert [f.kind for f in found] == ([kind] if kind else [])
    assert all(f.layer is None and f.evidence["losses"] for f in found)


@pytest.mark.parametrize("kwargs, match", [
    ({"every_n_epochs": 0}, "every_n_epochs must be a positive int"),
    ({"on_finding": "raise"}, r"on_finding must be one of \['warn', 'stop', 'ignore'\]"),
    ({"probe": [1, 2]}, r"probe must be None, \(x, y\)"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainingMonitor(**kwargs)
