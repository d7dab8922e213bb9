"""The collectives for custom loops: rank, size, allreduce, allgather, broadcast, barrier.

Each takes a Tensor, a NumPy array or a Python number and returns the same kind (a Tensor comes
back as a new Tensor that records no op: these are not differentiable). In a plain process
(one rank) they return their input's value; under `mpiexec -n N` they talk to the other ranks.

Every rank must call the same collectives in the same order with arrays of the same shape and
dtype (allgather: the same trailing shape); otherwise the stall check ends the job (mpi.py).
"""

from __future__ import annotations

import numpy as np

from deltaw.distributed.communicator import get_communicator
from deltaw.tensor import Tensor

__all__ = ["allgather", "allreduce", "barrier", "broadcast", "rank", "size"]

_OPS = ("mean", "sum", "max", "min")


def rank() -> int:
    """This process's rank, 0 .. size() - 1 (0 in a plain process)."""
    return get_communicator().rank


def size() -> int:
    """The number of ranks in the launch (1 in a plain process)."""
    return get_communicator().size


def allreduce(x, op="mean"):
    """The elementwise mean (or sum, max, min) of `x` over all ranks, on every rank.

    The result is bitwise the same on every rank ('mean' is the sum divided by size()).
    """
    if op not in _OPS:
        raise ValueError(f"allreduce: op must be one of {list(_OPS)}; got op={op!r}.")
    array, wrap = _unwrap("allreduce", x)
    comm = get_communicator()
    out = comm.allreduce(array, "sum" if op == "mean" else op)
    if op == "mean":
        out = (out / comm.size).astype(out.dtype if out.dtype.kind == "f" else np.float64,
                                       copy=False)
    return wrap(out)


def allgather(x):
    """Every rank's `x` concatenated along axis 0, in rank order (Horovod's allgather).

    The first axis may differ between ranks; the other axes and the dtype must agree. A scalar
    gives a 1-D array of size() values.
    """
    array, wrap = _unwrap("allgather", x)
    parts = get_communicator().allgather(array)
    rest = {(p.shape[1:], p.dtype) for p in parts}
    if len(rest) > 1:
        detail = ", ".join(f"rank {r}: {p.shape} {p.dtype}" for r, p in enumerate(parts))
        raise ValueError(f"allgather: the ranks' arrays must agree in dtype and in every axis but "
                         f"the first; got {detail}.")
    out = np.stack(parts) if array.ndim == 0 else np.concatenate(parts, axis=0)
    return wrap(out, scalar_ok=False)


def broadcast(x, root=0):
    """Rank `root`'s `x` on every rank (the other ranks' `x` may be None)."""
    if x is None:
        return get_communicator().broadcast(None, root)
    array, wrap = _unwrap("broadcast", x)
    return wrap(get_communicator().broadcast(array, root))


def barrier():
    """Return once every rank has called barrier()."""
    get_communicator().barrier()


def _unwrap(where, x):
    """`(array, wrap)`: x as an array, and the function giving the result x's kind back."""
    if isinstance(x, Tensor):
        return np.asarray(x.data, order="C"), lambda a, scalar_ok=True: Tensor(a)
    if isinstance(x, np.ndarray):
        return np.asarray(x, order="C"), lambda a, scalar_ok=True: a
    if isinstance(x, bool | int | float | np.generic):
        return np.asarray(x), lambda a, scalar_ok=True: a.item() if scalar_ok else a
    try:
        array = np.asarray(x)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.hasobject:
        raise TypeError(f"{where}: expected a Tensor, a NumPy array or a number; got "
                        f"{type(x).__name__}.")
    return np.asarray(array, order="C"), lambda a, scalar_ok=True: a
