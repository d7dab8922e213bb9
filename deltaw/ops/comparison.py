"""Comparisons: boolean results, never recorded, no gradient."""

from __future__ import annotations

from deltaw.autograd.op import primitive


@primitive("less", differentiable=False)
def less(xp, x1, x2):
    """x1 < x2, element-wise; a boolean tensor with no gradient."""
    return x1 < x2, ()


@primitive("less_equal", differentiable=False)
def less_equal(xp, x1, x2):
    """x1 <= x2, element-wise; a boolean tensor with no gradient."""
    return x1 <= x2, ()


@primitive("greater", differentiable=False)
def greater(xp, x1, x2):
    """x1 > x2, element-wise; a boolean tensor with no gradient."""
    return x1 > x2, ()


@primitive("greater_equal", differentiable=False)
def greater_equal(xp, x1, x2):
    """x1 >= x2, element-wise; a boolean tensor with no gradient."""
    return x1 >= x2, ()


@primitive("equal", differentiable=False)
def equal(xp, x1, x2):
    """x1 == x2, element-wise; a boolean tensor with no gradient."""
    return x1 == x2, ()


@primitive("not_equal", differentiable=False)
def not_equal(xp, x1, x2):
    """x1 != x2, element-wise; a boolean tensor with no gradient."""
    return x1 != x2, ()
