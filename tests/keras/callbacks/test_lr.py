import json

import numpy as np
import pytest

from deltaw.keras.callbacks import LearningRateScheduler, ReduceLROnPlateau
from tests.keras.callbacks.fakes import FakeModel, run_fit


def _plateau(values, key="val_loss", lr=1.0, **kwargs):
    model = FakeModel(learning_rate=lr)
    cb = ReduceLROnPlateau(monitor=key, **kwargs)
    run_fit([cb], model, [{"loss": 1.0, key: v} for v in values], steps=1)
    return model, cb


def test_reduces_after_patience_with_cooldown_and_min_lr(capsys):
    model, cb = _plateau([1.0] * 9, factor=0.5, patience=2, cooldown=2, min_lr=0.2, verbose=1)
    # Logged per epoch: the rate used during that epoch (set before any reduction at its end).
    assert model.history.history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25,
                                                      0.25]
    assert model.optimizer.learning_rate == 0.2  # max(0.25 * 0.5, min_lr)
    out = capsys.readouterr().out
    assert out == ("\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.5.\n"
                   "\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.25.\n"
                   "\nEpoch 9: ReduceLROnPlateau reducing learning rate to 0.2.\n")


def test_no_reduction_at_min_lr():
    model, _ = _plateau([1.0] * 6, factor=0.5, patience=1, min_lr=0.5, lr=0.5)
    assert model.optimizer.learning_rate == 0.5


def test_min_lr_compared_in_float32():
    # A float32-stored 0.2 reads back as 0.20000000298...: not above min_lr=0.2 in float32.
    model, _ = _plateau([1.0] * 4, factor=0.5, patience=1, min_lr=0.2,
                        lr=float(np.float32(0.2)))
    assert model.optimizer.learning_rate == float(np.float32(0.2))


def test_improvement_resets_wait_and_min_delta_is_required():
    model, cb = _plateau([1.0, 0.99995, 0.9, 0.89995, 0.89994], factor=0.5, patience=2)
    # 0.99995 is within min_delta=1e-4 of 1.0: no improvement (wait 1); 0.9 improves (wait 0);
    # the next two are within min_delta of 0.9: wait reaches 2 at the last epoch.
    assert model.history.history["learning_rate"][-1] == 1.0
    assert model.optimizer.learning_rate == 0.5
    assert cb.best == 0.9 and cb.wait == 0


def test_auto_mode_follows_keras_acc_rule():
    up, _ = _plateau([0.5, 0.6, 0.7], key="val_accuracy", patience=1, factor=0.5)
    assert up.optimizer.learning_rate == 1.0
    down, _ = _plateau([0.5, 0.6, 0.7], key="val_mse", patience=1, factor=0.5)
    assert down.optimizer.learning_rate == 0.25  # rising mse: reduced at epochs 2 and 3
    assert ReduceLROnPlateau(monitor="val_auc")._minimizes()  # 'auc' has no 'acc': 'min' in Keras
    assert not ReduceLROnPlateau(monitor="auc", mode="max")._minimizes()


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: factor must be < 1\.0; "
                                         r"got factor=1\.0\."):
        ReduceLROnPlateau(factor=1.0)


def test_unknown_mode_warns():
    with pytest.warns(UserWarning, match=r"ReduceLROnPlateau: unknown mode 'down'"):
        assert ReduceLROnPlateau(mode="down").mode == "auto"


def test_missing_monitor_warns_but_still_logs_learning_rate():
    model = FakeModel(learning_rate=0.125)
    with pytest.warns(UserWarning, match=r"Learning rate reduction conditioned on metric "
                                         r"`val_loss` which is not available\. Available "
                                         r"metrics are: loss,learning_rate"):
        run_fit([ReduceLROnPlateau()], model, [{"loss": 1.0}])
    assert model.history.history["learning_rate"] == [0.125]


def test_state_round_trip_with_infinite_best():
    cb = ReduceLROnPlateau()
    cb.on_train_begin()
    state = json.loads(json.dumps(cb.get_state(), allow_nan=False))
    assert state == {"wait": 0, "cooldown_counter": 0, "best": "inf"}
    _, cb = _plateau([1.0, 2.0, 3.0], factor=0.5, patience=5, cooldown=3)
    state = json.loads(json.dumps(cb.get_state(), allow_nan=False))
    assert state == {"wait": 2, "cooldown_counter": 0, "best": 1.0}
    other = ReduceLROnPlateau(factor=0.5, patience=5)
    other.set_state(state)
    other.on_train_begin()  # restored state survives the resumed fit's start
    assert (other.wait, other.cooldown_counter, other.best) == (2, 0, 1.0)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau.set_state: state must be a dict"):
        other.set_state({"wait": 0})


def test_scheduler_sets_rate_each_epoch_and_logs_it(capsys):
    model = FakeModel(learning_rate=1.0)
    run_fit([LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)], model,
            [{"loss": 1.0}] * 3)
    assert model.history.history["learning_rate"] == [0.5, 0.25, 0.125]
    assert model.optimizer.learning_rate == 0.125
    assert capsys.readouterr().out.startswith(
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.\n")


def test_scheduler_legacy_one_argument_schedule():
    model = FakeModel()
    run_fit([LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))], model, [{"loss": 1.0}] * 2)
    assert model.history.history["learning_rate"] == [0.1, 0.2]


def test_scheduler_reads_numpy_rates_and_accepts_int_results():
    model = FakeModel(learning_rate=np.float32(0.5))
    seen = []

    def schedule(epoch, lr):
        seen.append(lr)
        return 1

    run_fit([LearningRateScheduler(schedule)], model, [{"loss": 1.0}])
    assert seen == [0.5] and type(seen[0]) is float
    assert model.optimizer.learning_rate == 1.0 and type(model.optimizer.learning_rate) is float


def test_scheduler_rejects_non_numbers():
    with pytest.raises(ValueError, match=r"LearningRateScheduler: the schedule must return a "
                                         r"float; got '0.1' \(str\) for epoch 0\."):
        run_fit([LearningRateScheduler(lambda epoch, lr: "0.1")], FakeModel(), [{"loss": 1.0}])


def test_scheduler_does_not_hide_type_errors_inside_the_schedule():
    def schedule(epoch, lr):
        return lr + "x"

    with pytest.raises(TypeError, match="unsupported operand"):
        run_fit([LearningRateScheduler(schedule)], FakeModel(), [{"loss": 1.0}])
