"""data_adapter: conversion, structures, class weights, cardinality and validation_split."""

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
from deltaw.keras.trainers import data_adapter as da


def test_unpack_and_pack_follow_keras():
    x, y, w = np.ones((2, 1)), np.zeros(2), np.ones(2)
    assert da.unpack_x_y_sample_weight(x)[1:] == (None, None)
    assert da.unpack_x_y_sample_weight((x,))[0] is x
    assert da.unpack_x_y_sample_weight([x, y])[1] is y
    assert da.unpack_x_y_sample_weight((x, y, w))[2] is w
    with pytest.raises(ValueError, match=r"unpack_x_y_sample_weight: .* tuple of 4 elements"):
        da.unpack_x_y_sample_weight((x, y, w, w))
    assert da.pack_x_y_sample_weight(x) is x
    assert da.pack_x_y_sample_weight([x, x]) == ([x, x],)
    assert len(da.pack_x_y_sample_weight(x, y)) == 2
    assert len(da.pack_x_y_sample_weight(x, y, w)) == 3


def test_float64_becomes_float32_once_ints_are_kept():
    data = da.adapt("fit", np.ones((4, 3)), np.arange(4))
    assert data.x.dtype == np.float32 and data.y.dtype == np.int64
    assert data.num_samples == 4


def test_lists_of_numbers_tensors_and_dicts():
    data = da.adapt("fit", [[1.0, 2.0], [3.0, 4.0]], [0, 1])
    assert data.x.shape == (2, 2) and data.x.dtype == np.float32
    data = da.adapt("fit", dw.tensor(np.ones((3, 2))), dw.tensor([1.0, 2.0, 3.0]))
    assert isinstance(data.x, np.ndarray) and data.y.shape == (3,)
    data = da.adapt("fit", {"a": np.ones((3, 2)), "b": np.zeros((3, 1))}, np.ones(3))
    assert set(data.x) == {"a", "b"} and data.x["a"].dtype == np.float32
    data = da.adapt("fit", [np.ones((3, 2)), np.zeros((3, 1))], [np.ones(3), np.ones((3, 2))])
    assert isinstance(data.x, list) and len(data.y) == 2
    x, y = data.take(slice(0, 2))
    assert x[0].shape == (2, 2) and y[1].shape == (2, 2)


def test_single_array_in_a_list_is_unwrapped():
    data = da.adapt("fit", [np.ones((3, 2))], [np.ones(3)])
    assert isinstance(data.x, np.ndarray) and isinstance(data.y, np.ndarray)


def test_take_returns_keras_batch_tuples():
    x, y, w = np.arange(10.0).reshape(5, 2), np.arange(5), np.ones(5)
    assert isinstance(da.adapt("predict", x).take(slice(0, 2)), np.ndarray)
    assert len(da.adapt("fit", x, y).take(slice(0, 2))) == 2
    xb, yb, wb = da.adapt("fit", x, y, w).take(np.array([4, 0]))
    np.testing.assert_array_equal(yb, [4, 0])
    np.testing.assert_array_equal(xb, [[8, 9], [0, 1]])


@pytest.mark.parametrize("value, match", [
    (np.array([["a", "b"]]), r"fit: x has dtype <U1, which is not numeric"),
    (np.array([{}, {}], dtype=object), r"fit: x has dtype object, which is not numeric"),
])
def test_non_numeric_x_raises(value, match):
    with pytest.raises(TypeError, match=match):
        da.adapt("fit", value, np.zeros(len(value)))


