"""Pixel-value adjustments: RandomGrayscale, RandomColorDegeneration, RandomInvert,
RandomPosterization, Solarization, RandomErasing, RandomGaussianBlur (random, in training
only), Equalization
(in training only, as Keras'), AutoContrast and ContrastLimitedAdaptiveHistogramEqualization
(always applied, as Keras').

They compute on arrays and return constants (no gradient to the inputs): in Keras they
preprocess a model's input images.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.preprocessing.random_base import RandomImageLayer, factor_pair
from deltaw.tensor import Tensor

__all__ = ["AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization", "Equalization",
           "RandomColorDegeneration", "RandomErasing",
           "RandomGaussianBlur", "RandomGrayscale", "RandomInvert", "RandomPosterization",
           "Solarization"]

_GRAY = np.array([0.2989, 0.587, 0.114])  # ITU-R 601 luma weights (Keras' rgb_to_grayscale)


def _batched(layer, inputs):
    """(channels-last batch as float array, whether a batch axis was added)."""
    x = layer._float(inputs).data
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if layer.data_format == "channels_first":
        x = np.moveaxis(x, 1, 3)
    return x, unbatched


def _restore(layer, x, unbatched):
    if layer.data_format == "channels_first":
        x = np.moveaxis(x, 3, 1)
    return Tensor(np.ascontiguousarray(x[0] if unbatched else x).astype(layer._np_dtype))


def _value_range(where, value_range) -> list:
    if not isinstance(value_range, tuple | list) or len(value_range) != 2:
        raise ValueError(f"{where}: value_range must be a pair (low, high); got "
                         f"value_range={value_range!r}.")
    return sorted(value_range)


def _to_range(x, source, target):
    if list(source) == list(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def _unit_factor(where, name, factor, number_gives) -> tuple:
    """A factor in [0, 1] (a number f gives `number_gives(f)`) or a sorted pair."""
    message = f"{where}: {name} must be a number or a pair of numbers in [0, 1]; got " \
              f"{name}={factor!r}."
    values = factor if isinstance(factor, tuple | list) else [factor]
    if len(values) not in (1, 2) or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v <= 1
            for v in values):
        raise ValueError(message)
    return tuple(sorted(factor)) if isinstance(factor, tuple | list) else number_gives(factor)


class RandomGrayscale(RandomImageLayer):
    """Turns each RGB image grey with probability `factor` in training.

    Grey is `0.2989 R + 0.587 G + 0.114 B`, repeated over the channels (the output keeps the
    input's shape). Single-channel images pass unchanged.

    Args:
        factor: Probability in [0, 1] (default 0.5).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: Optional int for reproducible draws (not in the config, as Keras).
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or \
                not 0 <= factor <= 1:
            raise ValueError(f"{self._where()}: factor must be between 0 and 1; got "
                             f"factor={factor!r}.")
        self.factor = factor

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        if x.shape[-1] not in (1, 3):
            raise ValueError(f"{self._where()}: expected 1 or 3 channels; got input shape "
                             f"{tuple(inputs.shape)}.")
        apply = self._rng().uniform(size=(x.shape[0], 1, 1, 1)) < self.factor
        gray = x @ _GRAY[:, None] if x.shape[-1] == 3 else x
        return _restore(self, np.where(apply, gray, x), unbatched)

    def get_config(self):
        config = {**super().get_config(), "factor": self.factor}
        del config["seed"]
        return config


class RandomInvert(RandomImageLayer):
    """Inverts images (`high - x`) in training, each with a random probability.

    Each image draws a probability p from [lower, upper] (`factor`; a number f gives (0, f))
    and is inverted when a second uniform draw is below p.

    Args:
        factor: A number in [0, 1] (default 1.0) or a pair.
        value_range: (low, high) of the pixel values (default (0, 255)).
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _unit_factor(self._where(), "factor", factor, lambda f: (0, f))
        _value_range(self._where(), value_range)
        self.value_range = value_range

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        rng = self._rng()
        probability = rng.uniform(self.factor[0], self.factor[1], size=x.shape[0])
        apply = (rng.uniform(size=x.shape[0]) < probability)[:, None, None, None]
        return _restore(self, np.where(apply, self.value_range[1] - x, x), unbatched)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class Solarization(RandomImageLayer):
    """Solarizes images in training: add a random amount, then invert the pixels above a
    random threshold.

    In the (0, 255) scale: `y = clip(x + a, 0, 255)`, out = `y` where `y < t`, else
    `255 - y`. `a` is drawn per image from [lower, upper * 255] of `addition_factor` and `t`
    likewise from `threshold_factor` (Keras' ranges; a number f gives (0, f)).

    Args:
        addition_factor: A number in [0, 1] or a pair (default 0: nothing added).
        threshold_factor: A number in [0, 1] or a pair (default 0).
        value_range: (low, high) of the pixel values (default (0, 255)).
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments (and data_format).
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        where = self._where()
        self.addition_factor = _unit_factor(where, "addition_factor", addition_factor,
                                            lambda f: (0, f))
        self.threshold_factor = _unit_factor(where, "threshold_factor", threshold_factor,
                                             lambda f: (0, f))
        self.value_range = _value_range(where, value_range)

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        rng, shape = self._rng(), (x.shape[0], 1, 1, 1)
        additions = rng.uniform(self.addition_factor[0], self.addition_factor[1] * 255, shape)
        thresholds = rng.uniform(self.threshold_factor[0], self.threshold_factor[1] * 255,
                                 shape)
        y = np.clip(_to_range(x, self.value_range, (0, 255)) + additions, 0, 255)
        y = np.where(y < thresholds, y, 255 - y)
        return _restore(self, _to_range(y, (0, 255), self.value_range), unbatched)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


class AutoContrast(RandomImageLayer):
    """Stretches each image's channels to the full value range: `(x - min) / (max - min)`.

    Per image and channel, over height and width; a constant channel is left unchanged.
    Applied in training and inference alike (as Keras').

    Args:
        value_range: (low, high) of the pixel values (default (0, 255)).
        **kwargs: Base Layer arguments (and data_format).
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(self._where(), value_range)

    def call(self, inputs):
        x, unbatched = _batched(self, inputs)
        x = _to_range(x, self.value_range, (0, 255))
        low = x.min(axis=(1, 2), keepdims=True)
        high = x.max(axis=(1, 2), keepdims=True)
        spread = high - low
        stretched = (x - low) * (255.0 / np.where(spread > 0, spread, 1.0))
        out = np.where(spread > 0, np.clip(stretched, 0, 255), x)
        return _restore(self, _to_range(out, (0, 255), self.value_range), unbatched)

    def get_config(self):
        config = {**super().get_config(), "value_range": self.value_range}
        del config["seed"]
        return config


class RandomErasing(RandomImageLayer):
    """Erases a random rectangle of each image in training (Zhong et al., 2017).

    Each image draws an erasing probability p from `factor`'s range (a number f gives (0, f))
    and is erased when a second uniform draw is below p. The rectangle's sides are
    sqrt(u) times the image's (u drawn from `scale` for each side) at a uniform position; it
    is filled with `fill_value` (a number or one value per channel), or, when None, with
    Gaussian noise times the high end of `value_range`, clipped to the range.

    Args:
        factor: A number in [0, 1] (default 1.0) or a pair.
        scale: The range (lower, upper) in [0, 1] of each side's squared fraction
            (default (0.02, 0.33)).
        fill_value: None (noise), a number, or three numbers.
        value_range: (low, high) of the pixel values (default (0, 255)).
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        where = self._where()
        self.factor = _unit_factor(where, "factor", factor, lambda f: (0, f))
        self.scale = _unit_factor(where, "scale", scale, lambda f: (0, f))
        if not (fill_value is None or isinstance(fill_value, numbers.Real) or
                (isinstance(fill_value, tuple | list) and len(fill_value) == 3)):
            raise ValueError(f"{where}: fill_value must be None, a number or three numbers; "
                             f"got fill_value={fill_value!r}.")
        _value_range(where, value_range)
        self.fill_value = fill_value
        self.value_range = value_range

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        n, height, width, _ = x.shape
        rng = self._rng()
        sides = np.sqrt(rng.uniform(self.scale[0], self.scale[1], (n, 2)))
        box = []
        for size, fraction in ((width, sides[:, 0]), (height, sides[:, 1])):
            length = fraction * size
            start = rng.uniform(size=n) * (size - length)
            box.append((start[:, None, None, None], (start + length)[:, None, None, None]))
        (x0, x1), (y0, y1) = box
        cols = np.arange(width)[None, None, :, None]
        rows = np.arange(height)[None, :, None, None]
        inside = (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = (rng.uniform(size=n) < probability)[:, None, None, None]
        if self.fill_value is None:
            fill = rng.standard_normal(x.shape) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, dtype=np.float64), x.shape)
        fill = np.clip(fill, self.value_range[0], self.value_range[1])
        return _restore(self, np.where(apply & inside, fill, x), unbatched)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range}


