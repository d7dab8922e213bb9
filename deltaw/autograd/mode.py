"""Gradient mode: one module-level flag, read once per op."""

from __future__ import annotations

import functools

_enabled = True
_anomaly = False  # set by anomaly.detect_anomaly; read once per op
# replay.recording(): {thread id: list of op applications} while any thread records, else None
# (read once per op; a thread records only its own ops)
_recording = None


def is_grad_enabled() -> bool:
    return _enabled


def set_grad_enabled(enabled: bool) -> None:
    global _enabled
    _enabled = bool(enabled)


class _GradMode:
    """Context manager and decorator that sets the gradient mode and restores it afterwards."""

    enabled = True

    def __init__(self):
        self._previous = []

    def __enter__(self):
        self._previous.append(_enabled)
        set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self._previous.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - named as in PyTorch
    """Record nothing inside: `with dw.no_grad(): ...` or `@dw.no_grad()`."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - named as in PyTorch
    """Record again inside a `no_grad` block."""

    enabled = True
