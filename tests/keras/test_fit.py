"""fit / evaluate / predict on real models: return types, History keys, several inputs and
outputs, compile() name resolution, and the errors raised before training starts."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import Input, Model, Sequential
from deltaw.keras.callbacks import Callback
from deltaw.keras.layers import Concatenate, Dense
from deltaw.keras.optimizers import SGD, Adam, RMSprop


def _binary_data(n=64, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    return x, y


def _binary_model(d=4, **compile_kwargs):
    model = Sequential([Input((d,)), Dense(8, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(**{"optimizer": "adam", "loss": "binary_crossentropy", **compile_kwargs})
    return model


class Started(Callback):
    started = False

    def on_train_begin(self, logs=None):
        self.started = True


# ----------------------------------------------------------------------------- return types
def test_fit_returns_history_with_keras_keys():
    x, y = _binary_data()
    model = _binary_model(metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
    assert history is model.history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2]
    for values in history.history.values():
        assert len(values) == 3 and all(isinstance(v, float) for v in values)
    assert all(0.0 <= a <= 1.0 for a in history.history["accuracy"])


def test_metric_names_are_kept_as_given():
    x, y = _binary_data()
    model = _binary_model(metrics=["acc", "mse", "AUC"])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "acc", "mse", "AUC"}
    assert model.metrics_names == ["loss", "compile_metrics"]         # Keras 3's listing


def test_evaluate_returns_a_float_a_list_or_a_dict():
    x, y = _binary_data()
    plain = _binary_model()
    loss = plain.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    model = _binary_model(metrics=["accuracy", "mae"])
    model.fit(x, y, epochs=1, verbose=0)
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["accuracy", "loss", "mae"]                # sorted, as Keras 3
    assert result == pytest.approx([as_dict["loss"], as_dict["accuracy"], as_dict["mae"]])


def test_predict_returns_concatenated_float32_arrays():
    x, _ = _binary_data(n=70)
    model = _binary_model()
    pred = model.predict(x, batch_size=32, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (70, 1) and pred.dtype == np.float32
    np.testing.assert_allclose(pred, model(x, training=False).numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), pred[:5], rtol=1e-6)
    assert model.predict(x.astype(np.float64), verbose=0).dtype == np.float32


def test_train_and_test_on_batch_return_loss_and_metrics():
    x, y = _binary_data()
    model = _binary_model(metrics=["accuracy"])
    logs = model.train_on_batch(x, y)
    assert isinstance(logs, list) and len(logs) == 2
    assert set(model.test_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}
    assert isinstance(_binary_model().train_on_batch(x, y), float)


def test_compile_defaults_to_rmsprop():
    model = Sequential([Input((2,)), Dense(1)])
    model.compile(loss="mse")
    assert isinstance(model.optimizer, RMSprop)
    assert model.loss == "mse" and model.compiled


def test_fit_learns_and_lowers_the_loss():
    x, y = _binary_data(n=128)
    model = _binary_model(optimizer=Adam(learning_rate=0.02))
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(history.history["loss"][-1], rel=0.2)


# ----------------------------------------------------------------------------- inputs/outputs
def _two_input_model():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    out = Dense(1)(Concatenate()([Dense(4, activation="relu")(a), b]))
    model = Model([a, b], out)
    model.compile(optimizer=SGD(0.01), loss="mse")
    return model


def test_dict_and_list_inputs_for_a_multi_input_model():
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    y = rng.normal(size=(20, 1))
    model = _two_input_model()
    w0 = model.get_weights()
    by_dict = model.fit({"a": xa, "b": xb}, y, epochs=2, shuffle=False, verbose=0)
    model.set_weights(w0)
    by_list = model.fit([xa, xb], y, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(by_dict.history["loss"], by_list.history["loss"], rtol=1e-6)
    assert model.predict({"a": xa, "b": xb}, verbose=0).shape == (20, 1)


def _two_output_model():
    inp = Input((4,))
    hidden = Dense(8, activation="relu")(inp)
    out_a = Dense(1, activation="sigmoid", name="out_a")(hidden)
    out_b = Dense(2, name="out_b")(hidden)
    return Model(inp, [out_a, out_b])


@pytest.mark.parametrize("as_dict", [False, True])
def test_multi_output_losses_with_loss_weights(as_dict):
    x, y = _binary_data()
    y_b = np.random.default_rng(2).normal(size=(64, 2)).astype(np.float32)
    model = _two_output_model()
    if as_dict:
        model.compile(optimizer=SGD(0.0), loss={"out_a": "binary_crossentropy", "out_b": "mse"},
                      loss_weights={"out_a": 1.0, "out_b": 0.5})
        targets = {"out_a": y, "out_b": y_b}
    else:
        model.compile(optimizer=SGD(0.0), loss=["binary_crossentropy", "mse"],
                      loss_weights=[1.0, 0.5])
        targets = [y, y_b]
    history = model.fit(x, targets, epochs=1, batch_size=64, verbose=0)
    assert set(history.history) == {"loss", "out_a_loss", "out_b_loss"}
    logs = {k: v[0] for k, v in history.history.items()}
    assert logs["loss"] == pytest.approx(logs["out_a_loss"] + 0.5 * logs["out_b_loss"], rel=1e-6)
    predicted = model.predict(x, batch_size=30, verbose=0)
    assert isinstance(predicted, list) and [p.shape for p in predicted] == [(64, 1), (64, 2)]
    p_a, p_b = predicted
    p = np.clip(p_a[:, 0], 1e-7, 1 - 1e-7)
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert logs["out_a_loss"] == pytest.approx(bce, rel=1e-4)
    assert logs["out_b_loss"] == pytest.approx(np.mean((p_b - y_b) ** 2), rel=1e-5)
    evaluated = model.evaluate(x, targets, verbose=0, return_dict=True)
    assert evaluated == pytest.approx(logs, rel=1e-6)


def test_multi_output_metrics_are_prefixed():
    x, y = _binary_data()
    model = _two_output_model()
    model.compile("adam", ["binary_crossentropy", "mse"], metrics={"out_a": ["accuracy"]})
    history = model.fit(x, [y, np.zeros((64, 2))], epochs=1, verbose=0)
    assert set(history.history) == {"loss", "out_a_loss", "out_b_loss", "out_a_accuracy"}
    evaluated = model.evaluate(x, [y, np.zeros((64, 2))], verbose=0)
    assert len(evaluated) == 4                                       # loss, a, b, a_accuracy


def test_regularization_penalty_is_part_of_the_logged_loss():
    x, y = _binary_data()
    model = Sequential([Input((4,)), Dense(1, activation="sigmoid", kernel_regularizer="l2")])
    model.compile(optimizer=SGD(0.0), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    p = np.clip(model.predict(x, verbose=0)[:, 0], 1e-7, 1 - 1e-7)
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    penalty = 0.01 * np.sum(model.layers[-1].kernel.numpy() ** 2)        # Keras' l2 default
    assert history.history["loss"][0] == pytest.approx(bce + penalty, rel=1e-5)


def test_sparse_labels_with_accuracy():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = np.argmax(x[:, :3], axis=1)
    model = Sequential([Input((5,)), Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert type(model.metrics[1].metrics[0]).__name__ == "SparseCategoricalAccuracy"
    assert 0.0 <= history.history["accuracy"][-1] <= 1.0


# ----------------------------------------------------------------------------- errors
def test_fit_before_compile_raises():
    model = Sequential([Input((4,)), Dense(1)])
    with pytest.raises(RuntimeError, match=r"^fit: the model must be compiled before training; "
                                           r"call model.compile\(optimizer, loss\) first\.$"):
        model.fit(np.ones((4, 4)), np.ones(4))


def test_input_shape_mismatch_raises_before_training_starts():
    model = _binary_model(d=4)
    cb = Started()
    with pytest.raises(ValueError, match=r"4.*5|5.*4"):
        model.fit(np.ones((8, 5)), np.ones(8), verbose=0, callbacks=[cb])
    assert not cb.started


@pytest.mark.parametrize("loss, y, units, activation", [
    ("sparse_categorical_crossentropy", np.array([0, 1, 3, 1]), 3, "softmax"),
    ("binary_crossentropy", np.array([0.0, 1.0, 2.0, 1.0]), 1, "sigmoid"),
    ("categorical_crossentropy", np.eye(4, dtype=np.float32), 3, "softmax"),
])
def test_labels_that_do_not_fit_the_loss_raise_before_training(loss, y, units, activation):
    model = Sequential([Input((2,)), Dense(units, activation=activation)])
    model.compile("adam", loss)
    cb = Started()
    with pytest.raises(ValueError, match=r"^fit: "):
        model.fit(np.ones((4, 2)), y, verbose=0, callbacks=[cb])
    assert not cb.started


@pytest.mark.parametrize("kwargs, match", [
    ({"optimizer": "adamm", "loss": "mse"}, r"^compile: unknown optimizer 'adamm'"),
    ({"optimizer": "adam", "loss": "msee"}, r"^compile: .*'msee'"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]}, r"^compile: .*'acuracy'"),
    ({"optimizer": "adam", "loss": "mse", "metrics": "accuracy"},
     r"^compile: metrics must be a list, tuple or dict"),
])
def test_unknown_compile_names_raise_at_compile(kwargs, match):
    model = Sequential([Input((2,)), Dense(1)])
    with pytest.raises(ValueError, match=match):
        model.compile(**kwargs)


def test_data_errors_name_the_api_and_the_values():
    model = _binary_model()
    x, y = _binary_data()
    with pytest.raises(ValueError, match=r"fit: x, y and sample_weight must have the same number "
                                         r"of samples; expected 64 \(from x\), got 63 in y\."):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match=r"fit: batch_size must be a positive integer; "
                                         r"got batch_size=-1\."):
        model.fit(x, y, batch_size=-1, verbose=0)
    with pytest.raises(TypeError, match=r"fit: x has dtype object, which is not numeric"):
        model.fit(np.array([[None] * 4] * 64), y, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: the data is empty"):
        model.evaluate(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match=r"fit: validation_split must be a float in \[0, 1\); "
                                         r"got validation_split=1\.5\."):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_verbose_output_reaches_stdout(capsys):
    x, y = _binary_data()
    _binary_model().fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out
    dw.random.seed(0)
    _binary_model().fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------- overriding steps
class _Subclassed(Model):
    def __init__(self):
        super().__init__()
        self.hidden = Dense(4, activation="relu")
        self.out = Dense(1)

    def call(self, x, training=None):
        return self.out(self.hidden(x))


def test_subclassed_model_trains_and_validates():
    x, y = _binary_data()
    model = _Subclassed()
    model.compile("adam", "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}


def test_custom_train_step_in_the_style_of_the_keras_guide():
    """The 'customizing what happens in fit()' pattern: compute_loss, dw.grad, optimizer.apply,
    then update `self.metrics` (the loss tracker and the compiled metrics) by hand."""

    class Custom(_Subclassed):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = dw.grad(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _binary_data()
    model = Custom()
    model.compile("adam", "mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][1] == pytest.approx(model.evaluate(x, y, verbose=0)[0],
                                                       rel=0.05)
