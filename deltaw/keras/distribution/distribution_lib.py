"""DataParallel, DeviceMesh and the global distribution (Keras 3's distribution_lib names).

deltaw's devices are the ranks of the MPI launch, named "cpu:RANK" as Keras names CPU devices;
a plain process has the one device "cpu:0". Setting a `DataParallel` distribution makes `fit`,
`evaluate` and `predict` use every rank (data_parallel.py); with one rank they run exactly as
without a distribution.
"""

from __future__ import annotations

import warnings

import numpy as np

from deltaw import distributed

__all__ = ["DataParallel", "DeviceMesh", "distribution", "get_device_count", "initialize",
           "list_devices", "set_distribution"]

DEFAULT_BATCH_DIM_NAME = "batch"
_state = {"distribution": None, "filters": None}


def list_devices(device_type=None):
    """The devices of the launch: `["cpu:0", ..., "cpu:N-1"]`, one per MPI rank.

    Args:
        device_type: None or "cpu" (deltaw computes with NumPy on CPUs).
    """
    if device_type is not None and str(device_type).lower() != "cpu":
        raise ValueError(f"list_devices: deltaw's devices are CPUs (one per MPI rank); got "
                         f"device_type={device_type!r}, expected None or 'cpu'.")
    return [f"cpu:{r}" for r in range(distributed.size())]


def get_device_count(device_type=None):
    """The number of devices (MPI ranks) of the launch."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Start the communicator (MPI, when launched by mpiexec). The launcher already knows the
    job's processes: `num_processes` and `process_id`, when given, are checked against it;
    `job_addresses` is for JAX's coordinator and must stay None."""
    if job_addresses is not None:
        raise ValueError("initialize: deltaw's processes find each other through mpiexec; "
                         f"expected job_addresses=None, got {job_addresses!r}.")
    for name, given, actual in (("num_processes", num_processes, distributed.size()),
                                ("process_id", process_id, distributed.rank())):
        if given is not None and given != actual:
            raise ValueError(f"initialize: {name}={given!r} differs from the launch's "
                             f"{actual}; expected None or {actual}.")


class DeviceMesh:
    """A named grid of devices. DataParallel uses a 1-D mesh over all ranks.

    Args:
        shape: Tuple of ints, the mesh's shape.
        axis_names: One name per axis.
        devices: The devices, as many as the shape holds; default `list_devices()`.
    """

    def __init__(self, shape, axis_names, devices=None):
        shape, axis_names = tuple(shape), list(axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: shape {shape} and axis_names {axis_names} must have "
                             "the same length.")
        devices = np.array(list_devices() if devices is None else devices)
        if int(np.prod(shape)) != devices.size:
            raise ValueError(f"DeviceMesh: shape {shape} holds {int(np.prod(shape))} devices; "
                             f"got {devices.size} devices.")
        self._shape, self._axis_names = shape, axis_names
        self._devices = devices.reshape(shape)

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    def __repr__(self):
        return f"<DeviceMesh shape={self._shape} axis_names={self._axis_names}>"


