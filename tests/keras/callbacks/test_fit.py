"""Callbacks driven by the real Sequential.fit / evaluate / predict on tiny data."""

import csv
import re

import numpy as np

from deltaw.keras import layers, models, optimizers
from deltaw.keras.callbacks import (
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from tests.keras.callbacks.fakes import Recorder, fit_calls


def _data(n=16):
    rng = np.random.default_rng(0)
    x = rng.random((n, 2)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def _model(learning_rate=0.01, metrics=None):
    model = models.Sequential([layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss="mse",
                  metrics=metrics)
    return model


def test_fit_calls_hooks_in_keras_order_and_returns_history():
    x, y = _data()
    rec = Recorder()
    model = _model()
    history = model.fit(x, y, epochs=2, batch_size=4, validation_split=0.25, verbose=0,
                        callbacks=[rec])
    assert rec.calls == fit_calls(epochs=2, steps=3)  # 12 training samples in batches of 4
    assert isinstance(history, History) and history is model.history
    assert history.epoch == [0, 1]
    assert sorted(history.history) == ["loss", "val_loss"]
    assert all(len(v) == 2 for v in history.history.values())
    assert rec.params == {"verbose": 0, "epochs": 2, "steps": 3}
    assert rec.model is model


def test_evaluate_and_predict_hooks():
    x, y = _data()
    rec = Recorder()
    model = _model()
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[rec])
    model.predict(x, batch_size=8, verbose=0, callbacks=[rec])
    assert rec.calls == [
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
        ("on_test_batch_begin", 1), ("on_test_batch_end", 1), ("on_test_end",),
        ("on_predict_begin",), ("on_predict_batch_begin", 0), ("on_predict_batch_end", 0),
        ("on_predict_batch_begin", 1), ("on_predict_batch_end", 1), ("on_predict_end",)]


_FINAL = re.compile(r"^3/3 ━{20} \d+s \d+(us|ms|s)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4} - "
                    r"val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}$")


def test_fit_verbose1_output(capsys):
    x, y = _data()
    _model(metrics=["mae"]).fit(x, y, epochs=2, batch_size=4, validation_split=0.25,
                                verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0::2] == ["Epoch 1/2", "Epoch 2/2"]
    assert all(_FINAL.match(line) for line in lines[1::2]), lines


def test_fit_verbose2_output(capsys):
    x, y = _data()
    _model(metrics=["mae"]).fit(x, y, epochs=3, batch_size=4, validation_split=0.25,
                                verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    pattern = re.compile(r"^3/3 - \d+s - \d+(us|ms|s)/step - loss: \d+\.\d{4} - mae: "
                         r"\d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}$")
    assert all(pattern.match(line) for line in lines[1::2]), lines


def test_evaluate_and_predict_verbose1_output(capsys):
    x, y = _data()
    model = _model()
    model.evaluate(x, y, batch_size=8, verbose=1)
    model.predict(x, batch_size=8, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.match(r"^2/2 ━{20} \d+s \d+(us|ms|s)/step - loss: \d+\.\d{4}$", lines[0])
    assert re.match(r"^2/2 ━{20} \d+s \d+(us|ms|s)/step$", lines[1])


def test_fit_verbose0_is_silent(capsys):
    x, y = _data()
    _model().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_early_stopping_stops_fit():
    x, y = _data()
    model = _model(learning_rate=0.0)  # the loss never improves
    history = model.fit(x, y, epochs=10, batch_size=4, verbose=0, shuffle=False,
                        callbacks=[EarlyStopping(monitor="loss", patience=2)])
    assert history.epoch == [0, 1, 2]


def test_early_stopping_restores_best_weights_through_fit():
    x, y = _data()
    model = _model(learning_rate=0.05)
    snapshots = {}

    def spoil(epoch, logs):
        snapshots[epoch] = model.get_weights()
        if epoch == 1:  # ruin the model after epoch 1: later epochs are worse
            model.set_weights([w + 100.0 for w in model.get_weights()])

    stopper = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    model.fit(x, y, epochs=6, batch_size=4, verbose=0,
              callbacks=[stopper, LambdaCallback(on_epoch_end=spoil)])
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 3
    for got, want in zip(model.get_weights(), snapshots[1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_reduce_lr_on_plateau_through_fit():
    x, y = _data()
    model = _model(learning_rate=0.0)
    model.optimizer.learning_rate = 0.5 ** 20  # tiny: the loss stays on a plateau
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0,
                        callbacks=[ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)])
    lrs = history.history["learning_rate"]
    # Epoch 0 sets the best; from epoch 1 on each epoch end halves the rate.
    assert lrs == [0.5 ** 20, 0.5 ** 20, 0.5 ** 21, 0.5 ** 22]
    assert model.optimizer.learning_rate == 0.5 ** 23


def test_learning_rate_scheduler_through_fit():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch, lr: 0.5 ** (epoch + 4))])
    assert history.history["learning_rate"] == [0.0625, 0.03125, 0.015625]


def test_terminate_on_nan_through_fit(capsys):
    x, y = _data()
    model = _model(learning_rate=0.0)

    def poison(batch, logs):
        if batch == 1:
            model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])

    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0,
                        callbacks=[LambdaCallback(on_train_batch_end=poison), TerminateOnNaN()])
    assert history.epoch == [0]
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_csv_logger_through_fit(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    history = _model(metrics=["mae"]).fit(x, y, epochs=2, batch_size=4, validation_split=0.25,
                                          verbose=0, callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    for key in ("loss", "val_mae"):
        assert [float(r[key]) for r in rows] == history.history[key]


def test_model_checkpoint_through_fit(tmp_path):
    x, y = _data()
    model = _model()
    weights = ModelCheckpoint(tmp_path / "w-{epoch:02d}.weights.h5", save_weights_only=True)
    full = ModelCheckpoint(tmp_path / "best.keras", monitor="loss", save_best_only=True)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[weights, full])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.keras", "w-01.weights.h5", "w-02.weights.h5"]
    restored = _model()
    restored(x[:1])  # build
    restored.load_weights(tmp_path / "w-02.weights.h5")
    for got, want in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