class RandomColorDegeneration(RandomImageLayer):
    """Moves each image towards its grey version by a random amount in training:
    `clip(x + u (gray - x), *value_range)`, u drawn per image from `factor`'s range (a number
    f in [0, 1] gives [-f, f], as Keras; negative u saturates)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (-1, 1))
        self.value_range = _value_range(self._where(), value_range)

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        u = self._rng().uniform(self.factor[0], self.factor[1], (x.shape[0], 1, 1, 1))
        gray = x @ _GRAY[:, None] if x.shape[-1] == 3 else x
        return _restore(self, np.clip(x + u * (gray - x), *self.value_range), unbatched)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomPosterization(RandomImageLayer):
    """Keeps only the top `b` bits of each 8-bit pixel value in training, b drawn per image
    from [lower, upper) of `factor` in [1, 8] (a number f gives (1, f); a single value when
    lower == upper), as Keras.

    Args:
        factor: An int in [1, 8] or a pair.
        value_range: (low, high) of the pixel values, mapped to [0, 255] for the bit cut.
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (1, 8))
        self.value_range = _value_range(self._where(), value_range)

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        low, high = int(self.factor[0]), int(self.factor[1])
        bits = self._rng().integers(low, high, x.shape[0]) if low != high else \
            np.full(x.shape[0], low)
        shift = (8 - bits).astype(np.uint8)[:, None, None, None]
        pixels = np.clip(_to_range(x, self.value_range, (0, 255)), 0, 255).astype(np.uint8)
        cut = ((pixels >> shift) << shift).astype(np.float64)
        return _restore(self, _to_range(cut, (0, 255), self.value_range), unbatched)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class Equalization(RandomImageLayer):
    """Histogram-equalizes each channel in training (Keras' Equalization).

    Per channel, over the whole batch (as Keras): a histogram of `bins` bins over [0, 255]
    (values mapped from `value_range`), its cumulative counts `c`, and the lookup
    `round(255 (c - c_first) / (c_last - c_first))` applied to each value's bin. A channel
    with a single occupied bin is unchanged. With training=False the images pass through.

    Args:
        value_range: (low, high) of the pixel values (default (0, 255)).
        bins: Number of histogram bins (default 256).
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
            raise ValueError(f"{self._where()}: bins must be a positive int; got bins={bins!r}.")
        self.bins = int(bins)
        self.value_range = _value_range(self._where(), value_range)

    def _equalize(self, channel):
        bins = self.bins
        index = np.clip((channel * (bins - 1) / 255.0).astype(np.int32), 0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            return channel
        cumulative = np.cumsum(hist)
        first = cumulative[np.nonzero(cumulative)[0][0]]
        span = cumulative[-1] - first
        table = np.clip(np.round((cumulative - first) * 255 / (span if span else 1)), 0, 255)
        return table[index]

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        x = _to_range(x, self.value_range, (0, 255))
        out = np.stack([self._equalize(x[..., c]) for c in range(x.shape[-1])], axis=-1)
        return _restore(self, _to_range(out, (0, 255), self.value_range), unbatched)

    def get_config(self):
        config = {**super().get_config(), "bins": self.bins, "value_range": self.value_range}
        del config["seed"]
        return config


def _gaussian(size, sigma) -> np.ndarray:
    taps = np.exp(-0.5 * ((np.arange(size) - (size - 1) / 2) / sigma) ** 2)
    return taps / taps.sum()


class RandomGaussianBlur(RandomImageLayer):
    """Blurs images with a Gaussian filter in training, each with a random probability.

    Each image is blurred when a uniform draw is below its probability (drawn from
    `factor`'s range, a number f giving (0, f)); the filter's standard deviations (one for the
    width, one for the height) are drawn once per batch from `sigma`'s range. The filter is
    `kernel_size` square with zero padding; the result is clipped to `value_range`.

    Args:
        factor: A number in [0, 1] (default 1.0) or a pair.
        kernel_size: An odd int (default 3), or two equal odd ints (deltaw supports square
            kernels only).
        sigma: A number in [0, 1] (default 1.0) or a pair.
        value_range: (low, high) of the pixel values (default (0, 255)).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        where = self._where()
        self.factor = _unit_factor(where, "factor", factor, lambda f: (0, f))
        sizes = tuple(kernel_size) if isinstance(kernel_size, tuple | list) else \
            (kernel_size, kernel_size)
        if len(sizes) != 2 or not all(isinstance(k, numbers.Integral) and k > 0 and k % 2
                                      for k in sizes) or sizes[0] != sizes[1]:
            raise ValueError(f"{where}: kernel_size must be an odd positive int (or two equal "
                             f"ones); got kernel_size={kernel_size!r}.")
        self.kernel_size = sizes
        self.sigma = _unit_factor(where, "sigma", sigma, lambda f: (0, f))
        _value_range(where, value_range)
        self.value_range = value_range

    def call(self, inputs, training=True):
        if not training:
            return self._float(inputs)
        x, unbatched = _batched(self, inputs)
        rng, n = self._rng(), x.shape[0]
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = (rng.uniform(size=n) < probability)[:, None, None, None]
        sigma_x, sigma_y = rng.uniform(self.sigma[0], self.sigma[1], 2) + 1e-6
        size = self.kernel_size[0]
        half = size // 2
        h, w = x.shape[1:3]
        padded = np.pad(x, ((0, 0), (half, half), (half, half), (0, 0)))
        # separable: along the width with sigma_x, then the height with sigma_y
        across = sum(t * padded[:, :, j:j + w, :]
                     for j, t in enumerate(_gaussian(size, sigma_x)))
        blurred = sum(t * across[:, i:i + h, :, :]
                      for i, t in enumerate(_gaussian(size, sigma_y)))
        out = np.clip(np.where(apply, blurred, x), *self.value_range)
        return _restore(self, out, unbatched)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range}


