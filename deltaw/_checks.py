"""Shared validators. They build the user-facing messages so that wording stays uniform."""

from __future__ import annotations

import numpy as np


class AxisError(ValueError, IndexError):
    """An axis argument is out of range (a ValueError and an IndexError, as NumPy's AxisError)."""


def normalize_axis(where: str, axis: int, ndim: int) -> int:
    """Return `axis` as a non-negative int, or raise AxisError naming `where`."""
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
        raise TypeError(f"{where}: axis must be an int; got {axis!r}.")
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise AxisError(f"{where}: axis {axis} is out of range for a tensor of ndim {ndim}.")
    return int(axis) % max(ndim, 1)


def normalize_axes(where: str, axis, ndim: int):
    """Normalize None, an int or a tuple of ints; returns None or a sorted tuple."""
    if axis is None:
        return None
    if isinstance(axis, int | np.integer):
        return (normalize_axis(where, axis, ndim),)
    axes = tuple(normalize_axis(where, a, ndim) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{where}: repeated axis in {tuple(axis)}.")
    return tuple(sorted(axes))


def truncate(items, limit: int = 10) -> str:
    """Join `items` for a message, cutting long lists: 'a, b, c, ... (25 more)'."""
    items = [str(i) for i in items]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", ... ({len(items) - limit} more)"
