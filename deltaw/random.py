"""One seeded generator for everything random in deltaw (initialisers, dropout, shuffling).

`seed(n)` makes runs reproducible; `get_state`/`set_state` let checkpoints restore it exactly.
"""

from __future__ import annotations

import numpy as np

from deltaw.dtypes import DEFAULT_FLOAT

_generator = np.random.default_rng()


def seed(n: int) -> None:
    """Reseed deltaw's generator (and NumPy's legacy global one, for user code that uses it)."""
    global _generator
    if not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"random.seed: seed must be a non-negative int; got {n!r}.")
    _generator = np.random.default_rng(int(n))
    np.random.seed(int(n) % 2**32)


def generator() -> np.random.Generator:
    """The generator deltaw draws from."""
    return _generator


def get_state() -> dict:
    """A JSON-safe snapshot of the generator's state."""
    return _generator.bit_generator.state


def set_state(state: dict) -> None:
    _generator.bit_generator.state = state


def _shape(shape):
    return (shape,) if isinstance(shape, int | np.integer) else tuple(shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, requires_grad=False):
    """Samples from N(mean, stddev**2) as a Tensor (float32 unless `dtype` says otherwise)."""
    data = _generator.normal(mean, stddev, _shape(shape)).astype(dtype or DEFAULT_FLOAT)
    return Tensor(data, requires_grad=requires_grad)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, requires_grad=False):
    """Samples from U[minval, maxval) as a Tensor (float32 unless `dtype` says otherwise)."""
    data = _generator.uniform(minval, maxval, _shape(shape)).astype(dtype or DEFAULT_FLOAT)
    return Tensor(data, requires_grad=requires_grad)


def randint(shape, low, high, dtype="int64"):
    """Integers in [low, high) as a Tensor."""
    return Tensor(_generator.integers(low, high, _shape(shape)).astype(dtype))


def permutation(n: int) -> np.ndarray:
    return _generator.permutation(n)


from deltaw.tensor import Tensor  # noqa: E402
