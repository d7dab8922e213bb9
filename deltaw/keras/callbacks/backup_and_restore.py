"""BackupAndRestore: continue an interrupted `fit` exactly where it stopped."""

from __future__ import annotations

import json
import os
import random as _py_random
import warnings

import numpy as np

from deltaw import distributed
from deltaw import random as _dw_random
from deltaw._checks import truncate
from deltaw.io import safetensors as st
from deltaw.io.atomic import atomic_write, is_temporary_file
from deltaw.io.errors import ModelFileError
from deltaw.keras.callbacks.callback import Callback, decode_arrays, encode_arrays
from deltaw.keras.distribution.distribution_lib import data_parallel, is_chief

__all__ = ["BackupAndRestore"]

FORMAT_VERSION = 1
METADATA_KEY = "deltaw_backup"
LATEST, PREVIOUS = "latest.safetensors", "previous.safetensors"


class BackupAndRestore(Callback):
    """Backs up the whole training state so that a killed `fit` resumes bit for bit.

    At the end of every epoch (or every `save_freq` batches) the state is written atomically to
    one file, `<backup_dir>/latest.safetensors` (the safetensors layout plus JSON metadata,
    through `deltaw.io`; no pickle). When `fit` runs again with this callback after a crash, it
    restores the state in `on_train_begin` and continues at the saved epoch and step, with the
    same batches in the same order, the same dropout draws and the same optimizer state: the
    final weights equal those of an uninterrupted run exactly. After a `fit` that completes,
    the backup is deleted (`delete_checkpoint=True`).

    The state saved:

    - every model weight (`model.weights`: trainable and non-trainable, e.g. BatchNormalization
      moving statistics) and every optimizer variable (`optimizer.variables`: the iteration
      count, which is also a schedule's position, the learning rate, however callbacks set it,
      and every slot);
    - the random generators: deltaw's (`dw.random`: dropout, shuffling, initializers), every
      `np.random.Generator` held by a layer (layers built with `seed=`), NumPy's legacy global
      generator and Python's `random`;
    - the position: epoch, step within it, and the order of the data pass under way (the
      epoch's permutation), so a resumed epoch starts at step k with the batches it would have
      had;
    - the running state of the metrics and the loss (a mid-epoch resume reports the same epoch
      logs), the last batch and epoch logs;
    - the state of every callback that has `get_state()` (History, EarlyStopping,
      ReduceLROnPlateau, ModelCheckpoint, ...), matched by class and order on restore.

    Under a data-parallel distribution (keras.distribution) rank 0 writes the backup (with the
    metrics' states summed over the ranks) and every rank waits until it is written; after a
    relaunch every rank reads it (the folder must be one they all see) and the run resumes on
    all ranks, bit for bit for the same rank count.

    Args:
        backup_dir: Folder for the backup (created if needed). Use it for nothing else: the
            callback deletes its own files from it when training completes.
        save_freq: 'epoch' (save at each epoch's end) or a positive int N: save every N
            training batches (counted across epochs).
        double_checkpoint: Also keep the previous backup (`previous.safetensors`); if the
            latest one cannot be read, the previous one is restored (with a warning).
        delete_checkpoint: Delete the backup once `fit` completes (also when a callback stopped
            it early, as in Keras).

    Differences from Keras 3: Keras restores only the weights and the epoch number (a
    mid-epoch backup restarts that epoch from its first batch with the later weights); deltaw
    restores everything above and resumes at the saved step. Keras deletes `backup_dir` with
    everything in it; deltaw deletes only its files (and the folder once empty). The callback
    runs after every other callback (CallbackList moves it last), so a backup holds the effects
    of all hooks of the batch or epoch. A backup is not written while `model.stop_training` is
    set: resuming from the previous one replays the same steps to the same stop.

    Generators as input cannot be rewound: a resumed run takes batches from the new generator
    from its start.

    Raises:
        ValueError: Bad arguments; on restore, a backup written for other data, batch size,
            shuffling or callbacks than this `fit` call's.
        ModelFileError: The backup file is corrupted or does not fit the model (and no readable
            previous backup exists).

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[BackupAndRestore("backup")])  # doctest: +SKIP
        >>> # killed in epoch 4; the same line run again continues in epoch 4, same step
    """

    _runs_last = True

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: backup_dir must be a folder path; got "
                             f"{backup_dir!r}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a positive integer; "
                             f"got {save_freq!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._callback_list = None  # set by CallbackList
        self._epoch = 0
        self._batches_since_save = 0
        self._epoch_logs = {}

    @property
    def _paths(self):
        return os.path.join(self.backup_dir, LATEST), os.path.join(self.backup_dir, PREVIOUS)

    # ----- hooks
    def on_train_begin(self, logs=None):
        self._epoch, self._batches_since_save, self._epoch_logs = 0, 0, {}
        found = self._read()
        if found is not None:
            self._restore(*found)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch_logs = dict(logs or {})
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, {})

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            self._delete()

    # ----- saving
    def _save(self, epoch, step, batch_logs):
        if self.model.stop_training:
            return
        try:
            if data_parallel() is None:
                self._write(epoch, step, batch_logs)
            else:   # rank 0 saves the metrics' states summed over the ranks
                from deltaw.keras.distribution.data_parallel import (
                    gather_optimizer_state,
                    summed_metrics,
                )

                gather_optimizer_state(self.model)   # whole again if the update is sharded
                with summed_metrics(self.model):
                    self._write(epoch, step, batch_logs)
        finally:
            self._saved()

    def _write(self, epoch, step, batch_logs):
        if not is_chief():   # rank 0 writes; every rank reads
            return
        tensors, info = _collect(self.model, self._stateful_callbacks())
        info["position"] = {"epoch": epoch, "step": step,
                            "batch_logs": _encode_logs(batch_logs),
                            "epoch_logs": _encode_logs(self._epoch_logs)}
        blob = st.serialize(tensors, {METADATA_KEY: json.dumps(info)})
        latest, previous = self._paths
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(latest):
            os.replace(latest, previous)  # atomic; a crash now leaves `previous` to restore
        atomic_write(latest, blob)

    def _saved(self):
        # a data-parallel run's ranks leave together once rank 0 has written: a rank that
        # restarts fit at once then reads the new backup, not a missing or older one
        if data_parallel() is not None:
            distributed.barrier()

    def _stateful_callbacks(self):
        peers = self._callback_list.callbacks if self._callback_list is not None else ()
        return [cb for cb in peers if cb is not self and type(cb).get_state is not
                Callback.get_state]

    def _delete(self):
        latest, previous = self._paths
        if not is_chief() or not os.path.isdir(self.backup_dir):
            return
        for name in os.listdir(self.backup_dir):
            path = os.path.join(self.backup_dir, name)
            if path in (latest, previous) or any(is_temporary_file(name, t)
                                                 for t in (latest, previous)):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)
        except OSError:  # not empty: the user keeps other files there
            pass

    # ----- restoring
    def _read(self):
        """`(tensors, info, path)` of the newest readable backup, or None without one."""
        latest, previous = self._paths
        first_error = None
        for path in (latest, previous) if self.double_checkpoint else (latest,):
            if not os.path.exists(path):
                continue
            try:
                return (*_parse(path), path)
            except ModelFileError as exc:
                if first_error is not None or not self.double_checkpoint:
                    raise first_error or exc from None
                first_error = exc
                warnings.warn(f"BackupAndRestore: {exc} Restoring the previous backup instead.",
                              UserWarning, stacklevel=4)
        if first_error is not None:
            raise first_error
        return None

    def _restore(self, tensors, info, path):
        label = f"BackupAndRestore: {path!r}"
        position = info["position"]
        apply = _check_and_prepare(self.model, tensors, info, self._stateful_callbacks(), label)
        apply()  # everything was checked first: a failed restore changes nothing
        if not is_chief():   # the backup holds the metrics' global sums: rank 0 carries them
            self.model.reset_metrics()
        self._epoch = position["epoch"]
        self._epoch_logs = _decode_logs(position["epoch_logs"])


