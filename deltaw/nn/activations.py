"""Activation functions: element-wise nonlinearities, softmax and log_softmax.

Each is one primitive with its backward beside it (speed: these run on every training step) and
with Keras 3's names, arguments and defaults. Backward rules reuse what the forward computed:
the output where the derivative is cheapest from it (sigmoid, softmax, log_softmax, relu), the
exponential part otherwise (elu, softplus, mish, silu, gelu). Every function documents its
convention at kinks on a "Gradient:" line; tests/nn/test_activations.py checks them.
"""

from __future__ import annotations

import math

import numpy as np

from deltaw import ops as _ops
from deltaw._checks import normalize_axes
from deltaw.autograd.op import primitive
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.tensor import Tensor

__all__ = [
    "elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu",
    "linear", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "softmax",
    "softplus", "softsign", "swish", "tanh",
]

# SELU's constants as Keras 3 defines them (Klambauer et al., 2017).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT1_2 = math.sqrt(0.5)


def _floating(x):
    # Integer and bool inputs compute in float32; NumPy would pick float64 for exp, log and tanh.
    return x if x.dtype.kind == "f" else x.astype(DEFAULT_FLOAT)


# Branch-free on purpose: np.where with a data-dependent mask runs ~30x slower than an arithmetic
# ufunc in NumPy, so selections below are written with maximum/minimum and 0/1 masks instead
# (relu's rarely used general form excepted: x * mask would turn -inf into nan).


def _sigmoid_from(xp, x, e):
    """sigmoid(x) given e = exp(-|x|): 1/(1+e) for x >= 0, e/(1+e) below, never overflowing."""
    return xp.maximum(e, x >= 0) / (1 + e)  # numerator: 1 where x >= 0 (e <= 1), else e


def _sigmoid(xp, x):
    return _sigmoid_from(xp, x, xp.exp(-xp.abs(x)))


def _log1p_unit(xp, e):
    """log1p(e) for e in [0, 1], to about an ulp, at a third of NumPy's log1p cost.

    w = 1 + e is rounded; w - 1 is exact (Sterbenz) and so is the rounding error (w - 1) - e,
    which the first-order term removes: log(w) - ((w - 1) - e) / w. For e below eps this gives e.
    """
    w = 1 + e
    return xp.log(w) - ((w - 1) - e) / w


# ---------------------------------------------------------------- the rectifier family


