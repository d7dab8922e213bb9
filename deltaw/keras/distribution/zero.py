"""The optimizer update sharded across the ranks: ZeRO stage 1.

`DataParallel(shard_optimizer_state=True)`, the default, uses it during fit.

ZeRO (Rajbhandari et al., 2020; DeepSpeed's stage 1, PyTorch's `ZeroRedundancyOptimizer`)
splits the optimizer's work instead of repeating it on every rank. A step on N ranks:

1. pack: every rank writes rows * gradient into one buffer cut into N segments (the optimizer's
   P flat parameters, `P // N` elements each or one more), each segment followed by one slot
   holding the rank's rows;
2. reduce-scatter: rank r receives segment r summed over the ranks, and the global rows;
3. rank r divides its segment by the global rows (the mean gradient over the global batch, as
   the allreduce path computes it) and runs the optimizer's update on elements [lo_r, hi_r) of
   the flat parameters and slots only;
4. allgather: every rank's updated parameters into every rank's flat parameters.

The traffic is one allreduce's (a ring allreduce is a reduce-scatter and an allgather); the
update's arithmetic is divided by N. Each element is summed once and updated once, on one rank,
then copied: the ranks hold bitwise identical weights by construction, and a run is bitwise
reproducible for the same rank count. The update is elementwise (`Optimizer._shardable` says when),
so each element gets the same operations as in the replicated update.

Each rank keeps full-size slots, but only its own segment of them is current during fit;
`gather_state` copies every rank's segment to every rank (a collective) before anything may read
them: at the end of each epoch and of fit, and before BackupAndRestore or ModelCheckpoint save.
"""

from __future__ import annotations

import weakref

import numpy as np

from deltaw import distributed
from deltaw.tensor import Tensor

__all__ = ["gather_state", "try_step"]

_SHARDS = weakref.WeakKeyDictionary()   # optimizer -> _Shards


def _bounds(total, size, rank):
    base, extra = divmod(total, size)
    return rank * base + min(rank, extra), (rank + 1) * base + min(rank + 1, extra)


class _Shards:
    """The segments of an optimizer's flat parameters and the packing of gradients into them."""

    def __init__(self, flat, sizes, size, rank):
        total, dtype = sum(sizes), flat.params.dtype
        self.flat = flat
        self.slots = [slot.data for slot in flat.slots.values()]   # gathered even if the
        # optimizer later drops its flat layout (a variable's array replaced)
        self.bounds = [_bounds(total, size, r) for r in range(size)]
        self.lo, self.hi = self.bounds[rank]
        self.counts = [hi - lo for lo, hi in self.bounds]
        self.send = np.empty(total + size, dtype)     # each segment, then its rows slot
        self.rows_slots = [hi + r for r, (_, hi) in enumerate(self.bounds)]
        self.pieces = []   # per gradient: (start, stop) in it, start in `send`
        offset = 0
        for n in sizes:
            parts = []
            for r, (lo, hi) in enumerate(self.bounds):
                a, b = max(lo, offset), min(hi, offset + n)
                if a < b:
                    parts.append((a - offset, b - offset, a + r))
            self.pieces.append(parts)
            offset += n
        self.grad = np.empty(self.hi - self.lo, dtype)
        self.recv = np.empty(self.hi - self.lo + 1, dtype)   # reused: MPI is faster on
        # memory it has seen (data_parallel._buffers)
        self.stale = False  # the slots hold other ranks' segments from before the last step

    def pack(self, arrays, rows):
        send = self.send
        for a, parts in zip(arrays, self.pieces):
            flat = a.reshape(-1)
            for start, stop, at in parts:
                np.multiply(flat[start:stop], rows, out=send[at:at + stop - start])
        send[self.rows_slots] = rows
        return send


def try_step(optimizer, grads, variables, rows) -> bool:
    """Apply the mean gradient over the global batch to `variables` with the sharded update,
    when the optimizer allows it (`Optimizer._shardable`); False (nothing done) otherwise."""
    if not hasattr(optimizer, "_shardable"):   # not a deltaw Optimizer
        return False
    if not optimizer.built:
        optimizer.build(variables)
    arrays = [g.data if isinstance(g, Tensor) else g for g in grads]
    if not optimizer._shardable(arrays, variables):
        return False
    comm = distributed.get_communicator()
    shards = _SHARDS.get(optimizer)
    flat = optimizer._flat
    if shards is None or shards.flat is not flat:
        gather_state(optimizer)
        shards = _SHARDS[optimizer] = _Shards(flat, [a.size for a in arrays], comm.size,
                                              comm.rank)
    mine = comm.reduce_scatter(shards.pack(arrays, rows), [c + 1 for c in shards.counts],
                               out=shards.recv)
    np.divide(mine[:-1], mine[-1], out=shards.grad)   # the allreduce path's division
    optimizer._apply_flat_slice(shards.grad, shards.lo, shards.hi)
    comm.allgather_into(flat.params, shards.counts)
    shards.stale = True
    return True


def gather_state(optimizer):
    """Every rank's segment of the optimizer's slots onto every rank, when a sharded step left
    them partial (a collective: every rank calls it at the same point; else a no-op)."""
    shards = _SHARDS.get(optimizer) if hasattr(optimizer, "_shardable") else None
    if shards is None or not shards.stale:
        return
    comm = distributed.get_communicator()
    for slot in shards.slots:
        comm.allgather_into(slot, shards.counts)
    shards.stale = False
