"""Image reshaping layers: UpSampling2D, ZeroPadding2D, Cropping2D (channels-last, no weights).

UpSampling2D calls `dw.nn.upsampling2d`; ZeroPadding2D is one `dw.pad`; Cropping2D one slice.
"""

from __future__ import annotations

import numbers

from deltaw.keras.layers.conv_arguments import standardize_data_format, standardize_tuple, where_of
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.nn.pooling import upsampling2d
from deltaw.ops import pad

__all__ = ["Cropping2D", "UpSampling2D", "ZeroPadding2D"]

_INTERPOLATIONS = ("nearest", "bilinear")


def _pairs(where, name, value) -> tuple:
    """Keras' int | (sym_h, sym_w) | ((top, bottom), (left, right)) as ((t, b), (l, r))."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != 2:
        raise ValueError(f"{where}: {name} must be an int, a tuple of 2 ints or a tuple of 2 "
                         f"pairs of ints ((top, bottom), (left, right)); got {name}={value!r}.")
    return tuple(standardize_tuple(where, f"{name}[{i}]", v, 2, allow_zero=True)
                 for i, v in enumerate(items))


def _check_rank(layer, input_shape):
    if len(input_shape) != 4:
        raise ValueError(f"{where_of(layer)}: expected an input of rank 4 (batch, height, width, "
                         f"channels), got input shape {tuple(input_shape)}.")


class UpSampling2D(Layer):
    """Repeats (or interpolates) the rows and columns of an image by integer factors.

    Args:
        size: Int or (factor_h, factor_w). Default (2, 2).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        interpolation: 'nearest' (default: every pixel repeated) or 'bilinear' (Keras 3's
            half-pixel-centre resize). Keras' 'bicubic', 'lanczos3', 'lanczos5' and 'area' are
            not supported and raise.
        **kwargs: Base Layer arguments.

    Input shape:
        (batch, height, width, channels).

    Output shape:
        (batch, height * factor_h, width * factor_w, channels).

    Example:
        >>> UpSampling2D()(np.ones((1, 3, 4, 2))).shape
        (1, 6, 8, 2)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        self.size = standardize_tuple(where, "size", size, 2)
        self.data_format = standardize_data_format(where, data_format)
        mode = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if mode not in _INTERPOLATIONS:
            raise ValueError(f"{where}: interpolation must be 'nearest' or 'bilinear' (deltaw "
                             f"supports these two); got interpolation={interpolation!r}.")
        self.interpolation = mode
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return upsampling2d(inputs, size=self.size, interpolation=self.interpolation)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape)
        h, w = (None if n is None else n * f
                for n, f in zip(input_shape[1:3], self.size, strict=True))
        return (input_shape[0], h, w, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around an image.

    Args:
        padding: Int (the same on all four sides), (sym_h, sym_w) (rows above and below,
            columns left and right) or ((top, bottom), (left, right)). Default (1, 1).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, height + top + bottom, width + left + right, channels).

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 3)))(np.ones((1, 4, 4, 1))).shape
        (1, 5, 9, 1)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        self.padding = _pairs(where, "padding", padding)
        self.data_format = standardize_data_format(where, data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return pad(inputs, ((0, 0), *self.padding, (0, 0)))

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape)
        h, w = (None if n is None else n + sum(p)
                for n, p in zip(input_shape[1:3], self.padding, strict=True))
        return (input_shape[0], h, w, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping2D(Layer):
    """Removes rows and columns from the edges of an image.

    Args:
        cropping: Int (the same on all four sides), (sym_h, sym_w) or
            ((top, bottom), (left, right)). Default ((0, 0), (0, 0)).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, height - top - bottom, width - left - right, channels).

    Raises:
        ValueError: when the cropping removes a whole axis (naming the layer and the shapes).

    Example:
        >>> Cropping2D(((1, 0), (2, 1)))(np.ones((1, 4, 6, 3))).shape
        (1, 3, 3, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        self.cropping = _pairs(where, "cropping", cropping)
        self.data_format = standardize_data_format(where, data_format)
        self.input_spec = InputSpec(ndim=4)

    def _cropped_sizes(self, input_shape) -> tuple:
        sizes = []
        for axis, (n, (lo, hi)) in enumerate(zip(input_shape[1:3], self.cropping, strict=True)):
            if n is not None and lo + hi >= n:
                raise ValueError(
                    f"{where_of(self)}: the cropping must leave part of every axis; expected "
                    f"top + bottom < height and left + right < width, got cropping="
                    f"{self.cropping} for input shape {tuple(input_shape)} (axis {axis + 1}).")
            sizes.append(None if n is None else n - lo - hi)
        return tuple(sizes)

    def build(self, input_shape):
        _check_rank(self, input_shape)
        self._cropped_sizes(input_shape)
        self.built = True

    def call(self, inputs):
        h, w = self._cropped_sizes(inputs.shape)
        (top, _), (left, _) = self.cropping
        return inputs[:, top:top + h, left:left + w, :]

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape)
        return (input_shape[0], *self._cropped_sizes(input_shape), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}
