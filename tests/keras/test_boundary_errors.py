"""Errors at the boundary: bad data or arguments fail in fit/evaluate/predict before any training
step, with a message that names the argument, the expected and the given values, and cuts long
lists short. Never a silent NaN, never a dropped sample."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import callbacks, layers, models

X = np.linspace(-1, 1, 40, dtype=np.float32).reshape(10, 4)
LABELS = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("on_train_begin")

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(batch)


def _model(loss=None, units=3, metrics=None):
    dw.random.seed(0)
    model = models.Sequential([layers.Input((4,)), layers.Dense(units)])
    loss = loss or dw.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="sgd", loss=loss, metrics=metrics)
    return model


def _fails_before_training(exc, match, x=X, y=LABELS, model=None, **kwargs):
    """fit raises `exc` matching `match`, with no callback run and no weight changed."""
    model = model or _model()
    before = [w.copy() for w in model.get_weights()] if model.built else None
    recorder = Recorder()
    with pytest.raises(exc, match=match):
        model.fit(x, y, verbose=0, callbacks=[recorder], **kwargs)
    assert recorder.calls == []
    if before is not None:
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


@pytest.mark.parametrize("bad, match", [
    (3, r"^fit: SparseCategoricalCrossentropy: label 3 is out of range for 3 classes; expected "
        r"labels in \[0, 3\), got 3\. Hint: the output layer needs at least 4 units"),
    (-1, r"^fit: SparseCategoricalCrossentropy: label -1 is out of range for 3 classes; expected "
         r"labels in \[0, 3\), got -1\. Hint: labels must be non-negative"),
])
def test_sparse_labels_out_of_range_raise_before_training(bad, match):
    y = LABELS.copy()
    y[7] = bad
    _fails_before_training(ValueError, match, y=y)


def test_sparse_label_equal_to_class_count_in_validation_data_raises():
    _fails_before_training(ValueError, r"^fit: SparseCategoricalCrossentropy: label 3 is out of "
                                       r"range for 3 classes",
                           validation_data=(X[:2], np.array([0, 3])))


def test_sparse_label_out_of_range_with_probabilities_and_in_evaluate():
    model = _model(loss="sparse_categorical_crossentropy")
    _fails_before_training(ValueError, r"label 3 is out of range for 3 classes",
                           y=np.full(10, 3), model=model)
    with pytest.raises(ValueError, match=r"^evaluate: SparseCategoricalCrossentropy: label 5 is "
                                         r"out of range for 3 classes"):
        _model().evaluate(X, np.full(10, 5), verbose=0)


def test_fractional_sparse_labels_raise():
    _fails_before_training(ValueError, r"labels must be integer class ids; expected integral "
                                       r"values, got 1\.5\. Hint: cast the labels",
                           y=np.where(LABELS == 1, 1.5, LABELS))


def test_one_hot_width_and_binary_label_range_raise():
    _fails_before_training(ValueError, r"^fit: CategoricalCrossentropy: the one-hot width does not "
                                       r"match the model's output; expected labels of width 3 .*"
                                       r"got width 4",
                           y=np.eye(4, dtype=np.float32)[LABELS],
                           model=_model("categorical_crossentropy"))
    _fails_before_training(ValueError, r"^fit: BinaryCrossentropy: labels must be in \[0, 1\]; "
                                       r"expected values in \[0, 1\], got values in \[0, 2\]",
                           y=LABELS.reshape(-1, 1).astype(np.float32),
                           model=_model("binary_crossentropy", units=1))


def test_empty_data_raises():
    _fails_before_training(ValueError, r"^fit: the data is empty; expected at least 1 sample, got "
                                       r"0 in x of shape \(0, 4\)\.", x=X[:0], y=LABELS[:0])
    with pytest.raises(ValueError, match=r"^predict: the data is empty"):
        _model().predict(X[:0], verbose=0)


@pytest.mark.parametrize("batch_size", [0, -8, 2.5])
def test_bad_batch_size_raises(batch_size):
    _fails_before_training(ValueError, rf"^fit: batch_size must be a positive integer; got "
                                       rf"batch_size={batch_size}\.", batch_size=batch_size)


def test_mismatched_lengths_raise():
    _fails_before_training(ValueError, r"^fit: x, y and sample_weight must have the same number of "
                                       r"samples; expected 10 \(from x\), got 9 in y\.",
                           y=LABELS[:9])
    _fails_before_training(ValueError, r"expected 10 \(from x\), got 4 in sample_weight",
                           sample_weight=np.ones(4))


@pytest.mark.parametrize("x, match", [
    (X.astype(object), r"^fit: x has dtype object, which is not numeric; expected an array of "
                       r"numbers"),
    (np.array([["a"] * 4] * 10), r"^fit: x has dtype <U1, which is not numeric"),
])
def test_non_numeric_arrays_raise(x, match):
    _fails_before_training(TypeError, match, x=x)


def test_ragged_lists_raise():
    _fails_before_training(ValueError, r"^fit: x cannot be converted to an array; expected a "
                                       r"rectangular array of numbers; got list",
                           x=[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]], y=[0, 1])


def test_nan_in_inputs_warns_with_count_rows_and_columns():
    x = X.copy()
    x[2, 1] = np.nan
    x[5, 3] = np.inf
    with pytest.warns(UserWarning, match=r"^fit: the data contains 2 NaN or infinite values in x "
                                         r"or y; expected only finite values, got 2 in x \(rows 2, "
                                         r"5; columns 1, 3\)\. The loss would be NaN\. Pass "
                                         r"check_inputs=True to raise instead\.$"):
        _model().fit(x, LABELS, epochs=0, verbose=0)   # the check runs before any epoch


def test_nan_in_inputs_raises_with_check_inputs():
    x = np.zeros((30, 4), np.float32)
    x[::2, 0] = np.nan   # 15 rows: the list is cut after 10
    y_val = np.array([[0.5], [np.nan]], np.float32)
    _fails_before_training(ValueError, r"^fit: the data contains 16 NaN or infinite values in x or "
                                       r"y; expected only finite values, got 15 in x \(rows 0, 2, "
                                       r"4, 6, 8, 10, 12, 14, 16, 18, \.\.\. \(5 more\); columns "
                                       r"0\); 1 in validation y \(rows 1; columns 0\)\.",
                           x=x, y=np.zeros((30, 1), np.float32), model=_model("mse", units=1),
                           validation_data=(X[:2], y_val), check_inputs=True)


def test_missing_dict_inputs_are_listed_and_cut_short():
    inputs = {f"in{i:02d}": layers.Input((1,), name=f"in{i:02d}") for i in range(25)}
    out = layers.Dense(1)(layers.Concatenate()(list(inputs.values())))
    model = models.Model(inputs, out)
    model.compile(optimizer="sgd", loss="mse")
    _fails_before_training(ValueError, r"^fit: x is missing the model inputs in01, in02, .*in10, "
                                       r"\.\.\. \(14 more\); expected a dict with the keys in00, "
                                       r".*\(15 more\), got the keys in00\.$",
                           x={"in00": np.ones((4, 1))}, y=np.ones((4, 1)), model=model)


def test_unknown_metric_name_suggests_and_cuts_the_known_list():
    with pytest.raises(ValueError, match=r"^compile: unknown metric 'acuracy'\. Did you mean "
                                         r"'accuracy'.*\? Known: .*, \.\.\. \(\d+ more\)\.$"):
        _model(metrics=["acuracy"])


def test_valid_data_trains():
    history = _model().fit(X, LABELS, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