# --------------------------------------------------------------------------------------------
# The state, as tensors and JSON. Arrays go to tensors, never into the JSON.

def _metric_holders(model):
    """Each metric's state: ('variables', [Variable, ...]) or ('tracker', MeanTracker)."""
    out = []
    for m in getattr(model, "metrics", None) or ():
        variables = list(getattr(m, "variables", None) or ())
        if variables:
            out.append(("variables", variables))
        elif hasattr(m, "total") and hasattr(m, "count"):
            out.append(("tracker", m))
    return out


def _metric_arrays(model):
    arrays = []
    for kind, holder in _metric_holders(model):
        if kind == "variables":
            arrays += [np.array(v.data) for v in holder]
        else:
            arrays.append(np.array([holder.total, holder.count], dtype=np.float64))
    return arrays


def _layer_generators(model):
    """`{key: np.random.Generator}` for every generator a layer holds (layers with `seed=`)."""
    flatten = getattr(model, "_flatten_layers", None)
    layers = list(flatten()) if flatten is not None else [model]
    out = {}
    for i, layer in enumerate(layers):
        for attr, value in sorted(vars(layer).items()):
            if isinstance(value, np.random.Generator):
                out[f"{i}:{type(layer).__name__}.{attr}"] = value
    return out


def _random_state(model, tensors):
    name, keys, pos, has_gauss, cached = np.random.get_state()
    tensors["random/numpy_keys"] = np.asarray(keys, dtype=np.uint32)
    version, internal, gauss_next = _py_random.getstate()
    return {"deltaw": _dw_random.get_state(),
            "layers": {k: g.bit_generator.state for k, g in _layer_generators(model).items()},
            "numpy": [name, int(pos), int(has_gauss), float(cached)],
            "python": [version, list(internal), gauss_next]}


