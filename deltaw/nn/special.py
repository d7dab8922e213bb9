"""Special functions (keras.ops.math): erf, erfc, erfinv and logdet, differentiable.

They live in dw.nn, beside GELU, because they reuse its erf/erfc approximations (NumPy has no
erf); the formula is written once, in deltaw/nn/activations.py.
"""

from __future__ import annotations

import math

from deltaw.autograd.op import primitive
from deltaw.nn.activations import _erf, _erfc_nonneg, _floating

__all__ = ["erf", "erfc", "erfinv", "logdet"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@primitive("erf")
def erf(xp, x):
    """The error function erf(x) = 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt.

    Accurate to about 1e-13 in float64 and to rounding in float32 (deltaw's own approximation).

    Gradient: 2 / sqrt(pi) * exp(-x^2).

    Example:
        >>> dw.nn.erf(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.8427], dtype=float32)
    """
    x = _floating(x)
    return _erf(xp, x), (x,)


@erf.backward
def _erf_backward(xp, g, saved, needs):
    (x,) = saved
    return (g * (_TWO_OVER_SQRT_PI * xp.exp(-xp.minimum(x * x, 1e4))),)  # 2/sqrt(pi) e^{-x^2}


@primitive("erfc")
def erfc(xp, x):
    """The complementary error function erfc(x) = 1 - erf(x), with full relative precision for
    large positive x (no cancellation).

    Gradient: -2 / sqrt(pi) * exp(-x^2).

    Example:
        >>> dw.nn.erfc(dw.tensor([0.0])).numpy()
        array([1.], dtype=float32)
    """
    x = _floating(x)
    pos = _erfc_nonneg(xp, xp.abs(x))
    # near 0, 1 - erf(x) is exact to rounding (erf's Taylor branch); erfc's fit is not
    return xp.where(xp.abs(x) < 0.5, 1 - _erf(xp, x), xp.where(x >= 0, pos, 2 - pos)), (x,)


@erfc.backward
def _erfc_backward(xp, g, saved, needs):
    (x,) = saved
    return (g * (-_TWO_OVER_SQRT_PI * xp.exp(-xp.minimum(x * x, 1e4))),)  # -2/sqrt(pi) e^{-x^2}


def _erfinv_initial(xp, y):
    """Giles' single-precision approximation of erfinv (2010), the start for Newton steps."""
    w = -xp.log((1 - y) * (1 + y))
    small = w < 5
    ws = xp.where(small, w - 2.5, 0.0)
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * ws
    wl = xp.where(small, 0.0, xp.sqrt(xp.maximum(w, 5.0)) - 3)
    q = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        q = c + q * wl
    return xp.where(small, p, q) * y


@primitive("erfinv")
def erfinv(xp, x):
    """The inverse error function: erfinv(erf(y)) = y, for x in (-1, 1); +-inf at +-1, NaN beyond.

    Giles' approximation refined by two Newton steps on erf, so it reaches the precision of
    deltaw's erf (about 1e-13 in float64).

    Gradient: sqrt(pi) / 2 * exp(erfinv(x)^2).

    Example:
        >>> dw.nn.erfinv(dw.tensor([0.0, 0.5])).numpy().round(4)
        array([0.    , 0.4769], dtype=float32)
    """
    x = _floating(x)
    inside = xp.abs(x) < 1
    y = xp.where(inside, x, 0).astype(x.dtype)
    wide = y.astype(xp.float64)
    out = _erfinv_initial(xp, wide)
    for _ in range(2):
        out = out - (_erf(xp, out) - wide) / (_TWO_OVER_SQRT_PI * xp.exp(-out * out))
    edge = xp.where(xp.abs(x) == 1, xp.where(x > 0, xp.inf, -xp.inf), xp.nan)
    out = xp.where(inside, out, edge).astype(x.dtype)
    return out, (out,)


@erfinv.backward
def _erfinv_backward(xp, g, saved, needs):
    (out,) = saved
    return (g / (_TWO_OVER_SQRT_PI * xp.exp(-out * out)),)  # sqrt(pi)/2 e^{erfinv(x)^2}


@primitive("logdet")
def logdet(xp, x):
    """log(det(x)) of a square matrix or a batch of them (as torch.logdet): NaN where the
    determinant is negative, -inf where it is 0.

    A primitive because its gradient, inv(x)^T, is one solve; composing it from an LU
    factorisation in dw ops would record O(n^2) small ops.

    Gradient: inv(x)^T (where the determinant is positive; 0 elsewhere).

    Example:
        >>> round(dw.nn.logdet(dw.tensor([[2.0, 0.0], [0.0, 3.0]])).item(), 4)
        1.7918
    """
    x = _floating(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"logdet: expected square matrices (..., n, n); got shape {x.shape}.")
    sign, value = xp.linalg.slogdet(x)
    out = xp.where(sign > 0, value, xp.where(sign == 0, -xp.inf, xp.nan)).astype(x.dtype)
    return out, (x, sign > 0)


@logdet.backward
def _logdet_backward(xp, g, saved, needs):
    x, positive = saved
    eye = xp.eye(x.shape[-1], dtype=x.dtype)
    safe = xp.where(positive[..., None, None], x, eye)  # singular matrices get no gradient
    inv_t = xp.swapaxes(xp.linalg.inv(safe), -1, -2)
    return (xp.where(positive[..., None, None], g[..., None, None] * inv_t, 0),)  # X^{-T}
