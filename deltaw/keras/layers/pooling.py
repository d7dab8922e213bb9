"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global poolings.

Each calls one `deltaw.nn.pooling` op (a primitive: one recorded node per call). Inputs are
channels-last only ('channels_first' raises). Pooling layers have no weights.
"""

from __future__ import annotations

from deltaw.keras.layers.conv_arguments import (
    conv_output_length,
    raise_named,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
    where_of,
)
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.nn.pooling import (
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    global_average_pool1d,
    global_average_pool2d,
    global_average_pool3d,
    global_max_pool1d,
    global_max_pool2d,
    global_max_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from deltaw.ops import astype, divide, expand_dims, multiply
from deltaw.ops import sum as reduce_sum
from deltaw.tensor import Tensor

__all__ = ["AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPooling1D",
           "MaxPooling2D", "AveragePooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D",
           "MaxPooling3D"]


class _Pooling(Layer):
    """Windowed pooling: pool_size, strides (None: pool_size), padding, channels-last."""

    rank = 2
    _op = None

    def __init__(self, pool_size, strides, padding, data_format, **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        self.pool_size = standardize_tuple(where, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else standardize_tuple(
            where, "strides", strides, self.rank)
        self.padding = standardize_padding(where, padding)
        self.data_format = standardize_data_format(where, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        try:
            return self._op(inputs, pool_size=self.pool_size, strides=self.strides,
                            padding=self.padding)
        except ValueError as error:  # e.g. an input smaller than the window: name the layer
            raise_named(self, error)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{where_of(self)}: expected an input of rank {self.rank + 2}, got "
                             f"input shape {tuple(input_shape)}.")
        sizes = []
        for i, size in enumerate(input_shape[1:-1]):
            n = conv_output_length(size, self.pool_size[i], self.strides[i], 1, self.padding)
            if n is not None and n <= 0:
                raise ValueError(
                    f"{where_of(self)}: the pool window is larger than the input with "
                    f"padding='valid' (the output would be empty); expected spatial axis {i + 1} "
                    f"of the input to have size >= {self.pool_size[i]} (pool_size "
                    f"{self.pool_size}), got input shape {tuple(input_shape)}.")
            sizes.append(n)
        return (input_shape[0], *sizes, input_shape[-1])

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # fails early, naming the layer
        self.built = True

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    """Max over windows of steps: (batch, steps, channels) -> (batch, new_steps, channels).

    Gradient: to the first maximum of each window when several tie.

    Args:
        pool_size: Int, the window length. Default 2.
        strides: Int; None (the default) means pool_size.
        padding: 'valid' (default) or 'same' (Keras/TF: the odd extra pad goes at the end).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, new_steps, channels): per spatial axis (size - pool) // stride + 1
        for 'valid', ceil(size / stride) for 'same'.

    Example:
        >>> MaxPooling1D()(np.arange(6.0).reshape(1, 6, 1)).numpy().ravel()
        array([1., 3., 5.], dtype=float32)
    """

    rank = 1
    _op = staticmethod(max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over windows of height and width: (batch, h, w, channels) -> (batch, h', w', c).

    Gradient: to the first maximum (row-major) of each window when several tie.

    Args:
        pool_size: Int or (ph, pw). Default (2, 2).
        strides: Int or (sh, sw); None (the default) means pool_size.
        padding: 'valid' (default) or 'same' (Keras/TF: the odd extra pad goes at the end).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, new_height, new_width, channels): per spatial axis (size - pool) // stride + 1
        for 'valid', ceil(size / stride) for 'same'.

    Example:
        >>> MaxPooling2D()(np.ones((2, 28, 28, 8))).shape
        (2, 14, 14, 8)
    """

    _op = staticmethod(max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of steps: (batch, steps, channels) -> (batch, new_steps, channels).

    With padding='same' the padded positions are left out of each mean (Keras/TF).
    pool_size defaults to 2 (as tf.keras; Keras 3 requires it).

    Args:
        pool_size: Int, the window length. Default 2.
        strides: Int; None (the default) means pool_size.
        padding: 'valid' (default) or 'same' (Keras/TF: the odd extra pad goes at the end).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, new_steps, channels): per spatial axis (size - pool) // stride + 1
        for 'valid', ceil(size / stride) for 'same'.

    Example:
        >>> AveragePooling1D()(np.arange(4.0).reshape(1, 4, 1)).numpy().ravel()
        array([0.5, 2.5], dtype=float32)
    """

    rank = 1
    _op = staticmethod(avg_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over windows of height and width: (batch, h, w, channels) -> (batch, h', w', c).

    With padding='same' the padded positions are left out of each mean (Keras/TF).
    pool_size defaults to (2, 2) (as tf.keras; Keras 3 requires it).

    Args:
        pool_size: Int or (ph, pw). Default (2, 2).
        strides: Int or (sh, sw); None (the default) means pool_size.
        padding: 'valid' (default) or 'same' (Keras/TF: the odd extra pad goes at the end).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, new_height, new_width, channels): per spatial axis (size - pool) // stride + 1
        for 'valid', ceil(size / stride) for 'same'.

    Example:
        >>> AveragePooling2D()(np.ones((2, 8, 8, 3))).shape
        (2, 4, 4, 3)
    """

    _op = staticmethod(avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    """Max over windows of a volume: (batch, d1, d2, d3, channels) -> (batch, o1, o2, o3, c).

    Gradient: to the first maximum (row-major) of each window when several tie.

    Args:
        pool_size: Int or 3 ints. Default (2, 2, 2).
        strides: Int or 3 ints; None (the default) means pool_size.
        padding: 'valid' (default) or 'same' (Keras/TF: the odd extra pad goes at the end).
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        **kwargs: Base Layer arguments.

    Example:
        >>> MaxPooling3D()(np.ones((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3
    _op = staticmethod(max_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    """Mean over windows of a volume: (batch, d1, d2, d3, channels) -> (batch, o1, o2, o3, c).

    With padding='same' the padded positions are left out of each mean (Keras/TF).
    pool_size defaults to (2, 2, 2) (as tf.keras; Keras 3 requires it).

    Args:
        pool_size: Int or 3 ints. Default (2, 2, 2).
        strides: Int or 3 ints; None (the default) means pool_size.
        padding: 'valid' (default) or 'same'.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        **kwargs: Base Layer arguments.

    Example:
        >>> AveragePooling3D()(np.ones((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3
    _op = staticmethod(avg_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ----------------------------------------------------------------------------- global pooling

class _GlobalPooling(Layer):
    """Reduce every spatial axis: (batch, *spatial, channels) -> (batch, channels)."""

    rank = 2
    _op = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(where_of(self), data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return self._op(inputs, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], *(1,) * (len(input_shape) - 2), input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def compute_mask(self, inputs, mask=None):
        return None  # the pooled axis, which a mask describes, is gone

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over steps: (batch, steps, channels) -> (batch, channels).

    Supports masking (as Keras): with a mask of shape (batch, steps), only the unmasked steps
    are averaged, sum(x * mask) / sum(mask) over the steps.

    Args:
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        keepdims: Keep the reduced axes with size 1. Default False.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: (batch, steps, channels).
        mask: Optional (batch, steps) booleans; True marks the steps to average.

    Example:
        >>> GlobalAveragePooling1D()(np.ones((2, 5, 3))).shape
        (2, 3)
    """

    rank = 1
    _op = staticmethod(global_average_pool1d)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return global_average_pool1d(inputs, keepdims=self.keepdims)
        mask = mask if isinstance(mask, Tensor) else Tensor(mask)
        weights = expand_dims(astype(mask, inputs.dtype), -1)          # (batch, steps, 1)
        total = reduce_sum(multiply(inputs, weights), axis=1, keepdims=self.keepdims)
        return divide(total, reduce_sum(weights, axis=1, keepdims=self.keepdims))


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, h, w, channels) -> (batch, channels).

    Args:
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        keepdims: Keep the reduced axes with size 1. Default False.
        **kwargs: Base Layer arguments.

    Example:
        >>> GlobalAveragePooling2D()(np.ones((2, 4, 4, 8))).shape
        (2, 8)
    """

    _op = staticmethod(global_average_pool2d)


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over steps: (batch, steps, channels) -> (batch, channels).

    Gradient: to the first maximum when several steps tie.

    Args:
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        keepdims: Keep the reduced axes with size 1. Default False.
        **kwargs: Base Layer arguments.

    Example:
        >>> GlobalMaxPooling1D(keepdims=True)(np.ones((2, 5, 3))).shape
        (2, 1, 3)
    """

    rank = 1
    _op = staticmethod(global_max_pool1d)


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: (batch, h, w, channels) -> (batch, channels).

    Gradient: to the first maximum (row-major) when several positions tie.

    Args:
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        keepdims: Keep the reduced axes with size 1. Default False.
        **kwargs: Base Layer arguments.

    Example:
        >>> GlobalMaxPooling2D()(np.ones((2, 4, 4, 8))).shape
        (2, 8)
    """

    _op = staticmethod(global_max_pool2d)


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over the three spatial axes: (batch, d1, d2, d3, channels) -> (batch, channels).

    Args:
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        keepdims: Keep the reduced axes with size 1. Default False.
        **kwargs: Base Layer arguments.

    Example:
        >>> GlobalAveragePooling3D()(np.ones((2, 2, 3, 4, 8))).shape
        (2, 8)
    """

    rank = 3
    _op = staticmethod(global_average_pool3d)


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over the three spatial axes: (batch, d1, d2, d3, channels) -> (batch, channels).

    Gradient: to the first maximum (row-major) when several positions tie.

    Args:
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        keepdims: Keep the reduced axes with size 1. Default False.
        **kwargs: Base Layer arguments.

    Example:
        >>> GlobalMaxPooling3D(keepdims=True)(np.ones((2, 2, 3, 4, 8))).shape
        (2, 1, 1, 1, 8)
    """

    rank = 3
    _op = staticmethod(global_max_pool3d)
