"""keras.config: Keras 3's global settings, a thin view over deltaw.keras.backend.

`floatx`, `epsilon` and `image_data_format` (and their setters) are backend's own functions.
The other settings are held here with Keras' defaults. Which of them deltaw acts on:
- `enable_unsafe_deserialization`: recorded; deltaw's files never hold code (Lambda layers
  store their function by name), so loading is the same either way.
- flash attention: deltaw always runs its one fused attention kernel; the flag is recorded.
- interactive logging and traceback filtering: recorded flags (deltaw's Progbar decides on its
  own whether the display is interactive; deltaw does not filter tracebacks).
- `max_epochs` / `max_steps_per_epoch`: recorded; deltaw's `fit` does not read them yet.
- dtype policies: only the plain float policies ('float16', 'float32', 'float64'), which set
  floatx(); mixed precision ('mixed_float16', ...) is not provided.
"""

from __future__ import annotations

from deltaw.keras.backend import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from deltaw.keras.dtype_policies import DTypePolicy

__all__ = [
    "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering", "enable_unsafe_deserialization",
    "epsilon", "floatx", "image_data_format", "is_flash_attention_enabled",
    "is_interactive_logging_enabled", "is_nnx_enabled", "is_traceback_filtering_enabled",
    "max_epochs", "max_steps_per_epoch", "set_backend", "set_dtype_policy", "set_epsilon",
    "set_floatx", "set_image_data_format", "set_max_epochs", "set_max_steps_per_epoch",
]

_settings = {"flash_attention": None, "interactive_logging": True, "traceback_filtering": True,
             "unsafe_deserialization": False, "max_epochs": None, "max_steps_per_epoch": None}


def set_backend(backend):  # noqa: A002 - Keras' argument name
    """Keras reloads itself on another backend; deltaw has one engine, so only 'deltaw' is
    accepted.

    Raises:
        ValueError: for any other backend name.
    """
    if backend != "deltaw":
        raise ValueError(f"set_backend: deltaw runs Keras programs on its own engine only; "
                         f"expected 'deltaw', got {backend!r}.")


def enable_unsafe_deserialization():
    """Allow loading files that contain code (recorded; deltaw's files never do)."""
    _settings["unsafe_deserialization"] = True


def enable_flash_attention():
    """Record the request for flash attention (deltaw's attention is one fused kernel always)."""
    _settings["flash_attention"] = True


def disable_flash_attention():
    """Record that flash attention is off."""
    _settings["flash_attention"] = False


def is_flash_attention_enabled():
    """None until enable_/disable_flash_attention is called (Keras' default), then the flag."""
    return _settings["flash_attention"]


def enable_interactive_logging():
    """Record that logs go to an interactive display (Keras' default)."""
    _settings["interactive_logging"] = True


def disable_interactive_logging():
    """Record that logs should go to absl logging instead of stdout."""
    _settings["interactive_logging"] = False


def is_interactive_logging_enabled():
    return _settings["interactive_logging"]


def enable_traceback_filtering():
    _settings["traceback_filtering"] = True


def disable_traceback_filtering():
    _settings["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    return _settings["traceback_filtering"]


def is_nnx_enabled():
    """Flax NNX support is a JAX-backend feature: always False on deltaw."""
    return False


def max_epochs():
    """The cap on epochs set by set_max_epochs (None: no cap)."""
    return _settings["max_epochs"]


def set_max_epochs(max_epochs):
    _settings["max_epochs"] = None if max_epochs is None else int(max_epochs)


def max_steps_per_epoch():
    """The cap on steps per epoch set by set_max_steps_per_epoch (None: no cap)."""
    return _settings["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    _settings["max_steps_per_epoch"] = (None if max_steps_per_epoch is None
                                        else int(max_steps_per_epoch))


def dtype_policy():
    """The global dtype policy (its name is floatx())."""
    return DTypePolicy(floatx())


def set_dtype_policy(policy):
    """Set the global dtype policy: 'float16', 'float32' or 'float64' (or a DTypePolicy of one),
    which sets floatx().

    Raises:
        ValueError: for mixed-precision and other policies.
    """
    name = policy.name if isinstance(policy, DTypePolicy) else policy
    if name not in ("float16", "float32", "float64"):
        raise ValueError(f"set_dtype_policy: deltaw supports the plain float policies only; "
                         f"expected 'float16', 'float32' or 'float64', got {name!r}.")
    set_floatx(name)
