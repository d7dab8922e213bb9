"""More convolutions: conv3d and conv3d_transpose (primitives), conv1d_transpose,
depthwise_conv1d and separable_conv1d (composites).

The 3-D ops share deltaw.nn.conv's lowering (one im2col GEMM per batch chunk; col2im for the
transposed one): only the rank differs. The 1-D ops run their 2-D counterparts on a height-1
image, `(batch, 1, steps, channels)`, with a height-1 kernel: along that axis every geometry
rule ('valid', 'same', output_padding 0) leaves the size 1, so the results are exactly the 1-D
ones, and the gradients come from the 2-D primitives.

Layouts follow Keras (channels last): conv3d kernels are (k1, k2, k3, in_channels // groups,
filters); conv*_transpose kernels are (*kernel_size, filters, in_channels); depthwise kernels
are (k, channels, depth_multiplier).
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive
from deltaw.nn.conv import (
    _conv_backward,
    _conv_forward,
    _prepare_conv,
    conv1d,
    conv2d_transpose,
    conv_transpose_backward,
    conv_transpose_forward,
    depthwise_conv2d,
)
from deltaw.ops import expand_dims, squeeze

__all__ = ["conv1d_transpose", "conv3d", "conv3d_transpose", "depthwise_conv1d",
           "separable_conv1d"]


@primitive("conv3d")
def conv3d(xp, x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    """3-D convolution (cross-correlation, as Keras) of a channels-last volume batch.

    out[n, i, j, l, f] = sum over taps (a, b, c) and the channels ch of f's group of
    x_padded[n, i * s1 + a * d1, j * s2 + b * d2, l * s3 + c * d3, ch] * kernel[a, b, c, ch, f].

    Args:
        x: (batch, d1, d2, d3, channels).
        kernel: (k1, k2, k3, channels // groups, filters), as Keras' Conv3D stores it.
        strides: Int or 3 ints.
        padding: 'valid' or 'same' (Keras/TF: the odd extra pad at the end of each axis).
        dilation_rate: Int or 3 ints.
        groups: Channel groups; `channels` and `filters` must both be divisible by it.

    Returns:
        (batch, o1, o2, o3, filters): ceil(size / stride) per axis for 'same',
        (size - (k - 1) * dilation - 1) // stride + 1 for 'valid'.

    Gradient: with respect to `x` and `kernel`.

    Example:
        >>> dw.nn.conv3d(dw.ones((1, 3, 3, 3, 1)), dw.ones((2, 2, 2, 1, 4))).shape
        (1, 2, 2, 2, 4)
    """
    strides, dilation, pads, outs = _prepare_conv("conv3d", x, kernel, 3, strides, padding,
                                                  dilation_rate, groups)
    out, kept = _conv_forward(xp, x, kernel, strides, dilation, pads, outs, groups)
    return out, (x, kernel, strides, dilation, pads, groups, kept)


conv3d.backward(_conv_backward)


@primitive("conv3d_transpose")
def conv3d_transpose(xp, x, kernel, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed 3-D convolution (the gradient of conv3d with respect to its input), as Keras'
    Conv3DTranspose; the sizes follow conv2d_transpose's rules on each of the three axes.

    Args:
        x: (batch, d1, d2, d3, in_channels).
        kernel: (k1, k2, k3, filters, in_channels), as Keras' Conv3DTranspose stores it.
        strides: Int or 3 ints.
        padding: 'valid' or 'same'.
        output_padding: None, an int or 3 ints, each smaller than the stride.
        dilation_rate: Int or 3 ints.

    Returns:
        (batch, o1, o2, o3, filters).

    Gradient: with respect to `x` and `kernel`.

    Example:
        >>> x, k = dw.ones((1, 2, 2, 2, 1)), dw.ones((2, 2, 2, 3, 1))
        >>> dw.nn.conv3d_transpose(x, k, strides=2).shape
        (1, 4, 4, 4, 3)
    """
    return conv_transpose_forward(xp, "conv3d_transpose", 3, x, kernel, strides, padding,
                                  output_padding, dilation_rate)


conv3d_transpose.backward(conv_transpose_backward)


def _one(where, name, value):
    """A 1-D argument (an int or a 1-tuple) as an int."""
    items = (value,) if isinstance(value, int | np.integer) else tuple(value)
    if len(items) != 1:
        raise ValueError(f"{where}: {name} must be an int or a tuple of 1 int; got "
                         f"{name}={value!r}.")
    return items[0]


def _check_rank3(where, x, kernel, x_layout, k_layout):
    if x.ndim != 3 or kernel.ndim != 3:
        raise ValueError(f"{where}: expected an input of rank 3 {x_layout} and a kernel of rank "
                         f"3 {k_layout}; got input shape {x.shape} and kernel shape "
                         f"{kernel.shape}.")


def _rename(error, inner, outer):
    """The 2-D op's error message, reworded for the 1-D op the user called."""
    return ValueError(str(error).replace(inner, outer, 1))


def conv1d_transpose(x, kernel, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed 1-D convolution, as Keras' Conv1DTranspose (composite of conv2d_transpose).

    Args:
        x: (batch, steps, in_channels).
        kernel: (kernel_size, filters, in_channels).
        strides, dilation_rate: Int (or a 1-tuple).
        padding: 'valid' or 'same'.
        output_padding: None or an int (or a 1-tuple) smaller than the stride.

    Returns:
        (batch, new_steps, filters): 'valid': (steps - 1) * stride + k_eff + output_padding
        (default max(k_eff, stride) - k_eff); 'same': steps * stride, or (steps - 1) * stride +
        k_eff % 2 + output_padding when given; k_eff = (kernel_size - 1) * dilation_rate + 1.

    Example:
        >>> dw.nn.conv1d_transpose(dw.ones((1, 3, 2)), dw.ones((2, 4, 2)), strides=2).shape
        (1, 6, 4)
    """
    where = "conv1d_transpose"
    _check_rank3(where, x, kernel, "(batch, steps, channels)", "(k, filters, in_channels)")
    strides = (1, _one(where, "strides", strides))
    dilation = (1, _one(where, "dilation_rate", dilation_rate))
    pad = None if output_padding is None else (0, _one(where, "output_padding", output_padding))
    try:
        out = conv2d_transpose(expand_dims(x, 1), expand_dims(kernel, 0), strides=strides,
                               padding=padding, output_padding=pad, dilation_rate=dilation)
    except ValueError as error:
        raise _rename(error, "conv2d_transpose", where) from None
    return squeeze(out, 1)


def depthwise_conv1d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 1-D convolution, as Keras' DepthwiseConv1D (composite of depthwise_conv2d):
    output channel c * depth_multiplier + m is channel c convolved with kernel[:, c, m].

    Args:
        x: (batch, steps, channels).
        kernel: (kernel_size, channels, depth_multiplier).
        strides, dilation_rate: Int (or a 1-tuple).
        padding: 'valid' or 'same'.

    Returns:
        (batch, new_steps, channels * depth_multiplier).

    Example:
        >>> dw.nn.depthwise_conv1d(dw.ones((1, 5, 2)), dw.ones((3, 2, 2))).shape
        (1, 3, 4)
    """
    where = "depthwise_conv1d"
    _check_rank3(where, x, kernel, "(batch, steps, channels)", "(k, channels, depth_multiplier)")
    stride = _one(where, "strides", strides)
    dilation = _one(where, "dilation_rate", dilation_rate)
    try:
        out = depthwise_conv2d(expand_dims(x, 1), expand_dims(kernel, 0), strides=(1, stride),
                               padding=padding, dilation_rate=(1, dilation))
    except ValueError as error:
        raise _rename(error, "depthwise_conv2d", where) from None
    return squeeze(out, 1)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                     dilation_rate=1):
    """Depthwise then pointwise 1-D convolution, as Keras' SeparableConv1D (without bias).

    Args:
        x: (batch, steps, channels).
        depthwise_kernel: (kernel_size, channels, depth_multiplier).
        pointwise_kernel: (1, channels * depth_multiplier, filters).
        strides, padding, dilation_rate: As `depthwise_conv1d` (the pointwise step has none).

    Returns:
        (batch, new_steps, filters).
    """
    mid = depthwise_conv1d(x, depthwise_kernel, strides=strides, padding=padding,
                           dilation_rate=dilation_rate)
    return conv1d(mid, pointwise_kernel)
