"""What fit, evaluate and predict do under a DataParallel distribution (distribution_lib.py).

The trainer calls these only when `active()`; each is a collective, called by every rank at the
same point of the same program. In one process none of them runs.

- `check_data` / `check_fit`: the ranks hold data of the same shapes, dtypes and leading rows,
  and (fit) every global batch has a row for every rank.
- `start`: the ranks hold the same variables (names, shapes, dtypes); rank 0's values (model and
  optimizer) are sent to all; ranks other than 0 reseed their generator from their rank.
- `shard`: a rank's rows of a global batch; `apply_gradients`: a step's update, by the one
  allreduce of `average_gradients` or sharded across the ranks (zero.py);
  `gather_optimizer_state` / `finish`: the sharded optimizer state made whole again;
  `global_logs`: logs from the metrics' states summed over the ranks (`summed_metrics`, which
  BackupAndRestore also uses to save them).
- `check_in_step`: after each epoch, the ranks' trainable weights are still bitwise equal.
- `local_data` / `gather_outputs`: evaluate's and predict's blocks of rows, and predict's rows
  gathered back in order.
"""

from __future__ import annotations

import contextlib
import json
import zlib

import numpy as np

from deltaw import distributed, random
from deltaw.keras.distribution import zero
from deltaw.keras.distribution.distribution_lib import data_parallel
from deltaw.keras.layers import nest
from deltaw.keras.trainers.compile_utils import MeanTracker
from deltaw.keras.trainers.data_adapter import ArrayData
from deltaw.tensor import Tensor

__all__ = ["active", "agree_order", "apply_gradients", "average_gradients", "check_data",
           "check_fit", "check_in_step", "finish", "gather_optimizer_state", "gather_outputs",
           "global_logs", "local_data", "shard", "start", "summed_metrics"]


_state = {"fitting": False}


def active() -> bool:
    return data_parallel() is not None


def _comm():
    return distributed.get_communicator()


def _gather_json(value):
    """Every rank's JSON-able `value`, in rank order (no pickle: JSON text as bytes)."""
    raw = np.frombuffer(json.dumps(value).encode(), np.uint8)
    return [json.loads(part.tobytes().decode()) for part in _comm().allgather(raw)]


def _first_difference(where, values, describe):
    """Raise on every rank naming the first rank whose value differs from rank 0's."""
    for r, value in enumerate(values[1:], start=1):
        if value != values[0]:
            raise ValueError(f"{where}: rank {r} differs from rank 0: {describe(values[0], value)}")


# ----------------------------------------------------------------------------- fit's checks
def _data_spec(data):
    if not isinstance(data, ArrayData):
        return {"kind": type(data).__name__}
    leaves = nest.flatten((data.x, data.y, data.sample_weight))
    head = [np.ascontiguousarray(a[:64]) for a in leaves if a is not None]
    return {"rows": data.num_samples,
            "arrays": [[list(a.shape), str(a.dtype)] for a in leaves if a is not None],
            "first_rows_crc32": [zlib.crc32(a.tobytes()) for a in head if a.dtype != object]}


def check_data(where, data):
    """The same data on every rank (rows, shapes, dtypes, checksums of the first rows)."""
    specs = _gather_json(_data_spec(data))

    def describe(a, b):
        return (f"its data is {json.dumps(b)}, rank 0's is {json.dumps(a)} (rows, then each "
                "array's shape and dtype, then checksums of the first 64 rows). Every rank must "
                "pass the same data: each takes its own rows of every global batch.")
    _first_difference(where, specs, describe)


def check_fit(where, data, batches):
    """Same data on every rank, and a row of every global batch for every rank."""
    check_data(where, data)
    size, bs = _comm().size, batches.batch_size
    if isinstance(data, ArrayData) and bs is not None:
        last = data.num_samples % bs
        if bs < size or 0 < last < size:
            rows = bs if bs < size else last
            raise ValueError(f"{where}: a global batch of {_plural(rows, 'row')} cannot give each "
                             f"of the {size} ranks a row; expected batch_size >= {size} and a last "
                             f"batch (samples % batch_size = {last}) of 0 or >= {size} rows "
                             f"(batch_size={bs}, {data.num_samples} samples).")


def _variables(model):
    optimizer_vars = getattr(model.optimizer, "variables", []) if model.optimizer else []
    return list(model.variables) + list(optimizer_vars)


def _describe_variable(i, v):
    return [i, getattr(v, "path", None) or v.name, list(v.shape), str(v.dtype)]


