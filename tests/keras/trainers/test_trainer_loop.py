"""The L2 loop (fit/evaluate/predict) and the L1 step, driven through a minimal model.

`Linear` is a stand-in for a Model (y = x @ w, one Variable, an optional L2 penalty in `losses`),
so these tests depend only on the Trainer, the optimizers and the callbacks, not on Layer.
"""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras.callbacks import Callback
from deltaw.keras.optimizers import SGD
from deltaw.keras.trainers import Trainer
from deltaw.tensor import Variable


class Linear(Trainer):
    def __init__(self, n_in=2, l2=0.0):
        self.w = Variable(np.full((n_in, 1), 0.5, np.float32), name="kernel")
        self.l2 = l2
        self.calls = []

    @property
    def trainable_variables(self):
        return [self.w]

    @property
    def losses(self):
        return [self.l2 * dw.sum(self.w * self.w)] if self.l2 else []

    def __call__(self, x, training=False):
        x = np.asarray(x, np.float32)
        if x.shape[-1] != self.w.shape[0]:
            raise ValueError(f"Linear: expected the input's last axis to be {self.w.shape[0]}; "
                             f"got input shape {x.shape}.")
        self.calls.append((x[:, 0].tolist(), training))
        return dw.matmul(dw.tensor(x), self.w)


def squared_error(y_true, y_pred):
    return dw.mean(dw.square(y_pred - np.asarray(y_true, np.float32)), axis=-1)


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None): self.events.append("train_begin")
    def on_train_end(self, logs=None): self.events.append("train_end")
    def on_epoch_begin(self, epoch, logs=None): self.events.append(f"epoch_begin{epoch}")
    def on_epoch_end(self, epoch, logs=None): self.events.append(f"epoch_end{epoch}")
    def on_train_batch_end(self, batch, logs=None): self.events.append(f"batch{batch}")
    def on_test_begin(self, logs=None): self.events.append("test_begin")
    def on_test_end(self, logs=None): self.events.append("test_end")


def _data(n=10):
    x = np.stack([np.arange(n, dtype=np.float32), np.ones(n, np.float32)], axis=1)
    return x, (2 * x[:, :1] - 1).astype(np.float32)


def _model(lr=0.0, l2=0.0):
    model = Linear(l2=l2)
    model.compile(optimizer=SGD(learning_rate=lr), loss=squared_error)
    return model


def _per_sample_loss(model, x, y):
    return ((x @ model.w.numpy() - y) ** 2)[:, 0]


# ----------------------------------------------------------------------------- loss bookkeeping
def test_epoch_loss_is_the_batch_size_weighted_mean():
    """With lr=0 the weights never move, so the epoch loss must be the mean over all samples
    (batches of 4, 4 and 2 weighted by their size), and evaluate must give the same number."""
    x, y = _data()
    model = _model()
    expected = _per_sample_loss(model, x, y).mean()
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["loss"], [expected] * 2, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=3, verbose=0), expected, rtol=1e-6)


def test_logged_loss_is_the_running_mean_of_pre_update_losses():
    """Hand-run SGD on the linear model: loss_b before each update, logged as sum(n_b l_b) / n."""
    x, y = _data(6)
    x[:, 0] /= 6
    model = _model(lr=0.1)
    w = model.w.numpy().astype(np.float64).copy()
    total = 0.0
    for start in (0, 4):
        xb, yb = x[start:start + 4].astype(np.float64), y[start:start + 4].astype(np.float64)
        err = xb @ w - yb
        total += (err ** 2).mean() * len(xb)
        w -= 0.1 * 2 * xb.T @ err / len(xb)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["loss"], [total / 6], rtol=1e-5)
    np.testing.assert_allclose(model.w.numpy(), w, rtol=1e-5)


def test_logged_loss_includes_regularization_penalties():
    x, y = _data()
    model = _model(l2=0.1)
    expected = _per_sample_loss(model, x, y).mean() + 0.1 * (model.w.numpy() ** 2).sum()
    history = model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-6)


