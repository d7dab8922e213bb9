"""Trigonometric and hyperbolic ops: tan, the inverse functions, sinh, cosh and their inverses.

sin and cos live in unary.py with the other original element-wise ops. Each op keeps the input's
floating dtype; the inverse functions are defined on NumPy's domain (outside it: NaN, as NumPy).
"""

from __future__ import annotations

from deltaw.autograd.op import primitive


@primitive("tan")
def tan(xp, x):
    """Tangent, element-wise.

    Example:
        >>> dw.ops.tan(dw.tensor([0.0, 0.5])).numpy().round(4)
        array([0.    , 0.5463], dtype=float32)
    """
    out = xp.tan(x)
    return out, (out,)


@tan.backward
def _tan_backward(xp, g, saved, needs):
    (out,) = saved
    return (g * (1 + out * out),)  # d tan x / dx = 1 + tan^2 x


@primitive("arcsin")
def arcsin(xp, x):
    """Inverse sine, element-wise, for x in [-1, 1]. The gradient is infinite at +-1.

    Example:
        >>> dw.ops.arcsin(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 1.5708], dtype=float32)
    """
    return xp.arcsin(x), (x,)


@arcsin.backward
def _arcsin_backward(xp, g, saved, needs):
    (x,) = saved
    return (g / xp.sqrt(1 - x * x),)  # d asin x / dx = 1 / sqrt(1 - x^2)


@primitive("arccos")
def arccos(xp, x):
    """Inverse cosine, element-wise, for x in [-1, 1]. The gradient is infinite at +-1.

    Example:
        >>> dw.ops.arccos(dw.tensor([1.0, 0.0])).numpy().round(4)
        array([0.    , 1.5708], dtype=float32)
    """
    return xp.arccos(x), (x,)


@arccos.backward
def _arccos_backward(xp, g, saved, needs):
    (x,) = saved
    return (-g / xp.sqrt(1 - x * x),)  # d acos x / dx = -1 / sqrt(1 - x^2)


@primitive("arctan")
def arctan(xp, x):
    """Inverse tangent, element-wise.

    Example:
        >>> dw.ops.arctan(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.7854], dtype=float32)
    """
    return xp.arctan(x), (x,)


@arctan.backward
def _arctan_backward(xp, g, saved, needs):
    (x,) = saved
    return (g / (1 + x * x),)  # d atan x / dx = 1 / (1 + x^2)


@primitive("arctan2")
def arctan2(xp, x1, x2):
    """The angle of the point (x2, x1), element-wise, with broadcasting, as np.arctan2.

    Gradient: undefined at the origin, where both partial derivatives are given as 0/0 = NaN.

    Example:
        >>> dw.ops.arctan2(dw.tensor([1.0]), dw.tensor([1.0])).numpy().round(4)
        array([0.7854], dtype=float32)
    """
    return xp.arctan2(x1, x2), (x1, x2)


@arctan2.backward
def _arctan2_backward(xp, g, saved, needs):
    x1, x2 = saved
    # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
    scale = g / (x1 * x1 + x2 * x2)
    return (scale * x2 if needs[0] else None, -scale * x1 if needs[1] else None)


@primitive("sinh")
def sinh(xp, x):
    """Hyperbolic sine, element-wise.

    Example:
        >>> dw.ops.sinh(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 1.1752], dtype=float32)
    """
    return xp.sinh(x), (x,)


@sinh.backward
def _sinh_backward(xp, g, saved, needs):
    (x,) = saved
    return (g * xp.cosh(x),)  # d sinh x / dx = cosh x


@primitive("cosh")
def cosh(xp, x):
    """Hyperbolic cosine, element-wise.

    Example:
        >>> dw.ops.cosh(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([1.    , 1.5431], dtype=float32)
    """
    return xp.cosh(x), (x,)


@cosh.backward
def _cosh_backward(xp, g, saved, needs):
    (x,) = saved
    return (g * xp.sinh(x),)  # d cosh x / dx = sinh x


@primitive("arcsinh")
def arcsinh(xp, x):
    """Inverse hyperbolic sine, element-wise.

    Example:
        >>> dw.ops.arcsinh(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.8814], dtype=float32)
    """
    return xp.arcsinh(x), (x,)


@arcsinh.backward
def _arcsinh_backward(xp, g, saved, needs):
    (x,) = saved
    return (g / xp.sqrt(x * x + 1),)  # d asinh x / dx = 1 / sqrt(x^2 + 1)


@primitive("arccosh")
def arccosh(xp, x):
    """Inverse hyperbolic cosine, element-wise, for x >= 1. The gradient is infinite at 1.

    Example:
        >>> dw.ops.arccosh(dw.tensor([1.0, 2.0])).numpy().round(4)
        array([0.    , 1.317], dtype=float32)
    """
    return xp.arccosh(x), (x,)


@arccosh.backward
def _arccosh_backward(xp, g, saved, needs):
    (x,) = saved
    return (g / xp.sqrt(x * x - 1),)  # d acosh x / dx = 1 / sqrt(x^2 - 1)


@primitive("arctanh")
def arctanh(xp, x):
    """Inverse hyperbolic tangent, element-wise, for x in (-1, 1).

    Example:
        >>> dw.ops.arctanh(dw.tensor([0.0, 0.5])).numpy().round(4)
        array([0.    , 0.5493], dtype=float32)
    """
    return xp.arctanh(x), (x,)


@arctanh.backward
def _arctanh_backward(xp, g, saved, needs):
    (x,) = saved
    return (g / (1 - x * x),)  # d atanh x / dx = 1 / (1 - x^2)
