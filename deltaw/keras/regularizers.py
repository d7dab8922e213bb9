"""Weight regularizers (`keras.regularizers`): penalties built from dw ops, so they differentiate.

A regularizer is called on a weight Tensor and returns a scalar Tensor that a layer adds to its
`losses`; the trainer adds those to the loss before taking gradients.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

import deltaw as dw
from deltaw.keras.utils import _to_snake_case

__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1",
    "l1_l2", "l2", "orthogonal_regularizer", "serialize",
]


class Regularizer:
    """Base class: subclasses implement `__call__(x) -> scalar Tensor` and `get_config()`."""

    def __call__(self, x):
        return dw.tensor(0.0)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _factor(cls, name, value, default):
    value = default if value is None else value
    if not isinstance(value, int | float) or isinstance(value, bool) or \
            math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(f"{cls}: {name} must be a non-negative float; got {name}={value!r}.")
    return float(value)


class L1(Regularizer):
    """`l1 * sum(abs(x))`. Defaults to l1=0.01.

    Example:
        >>> float(L1(0.5)(dw.tensor([1.0, -2.0])))
        1.5
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor("L1", "l1", l1, 0.01)

    def __call__(self, x):
        return self.l1 * dw.sum(dw.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(x**2)`. Defaults to l2=0.01 (no factor 1/2, as Keras).

    Example:
        >>> float(L2(0.5)(dw.tensor([1.0, -2.0])))
        2.5
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor("L2", "l2", l2, 0.01)

    def __call__(self, x):
        return self.l2 * dw.sum(dw.square(x))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """`l1 * sum(abs(x)) + l2 * sum(x**2)`. Both default to 0.0 (Keras 3)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor("L1L2", "l1", l1, 0.0)
        self.l2 = _factor("L1L2", "l2", l2, 0.0)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = self.l1 * dw.sum(dw.abs(x))
        if self.l2:
            term = self.l2 * dw.sum(dw.square(x))
            penalty = term if penalty is None else penalty + term
        if penalty is None:  # both zero: a zero that still has x's dtype
            penalty = 0.0 * dw.sum(x)
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D kernel towards orthogonality:

        factor * 0.5 * sum(|U U^T - diag|) / (n (n - 1) / 2)

    where U holds the L2-normalized rows (mode="rows") or columns ("columns") and n is their
    number. Normalization is Keras': `x / sqrt(max(sum(x**2), 1e-14))`.

    Args:
        factor: Non-negative float. Defaults to 0.01.
        mode: "rows" (default) or "columns".

    Example:
        >>> float(OrthogonalRegularizer(1.0)(dw.tensor([[1.0, 0.0], [1.0, 1.0]])))
        0.7071067...
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor("OrthogonalRegularizer", "factor", factor, 0.01)
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns'; got "
                             f"mode={mode!r}.")
        self.mode = mode

    def __call__(self, x):
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer: expected a rank-2 kernel; got shape "
                             f"{tuple(x.shape)}.")
        axis = 1 if self.mode == "rows" else 0
        unit = x / dw.sqrt(dw.maximum(dw.sum(dw.square(x), axis=axis, keepdims=True), 1e-14))
        product = unit @ unit.T if self.mode == "rows" else unit.T @ unit
        size = product.shape[0]
        off_diagonal = product * (1.0 - np.eye(size, dtype=product.dtype))
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * dw.sum(dw.abs(off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_to_snake_case(cls.__name__): cls for cls in _CLASSES})  # l1, l2, l1l2
_BY_NAME["l1_l2"] = L1L2  # the name keras.regularizers exports

# Keras exports the classes under lower-case names too: regularizers.l2(0.01)
l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer) -> dict:
    """Keras 3's serialized form {'module', 'class_name', 'config', 'registered_name'}."""
    return {"module": "keras.regularizers", "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"regularizers.deserialize: unknown regularizer {name!r}. Known: "
                         f"{', '.join(sorted(k for k in _BY_NAME if k.islower()))}.")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """Resolve a regularizer: None, a name ('l1', 'l2', 'l1_l2' or the class name), a config
    dict, a Regularizer (or class) or a callable.

    Raises:
        ValueError: for an unknown name, listing the known names.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"unknown regularizer {identifier!r}. Known: "
                             f"{', '.join(sorted(k for k in _BY_NAME if k.islower()))}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"regularizers.get: could not interpret regularizer identifier "
                     f"{identifier!r}; expected a name, a config dict or a callable.")
