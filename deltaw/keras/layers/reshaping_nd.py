"""1-D and 3-D reshaping layers: Cropping1D/3D, ZeroPadding1D/3D, UpSampling1D/3D.

The 2-D ones are in `reshaping_image`. Channels-last inputs, no weights. Cropping is one slice,
zero-padding one `dw.pad`, upsampling one `dw.repeat` per spatial axis (nearest neighbour, the
only interpolation Keras offers in 1-D and 3-D).
"""

from __future__ import annotations

import numbers

from deltaw.keras.layers.conv_arguments import standardize_data_format, standardize_tuple, where_of
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.ops import pad, repeat

__all__ = ["Cropping1D", "Cropping3D", "UpSampling1D", "UpSampling3D", "ZeroPadding1D",
           "ZeroPadding3D"]


def _edge_pairs(where, name, value, rank) -> tuple:
    """Keras' int | `rank` ints | `rank` (before, after) pairs as `rank` pairs of ints.

    For rank 1 a single pair `(before, after)` is the whole value (Keras' 1-D form).
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,) * (2 if rank == 1 else rank)
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if rank == 1:
        return (standardize_tuple(where, name, items, 2, allow_zero=True),)
    if len(items) != rank:
        raise ValueError(f"{where}: {name} must be an int, a tuple of {rank} ints or a tuple of "
                         f"{rank} (before, after) pairs; got {name}={value!r}.")
    return tuple(standardize_tuple(where, f"{name}[{i}]", v, 2, allow_zero=True)
                 for i, v in enumerate(items))


class _Spatial(Layer):
    """Shared rank check of the channels-last layers of this module."""

    rank = 1

    def _check_rank(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{where_of(self)}: expected an input of rank {self.rank + 2} "
                             f"(batch, {self.rank} spatial axes, channels), got input shape "
                             f"{tuple(input_shape)}.")


class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _edge_pairs(where_of(self), "cropping", cropping, self.rank)
        self.data_format = standardize_data_format(where_of(self), data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _sizes(self, input_shape) -> tuple:
        self._check_rank(input_shape)
        sizes = []
        for axis, (n, (lo, hi)) in enumerate(zip(input_shape[1:-1], self.cropping, strict=True)):
            if n is not None and lo + hi >= n:
                raise ValueError(f"{where_of(self)}: the cropping must leave part of every "
                                 f"axis; got cropping={self.cropping} for input shape "
                                 f"{tuple(input_shape)} (spatial axis {axis + 1}).")
            sizes.append(None if n is None else n - lo - hi)
        return tuple(sizes)

    def build(self, input_shape):
        self._sizes(input_shape)
        self.built = True

    def call(self, inputs):
        sizes = self._sizes(inputs.shape)
        spatial = tuple(slice(lo, lo + n) for (lo, _), n in zip(self.cropping, sizes, strict=True))
        return inputs[(slice(None), *spatial, slice(None))]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._sizes(input_shape), input_shape[-1])


class Cropping1D(_Cropping):
    """Removes steps from the start and end of a sequence.

    Args:
        cropping: Int (both ends) or (start, end). Default (1, 1).
        **kwargs: Base Layer arguments.

    Example:
        >>> Cropping1D((1, 2))(np.zeros((2, 6, 3))).shape
        (2, 3, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping[0]}


class Cropping3D(_Cropping):
    """Removes slices from the edges of a volume (batch, d1, d2, d3, channels).

    Args:
        cropping: Int, 3 ints (symmetric per axis) or 3 (before, after) pairs. Default
            ((1, 1), (1, 1), (1, 1)).
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        **kwargs: Base Layer arguments.

    Example:
        >>> Cropping3D(1)(np.zeros((1, 4, 5, 6, 2))).shape
        (1, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


class _ZeroPadding(_Spatial):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _edge_pairs(where_of(self), "padding", padding, self.rank)
        self.data_format = standardize_data_format(where_of(self), data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return pad(inputs, ((0, 0), *self.padding, (0, 0)))

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        sizes = (None if n is None else n + lo + hi
                 for n, (lo, hi) in zip(input_shape[1:-1], self.padding, strict=True))
        return (input_shape[0], *sizes, input_shape[-1])

    def get_config(self):
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of a sequence.

    Args:
        padding: Int (both ends) or (start, end). Default 1.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        **kwargs: Base Layer arguments.

    Example:
        >>> ZeroPadding1D((1, 2))(np.ones((2, 3, 4))).shape
        (2, 6, 4)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around a volume (batch, d1, d2, d3, channels).

    Args:
        padding: Int, 3 ints (symmetric per axis) or 3 (before, after) pairs. Default
            ((1, 1), (1, 1), (1, 1)).
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        **kwargs: Base Layer arguments.

    Example:
        >>> ZeroPadding3D()(np.ones((1, 2, 2, 2, 1))).shape
        (1, 4, 4, 4, 1)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _UpSampling(_Spatial):
    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = standardize_tuple(where_of(self), "size", size, self.rank)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        for axis, factor in enumerate(self.size, start=1):
            if factor != 1:
                inputs = repeat(inputs, factor, axis=axis)
        return inputs

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        sizes = (None if n is None else n * f
                 for n, f in zip(input_shape[1:-1], self.size, strict=True))
        return (input_shape[0], *sizes, input_shape[-1])


class UpSampling1D(_UpSampling):
    """Repeats every step `size` times: (batch, steps, c) -> (batch, steps * size, c).

    Args:
        size: Positive int. Default 2.
        **kwargs: Base Layer arguments.

    Example:
        >>> UpSampling1D(3)(np.ones((2, 4, 1))).shape
        (2, 12, 1)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, **kwargs)

    def get_config(self):
        return {**super().get_config(), "size": self.size[0]}


class UpSampling3D(_UpSampling):
    """Repeats the voxels of a volume by integer factors along its three spatial axes.

    Args:
        size: Int or 3 ints. Default (2, 2, 2).
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        **kwargs: Base Layer arguments.

    Example:
        >>> UpSampling3D()(np.ones((1, 2, 3, 4, 1))).shape
        (1, 4, 6, 8, 1)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, **kwargs)
        self.data_format = standardize_data_format(where_of(self), data_format)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
