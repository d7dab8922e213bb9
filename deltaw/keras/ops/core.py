"""keras.ops core functions: conversion, casting, slicing and scattering, control flow, and
custom gradients, on deltaw Tensors.

Control flow (cond, while_loop, fori_loop, scan, map, ...) runs eagerly in Python, as Keras'
PyTorch backend does: gradients flow through whatever ops the bodies record.

Conversion follows Keras: Python ints become int32, Python floats float32 (floatx), NumPy arrays
keep their dtype, and a Tensor is returned as it is.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

import deltaw as dw
from deltaw.keras import backend
from deltaw.tensor import Tensor

__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor", "custom_gradient",
    "dtype", "fori_loop", "is_tensor", "map", "rearrange", "saturate_cast", "scan", "scatter",
    "scatter_update",
    "shape", "slice", "slice_update", "stop_gradient", "switch", "unstack", "vectorized_map",
    "while_loop",
]


def _python_array(x, dtype=None):
    """A Python number or (nested) list as an array with Keras' defaults (int32, floatx)."""
    arr = np.asarray(x)
    if dtype is None:
        if arr.dtype.kind == "f":
            dtype = backend.floatx()
        elif arr.dtype.kind in "iu":
            dtype = "int32"
    if arr.dtype == object:
        raise TypeError(f"convert_to_tensor: cannot convert {type(x).__name__} of objects to a "
                        f"tensor; expected numbers or (nested) lists of numbers.")
    return arr if dtype is None else arr.astype(backend.standardize_dtype(dtype), copy=False)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """`x` as a Tensor: a Tensor is returned as it is (cast when `dtype` differs, keeping the
    gradient), a NumPy array keeps its dtype, Python numbers and lists take Keras' defaults
    (int32, float32). `sparse` and `ragged` are accepted for Keras' signature; deltaw tensors are
    always dense, so `sparse=True` / `ragged=True` raise.

    Example:
        >>> convert_to_tensor([1, 2]).dtype
        dtype('int32')
    """
    if sparse or ragged:
        raise ValueError("convert_to_tensor: deltaw tensors are dense; expected sparse and ragged "
                         f"to be None or False, got sparse={sparse!r}, ragged={ragged!r}.")
    if isinstance(x, Tensor):
        if dtype is not None and x.dtype != np.dtype(backend.standardize_dtype(dtype)):
            return dw.astype(x, backend.standardize_dtype(dtype))
        return x
    if isinstance(x, np.ndarray | np.generic):
        return Tensor(x if dtype is None else x.astype(backend.standardize_dtype(dtype)))
    return Tensor(_python_array(x, dtype))


def _t(x) -> Tensor:
    return convert_to_tensor(x)


def convert_to_numpy(x) -> np.ndarray:
    """`x` as a NumPy array (a copy-free view of a Tensor's data)."""
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def is_tensor(x) -> bool:
    """True for a deltaw Tensor (the backend-native tensor type)."""
    return isinstance(x, Tensor)


def dtype(x) -> str:
    """The dtype name of `x` as a string ('float32'), converting `x` first."""
    return _t(x).dtype.name


def shape(x) -> tuple:
    """The shape of `x` as a tuple of ints."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def cast(x, dtype) -> Tensor:
    """`x` cast to `dtype`. Differentiable between floating dtypes; to or from integers the
    result carries no gradient."""
    return dw.astype(_t(x), backend.standardize_dtype(dtype))


def saturate_cast(x, dtype) -> Tensor:
    """Cast `x` to `dtype`, first clipping it to the range the dtype can hold (so 300.0 cast to
    uint8 is 255, not 44)."""
    x = _t(x)
    target = np.dtype(backend.standardize_dtype(dtype))
    info = np.iinfo(target) if target.kind in "iu" else np.finfo(target)
    if x.dtype.kind == "b":
        return cast(x, target)
    source = np.iinfo(x.dtype) if x.dtype.kind in "iu" else np.finfo(x.dtype)
    low, high = builtins.max(info.min, source.min), builtins.min(info.max, source.max)
    if x.dtype.kind == "f" and target.kind in "iu":  # the float nearest high may round above it
        high = np.nextafter(x.dtype.type(high), x.dtype.type(-np.inf)) if \
            int(x.dtype.type(high)) > info.max else high
    return cast(dw.clip(x, x.dtype.type(low), x.dtype.type(high)), target)


def stop_gradient(variable) -> Tensor:
    """`variable`'s value with no gradient flowing back into it."""
    return _t(variable).detach()


