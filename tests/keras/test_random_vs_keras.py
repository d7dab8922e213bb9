"""keras.random against Keras 3 (PyTorch backend): the same names and signatures, outputs of
the same shape and dtype, and samples from the same distributions (means and variances of
large draws agree within sampling error; the values themselves differ by design)."""

import inspect

import numpy as np
import pytest

from deltaw.keras import random as dr
from tests.keras import keras_reference as kr  # selects the torch backend; import before keras

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)

N = 20000
CASES = [
    ("normal", ((N,),), {"mean": 1.0, "stddev": 2.0}),
    ("uniform", ((N,),), {"minval": -1.0, "maxval": 3.0}),
    ("truncated_normal", ((N,),), {"stddev": 1.5}),
    ("randint", ((N,), 0, 7), {}),
    ("gamma", ((N,), 2.5), {}),
    ("beta", ((N,), 2.0, 5.0), {}),
    ("binomial", ((N,), 8, 0.3), {}),
    ("categorical", (np.log(np.array([[0.2, 0.3, 0.5]], np.float32)), N), {}),
]


def test_same_names_and_signatures():
    names = {n for n in dir(keras.random) if not n.startswith("_")}
    assert names == set(dr.__all__)
    for name in names - {"SeedGenerator"}:
        assert (inspect.signature(getattr(dr, name)).parameters.keys()
                == inspect.signature(getattr(keras.random, name)).parameters.keys()), name


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_same_shape_dtype_and_distribution(name, args, kwargs):
    with kr.quiet():
        k = kr.to_numpy(getattr(keras.random, name)(*args, seed=1, **kwargs))
    d = getattr(dr, name)(*args, seed=1, **kwargs).numpy()
    assert d.shape == k.shape and d.dtype == k.dtype
    k64, d64 = k.astype(np.float64), d.astype(np.float64)
    scale = np.sqrt(k64.var() / k64.size)
    assert abs(d64.mean() - k64.mean()) < 6 * scale
    assert abs(d64.var() / k64.var() - 1) < 0.06


def test_dropout_and_shuffle_match_shapes():
    x = np.ones((4, 5), np.float32)
    with kr.quiet():
        k = kr.to_numpy(keras.random.dropout(keras.ops.convert_to_tensor(x), 0.5, seed=1))
    d = dr.dropout(x, 0.5, seed=1).numpy()
    assert d.shape == k.shape and set(np.unique(d)) <= {0.0, 2.0} and set(np.unique(k)) <= {
        0.0, 2.0}
    k_s = kr.to_numpy(keras.random.shuffle(keras.ops.convert_to_tensor(np.arange(6)), seed=1))
    d_s = dr.shuffle(np.arange(6), seed=1).numpy()
    assert sorted(d_s) == sorted(k_s) and d_s.dtype == k_s.dtype
