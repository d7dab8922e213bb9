"""keras.DTypePolicy (and its alias FloatDTypePolicy): the dtypes a layer computes and stores in.

A policy is named by a float dtype ('float32': computations and variables in float32) or a mixed
policy ('mixed_float16': computations in float16, variables in float32). Its config is
`{"name": ...}`, as in Keras, so a Keras file's serialized policy reads back.

Where deltaw differs: a layer computes and stores in one dtype, so a layer given a mixed policy
raises a ValueError naming the policy (deltaw has no mixed precision); the policy object itself
behaves as Keras'.
"""

from __future__ import annotations

import numpy as np

from deltaw import ops as dw_ops
from deltaw.keras import backend
from deltaw.tensor import Tensor

__all__ = ["DTypePolicy", "FloatDTypePolicy"]

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}


class DTypePolicy:
    """A dtype policy: `compute_dtype` for a layer's computations, `variable_dtype` for its weights.

    Args:
        name: 'float16', 'bfloat16', 'float32', 'float64' (or any dtype name), 'mixed_float16'
            or 'mixed_bfloat16'. Defaults to the global policy (`keras.config.dtype_policy()`,
            whose name is floatx()).

    Raises:
        TypeError: when `name` is not a string. ValueError: when it names no dtype or policy.
    """

    def __init__(self, name=None):
        if name is None:
            name = backend.floatx()
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)
        self._quantization_mode = None

    def _parse_name(self, name):
        if not isinstance(name, str):
            raise TypeError("'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name} (of type {type(name)})")
        if name in _MIXED:
            return _MIXED[name]
        try:
            dtype = backend.standardize_dtype(name)
        except (ValueError, TypeError):
            dtype = None
        if dtype is None:
            raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid "
                             "policies include 'mixed_float16', 'mixed_bfloat16', and the name "
                             "of any float dtype such as 'float32'.")
        return dtype, dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None: deltaw has no quantized policies."""
        return self._quantization_mode

    def convert_input(self, x, autocast, dtype):
        """`x` cast to `dtype` when `autocast` and `x` is floating; integers stay as they are."""
        dtype = backend.standardize_dtype(dtype)
        if not isinstance(x, Tensor):
            if not hasattr(x, "__array__"):
                return x
            x = Tensor(np.asarray(x))
        if autocast and backend.is_float_dtype(x.dtype.name) and x.dtype.name != dtype:
            x = dw_ops.astype(x, dtype)
        return x

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        if not isinstance(other, DTypePolicy):
            return False
        return self._name == other._name

    __hash__ = None    # mutable-by-subclass in Keras, and unhashable there too (it defines __eq__)


class FloatDTypePolicy(DTypePolicy):
    """An alias of DTypePolicy (Keras keeps the name for older programs)."""
