"""keras.backend: a thin view over deltaw's dtype defaults and Keras' global naming state.

deltaw has one engine, so this module holds only the settings Keras programs read or set:
`floatx()` (the default float dtype of layers and weights), `epsilon()` (the fuzz factor of losses
and metrics), `image_data_format()`, and `clear_session()`, which resets the counters behind
automatic names such as 'dense', 'dense_1', ...
"""

from __future__ import annotations

import collections

import numpy as np

__all__ = [
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
    "set_floatx", "set_image_data_format", "standardize_dtype",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_TYPES = ("float16", "float32", "float64")
_name_uids: collections.defaultdict = collections.defaultdict(int)


def backend() -> str:
    """The name of the engine running Keras code: always 'deltaw'."""
    return "deltaw"


def floatx() -> str:
    """The default float dtype of layers and their weights, as a string ('float32').

    Example:
        >>> floatx()
        'float32'
    """
    return _FLOATX


def set_floatx(value) -> None:
    """Set the default float dtype: 'float16', 'float32' or 'float64'.

    Raises:
        ValueError: for any other dtype.
    """
    global _FLOATX
    name = standardize_dtype(value)
    if name not in _FLOAT_TYPES:
        raise ValueError(f"set_floatx: unknown float type {value!r}; expected one of "
                         f"{', '.join(_FLOAT_TYPES)}.")
    _FLOATX = name


def epsilon() -> float:
    """The fuzz factor used to avoid division by zero (1e-7, as Keras)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by `epsilon()`."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """The default data format of image layers: 'channels_last' (NHWC) unless set otherwise."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format: 'channels_last' or 'channels_first'."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"set_image_data_format: unknown data format {data_format!r}; expected "
                         "'channels_last' or 'channels_first'.")
    _IMAGE_DATA_FORMAT = data_format


def standardize_dtype(dtype) -> str:
    """A dtype name string ('float32') from a string, NumPy dtype, or None (-> floatx())."""
    if dtype is None:
        return _FLOATX
    if isinstance(dtype, dict):  # a serialized Keras DTypePolicy
        dtype = dtype.get("config", {}).get("name", dtype)
    if hasattr(dtype, "name") and not isinstance(dtype, np.dtype | str):
        compute = getattr(dtype, "compute_dtype", None)
        if compute is not None and compute != getattr(dtype, "variable_dtype", compute):
            raise ValueError(f"standardize_dtype: policy {dtype.name!r} computes in {compute} "
                             f"and stores in {dtype.variable_dtype}; deltaw has no mixed "
                             "precision: use one dtype, such as 'float32'.")
        dtype = dtype.name  # a DTypePolicy-like object
    if dtype in ("string", "str", str) or (isinstance(dtype, np.dtype) and dtype.kind in "US"):
        return "string"  # Keras' name; deltaw holds strings as NumPy arrays of str
    if dtype == "bfloat16":  # a Keras dtype name NumPy lacks (deltaw computes in float32)
        return dtype
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"standardize_dtype: unknown dtype {dtype!r}; expected a NumPy dtype "
                         "name such as 'float32'.") from None


_INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
_ALL_FLOATS = ("bfloat16", "float16", "float32", "float64")
# Keras 3's type promotion lattice (JAX's): each dtype and the dtypes directly above it. 'int'
# and 'float' are the weak types of Python scalars.
_LATTICE = {
    "bool": ("int",), "int": ("uint8", "int8", "complex64"),
    "uint8": ("int16", "uint16"), "uint16": ("int32", "uint32"), "uint32": ("int64", "uint64"),
    "uint64": ("float",), "int8": ("int16",), "int16": ("int32",), "int32": ("int64",),
    "int64": ("float",), "float": ("bfloat16", "float16"), "bfloat16": ("float32",),
    "float16": ("float32",), "float32": ("float64", "complex64"), "float64": ("complex128",),
    "complex64": ("complex128",), "complex128": (),
}
# Keras narrows 64-bit results to 32 bits on every backend but TensorFlow (JAX's default).
_NARROW = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def _upper_set(dtype):
    seen, todo = {dtype}, [dtype]
    while todo:
        for up in _LATTICE[todo.pop()]:
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def _least_upper_bound(dtypes):
    common = set.intersection(*(_upper_set(d) for d in dtypes))
    return next(d for d in common if _upper_set(d) == common)


def _weak_name(dtype):
    if dtype == "bool":
        return dtype
    return "float" if "float" in dtype else "int" if "int" in dtype else "complex64"


def result_type(*dtypes) -> str:
    """The dtype Keras 3's promotion rules give for combining `dtypes` (JAX's lattice).

    Python's `int` and `float` (the types themselves) are weak: they never widen a tensor's
    dtype. As Keras on its non-TensorFlow backends, 64-bit results narrow to 32 bits; a result
    that is only weak takes floatx()'s precision.

    Example:
        >>> result_type("int32", "float32")
        'float32'
        >>> result_type("bfloat16", int)
        'bfloat16'
    """
    if not dtypes:
        return _FLOATX
    parsed = []
    for d in dtypes:
        weak = d is int or d is float
        name = standardize_dtype(_FLOATX if d is None else ("int32" if d is int else d))
        if name not in _LATTICE:
            raise ValueError(f"result_type: unsupported dtype {name!r}; expected a bool, int, "
                             "float or complex dtype.")
        parsed.append((name, weak))
    names = {n for n, _ in parsed}
    if len(parsed) == 1 or (len(names) == 1 and not all(w for _, w in parsed)):
        out, weak = parsed[0][0], parsed[0][1] and len(parsed) == 1
    elif all(w for _, w in parsed):
        out, weak = _least_upper_bound(names), True
    else:
        out = _least_upper_bound({_weak_name(n) if w else n for n, w in parsed})
        weak = out in ("int", "float")
    if weak and out != "bool":
        bits = _FLOATX[-2:]
        kind = "float" if out in _ALL_FLOATS or out == "float" else "int" if "int" in out else out
        out = f"{kind}{bits}" if kind in ("int", "float") else out
    return _NARROW.get(out, out)


def is_float_dtype(dtype) -> bool:
    """Whether `dtype` is a floating dtype (bfloat16, float16, float32, float64)."""
    return standardize_dtype(dtype) in _ALL_FLOATS


def is_int_dtype(dtype) -> bool:
    """Whether `dtype` is a signed or unsigned integer dtype."""
    return standardize_dtype(dtype) in _INT_TYPES


def is_keras_tensor(x) -> bool:
    """Whether `x` is a symbolic KerasTensor (the output of `keras.Input` or of a layer called
    on one), not an eager Tensor or array."""
    from deltaw.keras.layers.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


def get_uid(prefix: str = "") -> int:
    """Count calls per prefix: 1 on the first call, 2 on the next, ... (reset by clear_session)."""
    _name_uids[prefix] += 1
    return _name_uids[prefix]


def unique_name(base: str) -> str:
    """'base' the first time, then 'base_1', 'base_2', ... (Keras 3's automatic names)."""
    uid = get_uid(base)
    return base if uid == 1 else f"{base}_{uid - 1}"


def clear_session(free_memory: bool = True) -> None:
    """Reset Keras' global state: the automatic-name counters start again ('dense', 'dense_1').

    Existing layers and models keep their names and weights. The counters of optimizer and
    metric names ('adam', 'adam_1') start again too, as in Keras.
    """
    from deltaw.keras.utils import general  # the optimizer/metric counters; no backend import

    _name_uids.clear()
    general._uids.clear()
