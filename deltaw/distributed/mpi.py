"""MPICommunicator: the collectives over MPI (mpi4py, imported here and nowhere else, when the
first MPICommunicator is made).

Every collective is nonblocking (`Iallreduce`, `Ibcast`, `Iallgatherv`, `Ibarrier`) and waited for
by polling `Test`, so a rank never waits blindly:

- Stall check (Horovod's): a rank that waits longer than `DELTAW_MPI_TIMEOUT` seconds (default
  600; 0 turns the check off and waits in MPI's blocking calls) aborts the whole job with a message
  naming the ranks that did not arrive. To know them, a rank that has waited
  `min(1 s, timeout / 4)` tells every other rank, on a side communicator, which collective it is
  waiting in; at the timeout the ranks that never said so are the missing ones.
- Uncaught exceptions: with more than one rank, `sys.excepthook` prints the traceback (naming the
  rank) and calls `MPI_Abort`, which ends every rank; without it the other ranks would wait for
  the dead one forever (a plain `mpiexec -n 2 python script.py` does not end them).

Polling spins for the first 50 ms, as MPI's own blocking wait does (yielding the CPU between
tests, `sched_yield`, when there are more ranks than cores: a rank sharing a core with the one
it waits for lets it run); then it sleeps between tests, growing to 1 ms, so a rank waiting long
for a slow one leaves the CPU to it.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

__all__ = ["MPICommunicator"]

MPI = None    # mpi4py.MPI, imported (which initialises MPI) by the first MPICommunicator
_OPS = {}
_HEADER = 18            # ndim (-1: None), 16 dims, the dtype's str packed into 8 bytes
_MAX_DIMS = 16
_ANNOUNCE_TAG = 7
_SPIN_S = 0.05


class MPICommunicator:
    """The collectives of `deltaw.distributed` over `MPI.COMM_WORLD` (see the module docstring)."""

    name = "MPI"

    def __init__(self, timeout=None):
        _load_mpi4py()
        world = MPI.COMM_WORLD
        self.rank, self.size = world.Get_rank(), world.Get_size()
        self._comm = world.Dup()          # deltaw's collectives never mix with the user's
        self._side = world.Dup()          # stall announcements
        self.timeout = _timeout_from_env() if timeout is None else float(timeout)
        self._count = 0                   # collectives entered, the same on every rank
        self._heard = {}                  # rank -> latest collective it said it waits in
        self._pending = []                # announcement sends in flight
        self._pause = _yield if self.size > (os.cpu_count() or 1) else _spin

    # ------------------------------------------------------------------------------ collectives
    def allreduce(self, array, op="sum", out=None):
        """The reduction of `array` over the ranks, into `out` when given (a buffer reused from
        step to step is faster: MPI's transports cache what they learnt about its pages)."""
        if op not in _OPS:
            raise ValueError(f"allreduce: op must be one of ['sum', 'max', 'min']; got "
                             f"op={op!r}.")
        send = np.asarray(array, order="C")
        out = np.empty_like(send) if out is None else out
        if self.timeout <= 0:
            self._comm.Allreduce(send, out, op=_OPS[op])
        else:
            self._wait(self._comm.Iallreduce(send, out, op=_OPS[op]), "allreduce")
        return out

    def reduce_scatter(self, array, counts, op="sum", out=None):
        """This rank's segment of the reduction of `array` over the ranks, into `out` when given:
        `array` is cut into consecutive segments of `counts[r]` elements, rank r gets segment r
        reduced (ZeRO's first half; each element is reduced once, so all ranks agree on it)."""
        send = np.asarray(array, order="C").reshape(-1)
        out = np.empty(counts[self.rank], send.dtype) if out is None else out
        self._run(lambda: self._comm.Ireduce_scatter(send, out, list(counts), op=_OPS[op]),
                  lambda: self._comm.Reduce_scatter(send, out, list(counts), op=_OPS[op]),
                  "reduce_scatter")
        return out

    def allgather_into(self, buffer, counts):
        """Fill the 1-D `buffer` in place with every rank's segment: rank r's is the `counts[r]`
        elements after `sum(counts[:r])`, already in place on rank r (ZeRO's second half)."""
        size = buffer.dtype.itemsize
        raw = buffer.view(np.uint8)
        counts = [int(c) * size for c in counts]
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()
        spec = [raw, counts, displs, MPI.BYTE]
        self._run(lambda: self._comm.Iallgatherv(MPI.IN_PLACE, spec),
                  lambda: self._comm.Allgatherv(MPI.IN_PLACE, spec), "allgather")
        return buffer

    def broadcast(self, array, root=0):
        self._check_root(root)
        header = _header(array if self.rank == root else None)
        header = self._bcast(header, root, "broadcast")
        if header[0] < 0:
            raise ValueError(f"broadcast: rank {root} (the root) gave None; expected an array.")
        shape, dtype = _shape_dtype(header)
        buf = (np.asarray(array, dtype=dtype, order="C").copy() if self.rank == root
               else np.empty(shape, dtype))
        if self.rank == root and buf.shape != shape:
            buf = buf.reshape(shape)
        return self._bcast(buf, root, "broadcast")

    def allgather(self, array):
        array = np.asarray(array, order="C")
        headers = np.empty((self.size, _HEADER), np.int64)
        self._run(lambda: self._comm.Iallgather(_header(array), headers),
                  lambda: self._comm.Allgather(_header(array), headers), "allgather")
        metas = [_shape_dtype(h) for h in headers]
        counts = [int(np.prod(s, dtype=np.int64)) * d.itemsize for s, d in metas]
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()
        raw = np.empty(sum(counts), np.uint8)
        send = array.reshape(-1).view(np.uint8) if array.size else np.empty(0, np.uint8)
        spec = [raw, counts, displs, MPI.BYTE]
        self._run(lambda: self._comm.Iallgatherv([send, MPI.BYTE], spec),
                  lambda: self._comm.Allgatherv([send, MPI.BYTE], spec), "allgather")
        return [raw[o:o + c].view(d).reshape(s) if c else np.empty(s, d)
                for (s, d), o, c in zip(metas, displs, counts)]

    def barrier(self):
        self._run(self._comm.Ibarrier, self._comm.Barrier, "barrier")

    def abort(self, message, code=1):
        if message:
            sys.stderr.write(message.rstrip("\n") + "\n")
        _flush_then_abort(code)

    # ------------------------------------------------------------------------------ waiting
    def _bcast(self, buf, root, what):
        self._run(lambda: self._comm.Ibcast(buf, root=root),
                  lambda: self._comm.Bcast(buf, root=root), what)
        return buf

    def _run(self, start, blocking, what):
        if self.timeout <= 0:
            self._count += 1
            blocking()
        else:
            self._wait(start(), what)

    def _check_root(self, root):
        if not isinstance(root, int | np.integer) or not 0 <= root < self.size:
            raise ValueError(f"broadcast: root must be a rank in [0, {self.size}); "
                             f"got root={root!r}.")

    def _wait(self, request, what):
        """Poll `request` until it completes; abort the job past the timeout (module docstring)."""
        self._count += 1
        if request.Test():
            return
        start = time.monotonic()
        announce_after = min(1.0, self.timeout / 4)
        announced, pause = False, 5e-5
        while not request.Test():
            waited = time.monotonic() - start
            if waited <= _SPIN_S:
                self._pause()
            else:
                time.sleep(pause)
                pause = min(pause * 1.5, 1e-3)
            if waited > announce_after:
                if not announced:
                    self._announce()
                    announced = True
                self._listen()
            if waited > self.timeout + announce_after + 0.5:   # late arrivers had time to say so
                self._stalled(what, waited)
        self._pending = [r for r in self._pending if not r.Test()]

    def _announce(self):
        mine = np.array([self._count], np.int64)
        self._pending += [self._side.Isend(mine, dest=r, tag=_ANNOUNCE_TAG)
                          for r in range(self.size) if r != self.rank]

    def _listen(self):
        status, buf = MPI.Status(), np.empty(1, np.int64)
        while self._side.Iprobe(source=MPI.ANY_SOURCE, tag=_ANNOUNCE_TAG, status=status):
            self._side.Recv(buf, source=status.Get_source(), tag=_ANNOUNCE_TAG)
            source = status.Get_source()
            self._heard[source] = max(self._heard.get(source, 0), int(buf[0]))

    def _stalled(self, what, waited):
        missing = [r for r in range(self.size)
                   if r != self.rank and self._heard.get(r, 0) < self._count]
        self.abort(f"deltaw.distributed: rank {self.rank} of {self.size} waited {waited:.1f} s in "
                   f"{what} (collective #{self._count}) for rank(s) {missing}, which did not "
                   f"arrive within DELTAW_MPI_TIMEOUT={self.timeout:g} s; aborting the job. "
                   "Hint: every rank must make the same calls (fit, evaluate, predict, "
                   "collectives) in the same order.")


_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


def _spin():
    return None


def _load_mpi4py():
    global MPI
    if MPI is not None:
        return
    try:
        from mpi4py import MPI as mpi
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("deltaw.distributed: this process was launched by mpiexec (or "
                          "DELTAW_MPI=1 is set), which needs mpi4py; install it with "
                          "`pip install deltaw[mpi]` (mpi4py and the mpich wheel).") from exc
    MPI = mpi
    _OPS.update(sum=MPI.SUM, max=MPI.MAX, min=MPI.MIN)


def _timeout_from_env() -> float:
    text = os.environ.get("DELTAW_MPI_TIMEOUT", "600")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"deltaw.distributed: DELTAW_MPI_TIMEOUT must be a number of seconds "
                         f"(0 turns the stall check off); got {text!r}.") from None
    return value


def _header(array) -> np.ndarray:
    header = np.zeros(_HEADER, np.int64)
    if array is None:
        header[0] = -1
        return header
    array = np.asarray(array)
    if array.dtype.hasobject or array.ndim > _MAX_DIMS:
        raise ValueError(f"deltaw.distributed: cannot send an array of dtype {array.dtype} with "
                         f"{array.ndim} dimensions; expected a numeric dtype and at most "
                         f"{_MAX_DIMS} dimensions.")
    header[0] = array.ndim
    header[1:1 + array.ndim] = array.shape
    header[-1] = np.frombuffer(array.dtype.str.encode().ljust(8, b"\0"), np.int64)[0]
    return header


def _shape_dtype(header):
    ndim = int(header[0])
    dtype = np.dtype(header[-1:].tobytes().rstrip(b"\0").decode())
    return tuple(int(d) for d in header[1:1 + ndim]), dtype


def _flush_then_abort(code):
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(0.3)   # the launcher forwards the output before MPI_Abort tears the job down
    MPI.COMM_WORLD.Abort(code)
