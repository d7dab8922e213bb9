"""More convolution layers: Conv3D, Conv1DTranspose, Conv3DTranspose, DepthwiseConv1D,
SeparableConv1D.

Each is its 2-D sibling of `convolutional` (same arguments, weights, config and checks) with
another rank and one `deltaw.nn.conv_nd` op. Weights have Keras 3's names, order and shapes.
Inputs are channels-last only ('channels_first' raises).
"""

from __future__ import annotations

from deltaw.keras.layers.convolutional import (
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
    _Conv,
)
from deltaw.nn.conv_nd import (
    conv1d_transpose,
    conv3d,
    conv3d_transpose,
    depthwise_conv1d,
    separable_conv1d,
)

__all__ = ["Conv1DTranspose", "Conv3D", "Conv3DTranspose", "DepthwiseConv1D", "SeparableConv1D"]


class Conv3D(_Conv):
    """3-D convolution over a volume: `activation(conv3d(inputs, kernel) + bias)`.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or 3 ints.
        strides: Int or 3 ints, default (1, 1, 1).
        padding: 'valid' (default) or 'same'.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int or 3 ints, default (1, 1, 1).
        groups: Positive int dividing both the input channels and `filters`.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: As Conv2D.
        **kwargs: Base Layer arguments.

    Input shape:
        (batch, d1, d2, d3, channels).

    Weights (Keras order): kernel (k1, k2, k3, channels // groups, filters), bias (filters,).

    Example:
        >>> Conv3D(4, 3)(np.ones((1, 5, 5, 5, 2))).shape
        (1, 3, 3, 3, 4)
    """

    rank = 3
    _op = staticmethod(conv3d)

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv1DTranspose(Conv2DTranspose):
    """Transposed 1-D convolution (a learned upsampling of sequences).

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int.
        strides: Int, default 1.
        padding: 'valid' (default) or 'same'.
        output_padding: None (default) or an int smaller than the stride.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int, default 1.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: As Conv2D.
        **kwargs: Base Layer arguments.

    Output shape:
        (batch, new_steps, filters), by Conv2DTranspose's rule along the steps axis.

    Weights (Keras order): kernel (kernel_size, filters, in_channels), bias (filters,).

    Example:
        >>> Conv1DTranspose(4, 3, strides=2, padding="same")(np.ones((1, 5, 2))).shape
        (1, 10, 4)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return conv1d_transpose(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                output_padding=self.output_padding,
                                dilation_rate=self.dilation_rate)


class Conv3DTranspose(Conv2DTranspose):
    """Transposed 3-D convolution (a learned upsampling of volumes).

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or 3 ints.
        strides: Int or 3 ints, default (1, 1, 1).
        padding: 'valid' (default) or 'same'.
        output_padding: None (default), an int or 3 ints, each smaller than the stride.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int or 3 ints, default (1, 1, 1).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: As Conv2D.
        **kwargs: Base Layer arguments.

    Weights (Keras order): kernel (k1, k2, k3, filters, in_channels), bias (filters,).

    Example:
        >>> Conv3DTranspose(2, 2, strides=2)(np.ones((1, 2, 2, 2, 3))).shape
        (1, 4, 4, 4, 2)
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return conv3d_transpose(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                output_padding=self.output_padding,
                                dilation_rate=self.dilation_rate)


class DepthwiseConv1D(DepthwiseConv2D):
    """Depthwise 1-D convolution: each input channel gets its own `depth_multiplier` filters.

    Args:
        kernel_size: Int.
        strides: Int, default 1.
        padding: 'valid' (default) or 'same'.
        depth_multiplier: Positive int, filters per input channel. Default 1.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int, default 1.
        activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
        bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint: As
        DepthwiseConv2D.
        **kwargs: Base Layer arguments.

    Weights (Keras 3 names and order): kernel (kernel_size, channels, depth_multiplier), bias
    (channels * depth_multiplier,).

    Example:
        >>> DepthwiseConv1D(3, depth_multiplier=2)(np.ones((1, 6, 3))).shape
        (1, 4, 6)
    """

    rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return depthwise_conv1d(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                dilation_rate=self.dilation_rate)


class SeparableConv1D(SeparableConv2D):
    """Depthwise separable 1-D convolution: a depthwise convolution, then a pointwise one.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int.
        strides: Int, default 1.
        padding: 'valid' (default) or 'same'.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        dilation_rate: Int, default 1.
        depth_multiplier: Depthwise filters per input channel. Default 1.
        activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint: As SeparableConv2D.
        **kwargs: Base Layer arguments.

    Weights (Keras order): depthwise_kernel (kernel_size, channels, depth_multiplier),
    pointwise_kernel (1, channels * depth_multiplier, filters), bias (filters,).

    Example:
        >>> SeparableConv1D(4, 3, padding="same")(np.ones((1, 6, 3))).shape
        (1, 6, 4)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)

    def _convolve(self, inputs):
        return separable_conv1d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                strides=self.strides, padding=self.padding,
                                dilation_rate=self.dilation_rate)
