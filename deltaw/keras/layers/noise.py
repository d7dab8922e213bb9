"""Noise layers: GaussianNoise, GaussianDropout, AlphaDropout.

Each acts only when called with `training=True` (as inside `fit`) and passes its input through
otherwise. The noise is drawn from the layer's own generator when it has a `seed` (each call a
fresh draw, reproducible per run, as Keras 3's seeded layers), else from `deltaw.random`
(reproducible via `dw.random.seed`). The noise is a constant: gradients flow through the
arithmetic with the input only.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from deltaw import random as dw_random
from deltaw.keras.layers.conv_arguments import where_of
from deltaw.keras.layers.layer import Layer
from deltaw.ops import add, multiply
from deltaw.tensor import Tensor

__all__ = ["AlphaDropout", "GaussianDropout", "GaussianNoise"]

# SELU's constants (Klambauer et al., 2017), which AlphaDropout keeps the statistics of
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_fraction(where, name, value, include_one=False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and (
        0 <= value <= 1 if include_one else 0 <= value < 1)
    if not ok:
        bounds = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{where}: {name} must be a float in {bounds}; got {name}={value!r}.")
    return float(value)


def _check_seed(where, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or seed < 0):
        raise TypeError(f"{where}: seed must be None or a non-negative int; got seed={seed!r}.")
    return seed


class _NoiseLayer(Layer):
    """Seed handling and the pass-through outside training."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _check_seed(where_of(self), seed)
        self.supports_masking = True
        self._generator = None if seed is None else np.random.default_rng(int(seed))

    def _rng(self) -> np.random.Generator:
        return self._generator if self._generator is not None else dw_random.generator()

    def _normal(self, shape, mean, stddev, dtype) -> Tensor:
        return Tensor(self._rng().normal(mean, stddev, size=shape).astype(dtype, copy=False))

    def compute_output_shape(self, input_shape):
        return input_shape


class GaussianNoise(_NoiseLayer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` in training.

    Args:
        stddev: Float in [0, 1], the noise's standard deviation.
        seed: Optional non-negative int, for reproducible noise.
        **kwargs: Base Layer arguments.

    Example:
        >>> GaussianNoise(0.1)(np.ones((1, 2))).numpy()           # not training: unchanged
        array([[1., 1.]], dtype=float32)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_fraction(where_of(self), "stddev", stddev, include_one=True)

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return add(inputs, self._normal(inputs.shape, 0.0, self.stddev, inputs.dtype))
        return inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies the inputs by Gaussian noise of mean 1 and variance rate / (1 - rate).

    Args:
        rate: Float in [0, 1), the equivalent drop probability.
        seed: Optional non-negative int, for reproducible noise.
        **kwargs: Base Layer arguments.

    Example:
        >>> GaussianDropout(0.2)(np.ones((1, 2))).numpy()         # not training: unchanged
        array([[1., 1.]], dtype=float32)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_fraction(where_of(self), "rate", rate)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            return multiply(inputs, self._normal(inputs.shape, 1.0, stddev, inputs.dtype))
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_NoiseLayer):
    """Dropout that keeps SELU's self-normalising mean and variance.

    Dropped inputs are set to SELU's negative saturation value `-alpha * scale`, then all
    inputs get the affine map `a * x + b` that restores zero mean and unit variance:
    `a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5`, `b = -a * alpha_p * rate`.

    Args:
        rate: Float in [0, 1), the drop probability.
        noise_shape: Optional shape of the keep mask (None entries take the input's size),
            broadcast over the input.
        seed: Optional non-negative int, for reproducible masks.
        **kwargs: Base Layer arguments.

    Example:
        >>> AlphaDropout(0.2)(np.ones((1, 2))).numpy()            # not training: unchanged
        array([[1., 1.]], dtype=float32)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_fraction(where_of(self), "rate", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def _mask_shape(self, shape) -> tuple:
        if self.noise_shape is None:
            return shape
        resolved = tuple(s if n is None else int(n)
                         for n, s in zip(self.noise_shape, shape, strict=False))
        if len(self.noise_shape) != len(shape) or any(
                n not in (1, s) for n, s in zip(resolved, shape, strict=True)):
            raise ValueError(f"{where_of(self)}: noise_shape {self.noise_shape} does not "
                             f"broadcast to the input shape {shape}; expected {len(shape)} "
                             "entries, each 1, None or the input's size.")
        return resolved

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = (self._rng().random(self._mask_shape(inputs.shape)) >= self.rate)
        kept = Tensor(kept.astype(inputs.dtype))
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = add(multiply(inputs, kept), multiply(1.0 - kept, alpha_p))
        return add(multiply(x, a), b)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}