def _start_slices(where, x, start_indices, sizes):
    starts = [int(s) for s in convert_to_numpy(start_indices).reshape(-1)]
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(f"{where}: expected one start index and size per axis of the "
                         f"{x.ndim}-d input; got start_indices={starts} and shape={list(sizes)}.")
    return tuple(builtins.slice(s, s + (x.shape[i] - s if n == -1 else n))
                 for i, (s, n) in enumerate(zip(starts, sizes, strict=True)))


def slice(inputs, start_indices, shape) -> Tensor:  # noqa: A001 - Keras' name
    """The block of `inputs` of size `shape` starting at `start_indices` (a size of -1 runs to
    the end of its axis). Differentiable.

    Example:
        >>> slice(dw.tensor([0.0, 1.0, 2.0, 3.0]), [1], [2])
        tensor([1., 2.])
    """
    x = _t(inputs)
    return x[_start_slices("slice", x, start_indices, [int(s) for s in shape])]


def slice_update(inputs, start_indices, updates) -> Tensor:
    """`inputs` with the block starting at `start_indices` replaced by `updates`.
    Differentiable in both: the gradient of the replaced block goes to `updates`."""
    x, updates = _t(inputs), _t(updates)
    index = _start_slices("slice_update", x, start_indices, list(updates.shape))
    mask = np.zeros(x.shape, dtype=bool)
    mask[index] = True
    if mask.sum() != updates.size:
        raise ValueError(f"slice_update: updates of shape {updates.shape} do not fit in inputs of "
                         f"shape {x.shape} at {start_indices}.")
    pad_width = [(s.start, x.shape[i] - s.stop) for i, s in enumerate(index)]
    placed = dw.pad(dw.astype(updates, x.dtype) if updates.dtype != x.dtype else updates,
                    pad_width)
    return dw.where(mask, placed, x)


