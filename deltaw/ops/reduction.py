"""Reductions: sum mean var std max min prod logsumexp cumsum cumprod argmax argmin.

Every reduction takes NumPy's `axis` (None, an int or a tuple of ints; negative counts from the
end) and `keepdims`. Backward rules give the reduced gradient its axes back (size 1) with
`_expand` and let broadcasting spread it over the input.
"""

from __future__ import annotations

import math

import numpy as np

from deltaw._checks import normalize_axes, normalize_axis
from deltaw.autograd.op import primitive


def _expand(g, axes, keepdims, ndim, xp):
    """Give a reduced gradient back its reduced axes (as size 1) so it broadcasts over the input."""
    if keepdims or axes is None and g.ndim == ndim:
        return g
    if axes is None:
        return g.reshape((1,) * ndim)
    return xp.expand_dims(g, axes)


def _axes(where, axis, ndim):
    """normalize_axes, except that the one axis a 0-d tensor admits (0, as torch) means all."""
    axes = normalize_axes(where, axis, ndim)
    return None if ndim == 0 else axes


def _count(shape, axes) -> int:
    """How many input elements feed each output element."""
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


def _check_nonempty(where, shape, axes):
    if _count(shape, axes) == 0:
        raise ValueError(f"{where}: cannot reduce an empty axis; got a tensor of shape {shape} "
                         f"and axis={axes if axes is None else tuple(axes)}.")


