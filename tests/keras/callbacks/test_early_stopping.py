import json

import numpy as np
import pytest

from deltaw.keras.callbacks import EarlyStopping
from tests.keras.callbacks.fakes import FakeModel, run_fit


def _script(stopper, values, monitor="val_loss", model=None, set_weights=True):
    """Runs on_epoch_end over `values`; returns the number of epochs run."""
    model = model or FakeModel()
    stopper.set_model(model)
    stopper.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        ran += 1
        if set_weights:
            model.set_weights_to_epoch(epoch)
        stopper.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    stopper.on_train_end()
    return ran


@pytest.mark.parametrize("patience", [0, 1, 2, 3])
def test_patience_counts_epochs_without_improvement(patience):
    losses = [10.0, 9.0, 8.0, 9.0, 8.9, 8.8, 8.7, 8.6, 8.5]
    stopper = EarlyStopping(monitor="loss", patience=patience)
    _script(stopper, losses, monitor="loss")
    # Best at epoch 2; patience 0 and 1 both stop at epoch 3 (the check needs epoch > 0 and
    # wait counts from 1), later ones `patience` epochs after the best.
    assert stopper.stopped_epoch == max(patience, 1) + 2
    assert stopper.best == 8.0 and stopper.best_epoch == 2


def test_min_delta_ignores_small_improvements():
    stopper = EarlyStopping(monitor="loss", patience=2, min_delta=0.5)
    ran = _script(stopper, [10.0, 9.7, 9.6, 9.55, 8.0], monitor="loss")
    assert ran == 3 and stopper.stopped_epoch == 2 and stopper.best == 10.0
    negative = EarlyStopping(monitor="loss", min_delta=-0.5)
    assert negative.min_delta == 0.5  # abs(), as in Keras


def test_max_mode_and_min_delta():
    stopper = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.01)
    ran = _script(stopper, [0.5, 0.6, 0.605, 0.7], monitor="val_accuracy")
    assert stopper.monitor_op is np.greater
    assert ran == 3 and stopper.best == 0.6


class _Metric:
    def __init__(self, name, direction=None):
        self.name = name
        if direction:
            self._direction = direction


class _Container:
    def __init__(self, metrics):
        self.name = "compile_metrics"
        self.metrics = metrics


@pytest.mark.parametrize("mode, monitor, expected", [
    ("max", "val_loss", np.greater),
    ("min", "val_accuracy", np.less),
    ("auto", "loss", np.less),
    ("auto", "val_loss", np.less),
    ("auto", "val_output_1_loss", np.less),
    ("auto", "acc", np.greater),
    ("auto", "val_accuracy", np.greater),
    ("auto", "sparse_categorical_accuracy", np.greater),
    ("auto", "val_auc", np.greater),
    ("auto", "precision", np.greater),
    ("auto", "mse", np.less),
    ("auto", "val_mean_absolute_error", np.less),
    ("auto", "hinge", np.less),
    ("auto", "custom_up", np.greater),     # from the model's metric _direction
    ("auto", "val_custom_down", np.less),
])
def test_mode_inference(mode, monitor, expected):
    model = FakeModel()
    model.metrics = [_Metric("loss"),
                     _Container([_Metric("custom_up", "up"), _Metric("custom_down", "down")])]
    stopper = EarlyStopping(monitor=monitor, mode=mode)
    stopper.set_model(model)
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {monitor: 1.0})
    assert stopper.monitor_op is expected


def test_auto_mode_unknown_metric_raises():
    stopper = EarlyStopping(monitor="my_score")
    stopper.set_model(FakeModel())
    with pytest.raises(ValueError, match=r"EarlyStopping: cannot tell whether "
                                         r"monitor='my_score' should be minimized or maximized; "
                                         r".* Hint: pass mode='min' or mode='max'\."):
        stopper.on_epoch_end(0, {"my_score": 1.0})


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match=r"EarlyStopping: unknown mode 'bigger'; expected "
                                         r"'auto', 'min' or 'max'\. Falling back to 'auto'\."):
        stopper = EarlyStopping(mode="bigger")
    assert stopper.mode == "auto"


def test_missing_monitor_warns_with_available_keys():
    stopper = EarlyStopping(monitor="val_loss")
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    with pytest.warns(UserWarning, match=r"Early stopping conditioned on metric `val_loss` "
                                         r"which is not available\. Available metrics are: "
                                         r"loss,accuracy"):
        stopper.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    assert stopper.wait == 0 and not stopper.model.stop_training


