"""Random geometric augmentation: RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
RandomShear, RandomPerspective, RandomElasticTransform, RandomCrop.

Flip and crop are dw ops (gradients flow, though Keras never needs them). Rotation, zoom,
translation, shear and perspective warp the images with `image_transform.affine_transform` on
arrays and return constants (no gradient to the inputs): in Keras these layers preprocess the
model's input.
"""

from __future__ import annotations

import math

import numpy as np

from deltaw import random as dw_random
from deltaw.keras.layers.preprocessing import image_transform as it
from deltaw.keras.layers.preprocessing import image_utils as iu
from deltaw.keras.layers.preprocessing.image_adjustment import _gaussian, _unit_factor
from deltaw.keras.layers.preprocessing.random_base import RandomImageLayer, factor_pair
from deltaw.ops import flip, where
from deltaw.tensor import Tensor

__all__ = ["RandomCrop", "RandomElasticTransform", "RandomFlip", "RandomPerspective",
           "RandomRotation", "RandomShear", "RandomTranslation", "RandomZoom"]

_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


class RandomFlip(RandomImageLayer):
    """Flips each image horizontally and/or vertically with probability 1/2 in training.

    Args:
        mode: 'horizontal' (left-right), 'vertical' (up-down) or 'horizontal_and_vertical'
            (default; as Keras, one draw per image decides both flips).
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: Images `(batch, height, width, channels)` or one image.
        training: Flip (True, the default of a direct call, as Keras) or pass through.

    Example:
        >>> RandomFlip("horizontal")(np.ones((2, 3, 3, 1)), training=False).shape
        (2, 3, 3, 1)
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in _MODES:
            raise ValueError(f"{self._where()}: mode must be one of {_MODES}; got "
                             f"mode={mode!r}.")
        self.mode = mode

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training:
            return x
        flips = self._rng().uniform(size=(x.shape[0] if x.ndim == 4 else 1,)) <= 0.5
        mask = flips.reshape((-1, 1, 1, 1) if x.ndim == 4 else (1, 1, 1))
        h_axis, w_axis = iu.spatial_axes(x.shape, self.data_format)
        if self.mode != "vertical":
            x = where(mask, flip(x, axis=w_axis), x)
        if self.mode != "horizontal":
            x = where(mask, flip(x, axis=h_axis), x)
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _WarpLayer(RandomImageLayer):
    """A random affine warp per image (rotation, zoom, translation) with Keras' fill options."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"{self._where()}: unknown fill_mode {fill_mode!r}; "
                                      f"expected one of {_FILL_MODES}.")
        if interpolation not in it.INTERPOLATIONS:
            raise NotImplementedError(f"{self._where()}: unknown interpolation "
                                      f"{interpolation!r}; expected one of {it.INTERPOLATIONS}.")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _transforms(self, n, height, width):
        raise NotImplementedError

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training:
            return x
        images, unbatched = iu.to_batched_nhwc(x, self.data_format)
        n, height, width = images.shape[:3]
        transforms = self._transforms(n, height, width)
        out = it.affine_transform(images.data, transforms, self.interpolation, self.fill_mode,
                                  self.fill_value)
        return iu.from_batched_nhwc(Tensor(out), self.data_format, unbatched)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomRotation(_WarpLayer):
    """Rotates each image about its centre by a random angle in training.

    Args:
        factor: A fraction of a full turn: a float f draws the angle from
            [-f * 360, f * 360] degrees; a pair (lower, upper) from [lower * 360, upper * 360]
            (positive angles rotate counter-clockwise).
        fill_mode: How points outside the image are filled: 'reflect' (default), 'wrap',
            'constant' (`fill_value`) or 'nearest'.
        interpolation: 'bilinear' (default) or 'nearest'.
        seed: Optional int for reproducible draws.
        fill_value: The value for fill_mode='constant'.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.

    Gradient: none; the output is a constant (see the module docstring).
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor_pair(self._where(), "factor", factor, (-1, 1))

    def _transforms(self, n, height, width):
        degrees = self._rng().uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, size=n)
        return it.rotation_matrices(degrees * (math.pi / 180.0), height, width)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _zoom_or_shift_pair(where, name, factor, low_open):
    """Keras' height/width factor of RandomZoom (in (-1, 1]) and RandomTranslation ([-1, 1])."""
    message = f"{where}: {name} must be a number or a pair of numbers in " \
              f"{'(-1, 1]' if low_open else '[-1, 1]'}; got {name}={factor!r}."

    def check(f):
        if isinstance(f, bool) or not isinstance(f, int | float) or f > 1 or \
                (f <= -1 if low_open else f < -1):
            raise ValueError(message)

    if isinstance(factor, tuple | list):
        if len(factor) != 2:
            raise ValueError(message)
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    check(factor)
    return (-abs(factor), abs(factor))


