"""Activations (`keras.activations`): Keras 3's names mapped to the dw.nn functions.

The math and gradients live in `deltaw.nn.activations`; this module only resolves names
(`get`) and turns functions back into names (`serialize`) for layer configs.

    Dense(10, activation="relu")        # the layer calls activations.get("relu")
"""

from __future__ import annotations

from deltaw.nn.activations import (
    elu,
    exponential,
    gelu,
    hard_sigmoid,
    hard_silu,
    leaky_relu,
    linear,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
)
from deltaw.nn.composed_activations import (
    celu,
    glu,
    hard_shrink,
    hard_tanh,
    log_sigmoid,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh_shrink,
    threshold,
)

__all__ = [
    "deserialize", "elu", "exponential", "gelu", "get", "hard_sigmoid", "hard_silu", "hard_swish",
    "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6", "selu", "serialize",
    "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh",
    "celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
]

# Keras 3 exports these as second names of the same function.
swish = silu
hard_swish = hard_silu

_BY_NAME = {
    "elu": elu, "exponential": exponential, "gelu": gelu, "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu, "hard_swish": hard_silu, "leaky_relu": leaky_relu,
    "linear": linear, "log_softmax": log_softmax, "mish": mish, "relu": relu, "relu6": relu6,
    "selu": selu, "sigmoid": sigmoid, "silu": silu, "softmax": softmax, "softplus": softplus,
    "softsign": softsign, "swish": silu, "tanh": tanh,
    **{fn.__name__: fn for fn in (celu, glu, hard_shrink, hard_tanh, log_sigmoid, soft_shrink,
                                  sparse_plus, sparse_sigmoid, sparsemax, squareplus,
                                  tanh_shrink, threshold)},
}
# One canonical name per function (the first listed above wins), for serialize().
_NAME_OF = {}
for _name, _fn in _BY_NAME.items():
    _NAME_OF.setdefault(id(_fn), _name)


def get(identifier):
    """Resolve an activation: None or 'linear' (identity), a Keras name, a config dict
    ({'class_name': 'relu'} or a serialized function), or a callable (returned unchanged).

    Raises:
        ValueError: for an unknown name, listing the known names.

    Example:
        >>> get("relu") is relu
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        identifier = identifier.get("config", identifier.get("class_name"))
        identifier = identifier.get("name") if isinstance(identifier, dict) else identifier
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            raise ValueError(f"unknown activation {identifier!r}. Known: "
                             f"{', '.join(sorted(_BY_NAME))}.")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"activations.get: could not interpret activation {identifier!r}; "
                     "expected a name or a callable.")


def serialize(activation) -> str:
    """The Keras name of a built-in activation ('relu', ...); a custom callable gives its
    `__name__` (it must be passed as a custom object to load the config again)."""
    if activation is None:
        return "linear"
    name = _NAME_OF.get(id(activation))
    if name is not None:
        return name
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"activations.serialize: cannot name {activation!r}; expected a "
                         "function or a built-in activation.")
    return name


def deserialize(config, custom_objects=None):
    """The activation named by `config` (a name or a dict), looking in `custom_objects` first."""
    name = config if isinstance(config, str) else config.get("config", config.get("class_name"))
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get(name)