def test_restore_best_weights_restores_the_exact_best_arrays(capsys):
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    ran = _script(stopper, [0.2, 0.15, 0.1, 0.11, 0.12], model=model)
    assert ran == 5 and stopper.stopped_epoch == 4
    expected = FakeModel()
    expected.set_weights_to_epoch(2)
    for got, want in zip(model.get_weights(), expected.get_weights(), strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert capsys.readouterr().out == ("Epoch 5: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: "
                                       "3.\n")


def test_restore_best_weights_also_when_training_ends_without_stopping():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    _script(stopper, [0.3, 0.1, 0.2], model=model)
    assert stopper.stopped_epoch == 0
    assert model.weights[0][0, 0] == np.float32(1.1)  # epoch 1's weights


def test_best_weights_are_a_snapshot_not_a_reference():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    stopper.set_model(model)
    stopper.on_train_begin()
    model.set_weights_to_epoch(0)
    stopper.on_epoch_end(0, {"val_loss": 0.1})
    model.weights[0][...] = 99.0  # training updates weights in place
    stopper.on_epoch_end(1, {"val_loss": 0.5})
    stopper.on_train_end()
    assert model.weights[0][0, 0] == np.float32(0.1)


def test_baseline_not_beaten_stops_after_patience_and_restores_best():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_loss", patience=5, baseline=0.5,
                            restore_best_weights=True)
    ran = _script(stopper, [0.9, 0.8, 0.7, 0.71, 0.72, 0.73], model=model)
    assert ran == 5
    assert model.weights[0][0, 0] == np.float32(2.1)


def test_baseline_beaten_resets_wait():
    stopper = EarlyStopping(monitor="val_loss", patience=1, baseline=0.5)
    ran = _script(stopper, [0.6, 0.4, 0.45, 0.3])
    assert ran == 3 and stopper.stopped_epoch == 2


def test_start_from_epoch_skips_warmup():
    stopper = EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    ran = _script(stopper, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], monitor="loss")
    # Epochs 0-2 are not monitored; epoch 3 sets the best, epoch 4 stops.
    assert ran == 5 and stopper.stopped_epoch == 4 and stopper.best == 4.0


def test_reuse_resets_state_on_train_begin():
    stopper = EarlyStopping(monitor="loss", patience=0)
    _script(stopper, [1.0, 2.0], monitor="loss")
    assert stopper.stopped_epoch == 1
    ran = _script(stopper, [3.0, 2.0, 1.0], monitor="loss")
    assert ran == 3 and stopper.stopped_epoch == 0 and stopper.best == 1.0


def test_stops_a_fit_loop_and_history_shows_epochs_run():
    model = FakeModel()
    logs = [{"loss": v, "val_loss": v} for v in [1.0, 0.9, 0.95, 0.97, 0.99, 0.5]]
    _, ran = run_fit([EarlyStopping(patience=2)], model, logs)
    assert ran == 4
    assert model.history.epoch == [0, 1, 2, 3]


def test_state_round_trips_through_json_exactly():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, value in enumerate([0.5, 0.25, 0.4]):
        model.set_weights_to_epoch(epoch)
        stopper.on_epoch_end(epoch, {"val_loss": value})
    state = json.loads(json.dumps(stopper.get_state(), allow_nan=False))
    assert {k: state[k] for k in ("wait", "stopped_epoch", "best", "best_epoch")} == {
        "wait": 1, "stopped_epoch": 0, "best": 0.25, "best_epoch": 1}

    other = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    other.set_model(FakeModel())
    other.set_state(state)
    other.on_train_begin()  # a restored state survives the start of the resumed fit
    assert other.wait == 1 and other.best == 0.25 and other.best_epoch == 1
    for got, want in zip(other.best_weights, stopper.best_weights, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    # Resuming behaves as the uninterrupted run: two more epochs without improvement stop.
    for s in (stopper, other):
        s.on_epoch_end(3, {"val_loss": 0.3})
        s.on_epoch_end(4, {"val_loss": 0.3})
        assert s.stopped_epoch == 4
    other.on_train_begin()  # the next fit starts fresh again
    assert other.best is None and other.best_weights is None


def test_state_without_weights_and_with_infinite_best():
    stopper = EarlyStopping(monitor="loss")
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"loss": float("inf")})
    state = stopper.get_state()
    assert state["best"] == "inf" and state["best_weights"] is None
    json.dumps(state, allow_nan=False)
    other = EarlyStopping(monitor="loss")
    other.set_state(state)
    assert other.best == float("inf")


def test_set_state_rejects_a_wrong_dict():
    with pytest.raises(ValueError, match=r"EarlyStopping.set_state: state must be a dict from "
                                         r"get_state\(\); expected keys \['best', .*"
                                         r"got \['wait'\]"):
        EarlyStopping().set_state({"wait": 1})