def _index_rows(indices):
    idx = np.asarray(convert_to_numpy(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"scatter: indices must be integers; got dtype {idx.dtype}.")
    return idx


def scatter(indices, values, shape) -> Tensor:
    """A zero tensor of `shape` with `values` added at `indices` (rows of k indices into the
    first k axes). Repeated indices add up, as tf.scatter_nd. Differentiable in `values`.

    Example:
        >>> scatter([[0], [2], [0]], dw.tensor([1.0, 2.0, 5.0]), (4,))
        tensor([6., 0., 2., 0.])
    """
    return dw.ops.scatter_add(_t(values), _index_rows(indices), tuple(shape))


def scatter_update(inputs, indices, updates, reduction=None) -> Tensor:
    """`inputs` with the entries at `indices` replaced by `updates` (reduction=None) or combined
    with them (reduction='add', 'mul', 'max' or 'min'). With repeated indices and reduction=None
    the last update wins, as Keras' PyTorch backend. Differentiable in inputs and updates."""
    x, updates = _t(inputs), _t(updates)
    idx = _index_rows(indices)
    index = tuple(idx[..., i] for i in range(idx.shape[-1]))
    updates = dw.astype(updates, x.dtype) if updates.dtype != x.dtype else updates
    if reduction == "add":
        return x + dw.ops.scatter_add(updates, idx, x.shape)
    if reduction is None:
        # keep only the last occurrence of each repeated index, so that the last update wins
        flat = np.ravel_multi_index(tuple(np.asarray(i).reshape(-1) % x.shape[a]
                                          for a, i in enumerate(index)), x.shape[:len(index)])
        last = len(flat) - 1 - np.unique(flat[::-1], return_index=True)[1]
        keep = np.zeros(len(flat), dtype=bool)
        keep[last] = True
        rows = updates.reshape((len(flat), *updates.shape[idx.ndim - 1:]))[np.flatnonzero(keep)]
        placed = dw.ops.scatter_add(rows, idx.reshape(-1, idx.shape[-1])[keep], x.shape)
        mask = np.zeros(x.shape, dtype=bool)
        mask[index] = True
        return dw.where(mask, placed, x)
    reducers = {"mul": np.multiply, "max": np.maximum, "min": np.minimum}
    if reduction not in reducers:
        raise ValueError(f"scatter_update: unknown reduction {reduction!r}; expected None, 'add', "
                         f"'mul', 'max' or 'min'.")
    out = x.numpy().copy()
    reducers[reduction].at(out, index, updates.numpy())
    return Tensor(out)  # not differentiable: Keras' own backends differ on these gradients


def unstack(x, num=None, axis=0) -> list:
    """`x` split along `axis` into a list of tensors with that axis removed. Differentiable."""
    x = _t(x)
    axis = axis % builtins.max(x.ndim, 1)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: num must equal the size of axis {axis}; expected "
                         f"{x.shape[axis]}, got {num}.")
    return [x[(builtins.slice(None),) * axis + (i,)] for i in range(x.shape[axis])]


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` is true, else `false_fn()` (evaluated eagerly)."""
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    """`branches[index](*operands)`; an index outside the list is clamped to its ends, as Keras."""
    i = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` is true (at most
    `maximum_iterations` times). A list or tuple of loop variables comes back as a tuple; a
    single variable comes back alone. Python numbers become tensors, as in Keras."""
    single = not isinstance(loop_vars, list | tuple)
    state = tuple(_t(v) for v in ((loop_vars,) if single else loop_vars))
    count = 0
    while bool(cond(*state)) and (maximum_iterations is None or count < maximum_iterations):
        new = body(*state)
        new = (new,) if not isinstance(new, list | tuple) else tuple(new)
        if len(new) != len(state):
            raise ValueError(f"while_loop: body must return as many values as loop_vars; "
                             f"expected {len(state)}, got {len(new)}.")
        state = tuple(_t(v) for v in new)
        count += 1
    return state[0] if single else state


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for i in range(lower, upper); returns the final val."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _leaves(tree):
    if isinstance(tree, list | tuple):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    return [tree]


def _rebuild(tree, leaves):
    if isinstance(tree, list | tuple):
        return type(tree)(_rebuild(item, leaves) for item in tree)
    if isinstance(tree, dict):
        return {key: _rebuild(tree[key], leaves) for key in sorted(tree)}
    return leaves.pop(0)


def _stack_results(results):
    """A list of per-step structures -> one structure of stacked tensors."""
    leaves = [_leaves(r) for r in results]
    stacked = [dw.stack([_t(step[k]) for step in leaves]) for k in range(len(leaves[0]))]
    return _rebuild(results[0], stacked)


def _slices(xs, i):
    return _rebuild(xs, [_t(leaf)[i] for leaf in _leaves(xs)])


def _length(xs, where):
    sizes = {len(_t(leaf)) for leaf in _leaves(xs)}
    if len(sizes) != 1:
        raise ValueError(f"{where}: every input must have the same leading size; got sizes "
                         f"{sorted(sizes)}.")
    return sizes.pop()


def map(f, xs):  # noqa: A001 - Keras' name
    """`f` applied to each slice of `xs` along its first axis, results stacked. `xs` may be a
    tensor or a nested list/tuple/dict of tensors with the same leading size."""
    n = _length(xs, "map")
    if n == 0:
        raise ValueError("map: xs must have at least one element along the first axis; got 0.")
    return _stack_results([f(_slices(xs, i)) for i in range(n)])


def vectorized_map(function, elements):
    """`function` mapped over the first axis of `elements` (a loop in deltaw, as on PyTorch)."""
    return map(function, elements)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`carry, y = f(carry, x)` over the slices of `xs` (or `length` steps with x = None);
    returns the last carry and the stacked ys, as jax.lax.scan. `unroll` is accepted and has no
    effect (there is no compiler to unroll for)."""
    if xs is None and length is None:
        raise ValueError("scan: expected xs or length; got neither.")
    n = _length(xs, "scan") if xs is not None else int(length)
    if length is not None and xs is not None and int(length) != n:
        raise ValueError(f"scan: length must equal the leading size of xs; expected {n}, got "
                         f"{length}.")
    carry, ys = init, []
    for i in (reversed(range(n)) if reverse else range(n)):
        carry, y = f(carry, None if xs is None else _slices(xs, i))
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or builtins.all(leaf is None for leaf in _leaves(ys[0])):
        return carry, None
    return carry, _stack_results(ys)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive prefix combination with the associative `f` along `axis`: out[i] =
    f(out[i - 1], elems[i]). Computed sequentially; `elems` may be a nested structure."""
    leaves = [_t(leaf) for leaf in _leaves(elems)]
    leaves = [dw.moveaxis(leaf, axis, 0) for leaf in leaves]
    n = leaves[0].shape[0]
    order = list(reversed(range(n))) if reverse else list(range(n))
    acc, outs = None, {}
    for i in order:
        step = _rebuild(elems, [leaf[i] for leaf in leaves])
        acc = step if acc is None else f(acc, step)
        outs[i] = _leaves(acc)
    stacked = [dw.moveaxis(dw.stack([outs[i][k] for i in range(n)]), 0, axis)
               for k in range(len(leaves))]
    return _rebuild(elems, stacked)


def custom_gradient(f):
    """Decorate `f(*args) -> (output, grad_fn)` so backward calls `grad_fn(upstream)`, which
    returns one gradient per argument. Keras' `grad(*args, upstream=None)` form also works: the
    upstream gradient is passed positionally."""
    return dw.ops.custom_gradient(f)


def _pattern_groups(where, side):
    """'b (h w) c' -> [['b'], ['h', 'w'], ['c']]."""
    groups, current = [], None
    for token in side.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            if current is not None:
                raise ValueError(f"{where}: nested parentheses are not supported; got {side!r}.")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"{where}: unbalanced parentheses in {side!r}.")
            groups.append(current)
            current = None
        elif not token.isidentifier():
            raise ValueError(f"{where}: axis names must be identifiers; got {token!r} in {side!r}.")
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    if current is not None:
        raise ValueError(f"{where}: unbalanced parentheses in {side!r}.")
    return groups


def _axis_sizes(groups, shape, axes_lengths):
    """Each named axis' size: given, or inferred from its group's size (one unknown per group)."""
    if len(groups) != len(shape):
        raise ValueError(f"rearrange: the pattern's input side names {len(groups)} axes; the "
                         f"tensor has shape {tuple(shape)}.")
    sizes = {}
    for group, dim in zip(groups, shape, strict=True):
        unknown = [a for a in group if a not in axes_lengths]
        known = math.prod(int(axes_lengths[a]) for a in group if a in axes_lengths)
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in one group of "
                             f"size {dim}; expected all but one of them in axes_lengths.")
        for a in group:
            sizes[a] = int(axes_lengths[a]) if a in axes_lengths else dim // known
        if math.prod(sizes[a] for a in group) != dim:
            raise ValueError(f"rearrange: axes {group} of sizes {[sizes[a] for a in group]} do "
                             f"not make up the axis of size {dim}.")
    return sizes


def rearrange(tensor, pattern, **axes_lengths):
    """Reorder, split and merge axes with an einops pattern, as keras.ops.rearrange:
    'b (h w) c -> b h w c' with h=2. Differentiable (a reshape, a transpose and a reshape).

    Example:
        >>> rearrange(dw.zeros((2, 3, 4)), "b h w -> b (w h)").shape
        (2, 12)
    """
    x = _t(tensor)
    if pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern must contain one '->'; got {pattern!r}.")
    left, right = (_pattern_groups("rearrange", side) for side in pattern.split("->"))
    names_in = [a for g in left for a in g]
    names_out = [a for g in right for a in g]
    if sorted(names_in) != sorted(names_out) or len(set(names_in)) != len(names_in):
        raise ValueError(f"rearrange: both sides must name the same axes once each; got "
                         f"{names_in} and {names_out}.")
    sizes = _axis_sizes(left, x.shape, axes_lengths)
    x = dw.reshape(x, tuple(sizes[a] for a in names_in))
    x = dw.transpose(x, tuple(names_in.index(a) for a in names_out))
    return dw.reshape(x, tuple(math.prod(sizes[a] for a in g) for g in right))