def test_sample_weight_follows_keras_sum_over_batch_size():
    """Keras 3: loss = sum(w_i * l_i) / batch size (not divided by the sum of the weights)."""
    x, y = _data(8)
    model = _model()
    sw = np.linspace(0.0, 2.0, 8).astype(np.float32)
    expected = (_per_sample_loss(model, x, y) * sw).mean()
    history = model.fit(x, y, sample_weight=sw, batch_size=8, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=sw, verbose=0), expected,
                               rtol=1e-6)


def test_class_weight_weights_each_sample_by_its_class():
    x, y = _data(8)
    labels = np.array([0, 1, 1, 0, 2, 1, 0, 0])
    model = _model()
    w = np.array([{0: 1.0, 1: 3.0}.get(int(c), 1.0) for c in labels])
    y_pred = x @ model.w.numpy()
    expected = ((y_pred[:, 0] - labels) ** 2 * w).mean()
    history = model.fit(x, labels[:, None].astype(np.float32), class_weight={0: 1.0, 1: 3.0},
                        batch_size=8, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=1e-6)


# ----------------------------------------------------------------------------- loop semantics
def test_callback_order_and_params():
    x, y = _data()
    rec = Recorder()
    _model().fit(x, y, batch_size=5, epochs=2, verbose=0, validation_split=0.2, callbacks=[rec])
    assert rec.events == ["train_begin",
                          "epoch_begin0", "batch0", "batch1", "test_begin", "test_end",
                          "epoch_end0",
                          "epoch_begin1", "batch0", "batch1", "test_begin", "test_end",
                          "epoch_end1", "train_end"]
    assert rec.params == {"verbose": 0, "epochs": 2, "steps": 2}


def test_history_keys_and_validation_split_uses_the_last_samples():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.3)
    assert set(history.history) == {"loss", "val_loss"}
    assert history.epoch == [0, 1, 2] and model.history is history
    val = _per_sample_loss(model, x[7:], y[7:]).mean()
    np.testing.assert_allclose(history.history["val_loss"], [val] * 3, rtol=1e-6)
    train_rows = {v for rows, training in model.calls if training for v in rows}
    assert train_rows == set(range(7))                         # never trained on the last 3


def test_shuffle_false_is_deterministic_and_in_order():
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    seen = [rows for rows, training in model.calls if training]
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2


def test_shuffle_uses_one_permutation_per_epoch_from_deltaw_random():
    x, y = _data()
    model = _model()
    dw.random.seed(7)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    seen = sum((rows for rows, training in model.calls if training), [])
    dw.random.seed(7)
    gen = dw.random.generator()
    assert seen == gen.permutation(10).tolist() + gen.permutation(10).tolist()


def test_validation_freq_and_initial_epoch():
    x, y = _data()
    history = _model().fit(x, y, epochs=5, verbose=0, validation_data=(x, y),
                           validation_freq=2, initial_epoch=1)
    assert history.epoch == [1, 2, 3, 4]
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    history = _model().fit(x, y, epochs=3, verbose=0, validation_data=(x, y),
                           validation_freq=[1, 3])
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match=r"fit: validation_freq must be an int or a list"):
        _model().fit(x, y, epochs=1, verbose=0, validation_data=(x, y), validation_freq="2")


def test_stop_training_from_a_callback_ends_after_the_batch():
    class Stop(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    x, y = _data()
    model = _model()
    history = model.fit(x, y, batch_size=2, epochs=3, verbose=0, callbacks=[Stop()])
    assert history.epoch == [0]
    assert len([c for c in model.calls if c[1]]) == 2


def test_generator_with_steps_per_epoch_and_validation_generator():
    x, y = _data()

    def batches():
        while True:
            for i in range(0, 10, 5):
                yield x[i:i + 5], y[i:i + 5]

    model = _model()
    history = model.fit(batches(), steps_per_epoch=2, epochs=3, verbose=0,
                        validation_data=batches(), validation_steps=2)
    assert len(history.history["loss"]) == 3 and len(history.history["val_loss"]) == 3
    np.testing.assert_allclose(history.history["loss"][0], _per_sample_loss(model, x, y).mean(),
                               rtol=1e-6)


def test_exhausted_generator_stops_training_with_keras_warning():
    x, y = _data()
    model = _model()
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        history = model.fit(((x[i:i + 5], y[i:i + 5]) for i in (0, 5)), epochs=3, verbose=0)
    assert history.epoch == [0]


def test_custom_train_step_logs_are_kept():
    class Custom(Linear):
        def train_step(self, data):
            x, y = data
            return {"my_value": float(len(x))}

    x, y = _data()
    model = Custom()
    model.compile(optimizer="sgd")
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert history.history == {"my_value": [2.0]}


def test_compute_loss_without_training_argument_is_supported():
    class Old(Linear):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return dw.mean(dw.square(y_pred - y))

    x, y = _data()
    model = Old()
    model.compile(optimizer=SGD(0.0))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0),
                               _per_sample_loss(model, x, y).mean(), rtol=1e-6)


