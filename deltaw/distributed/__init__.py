"""Data-parallel computing over MPI: the same program on every rank, arrays exchanged between them.

Launch with `mpiexec -n 4 python train.py` (`pip install deltaw[mpi]` gives mpi4py and the
mpich wheel's `mpiexec`). A plain `python train.py` is one rank: every collective returns its
input and mpi4py is never imported. Keras models use this through
`deltaw.keras.distribution.DataParallel`; custom loops call the collectives themselves:

    import deltaw.distributed as dist
    grads = [dist.allreduce(g) for g in tape.gradient(loss, weights)]   # the same on every rank

Environment: `DELTAW_MPI_TIMEOUT` (seconds, default 600, 0 off) ends a job whose ranks stop
meeting at a collective, naming the missing ranks; `DELTAW_MPI=0/1` forces one rank / MPI.
"""

from deltaw.distributed.collectives import (
    allgather,
    allreduce,
    barrier,
    broadcast,
    rank,
    size,
)
from deltaw.distributed.communicator import SingleProcess, get_communicator, launched_by_mpi

__all__ = ["SingleProcess", "allgather", "allreduce", "barrier", "broadcast", "get_communicator",
           "launched_by_mpi", "rank", "size"]
