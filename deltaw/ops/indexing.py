"""Indexing: getitem (`x[index]`) with NumPy's basic and advanced indexing.

An index may hold ints, slices, None, Ellipsis, integer arrays (NumPy arrays, lists or int
Tensors) and boolean masks (arrays or bool Tensors). Indices are never differentiated.

Backward scatters the gradient into zeros of the input's shape. Basic indices and boolean masks
select each element at most once, so a plain assignment is enough. Integer arrays may repeat an
element, whose gradients must then ADD: those go through `add.at`, or through `bincount` for the
common case of a 1-D tensor indexed by one integer array (several times faster).
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive
from deltaw.tensor import Tensor

_ASSIGN, _ADD_AT, _BINCOUNT = 0, 1, 2
_SIMPLE = (int, slice)


def _component(p):
    """One index entry with Tensors and lists turned into arrays."""
    if isinstance(p, Tensor):
        return p.data
    if isinstance(p, list):
        arr = np.asarray(p)
        return arr.astype(np.intp) if arr.size == 0 else arr  # [] selects nothing, as NumPy
    return p


def _is_int_array(p) -> bool:
    return isinstance(p, np.ndarray) and p.dtype.kind in "iu" and p.ndim > 0


def _normalize(index):
    """(index with arrays in place of Tensors and lists, backward mode)."""
    if type(index) is tuple:
        if all(type(p) in _SIMPLE for p in index):
            return index, _ASSIGN
        index = tuple(_component(p) for p in index)
        return index, _ADD_AT if any(_is_int_array(p) for p in index) else _ASSIGN
    index = _component(index)
    return index, _ADD_AT if _is_int_array(index) else _ASSIGN


@primitive("getitem", nin=1)
def getitem(xp, x, index):
    """x[index] with NumPy semantics (what `Tensor.__getitem__` calls).

    Args:
        x: Tensor to index.
        index: int, slice, None, Ellipsis, integer array / list / int Tensor, boolean mask (array
            or bool Tensor), or a tuple of these. Not differentiated.

    Returns:
        A new tensor (a copy-free view for basic indices; treat it as read-only).

    Gradient: scattered back to the selected positions; positions selected several times by an
    integer array receive the SUM of their gradients.

    Raises:
        IndexError: an index is out of range (naming the axis, the index and the axis' size), a
            mask's shape does not match, or there are too many indices.

    Example:
        >>> x = dw.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> x[[0, 0, 2]].sum().backward()
        >>> x.grad
        tensor([2., 0., 1.])
    """
    if type(index) in _SIMPLE:
        mode = _ASSIGN
    else:
        index, mode = _normalize(index)
    try:
        out = x[index]
    except IndexError as e:
        raise IndexError(_explain(x.shape, index, str(e))) from None
    if mode == _ADD_AT and x.ndim == 1 and isinstance(index, np.ndarray):
        n = x.shape[0]
        mode, index = _BINCOUNT, xp.where(index < 0, index + n, index).reshape(-1)
    return out, (x.shape, index, mode)


@getitem.backward
def _getitem_backward(xp, g, saved, needs):
    shape, index, mode = saved
    # d x[index] / dx is 1 at every selected position; repeated positions add up
    if xp is not np:  # create_graph: the same scatter as an op, whose backward is a gather
        if mode == _BINCOUNT:
            return (index_add(g.reshape(-1), index, shape),)
        return (index_add(g, index, shape, accumulate=mode == _ADD_AT),)
    if mode == _BINCOUNT:
        grad = xp.bincount(index, weights=g.reshape(-1), minlength=shape[0])
        return (grad.astype(g.dtype, copy=False),)
    grad = xp.zeros(shape, dtype=g.dtype)
    if mode == _ASSIGN:
        grad[index] = g
    else:
        xp.add.at(grad, index, g)
    return (grad,)


@primitive("index_add", nin=1)
def index_add(xp, values, index, shape, accumulate=True):
    """Zeros of `shape` with `values` added at the NumPy index `index` (what `x[index]` selects);
    positions the index repeats add up. `accumulate=False` assigns instead (faster; for indices
    that select each position at most once). getitem's backward as an op, so that it can be
    differentiated again (create_graph); the index is not differentiated.

    Gradient: the output gradient gathered at `index` (`g[index]`).

    Example:
        >>> dw.ops.index_add(dw.tensor([1.0, 2.0, 5.0]), np.array([0, 2, 0]), (4,))
        tensor([6., 0., 2., 0.])
    """
    out = xp.zeros(shape, dtype=values.dtype)
    if accumulate:
        xp.add.at(out, index, values)
    else:
        out[index] = values
    return out, (index,)


@index_add.backward
def _index_add_backward(xp, g, saved, needs):
    (index,) = saved
    return (g[index],)  # d out[index_j] / d values_j = 1


def _explain(shape, index, numpy_message) -> str:
    """The user-facing message for an IndexError: find the offending entry (error path only)."""
    parts = index if type(index) is tuple else (index,)
    consumed = [_consumes(p) for p in parts]
    if sum(consumed) > len(shape):
        return (f"getitem: too many indices for a tensor of ndim {len(shape)}; got {sum(consumed)} "
                f"indexed axes in {_show(index)}.")
    axis = 0
    for p, k in zip(parts, consumed, strict=True):
        if p is Ellipsis:
            axis += len(shape) - sum(consumed)
            continue
        if k == 0:
            continue
        if isinstance(p, np.ndarray) and p.dtype == bool:
            if p.shape != shape[axis:axis + k]:
                return (f"getitem: boolean mask of shape {p.shape} does not match the tensor's "
                        f"axes {tuple(range(axis, axis + k))} of shape {shape[axis:axis + k]}.")
        elif isinstance(p, int | np.integer) or _is_int_array(p):
            n = shape[axis]
            values = np.asarray(p).reshape(-1)
            bad = values[(values < -n) | (values >= n)]
            if bad.size:
                return (f"getitem: index {int(bad[0])} is out of range for axis {axis} of size "
                        f"{n}; expected an index in [{-n}, {n - 1}].")
        axis += k
    return f"getitem: {numpy_message} (tensor of shape {shape}, index {_show(index)})."


def _consumes(p) -> int:
    """How many axes of the tensor an index entry consumes."""
    if p is None or p is Ellipsis:
        return 0
    if isinstance(p, np.ndarray) and p.dtype == bool:
        return max(p.ndim, 1) if p.ndim else 0
    return 1


def _show(index) -> str:
    text = repr(index)
    return text if len(text) <= 80 else text[:77] + "..."


@primitive("scatter_add", nin=1)
def scatter_add(xp, values, indices, shape):
    """A zero tensor of `shape` with `values` added at `indices` (tf.scatter_nd's meaning).

    Args:
        values: the updates, of shape `indices.shape[:-1] + shape[indices.shape[-1]:]`.
        indices: integer array of shape (..., k), k <= len(shape): each row indexes the first k
            axes. Not differentiated.
        shape: the output's shape.

    Gradient: the output gradient gathered at `indices`. Repeated indices add up in the forward,
    so each of them receives the full gradient of its position.

    Example:
        >>> dw.ops.scatter_add(dw.tensor([1.0, 2.0, 5.0]), [[0], [2], [0]], (4,))
        tensor([6., 0., 2., 0.])
    """
    indices = xp.asarray(indices)
    shape = tuple(int(s) for s in shape)
    if indices.dtype.kind not in "iu" or indices.ndim == 0 or indices.shape[-1] > len(shape):
        raise IndexError(f"scatter_add: indices must be an integer array of shape (..., k) with "
                         f"k <= {len(shape)}; got dtype {indices.dtype} and shape {indices.shape}.")
    expected = indices.shape[:-1] + shape[indices.shape[-1]:]
    if values.shape != expected:
        raise ValueError(f"scatter_add: values must have shape {expected} for indices of shape "
                         f"{indices.shape} into {shape}; got {values.shape}.")
    index = tuple(indices[..., i] for i in range(indices.shape[-1]))
    for axis, idx in enumerate(index):
        if idx.size and (idx.min() < -shape[axis] or idx.max() >= shape[axis]):
            raise IndexError(f"scatter_add: an index on axis {axis} is out of range for size "
                             f"{shape[axis]}; got indices from {idx.min()} to {idx.max()}.")
    out = xp.zeros(shape, dtype=values.dtype)
    xp.add.at(out, index, values)
    return out, (index,)


@scatter_add.backward
def _scatter_add_backward(xp, g, saved, needs):
    (index,) = saved
    # d out[index_j] / d values_j = 1
    return (g[index],)
