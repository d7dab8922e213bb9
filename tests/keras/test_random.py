"""keras.random on deltaw: seed semantics (None, int, SeedGenerator), shapes, dtypes, and the
distributions' moments."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import random as kr

N = 20000


def test_int_seed_repeats_and_seed_generator_advances():
    a, b = kr.normal((3,), seed=5), kr.normal((3,), seed=5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    gen = kr.SeedGenerator(7)
    first, second = kr.uniform((4,), seed=gen), kr.uniform((4,), seed=gen)
    assert not np.array_equal(first.numpy(), second.numpy())
    again = kr.SeedGenerator(7)
    np.testing.assert_array_equal(kr.uniform((4,), seed=again).numpy(), first.numpy())
    assert gen.state.numpy().tolist() == [7, 2]
    assert kr.SeedGenerator.from_config(gen.get_config()).get_config() == {"seed": 7}


def test_none_seed_follows_dw_random_seed():
    dw.random.seed(3)
    a = kr.normal((3,))
    dw.random.seed(3)
    np.testing.assert_array_equal(kr.normal((3,)).numpy(), a.numpy())


@pytest.mark.parametrize("draw, mean, var", [
    (lambda s: kr.normal((N,), 1.0, 2.0, seed=s), 1.0, 4.0),
    (lambda s: kr.uniform((N,), -1.0, 3.0, seed=s), 1.0, 16 / 12),
    (lambda s: kr.truncated_normal((N,), seed=s), 0.0, 0.7737413),
    (lambda s: kr.gamma((N,), 3.0, seed=s), 3.0, 3.0),
    (lambda s: kr.beta((N,), 2.0, 3.0, seed=s), 0.4, 0.04),
    (lambda s: kr.binomial((N,), 10, 0.3, seed=s), 3.0, 2.1),
    (lambda s: kr.randint((N,), 0, 10, seed=s), 4.5, 8.25),
], ids=["normal", "uniform", "truncated_normal", "gamma", "beta", "binomial", "randint"])
def test_distribution_moments(draw, mean, var):
    x = draw(0).numpy().astype(np.float64)
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / N)
    assert abs(x.var() / var - 1) < 0.05


def test_dtypes_and_ranges():
    assert kr.normal((2,)).dtype == np.float32
    assert kr.normal((2,), dtype="float64").dtype == np.float64
    assert kr.randint((5,), 2, 4, seed=1).dtype == np.int32
    assert np.abs(kr.truncated_normal((1000,), seed=2).numpy()).max() <= 2
    with pytest.raises(ValueError, match="uniform: expected a float dtype; got 'int32'"):
        kr.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="normal: seed must be None, an int or a SeedGenerator"):
        kr.normal((2,), seed="x")


def test_categorical_frequencies():
    logits = np.log(np.array([[0.2, 0.8], [0.9, 0.1]]))
    ids = kr.categorical(logits, 4000, seed=0).numpy()
    assert ids.shape == (2, 4000) and ids.dtype == np.int32
    np.testing.assert_allclose(ids.mean(axis=1), [0.8, 0.1], atol=0.03)


def test_dropout_and_shuffle():
    x = dw.ones((1000,), requires_grad=True)
    out = kr.dropout(x, 0.25, seed=1)
    kept = out.numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.05
    np.testing.assert_allclose(out.numpy()[kept], 1 / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), out.numpy())
    y = np.arange(12).reshape(6, 2)
    s = kr.shuffle(y, seed=3).numpy()
    assert sorted(s[:, 0].tolist()) == y[:, 0].tolist() and (s[:, 1] == s[:, 0] + 1).all()
    np.testing.assert_array_equal(kr.shuffle(y, seed=3).numpy(), s)