class RandomZoom(_WarpLayer):
    """Zooms each image in or out about its centre by a random factor in training.

    Args:
        height_factor: A float f or a pair (lower, upper) in (-1, 1]: the vertical zoom is
            drawn from [1 + lower, 1 + upper] (f gives [1 - f, 1 + f]); values above 1 zoom
            out (the image shrinks), below 1 zoom in.
        width_factor: The same for the horizontal zoom; None (default) keeps the aspect ratio
            (the horizontal zoom equals the vertical one).
        fill_mode, interpolation, seed, fill_value, data_format: As RandomRotation.
        **kwargs: Base Layer arguments.

    Gradient: none; the output is a constant.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _zoom_or_shift_pair(
            self._where(), "height_factor", height_factor, low_open=True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _zoom_or_shift_pair(
                self._where(), "width_factor", width_factor, low_open=True)

    def _transforms(self, n, height, width):
        rng = self._rng()
        height_zoom = rng.uniform(1.0 + self.height_lower, 1.0 + self.height_upper, size=n)
        width_zoom = height_zoom if self.width_factor is None else \
            rng.uniform(1.0 + self.width_lower, 1.0 + self.width_upper, size=n)
        return it.zoom_matrices(width_zoom, height_zoom, height, width)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomTranslation(_WarpLayer):
    """Shifts each image by a random fraction of its size in training.

    Args:
        height_factor: A float f or a pair (lower, upper) in [-1, 1]: the vertical shift is
            drawn from [lower, upper] times the height (f gives [-f, f]); positive moves down.
        width_factor: The same for the horizontal shift (positive moves right).
        fill_mode, interpolation, seed, fill_value, data_format: As RandomRotation.
        **kwargs: Base Layer arguments.

    Gradient: none; the output is a constant.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = _zoom_or_shift_pair(
            self._where(), "height_factor", height_factor, low_open=False)
        self.width_lower, self.width_upper = _zoom_or_shift_pair(
            self._where(), "width_factor", width_factor, low_open=False)

    def _transforms(self, n, height, width):
        rng = self._rng()
        dy = rng.uniform(self.height_lower, self.height_upper, size=n) * height
        dx = rng.uniform(self.width_lower, self.width_upper, size=n) * width
        return it.translation_matrices(dx, dy)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomShear(_WarpLayer):
    """Shears each image by random amounts in training.

    Output pixel (x, y) reads input (x + sx y, y + sy x), sx drawn from `x_factor`'s range
    and sy from `y_factor`'s (a number f in [0, 1] gives [-f, f]), both negated together for
    a random half of the images (Keras' draw).

    Args:
        x_factor, y_factor: A number or a pair in [0, 1] (default 0: no shear).
        interpolation, fill_mode, fill_value, data_format, seed: As RandomRotation.
        **kwargs: Base Layer arguments.

    Gradient: none; the output is a constant.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor = self._shear_pair("x_factor", x_factor)
        self.y_factor = self._shear_pair("y_factor", y_factor)

    def _shear_pair(self, name, factor):
        # a pair may be negative: Keras writes a number f to its config as (-f, f) (and then
        # refuses to load it; deltaw loads it)
        message = f"{self._where()}: {name} must be a number in [0, 1] or a pair of numbers " \
                  f"in [-1, 1]; got {name}={factor!r}."
        pair = isinstance(factor, tuple | list)
        values = factor if pair else [factor]
        if len(values) != (2 if pair else 1) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and
                (-1 if pair else 0) <= v <= 1 for v in values):
            raise ValueError(message)
        return tuple(sorted(factor)) if isinstance(factor, tuple | list) else \
            (-abs(factor), abs(factor))

    def _transforms(self, n, height, width):
        rng = self._rng()
        sign = np.where(rng.uniform(size=n) > 0.5, -1.0, 1.0)
        shear_y = rng.uniform(self.y_factor[0], self.y_factor[1], n) * sign
        shear_x = rng.uniform(self.x_factor[0], self.x_factor[1], n) * sign
        ones, zeros = np.ones(n), np.zeros(n)
        return np.stack([ones, shear_x, zeros, shear_y, ones, zeros, zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}


class RandomPerspective(_WarpLayer):
    """Applies a random perspective distortion to each image, with a random probability, in
    training.

    Each image is distorted when a uniform draw is below its probability (drawn from
    `factor`'s range, a number f giving (0, f)): its corners (x, y) move to
    (x (1 + u), y (1 + v)), u and v drawn from [-scale / 2, scale / 2] for each corner, and
    the image follows (points outside are filled with `fill_value`).

    Args:
        factor: A number in [0, 1] (default 1.0) or a pair.
        scale: In [0, 1] (default 1.0), how far the corners may move.
        interpolation: 'bilinear' (default) or 'nearest'.
        fill_value: The value of the points outside the image.
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.

    Gradient: none; the output is a constant.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__("constant", interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _unit_factor(self._where(), "factor", factor, lambda f: (0, f))
        if isinstance(scale, bool) or not isinstance(scale, int | float) or \
                not 0.0 <= scale <= 1.0:
            raise ValueError(f"{self._where()}: scale must be a number in [0, 1]; got "
                             f"scale={scale!r}.")
        self.scale = scale

    def _transforms(self, n, height, width):
        rng = self._rng()
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = rng.uniform(size=n) < probability
        moves = rng.uniform(-0.5 * self.scale, 0.5 * self.scale, (n, 4, 2))
        corners = np.array([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1],
                            [width - 1, height - 1]])
        start = np.broadcast_to(corners, (n, 4, 2))
        transforms = it.homography_matrices(start, start + start * moves)
        identity = np.array([1.0, 0, 0, 0, 1.0, 0, 0, 0])
        return np.where(apply[:, None], transforms, identity)

    def get_config(self):
        config = {**super().get_config(), "factor": self.factor, "scale": self.scale}
        del config["fill_mode"]
        return config


def _blur_fields(fields, size, sigma):
    """Gaussian blur (size x size, zero padding) of (batch, height, width) fields."""
    half, (h, w) = size // 2, fields.shape[1:]
    taps = _gaussian(size, sigma)
    padded = np.pad(fields, ((0, 0), (half, half), (half, half)))
    across = sum(t * padded[:, :, j:j + w] for j, t in enumerate(taps))
    return sum(t * across[:, i:i + h, :] for i, t in enumerate(taps))


class RandomElasticTransform(_WarpLayer):
    """Elastic distortion (Simard et al., 2003) in training, each image with a random
    probability.

    A strength s is drawn once per batch from `scale`'s range; each pixel reads the input at
    its position plus alpha * (dx, dy), where dx and dy are sigma-scaled Gaussian noise fields
    blurred by a Gaussian of width sigma (kernel int(6 sigma) | 1), with
    alpha = 0.1 s max(height, width) and sigma = 0.05 s min(height, width) (Keras').

    Args:
        factor: A number in [0, 1] (default 1.0; f gives (0, f)) or a pair: the probability.
        scale: A number in [0, 1] (default 1.0) or a pair: the strength.
        interpolation: 'bilinear' (default) or 'nearest'.
        fill_mode: 'reflect' (default), 'wrap', 'constant', 'nearest' or 'mirror'.
        fill_value: The value for fill_mode='constant'.
        value_range: (low, high); the result is clipped to it.
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.

    Gradient: none; the output is a constant.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__("reflect", interpolation, seed, fill_value, data_format, **kwargs)
        if fill_mode not in it.FILL_MODES:
            raise NotImplementedError(f"{self._where()}: unknown fill_mode {fill_mode!r}; "
                                      f"expected one of {it.FILL_MODES}.")
        self.fill_mode = fill_mode
        self.factor = _unit_factor(self._where(), "factor", factor, lambda f: (0, f))
        self.scale = _unit_factor(self._where(), "scale", scale, lambda f: (0, f))
        self.value_range = value_range

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return x
        images, unbatched = iu.to_batched_nhwc(x, self.data_format)
        n, height, width = images.shape[:3]
        rng = self._rng()
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = (rng.uniform(size=n) < probability)[:, None, None, None]
        strength = rng.uniform(self.scale[0], self.scale[1])
        alpha = max(height, width) * 0.1 * strength
        sigma = min(height, width) * 0.05 * strength
        size = int(6 * sigma) | 1
        dx = _blur_fields(rng.standard_normal((n, height, width)) * sigma, size, sigma)
        dy = _blur_fields(rng.standard_normal((n, height, width)) * sigma, size, sigma)
        rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
        warped = it.map_coordinates(images.data, rows + alpha * dy, cols + alpha * dx,
                                    self.interpolation, self.fill_mode, self.fill_value)
        out = np.clip(np.where(apply, warped, images.data), *sorted(self.value_range))
        return iu.from_batched_nhwc(Tensor(out.astype(self._np_dtype)), self.data_format,
                                    unbatched)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "value_range": self.value_range}


class RandomCrop(RandomImageLayer):
    """Crops a random `(height, width)` window (the same for the whole batch) in training.

    At inference (training=False), and in training when an image is not larger than the
    target along both sides, a window starting at the corner of the largest centred window
    with the target aspect ratio is cropped (Keras' arithmetic) and resized to
    `(height, width)` (bilinear), so the output shape is always the same. Keras documents
    this for inference too, but Keras 3.15's code returns inference inputs uncropped, which
    breaks the layers that follow in a model; deltaw does what the documentation says.

    Args:
        height, width: Positive ints, the crop size.
        seed: Optional int; as Keras, None is replaced by a seed drawn once (from deltaw's
            generator), which the config records.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        if seed is None:
            seed = int(dw_random.generator().integers(0, 2**30))
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = iu.check_positive_int(self._where(), "height", height)
        self.width = iu.check_positive_int(self._where(), "width", width)

    def call(self, inputs, training=True):
        images, unbatched = iu.to_batched_nhwc(self._float(inputs), self.data_format)
        height, width = images.shape[1:3]
        if training and height > self.height and width > self.width:
            rng = self._rng()
            top = int(rng.uniform(0, height - self.height + 1))
            left = int(rng.uniform(0, width - self.width + 1))
            images = images[:, top:top + self.height, left:left + self.width, :]
        else:
            # Keras starts the window at the aspect-ratio crop's corner but keeps the target
            # size (clipped by the image), then resizes
            top, left, _, _ = iu.crop_box(height, width, self.height, self.width)
            images = images[:, top:top + self.height, left:left + self.width, :]
        if images.shape[1:3] != (self.height, self.width):
            images = iu.resize_images(images, self.height, self.width)
        return iu.from_batched_nhwc(images, self.data_format, unbatched)

    def compute_output_shape(self, input_shape):
        iu.check_image_rank(self._where(), input_shape)
        shape = list(input_shape)
        h_axis, w_axis = iu.spatial_axes(shape, self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
