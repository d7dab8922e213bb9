"""Nested structures of tensors (lists, tuples, dicts): flatten, map and pack, as Keras' `tree`.

Dicts flatten in sorted key order (Keras does the same), so a model's dict inputs and outputs have
one deterministic order. Shapes are tuples of ints and None; `map_shape_structure` treats such a
tuple as a leaf rather than as a structure.
"""

from __future__ import annotations

import numpy as np

__all__ = ["flatten", "is_shape", "map_shape_structure", "map_structure", "pack_sequence_as"]


def flatten(structure) -> list:
    """The leaves of `structure`, depth first; a leaf alone gives a one-element list."""
    if isinstance(structure, list | tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    """`structure` with every leaf replaced by `fn(leaf)`; containers keep their type."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        items = [map_structure(fn, item) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def pack_sequence_as(structure, flat: list):
    """Rebuild `structure` with its leaves taken from `flat`, in `flatten` order."""
    leaves = iter(flat)

    def take(_):
        return next(leaves)

    if isinstance(structure, dict):
        out = {key: map_structure(take, structure[key]) for key in sorted(structure)}
        return {key: out[key] for key in structure}
    return map_structure(take, structure)


def is_shape(value) -> bool:
    """True for a tuple or list of ints and None (one tensor's shape)."""
    return isinstance(value, tuple | list) and all(
        d is None or (isinstance(d, int | np.integer) and not isinstance(d, bool)) for d in value)


def map_shape_structure(fn, structure):
    """Like `map_structure`, with shapes (tuples of ints/None) as the leaves."""
    if is_shape(structure):
        return fn(tuple(structure))
    if isinstance(structure, list | tuple):
        return type(structure)(map_shape_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {key: map_shape_structure(fn, value) for key, value in structure.items()}
    return fn(structure)
