"""keras.random: random tensors drawn from deltaw's seeded generators.

`seed` follows Keras 3:
- None: draw from deltaw.random's global generator (reproducible with `dw.random.seed(n)`);
- an int: a fixed draw, the same values on every call with the same int;
- a `SeedGenerator`: a stateful stream; each call advances it, so calls differ while the whole
  sequence is reproducible from the generator's seed.

The distributions are Keras' (same parameters, same shapes and dtypes); the values themselves
come from NumPy's PCG64 and are not Keras' values.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw import nn as _nn
from deltaw import random as _random
from deltaw.keras import backend as _backend
from deltaw.tensor import Tensor, Variable

__all__ = [
    "SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
    "shuffle", "truncated_normal", "uniform",
]


class SeedGenerator:
    """A reproducible stream of seeds, as keras.random.SeedGenerator.

    Its `state` is a non-trainable int64 Variable [seed, counter]; `next()` returns a fresh
    NumPy Generator for the current state and advances the counter.

    Args:
        seed: Int, or None for a seed drawn from deltaw.random's generator.
        name: Optional name.

    Example:
        >>> g1, g2 = SeedGenerator(3), SeedGenerator(3)
        >>> bool((normal((2,), seed=g1).numpy() == normal((2,), seed=g2).numpy()).all())
        True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs.pop("backend", None) is not None or kwargs:
            raise TypeError(f"SeedGenerator: unexpected arguments {sorted(kwargs)}.")
        if seed is None:
            seed = int(_random.generator().integers(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(f"SeedGenerator: seed must be an int or None; got {seed!r}.")
        self._initial_seed = int(seed)
        self.name = name or _backend.unique_name("seed_generator")
        self.state = Variable(np.array([self._initial_seed, 0], dtype=np.int64),
                              trainable=False, name="seed_generator_state")

    def next(self, ordered=True):
        """A NumPy Generator for the current state; advances the state."""
        seed, count = (int(v) for v in self.state.data)
        self.state.assign(np.array([seed, count + 1], dtype=np.int64))
        return np.random.default_rng([seed & 0xFFFFFFFF, count])

    def get_config(self):
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _generator(where, seed):
    if seed is None:
        return _random.generator()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)
    raise ValueError(f"{where}: seed must be None, an int or a SeedGenerator; got {seed!r}.")


def _shape(shape):
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _float_dtype(where, dtype):
    name = _backend.standardize_dtype(dtype)
    if np.dtype(name).kind != "f":
        raise ValueError(f"{where}: expected a float dtype; got {name!r}.")
    return name


def _value(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from N(mean, stddev^2)."""
    dtype = _float_dtype("normal", dtype)
    gen = _generator("normal", seed)
    return Tensor((gen.standard_normal(_shape(shape)) * _value(stddev) + _value(mean))
                  .astype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from U[minval, maxval)."""
    dtype = _float_dtype("uniform", dtype)
    gen = _generator("uniform", seed)
    lo, hi = _value(minval), _value(maxval)
    return Tensor((lo + (hi - lo) * gen.random(_shape(shape))).astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from N(mean, stddev^2) restricted to within two standard deviations of the mean
    (values outside are redrawn)."""
    dtype = _float_dtype("truncated_normal", dtype)
    gen = _generator("truncated_normal", seed)
    z = gen.standard_normal(_shape(shape))
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return Tensor((z * _value(stddev) + _value(mean)).astype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval)."""
    name = _backend.standardize_dtype(dtype)
    if np.dtype(name).kind not in "iu":
        raise ValueError(f"randint: expected an integer dtype; got {name!r}.")
    gen = _generator("randint", seed)
    return Tensor(gen.integers(minval, maxval, _shape(shape)).astype(name))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each element with probability `rate`, scale the rest by 1 / (1 - rate).

    Differentiable in `inputs` (dw.nn.dropout).
    """
    x = inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs, dtype=np.float32))
    return _nn.dropout(x, rate, training=True, seed=_generator("dropout", seed),
                       noise_shape=noise_shape)


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order (differentiable in x)."""
    t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    ax = axis % max(t.ndim, 1)
    order = _generator("shuffle", seed).permutation(t.shape[ax])
    return t[(slice(None),) * ax + (order,)]


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class ids drawn from softmax(logits) per row: (batch, num_samples)."""
    z = np.asarray(_value(logits), dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"categorical: expected logits of shape (batch, classes); got "
                         f"{z.shape}.")
    gen = _generator("categorical", seed)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = gen.random((z.shape[0], int(num_samples)))
    ids = (u[:, :, None] >= cdf[:, None, :-1]).sum(axis=-1)
    return Tensor(ids.astype(_backend.standardize_dtype(dtype)))


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from Gamma(alpha, 1)."""
    dtype = _float_dtype("gamma", dtype)
    return Tensor(_generator("gamma", seed).gamma(_value(alpha), size=_shape(shape))
                  .astype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):  # noqa: A002 - Keras' argument name
    """Samples from Beta(alpha, beta)."""
    dtype = _float_dtype("beta", dtype)
    return Tensor(_generator("beta", seed).beta(_value(alpha), _value(beta), size=_shape(shape))
                  .astype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from Binomial(counts, probabilities), as floats (Keras' default dtype)."""
    dtype = _float_dtype("binomial", dtype)
    n = np.asarray(_value(counts)).astype(np.int64)
    p = np.asarray(_value(probabilities), dtype=np.float64)
    return Tensor(_generator("binomial", seed).binomial(n, p, size=_shape(shape)).astype(dtype))
