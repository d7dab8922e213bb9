"""Identity and Lambda: layers that add no computation of their own.

Lambda keeps its function in the program. Its config stores the function by *name* only, never
its bytecode (Keras pickles a lambda's code; loading that would run code from a file), and
`from_config` finds the function again only in the `custom_objects` the caller passes.
"""

from __future__ import annotations

import inspect

from deltaw.keras.layers import nest
from deltaw.keras.layers.layer import Layer

__all__ = ["Identity", "Lambda"]


class Identity(Layer):
    """Returns its inputs unchanged (any structure); the mask passes through.

    Example:
        >>> Identity()(np.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _function_config(fn) -> dict:
    """Keras' config of a plain function (`serialize_keras_object`): its name, no code."""
    if not callable(fn):
        raise ValueError(f"Lambda: expected a callable; got {fn!r} of type {type(fn).__name__}.")
    name = getattr(fn, "__name__", type(fn).__name__)
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": name, "registered_name": name}


def _resolve_function(where, what, value, custom_objects):
    """The callable a config entry names, looked up in `custom_objects` only."""
    if callable(value):
        return value
    if isinstance(value, dict) and value.get("class_name") == "__lambda__":
        raise ValueError(
            f"{where}: the config stores the {what} as Python bytecode (a Keras-saved lambda), "
            "which deltaw never loads; expected a function name. Hint: rebuild the layer in "
            "code, or save it from a named function and pass custom_objects={name: function}.")
    names = [value] if isinstance(value, str) else (
        [value.get("registered_name"), value.get("config")] if isinstance(value, dict) else [])
    custom = custom_objects or {}
    for name in names:
        if isinstance(name, str) and callable(custom.get(name)):
            return custom[name]
    shown = next((n for n in names if isinstance(n, str)), value)
    raise ValueError(f"{where}: cannot find the {what} {shown!r}; expected it among "
                     f"custom_objects (got {sorted(custom)}). Hint: pass "
                     f"custom_objects={{{shown!r}: {shown}}}.")


class Lambda(Layer):
    """Wraps a function of tensors as a layer: `function(inputs, **arguments)`.

    Args:
        function: Callable taking the input (tensor or structure) first; if it takes `mask` or
            `training` arguments, the layer passes them.
        output_shape: The output shape without the batch axis (a tuple, or a structure of
            them), or a function of the full input shape; None infers it by running the
            function on zeros.
        mask: None (no output mask), a callable `(inputs, mask) -> mask`, or a fixed mask.
        arguments: Optional dict of keyword arguments passed to `function`.
        **kwargs: Base Layer arguments.

    Serialization: the config names the function (`{"class_name": "function", "config":
    name, ...}`, Keras' format for a named function); loading it needs
    `custom_objects={name: function}`. A lambda is stored as "<lambda>" and cannot be loaded
    back; a Keras config holding a lambda's bytecode raises (deltaw never runs stored code).

    Example:
        >>> Lambda(lambda x: x * 2)(np.ones((1, 2))).numpy()
        array([[2., 2.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda '{self.name}': function must be callable; got "
                             f"{function!r}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._takes_mask, self._takes_training = "mask" in params, "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError  # compute_output_spec then runs the function on zeros
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = nest.flatten(input_shape)[0]
        return nest.map_shape_structure(lambda s: (batch, *s), self._output_shape)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = {"function": _function_config(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_function_config(self._output_shape)
                                      if callable(self._output_shape) else self._output_shape)
        if self.mask is not None:
            if not callable(self.mask):
                raise NotImplementedError(f"Lambda '{self.name}': get_config cannot store a "
                                          "fixed mask tensor; expected mask=None or a function.")
            config["mask"] = _function_config(self.mask)
        return {**super().get_config(), **config, "arguments": self.arguments}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        where = f"Lambda '{config.get('name', 'lambda')}'"
        config["function"] = _resolve_function(where, "function", config["function"],
                                               custom_objects)
        shape = config.get("output_shape")
        if isinstance(shape, dict | str):
            config["output_shape"] = _resolve_function(where, "output_shape function", shape,
                                                       custom_objects)
        elif isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
            config["output_shape"] = tuple(shape)
        if config.get("mask") is not None:
            config["mask"] = _resolve_function(where, "mask function", config["mask"],
                                               custom_objects)
        arguments = config.get("arguments")
        if isinstance(arguments, dict) and arguments.get("class_name") == "__dict__":
            config["arguments"] = arguments.get("config") or {}
        return super().from_config(config)