def test_no_loss_raises_at_the_first_step():
    x, y = _data()
    model = Linear()
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"compute_loss: there is no loss to compute"):
        model.fit(x, y, verbose=0)


# ----------------------------------------------------------------------------- other entry points
def test_evaluate_predict_and_batch_methods():
    x, y = _data()
    model = _model()
    expected = _per_sample_loss(model, x, y).mean()
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx({"loss": expected})
    pred = model.predict(x, batch_size=3, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (10, 1) and pred.dtype == np.float32
    np.testing.assert_allclose(pred, x @ model.w.numpy(), rtol=1e-6)
    assert all(not training for _, training in model.calls)
    assert dw.is_grad_enabled()                              # restored after predict
    np.testing.assert_allclose(model.predict_on_batch(x[:3]), x[:3] @ model.w.numpy())
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-6)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-6)
    assert model.train_on_batch(x, y, return_dict=True).keys() == {"loss"}
    assert model.metrics_names == ["loss"]


def test_predict_runs_without_recording_a_graph():
    class Probe(Linear):
        def __call__(self, x, training=False):
            self.grad_enabled = dw.is_grad_enabled()
            return super().__call__(x, training)

    model = Probe()
    model.predict(np.ones((2, 2)), verbose=0)
    assert model.grad_enabled is False
    model.compile(optimizer="sgd", loss=squared_error)
    model.evaluate(np.ones((2, 2)), np.ones((2, 1)), verbose=0)
    assert model.grad_enabled is False


# ----------------------------------------------------------------------------- errors up front
def test_fit_and_evaluate_before_compile_raise():
    x, y = _data()
    with pytest.raises(RuntimeError, match=r"^fit: the model must be compiled before training; "
                                           r"call model.compile\(optimizer, loss\) first\.$"):
        Linear().fit(x, y)
    with pytest.raises(RuntimeError, match=r"^evaluate: the model must be compiled before "
                                           r"evaluating"):
        Linear().evaluate(x, y)
    with pytest.raises(RuntimeError, match=r"^train_on_batch: the model must be compiled"):
        Linear().train_on_batch(x, y)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, r"fit: batch_size must be a positive integer; got batch_size=0\."),
    ({"validation_split": 1.0}, r"fit: validation_split must be a float in \[0, 1\)"),
    ({"y": np.ones((9, 1))}, r"fit: x, y and sample_weight must have the same number of samples"),
    ({"x": np.ones((10, 3))}, r"Linear: expected the input's last axis to be 2; got input shape "
                              r"\(10, 3\)\."),
    ({"x": np.ones((0, 2)), "y": np.ones((0, 1))}, r"fit: the data is empty"),
])
def test_errors_are_raised_before_training_starts(kwargs, match):
    x, y = _data()
    rec = Recorder()
    args = {"x": x, "y": y, "verbose": 0, "callbacks": [rec], **kwargs}
    with pytest.raises(ValueError, match=match):
        _model().fit(**args)
    assert rec.events == []


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # NumPy's, from training on the NaNs
def test_non_finite_inputs_warn_with_the_count_or_raise():
    x, y = _data()
    x[0, 0], y[3, 0] = np.nan, np.inf
    with pytest.warns(UserWarning, match=r"fit: the data contains 2 NaN or infinite values") as w:
        _model().fit(x, y, verbose=0)
    assert [r.filename for r in w if r.category is UserWarning] == [__file__]   # stacklevel
    with pytest.raises(ValueError, match=r"fit: the data contains 2 NaN or infinite values"):
        _model().fit(x, y, verbose=0, check_inputs=True)
