"""NaN tracing in training: `fit(..., on_nonfinite='raise')` and `dw.detect_anomaly()` name the
first op that gives NaN or Inf, its layer (or the loss), its inputs' ranges and the step; and
TerminateOnNaN stops at the batch whose loss is not finite."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import callbacks, layers, models


class LogLayer(layers.Layer):
    """log(|x| + offset): finite while offset > 0; a test sets offset to 0 at a chosen step."""

    offset = 1.0

    def call(self, inputs):
        return dw.log(dw.abs(inputs) + self.offset)


class ExpLayer(layers.Layer):
    def call(self, inputs):
        return dw.exp(inputs * 100.0)


class NormLayer(layers.Layer):
    def call(self, inputs):
        return dw.sqrt(dw.square(inputs))   # forward finite at 0; backward 1 / (2 sqrt(0)) = inf


class SetOffsetAt(callbacks.Callback):
    def __init__(self, layer, epoch, batch):
        super().__init__()
        self.layer, self.at, self.epoch = layer, (epoch, batch), 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.layer.offset = 0.0


X = np.linspace(-1.0, 1.0, 32 * 3, dtype=np.float32).reshape(32, 3)
X[:, 0] = 0.0   # an exact zero in every row
Y = np.linspace(0.0, 1.0, 32, dtype=np.float32).reshape(32, 1)


def _model(*inner, loss="mse"):
    dw.random.seed(0)
    model = models.Sequential([layers.Input((3,)), *inner, layers.Dense(1)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def test_log_of_zero_in_a_layer_names_op_layer_step_and_range():
    log_layer = LogLayer(name="log_layer")
    model = _model(layers.Dense(3, kernel_initializer="identity", name="mix"), log_layer)
    with pytest.raises(dw.NonFiniteError,
                       match=r"^fit: epoch 2/3, step 3/4: log in layer 'log_layer' "
                             r"\(sequential\w*/log_layer\): forward produced -Inf \(\d+ of 24 "
                             r"values\); input 0: shape \(8, 3\), range \[0, "):
        model.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0, on_nonfinite="raise",
                  callbacks=[SetOffsetAt(log_layer, epoch=1, batch=2)])


def test_overflowing_exp_in_a_layer_is_named():
    model = _model(ExpLayer(name="exp_layer"))
    x = X.copy()
    x[:, 1] = 10.0   # exp(1000) overflows float32
    with pytest.raises(dw.NonFiniteError, match=r"^fit: checking the model on the first batch: "
                                                r"exp in layer 'exp_layer' .*forward produced Inf "
                                                r"\(\d+ of 96 values\).*range \[-[\d.]+, 1000\]"):
        model.fit(x, Y, batch_size=8, epochs=1, verbose=0, on_nonfinite="raise")


def test_division_by_zero_in_a_custom_loss_names_the_loss():
    def ratio_loss(y_true, y_pred):
        return dw.mean(dw.square(y_true - y_pred) / (y_true * 0.0), axis=-1)

    model = _model(loss=ratio_loss)
    with pytest.raises(dw.NonFiniteError, match=r"^fit: epoch 1/2, step 1/4: divide in loss "
                                                r"'ratio_loss': forward produced .*Inf .*input 1: "
                                                r"shape \(8, 1\), range \[0, 0\]"):
        model.fit(X, Y, batch_size=8, epochs=2, verbose=0, on_nonfinite="raise")


def test_backward_inf_is_named_in_backward():
    model = _model(layers.Dense(3, kernel_initializer="identity", name="mix"),
                   NormLayer(name="norm_layer"))
    with pytest.raises(dw.NonFiniteError, match=r"^fit: epoch 1/1, step 1/4: sqrt in layer "
                                                r"'norm_layer' .*backward produced -?Inf .*in the "
                                                r"gradient of input 0; forward input 0: shape "
                                                r"\(8, 3\), range \[0, "):
        model.fit(X, Y, batch_size=8, epochs=1, verbose=0, on_nonfinite="raise")


def test_detect_anomaly_around_a_model_call_names_the_layer():
    model = _model(LogLayer(name="log_layer"))
    model.layers[0].offset = 0.0
    with dw.detect_anomaly(), pytest.raises(dw.NonFiniteError,
                                            match=r"^log in layer 'log_layer'"):
        model(X)


def test_without_on_nonfinite_nothing_is_checked():
    model = _model(LogLayer(name="log_layer"))
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)   # finite: runs at full speed
    with pytest.raises(ValueError, match=r"fit: on_nonfinite must be None or 'raise'; got "
                                         r"on_nonfinite='warn'"):
        model.fit(X, Y, epochs=1, verbose=0, on_nonfinite="warn")


class NanAfter(layers.Layer):
    """Multiplies by NaN once `poisoned` is set (NaN arithmetic raises no NumPy warning)."""

    scale = 1.0

    def call(self, inputs):
        return inputs * self.scale


class PoisonAt(callbacks.Callback):
    def __init__(self, layer, batch):
        super().__init__()
        self.layer, self.batch, self.seen = layer, batch, []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append(batch)
        if batch == self.batch:
            self.layer.scale = float("nan")


def test_terminate_on_nan_stops_after_the_bad_batch_and_says_so(capsys):
    nan_layer = NanAfter()
    model = _model(nan_layer)
    poison = PoisonAt(nan_layer, batch=2)
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0,
                        callbacks=[poison, callbacks.TerminateOnNaN()])
    assert poison.seen == [0, 1, 2]            # batch 3 and epochs 2-3 never ran
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_terminate_on_nan_can_raise():
    nan_layer = NanAfter()
    model = _model(nan_layer)
    with pytest.raises(RuntimeError, match=r"TerminateOnNaN: NaN or Inf loss encountered at "
                                           r"batch 1; loss=nan"):
        model.fit(X, Y, batch_size=8, epochs=1, verbose=0,
                  callbacks=[PoisonAt(nan_layer, 1), callbacks.TerminateOnNaN(raise_error=True)])
