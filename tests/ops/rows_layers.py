"""Op-table rows for the 1-D and 3-D convolutions and pooling added for the Keras layers
(deltaw.nn.conv_nd, the 3-D ops of deltaw.nn.pooling).

The NumPy references are the slow n-d loops of rows_vision (plus an n-d transposed convolution
written out here). Volumes stay tiny (3x3x3 or 4x4x4, 2 channels) so that gradcheck's
per-element central differences stay cheap.
"""

from __future__ import annotations

import numpy as np

from deltaw.nn import conv_nd, pooling
from tests.ops.op_table import OpSpec
from tests.ops.rows_vision import (
    _arrays,
    _conv_errors,
    _distinct,
    _in_dtype,
    _normal,
    _pool_errors,
    _samples,
    _tuple,
    keras_transpose_geometry,
    ref_avg_pool,
    ref_conv,
    ref_max_pool,
)
from tests.ops.samples import ErrorCase


def ref_conv_transpose(x, kernel, strides=1, padding="valid", output_padding=None,
                       dilation_rate=1):
    """Scatter every input position through the kernel (loop over input positions), then crop
    to Keras' size: the n-d form of rows_vision.ref_conv2d_transpose."""
    nd = x.ndim - 2
    s, d = _tuple(strides, nd), _tuple(dilation_rate, nd)
    ops = (output_padding,) * nd if output_padding is None or isinstance(output_padding, int) \
        else tuple(output_padding)
    ksize, cout = kernel.shape[:nd], kernel.shape[nd]
    sizes = x.shape[1:-1]
    geo = [keras_transpose_geometry(n, k, st, dl, padding, op)
           for n, k, st, dl, op in zip(sizes, ksize, s, d, ops, strict=True)]
    full = [max((n - 1) * st + (k - 1) * dl + 1, (k - 1) * dl - left + length)
            for n, k, st, dl, (left, length) in zip(sizes, ksize, s, d, geo, strict=True)]
    out = np.zeros((x.shape[0], *full, cout))
    for pos in np.ndindex(*sizes):
        for tap in np.ndindex(*ksize):
            at = tuple(p * st + t * dl for p, t, st, dl in zip(pos, tap, s, d, strict=True))
            out[(slice(None), *at)] += x[(slice(None), *pos)] @ kernel[tap].T
    crop = tuple(slice((k - 1) * dl - left, (k - 1) * dl - left + length)
                 for k, dl, (left, length) in zip(ksize, d, geo, strict=True))
    return out[(slice(None), *crop)]


def ref_depthwise_conv1d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    k, c, m = kernel.shape
    # channel c, multiplier j -> output channel c * m + j: a grouped convolution, groups = c
    return ref_conv(x, kernel.reshape(k, 1, c * m), strides, padding, dilation_rate, groups=c)


def ref_separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                         dilation_rate=1):
    mid = ref_depthwise_conv1d(x, depthwise_kernel, strides, padding, dilation_rate)
    return ref_conv(mid, pointwise_kernel)


_X3 = _normal(2, 3, 4, 3, 2)

