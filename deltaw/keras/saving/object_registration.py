"""Custom objects: the user's classes and functions that configs and files may name.

A config names a class; deserialization looks it up in deltaw's own registries, then among the
objects the user handed over: registered with `register_keras_serializable`, listed in an active
`custom_object_scope`, or passed as `custom_objects=`. Nothing else is ever resolved (no import
by module name), so these are the only ways a file reaches user code, as in Keras 3's safe mode.
"""

from __future__ import annotations

import threading

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "register_keras_serializable", "resolve_custom_objects", "serialize_keras_object"]

_GLOBAL_CUSTOM_OBJECTS: dict = {}  # 'package>name' -> object (register_keras_serializable)
_GLOBAL_CUSTOM_NAMES: dict = {}  # object -> 'package>name'
_scopes = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator: register a class or function under 'package>name' (name defaults to
    `__name__`), so configs and files that name it can be loaded without custom_objects.

    Registering another object under a name already taken replaces it, as in Keras.

    Raises:
        ValueError: a package containing '>'.
        TypeError: a class without get_config.
    """
    if ">" in package:
        raise ValueError(f"register_keras_serializable: the package must not contain '>'; got "
                         f"{package!r}.")

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise TypeError(f"register_keras_serializable: {obj.__name__} has no get_config(); "
                            "expected a class that can write its config.")
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_custom_objects() -> dict:
    """The global dict of registered objects ('package>name' -> object); editable, as Keras'."""
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj) -> str:
    """'package>name' for a registered object, else its `__name__`."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", str(obj)))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered or in scope under `name`, or None (module_objects: a dict to try
    last, as Keras takes it)."""
    return resolve_custom_objects(custom_objects).get(name) or (module_objects or {}).get(name)


class CustomObjectScope:
    """`with CustomObjectScope({'MyLayer': MyLayer}):` lets configs name these objects."""

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _stack().pop()


custom_object_scope = CustomObjectScope


def _stack() -> list:
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def resolve_custom_objects(custom_objects=None) -> dict:
    """Registered objects, then those of active scopes, then `custom_objects` (later wins), with
    each registered object reachable by its bare name too."""
    merged = {key.split(">", 1)[-1]: obj for key, obj in _GLOBAL_CUSTOM_OBJECTS.items()}
    merged.update(_GLOBAL_CUSTOM_OBJECTS)
    for scope in _stack():
        merged.update(scope)
    merged.update(custom_objects or {})
    return merged


def serialize_keras_object(obj):
    """Keras 3's dict for a layer, model, loss, metric, optimizer, initializer, regularizer or
    constraint (`{'module', 'class_name', 'config', 'registered_name'}`); plain values pass
    through, and a function is written by its (registered) name."""
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list | tuple):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = _GLOBAL_CUSTOM_NAMES.get(cls)
        return {"module": cls.__module__, "class_name": cls.__name__,
                "config": obj.get_config(), "registered_name": registered or cls.__name__}
    if callable(obj):
        return get_registered_name(obj)
    raise TypeError(f"serialize_keras_object: cannot serialize a {type(obj).__name__}; expected "
                    "an object with get_config(), a function or a plain value.")


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuild what `serialize_keras_object` wrote, from deltaw's registries and the user's
    custom objects only (safe_mode is always on: no bytecode, no import by name)."""
    if config is None or isinstance(config, bool | int | float):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects) for c in config]
    known = resolve_custom_objects(custom_objects)
    if isinstance(config, str):
        found = known.get(config) or _builtin(config, None)
        if found is None:
            raise ValueError(f"deserialize_keras_object: unknown object {config!r}; expected a "
                             "registered or custom object, or a deltaw.keras name.")
        return found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize_keras_object: expected a dict with 'class_name' and "
                         f"'config'; got {str(config)[:80]!r}.")
    name = config["class_name"]
    cls = known.get(config.get("registered_name") or name) or known.get(name) \
        or _builtin(name, config)
    if cls is None:
        raise ValueError(f"deserialize_keras_object: unknown class {name!r}; expected a deltaw."
                         f"keras class or a custom object. Hint: register it with "
                         f"register_keras_serializable or pass custom_objects={{'{name}': ...}}.")
    inner = config.get("config", {})
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)


def _builtin(name: str, config):
    """A deltaw.keras class or function by its Keras name, from the closed registries."""
    from deltaw.keras import (
        activations,
        constraints,
        initializers,
        layers,
        losses,
        metrics,
        optimizers,
        regularizers,
    )
    from deltaw.keras.models.config import _models

    if name in layers.LAYERS:
        return layers.LAYERS[name]
    if name in _models():
        return _models()[name]
    for module in (losses, metrics, optimizers, initializers, regularizers, constraints,
                   activations):
        value = getattr(module, name, None)
        if value is not None and name in getattr(module, "__all__", ()):
            return value
    return None