@primitive("sum")
def sum(xp, x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Sum of elements over `axis` (None: all), as np.sum.

    Example:
        >>> dw.sum(dw.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        tensor([4., 6.])
    """
    axes = _axes("sum", axis, x.ndim)
    return x.sum(axis=axes, keepdims=keepdims), (x.shape, axes, keepdims)


@sum.backward
def _sum_backward(xp, g, saved, needs):
    shape, axes, keepdims = saved
    # d sum / dx = 1 everywhere: broadcast g back over the summed axes
    return (xp.broadcast_to(_expand(g, axes, keepdims, len(shape), xp), shape),)


@primitive("mean")
def mean(xp, x, axis=None, keepdims=False):
    """Arithmetic mean over `axis` (None: all), as np.mean. A primitive (not sum / n) to record
    one node instead of two.

    Raises:
        ValueError: the reduced axes hold no elements (NumPy would warn and return nan).

    Example:
        >>> dw.mean(dw.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=-1)
        tensor([1.5, 3.5])
    """
    axes = _axes("mean", axis, x.ndim)
    _check_nonempty("mean", x.shape, axes)
    return x.mean(axis=axes, keepdims=keepdims), (x.shape, axes, keepdims)


@mean.backward
def _mean_backward(xp, g, saved, needs):
    shape, axes, keepdims = saved
    # d mean / dx_i = 1 / n
    g = _expand(g, axes, keepdims, len(shape), xp) / _count(shape, axes)
    return (xp.broadcast_to(g, shape),)


def _centered(where, x, axis, ddof):
    axes = _axes(where, axis, x.ndim)
    n = _count(x.shape, axes)
    if n - ddof <= 0:
        raise ValueError(f"{where}: ddof={ddof} leaves no degrees of freedom for {n} elements "
                         f"per reduction; expected ddof < {n}.")
    centered = x - x.mean(axis=axes, keepdims=True)
    return axes, n, centered


@primitive("var")
def var(xp, x, axis=None, ddof=0, keepdims=False):
    """Variance over `axis`: sum((x - mean)^2) / (n - ddof), as np.var.

    deltaw takes `ddof` as the third positional argument (NumPy's `dtype` and `out` are not
    supported).

    Raises:
        ValueError: ddof >= the number of reduced elements.

    Example:
        >>> dw.var(dw.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor(1.25)
    """
    axes, n, centered = _centered("var", x, axis, ddof)
    out = (centered * centered).sum(axis=axes, keepdims=keepdims) / (n - ddof)
    return out, (x, centered, axes, keepdims, n - ddof)


@var.backward
def _var_backward(xp, g, saved, needs):
    x, centered, axes, keepdims, dof = saved
    if xp is not np:  # create_graph: rebuild x - mean from x, so it is differentiated
        centered = x - xp.mean(x, axes, keepdims=True)
    # d var / dx_i = 2 (x_i - mean) / (n - ddof); the mean's own derivative sums to zero
    return (_expand(g, axes, keepdims, centered.ndim, xp) * centered * (2 / dof),)


@primitive("std")
def std(xp, x, axis=None, ddof=0, keepdims=False):
    """Standard deviation over `axis`: sqrt(var(x, axis, ddof)), as np.std.

    A primitive rather than sqrt(var(x)) so that a constant slice (std = 0) gets a finite
    gradient. Gradient: (x - mean) / ((n - ddof) std), taken as 0 where std = 0 (torch gives nan).

    Example:
        >>> dw.std(dw.tensor([1.0, 3.0]))
        tensor(1.)
    """
    axes, n, centered = _centered("std", x, axis, ddof)
    out = xp.sqrt((centered * centered).sum(axis=axes, keepdims=keepdims) / (n - ddof))
    return out, (x, centered, axes, keepdims, n - ddof, out)


@std.backward
def _std_backward(xp, g, saved, needs):
    x, centered, axes, keepdims, dof, out = saved
    if xp is not np:  # create_graph: rebuild x - mean from x, so it is differentiated
        centered = x - xp.mean(x, axes, keepdims=True)
    # d std / dx_i = (x_i - mean) / ((n - ddof) std)
    denom = _expand(out, axes, keepdims, centered.ndim, xp) * dof
    scale = _expand(g, axes, keepdims, centered.ndim, xp) / xp.where(denom == 0, 1, denom)
    return (centered * scale,)  # where std = 0 every centered value is 0, so the gradient is 0


def _extremum(where, x, axis, keepdims, reduce):
    axes = _axes(where, axis, x.ndim)
    _check_nonempty(where, x.shape, axes)
    out = reduce(x, axis=axes, keepdims=keepdims)
    return out, (x, axes, keepdims, out)


def _extremum_backward(xp, g, saved):
    x, axes, keepdims, out = saved
    ndim = x.ndim
    hit = x == _expand(out, axes, keepdims, ndim, xp)
    # ties share the gradient equally: each of k tied extrema gets g / k
    count = hit.sum(axis=axes, keepdims=True)
    return (hit * (_expand(g, axes, keepdims, ndim, xp) / count),)


@primitive("max")
def max(xp, x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Maximum over `axis` (None: all), as np.max.

    Gradient: flows to the maximal element; when several elements tie for the maximum the
    gradient is split equally among them (torch's `amax` convention).

    Raises:
        ValueError: the reduced axes hold no elements.

    Example:
        >>> dw.max(dw.tensor([[1.0, 5.0], [3.0, 2.0]]), axis=0)
        tensor([3., 5.])
    """
    return _extremum("max", x, axis, keepdims, xp.max)


@max.backward
def _max_backward(xp, g, saved, needs):
    return _extremum_backward(xp, g, saved)


@primitive("min")
def min(xp, x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Minimum over `axis` (None: all), as np.min.

    Gradient: flows to the minimal element; ties split the gradient equally among them.

    Example:
        >>> dw.min(dw.tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
        tensor([1., 2.])
    """
    return _extremum("min", x, axis, keepdims, xp.min)


@min.backward
def _min_backward(xp, g, saved, needs):
    return _extremum_backward(xp, g, saved)


@primitive("prod")
def prod(xp, x, axis=None, keepdims=False):
    """Product of elements over `axis` (None: all), as np.prod.

    Gradient: d/dx_i = product of the other elements, computed from exclusive prefix and suffix
    products, so it is exact when some elements are 0 (no division by x).

    Example:
        >>> dw.prod(dw.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
        tensor([ 2., 12.])
    """
    axes = _axes("prod", axis, x.ndim)
    return x.prod(axis=axes, keepdims=keepdims), (x, axes, keepdims)


@prod.backward
def _prod_backward(xp, g, saved, needs):
    x, axes, keepdims = saved
    if x.size == 0:
        return (xp.zeros_like(x),)
    ndim = x.ndim
    reduced = tuple(range(ndim)) if axes is None else axes
    kept = tuple(a for a in range(ndim) if a not in reduced)
    perm = kept + reduced
    xt = x.transpose(perm)
    lead = xt.shape[: len(kept)]
    flat = xt.reshape(lead + (-1,))
    # others_i = prod_{j<i} x_j * prod_{j>i} x_j, from exclusive cumulative products
    ones = xp.ones(lead + (1,), dtype=x.dtype)
    left = xp.concatenate([ones, xp.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    right = xp.concatenate([xp.cumprod(flat[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
    others = (left * right).reshape(xt.shape).transpose(_inverse(perm))
    return (others * _expand(g, axes, keepdims, ndim, xp),)


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


@primitive("logsumexp")
def logsumexp(xp, x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, computed stably (scipy.special.logsumexp's name).

    A primitive for stability: exp of a float32 value above ~88.7 overflows, so the composite
    would give inf. Shifting by the maximum keeps every exponent <= 0. Rows that are all -inf
    give -inf.

    Gradient: softmax(x) along `axis`.

    Example:
        >>> round(dw.logsumexp(dw.tensor([1000.0, 1000.0])).item(), 2)  # 1000 + log(2)
        1000.69
    """
    axes = _axes("logsumexp", axis, x.ndim)
    _check_nonempty("logsumexp", x.shape, axes)
    m = x.max(axis=axes, keepdims=True)
    finite = xp.isfinite(m)
    if not finite.all():
        m = xp.where(finite, m, 0)  # an all -inf (or +inf) row: shift by 0 instead of by inf
    shifted = xp.exp(x - m)
    total = shifted.sum(axis=axes, keepdims=True)
    if total.all():
        out = xp.log(total) + m
    else:
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for -inf rows
            out = xp.log(total) + m
        total = xp.where(total == 0, 1, total)  # their gradient: 0 / 1 instead of 0 / 0
    if not keepdims:
        out = out.reshape(()) if axes is None else out.squeeze(axis=axes)
    # softmax = shifted / total, from the forward's own exponentials: exp(x - out) would lose
    # precision when |out| is large in float32
    return out, (shifted, total, x, out)


@logsumexp.backward
def _logsumexp_backward(xp, g, saved, needs):
    shifted, total, x, out = saved
    # d lse / dx_i = exp(x_i - lse) = softmax(x)_i
    if xp is not np:  # create_graph: softmax from x and the output, so it is differentiated
        lse = out.reshape(total.shape)
        finite = xp.isfinite(lse)                     # an all -inf row: no gradient, not NaN
        if finite.all():
            return (g.reshape(total.shape) * xp.exp(x - lse),)
        return (xp.where(finite, g.reshape(total.shape) * xp.exp(x - xp.where(finite, lse, 0)),
                         0),)
    return (g.reshape(total.shape) * (shifted / total),)


@primitive("cumsum")
def cumsum(xp, x, axis=None):
    """Cumulative sum along `axis`, as np.cumsum; axis=None sums over the flattened tensor.

    Example:
        >>> dw.cumsum(dw.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([ 1.,  3.,  6., 10.])
    """
    if axis is None or x.ndim == 0:  # a 0-d tensor acts as 1-D, as NumPy
        if axis is not None:
            normalize_axis("cumsum", axis, 1)
        return xp.cumsum(x), (x.shape, None)
    axis = normalize_axis("cumsum", axis, x.ndim)
    return xp.cumsum(x, axis=axis), (x.shape, axis)


@cumsum.backward
def _cumsum_backward(xp, g, saved, needs):
    shape, axis = saved
    # d out_j / dx_i = 1 for j >= i: a reversed cumulative sum of g
    if axis is None:
        return (g[::-1].cumsum()[::-1].reshape(shape),)
    rev = (slice(None),) * axis + (slice(None, None, -1),)
    return (g[rev].cumsum(axis=axis)[rev],)


@primitive("cumprod")
def cumprod(xp, x, axis=None):
    """Cumulative product along `axis`, as np.cumprod; axis=None runs over the flattened tensor.

    Gradient: exact where x has zeros too (no division by x): for each position i the gradient
    is the sum over j >= i of g_j * prod_{k <= j, k != i} x_k, computed in O(n^2) along the axis,
    which is fine for the short axes cumprod is used on.

    Example:
        >>> dw.ops.cumprod(dw.tensor([1.0, 2.0, 3.0]))
        tensor([1., 2., 6.])
    """
    if axis is None or x.ndim == 0:
        if axis is not None:
            normalize_axis("cumprod", axis, 1)
        return xp.cumprod(x.reshape(-1)), (x, x.shape, None)
    axis = normalize_axis("cumprod", axis, x.ndim)
    return xp.cumprod(x, axis=axis), (x, x.shape, axis)


@cumprod.backward
def _cumprod_backward(xp, g, saved, needs):
    x, shape, axis = saved
    # d out_j / dx_i = prod_{k <= j, k != i} x_k for j >= i, else 0
    a = 0 if axis is None else axis
    if axis is None:
        x = x.reshape(-1)
    xm, gm = xp.moveaxis(x, a, -1), xp.moveaxis(g.reshape(x.shape), a, -1)
    n = xm.shape[-1]
    if xp is not np:  # create_graph: the same sums, without in-place writes
        return (_cumprod_grad_graph(xp, xm, gm, n, a).reshape(shape),)
    grad = xp.zeros_like(xm)
    for i in range(n):
        others = xm.copy()
        others[..., i] = 1
        partial = xp.cumprod(others, axis=-1)[..., i:]  # products that include position i
        grad[..., i] = (partial * gm[..., i:]).sum(axis=-1)
    grad = xp.moveaxis(grad, -1, a)
    return (grad.reshape(shape),)


def _cumprod_grad_graph(xp, xm, gm, n, a):
    columns = []
    for i in range(n):
        others = xp.where(np.arange(n) == i, 1.0, xm)  # x with position i set to 1
        partial = xp.cumprod(others, axis=-1)[..., i:]
        columns.append((partial * gm[..., i:]).sum(axis=-1))
    return xp.moveaxis(xp.stack(columns, axis=-1), -1, a)


def _arg_extremum(where, x, axis, keepdims, fn):
    if axis is not None:
        axis = normalize_axis(where, axis, x.ndim)
        if x.ndim == 0:
            axis = None
    if x.size == 0 or (axis is not None and x.shape[axis] == 0):
        raise ValueError(f"{where}: cannot reduce an empty axis; got a tensor of shape {x.shape} "
                         f"and axis={axis}.")
    return fn(x, axis=axis, keepdims=keepdims).astype("int64", copy=False), ()


@primitive("argmax", differentiable=False)
def argmax(xp, x, axis=None, keepdims=False):
    """Index of the maximum along `axis` (None: of the flattened tensor), as np.argmax. Returns an
    int64 tensor; not differentiable. Ties give the first index.

    Example:
        >>> dw.argmax(dw.tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
        tensor([1, 0], dtype=int64)
    """
    return _arg_extremum("argmax", x, axis, keepdims, xp.argmax)


@primitive("argmin", differentiable=False)
def argmin(xp, x, axis=None, keepdims=False):
    """Index of the minimum along `axis` (None: of the flattened tensor), as np.argmin. Returns an
    int64 tensor; not differentiable. Ties give the first index.

    Example:
        >>> dw.argmin(dw.tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
        tensor([0, 1], dtype=int64)
    """
    return _arg_extremum("argmin", x, axis, keepdims, xp.argmin)
