"""Argument handling of the channels-last image layers (convolution, pooling, image reshaping).

Standardizes their arguments (`standardize_tuple`, `standardize_padding`,
`standardize_data_format`), computes output lengths along one axis, names the layer in errors
(`where_of`, `raise_named`), and handles each weight's initializer, regularizer and constraint.
"""

from __future__ import annotations

import numbers
import re

from deltaw.keras import backend, initializers, regularizers
from deltaw.keras.layers.core import _serialize_regularizer, serialize_constraint

__all__ = ["ChannelsFirstError", "add_weight_from_args", "check_positive", "conv_output_length",
           "raise_named", "set_weight_args", "standardize_data_format", "standardize_padding",
           "standardize_tuple", "transpose_output_length", "weight_args_config", "where_of"]


class ChannelsFirstError(NotImplementedError, ValueError):
    """data_format='channels_first' on a layer that supports channels-last inputs only.

    Both a NotImplementedError (deltaw's choice, not a user mistake) and a ValueError (what a
    Keras user catching bad arguments expects).
    """


def where_of(layer) -> str:
    """The prefix of a layer's error messages: `Conv2D 'conv2d'`."""
    return f"{type(layer).__name__} '{layer.name}'"


_OP_MESSAGE = re.compile(r"[a-z0-9_]+: ")


def raise_named(layer, error: ValueError):
    """Re-raise a dw.nn op's own input error (e.g. an input smaller than the kernel, which the
    layer can only see at call time) with the layer's name in front; any other error unchanged.
    """
    if _OP_MESSAGE.match(str(error)):
        raise ValueError(f"{where_of(layer)}: {error}") from None
    raise error


def check_positive(where, name, value) -> int:
    """`value` as an int, which must be positive (and not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer; got {name}={value!r}.")
    return int(value)


def standardize_tuple(where, name, value, n, allow_zero=False) -> tuple:
    """`value` (an int, or `n` ints) as a tuple of `n` ints, each >= 1 (>= 0 with allow_zero).

    Raises:
        ValueError: `<where>: <name> must be ...; got <name>=<value>.`
    """
    items = (value,) * n if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    low = 0 if allow_zero else 1
    if len(items) != n or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                  and v >= low for v in items):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{where}: {name} must be a {kind} int or a tuple of {n} {kind} ints; "
                         f"got {name}={value!r}.")
    return tuple(int(v) for v in items)


def standardize_padding(where, padding, allow_causal=False) -> str:
    """'valid' or 'same' (or 'causal' where allowed), case-insensitive, as lower case."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        names = " or ".join(repr(a) for a in allowed)
        raise ValueError(f"{where}: padding must be {names}; got padding={padding!r}.")
    return mode


def standardize_data_format(where, data_format) -> str:
    """'channels_last' (None means `backend.image_data_format()`).

    Raises:
        ChannelsFirstError: for 'channels_first' (deltaw's image layers are channels-last).
        ValueError: for any other value.
    """
    value = backend.image_data_format() if data_format is None else data_format
    mode = value.lower() if isinstance(value, str) else value
    if mode == "channels_first":
        raise ChannelsFirstError(
            f"{where}: data_format='channels_first' is not supported by deltaw, whose image "
            "layers take channels-last inputs (batch, ..., channels); expected "
            "data_format='channels_last' or None, got 'channels_first'"
            + (" (from backend.image_data_format())." if data_format is None else "."))
    if mode != "channels_last":
        raise ValueError(f"{where}: data_format must be 'channels_last' or 'channels_first'; "
                         f"got data_format={data_format!r}.")
    return mode


def conv_output_length(size, k, stride, dilation, padding):
    """Output length of a sliding window along one axis (Keras' formulas); None if unknown.

    'valid': (size - (k - 1) * dilation - 1) // stride + 1 (may be <= 0: the caller checks);
    'same' and 'causal': ceil(size / stride).
    """
    if size is None:
        return None
    if padding == "valid":
        return (size - (k - 1) * dilation - 1) // stride + 1
    return -(-size // stride)


def transpose_output_length(size, k, stride, dilation, padding, output_padding):
    """Keras' Conv*Transpose output length along one axis (None if `size` is unknown)."""
    if size is None:
        return None
    k_eff = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return (size - 1) * stride + k_eff + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + k_eff % 2 + output_padding


# ----------------------------------------------------------------------------- weight arguments
# Keras gives each weight (kernel, bias, depthwise, pointwise) three arguments named after it:
# `<weight>_initializer`, `<weight>_regularizer` and `<weight>_constraint`.

def set_weight_args(layer, weight, initializer, regularizer, constraint):
    """Sets the layer's `<weight>_initializer`, `_regularizer` and `_constraint` attributes."""
    setattr(layer, f"{weight}_initializer", initializers.get(initializer))
    setattr(layer, f"{weight}_regularizer", regularizers.get(regularizer))
    setattr(layer, f"{weight}_constraint", constraint)


def add_weight_from_args(layer, name, shape, weight=None):
    """`layer.add_weight(name, shape, ...)` with the arguments `set_weight_args` stored for
    `weight` (default: `name`)."""
    weight = name if weight is None else weight
    return layer.add_weight(name, shape, getattr(layer, f"{weight}_initializer"),
                            getattr(layer, f"{weight}_regularizer"),
                            constraint=getattr(layer, f"{weight}_constraint"))


def weight_args_config(layer, weight) -> dict:
    """The config entries of the three arguments `set_weight_args` stored, in Keras' order."""
    return {
        f"{weight}_initializer": initializers.serialize(getattr(layer, f"{weight}_initializer")),
        f"{weight}_regularizer": _serialize_regularizer(getattr(layer, f"{weight}_regularizer")),
        f"{weight}_constraint": serialize_constraint(getattr(layer, f"{weight}_constraint")),
    }
