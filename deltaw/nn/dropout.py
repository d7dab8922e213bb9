"""Dropout: inverted dropout, the function behind keras.layers.Dropout.

Note: `deltaw.nn.dropout` (the package attribute) is the function; import this module by its full
path (`from deltaw.nn.dropout import dropout`) when the module itself is needed.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw import random as _random
from deltaw.autograd.op import primitive
from deltaw.dtypes import DEFAULT_FLOAT, as_array
from deltaw.tensor import Tensor

__all__ = ["dropout"]


@primitive("dropout", nin=1)
def _dropout(xp, x, rate, seed=None, noise_shape=None):
    """x * mask, mask holding 0 or 1 / (1 - rate), drawn here, inside the op: a replayed
    recording (fit's compiled step) then draws a new mask at every step, as eager code does."""
    dtype = x.dtype
    draw_dtype = np.float64 if dtype == np.float64 else np.float32  # what Generator.random offers
    u = _generator(seed).random(_mask_shape(noise_shape, x.shape), dtype=draw_dtype)
    mask = (u >= rate) * dtype.type(1 / (1 - rate))
    return x * mask, (mask,)


@_dropout.backward
def _dropout_backward(xp, g, saved, needs):
    (mask,) = saved
    return (g * mask,)  # the same mask and scale as the forward pass


def _check_rate(rate):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"dropout: rate must be a number; expected a float in [0, 1), got "
                        f"{rate!r}.")
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1); expected 0 <= rate < 1, got {rate!r}.")


def _generator(seed):
    if seed is None:
        return _random.generator()  # looked up per call: dw.random.seed() replaces it
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise TypeError(f"dropout: seed must be None, a non-negative int or a numpy Generator; got "
                    f"{seed!r}.")


def _mask_shape(noise_shape, shape):
    if noise_shape is None:
        return shape
    noise_shape = tuple(noise_shape)
    if len(noise_shape) == len(shape):
        resolved = tuple(s if n is None else n for n, s in zip(noise_shape, shape, strict=True))
        if all(n in (1, s) for n, s in zip(resolved, shape, strict=True)):
            return resolved
    raise ValueError(f"dropout: noise_shape {noise_shape} does not broadcast to the input shape "
                     f"{shape}; expected {len(shape)} entries, each 1, None or the input's size, "
                     f"got {noise_shape}.")


def dropout(x, rate, training=True, seed=None, noise_shape=None):
    """Inverted dropout: zero each element with probability `rate`, scale the rest by 1/(1 - rate).

    The expected value of every element is unchanged, so nothing needs rescaling at inference.
    A primitive whose saved mask is reused by backward.

    Args:
        x: Tensor, array or number.
        rate: Fraction of elements to drop, in [0, 1).
        training: When false (False or None), `x` is returned unchanged, as when `rate` is 0.
        seed: None draws from deltaw.random's generator (so `dw.random.seed` makes runs
            reproducible); an int draws the same mask on every call (as an int seed in
            `keras.random.dropout`); a `numpy.random.Generator` is drawn from.
        noise_shape: Optional shape of the mask, broadcast over `x` (Keras' argument: e.g.
            `(batch, 1, features)` drops the same features at every timestep); None entries take
            `x`'s size.

    Returns:
        Tensor with the shape and dtype of `x` (float32 for non-floating input).

    Gradient: g * mask, with the forward pass's mask and scale.

    Raises:
        ValueError: `rate` is outside [0, 1), or `noise_shape` does not fit `x`.
        TypeError: `rate` is not a number, or `seed` is of the wrong type.

    Example:
        >>> y = dw.nn.dropout(dw.ones((2, 4)), 0.5, seed=0)
        >>> sorted(set(y.numpy().ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    _check_rate(rate)
    if not training or rate == 0:
        return x if isinstance(x, Tensor) else Tensor(x)
    data = x.data if isinstance(x, Tensor) else as_array(x)
    if data.dtype.kind != "f":
        x = data = data.astype(DEFAULT_FLOAT)  # integer input has no gradient to keep
    return _dropout(x if isinstance(x, Tensor) else Tensor(data), rate=rate, seed=seed,
                    noise_shape=noise_shape)