class DataParallel:
    """Data parallelism over the ranks of an MPI launch (`mpiexec -n N python train.py`).

    With this distribution set, `fit(x, y, batch_size=B)` takes B as the **global** batch: every
    rank holds the same x and y, and each step rank r computes on its rows of the global batch
    (`B // N` or one more; uneven shards and a short last batch are fine). The gradient is the
    mean over the whole global batch (each rank's weighted by its rows), summed in one allreduce
    in a fixed order, so all ranks keep bitwise identical weights, and N ranks train the same
    weights as one process up to float32 rounding. `shuffle` uses rank 0's permutation, the one a
    single process with the same seed draws. Before the first step, fit checks that all ranks
    hold the same variables and the same data shapes (an error names the first rank and variable
    that differ) and sends rank 0's weights and optimizer state to every rank; ranks other than
    0 then reseed their random generator from their rank, so Dropout draws different masks.

    The logs (History, callbacks, the progress bar) are global: the metrics' states are summed
    over the ranks before their results are read (so a metric's state must add up over ranks, as
    Keras' built-in metrics' do). `evaluate` and validation split the samples into one block per
    rank; `predict` does too and returns every row, in order, on every rank. Only rank 0 prints
    the progress bar, `summary()` and warnings, and writes files (`ModelCheckpoint`, `CSVLogger`,
    `BackupAndRestore`; every rank reads the backup when resuming).

    Args:
        device_mesh: A 1-D `DeviceMesh` over all ranks (default: built from `devices`).
        devices: The devices to use; they must be all of `list_devices()`.
        auto_shard_dataset: Must be True: every rank holds all the data and takes its rows.
        shard_optimizer_state: deltaw's, keyword only (Keras has no such argument). True
            (default): during fit, each rank updates only its 1/N of the weights and optimizer
            slots (ZeRO stage 1, as DeepSpeed's `zero_optimization: {stage: 1}` and PyTorch's
            `ZeroRedundancyOptimizer`): a reduce-scatter of the gradients, the update of one
            shard, an allgather of the weights; the same traffic as the allreduce, 1/N of the
            update's arithmetic. The slots are made whole again on every rank at the end of
            each epoch and of fit and before BackupAndRestore or ModelCheckpoint save (a
            callback of yours that reads them mid-epoch first calls
            `deltaw.keras.distribution.data_parallel.gather_optimizer_state(model)`, on every
            rank). An optimizer whose update is not elementwise (Lamb, Muon, Adafactor,
            clipnorm, global_clipnorm, EMA, constraints, gradient accumulation, weight decay
            excluding some variables) or whose variables have mixed dtypes updates every weight
            on every rank, as with False. Both give the same weights up to float32 rounding.

    deltaw differs from Keras in that a distribution covers all ranks of the launch (a subset of
    devices is an error) and a custom `train_step` must average its gradients itself (with
    `deltaw.distributed.allreduce`); the built-in step does it.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True, *,
                 shard_optimizer_state=True):
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel: give device_mesh or devices, not both.")
        if not auto_shard_dataset:
            raise ValueError("DataParallel: deltaw shards the data itself (each rank takes its "
                             "rows of every global batch); expected auto_shard_dataset=True.")
        if device_mesh is None:
            devices = list_devices() if devices is None else list(devices)
            device_mesh = DeviceMesh((len(devices),), [DEFAULT_BATCH_DIM_NAME], devices)
        elif not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"DataParallel: device_mesh must be a DeviceMesh; got "
                             f"{type(device_mesh).__name__}.")
        everyone = list_devices()
        if sorted(device_mesh.devices.ravel().tolist()) != everyone:
            raise ValueError(f"DataParallel: the mesh must hold every rank of the launch "
                             f"{everyone}; got {device_mesh.devices.ravel().tolist()}.")
        self.device_mesh = device_mesh
        self.batch_dim_name = device_mesh.axis_names[0]
        self.auto_shard_dataset = True
        if not isinstance(shard_optimizer_state, bool):
            raise ValueError(f"DataParallel: shard_optimizer_state must be True or False; got "
                             f"{shard_optimizer_state!r}.")
        self.shard_optimizer_state = shard_optimizer_state

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def __repr__(self):
        return (f"<DataParallel over {self.num_model_replicas} rank(s), "
                f"shard_optimizer_state={self.shard_optimizer_state}>")


def set_distribution(value):
    """Make `value` (a DataParallel, or None) the distribution fit/evaluate/predict use.

    With more than one rank, the ranks other than 0 stop showing warnings while a distribution
    is set (rank 0 shows them; the ranks run the same program).
    """
    if value is not None and not isinstance(value, DataParallel):
        raise ValueError(f"set_distribution: expected a DataParallel or None; got "
                         f"{type(value).__name__}.")
    _state["distribution"] = value
    quiet = value is not None and distributed.rank() != 0
    if quiet and _state["filters"] is None:
        _state["filters"] = warnings.filters[:]
        warnings.simplefilter("ignore")
    elif not quiet and _state["filters"] is not None:
        warnings.filters[:] = _state["filters"]
        _state["filters"] = None


def distribution():
    """The distribution set by `set_distribution`, or None."""
    return _state["distribution"]


def data_parallel():
    """The active DataParallel when it spans more than one rank, else None (one process)."""
    if _state["distribution"] is None or distributed.size() == 1:
        return None
    return _state["distribution"]


def is_chief() -> bool:
    """Whether this process speaks and writes files: always, unless a DataParallel distribution
    is set and this is not rank 0."""
    return _state["distribution"] is None or distributed.rank() == 0
