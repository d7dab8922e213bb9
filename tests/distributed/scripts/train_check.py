"""Run by tests/distributed/test_mpi.py under `mpiexec -n N`: trains small models under
DataParallel; each rank writes its results to `<dir>/result_rank<R>.json` (the ranks' long lines
could interleave on stdout). Argument: the directory."""

import hashlib
import json
import sys

import numpy as np

import deltaw.keras as keras
from deltaw import distributed as dist
from deltaw.keras import callbacks, distribution, layers

OUT = sys.argv[1]
RANK = dist.rank()
distribution.set_distribution(distribution.DataParallel())


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 6)).astype("float32")
    y = (x[:, :1] * 2 - x[:, 1:2] + 0.3 * x[:, 2:3] > 0).astype("float32")
    return x, y


def digest(arrays):
    return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()


def train(optimizer, shuffle, verbose=0, extra=()):
    keras.utils.set_random_seed(3)
    x, y = data()
    model = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="tanh"),
                              layers.Dense(1, activation="sigmoid")])
    opt = (keras.optimizers.SGD(0.05, momentum=0.9) if optimizer == "sgd"
           else keras.optimizers.Adam(0.01))
    model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
    if verbose:
        model.summary()
    # 80 training rows in global batches of 24: 24, 24, 24, 8 rows (uneven shards for 3 ranks)
    history = model.fit(x, y, batch_size=24, epochs=3, shuffle=shuffle, validation_split=0.2,
                        verbose=verbose, callbacks=list(extra))
    weights = [v.data for v in model.weights]
    step = model.make_train_function()      # the compiled step replayed its recording
    replayed = any(p != "refused" for p in getattr(step, "_programs", {}).values())
    return {"weights": [w.ravel().tolist() for w in weights], "hash": digest(weights),
            "replayed": replayed, "history": history.history,
            "evaluate": model.evaluate(x, y, verbose=0),
            "predict": model.predict(x, batch_size=7, verbose=0).ravel().tolist()}


def batch_norm_run(synchronized):
    keras.utils.set_random_seed(4)
    x, y = data()
    model = keras.Sequential([keras.Input((6,)), layers.Dense(8),
                              layers.BatchNormalization(synchronized=synchronized),
                              layers.Activation("relu"), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="binary_crossentropy")
    model.fit(x, y, batch_size=24, epochs=2, verbose=0)
    weights = [v.data for v in model.weights]   # moving statistics included
    return {"weights": [w.ravel().tolist() for w in weights], "hash": digest(weights)}


class Interrupt(Exception):
    pass


class InterruptAt(callbacks.Callback):
    """Raises after batch `step` of epoch `epoch` (step None: at the epoch's end)."""

    def __init__(self, epoch, step=None):
        super().__init__()
        self.epoch, self.step, self.now = epoch, step, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.now = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.now, batch) == (self.epoch, self.step):
            raise Interrupt

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch and self.step is None:
            raise Interrupt


def resume_run(save_freq="epoch", step=None):
    """An uninterrupted fit and one interrupted in epoch 2 (at its end, or after batch `step`),
    then resumed with a fresh model (same seed): the same final weights and logs."""
    def run(interrupt):
        keras.utils.set_random_seed(6)
        x, y = data()
        model = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="tanh"),
                                  layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        backup = callbacks.BackupAndRestore(f"{OUT}/backup", save_freq=save_freq)
        extra = [InterruptAt(1, step)] if interrupt else []
        try:
            history = model.fit(x, y, batch_size=24, epochs=4, verbose=0,
                                callbacks=[backup, *extra])
        except Interrupt:
            return None
        return digest([v.data for v in model.weights]), history.history

    straight = run(False)
    assert run(True) is None
    resumed = run(False)
    return {"straight": straight[0], "resumed": resumed[0], "history": resumed[1],
            "straight_history": straight[1]}


def dropout_run():
    keras.utils.set_random_seed(5)
    x, y = data()
    model = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"),
                              layers.Dropout(0.5), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, batch_size=20, epochs=2, verbose=0)
    mask = layers.Dropout(0.5)(np.ones((64,), "float32"), training=True)
    return {"hash": digest([v.data for v in model.weights]), "mask": digest([mask.data])}


def collectives():
    n = dist.size()
    t = dist.allreduce(keras.ops.convert_to_tensor(np.full(3, RANK + 1.0, "float32")))
    return {"mean": dist.allreduce(np.array([RANK, 2.0 * RANK])).tolist(),
            "sum": dist.allreduce(RANK + 1, op="sum"), "max": dist.allreduce(RANK, op="max"),
            "min": dist.allreduce(float(RANK), op="min"), "tensor": t.numpy().tolist(),
            "gather": dist.allgather(np.full((RANK + 1, 2), RANK)).tolist(),
            "bcast": dist.broadcast(np.arange(3) * 10 if RANK == n - 1 else None,
                                    root=n - 1).tolist()}


result = {"rank": RANK, "size": dist.size(), "devices": distribution.list_devices(),
          "collectives": collectives(), "dropout": dropout_run(),
          "bn_sync": batch_norm_run(True), "bn_local": batch_norm_run(False),
          "resume": resume_run(), "resume_mid_epoch": resume_run(1, 1)}
for opt in ("sgd", "adam"):
    for shuffle in (False, True):
        writers = ([callbacks.CSVLogger(f"{OUT}/log_rank{RANK}.csv"),
                    callbacks.ModelCheckpoint(f"{OUT}/ckpt_rank{RANK}.weights.h5",
                                              save_weights_only=True, monitor="loss")]
                   if (opt, shuffle) == ("adam", True) else [])
        verbose = 2 if (opt, shuffle) == ("sgd", True) else 0
        result[f"{opt}_{'shuffle' if shuffle else 'ordered'}"] = train(opt, shuffle, verbose,
                                                                       writers)
with open(f"{OUT}/result_rank{RANK}.json", "w") as f:
    json.dump(result, f)
dist.barrier()