def _pack(value, tensors):
    """Move the base64 arrays of callback states (`encode_arrays` dicts) into tensors."""
    if isinstance(value, dict):
        if set(value) == {"dtype", "shape", "data"}:
            name = f"callbacks/{sum(k.startswith('callbacks/') for k in tensors):04d}"
            tensors[name] = decode_arrays([value])[0]
            return {"__tensor__": name}
        return {k: _pack(v, tensors) for k, v in value.items()}
    if isinstance(value, list):
        return [_pack(v, tensors) for v in value]
    return value


def _unpack(value, tensors, label):
    if isinstance(value, dict):
        if set(value) == {"__tensor__"}:
            if value["__tensor__"] not in tensors:
                _fail(label, f"a callback state names tensor {str(value['__tensor__'])[:60]!r}, "
                             "which the file does not hold.")
            return encode_arrays([tensors[value["__tensor__"]]])[0]
        return {k: _unpack(v, tensors, label) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpack(v, tensors, label) for v in value]
    return value


def _encode_logs(logs):
    from deltaw.keras.callbacks.history import _encode

    return {str(k): _encode(v) for k, v in (logs or {}).items()}


def _decode_logs(logs):
    from deltaw.keras.callbacks.history import _decode

    return {k: _decode(v) for k, v in logs.items()}


def _data_signature(iterator):
    if iterator is None:
        return None
    data = iterator.data
    return {"num_samples": data.num_samples, "batch_size": iterator.batch_size,
            "shuffle": iterator.shuffle, "steps_per_epoch": iterator.steps_per_epoch}


def _collect(model, callbacks):
    """`(tensors, info)`: everything a resumed run needs (see the class docstring)."""
    from deltaw.keras.models import saving

    arrays, names = saving._weights_and_names(model)
    tensors = {f"weights/{i:04d}": a for i, a in enumerate(arrays)}
    optimizer = getattr(model, "optimizer", None)
    opt_names = []
    for i, v in enumerate(optimizer.variables if optimizer is not None else ()):
        tensors[f"optimizer/{i:04d}"] = np.array(v.data)
        opt_names.append(saving._weight_name(v, i))
    metrics = _metric_arrays(model)
    tensors.update({f"metrics/{i:04d}": a for i, a in enumerate(metrics)})
    iterator = getattr(model, "_epoch_iterator", None)
    iterator_state = None
    if iterator is not None:
        state = iterator.get_state()
        if state["order"] is not None:
            tensors["iterator/order"] = np.asarray(state["order"], dtype=np.int64)
        iterator_state = {"position": int(state["position"]),
                          "order": "iterator/order" if state["order"] is not None else None}
    info = {
        "format_version": FORMAT_VERSION, "kind": "backup", "deltaw_version": saving._version(),
        "weight_names": names, "optimizer_variables": opt_names, "metrics": len(metrics),
        "data": _data_signature(iterator), "iterator": iterator_state,
        "random": _random_state(model, tensors),
        "callbacks": [{"class_name": type(cb).__name__, "state": _pack(cb.get_state(), tensors)}
                      for cb in callbacks],
    }
    return tensors, info


# --------------------------------------------------------------------------------------------
# Reading: every value from the file is checked before the first one is assigned.

def _fail(label, what):
    raise ModelFileError(f"{label}: {what}")


