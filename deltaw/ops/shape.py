"""Shape ops: reshape transpose swapaxes moveaxis expand_dims squeeze broadcast_to concatenate
stack split pad flip tile repeat.

Primitives: reshape, transpose, broadcast_to, concatenate, stack, pad, flip, tile, repeat.
Composites (no backward of their own): swapaxes and moveaxis (transpose), expand_dims and squeeze
(reshape), split (getitem). Their gradients move values back where they came from; none of them
does arithmetic except the sums that undo duplication (tile, repeat, non-constant pad).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from deltaw._checks import normalize_axes, normalize_axis
from deltaw.autograd.op import primitive
from deltaw.ops.indexing import index_add
from deltaw.tensor import Tensor


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _shape_tuple(where, shape, what="shape") -> tuple:
    try:
        return (operator.index(shape),)
    except TypeError:
        pass
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{where}: {what} must be an int or a sequence of ints; "
                        f"got {shape!r}.") from None


# ----------------------------------------------------------------------------- reshape, transpose


@primitive("reshape", nin=1)
def reshape(xp, x, shape):
    """The same elements in a new shape, as np.reshape (C order). One entry may be -1.

    Raises:
        ValueError: the new shape holds a different number of elements.

    Example:
        >>> dw.reshape(dw.arange(6.0), (2, -1)).shape
        (2, 3)
    """
    try:
        out = x.reshape(shape)
    except (ValueError, TypeError):
        shape = _shape_tuple("reshape", shape)
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                         f"into shape {shape}; expected a shape with {x.size} elements.") from None
    return out, (x.shape,)


@reshape.backward
def _reshape_backward(xp, g, saved, needs):
    (shape,) = saved
    return (g.reshape(shape),)  # a reshape moves no values: reshape the gradient back


@primitive("transpose", nin=1)
def transpose(xp, x, axes=None):
    """Permute the axes, as np.transpose; axes=None reverses them (`x.T`).

    Raises:
        ValueError: `axes` is not a permutation of the tensor's axes.
        dw.AxisError: an axis is out of range.

    Example:
        >>> dw.transpose(dw.zeros((2, 3, 4)), (1, 0, 2)).shape
        (3, 2, 4)
    """
    if axes is None:
        return x.transpose(), (None,)
    axes = tuple(normalize_axis("transpose", a, x.ndim) for a in axes)
    if len(axes) != x.ndim or len(set(axes)) != x.ndim:
        raise ValueError(f"transpose: axes must be a permutation of range({x.ndim}); "
                         f"got {axes} for a tensor of shape {x.shape}.")
    return x.transpose(axes), (axes,)


@transpose.backward
def _transpose_backward(xp, g, saved, needs):
    (axes,) = saved
    if axes is None:
        return (g.transpose(),)
    return (g.transpose(np.argsort(axes)),)  # the inverse permutation


def swapaxes(x, axis1, axis2):
    """Interchange two axes, as np.swapaxes. Composite of transpose.

    Example:
        >>> dw.swapaxes(dw.zeros((2, 3, 4)), 0, -1).shape
        (4, 3, 2)
    """
    x = _as_tensor(x)
    a1 = normalize_axis("swapaxes", axis1, x.ndim)
    a2 = normalize_axis("swapaxes", axis2, x.ndim)
    perm = list(range(x.ndim))
    perm[a1], perm[a2] = a2, a1
    return transpose(x, tuple(perm))


def moveaxis(x, source, destination):
    """Move axes to new positions, the others keeping their order, as np.moveaxis. Composite of
    transpose.

    Example:
        >>> dw.moveaxis(dw.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    x = _as_tensor(x)
    src = _axis_list("moveaxis", source, x.ndim)
    dst = _axis_list("moveaxis", destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source and destination must have the same number of axes; "
                         f"got {len(src)} and {len(dst)}.")
    perm = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        perm.insert(d, s)
    return transpose(x, tuple(perm))


def _axis_list(where, axis, ndim):
    axes = [axis] if isinstance(axis, int | np.integer) else list(axis)
    out = [normalize_axis(where, a, ndim) for a in axes]
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: repeated axis in {tuple(axes)}.")
    return out


# ----------------------------------------------------------------------------- size-1 axes


def expand_dims(x, axis):
    """Insert size-1 axes at the positions `axis` (int or tuple) of the result, as
    np.expand_dims. Composite of reshape.

    Example:
        >>> dw.expand_dims(dw.zeros((2, 3)), (0, -1)).shape
        (1, 2, 3, 1)
    """
    x = _as_tensor(x)
    ndim = x.ndim + (1 if isinstance(axis, int | np.integer) else len(axis))
    axes = normalize_axes("expand_dims", axis, ndim)
    shape = iter(x.shape)
    return reshape(x, tuple(1 if i in axes else next(shape) for i in range(ndim)))


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in `axis`), as np.squeeze. Composite of reshape.

    Raises:
        ValueError: an axis in `axis` does not have size 1.

    Example:
        >>> dw.squeeze(dw.zeros((1, 2, 1)), axis=0).shape
        (2, 1)
    """
    x = _as_tensor(x)
    shape = x.shape
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = normalize_axes("squeeze", axis, x.ndim)
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {shape[a]}; expected size 1 "
                                 f"(tensor of shape {shape}).")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


@primitive("broadcast_to", nin=1)
def broadcast_to(xp, x, shape):
    """Broadcast `x` to `shape`, as np.broadcast_to (the result is a copy-free view; treat it as
    read-only).

    Gradient: the engine sums the gradient back over the broadcast axes.

    Raises:
        ValueError: `x`'s shape does not broadcast to `shape`.

    Example:
        >>> dw.broadcast_to(dw.tensor([1.0, 2.0]), (2, 2))
        tensor([[1., 2.],
                [1., 2.]])
    """
    shape = _shape_tuple("broadcast_to", shape)
    try:
        out = xp.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to shape "
                         f"{shape}; expected each axis of size {x.shape} to be 1 or to match, "
                         "right-aligned.") from None
    return out, ()


@broadcast_to.backward
def _broadcast_to_backward(xp, g, saved, needs):
    return (g,)  # full-shape gradient: the engine's sum_to_shape undoes the broadcast


# ----------------------------------------------------------------------------- joining


@primitive("concatenate")
def _concatenate(xp, *arrays, axis=0):
    if not arrays:
        raise ValueError("concatenate: need at least one array; got an empty sequence.")
    if axis is None:  # NumPy's axis=None: flatten every input first
        out = xp.concatenate([a.reshape(-1) for a in arrays])
        return out, (None, [a.shape for a in arrays])
    first = arrays[0]
    if first.ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated; expected ndim >= 1, "
                         "got shape (). Hint: use stack.")
    axis = normalize_axis("concatenate", axis, first.ndim)
    try:
        out = xp.concatenate(arrays, axis=axis)
    except ValueError:
        _concatenate_mismatch(arrays, axis)
        raise
    return out, (axis, [a.shape[axis] for a in arrays])


def _concatenate_mismatch(arrays, axis):
    first = arrays[0].shape
    for i, a in enumerate(arrays[1:], 1):
        same = len(a.shape) == len(first) and all(
            n == m for k, (n, m) in enumerate(zip(a.shape, first, strict=True)) if k != axis)
        if not same:
            raise ValueError(f"concatenate: input {i} has shape {a.shape} but input 0 has shape "
                             f"{first}; expected equal sizes on every axis except axis {axis}.")


@_concatenate.backward
def _concatenate_backward(xp, g, saved, needs):
    axis, sizes = saved
    if axis is None:
        shapes, sizes = sizes, [math.prod(s) for s in sizes]
        # g is flat: slice it, then give each piece its input's shape back
        grads, start = [], 0
        for shape, n, need in zip(shapes, sizes, needs, strict=True):
            grads.append(g[start:start + n].reshape(shape) if need else None)
            start += n
        return tuple(grads)
    # each input's gradient is its slice of g
    grads, start, lead = [], 0, (slice(None),) * axis
    for n, need in zip(sizes, needs, strict=True):
        grads.append(g[lead + (slice(start, start + n),)] if need else None)
        start += n
    return tuple(grads)


def concatenate(arrays, axis=0):
    """Join a sequence of tensors along an existing axis, as np.concatenate.

    Raises:
        ValueError: the shapes differ on an axis other than `axis` (both shapes are named).

    Example:
        >>> dw.concatenate([dw.zeros((2, 3)), dw.ones((1, 3))]).shape
        (3, 3)
    """
    return _concatenate(*arrays, axis=axis)


@primitive("stack")
def _stack(xp, *arrays, axis=0):
    if not arrays:
        raise ValueError("stack: need at least one array; got an empty sequence.")
    first = arrays[0].shape
    axis = normalize_axis("stack", axis, len(first) + 1)
    for i, a in enumerate(arrays[1:], 1):
        if a.shape != first:
            raise ValueError(f"stack: input {i} has shape {a.shape} but input 0 has shape "
                             f"{first}; expected every input to have the same shape.")
    return xp.stack(arrays, axis=axis), (axis,)


@_stack.backward
def _stack_backward(xp, g, saved, needs):
    (axis,) = saved
    lead = (slice(None),) * axis
    return tuple(g[lead + (i,)] if need else None for i, need in enumerate(needs))


def stack(arrays, axis=0):
    """Join a sequence of same-shape tensors along a new axis, as np.stack.

    Raises:
        ValueError: the shapes differ.

    Example:
        >>> dw.stack([dw.zeros(3), dw.ones(3)], axis=1).shape
        (3, 2)
    """
    return _stack(*arrays, axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into a list of tensors along `axis`, as np.split. Composite of getitem.

    Args:
        x: Tensor to split.
        indices_or_sections: an int N (N equal parts; the axis length must divide by N) or a
            sorted sequence of split points.
        axis: Axis to split along.

    Raises:
        ValueError: N does not divide the axis length.

    Example:
        >>> [p.shape for p in dw.split(dw.zeros((5, 2)), [1, 3])]
        [(1, 2), (2, 2), (2, 2)]
    """
    x = _as_tensor(x)
    axis = normalize_axis("split", axis, x.ndim)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"split: axis {axis} of size {n} does not divide into {sections} "
                             f"equal sections; expected a divisor of {n}.")
        bounds = list(range(0, n + 1, n // sections)) if n else [0] * (sections + 1)
    else:
        bounds = [0, *(int(i) for i in indices_or_sections), n]
    lead = (slice(None),) * axis
    return [x[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


# ------------------------------------------------------------------------- pad, flip, tile, repeat

_COPY_MODES = ("edge", "reflect", "symmetric", "wrap")


@primitive("pad", nin=1)
def pad(xp, x, pad_width, mode="constant", constant_values=0):
    """Pad with `constant_values` (or copies of `x`'s own elements), as np.pad.

    Args:
        x: Tensor to pad.
        pad_width: int, (before, after) or ((before_0, after_0), ...) per axis, as np.pad.
        mode: 'constant' (default), 'edge', 'reflect', 'symmetric' or 'wrap'.
        constant_values: Fill value(s) for mode='constant'; not differentiated.

    Gradient: 'constant' slices the padding off; the copying modes add the gradient of every
    copy back onto the element it copies.

    Example:
        >>> dw.pad(dw.ones((1, 2)), ((0, 1), (1, 1)))
        tensor([[0., 1., 1., 0.],
                [0., 0., 0., 0.]])
    """
    widths = np.asarray(pad_width.data if isinstance(pad_width, Tensor) else pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must hold ints; got {pad_width!r}.")
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width must broadcast to ({x.ndim}, 2); got "
                         f"{pad_width!r}.") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative; got {pad_width!r}.")
    if x.ndim == 0:  # nothing to pad (np.pad chokes on the empty width list)
        return x.copy(), (None, ())
    if mode == "constant":
        if isinstance(constant_values, Tensor):
            constant_values = constant_values.data
        out = xp.pad(x, widths, mode="constant", constant_values=constant_values)
        inner = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape, strict=True))
        return out, (None, inner)
    if mode not in _COPY_MODES:
        raise ValueError(f"pad: unsupported mode {mode!r}; expected one of 'constant', "
                         f"{', '.join(repr(m) for m in _COPY_MODES)}.")
    if x.size == 0:
        raise ValueError(f"pad: mode {mode!r} cannot pad an empty tensor of shape {x.shape}.")
    # the flat index of the source element of every output element, so backward can scatter-add
    source = xp.pad(xp.arange(x.size).reshape(x.shape), widths, mode=mode)
    return xp.pad(x, widths, mode=mode), (source, x.shape)


@pad.backward
def _pad_backward(xp, g, saved, needs):
    source, region = saved
    if source is None:
        return (g[region],)  # constant padding: the inner region is x itself
    shape = region
    # each output element is a copy of x.flat[source]: add their gradients up per source
    if xp is not np:  # create_graph: the same sums as an op that can be differentiated again
        return (index_add(g.reshape(-1), source.reshape(-1), (math.prod(shape),)).reshape(shape),)
    flat = xp.bincount(source.reshape(-1), weights=g.reshape(-1), minlength=math.prod(shape))
    return (flat.astype(g.dtype, copy=False).reshape(shape),)


@primitive("flip", nin=1)
def flip(xp, x, axis=None):
    """Reverse the order of elements along `axis` (None: every axis), as np.flip.

    Example:
        >>> dw.flip(dw.tensor([1.0, 2.0, 3.0]))
        tensor([3., 2., 1.])
    """
    axes = normalize_axes("flip", axis, x.ndim) if x.ndim else None
    return xp.flip(x, axes), (axes,)


@flip.backward
def _flip_backward(xp, g, saved, needs):
    (axes,) = saved
    return (xp.flip(g, axes),)  # flipping is its own inverse


@primitive("tile", nin=1)
def tile(xp, x, reps):
    """Repeat the whole tensor `reps` times along each axis, as np.tile.

    Example:
        >>> dw.tile(dw.tensor([1.0, 2.0]), 2)
        tensor([1., 2., 1., 2.])
    """
    reps = _shape_tuple("tile", reps, "reps")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative; got {reps}.")
    return xp.tile(x, reps), (x.shape, reps)


@tile.backward
def _tile_backward(xp, g, saved, needs):
    shape, reps = saved
    d = g.ndim
    shape_d = (1,) * (d - len(shape)) + tuple(shape)
    reps_d = (1,) * (d - len(reps)) + tuple(reps)
    # view g as (r_0, s_0, r_1, s_1, ...) and sum over every copy axis r_i
    split_shape = tuple(v for pair in zip(reps_d, shape_d, strict=True) for v in pair)
    summed = g.reshape(split_shape).sum(axis=tuple(range(0, 2 * d, 2)))
    return (summed.reshape(shape),)


@primitive("repeat", nin=1)
def repeat(xp, x, repeats, axis=None):
    """Repeat each element `repeats` times along `axis` (None: of the flattened tensor), as
    np.repeat. `repeats` is an int or one non-negative int per element along the axis.

    Example:
        >>> dw.repeat(dw.tensor([1.0, 2.0]), [1, 3])
        tensor([1., 2., 2., 2.])
    """
    if isinstance(repeats, Tensor):
        repeats = repeats.data
    if axis is not None:
        axis = normalize_axis("repeat", axis, x.ndim)
    src = x.reshape(-1) if axis is None or x.ndim == 0 else x
    ax = 0 if axis is None or x.ndim == 0 else axis
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts < 0).any():
        raise ValueError(f"repeat: repeats must be a non-negative int or a 1-D sequence of them; "
                         f"got {repeats!r}.")
    if counts.ndim == 1 and counts.size not in (1, src.shape[ax]):
        raise ValueError(f"repeat: got {counts.size} repeat counts for axis {ax} of size "
                         f"{src.shape[ax]}; expected 1 or {src.shape[ax]}.")
    out = xp.repeat(src, repeats, axis=ax)
    return out, (x.shape, src.shape, ax, counts)


@repeat.backward
def _repeat_backward(xp, g, saved, needs):
    shape, src_shape, ax, counts = saved
    n = src_shape[ax]
    if counts.ndim == 0 or counts.size == 1:
        # every element copied r times in a row: view the axis as (n, r) and sum the copies
        r = int(counts.reshape(-1)[0]) if counts.size else 0
        split_shape = g.shape[:ax] + (n, r) + g.shape[ax + 1:]
        return (g.reshape(split_shape).sum(axis=ax + 1).reshape(shape),)
    lead = (slice(None),) * ax
    if xp is not np:  # create_graph: each copy's gradient added onto its source, as an op
        source = np.repeat(np.arange(n), counts)
        return (index_add(g, lead + (source,), src_shape).reshape(shape),)
    grad = xp.zeros(src_shape, dtype=g.dtype)
    nonzero = counts > 0
    if nonzero.any():
        starts = (np.cumsum(counts) - counts)[nonzero]
        # consecutive segments: reduceat sums each copy run; empty runs keep their zero
        grad[lead + (xp.asarray(nonzero),)] = xp.add.reduceat(g, xp.asarray(starts), axis=ax)
    return (grad.reshape(shape),)
