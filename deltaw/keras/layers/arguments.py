"""Argument handling of Layer: automatic names, add_weight's two signatures, automatic configs."""

from __future__ import annotations

import inspect
import json

from deltaw.keras.utils import _to_snake_case as to_snake_case  # layers' automatic names

__all__ = ["auto_config", "to_snake_case", "weight_args"]

# add_weight's positional order in the contract (and tf.keras 2) and in Keras 3.
_CONTRACT_ORDER = ("name", "shape", "initializer", "regularizer", "trainable", "dtype",
                   "constraint")
_KERAS3_ORDER = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer",
                 "constraint", "aggregation", "overwrite_with_gradient", "name")
# Accepted for compatibility and ignored: deltaw has one device, one dtype policy, no replicas.
_IGNORED_WEIGHT_ARGS = ("autocast", "aggregation", "overwrite_with_gradient", "synchronization",
                        "use_resource", "experimental_autocast", "caching_device")


def weight_args(where: str, args: tuple, kwargs: dict) -> dict:
    """add_weight's arguments by name. A first positional argument that is not a string is the
    shape (Keras 3's order); otherwise the first is the name (deltaw's and tf.keras 2's order).

    Raises:
        TypeError: too many positional arguments, a duplicate or an unknown keyword.
    """
    order = _KERAS3_ORDER if args and args[0] is not None and not isinstance(args[0], str) \
        else _CONTRACT_ORDER
    if len(args) > len(order):
        raise TypeError(f"{where}.add_weight: too many positional arguments; expected at most "
                        f"{len(order)}, got {len(args)}.")
    spec = dict(zip(order, args, strict=False))
    for key, value in kwargs.items():
        if key in spec:
            raise TypeError(f"{where}.add_weight: got multiple values for argument {key!r}.")
        if key not in _CONTRACT_ORDER and key not in _IGNORED_WEIGHT_ARGS:
            raise TypeError(f"{where}.add_weight: got an unexpected keyword argument {key!r}.")
        spec[key] = value
    return spec


def _json_simple(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def auto_config(layer) -> dict:
    """The `__init__` arguments a layer was created with, as a config (Keras 3 does this for
    custom layers that define no get_config).

    Raises:
        NotImplementedError: an argument is not JSON-safe, or was passed through *args.
    """
    args, kwargs = layer._init_args
    signature = inspect.signature(type(layer).__init__)
    try:
        arguments = list(signature.bind(layer, *args, **kwargs).arguments.items())[1:]
    except TypeError:
        arguments = [("*", ())]
    values, ok = {}, True
    for key, value in arguments:
        kind = signature.parameters[key].kind if key in signature.parameters else None
        if kind is inspect.Parameter.VAR_KEYWORD:
            values.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL or kind is None:
            ok = ok and not value and kind is not None
        else:
            values[key] = value
    if not ok or not _json_simple(values):
        raise NotImplementedError(
            f"{type(layer).__name__} '{layer.name}': get_config cannot serialize the arguments "
            "of __init__; expected JSON-safe keyword arguments (numbers, strings, lists, "
            "dicts). Hint: override get_config() (and from_config() if needed).")
    return values