class ContrastLimitedAdaptiveHistogramEqualization(RandomImageLayer):
    """CLAHE: histogram equalization per tile with clipped histograms, blended bilinearly
    between tiles (Keras' layer, applied in training and inference alike).

    The image (in the 0-255 scale) is padded at the bottom and right by reflection to a whole
    number of `tile_grid_size` tiles. Each tile's 256-bin histogram (per channel) is clipped
    at `clip_limit` times the mean bin count (truncated to an integer, as Keras' integer
    histograms are), the clipped excess spread evenly over the bins,
    and turned into a 0-255 mapping by its cumulative sum. Each pixel's value is mapped by the
    four nearest tiles' mappings, weighted by its distance to their centres.

    Args:
        value_range: (low, high) of the pixel values (default (0, 255)).
        clip_limit: Histogram clip, relative to the mean count (default 4.0; <= 0: no clip).
        tile_grid_size: (rows, columns) of tiles (default (8, 8)).
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        where = self._where()
        _value_range(where, value_range)
        if not isinstance(tile_grid_size, tuple | list) or len(tile_grid_size) != 2 or \
                not all(isinstance(g, numbers.Integral) and g > 0 for g in tile_grid_size):
            raise ValueError(f"{where}: tile_grid_size must be two positive ints; got "
                             f"tile_grid_size={tile_grid_size!r}.")
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def _mappings(self, tiles, tile_pixels):
        """(batch, grid_h, grid_w, channels, 256) 0-255 mappings of the tiles' pixels."""
        values = np.clip(tiles.astype(np.int32), 0, 255)
        hists = (values[..., None] == np.arange(256)).sum(axis=-2).astype(np.float64)
        if self.clip_limit > 0:
            # an integer count: Keras clips its integer histograms at the truncated limit
            limit = float(int(self.clip_limit * tile_pixels / 256.0))
            clipped = np.minimum(hists, limit)
            hists = clipped + (hists - clipped).sum(axis=-1, keepdims=True) / 256.0
        cdf = np.cumsum(hists, axis=-1)
        low = cdf.min(axis=-1, keepdims=True)
        span = tile_pixels - low
        return np.clip((cdf - low) * 255.0 / np.where(span == 0, 1.0, span), 0, 255)

    def call(self, inputs):
        x, unbatched = _batched(self, inputs)
        x = _to_range(x, self.value_range, (0, 255))
        n, height, width, channels = x.shape
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        padded = np.pad(x, ((0, 0), (0, tile_h * grid_h - height), (0, tile_w * grid_w - width),
                            (0, 0)), mode="symmetric")
        tiles = padded.reshape(n, grid_h, tile_h, grid_w, tile_w, channels)
        tiles = tiles.transpose(0, 1, 3, 5, 2, 4).reshape(n, grid_h, grid_w, channels, -1)
        maps = self._mappings(tiles, tile_h * tile_w)
        maps = np.pad(maps, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

        def axis_weights(size, tile, grid):
            position = (np.arange(size) - tile / 2.0) / tile + 1.0
            lower = np.floor(position)
            return (np.clip(lower, 0, grid + 1).astype(int),
                    np.clip(lower + 1, 0, grid + 1).astype(int), position - lower)

        y0, y1, wy = axis_weights(padded.shape[1], tile_h, grid_h)
        x0, x1, wx = axis_weights(padded.shape[2], tile_w, grid_w)
        pixels = np.clip(padded.astype(np.int32), 0, 255)
        b = np.arange(n)[:, None, None, None]
        c = np.arange(channels)[None, None, None, :]
        ys0, ys1 = y0[None, :, None, None], y1[None, :, None, None]
        xs0, xs1 = x0[None, None, :, None], x1[None, None, :, None]
        wy, wx = wy[None, :, None, None], wx[None, None, :, None]
        top = maps[b, ys0, xs0, c, pixels] * (1 - wx) + maps[b, ys0, xs1, c, pixels] * wx
        bottom = maps[b, ys1, xs0, c, pixels] * (1 - wx) + maps[b, ys1, xs1, c, pixels] * wx
        out = (top * (1 - wy) + bottom * wy)[:, :height, :width, :]
        return _restore(self, _to_range(out, (0, 255), self.value_range), unbatched)

    def get_config(self):
        config = {**super().get_config(), "value_range": self.value_range,
                  "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size}
        del config["seed"]
        return config
