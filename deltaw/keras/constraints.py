"""Weight constraints (`keras.constraints`): projections applied to a weight after each update.

A constraint is called as `constraint(w)` on a weight (a Variable, Tensor or array) and returns
the projected weight as a Tensor; the math is dw ops, so a constraint may also be used inside a
differentiable computation. Norms are L2 norms over `axis` (for a Dense kernel of shape
`(input_dim, units)`, axis=0 constrains each unit's incoming weight vector), with Keras'
`epsilon = 1e-7` in the denominators.
"""

from __future__ import annotations

import inspect

import numpy as np

from deltaw import ops
from deltaw.keras.utils import _to_snake_case
from deltaw.tensor import Tensor

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
    "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm",
]

_EPSILON = 1e-7  # keras.backend.epsilon()


def _tensor(w) -> Tensor:
    w = w if isinstance(w, Tensor) else Tensor(w)
    return w if w.dtype.kind == "f" else w.astype(np.float32)


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=_axis(axis), keepdims=True))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


class Constraint:
    """Base class: subclasses implement `__call__(w)` and `get_config()`. The base class
    returns `w` unchanged."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales each weight vector whose norm exceeds `max_value` down to `max_value`:
    `w * clip(n, 0, max_value) / (n + 1e-7)`.

    Args:
        max_value: Defaults to 2.
        axis: Int or list of ints the norm is taken over. Defaults to 0.

    Example:
        >>> MaxNorm(1.0)(np.array([[3.0], [4.0]], dtype="float32")).numpy().round(4)
        array([[0.6],
               [0.8]], dtype=float32)
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _tensor(w)
        norms = _norms(w, self.axis)
        return w * (ops.clip(norms, 0, self.max_value) / (norms + _EPSILON))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each weight vector's norm n towards [min_value, max_value]:
    `w * (rate * clip(n, min_value, max_value) + (1 - rate) * n) / (n + 1e-7)`.

    Args:
        min_value: Defaults to 0.0.
        max_value: Defaults to 1.0.
        rate: 1.0 (default) projects at once; smaller values move part of the way each step.
        axis: As `MaxNorm`.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * ops.clip(norms, self.min_value, self.max_value) + \
            (1 - self.rate) * norms
        return w * (desired / (norms + _EPSILON))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """`max(w, 0)`: non-negative weights.

    Example:
        >>> NonNeg()(np.array([-1.0, 2.0], dtype="float32")).numpy()
        array([0., 2.], dtype=float32)
    """

    def __call__(self, w):
        return ops.maximum(_tensor(w), 0.0)


class UnitNorm(Constraint):
    """`w / (n + 1e-7)`: each weight vector rescaled to unit norm.

    Args:
        axis: As `MaxNorm`.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _tensor(w)
        return w / (_norms(w, self.axis) + _EPSILON)

    def get_config(self):
        return {"axis": self.axis}


# Keras exports the classes under snake-case names too: constraints.max_norm(3)
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_to_snake_case(cls.__name__): cls for cls in _CLASSES[1:]})


def serialize(constraint) -> dict:
    """Keras 3's serialized form {'module', 'class_name', 'config', 'registered_name'}."""
    return {"module": "keras.constraints", "class_name": type(constraint).__name__,
            "config": constraint.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """A constraint from `serialize`'s output, a {'class_name', 'config'} dict or a name."""
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"constraints.deserialize: unknown constraint {name!r}. Known: "
                         f"{', '.join(sorted(k for k in _BY_NAME if k.islower()))}.")
    return cls.from_config(config.get("config", {})) if inspect.isclass(cls) else cls


def get(identifier):
    """Resolve a constraint: None, a name ('max_norm' or 'MaxNorm'), a config dict, a
    Constraint (or class), or a callable (returned unchanged).

    Raises:
        ValueError: for an unknown name (listing the known ones) or another kind of value.
    """
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"unknown constraint {identifier!r}. Known: "
                             f"{', '.join(sorted(k for k in _BY_NAME if k.islower()))}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"constraints.get: could not interpret constraint identifier "
                     f"{identifier!r}; expected a name, a config dict or a callable.")
