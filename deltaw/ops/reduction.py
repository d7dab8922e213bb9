"""Reductions: sum mean var std max min prod logsumexp cumsum argmax argmin."""

from __future__ import annotations

from deltaw._checks import normalize_axes
from deltaw.autograd.op import primitive


def _expand(g, axes, keepdims, ndim, xp):
    """Give a reduced gradient back its reduced axes (as size 1) so it broadcasts over the input."""
    if keepdims or axes is None and g.ndim == ndim:
        return g
    if axes is None:
        return g.reshape((1,) * ndim)
    return xp.expand_dims(g, axes)


@primitive("sum")
def sum(xp, x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Sum of elements over `axis` (None: all), as np.sum.

    Example:
        >>> dw.sum(dw.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        tensor([4., 6.])
    """
    axes = normalize_axes("sum", axis, x.ndim)
    return x.sum(axis=axes, keepdims=keepdims), (x.shape, axes, keepdims)


@sum.backward
def _sum_backward(xp, g, saved, needs):
    shape, axes, keepdims = saved
    # d sum / dx = 1 everywhere: broadcast g back over the summed axes
    return (xp.broadcast_to(_expand(g, axes, keepdims, len(shape), xp), shape),)
