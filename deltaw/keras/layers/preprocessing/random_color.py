"""Random colour augmentation: RandomContrast and RandomBrightness (dw ops; one draw per image)."""

from __future__ import annotations


from deltaw.keras.layers.preprocessing import image_utils as iu
from deltaw.keras.layers.preprocessing.random_base import RandomImageLayer, factor_pair
from deltaw.ops import add, clip, mean, multiply, subtract

__all__ = ["RandomBrightness", "RandomContrast"]


def _value_range(where, value_range) -> tuple:
    if not isinstance(value_range, tuple | list) or len(value_range) != 2:
        raise ValueError(f"{where}: value_range must be a pair (low, high); got "
                         f"value_range={value_range!r}.")
    return value_range


def _per_image_shape(x) -> tuple:
    return (x.shape[0], 1, 1, 1) if x.ndim == 4 else (1, 1, 1)


class RandomContrast(RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random factor in training.

    `out = clip((x - mean) * c + mean, *value_range)`, `mean` over height and width, `c` drawn
    per image from [1 - lower, 1 + upper] where (lower, upper) is `factor` as Keras 3 stores it
    (a number f gives (0, f), so c in [1, 1 + f]; a pair is used as given).

    Args:
        factor: A number in [0, 1] or a pair.
        value_range: The (low, high) range of the pixel values (default (0, 255)).
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments (and data_format).
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (0, 1), signed=False)
        self.value_range = _value_range(self._where(), value_range)

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training:
            return x
        c = self._rng().uniform(1.0 - self.factor[0], 1.0 + self.factor[1],
                                size=_per_image_shape(x)).astype(x.data.dtype)
        axes = iu.spatial_axes(x.shape, self.data_format)
        mu = mean(x, axis=axes, keepdims=True)
        return clip(add(multiply(subtract(x, mu), c), mu), *self.value_range)

    def get_config(self):
        config = {**super().get_config(), "factor": self.factor,
                  "value_range": self.value_range}
        return config


class RandomBrightness(RandomImageLayer):
    """Adds a random offset to each image in training: `clip(x + d, *value_range)`.

    `d` is drawn per image from [lower, upper] * (high - low), where (lower, upper) is
    `factor` in [-1, 1] (a number f gives [-f, f]).

    Args:
        factor: A number in [-1, 1] or a pair.
        value_range: The (low, high) range of the pixel values (default (0, 255)).
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments (and data_format).
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (-1, 1))
        self.value_range = sorted(_value_range(self._where(), value_range))

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training:
            return x
        low, high = self.value_range
        delta = self._rng().uniform(self.factor[0], self.factor[1], size=_per_image_shape(x))
        return clip(add(x, (delta * (high - low)).astype(x.data.dtype)), low, high)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
