"""Element-wise arithmetic with NumPy broadcasting: add subtract multiply divide power negative
maximum minimum.

Backward rules return full-shape gradients; the engine sums them back to each input's shape.
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive


@primitive("add")
def add(xp, x1, x2):
    """x1 + x2, element-wise with broadcasting.

    Example:
        >>> dw.add(dw.tensor([1.0, 2.0]), 1.0)
        tensor([2., 3.])
    """
    return x1 + x2, ()


@add.backward
def _add_backward(xp, g, saved, needs):
    return g, g  # d(x1 + x2) = dx1 + dx2


@primitive("subtract")
def subtract(xp, x1, x2):
    """x1 - x2, element-wise with broadcasting."""
    return x1 - x2, ()


@subtract.backward
def _subtract_backward(xp, g, saved, needs):
    return g, (-g if needs[1] else None)


@primitive("multiply")
def multiply(xp, x1, x2):
    """x1 * x2, element-wise with broadcasting."""
    return x1 * x2, (x1, x2)


@multiply.backward
def _multiply_backward(xp, g, saved, needs):
    x1, x2 = saved
    return (g * x2 if needs[0] else None, g * x1 if needs[1] else None)


@primitive("divide")
def divide(xp, x1, x2):
    """x1 / x2, element-wise with broadcasting (true division)."""
    out = x1 / x2
    return out, (x2, out)


@divide.backward
def _divide_backward(xp, g, saved, needs):
    x2, out = saved
    g1 = g / x2
    # d(x1/x2)/dx1 = 1/x2 ; d(x1/x2)/dx2 = -x1/x2^2 = -out/x2
    return (g1 if needs[0] else None, -g1 * out if needs[1] else None)


@primitive("power")
def power(xp, x1, x2):
    """x1 ** x2, element-wise with broadcasting.

    Gradient: d/dx1 = x2 * x1**(x2-1); d/dx2 = x1**x2 * log(x1), taken as 0 where x1 <= 0 (the
    logarithm is undefined there; only integer exponents make sense for negative bases).
    """
    out = x1**x2
    return out, (x1, x2, out)


@power.backward
def _power_backward(xp, g, saved, needs):
    x1, x2, out = saved
    g1 = g2 = None
    if needs[0]:
        g1 = g * x2 * x1 ** (x2 - 1)  # d x1^x2 / dx1 = x2 x1^(x2-1)
    if needs[1]:
        positive = x1 > 0
        g2 = g * out * xp.log(xp.where(positive, x1, 1)) * positive
    return g1, g2


@primitive("negative")
def negative(xp, x):
    """-x, element-wise."""
    return -x, ()


@negative.backward
def _negative_backward(xp, g, saved, needs):
    return (-g,)


def _tie_share(xp, wins, ties, dtype):
    """1 where x1 wins, 0.5 at ties, 0 elsewhere, in the gradient's dtype (no float64 detour).
    A constant of the backward pass: its derivative is 0 almost everywhere."""
    if xp is not np:  # create_graph: the same mask, from the Tensors' values
        wins, ties = wins.data, ties.data
    share = wins.astype(dtype)
    if ties.any():
        share[ties] = 0.5
    return share


@primitive("maximum")
def maximum(xp, x1, x2):
    """Element-wise maximum with broadcasting.

    Gradient: at ties (x1 == x2) the gradient is split equally between the two inputs.
    """
    return xp.maximum(x1, x2), (x1, x2)


@maximum.backward
def _maximum_backward(xp, g, saved, needs):
    x1, x2 = saved
    share = _tie_share(xp, x1 > x2, x1 == x2, g.dtype)
    return (g * share if needs[0] else None, g * (1 - share) if needs[1] else None)


@primitive("minimum")
def minimum(xp, x1, x2):
    """Element-wise minimum with broadcasting.

    Gradient: at ties (x1 == x2) the gradient is split equally between the two inputs.
    """
    return xp.minimum(x1, x2), (x1, x2)


@minimum.backward
def _minimum_backward(xp, g, saved, needs):
    x1, x2 = saved
    share = _tie_share(xp, x1 < x2, x1 == x2, g.dtype)
    return (g * share if needs[0] else None, g * (1 - share) if needs[1] else None)
