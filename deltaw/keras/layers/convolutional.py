"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Each layer holds its kernels (and bias) and computes with one `deltaw.nn.conv` op, then adds the
bias and applies the activation: at most three recorded ops per call (SeparableConv2D: four).
Weights have Keras 3's names, order and shapes, so `set_weights(keras_layer.get_weights())`
works. Inputs are channels-last only ('channels_first' raises). The argument helpers are in
`conv_arguments`, shared with the pooling and image-reshaping layers.
"""

from __future__ import annotations

from deltaw.keras import activations
from deltaw.keras.layers.conv_arguments import (
    add_weight_from_args,
    check_positive,
    conv_output_length,
    raise_named,
    set_weight_args,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
    transpose_output_length,
    weight_args_config,
    where_of,
)
from deltaw.keras.layers.core import _is_linear
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.nn.conv import conv1d, conv2d, conv2d_transpose, depthwise_conv2d, separable_conv2d
from deltaw.nn.conv_fused import conv2d_bias_activation
from deltaw.nn.dense import FUSED_ACTIVATIONS
from deltaw.ops import add, astype

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"]

_UNFUSED = object()  # FUSED_ACTIVATIONS' answer for an activation the fused op cannot fuse


# ----------------------------------------------------------------------------- shared base

class _BaseConv(Layer):
    """What every convolution layer shares: arguments, output shapes, bias and activation."""

    rank = 2
    _allow_causal = False

    def _setup(self, kernel_size, strides, padding, data_format, dilation_rate, activation,
               use_bias, bias_initializer, bias_regularizer, bias_constraint):
        where = where_of(self)
        self.kernel_size = standardize_tuple(where, "kernel_size", kernel_size, self.rank)
        self.strides = standardize_tuple(where, "strides", strides, self.rank)
        self.dilation_rate = standardize_tuple(where, "dilation_rate", dilation_rate, self.rank)
        self.padding = standardize_padding(where, padding, allow_causal=self._allow_causal)
        self.data_format = standardize_data_format(where, data_format)
        self.activation = activations.get(activation)
        self._linear = _is_linear(self.activation)
        self.use_bias = bool(use_bias)
        set_weight_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.bias = None

    def _input_channels(self, input_shape) -> int:
        """Check the rank and return the channel count (the last axis) of `input_shape`."""
        where = where_of(self)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{where}: expected an input of rank {self.rank + 2}, got input "
                             f"shape {tuple(input_shape)}.")
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{where}: the input's last axis (channels) must be known; got "
                             f"input shape {tuple(input_shape)}.")
        return int(channels)

    def _spatial_output(self, input_shape) -> tuple:
        """Output spatial sizes; raises (naming the layer) when a 'valid' window doesn't fit."""
        out = []
        for i, size in enumerate(input_shape[1:-1]):
            n = conv_output_length(size, self.kernel_size[i], self.strides[i],
                                   self.dilation_rate[i], self.padding)
            if n is not None and n <= 0:
                extent = (self.kernel_size[i] - 1) * self.dilation_rate[i] + 1
                raise ValueError(
                    f"{where_of(self)}: the kernel is larger than the input with "
                    f"padding='valid' (the output would be empty); expected spatial axis {i + 1} "
                    f"of the input to have size >= {extent} (kernel_size {self.kernel_size}, "
                    f"dilation_rate {self.dilation_rate}), got input shape "
                    f"{tuple(input_shape)}.")
            out.append(n)
        return tuple(out)

    def _add_bias(self, n):
        if self.use_bias:
            self.bias = add_weight_from_args(self, "bias", (n,))

    def _set_channels_spec(self, channels):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})

    def call(self, inputs):
        if inputs.data.dtype.kind != "f":
            inputs = astype(inputs, self._np_dtype)  # uint8 images, as Dense does for ints
        try:
            out = self._convolve(inputs)
        except ValueError as error:  # e.g. an input smaller than the kernel: name the layer
            raise_named(self, error)
        if self.bias is not None:
            out = add(out, self.bias)
        return out if self._linear else self.activation(out)

    def _convolve(self, inputs):
        """The layer's `dw.nn.conv` op on float inputs (before the bias and activation)."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        """For layers with `filters` output channels (DepthwiseConv2D and the transposed
        convolution override it)."""
        self._input_channels(input_shape)
        return (input_shape[0], *self._spatial_output(input_shape), self.filters)

    def _common_config(self) -> dict:
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


# ----------------------------------------------------------------------------- Conv1D / Conv2D

class _Conv(_BaseConv):
    """Conv1D and Conv2D: kernel (*kernel_size, in_channels // groups, filters)."""

    _op = None

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
                 activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                 bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        where = where_of(self)
        self.filters = check_positive(where, "filters", filters)
        self.groups = check_positive(where, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(f"{where}: filters must be divisible by groups; expected a multiple "
                             f"of groups={self.groups}, got filters={self.filters}.")
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        set_weight_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self.kernel = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{where_of(self)}: the input's channels must be divisible by "
                             f"groups; expected a multiple of groups={self.groups}, got input "
                             f"shape {tuple(input_shape)}.")
        self._spatial_output(input_shape)
        self.kernel = add_weight_from_args(
            self, "kernel", (*self.kernel_size, channels // self.groups, self.filters))
        self._add_bias(self.filters)
        self._set_channels_spec(channels)
        self.built = True

    def _convolve(self, inputs):
        return self._op(inputs, self.kernel, strides=self.strides, padding=self.padding,
                        dilation_rate=self.dilation_rate, groups=self.groups)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._common_config(),
            "groups": self.groups,
            **weight_args_config(self, "kernel"),
            **weight_args_config(self, "bias"),
        }


class Conv1D(_Conv):
    """1-D convolution over steps: `activation(conv1d(inputs, kernel) + bias)`.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int (or a 1-tuple), the window length.
        strides: Int, default 1.
        padding: 'valid' (default), 'same' (output length ceil(steps / strides)) or 'causal'
            (zeros before the sequence, so output t sees inputs up to t; for WaveNet-style
            models).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        dilation_rate: Int, default 1. deltaw also accepts strides > 1 with dilation_rate > 1
            (Keras raises).
        groups: Positive int dividing both the input channels and `filters`.
        activation: Activation name or callable; None means linear.
        use_bias: Whether to add a bias of shape (filters,).
        kernel_initializer: Default 'glorot_uniform'.
        bias_initializer: Default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Applied by the optimizer after each update.
        **kwargs: Base Layer arguments.

    Input shape:
        (batch, steps, channels).

    Output shape:
        (batch, new_steps, filters): new_steps = (steps - (kernel_size - 1) * dilation_rate -
        1) // strides + 1 for 'valid', ceil(steps / strides) for 'same' and 'causal'.

    Weights (Keras order): kernel (kernel_size, channels // groups, filters), bias (filters,).

    Example:
        >>> Conv1D(4, 3)(np.ones((2, 10, 3))).shape
        (2, 8, 4)
    """

    rank = 1
    _allow_causal = True
    _op = staticmethod(conv1d)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over height and width: `activation(conv2d(inputs, kernel) + bias)`.

    Computed as one `dw.nn.conv2d` (an im2col GEMM), one bias add and the activation.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or (kh, kw).
        strides: Int or (sh, sw), default (1, 1).
        padding: 'valid' (default) or 'same' (Keras/TF: the odd extra pad at the bottom/right).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        dilation_rate: Int or (dh, dw), default (1, 1). deltaw also accepts strides > 1 with
            dilation_rate > 1 (Keras raises).
        groups: Positive int dividing both the input channels and `filters`.
        activation: Activation name or callable; None means linear.
        use_bias: Whether to add a bias of shape (filters,).
        kernel_initializer: Default 'glorot_uniform'.
        bias_initializer: Default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Applied by the optimizer after each update.
        **kwargs: Base Layer arguments.

    Input shape:
        (batch, height, width, channels).

    Output shape:
        (batch, new_height, new_width, filters), per axis (size - (k - 1) * dilation - 1) //
        stride + 1 for 'valid' and ceil(size / stride) for 'same'.

    Raises:
        ValueError: bad arguments; at build or call time, an input of the wrong rank or channel
            count, or smaller than the kernel with padding='valid' (naming the layer and the
            shapes).

    Weights (Keras order): kernel (kh, kw, channels // groups, filters), bias (filters,).

    Example:
        >>> Conv2D(8, 3, padding="same", activation="relu")(np.ones((2, 28, 28, 1))).shape
        (2, 28, 28, 8)
    """

    rank = 2
    _op = staticmethod(conv2d)

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)

    def call(self, inputs):
        # speed: with None/'linear', 'relu', 'sigmoid' or 'tanh' the conv, bias add and
        # activation run as one op, dw.nn.conv2d_bias_activation (one node instead of three,
        # in-place passes; compiled kernels when numba is installed)
        fused = FUSED_ACTIVATIONS.get(id(self.activation), _UNFUSED)
        if fused is _UNFUSED:
            return super().call(inputs)
        if inputs.data.dtype.kind != "f":
            inputs = astype(inputs, self._np_dtype)  # uint8 images, as Dense does for ints
        try:
            return conv2d_bias_activation(inputs, self.kernel, self.bias, fused,
                                          strides=self.strides, padding=self.padding,
                                          dilation_rate=self.dilation_rate, groups=self.groups)
        except ValueError as error:  # e.g. an input smaller than the kernel: name the layer
            raise_named(self, error)


# ----------------------------------------------------------------------------- transposed

class Conv2DTranspose(_BaseConv):
    """Transposed 2-D convolution (a learned upsampling), as Keras' Conv2DTranspose.

    `activation(conv2d_transpose(inputs, kernel) + bias)`: the gradient of a convolution with
    respect to its input, so strides > 1 enlarge the image.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or (kh, kw).
        strides: Int or (sh, sw), default (1, 1).
        padding: 'valid' (default) or 'same'.
        output_padding: None (default) or an int or (ph, pw), each smaller than the stride: the
            extra rows/columns added at the bottom/right of the output.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int or (dh, dw), default (1, 1).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: As Conv2D.
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, new_height, new_width, filters), per axis with k_eff = (k - 1) * dilation + 1:
        'valid': (size - 1) * stride + k_eff + output_padding, where a None output_padding
        means max(k_eff, stride) - k_eff; 'same': size * stride, or (size - 1) * stride +
        k_eff % 2 + output_padding when output_padding is given.

    Weights (Keras order): kernel (kh, kw, filters, in_channels) — note the transposed order
    of the last two axes — and bias (filters,).

    Example:
        >>> Conv2DTranspose(4, 3, strides=2, padding="same")(np.ones((1, 5, 5, 2))).shape
        (1, 10, 10, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        where = where_of(self)
        self.filters = check_positive(where, "filters", filters)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = standardize_tuple(where, "output_padding", output_padding,
                                                    self.rank, allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides, strict=True)):
                raise ValueError(f"{where}: output_padding must be smaller than strides; "
                                 f"expected each entry < {self.strides}, got "
                                 f"output_padding={self.output_padding}.")
        set_weight_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self.kernel = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = add_weight_from_args(self, "kernel",
                                           (*self.kernel_size, self.filters, channels))
        self._add_bias(self.filters)
        self._set_channels_spec(channels)
        self.built = True

    def _convolve(self, inputs):
        return conv2d_transpose(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                output_padding=self.output_padding,
                                dilation_rate=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        ops = self.output_padding or (None,) * self.rank
        sizes = (transpose_output_length(n, k, s, d, self.padding, p) for n, k, s, d, p in
                 zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate, ops,
                     strict=True))
        return (input_shape[0], *sizes, self.filters)

    def get_config(self):
        common = self._common_config()
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": common.pop("kernel_size"),
            "strides": common.pop("strides"),
            "padding": common.pop("padding"),
            "output_padding": self.output_padding,
            **common,
            **weight_args_config(self, "kernel"),
            **weight_args_config(self, "bias"),
        }


# ----------------------------------------------------------------------------- depthwise

class _DepthwiseMixin:
    """The depthwise kernel's arguments (shared by DepthwiseConv2D and SeparableConv2D)."""

    def _setup_depthwise(self, depth_multiplier, depthwise_initializer, depthwise_regularizer,
                         depthwise_constraint):
        self.depth_multiplier = check_positive(where_of(self), "depth_multiplier",
                                                depth_multiplier)
        set_weight_args(self, "depthwise", depthwise_initializer, depthwise_regularizer,
                        depthwise_constraint)

    def _depthwise_weight(self, name, channels):
        shape = (*self.kernel_size, channels, self.depth_multiplier)
        return add_weight_from_args(self, name, shape, weight="depthwise")


class DepthwiseConv2D(_DepthwiseMixin, _BaseConv):
    """Depthwise 2-D convolution: each input channel gets its own `depth_multiplier` filters.

    `activation(depthwise_conv2d(inputs, depthwise_kernel) + bias)`; output channel
    c * depth_multiplier + m is channel c convolved with depthwise_kernel[..., c, m] (Keras/TF
    order).

    Args:
        kernel_size: Int or (kh, kw).
        strides: Int or (sh, sw), default (1, 1).
        padding: 'valid' (default) or 'same'.
        depth_multiplier: Positive int, filters per input channel. Default 1.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int or (dh, dw), default (1, 1).
        activation: Activation name or callable; None means linear.
        use_bias: Whether to add a bias of shape (channels * depth_multiplier,).
        depthwise_initializer: Default 'glorot_uniform'.
        bias_initializer: Default 'zeros'.
        depthwise_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        depthwise_constraint, bias_constraint: Applied by the optimizer after each update.
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, new_height, new_width, channels * depth_multiplier), sizes as Conv2D.

    Weights (Keras 3 order and names): kernel (kh, kw, channels, depth_multiplier) (tf.keras 2
    called it depthwise_kernel; that attribute name still works), bias
    (channels * depth_multiplier,).

    Example:
        >>> DepthwiseConv2D(3, depth_multiplier=2)(np.ones((1, 6, 6, 3))).shape
        (1, 4, 4, 6)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self._setup_depthwise(depth_multiplier, depthwise_initializer, depthwise_regularizer,
                              depthwise_constraint)
        self.kernel = None

    @property
    def depthwise_kernel(self):
        """The kernel under its tf.keras 2 name (Keras 3 calls the weight 'kernel')."""
        return self.kernel

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._spatial_output(input_shape)
        self.kernel = self._depthwise_weight("kernel", channels)
        self._add_bias(channels * self.depth_multiplier)
        self._set_channels_spec(channels)
        self.built = True

    def _convolve(self, inputs):
        return depthwise_conv2d(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                dilation_rate=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        channels = self._input_channels(input_shape)
        return (input_shape[0], *self._spatial_output(input_shape),
                channels * self.depth_multiplier)

    def get_config(self):
        common = self._common_config()
        return {
            **super().get_config(),
            "kernel_size": common.pop("kernel_size"),
            "strides": common.pop("strides"),
            "padding": common.pop("padding"),
            "depth_multiplier": self.depth_multiplier,
            **common,
            **weight_args_config(self, "depthwise"),
            **weight_args_config(self, "bias"),
        }


class SeparableConv2D(_DepthwiseMixin, _BaseConv):
    """Depthwise separable 2-D convolution: a depthwise convolution, then a 1x1 convolution.

    `activation(conv2d(depthwise_conv2d(inputs, depthwise_kernel), pointwise_kernel) + bias)`
    (strides, padding and dilation apply to the depthwise step).

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or (kh, kw).
        strides: Int or (sh, sw), default (1, 1).
        padding: 'valid' (default) or 'same'.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int or (dh, dw), default (1, 1).
        depth_multiplier: Depthwise filters per input channel. Default 1.
        activation: Activation name or callable; None means linear.
        use_bias: Whether to add a bias of shape (filters,).
        depthwise_initializer, pointwise_initializer: Default 'glorot_uniform'.
        bias_initializer: Default 'zeros'.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer:
            Optional regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: Applied after updates.
        **kwargs: Base Layer arguments.

    Weights (Keras order): depthwise_kernel (kh, kw, channels, depth_multiplier),
    pointwise_kernel (1, 1, channels * depth_multiplier, filters), bias (filters,).

    Example:
        >>> SeparableConv2D(8, 3, padding="same")(np.ones((1, 6, 6, 3))).shape
        (1, 6, 6, 8)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check_positive(where_of(self), "filters", filters)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self._setup_depthwise(depth_multiplier, depthwise_initializer, depthwise_regularizer,
                              depthwise_constraint)
        set_weight_args(self, "pointwise", pointwise_initializer, pointwise_regularizer,
                        pointwise_constraint)
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._spatial_output(input_shape)
        self.depthwise_kernel = self._depthwise_weight("depthwise_kernel", channels)
        self.pointwise_kernel = add_weight_from_args(
            self, "pointwise_kernel",
            (*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            weight="pointwise")
        self._add_bias(self.filters)
        self._set_channels_spec(channels)
        self.built = True

    def _convolve(self, inputs):
        return separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                strides=self.strides, padding=self.padding,
                                dilation_rate=self.dilation_rate)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._common_config(),
            "depth_multiplier": self.depth_multiplier,
            **weight_args_config(self, "depthwise"),
            **weight_args_config(self, "pointwise"),
            **weight_args_config(self, "bias"),
        }