def start(model):
    """Check the variables agree, send rank 0's to all, give each rank its own random stream;
    from here to `finish`, steps may shard the optimizer update (zero.py)."""
    zero.gather_state(model.optimizer)   # a fit that raised may have left them partial
    _state["fitting"] = True
    variables = _variables(model)
    specs = _gather_json([_describe_variable(i, v) for i, v in enumerate(variables)])

    def describe(a, b):
        if len(a) != len(b):
            extra = (a if len(a) > len(b) else b)[min(len(a), len(b))]
            return (f"it has {len(b)} variables (model and optimizer), rank 0 has {len(a)}; "
                    f"the first unmatched is #{extra[0]} '{extra[1]}' {tuple(extra[2])} "
                    f"{extra[3]}. Every rank must build the same model.")
        i = next(k for k, (x, y) in enumerate(zip(a, b)) if x != y)
        return (f"variable #{i} is '{b[i][1]}' {tuple(b[i][2])} {b[i][3]} there and "
                f"'{a[i][1]}' {tuple(a[i][2])} {a[i][3]} on rank 0. Every rank must build the "
                "same model.")
    _first_difference("fit", specs, describe)
    _broadcast_values(variables)
    comm = _comm()
    if comm.rank:   # rank 0 keeps its stream: it draws what one process would
        base = int(random.generator().integers(2**63))
        random.seed(int(np.random.SeedSequence([base, comm.rank]).generate_state(1)[0]))


def _broadcast_values(variables):
    """Rank 0's values into every variable, one broadcast per dtype."""
    by_dtype = {}
    for v in variables:
        by_dtype.setdefault(v.data.dtype, []).append(v)
    for dtype, group in by_dtype.items():
        flat = np.concatenate([v.data.ravel() for v in group]) if group else np.empty(0, dtype)
        flat = _comm().broadcast(flat, 0)
        offset = 0
        for v in group:
            v.assign(flat[offset:offset + v.data.size].reshape(v.data.shape))
            offset += v.data.size


def finish(model):
    """The end of fit: the optimizer's full state on every rank (zero.py), steps unsharded."""
    gather_optimizer_state(model)
    _state["fitting"] = False


def gather_optimizer_state(model):
    """Every rank's shard of the optimizer's slots onto every rank, when sharded steps left them
    partial: before anything reads or saves them (a collective; a no-op otherwise)."""
    zero.gather_state(getattr(model, "optimizer", None))


def check_in_step(model, epoch):
    """After an epoch: every rank's trainable weights are bitwise rank 0's, else an error on
    every rank (a custom train_step that does not average its gradients makes them drift)."""
    crc = 0
    for v in model.trainable_variables:
        crc = zlib.crc32(np.ascontiguousarray(v.data).tobytes(), crc)
    sums = _comm().allgather(np.array([crc], np.int64))
    for r, other in enumerate(sums[1:], start=1):
        if other[0] != sums[0][0]:
            raise RuntimeError(
                f"fit: after epoch {epoch + 1} rank {r}'s trainable weights differ from rank "
                "0's; under DataParallel every rank must apply the same averaged gradients. "
                "Hint: a custom train_step must average its gradients over the ranks "
                "(deltaw.distributed.allreduce(g) for each g) before optimizer.apply.")


def agree_order(order):
    """Rank 0's shuffle order (the permutation a single process draws) on every rank."""
    return _comm().broadcast(np.asarray(order), 0)


# ----------------------------------------------------------------------------- each step
def _bounds(rows, size, rank):
    base, extra = divmod(rows, size)
    return rank * base + min(rank, extra), (rank + 1) * base + min(rank + 1, extra)


def shard(batch, where="fit"):
    """This rank's rows of a global batch: `rows // size` or one more, in rank order."""
    comm = _comm()
    rows = _rows(batch)
    if rows < comm.size:
        raise ValueError(f"{where}: a global batch of {_plural(rows, 'row')} cannot give each "
                         f"of the {comm.size} ranks a row; expected batches of at least "
                         f"{comm.size} rows.")
    lo, hi = _bounds(rows, comm.size, comm.rank)
    return nest.map_structure(lambda a: None if a is None else a[lo:hi], batch)


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _rows(batch):
    return next(len(a) for a in nest.flatten(batch) if a is not None)


def apply_gradients(optimizer, grads, variables, rows):
    """The built-in train step's update under DataParallel: the mean gradient over the global
    batch applied to `variables` on every rank, by the sharded update (zero.py) during fit when
    the distribution asks for it and the optimizer allows it, else by one allreduce
    (`average_gradients`) and the optimizer's own update on every rank."""
    if _state["fitting"] and data_parallel().shard_optimizer_state and \
            zero.try_step(optimizer, grads, variables, rows):
        return
    zero.gather_state(optimizer)   # after sharded steps, the full update needs whole slots
    optimizer.apply(average_gradients(grads, rows), variables)