def test_string_inputs_pass_for_models_with_string_inputs_only():
    # strings feed a model's StringLookup/Hashing inputs (as Keras); targets must be numbers
    x = {"s": np.array([["a"], ["b"]]), "n": np.ones((2, 1))}
    assert da.adapt("predict", x, strings=True).x["s"].dtype.kind == "U"
    with pytest.raises(TypeError, match=r"fit: y has dtype <U1, which is not numeric"):
        da.adapt("fit", np.ones((1, 2)), np.array(["a"]), strings=True)
    strings = dk.Input((1,), dtype="string")
    lookup = dk.Model(strings, dk.layers.StringLookup(vocabulary=["a"])(strings))
    assert da.takes_strings(lookup) and not da.takes_strings(dk.Sequential([dk.layers.Dense(1)]))
    np.testing.assert_array_equal(lookup.predict(x["s"], verbose=0), [[1], [0]])


def test_ragged_and_scalar_inputs_raise():
    with pytest.raises(ValueError, match=r"fit: x cannot be converted to an array"):
        da.adapt("fit", [[1.0, 2.0], [3.0]], [0, 1])
    with pytest.raises(ValueError, match=r"fit: y must have a leading batch axis"):
        da.adapt("fit", np.ones((2, 2)), np.float32(1.0))


def test_mismatched_lengths_name_both_arrays():
    with pytest.raises(ValueError, match=r"fit: x, y and sample_weight must have the same number "
                                         r"of samples; expected 10 \(from x\), got 9 in y\."):
        da.adapt("fit", np.ones((10, 2)), np.ones(9))
    with pytest.raises(ValueError, match=r"expected 10 \(from x\), got 3 in sample_weight"):
        da.adapt("fit", np.ones((10, 2)), np.ones(10), np.ones(3))
    with pytest.raises(ValueError, match=r"expected 4 \(from x\['a'\]\), got 5 in x\['b'\]"):
        da.adapt("fit", {"a": np.ones((4, 1)), "b": np.ones((5, 1))}, np.ones(4))


def test_empty_data_raises():
    with pytest.raises(ValueError, match=r"fit: the data is empty; expected at least 1 sample, "
                                         r"got 0 in x of shape \(0, 3\)\."):
        da.adapt("fit", np.ones((0, 3)), np.ones(0))
    with pytest.raises(ValueError, match=r"fit: x is None"):
        da.adapt("fit", None)


def test_class_weight_formula_matches_keras():
    """Keras 3: class = argmax of one-hot rows, the value of (n,) / (n, 1) labels, rounded."""
    cw = {0: 0.5, 2: 3.0}
    np.testing.assert_array_equal(da.class_weight_to_sample_weights(np.array([0, 1, 2]), cw),
                                  [0.5, 1.0, 3.0])
    onehot = np.eye(3)[[2, 2, 1]]
    np.testing.assert_array_equal(da.class_weight_to_sample_weights(onehot, cw), [3.0, 3.0, 1.0])
    col = np.array([[0.0], [1.9]])
    np.testing.assert_array_equal(da.class_weight_to_sample_weights(col, cw), [0.5, 3.0])


def test_class_weight_errors():
    with pytest.raises(ValueError, match="fit: class_weight and sample_weight cannot both"):
        da.adapt("fit", np.ones((2, 1)), np.ones(2), np.ones(2), {0: 1.0})
    with pytest.raises(ValueError, match="fit: class_weight is only supported for models with a "
                                         "single output; got y with 2 outputs"):
        da.adapt("fit", np.ones((2, 1)), [np.ones(2), np.ones(2)], None, {0: 1.0})


def test_one_sample_weight_array_is_shared_by_all_outputs():
    w = np.arange(3.0)
    data = da.adapt("fit", np.ones((3, 1)), [np.ones(3), np.ones(3)], w)
    assert len(data.sample_weight) == 2
    np.testing.assert_array_equal(data.sample_weight[1], w)


