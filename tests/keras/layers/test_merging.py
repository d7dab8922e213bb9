"""Merging layers: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum."""

import numpy as np
import pytest

from deltaw.keras import layers
from deltaw.keras.layers import (
    Add,
    Average,
    Concatenate,
    Input,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)
from tests.keras.harness import check_layer

ELEMENTWISE = [(Add, np.add), (Subtract, np.subtract), (Multiply, np.multiply),
               (Average, lambda a, b: (a + b) / 2), (Maximum, np.maximum),
               (Minimum, np.minimum)]


@pytest.mark.parametrize("cls, ref", ELEMENTWISE, ids=[c.__name__ for c, _ in ELEMENTWISE])
def test_elementwise_harness_and_values(cls, ref):
    rng = np.random.default_rng(1)
    a, b = (rng.uniform(-2, 2, (2, 3)).astype(np.float32) for _ in range(2))
    b = np.where(np.abs(a - b) < 0.1, b + 0.5, b)                    # keep max/min off ties
    check_layer(cls, input_shape=[(2, 3), (2, 3)], input_data=[a, b],
                expected_output_shape=(2, 3))
    np.testing.assert_allclose(cls()([a, b]).numpy(), ref(a, b), rtol=1e-6)


@pytest.mark.parametrize("cls", [Add, Multiply, Average, Maximum, Minimum])
def test_elementwise_three_inputs(cls):
    xs = [np.full((2, 2), v, np.float32) for v in (1.0, 2.0, 4.0)]
    expected = {Add: 7.0, Multiply: 8.0, Average: 7 / 3, Maximum: 4.0, Minimum: 1.0}[cls]
    np.testing.assert_allclose(cls()(xs).numpy(), np.full((2, 2), expected), rtol=1e-6)


def test_add_broadcasts_like_keras():
    out = Add()([np.ones((2, 3, 4)), np.ones((2, 1, 4))])
    assert out.shape == (2, 3, 4)
    assert Add()([Input((3, 4)), Input((1, 4))]).shape == (None, 3, 4)


def test_add_incompatible_shapes():
    with pytest.raises(ValueError, match=r"Add 'add_x': inputs have incompatible shapes; expected "
                                         r"equal or broadcastable shapes, got \(3,\) and \(4,\)"):
        Add(name="add_x")([Input((3,)), Input((4,))])
    with pytest.raises(ValueError, match=r"Multiply 'm': inputs have incompatible shapes"):
        Multiply(name="m")([np.ones((2, 3)), np.ones((2, 4))])


def test_merge_needs_a_list():
    with pytest.raises(ValueError, match=r"Add 'a': a merge layer takes a list of inputs; got "
                                         r"a single input"):
        Add(name="a")(np.ones((2, 3)))


def test_subtract_needs_exactly_two():
    with pytest.raises(ValueError, match=r"Subtract 's': expected exactly 2 inputs, got 3"):
        Subtract(name="s")([np.ones((1, 2))] * 3)


@pytest.mark.parametrize("axis, shapes, out_shape", [
    (-1, [(2, 3), (2, 4)], (2, 7)), (1, [(2, 3, 2), (2, 1, 2)], (2, 4, 2)),
    (-1, [(2, 2), (2, 1), (2, 3)], (2, 6)),
], ids=["last", "middle", "three"])
def test_concatenate_harness(axis, shapes, out_shape):
    check_layer(Concatenate, {"axis": axis}, input_shape=shapes, expected_output_shape=out_shape)


def test_concatenate_values_and_symbolic_shape():
    a, b = np.ones((2, 1), np.float32), np.zeros((2, 2), np.float32)
    np.testing.assert_array_equal(Concatenate()([a, b]).numpy(), np.hstack([a, b]))
    assert Concatenate()([Input((3,)), Input((4,))]).shape == (None, 7)
    assert Concatenate()([Input((None,)), Input((4,))]).shape == (None, None)


def test_concatenate_mismatch_names_layer_axis_and_shapes():
    with pytest.raises(ValueError, match=r"Concatenate 'c': inputs must match on every axis "
                                         r"except the concatenation axis -1; got shapes "
                                         r"\[\(None, 3, 2\), \(None, 4, 5\)\]"):
        Concatenate(name="c")([Input((3, 2)), Input((4, 5))])
    with pytest.raises(ValueError, match=r"Concatenate 'c2': inputs must have the same rank"):
        Concatenate(name="c2")([np.ones((2, 3)), np.ones((2, 3, 1))])


def test_functional_shortcuts():
    a, b = Input((3,)), Input((3,))
    for fn in (layers.add, layers.subtract, layers.multiply, layers.average, layers.maximum,
               layers.minimum):
        assert fn([a, b]).shape == (None, 3)
    assert layers.concatenate([a, b], axis=-1).shape == (None, 6)


def test_concatenate_config():
    layer = Concatenate(axis=1)
    assert layer.get_config()["axis"] == 1
    assert Concatenate.from_config(layer.get_config()).axis == 1
