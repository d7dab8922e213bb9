"""keras.utils: to_categorical, normalize, set_random_seed."""

import random

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import utils


def test_to_categorical():
    out = utils.to_categorical([0, 2, 1])
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert out.dtype == np.float32
    assert utils.to_categorical([1, 0], num_classes=4).shape == (2, 4)
    assert utils.to_categorical(np.array([[1], [3]])).shape == (2, 4)   # trailing 1 dropped
    assert utils.to_categorical(np.zeros((2, 3), int), 5).shape == (2, 3, 5)
    np.testing.assert_array_equal(utils.to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])


def test_to_categorical_errors():
    with pytest.raises(ValueError, match=r"to_categorical: label 3 is out of range; expected "
                                         r"labels in \[0, 3\)"):
        utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="labels must be non-negative; got -1"):
        utils.to_categorical([0, -1])
    with pytest.raises(ValueError, match="labels must be integers; got 0.5"):
        utils.to_categorical([0.5, 1.0])


def test_normalize():
    out = utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_set_random_seed_makes_every_generator_repeat():
    utils.set_random_seed(7)
    a = (dw.random.normal((3,)).numpy(), np.random.rand(), random.random())
    utils.set_random_seed(7)
    b = (dw.random.normal((3,)).numpy(), np.random.rand(), random.random())
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1:] == b[1:]
    with pytest.raises(ValueError, match="set_random_seed: seed must be a non-negative int"):
        utils.set_random_seed(-1)
