"""Element-wise unary ops: exp log log1p expm1 sqrt square abs sign tanh sin cos, and astype.

Every op keeps the input's shape and floating dtype (float32 in, float32 out). Rules that are
cheaper from the output (exp, expm1, sqrt, tanh) save the output instead of the input.
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive


@primitive("astype", nin=1)
def astype(xp, x, dtype):
    """A copy of `x` cast to `dtype`. Differentiable between floating dtypes; the gradient is cast
    back to the input's dtype."""
    dtype = np.dtype(dtype)
    return x.astype(dtype), (x.dtype,)


@astype.backward
def _astype_backward(xp, g, saved, needs):
    (in_dtype,) = saved
    return (g.astype(in_dtype) if in_dtype.kind == "f" else None,)


@primitive("exp")
def exp(xp, x):
    """e ** x, element-wise.

    Example:
        >>> dw.exp(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([1.    , 2.7183], dtype=float32)
    """
    out = xp.exp(x)
    return out, (out,)


@exp.backward
def _exp_backward(xp, g, saved, needs):
    (out,) = saved
    return (g * out,)  # d e^x / dx = e^x


@primitive("log")
def log(xp, x):
    """Natural logarithm, element-wise. Defined for x > 0 (log(0) = -inf, as NumPy).

    Example:
        >>> dw.log(dw.tensor([1.0, 4.0])).numpy().round(4)
        array([0.    , 1.3863], dtype=float32)
    """
    return xp.log(x), (x,)


@log.backward
def _log_backward(xp, g, saved, needs):
    (x,) = saved
    return (g / x,)  # d log x / dx = 1 / x


@primitive("log1p")
def log1p(xp, x):
    """log(1 + x), element-wise, accurate for small x.

    Example:
        >>> dw.log1p(dw.tensor([0.0, 1e-8])).numpy()
        array([0.e+00, 1.e-08], dtype=float32)
    """
    return xp.log1p(x), (x,)


@log1p.backward
def _log1p_backward(xp, g, saved, needs):
    (x,) = saved
    return (g / (1 + x),)  # d log(1+x) / dx = 1 / (1+x)


@primitive("expm1")
def expm1(xp, x):
    """e ** x - 1, element-wise, accurate for small x.

    Example:
        >>> dw.expm1(dw.tensor([0.0, 1e-8])).numpy()
        array([0.e+00, 1.e-08], dtype=float32)
    """
    out = xp.expm1(x)
    return out, (out,)


@expm1.backward
def _expm1_backward(xp, g, saved, needs):
    (out,) = saved
    return (g * (out + 1),)  # d (e^x - 1) / dx = e^x = out + 1


@primitive("sqrt")
def sqrt(xp, x):
    """Non-negative square root, element-wise.

    Gradient: 1 / (2 sqrt(x)), which is +inf at x = 0 (as torch; NumPy's divide-by-zero warning
    is suppressed for that case only).

    Example:
        >>> dw.sqrt(dw.tensor([4.0, 9.0]))
        tensor([2., 3.])
    """
    out = xp.sqrt(x)
    return out, (out,)


@sqrt.backward
def _sqrt_backward(xp, g, saved, needs):
    (out,) = saved
    # d sqrt(x) / dx = 1 / (2 sqrt(x))
    if out.all():
        return (g / (2 * out),)
    with np.errstate(divide="ignore", invalid="ignore"):  # the documented +inf at x = 0
        return (g / (2 * out),)


@primitive("square")
def square(xp, x):
    """x * x, element-wise.

    Example:
        >>> dw.square(dw.tensor([-2.0, 3.0]))
        tensor([4., 9.])
    """
    return xp.square(x), (x,)


@square.backward
def _square_backward(xp, g, saved, needs):
    (x,) = saved
    return (2 * x * g,)  # d x^2 / dx = 2x


@primitive("abs")
def abs(xp, x):  # noqa: A001 - NumPy's name
    """Absolute value, element-wise.

    Gradient: sign(x), so abs'(0) = 0 (as torch; the subgradient at the kink is taken as 0).

    Example:
        >>> dw.abs(dw.tensor([-2.0, 0.0, 3.0]))
        tensor([2., 0., 3.])
    """
    return xp.abs(x), (x,)


@abs.backward
def _abs_backward(xp, g, saved, needs):
    (x,) = saved
    return (g * xp.sign(x),)  # d|x|/dx = sign(x), 0 at x = 0


@primitive("sign", differentiable=False)
def sign(xp, x):
    """-1, 0 or 1 by the sign of x, element-wise. Not differentiable: the result never requires
    grad (its derivative is 0 wherever it exists).

    Example:
        >>> dw.sign(dw.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    return xp.sign(x), ()


@primitive("tanh")
def tanh(xp, x):
    """Hyperbolic tangent, element-wise.

    Example:
        >>> dw.tanh(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.7616], dtype=float32)
    """
    out = xp.tanh(x)
    return out, (out,)  # keep the output: the derivative is cheaper from it


@tanh.backward
def _tanh_backward(xp, g, saved, needs):
    (out,) = saved
    return (g * (1 - out * out),)  # d tanh(x)/dx = 1 - tanh(x)^2


@primitive("sin")
def sin(xp, x):
    """Sine (radians), element-wise.

    Example:
        >>> dw.sin(dw.tensor([0.0])).numpy()
        array([0.], dtype=float32)
    """
    return xp.sin(x), (x,)


@sin.backward
def _sin_backward(xp, g, saved, needs):
    (x,) = saved
    return (g * xp.cos(x),)  # d sin x / dx = cos x


@primitive("cos")
def cos(xp, x):
    """Cosine (radians), element-wise.

    Example:
        >>> dw.cos(dw.tensor([0.0])).numpy()
        array([1.], dtype=float32)
    """
    return xp.cos(x), (x,)


@cos.backward
def _cos_backward(xp, g, saved, needs):
    (x,) = saved
    return (-g * xp.sin(x),)  # d cos x / dx = -sin x