def _parse(path):
    label = f"BackupAndRestore: {path!r}"
    with open(path, "rb") as f:
        data = f.read()
    tensors, metadata = st.deserialize(data, where=label)
    if not metadata or METADATA_KEY not in metadata:
        _fail(label, "the file has no 'deltaw_backup' metadata; expected a backup written by "
                     "BackupAndRestore.")
    info = st.loads_json(metadata[METADATA_KEY], where=label, what="the backup metadata")
    if not isinstance(info, dict) or info.get("kind") != "backup":
        _fail(label, "the backup metadata must be a JSON object of kind 'backup'; got "
                     f"{str(info)[:80]}.")
    if type(info.get("format_version")) is not int or info["format_version"] != FORMAT_VERSION:
        _fail(label, f"unsupported format_version {str(info.get('format_version'))[:40]}; "
                     f"expected {FORMAT_VERSION}.")
    _check_schema(info, label)
    return tensors, info


def _is_int(value, low=0):
    return type(value) is int and value >= low


def _check_schema(info, label):
    position = info.get("position")
    if not (isinstance(position, dict) and _is_int(position.get("epoch"))
            and _is_int(position.get("step")) and isinstance(position.get("batch_logs"), dict)
            and isinstance(position.get("epoch_logs"), dict)):
        _fail(label, "'position' must be {'epoch': int >= 0, 'step': int >= 0, 'batch_logs': "
                     f"dict, 'epoch_logs': dict}}; got {str(position)[:120]}.")
    for key in ("weight_names", "optimizer_variables"):
        value = info.get(key)
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            _fail(label, f"{key!r} must be a list of strings; got {str(value)[:80]}.")
    if not _is_int(info.get("metrics")):
        _fail(label, f"'metrics' must be an int >= 0; got {str(info.get('metrics'))[:40]}.")
    iterator = info.get("iterator")
    if iterator is not None and not (isinstance(iterator, dict)
                                     and _is_int(iterator.get("position"))
                                     and iterator.get("order") in (None, "iterator/order")):
        _fail(label, f"'iterator' must be null or {{'position': int, 'order': null or "
                     f"'iterator/order'}}; got {str(iterator)[:120]}.")
    rnd = info.get("random")
    if not (isinstance(rnd, dict) and isinstance(rnd.get("deltaw"), dict)
            and isinstance(rnd.get("layers"), dict) and isinstance(rnd.get("numpy"), list)
            and len(rnd["numpy"]) == 4 and isinstance(rnd.get("python"), list)
            and len(rnd["python"]) == 3):
        _fail(label, f"'random' is malformed; got {str(rnd)[:120]}.")
    callbacks = info.get("callbacks")
    if not (isinstance(callbacks, list) and all(
            isinstance(c, dict) and isinstance(c.get("class_name"), str)
            and isinstance(c.get("state"), dict) for c in callbacks)):
        _fail(label, f"'callbacks' must be a list of {{'class_name', 'state'}}; got "
                     f"{str(callbacks)[:120]}.")


def _take(tensors, prefix, count, label):
    names = [f"{prefix}/{i:04d}" for i in range(count)]
    missing = [n for n in names if n not in tensors]
    if missing:
        _fail(label, f"missing tensors {truncate(missing, 5)}; expected {count} under "
                     f"'{prefix}/'.")
    return [tensors[n] for n in names]


def _check_data(model, info, tensors, label):
    """The iterator state to resume with; raises when this fit's data differs from the run's."""
    iterator = getattr(model, "_epoch_iterator", None)
    saved, now = info.get("data"), _data_signature(iterator)
    if saved != now:
        def text(sig):
            return "unknown" if sig is None else ", ".join(f"{k}={v!r}" for k, v in sig.items())
        raise ValueError(f"{label}: the backup was written by fit with {text(saved)}; this fit "
                         f"has {text(now)}; expected the same data and arguments. Hint: delete "
                         "the backup folder to start training over.")
    state = info.get("iterator")
    if iterator is None or state is None:
        return {"order": None, "position": 0}
    order = None
    if state["order"] is not None:
        order = tensors.get("iterator/order")
        n, bs = iterator.data.num_samples, iterator.batch_size
        expected = np.arange(0, n, bs) if iterator.shuffle == "batch" else np.arange(n)
        if order is None or order.shape != expected.shape or order.dtype.kind not in "iu" or \
                not np.array_equal(np.sort(order), expected):
            _fail(label, f"'iterator/order' must be a permutation of {expected.size} batch or "
                         "sample indices; it is not.")
    passes = iterator._batches_per_pass
    if passes is not None and state["position"] > passes:
        _fail(label, f"the iterator position {state['position']} is past the {passes} batches "
                     "of a pass.")
    return {"order": order, "position": state["position"]}