def average_gradients(grads, rows):
    """The mean gradient over the global batch: one allreduce of every rank's gradients times its
    rows, packed in one buffer (variables in order) with the row count in its last slot."""
    arrays = [None if g is None else (g.data if isinstance(g, Tensor) else np.asarray(g))
              for g in grads]
    present = [a for a in arrays if a is not None]
    if not present:
        return grads
    buf, out = _buffers(sum(a.size for a in present) + 1, np.result_type(*present))
    offset = 0
    for a in present:
        np.multiply(a.ravel(), rows, out=buf[offset:offset + a.size])
        offset += a.size
    buf[-1] = rows
    total = _comm().allreduce(buf, "sum", out=out)
    total = total[:-1] / total[-1]          # the same division on every rank: identical bits
    out, offset = [], 0
    for g, a in zip(grads, arrays):
        if a is None:
            out.append(None)
            continue
        mean = total[offset:offset + a.size].reshape(a.shape).astype(a.dtype, copy=False)
        offset += a.size
        out.append(Tensor._from_op(mean, None) if isinstance(g, Tensor) else mean)
    return out


_BUFFERS = {}


def _buffers(size, dtype):
    """The send and receive buffers of the gradient allreduce, kept from step to step (MPI's
    transports are faster on memory they have seen: 40% on W2's 2 MB here)."""
    key = (size, np.dtype(dtype))
    if key not in _BUFFERS:
        _BUFFERS.clear()
        _BUFFERS[key] = np.empty(size, dtype), np.empty(size, dtype)
    return _BUFFERS[key]


def _metric_state(model):
    """`(arrays, trackers)`: the metric Variables' arrays and the loss trackers (floats)."""
    arrays, trackers = [], []
    for m in model.metrics:
        if isinstance(m, MeanTracker):
            trackers.append(m)
        else:
            arrays += [v.data for v in m.variables]
    for m in getattr(model._compile_loss, "metrics", []) if model._compile_loss else []:
        if isinstance(m, MeanTracker) and m not in trackers:
            trackers.append(m)
    return arrays, trackers


@contextlib.contextmanager
def summed_metrics(model):
    """Within: every metric's state is its sum over the ranks (the local states come back on
    leaving). A collective: every rank enters it."""
    arrays, trackers = _metric_state(model)
    local = [np.array([t.total, t.count]) for t in trackers] + [np.asarray(a) for a in arrays]
    flat = np.concatenate([a.ravel().astype(np.float64) for a in local]) if local else \
        np.zeros(0)
    summed = _comm().allreduce(flat, "sum")
    saved = [(t.total, t.count) for t in trackers], [a.copy() for a in arrays]
    offset = 0
    for t in trackers:
        t.total, t.count = float(summed[offset]), float(summed[offset + 1])
        offset += 2
    for a in arrays:
        a[...] = summed[offset:offset + a.size].reshape(a.shape)
        offset += a.size
    try:
        yield
    finally:
        for t, (total, count) in zip(trackers, saved[0]):
            t.total, t.count = total, count
        for a, old in zip(arrays, saved[1]):
            a[...] = old


def global_logs(model, logs):
    """Logs over all ranks: the metrics' results from their states summed over the ranks
    (the local states are left as they were); other logs (a custom step's) are averaged."""
    names = set(model.get_metrics_result())
    if not isinstance(logs, dict) or (logs and set(logs) != names):
        return _mean_logs(logs)
    with summed_metrics(model):
        return model.get_metrics_result()


def _mean_logs(logs):
    keys = sorted(logs)
    values = np.array([float(np.mean(logs[k])) for k in keys], np.float64)
    mean = _comm().allreduce(values, "sum") / _comm().size
    return dict(zip(keys, mean.tolist()))


# ----------------------------------------------------------------------------- evaluate, predict
def local_data(data):
    """`(data, rows)`: this rank's block of `data`'s samples (array data only; other data is
    returned whole, every rank going through all of it) and how many rows it holds."""
    if not isinstance(data, ArrayData):
        return data, None
    comm = _comm()
    lo, hi = _bounds(data.num_samples, comm.size, comm.rank)
    return data.split(lo)[1].split(hi - lo)[0], hi - lo


def gather_outputs(outputs, empty):
    """Every rank's predictions concatenated in rank order, on every rank. `empty`: this rank had
    no rows and computed one borrowed row, dropped here."""
    leaves = nest.flatten(outputs)
    gathered = [distributed.allgather(a[:0] if empty else a) for a in leaves]
    return nest.pack_sequence_as(outputs, gathered)
