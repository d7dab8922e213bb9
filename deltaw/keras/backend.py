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
    "set_epsilon", "set_floatx", "set_image_data_format", "standardize_dtype",
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
        dtype = dtype.name  # a DTypePolicy-like object
    if dtype in ("string", "str", str) or (isinstance(dtype, np.dtype) and dtype.kind in "US"):
        return "string"  # Keras' name; deltaw holds strings as NumPy arrays of str
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"standardize_dtype: unknown dtype {dtype!r}; expected a NumPy dtype "
                         "name such as 'float32'.") from None


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
