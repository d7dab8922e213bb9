"""Which communicator this process uses: one rank (`SingleProcess`) or MPI (`mpi.MPICommunicator`).

A process counts as launched by MPI when its launcher left its marks in the environment
(`PMI_SIZE`/`PMI_RANK` from MPICH's and Intel MPI's hydra, `OMPI_COMM_WORLD_SIZE` from Open MPI,
`PMIX_RANK` from PMIx launchers such as Slurm's). `DELTAW_MPI=1` forces MPI, `DELTAW_MPI=0`
forces one rank. A plain `python script.py` is one rank and never imports mpi4py.

Both communicators take and return NumPy arrays: `allreduce(a, op)` with op one of
"sum", "max", "min"; `allgather(a)` (a list with every rank's array, shapes may differ);
`broadcast(a, root)` (None on the ranks other than root is fine); `barrier()`; `abort(message)`;
for the sharded optimizer update (ZeRO-1), `reduce_scatter(a, counts, op, out)` (this rank's segment
of the reduction) and `allgather_into(buffer, counts)` (every rank's segment into `buffer`).
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np

__all__ = ["SingleProcess", "abort_job_on_uncaught_exceptions", "get_communicator",
           "launched_by_mpi"]

_LAUNCHER_MARKS = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")
_RANK_MARKS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")
_communicator = None
_hooked = False


class SingleProcess:
    """The communicator of a process that is the only rank: every collective returns its input."""

    rank = 0
    size = 1
    name = "single process"

    def allreduce(self, array, op="sum", out=None):
        if out is None:
            return np.array(array, copy=True)
        out[...] = array
        return out

    def allgather(self, array):
        return [np.array(array, copy=True)]

    def reduce_scatter(self, array, counts, op="sum", out=None):
        part = np.asarray(array).reshape(-1)[:counts[0]]
        if out is None:
            return part.copy()
        out[...] = part
        return out

    def allgather_into(self, buffer, counts):
        return buffer

    def broadcast(self, array, root=0):
        if root != 0:
            raise ValueError(f"broadcast: root must be a rank in [0, 1); got root={root}.")
        return np.array(array, copy=True)

    def barrier(self):
        return None

    def abort(self, message, code=1):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        os._exit(code)


def launched_by_mpi() -> bool:
    """Whether this process should talk MPI (see the module docstring)."""
    forced = os.environ.get("DELTAW_MPI", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    return any(mark in os.environ for mark in _LAUNCHER_MARKS)


def get_communicator():
    """The process's communicator, created on first use (MPI is initialised then, not before)."""
    global _communicator
    if _communicator is None:
        if launched_by_mpi():
            from deltaw.distributed.mpi import MPICommunicator

            _communicator = MPICommunicator()
        else:
            _communicator = SingleProcess()
    return _communicator


def abort_job_on_uncaught_exceptions():
    """Under an MPI launcher, make an uncaught exception end the whole job, not just this rank.

    The other ranks would otherwise wait for this one forever: a rank that exits with an error
    does not end a plain `mpiexec -n N python script.py`. The hook prints the traceback (naming
    the rank), then calls MPI_Abort when MPI is running here, else kills this process, which
    the launcher answers by ending every rank. `import deltaw` installs it; mpi4py is not
    imported for it. A plain process is left alone.
    """
    global _hooked
    if _hooked or not launched_by_mpi():
        return
    _hooked = True
    previous = sys.excepthook

    def end_the_job(exc_type, exc, tb):
        rank = next((os.environ[k] for k in _RANK_MARKS if k in os.environ), "?")
        sys.stderr.write(f"deltaw.distributed: uncaught exception on rank {rank}; ending the "
                         "job.\n")
        previous(exc_type, exc, tb)
        abort = getattr(_communicator, "abort", None)
        if abort is not None and getattr(_communicator, "name", "") == "MPI":
            abort("", 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

    sys.excepthook = end_the_job
