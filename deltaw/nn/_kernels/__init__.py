"""Compiled kernels for the ops NumPy does badly (numba: a dependency where it has wheels).

Every op has a NumPy implementation, which is also the reference the kernel tests compare
against and the path taken wherever numba is not installed (pyproject.toml's environment marker
leaves it out where numba publishes no wheels) or fails to import (a broken install, a NumPy it
does not support). When numba is importable, a few hot ops (col2im,
the bias and activation passes of `conv2d_bias_activation`, max pooling; see each kernel
module) run compiled kernels instead. `load()` imports numba the first time such an op runs,
never at `import deltaw` (numba's import alone takes ~0.2 s).

Settings, read once by the first `load()`:

- `DELTAW_DISABLE_NUMBA=1` forces the NumPy path even where numba is installed.
- `NUMBA_CACHE_DIR` defaults to `~/.cache/deltaw/numba` (or `$XDG_CACHE_HOME/deltaw/numba`):
  kernels are compiled with `cache=True`, so only the first run on a machine pays the
  compilation (about 2 s per kernel and dtype); later processes load them in milliseconds.
  The cache never goes next to the sources, so a read-only install (site-packages owned by
  root) caches as well; where the folder cannot be written numba compiles in memory each run.
  Only the kernels a model calls are compiled (`benchmarks/cold_start.py` measures the cost).
- `DELTAW_NUMBA_PARALLEL=1` compiles the kernels multi-threaded (`numba.prange` over the
  batch). The default is single-threaded: the kernels are a small part of a training step
  (W3: about 2 of 30 ms), the GEMMs around them already use OpenBLAS's threads, and numba's
  threads would compete with those on a small machine; parallel compilation also takes three
  times as long. With it on, `OMP_WAIT_POLICY` defaults to PASSIVE and numba's threading layer
  to 'workqueue': threads that spin while waiting (OpenMP's default) steal the cores from
  OpenBLAS's threads, which spin too (on a 2-core machine the W3 benchmark fell to a third of
  its speed).

A user's own setting of any of these variables is never overwritten.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

__all__ = ["get", "load", "set_enabled", "status"]

_kernels = None      # the compiled namespace once loaded, or False when unavailable
_enabled = True      # set_enabled(False) (tests) routes every op to NumPy
_reason = "not loaded yet"


def get():
    """The compiled kernels (a namespace of numba functions), or None for the NumPy path."""
    if _kernels is None:
        load()
    return _kernels if _enabled and _kernels else None


def set_enabled(flag: bool) -> bool:
    """Turn the kernels on or off for this process (tests compare both paths); returns the
    previous setting. Off means every op takes its NumPy path."""
    global _enabled
    previous, _enabled = _enabled, bool(flag)
    return previous


def status() -> str:
    """Why the kernels are in use or not, in words (for bug reports and benchmarks)."""
    if _kernels is None:
        load()
    return _reason


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "deltaw", "numba")


def load():
    """Import numba and wrap the kernels (compiled lazily, per dtype, on their first call).

    Returns the namespace, or False when numba is disabled or cannot be imported.
    """
    global _kernels, _reason
    if _kernels is not None:
        return _kernels
    if os.environ.get("DELTAW_DISABLE_NUMBA", "").strip() not in ("", "0"):
        _kernels, _reason = False, "disabled by DELTAW_DISABLE_NUMBA"
        return _kernels
    parallel = os.environ.get("DELTAW_NUMBA_PARALLEL", "").strip() not in ("", "0")
    if "numba" not in sys.modules:  # these only take effect before numba (and OpenMP) start
        os.environ.setdefault("NUMBA_CACHE_DIR", _default_cache_dir())
        if parallel:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
    try:
        import numba
    except Exception as exc:  # ImportError, or a broken install (e.g. llvmlite mismatch)
        _kernels, _reason = False, f"numba is not importable ({type(exc).__name__}: {exc})"
        return _kernels
    from deltaw.nn._kernels import conv_numba, pool_numba

    jit = numba.njit(cache=True, nogil=True, error_model="numpy", parallel=parallel)
    ns = SimpleNamespace(parallel=parallel, threads=numba.get_num_threads)
    cache_dir = numba.config.CACHE_DIR
    if parallel:
        # numba's cache key ignores the `parallel` flag: keep the two builds apart (the cache
        # folder is read when each dispatcher is created, just below)
        numba.config.CACHE_DIR = os.path.join(cache_dir or _default_cache_dir(), "parallel")
    try:
        for module in (conv_numba, pool_numba):
            if parallel:
                module.prange = numba.prange  # resolved as a global when a kernel compiles
            for name in module.KERNELS:
                setattr(ns, name, jit(getattr(module, name)))
    finally:
        numba.config.CACHE_DIR = cache_dir
    _kernels = ns
    _reason = (f"numba {numba.__version__} kernels ({'parallel' if parallel else 'serial'}, "
               f"cache {numba.config.CACHE_DIR or 'next to the sources'})")
    return _kernels
