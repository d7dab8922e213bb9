"""RandAugment (Cubuk et al., 2020): `num_ops` augmentations drawn from a fixed list."""

from __future__ import annotations

import numbers

from deltaw.keras.layers.preprocessing.image_adjustment import (
    AutoContrast,
    Equalization,
    RandomColorDegeneration,
    RandomPosterization,
    Solarization,
    _unit_factor,
)
from deltaw.keras.layers.preprocessing.random_base import RandomImageLayer
from deltaw.keras.layers.preprocessing.random_color import (
    RandomBrightness,
    RandomContrast,
    RandomSharpness,
)
from deltaw.keras.layers.preprocessing.random_geometric import (
    RandomRotation,
    RandomShear,
    RandomTranslation,
)

__all__ = ["RandAugment"]


class RandAugment(RandomImageLayer):
    """Applies `num_ops` augmentations in a row in training, each drawn (for the whole batch)
    from Keras' eleven: shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization, all of
    strength `factor`.

    Args:
        value_range: (low, high) of the pixel values (default (0, 255)).
        num_ops: How many augmentations to apply (default 2).
        factor: A number in [0, 1] (default 0.5; f gives (0, f)) or a pair: each
            augmentation's factor (posterization keeps max(1, int(8 upper)) bits at most).
        interpolation: 'bilinear' (default) or 'nearest', for the geometric ones.
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        where = self._where()
        if isinstance(num_ops, bool) or not isinstance(num_ops, numbers.Integral) or \
                num_ops < 0:
            raise ValueError(f"{where}: num_ops must be an int >= 0; got num_ops={num_ops!r}.")
        self.value_range = value_range
        self.num_ops = int(num_ops)
        self.factor = _unit_factor(where, "factor", factor, lambda f: (0, f))
        self.interpolation = interpolation
        shared = {"data_format": self.data_format}
        colour = {"value_range": value_range, **shared}
        geometric = {"interpolation": interpolation, **shared}
        f = self.factor
        ops = [RandomShear(x_factor=f, y_factor=f, **geometric),
               RandomTranslation(height_factor=f, width_factor=f, **geometric),
               RandomRotation(factor=f, **geometric),
               RandomBrightness(factor=f, **colour), RandomColorDegeneration(factor=f, **colour),
               RandomContrast(factor=f, **colour), RandomSharpness(factor=f, **colour),
               RandomPosterization(factor=max(1, int(8 * f[1])), **colour),
               Solarization(addition_factor=f, threshold_factor=f, **colour),
               AutoContrast(**colour), Equalization(**colour)]
        for op in ops:
            op._generator = self._generator      # every draw from this layer's generator
        self._ops = ops

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training:
            return x
        for index in self._rng().integers(0, len(self._ops), self.num_ops):
            x = self._ops[int(index)](x, training=True)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation}
