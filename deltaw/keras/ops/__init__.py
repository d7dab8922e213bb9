"""deltaw.keras.ops: Keras 3's `keras.ops` namespace on deltaw's differentiable ops.

As in Keras, every function of `numpy`, `linalg`, `nn`, `math` and the core functions (cast,
cond, scan, ...; in `core`) is reachable here (`ops.matmul`, `ops.cond`, `ops.relu`) and in its
submodule; `image`'s functions only through `ops.image`. Names of `keras.ops` that have no
meaning on deltaw yet are listed in UNSUPPORTED with the reason; they are absent, so calling them
fails with AttributeError.
"""

from deltaw.keras.ops import core, image, linalg, math, nn, numpy
from deltaw.keras.ops.core import (  # noqa: F401 - re-exported
    associative_scan, cast, cond, convert_to_numpy, convert_to_tensor, custom_gradient, dtype,
    fori_loop, is_tensor, map, rearrange, saturate_cast, scan, scatter, scatter_update, shape,
    slice, slice_update, stop_gradient, switch, unstack, vectorized_map, while_loop,
)
from deltaw.keras.ops.linalg import (  # noqa: F401 - re-exported
    cholesky, cholesky_inverse, det, eig, eigh, inv, jvp, lstsq, lu_factor, matrix_rank, norm,
    pinv, qr, solve, solve_triangular, svd,
)
from deltaw.keras.ops.numpy import (  # noqa: F401 - re-exported
    abs, absolute, add, all, allclose, amax, amin, angle, any, append, arange, arccos, arccosh,
    arcsin, arcsinh, arctan, arctan2, arctanh, argmax, argmin, argpartition, argsort, array,
    array_split, average, bartlett, bincount, bitwise_and, bitwise_invert, bitwise_left_shift,
    bitwise_not, bitwise_or, bitwise_right_shift, bitwise_xor, blackman, broadcast_to, cbrt,
    ceil, clip, concatenate, conj, conjugate, copy, corrcoef, correlate, cos, cosh,
    count_nonzero, cross, cumprod, cumsum, deg2rad, diag, diagflat, diagonal, diff, digitize,
    divide, divide_no_nan, dot, dsplit, dstack, einsum, empty, empty_like, equal, exp, exp2,
    expand_dims, expm1, eye, fabs, flip, fliplr, flipud, floor, floor_divide, fmax, fmin, fmod,
    full, full_like, gcd, geomspace, get_item, greater, greater_equal, hamming, hanning,
    heaviside, histogram, hsplit, hstack, hypot, i0, identity, imag, inner, isclose, isfinite,
    isin, isinf, isnan, isneginf, isposinf, isreal, kaiser, kron, lcm, ldexp, left_shift, less,
    less_equal, linspace, log, log10, log1p, log2, logaddexp, logaddexp2, logical_and,
    logical_not, logical_or, logical_xor, logspace, matmul, max, maximum, mean, median,
    meshgrid, min, minimum, mod, moveaxis, multiply, nan_to_num, nanargmax, nanargmin,
    nancumprod, nancumsum, nanmax, nanmean, nanmedian, nanmin, nanpercentile, nanprod,
    nanquantile, nanstd, nansum, nanvar, ndim, negative, nextafter, nonzero, not_equal, ones,
    ones_like, outer, pad, percentile, power, prod, ptp, quantile, rad2deg, ravel, real,
    reciprocal, repeat, reshape, right_shift, roll, rot90, round, searchsorted, select, sign,
    signbit, sin, sinc, sinh, size, slogdet, sort, split, sqrt, square, squeeze, stack, std,
    subtract, sum, swapaxes, take, take_along_axis, tan, tanh, tensordot, tile, trace,
    transpose, trapezoid, tri, tril, triu, true_divide, trunc, unique, unravel_index, vander,
    var, vdot, vectorize, view, vsplit, vstack, where, zeros, zeros_like,
)

from deltaw.keras.ops.math import *  # noqa: E402, F403 - re-exports math.__all__
from deltaw.keras.ops.nn import *  # noqa: E402, F403 - re-exports nn.__all__

__all__ = ["core", "image", "linalg", "math", "nn", "numpy", "UNSUPPORTED", *core.__all__,
           *linalg.__all__, *numpy.__all__, *nn.__all__, *math.__all__]

# Keras 3 names in keras.ops that deltaw does not provide, with the reason.
UNSUPPORTED = {
    "nn.polar": "builds a complex tensor; deltaw has no complex dtype",
    "math.view_as_complex": "deltaw has no complex dtype (complex values travel as "
                            "(real, imag) pairs, as the fft functions return them)",
    "math.view_as_real": "deltaw has no complex dtype",
    "image.scale_and_translate": "JAX's kernel-based resampler (lanczos/cubic kernels with "
                                 "arbitrary scale and translation) is not implemented yet",
}
