"""The second core: run half of a single-threaded pass on a deltaw thread beside this one.

OpenBLAS already spreads each large GEMM over the cores. What it cannot spread are the many
small BLAS calls and numba kernels between GEMMs (the attention of W6: 768 GEMMs of 64 x 32 x
64 a step, and its softmax): they run on one core while the other idles. `run(work, halves(n))`
runs `work(0, n // 2)` here and `work(n // 2, n)` on deltaw's one pool thread (NumPy's matmul
and deltaw's numba kernels release the GIL).

The other core is not idle at that moment, though: after each multi-threaded GEMM OpenBLAS's
worker thread busy-waits for the next one (about 2^28 cycles, its THREAD_TIMEOUT), and a
second thread beside it runs at half speed (measured: the split attention was slower than one
thread). So `run` first ends OpenBLAS's worker threads (`blas_thread_shutdown_`, the call
OpenBLAS makes itself before a fork); the next large GEMM starts them again, for about 60 us.
After one of W6's GEMMs, the packed attention's forward and backward take 9.3 ms on one core
and 3.3 ms split (`python benchmarks/second_core.py`); W6's whole step goes from 17.1 to 15.4
ms (`python benchmarks/profile_ops.py --only W6`).

Ending the workers is safe only while no other thread can be inside OpenBLAS, so `run` uses
the second core only while the process has no Python thread but the caller and deltaw's own,
and only with OpenBLAS found and set to two threads or more: a user who limits BLAS to one
thread (`OPENBLAS_NUM_THREADS=1`, as MPI jobs do) limits deltaw too. Anywhere else, with CuPy
arrays, or on one core, `run` runs every piece here, in order; the results are the same either
way, bitwise (each half is computed by the same code on its own rows).
"""

from __future__ import annotations

import ctypes
import os
import threading

__all__ = ["halves", "run", "usable"]

_UNKNOWN = object()
_blas = _UNKNOWN        # the OpenBLAS library NumPy loaded (ctypes), or None
_pool = None            # deltaw's one worker thread, started by the first split `run`
_pool_threads = set()   # its thread's ident, recorded by the thread itself
_NAMES = {              # symbol names differ by build: scipy-openblas (NumPy's wheels), plain
    "threads": ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                "openblas_get_num_threads"),
    "shutdown": ("blas_thread_shutdown_",),
}


def _find_openblas():
    """The OpenBLAS this process has loaded (NumPy's), from the process's memory map; None
    where there is none or it lacks the calls `run` needs."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:         # no /proc: not Linux
        return None
    for path in sorted(p for p in paths if p.startswith("/")):
        try:
            lib = ctypes.CDLL(path)       # already loaded: dlopen hands back the same library
        except OSError:
            continue
        calls = {key: next((getattr(lib, n) for n in names if hasattr(lib, n)), None)
                 for key, names in _NAMES.items()}
        if all(calls.values()):
            calls["threads"].restype = ctypes.c_int
            return calls
    return None


def _openblas():
    global _blas
    if _blas is _UNKNOWN:
        import numpy  # noqa: F401  (NumPy loads OpenBLAS)
        _blas = _find_openblas()
    return _blas


def _cores():
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def _only_our_threads():
    """No Python thread but this one and deltaw's worker is alive (so none is inside BLAS)."""
    ours = _pool_threads | {threading.get_ident()}
    return all(t.ident in ours for t in threading.enumerate())


def usable():
    """Whether `run` would use the second core now."""
    blas = _openblas()
    return (blas is not None and _cores() >= 2 and blas["threads"]() >= 2
            and _only_our_threads())


def halves(n):
    """[(0, n // 2), (n // 2, n)] when `usable()` (and n >= 2), else [(0, n)]."""
    return [(0, n // 2), (n // 2, n)] if n >= 2 and usable() else [(0, n)]


def run(work, pieces, extra=None):
    """[work(lo, hi) for (lo, hi) in pieces], or work(lo, hi, extra[i]) when `extra` is given.
    Two pieces run at once, the second on deltaw's worker thread, when `usable()`; else (or
    with one piece) in order on this thread."""
    calls = [piece if extra is None else (*piece, e)
             for piece, e in zip(pieces, extra if extra is not None else pieces)]
    if len(calls) != 2 or not usable():
        return [work(*call) for call in calls]
    _blas["shutdown"]()     # before the hand-over: no thread may be inside OpenBLAS
    other = _worker().submit(work, *calls[1])
    try:
        first = work(*calls[0])
    finally:
        second = other.result()
    return [first, second]


def _forget_worker():
    """In a forked child the worker thread does not exist (fork copies only the forking
    thread): a task handed to the inherited pool would wait forever, so start afresh."""
    global _pool
    _pool = None
    _pool_threads.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker)


def _worker():
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor
        _pool = ThreadPoolExecutor(1, thread_name_prefix="deltaw-second-core",
                                   initializer=lambda: _pool_threads.add(threading.get_ident()))
    return _pool
