"""The base of the random augmentation layers: seeding, the `training` switch, image layout.

An augmentation layer acts only in training, as Keras': `call(inputs, training=True)` has
Keras' default, so a direct call `layer(x)` augments, a call inside `fit` augments, and
`predict`/`evaluate` (training=False) pass the images through. Draws come from the layer's own
generator when it has a `seed` (each call a fresh draw, the run reproducible), else from
deltaw's global generator (`dw.random.seed` makes it reproducible).
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw import random as dw_random
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing import image_utils as iu
from deltaw.ops import astype

__all__ = ["RandomImageLayer", "factor_pair"]


def factor_pair(where, name, factor, bounds, signed=True) -> tuple:
    """`factor` (a number f, or a pair) as Keras' (lower, upper): a number gives (-f, f)
    clipped to `bounds` (signed) or (0, f); a pair is sorted. Both must lie in `bounds`."""
    message = (f"{where}: {name} must be a number or a pair of numbers in "
               f"[{bounds[0]}, {bounds[1]}]; got {name}={factor!r}.")
    if isinstance(factor, tuple | list):
        if len(factor) != 2 or not all(isinstance(f, numbers.Real) for f in factor):
            raise ValueError(message)
        if factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
        raise ValueError(message)
    if not bounds[0] <= factor <= bounds[1]:
        raise ValueError(message)
    factor = abs(factor)
    return (max(-factor, bounds[0]) if signed else 0, factor)


class RandomImageLayer(Layer):
    """Common machinery: `seed`, `data_format`, rank checks and the generator."""

    # computes on arrays or draws outside dw ops: a recorded train step cannot stand for later
    # ones (see keras/trainers/compiled_step.py)
    _computes_outside_ops = True

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"{self._where()}: seed must be None or an int; got seed={seed!r}.")
        self.seed = seed
        self.data_format = iu.standardize_image_data_format(self._where(), data_format)
        self._generator = None if seed is None else np.random.default_rng(int(seed))

    def _where(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _rng(self) -> np.random.Generator:
        return self._generator if self._generator is not None else dw_random.generator()

    def _float(self, inputs):
        iu.check_image_rank(self._where(), inputs.shape)
        return inputs if inputs.data.dtype.kind == "f" else astype(inputs, self._np_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "seed": self.seed}
