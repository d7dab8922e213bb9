"""Random colour augmentation, one draw per image: RandomContrast and RandomBrightness (dw ops,
so gradients flow), RandomHue, RandomSaturation and RandomSharpness (on arrays, constants), and
RandomColorJitter (the first four in a row)."""

from __future__ import annotations

import numpy as np

from deltaw.keras import backend
from deltaw.keras.layers.preprocessing import image_utils as iu
from deltaw.keras.layers.preprocessing.random_base import RandomImageLayer, factor_pair
from deltaw.ops import add, clip, mean, multiply, subtract
from deltaw.tensor import Tensor

__all__ = ["RandomBrightness", "RandomColorJitter", "RandomContrast", "RandomHue",
           "RandomSaturation", "RandomSharpness", "hsv_to_rgb", "rgb_to_hsv"]


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


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """RGB (last axis) to hue, saturation, value, each in [0, 1] for RGB in [0, 1].

    The hexcone model: value = max, saturation = (max - min) / max, hue from the channel that
    is largest (red first, then green), 0 for greys. Magnitudes below float epsilon count as
    0 (as Keras' rgb_to_hsv).
    """
    rgb = np.where(np.abs(rgb) < np.finfo(rgb.dtype).eps, 0.0, rgb)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = rgb.max(axis=-1)
    spread = value - rgb.min(axis=-1)
    saturation = np.where(value > 0, spread / np.where(value > 0, value, 1.0), 0.0)
    scale = 1.0 / (6.0 * np.where(spread > 0, spread, 1.0))
    hue = np.where(value == r, (g - b) * scale,
                   np.where(value == g, (b - r) * scale + 1 / 3, (r - g) * scale + 2 / 3))
    hue = np.where(spread > 0, hue, 0.0)
    hue = hue + (hue < 0)
    return np.stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """The inverse of `rgb_to_hsv` (hue taken modulo 1)."""
    hue6 = np.mod(hsv[..., 0], 1.0) * 6.0
    saturation, value = hsv[..., 1], hsv[..., 2]
    # each channel's share of the chroma, a piecewise-linear function of the hue
    shares = (np.clip(np.abs(hue6 - 3.0) - 1.0, 0, 1), np.clip(2.0 - np.abs(hue6 - 2.0), 0, 1),
              np.clip(2.0 - np.abs(hue6 - 4.0), 0, 1))
    return np.stack([value * (1 - saturation + saturation * s) for s in shares], axis=-1)


def _channels_last(layer, inputs):
    x = layer._float(inputs).data
    return np.moveaxis(x, -3, -1) if layer.data_format == "channels_first" else x


def _back(layer, x):
    x = np.moveaxis(x, -1, -3) if layer.data_format == "channels_first" else x
    return Tensor(np.ascontiguousarray(x).astype(layer._np_dtype))


def _images_count(x) -> int:
    return x.shape[0] if x.ndim == 4 else 1


def _per_image(values, x, planes=False):
    """One value per image, shaped to broadcast against `x` (or against one channel plane of
    it, `x[..., c]`, with planes=True)."""
    if x.ndim == 3:
        return values.reshape(())
    return values.reshape((-1,) + (1,) * (x.ndim - (2 if planes else 1)))


class RandomHue(RandomImageLayer):
    """Shifts the hue of each image by a random amount in training.

    The shift is `±u / 2` of a full turn, `u` drawn from `factor`'s range (a number f gives
    (0, f)) and the sign at random; the result is clipped to the value range. Computed on
    arrays (no gradient).

    Args:
        factor: A number in [0, 1] or a pair.
        value_range: (low, high) of the pixel values (default (0, 255)).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (0, 1), signed=False)
        self.value_range = _value_range(self._where(), value_range)

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x = _channels_last(self, inputs)
        rng, n = self._rng(), _images_count(x)
        sign = np.where(rng.uniform(size=n) > 0.5, -1.0, 1.0)
        shift = _per_image(sign * rng.uniform(self.factor[0], self.factor[1], n) * 0.5, x,
                           planes=True)
        low, high = self.value_range
        hsv = rgb_to_hsv((x - low) / (high - low))
        hsv[..., 0] = np.mod(hsv[..., 0] + shift, 1.0)
        rgb = np.clip(hsv_to_rgb(hsv), 0, 1)
        return _back(self, rgb * (high - low) + low)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomSaturation(RandomImageLayer):
    """Scales the saturation of each image by a random factor in training.

    A draw `u` from `factor`'s range (a number f in [0, 1] gives (-f, f)) scales the HSV
    saturation by `u / (1 - u + epsilon)`, clipped to the value range; as Keras, the images
    are converted to HSV without rescaling from `value_range` (use value_range=(0, 1) with
    images in [0, 1]). Computed on arrays (no gradient).

    Args:
        factor: A number in [0, 1] or a pair.
        value_range: (low, high) (default (0, 255)).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (-1, 1))
        self.value_range = sorted(_value_range(self._where(), value_range))

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x = _channels_last(self, inputs)
        u = self._rng().uniform(self.factor[0], self.factor[1], _images_count(x))
        scale = _per_image(u / (1 - u + backend.epsilon()), x, planes=True)
        hsv = rgb_to_hsv(x)
        hsv[..., 1] = np.clip(hsv[..., 1] * scale, *self.value_range)
        return _back(self, hsv_to_rgb(hsv))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomSharpness(RandomImageLayer):
    """Sharpens or blurs each image by a random amount in training.

    With `s` drawn from `factor`'s range (a number f gives (0, f)):
    `out = clip(x + (1 - 2 s) (blur(x) - x), *value_range)`, `blur` a 3x3 filter (centre 5/13,
    neighbours 1/13, zero padding). s < 1/2 blurs, s > 1/2 sharpens. Computed on arrays.

    Args:
        factor: A number in [0, 1] or a pair.
        value_range: (low, high) (default (0, 255)).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (0, 1), signed=False)
        self.value_range = sorted(_value_range(self._where(), value_range))

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x = _channels_last(self, inputs)
        s = _per_image(self._rng().uniform(self.factor[0], self.factor[1], _images_count(x)), x)
        h, w = x.shape[-3], x.shape[-2]
        padded = np.pad(x, [(0, 0)] * (x.ndim - 3) + [(1, 1), (1, 1), (0, 0)])
        window_sum = sum(padded[..., i:i + h, j:j + w, :] for i in range(3) for j in range(3))
        blurred = (window_sum + 4.0 * x) / 13.0    # eight neighbours 1/13, centre 5/13
        out = x + (1.0 - 2.0 * s) * (blurred - x)
        return _back(self, np.clip(out, *self.value_range))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomColorJitter(RandomImageLayer):
    """Random brightness, contrast, saturation and hue changes, in that order, in training.

    Each factor that is not None adds the corresponding layer (RandomBrightness,
    RandomContrast, RandomSaturation, RandomHue) with that factor and `value_range`; all draw
    from this layer's generator.

    Args:
        value_range: (low, high) of the pixel values (default (0, 255)).
        brightness_factor, contrast_factor, saturation_factor, hue_factor: Each layer's
            `factor`, or None to skip it.
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = []
        for cls, factor in ((RandomBrightness, brightness_factor),
                            (RandomContrast, contrast_factor),
                            (RandomSaturation, saturation_factor), (RandomHue, hue_factor)):
            if factor is not None:
                step = cls(factor, value_range=value_range, data_format=self.data_format)
                step._generator = self._generator      # draws from this layer's generator
                steps.append(step)
        self._steps = steps

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if training:
            for step in self._steps:
                x = step(x, training=True)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor}
