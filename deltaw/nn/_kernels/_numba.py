"""Compile a plain-Python kernel module with numba, lazily and once, with its own jit options.

`deltaw.nn._kernels.get()` decides whether numba is used at all (installed, not disabled by
DELTAW_DISABLE_NUMBA=1 or `set_enabled(False)`) and prepares the environment before numba's
import (cache folder, thread wait policy, threading layer). This helper adds what kernel modules
that do not fit its single jit configuration need: serial kernels (the recurrence's step
kernels must not start a thread pool between two BLAS calls), `fastmath` flags, and scalar
helper functions that the kernels call and that must be compiled first.
"""

from __future__ import annotations

from types import SimpleNamespace

from deltaw.nn import _kernels

__all__ = ["compile_module"]

_compiled: dict[str, SimpleNamespace] = {}


def compile_module(module, kernels, helpers=(), **options):
    """The namespace of `module`'s `kernels` wrapped by `numba.njit(**options)`, or None.

    Args:
        module: A module of plain-Python kernels (it imports without numba).
        kernels: Names of the functions to compile (each compiled on its first call, per
            argument types, and cached on disk: cache=True is added to `options`).
        helpers: Names of functions the kernels call; they are replaced in `module` by their
            compiled versions first (same options, never parallel), so that the kernels
            resolve them when they compile.
        **options: numba.njit options (error_model, fastmath, parallel, ...).

    Returns:
        A SimpleNamespace of compiled kernels, or None when `deltaw.nn._kernels.get()` says
        the NumPy path must run (numba absent or disabled, or switched off for this process).
    """
    if _kernels.get() is None:
        return None
    ns = _compiled.get(module.__name__)
    if ns is None:
        import numba

        options = {"cache": True, **options}
        serial = {k: v for k, v in options.items() if k != "parallel"}
        for name in helpers:
            fn = getattr(module, name)
            if not isinstance(fn, numba.core.registry.CPUDispatcher):
                setattr(module, name, numba.njit(**serial)(fn))
        jit = numba.njit(**options)
        ns = SimpleNamespace(**{name: jit(getattr(module, name)) for name in kernels})
        _compiled[module.__name__] = ns
    return ns