def _check_callbacks(callbacks, saved, tensors, label):
    have = [type(cb).__name__ for cb in callbacks]
    want = [c["class_name"] for c in saved]
    if have != want:
        raise ValueError(f"{label}: the backup holds the state of the callbacks "
                         f"[{truncate(want, 8)}] but this fit has [{truncate(have, 8)}]; expected "
                         "the same stateful callbacks, in the same order, as the interrupted "
                         "run.")
    return [_unpack(c["state"], tensors, label) for c in saved]


def _check_metrics(model, arrays, label):
    now = _metric_arrays(model)
    if len(now) != len(arrays) or any(a.shape != b.shape for a, b in zip(now, arrays)):
        _fail(label, f"the file holds {len(arrays)} metric states but the model has {len(now)} "
                     "(or their shapes differ); expected the model compiled with the same "
                     "loss and metrics.")


def _check_random(model, rnd, label):
    generators = _layer_generators(model)
    if set(generators) != set(rnd["layers"]):
        _fail(label, f"the file holds generators for layers [{truncate(sorted(rnd['layers']))}] "
                     f"but the model has [{truncate(sorted(generators))}]; expected the same "
                     "architecture.")
    states = [(_dw_random.generator(), rnd["deltaw"])]
    states += [(g, rnd["layers"][k]) for k, g in generators.items()]
    for gen, state in states:
        try:  # a scratch generator of the same kind validates the state without side effects
            type(gen.bit_generator)().state = state
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            _fail(label, f"a random generator state is invalid ({str(exc)[:100]}).")
    return states


def _check_and_prepare(model, tensors, info, callbacks, label):
    """Check the whole backup against `model`; return a function that assigns it."""
    from deltaw.keras.models import saving

    weights = _take(tensors, "weights", len(info["weight_names"]), label)
    variables = list(model.weights)
    saving._check_arrays(label, "weight", variables, weights, info["weight_names"],
                         paths=saving._weight_paths(model))
    slots = _take(tensors, "optimizer", len(info["optimizer_variables"]), label)
    opt_variables = []
    if slots:
        if getattr(model, "optimizer", None) is None:
            _fail(label, "the backup holds optimizer variables but the model is not compiled.")
        opt_variables = saving._optimizer_variables(model, len(slots), label)
        saving._check_arrays(label, "optimizer variable", opt_variables, slots,
                             info["optimizer_variables"])
    metrics = _take(tensors, "metrics", info["metrics"], label)
    _check_metrics(model, metrics, label)
    iterator_state = _check_data(model, info, tensors, label)
    states = _check_callbacks(callbacks, info["callbacks"], tensors, label)
    generators = _check_random(model, info["random"], label)
    legacy, py_state = info["random"]["numpy"], info["random"]["python"]
    keys = tensors.get("random/numpy_keys")
    try:  # scratch generators validate the states without touching the real ones
        np.random.RandomState().set_state((legacy[0], keys, *legacy[1:]))
        _py_random.Random().setstate((py_state[0], tuple(py_state[1]), py_state[2]))
    except (TypeError, ValueError, OverflowError) as exc:
        _fail(label, f"the NumPy or Python random state is malformed ({str(exc)[:100]}).")
    position = info["position"]

    def apply():
        for v, a in zip(variables, weights, strict=True):
            v.assign(a)
        for v, a in zip(opt_variables, slots, strict=True):
            v.assign(a)
        for (kind, holder), a in zip(_metric_holders_flat(model), metrics, strict=True):
            if kind == "variable":
                holder.assign(a)
            else:
                holder.total, holder.count = type(holder.total)(a[0]), type(holder.count)(a[1])
        for cb, state in zip(callbacks, states, strict=True):
            cb.set_state(state)
        for gen, state in generators:
            gen.bit_generator.state = state
        np.random.set_state((legacy[0], keys, legacy[1], legacy[2], legacy[3]))
        _py_random.setstate((py_state[0], tuple(py_state[1]), py_state[2]))
        model._resume_state = {"epoch": position["epoch"], "step": position["step"],
                               "iterator": iterator_state,
                               "batch_logs": _decode_logs(position["batch_logs"]),
                               "epoch_logs": _decode_logs(position["epoch_logs"])}

    return apply


def _metric_holders_flat(model):
    for kind, holder in _metric_holders(model):
        if kind == "variables":
            yield from (("variable", v) for v in holder)
        else:
            yield "tracker", holder