@primitive("relu")
def relu(xp, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: max(x, 0), with Keras 3's optional arguments.

    With the defaults this is `max(x, 0)`. In general (as `keras.activations.relu`): `x` where
    `x > threshold` (then clipped to `[0, max_value]` when `max_value` is given), else 0, minus
    `negative_slope * max(threshold - x, 0)`. With only `negative_slope` set it equals `leaky_relu`.

    Gradient: 0 at x == 0 (the default form); in general 1 where x > threshold (and
    0 < x < max_value when `max_value` is given), `negative_slope` where x <= threshold, else 0.

    Args:
        x: Tensor, array or number.
        negative_slope: Slope below `threshold`. Defaults to 0.
        max_value: Optional upper saturation value.
        threshold: Values at or below it are damped to 0 (or to the negative slope).

    Returns:
        Tensor with the shape and dtype of `x` (integer inputs stay integer in the default form).

    Example:
        >>> dw.nn.relu(dw.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """
    if max_value is None and threshold == 0:
        if negative_slope == 0:
            out = xp.maximum(x, 0)
            return out, (out,)
        return _leaky(xp, x, negative_slope)
    x = _floating(x)
    pos = xp.where(x > threshold, x, 0)
    keep = x > threshold
    if max_value is not None:
        pos = xp.minimum(xp.maximum(pos, 0), max_value)
        keep = keep & (x > 0) & (x < max_value)
    if negative_slope == 0:
        return pos, (keep, 0.0, None)
    below = x <= threshold
    return pos - negative_slope * xp.maximum(threshold - x, 0), (keep, negative_slope, below)


@relu.backward
def _relu_backward(xp, g, saved, needs):
    if len(saved) == 1:  # max(x, 0): d/dx = [x > 0], read from the output
        (out,) = saved
        return (g * (out > 0),)
    if len(saved) == 2:  # the leaky form
        return _leaky_backward(xp, g, saved)
    keep, slope, below = saved
    # d/dx = [kept] + slope * [x <= threshold]; the two masks are disjoint
    return (g * keep if below is None else xp.where(below, g * slope, g * keep),)


@primitive("relu6")
def relu6(xp, x):
    """ReLU capped at 6: min(max(x, 0), 6).

    Gradient: 1 for 0 < x < 6, else 0 (so 0 at both kinks, x == 0 and x == 6).

    Example:
        >>> dw.nn.relu6(dw.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """
    out = xp.minimum(xp.maximum(x, 0), 6)
    return out, (out,)


@relu6.backward
def _relu6_backward(xp, g, saved, needs):
    (out,) = saved
    return (g * xp.logical_and(out > 0, out < 6),)  # 1 strictly inside (0, 6), from the output


def _leaky(xp, x, negative_slope):
    x = _floating(x)
    return xp.maximum(x, 0) + negative_slope * xp.minimum(x, 0), (x, negative_slope)


def _leaky_backward(xp, g, saved):
    x, negative_slope = saved
    # 1 for x > 0, negative_slope for x <= 0
    return (g * (negative_slope + (1 - negative_slope) * (x > 0).astype(g.dtype)),)


@primitive("leaky_relu")
def leaky_relu(xp, x, negative_slope=0.2):
    """Leaky ReLU: x for x > 0, negative_slope * x otherwise.

    The default slope is Keras 3's 0.2 (`keras.activations.leaky_relu`); PyTorch's default is 0.01.
    Slopes above 1 follow TensorFlow and PyTorch (slope * x below 0, not `max(x, slope * x)`).

    Gradient: 1 for x > 0, `negative_slope` for x <= 0 (so `negative_slope` at 0, as PyTorch).

    Example:
        >>> dw.nn.leaky_relu(dw.tensor([-1.0, 2.0]))
        tensor([-0.2,  2. ])
    """
    return _leaky(xp, x, negative_slope)


@leaky_relu.backward
def _leaky_relu_backward(xp, g, saved, needs):
    return _leaky_backward(xp, g, saved)


@primitive("elu")
def elu(xp, x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise.

    Uses expm1 on min(x, 0): accurate near 0 and no overflow for large positive x.

    Gradient: 1 for x > 0, `out + alpha` (= alpha * exp(x)) for x <= 0, so `alpha` at 0.

    Example:
        >>> dw.nn.elu(dw.tensor([-1.0, 2.0])).numpy().round(4)
        array([-0.6321,  2.    ], dtype=float32)
    """
    return _scaled_elu(xp, x, alpha, 1.0)


def _scaled_elu(xp, x, alpha, scale):
    x = _floating(x)
    neg = (scale * alpha) * xp.expm1(xp.minimum(x, 0))  # the x <= 0 branch, 0 for x > 0
    return scale * xp.maximum(x, 0) + neg, (x, neg, scale * alpha, scale)


@elu.backward
def _elu_backward(xp, g, saved, needs):
    x, neg, scale_alpha, scale = saved
    if xp is not np:  # create_graph: rebuild the saved branch from x, so it is differentiated
        neg = scale_alpha * xp.expm1(xp.minimum(x, 0))
    # d/dx = scale for x > 0, else scale * alpha * exp(x) = neg + scale * alpha
    d = neg + scale_alpha
    return (g * (d + (x > 0) * (scale - d)),)


@primitive("selu")
def selu(xp, x):
    """Scaled ELU: scale * elu(x, alpha) with Keras' alpha = 1.67326324... and scale = 1.05070098...

    Gradient: scale for x > 0, scale * alpha * exp(x) for x <= 0.

    Example:
        >>> dw.nn.selu(dw.tensor([1.0])).numpy().round(4)
        array([1.0507], dtype=float32)
    """
    return _scaled_elu(xp, x, _SELU_ALPHA, _SELU_SCALE)


selu.backward(_elu_backward)


# ---------------------------------------------------------------- the sigmoid family


@primitive("sigmoid")
def sigmoid(xp, x):
    """Logistic sigmoid: 1 / (1 + exp(-x)).

    A primitive for stability: exp is only taken of -|x|, so sigmoid(±1000) is exactly 1 and 0
    with no overflow warning, and the output keeps full relative precision for negative x.

    Gradient: out * (1 - out), from the saved output.

    Example:
        >>> dw.nn.sigmoid(dw.tensor([-1000.0, 0.0, 1000.0]))
        tensor([0. , 0.5, 1. ])
    """
    out = _sigmoid(xp, _floating(x))
    return out, (out,)


@sigmoid.backward
def _sigmoid_backward(xp, g, saved, needs):
    (out,) = saved
    return (g * out * (1 - out),)  # s' = s (1 - s)


@primitive("silu")
def silu(xp, x):
    """SiLU (swish): x * sigmoid(x). `swish` is the same function.

    Fused so that backward reuses the forward's sigmoid s.

    Gradient: s * (1 + x * (1 - s)).

    Example:
        >>> dw.nn.silu(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.7311], dtype=float32)
    """
    x = _floating(x)
    s = _sigmoid(xp, x)
    return x * s, (x, s)


@silu.backward
def _silu_backward(xp, g, saved, needs):
    x, s = saved
    if xp is not np:  # create_graph: rebuild s from x, so it is differentiated
        s = _sigmoid(xp, x)
    return (g * s * (1 + x * (1 - s)),)  # (x s)' = s + x s (1 - s)


swish = silu


@primitive("hard_sigmoid")
def hard_sigmoid(xp, x):
    """Piecewise-linear sigmoid (Keras 3): relu6(x + 3) / 6, i.e. clip(x / 6 + 0.5, 0, 1).

    Gradient: 1/6 for -3 < x < 3, else 0 (0 at both kinks).

    Example:
        >>> dw.nn.hard_sigmoid(dw.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.  , 0.5 , 0.75, 1.  ])
    """
    x = _floating(x)
    return xp.minimum(xp.maximum(x / 6 + 0.5, 0), 1), (x,)


@hard_sigmoid.backward
def _hard_sigmoid_backward(xp, g, saved, needs):
    (x,) = saved
    return (g * xp.logical_and(x > -3, x < 3) / 6,)  # g first: a bool mask / 6 would be float64


@primitive("hard_silu")
def hard_silu(xp, x):
    """Hard SiLU (hard swish, Keras 3): x * hard_sigmoid(x). `hard_swish` is the same function.

    Gradient: 0 for x <= -3, 1 for x >= 3, (2x + 3) / 6 in between: the product rule applied with
    hard_sigmoid's convention, so 0 at x == -3 and 1 at x == 3. (PyTorch's hardswish uses the
    inner formula on the closed interval, giving -0.5 and 1.5 at the two kinks.)

    Example:
        >>> dw.nn.hard_silu(dw.tensor([-4.0, 1.5, 4.0]))
        tensor([-0.   ,  1.125,  4.   ])
    """
    x = _floating(x)
    return x * xp.minimum(xp.maximum(x / 6 + 0.5, 0), 1), (x,)


@hard_silu.backward
def _hard_silu_backward(xp, g, saved, needs):
    (x,) = saved
    hs = xp.minimum(xp.maximum(x / 6 + 0.5, 0), 1)
    return (g * (hs + (x / 6) * xp.logical_and(x > -3, x < 3)),)  # hs(x) + x hs'(x)


hard_swish = hard_silu


# ---------------------------------------------------------------- smooth activations


@primitive("softplus")
def softplus(xp, x):
    """Softplus: log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)).

    A primitive for stability: the naive form overflows for x > ~88 (float32) and loses all
    precision for very negative x; this form is exact to rounding everywhere.

    Gradient: sigmoid(x), rebuilt from the saved exp(-|x|).

    Example:
        >>> dw.nn.softplus(dw.tensor([-1000.0, 0.0, 2.0])).numpy().round(4)
        array([0.    , 0.6931, 2.1269], dtype=float32)
    """
    x = _floating(x)
    e = xp.exp(-xp.abs(x))
    return xp.maximum(x, 0) + _log1p_unit(xp, e), (x, e)


@softplus.backward
def _softplus_backward(xp, g, saved, needs):
    x, e = saved
    if xp is not np:  # create_graph: rebuild e from x, so it is differentiated
        e = xp.exp(-xp.abs(x))
    return (g * _sigmoid_from(xp, x, e),)


@primitive("softsign")
def softsign(xp, x):
    """Softsign: x / (1 + |x|).

    Gradient: 1 / (1 + |x|)^2.
    """
    x = _floating(x)
    return x / (1 + xp.abs(x)), (x,)


@softsign.backward
def _softsign_backward(xp, g, saved, needs):
    (x,) = saved
    d = 1 + xp.abs(x)
    return (g / d / d,)  # not g / (d * d): d * d overflows for |x| > ~1e19 (float32)


@primitive("mish")
def mish(xp, x):
    """Mish: x * tanh(softplus(x)), with the stable softplus.

    Gradient: tanh(sp) + x * (1 - tanh(sp)^2) * sigmoid(x), sp = softplus(x).
    """
    x = _floating(x)
    e = xp.exp(-xp.abs(x))
    t = xp.tanh(xp.maximum(x, 0) + _log1p_unit(xp, e))
    return x * t, (x, e, t)


@mish.backward
def _mish_backward(xp, g, saved, needs):
    x, e, t = saved
    if xp is not np:  # create_graph: rebuild e and t from x, so they are differentiated
        e = xp.exp(-xp.abs(x))
        t = xp.tanh(xp.maximum(x, 0) + _log1p_unit(xp, e))
    return (g * (t + x * (1 - t * t) * _sigmoid_from(xp, x, e)),)


@primitive("exponential")
def exponential(xp, x):
    """Exponential activation (Keras): exp(x).

    Gradient: exp(x), the saved output.
    """
    out = xp.exp(_floating(x))
    return out, (out,)


@exponential.backward
def _exponential_backward(xp, g, saved, needs):
    (out,) = saved
    return (g * out,)


def linear(x):
    """Identity activation (Keras' `linear`): returns `x` unchanged (a non-Tensor becomes one)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def tanh(x):
    """Hyperbolic tangent: the same op as `dw.tanh` (deltaw.ops), listed here as Keras does."""
    return _ops.tanh(x)  # looked up per call: deltaw.ops owns the op


# ---------------------------------------------------------------- GELU and the normal CDF

# erfc(z) for z >= 0 is written erfc(z) = t * exp(-z^2 + P(t)) with t = 1 / (1 + z/2), the form
# of Numerical Recipes' `erfcc`. P is a polynomial in t on [0, 1] (t -> 0 as z -> inf), fitted
# for deltaw by least squares on 800 Chebyshev nodes in t against mpmath's erfc at 50 digits.
# Measured relative error of erfc on z in [0, 26.5] (evaluated in float64): degree 9, 1.0e-7
# (used for float32 and float16, below their rounding error); degree 20, 1.9e-13 (float64). For
# z > ~5 the rounding of z*z dominates (relative error ~ z^2 * eps); absolute errors stay tiny.
_ERFC_P9 = (-1.2655122251416067, 1.0000236801578086, 0.3740919597190096, 0.09678418948351743,
            -0.1862880616250066, 0.2788680843285988, -1.1352040001165733, 1.4885158889685046,
            -0.8221522342675599, 0.17087277764221656)
_ERFC_P20 = (-1.265512123484751, 1.0000000000910867, 0.3749999869255645, 0.08333407557426598,
             -0.0859596753271086, -0.14334785132858405, -0.09660927735841726, 0.06961570019309984,
             -0.10642014303489544, 1.1676155385022007, -3.3794925898915746, 7.547074268869714,
             -12.443144695542351, 10.956931223771171, 1.480173441318624, -16.55637706535616,
             21.595603606854596, -15.327338790893567, 6.5547576904296925, -1.5979980468750006,
             0.1720947265625001)
# Taylor series of erf(z) / z in z^2: 2/sqrt(pi) * (-1)^n / (n! (2n + 1)); 13 terms reach double
# precision for |z| < 0.5, where 1 - erfc(z) would lose relative accuracy.
_ERF_TAYLOR = tuple(2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                    for n in range(13))


def _horner(t, coefs):
    p = t * coefs[-1] + coefs[-2]
    for c in coefs[-3::-1]:
        p *= t
        p += c
    return p


def _erfc_nonneg(xp, z):
    """erfc(z) for z >= 0 to ~1e-13 (float64) or float32 rounding (float32), no warnings."""
    z = xp.minimum(z, 30)  # erfc(30) underflows even in float64; keeps z*z finite
    t = 1 / (1 + 0.5 * z)
    p = _horner(t, _ERFC_P20 if z.dtype.itemsize >= 8 else _ERFC_P9)
    p -= z * z
    return t * xp.exp(p)


def _erf(xp, x):
    """erf(x): a Taylor series for |x| < 0.5, else 1 - erfc(|x|) with the sign of x."""
    a = xp.abs(x)
    small = x * _horner(x * x, _ERF_TAYLOR)
    large = xp.copysign(1 - _erfc_nonneg(xp, a), x)
    return xp.where(a < 0.5, small, large)


def _ndtr(xp, x):
    """Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, with full relative precision for x < 0.

    For x < 0 it is erfc(|x| / sqrt 2) / 2 directly; 0.5 * (1 + erf(x / sqrt 2)) would cancel.
    """
    h = 0.5 * _erfc_nonneg(xp, xp.abs(x) * _SQRT1_2)
    return h + (x > 0) * (1 - 2 * h)  # 1 - h for x > 0; exactly h otherwise


@primitive("gelu")
def gelu(xp, x, approximate=False):
    """Gaussian error linear unit: x * Phi(x), Phi the standard normal CDF (Keras 3 defaults).

    approximate=False (Keras 3's default): the exact form 0.5 * x * (1 + erf(x / sqrt 2)), with
    NumPy lacking erf, Phi is computed from deltaw's own erfc approximation (relative error about
    1e-13 in float64; float32 is accurate to its rounding), written so that no 1 + erf(..)
    cancellation occurs for negative x. approximate=True: the tanh form
    0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))), computed as x * sigmoid(2u), which is
    the same function without the cancellation.

    Gradient: Phi(x) + x * phi(x) (phi the normal density) for the exact form; the derivative of
    the tanh form for the approximate one.

    Example:
        >>> dw.nn.gelu(dw.tensor([-1.0, 1.0])).numpy().round(4)
        array([-0.1587,  0.8413], dtype=float32)
    """
    x = _floating(x)
    if approximate:
        c = xp.minimum(xp.maximum(x, -100), 100)  # sigmoid(2u) is 0 or 1 long before; no overflow
        s = _sigmoid(xp, (2 * _SQRT_2_OVER_PI) * (c + 0.044715 * c * c * c))
        return x * s, (x, s, True)
    cdf = _ndtr(xp, x)
    return x * cdf, (x, cdf, False)


@gelu.backward
def _gelu_backward(xp, g, saved, needs):
    x, s, approximate = saved
    c = xp.minimum(xp.maximum(x, -100), 100)
    if xp is not np:  # create_graph: rebuild s (or the CDF) from x, so it is differentiated
        s = _sigmoid(xp, (2 * _SQRT_2_OVER_PI) * (c + 0.044715 * c * c * c)) if approximate \
            else _ndtr(xp, x)
    if approximate:
        du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * c * c)
        return (g * (s + x * (2 * s * (1 - s)) * du),)  # d/dx x s(2u) = s + x 2 s (1-s) u'
    return (g * (s + x * _INV_SQRT_2PI * xp.exp(-0.5 * c * c)),)  # Phi(x) + x phi(x)


# ---------------------------------------------------------------- softmax


def _softmax_axes(where, axis, ndim):
    if ndim == 0:
        return None  # a scalar is its own (only) class
    if axis == -1:
        return -1
    return normalize_axes(where, axis, ndim)


@primitive("softmax")
def softmax(xp, x, axis=-1):
    """Softmax along `axis` (an int or a tuple of ints): exp(x) / sum(exp(x)).

    A primitive for stability: x is shifted by its maximum first, so every exponent is <= 0 and
    softmax([1000, 0, -1000]) is exactly [1, 0, 0]. Entries of -inf (masks) give exactly 0.

    Gradient: out * (g - sum(g * out, axis)), from the saved output.

    Raises:
        AxisError: `axis` is out of range for `x`.

    Example:
        >>> dw.nn.softmax(dw.tensor([1000.0, 0.0, -1000.0]))
        tensor([1., 0., 0.])
    """
    x = _floating(x)
    axes = _softmax_axes("softmax", axis, x.ndim)
    e = xp.exp(x - x.max(axis=axes, keepdims=True))
    e /= e.sum(axis=axes, keepdims=True)
    return e, (e, axes)


@softmax.backward
def _softmax_backward(xp, g, saved, needs):
    out, axes = saved
    gy = g * out
    return (gy - out * gy.sum(axis=axes, keepdims=True),)  # s_i (g_i - sum_j g_j s_j)


@primitive("log_softmax")
def log_softmax(xp, x, axis=-1):
    """log(softmax(x)) along `axis` (an int or a tuple of ints).

    A primitive for stability: log(exp(x) / sum(exp(x))) overflows for float32 logits above ~88
    and gives -inf for very unlikely classes; x - max - log(sum(exp(x - max))) is finite.

    Gradient: g - softmax * sum(g, axis), with softmax = exp(out) from the saved output.

    Raises:
        AxisError: `axis` is out of range for `x`.

    Example:
        >>> dw.nn.log_softmax(dw.tensor([1000.0, 0.0])).numpy()
        array([    0., -1000.], dtype=float32)
    """
    x = _floating(x)
    axes = _softmax_axes("log_softmax", axis, x.ndim)
    out = x - x.max(axis=axes, keepdims=True)
    out -= xp.log(xp.exp(out).sum(axis=axes, keepdims=True))
    return out, (out, axes)


@log_softmax.backward
def _log_softmax_backward(xp, g, saved, needs):
    out, axes = saved
    return (g - xp.exp(out) * g.sum(axis=axes, keepdims=True),)  # g_i - softmax_i * sum_j g_j