CONV_ROWS = [
    OpSpec("conv3d", conv_nd.conv3d, _in_dtype(ref_conv), _samples(
        ("valid", _arrays(_X3, _normal(2, 2, 2, 2, 3)), {}),
        ("same-stride2", _arrays(_X3, _normal(3, 2, 3, 2, 2)), {"strides": 2, "padding": "same"}),
        ("valid-dilation-groups2", _arrays(_normal(2, 3, 4, 3, 4), _normal(1, 2, 2, 2, 2)),
         {"dilation_rate": (1, 2, 1), "groups": 2}),
    ), grad_args=(0, 1), errors=_conv_errors("conv3d", 3)),
    OpSpec("conv3d_transpose", conv_nd.conv3d_transpose, _in_dtype(ref_conv_transpose), _samples(
        ("valid", _arrays(_normal(2, 2, 3, 2, 2), _normal(2, 2, 2, 3, 2)), {}),
        ("same-stride2", _arrays(_normal(2, 2, 2, 2, 2), _normal(3, 2, 2, 2, 2)),
         {"strides": 2, "padding": "same"}),
        ("valid-stride2-output_padding", _arrays(_normal(1, 2, 2, 2, 2), _normal(2, 2, 2, 2, 2)),
         {"strides": (2, 2, 3), "output_padding": (1, 0, 2)}),
    ), grad_args=(0, 1), errors=(
        ErrorCase((np.ones((2, 3, 3, 3, 3)), np.ones((2, 2, 2, 4, 2))), ValueError,
                  r"conv3d_transpose: the input's channels do not match the kernel; expected 2"),
        ErrorCase((np.ones((2, 3, 3, 3)), np.ones((2, 2, 2, 4, 3))), ValueError,
                  r"conv3d_transpose: expected an input of rank 5"),
    )),
    OpSpec("conv1d_transpose", conv_nd.conv1d_transpose, _in_dtype(ref_conv_transpose), _samples(
        ("valid", _arrays(_normal(2, 4, 2), _normal(3, 3, 2)), {}),
        ("same-stride2", _arrays(_normal(2, 4, 2), _normal(3, 3, 2)),
         {"strides": 2, "padding": "same"}),
        ("valid-stride3-output_padding-dilation", _arrays(_normal(2, 3, 2), _normal(2, 2, 2)),
         {"strides": 3, "output_padding": 1, "dilation_rate": 2}),
    ), grad_args=(0, 1), errors=(
        ErrorCase((np.ones((2, 4, 2)), np.ones((3, 3, 2))), ValueError,
                  r"conv1d_transpose: output_padding must be smaller than strides",
                  {"strides": 2, "output_padding": 2}),
        ErrorCase((np.ones((2, 4, 2, 1)), np.ones((3, 3, 2))), ValueError,
                  r"conv1d_transpose: expected an input of rank 3"),
    )),
    OpSpec("depthwise_conv1d", conv_nd.depthwise_conv1d, _in_dtype(ref_depthwise_conv1d),
           _samples(
               ("valid", _arrays(_normal(2, 6, 2), _normal(3, 2, 2)), {}),
               ("same-stride2-dilation", _arrays(_normal(2, 7, 3), _normal(2, 3, 1)),
                {"strides": 2, "padding": "same"}),
               ("valid-dilation2", _arrays(_normal(2, 7, 2), _normal(3, 2, 2)),
                {"dilation_rate": 2}),
           ), grad_args=(0, 1), errors=(
               ErrorCase((np.ones((2, 5, 3)), np.ones((3, 2, 1))), ValueError,
                         r"depthwise_conv1d: the input's channels do not match the kernel"),
               ErrorCase((np.ones((2, 5, 2)), np.ones((3, 2, 1))), ValueError,
                         r"depthwise_conv1d: strides must be an int or a tuple of 1 int",
                         {"strides": (1, 2)}),
           )),
    OpSpec("separable_conv1d", conv_nd.separable_conv1d, _in_dtype(ref_separable_conv1d),
           _samples(
               ("same", _arrays(_normal(2, 6, 2), _normal(3, 2, 2), _normal(1, 4, 3)),
                {"padding": "same"}),
           ), grad_args=(0, 1, 2)),
]

_POOL3 = [
    ("pool2-valid", {"pool_size": 2}),
    ("pool2-same", {"pool_size": 2, "padding": "same"}),
    ("pool3-stride1-same", {"pool_size": (3, 2, 2), "strides": 1, "padding": "same"}),
]

POOL_ROWS = [
    OpSpec("max_pool3d", pooling.max_pool3d, _in_dtype(ref_max_pool),
           _samples(*((n, _arrays(_distinct(2, 3, 4, 3, 2)), kw) for n, kw in _POOL3)),
           errors=_pool_errors("max_pool3d", 3)),
    OpSpec("avg_pool3d", pooling.avg_pool3d, _in_dtype(ref_avg_pool),
           _samples(*((n, _arrays(_normal(2, 3, 4, 3, 2)), kw) for n, kw in _POOL3)),
           errors=_pool_errors("avg_pool3d", 3)),
    OpSpec("global_average_pool3d", pooling.global_average_pool3d,
           _in_dtype(lambda x, keepdims=False: x.mean(axis=(1, 2, 3), keepdims=keepdims)),
           _samples(("", _arrays(_normal(2, 2, 3, 2, 2)), {}),
                    ("keepdims", _arrays(_normal(2, 2, 3, 2, 2)), {"keepdims": True})),
           errors=(ErrorCase((np.ones((2, 3, 2, 2)),), ValueError,
                             r"global_average_pool3d: expected an input of rank 5"),)),
    OpSpec("global_max_pool3d", pooling.global_max_pool3d,
           _in_dtype(lambda x, keepdims=False: x.max(axis=(1, 2, 3), keepdims=keepdims)),
           _samples(("", _arrays(_distinct(2, 2, 3, 2, 2)), {}),
                    ("keepdims", _arrays(_distinct(2, 2, 3, 2, 2)), {"keepdims": True})),
           errors=(ErrorCase((np.ones((2, 3, 2, 2)),), ValueError,
                             r"global_max_pool3d: expected an input of rank 5"),)),
]

ROWS = [*CONV_ROWS, *POOL_ROWS]