def test_validation_split_takes_the_last_fraction_exactly():
    """Keras 3: train = first floor(n * (1 - split)) samples, val = the rest, in order."""
    x, y = np.arange(10.0)[:, None], np.arange(10)
    train, val = da.split_validation("fit", da.adapt("fit", x, y), 0.25)
    assert train.num_samples == 7 and val.num_samples == 3          # floor(10 * 0.75) = 7
    np.testing.assert_array_equal(train.y, np.arange(7))
    np.testing.assert_array_equal(val.y, [7, 8, 9])
    np.testing.assert_array_equal(val.x[:, 0], [7.0, 8.0, 9.0])
    same, none = da.split_validation("fit", da.adapt("fit", x, y), 0.0)
    assert none is None and same.num_samples == 10


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5, True, "0.2"])
def test_validation_split_out_of_range(split):
    with pytest.raises(ValueError, match=r"fit: validation_split must be a float in \[0, 1\); "
                                         r"got validation_split="):
        da.split_validation("fit", da.adapt("fit", np.ones((4, 1)), np.ones(4)), split)


def test_validation_split_leaving_no_samples():
    data = da.adapt("fit", np.ones((10, 1)), np.ones(10))
    with pytest.raises(ValueError, match=r"fit: validation_split=1e-17 leaves 10 training and 0 "
                                         r"validation samples out of 10; expected at least 1 in "
                                         r"each\."):
        da.split_validation("fit", data, 1e-17)            # floor(10 * (1 - 1e-17)) = 10
    with pytest.raises(ValueError, match=r"leaves 0 training and 1 validation samples out of 1"):
        da.split_validation("fit", da.adapt("fit", np.ones((1, 1)), np.ones(1)), 0.5)


def test_make_fit_data_validation_data_and_class_weight():
    x, y = np.arange(8.0)[:, None], np.array([0, 1] * 4)
    train, val = da.make_fit_data(x, y, None, {1: 2.0}, 0.25, None)
    np.testing.assert_array_equal(train.sample_weight, [1, 2, 1, 2, 1, 2])
    assert val.sample_weight is None                                 # Keras: training only
    train, val = da.make_fit_data(x, y, None, None, 0.5, (x[:2], y[:2], np.ones(2)))
    assert train.num_samples == 8 and val.num_samples == 2           # validation_data wins
    with pytest.raises(ValueError, match=r"fit: validation_data must be a tuple \(x_val, y_val\) "
                                         r"or .*; got a tuple of length 1\."):
        da.make_fit_data(x, y, None, None, 0.0, (x,))
    with pytest.raises(ValueError, match=r"fit \(validation_data\): x, y and sample_weight must"):
        da.make_fit_data(x, y, None, None, 0.0, (x, y[:3]))


def test_generators_are_peeked_and_replayed():
    def gen():
        for i in range(3):
            yield np.full((2, 1), i, np.float32), np.zeros(2)
    data = da.adapt("fit", gen())
    assert data.num_samples is None and data.first[0][0, 0] == 0
    assert [int(b[0][0, 0]) for b in data] == [0, 1, 2]
    with pytest.raises(ValueError, match="fit: the generator yielded no batches"):
        da.adapt("fit", iter([]))
    with pytest.raises(ValueError, match="fit: y and sample_weight must be None when x is a "
                                         "generator"):
        da.adapt("fit", gen(), np.ones(2))
    with pytest.raises(ValueError, match="validation_split is only supported for array data"):
        da.split_validation("fit", da.adapt("fit", gen()), 0.5)


def test_check_finite_warns_with_the_count_or_raises():
    data = da.adapt("fit", np.array([[np.nan, 1.0], [np.inf, 2.0]]), np.array([0.0, np.nan]))
    with pytest.warns(UserWarning, match=r"fit: the data contains 3 NaN or infinite values in x "
                                         r"or y; .* Pass check_inputs=True to raise instead\."):
        da.check_finite("fit", (data, None), False, stacklevel=1)
    with pytest.raises(ValueError, match=r"fit: the data contains 3 NaN or infinite values"):
        da.check_finite("fit", (data,), True, stacklevel=1)
    da.check_finite("fit", (da.adapt("fit", np.ones((2, 1)), np.ones(2)),), True, stacklevel=1)
