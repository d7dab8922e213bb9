"""Run by tests/distributed/test_zero.py under `mpiexec -n N`: each optimizer trains the same
model with the sharded optimizer update (ZeRO-1) and with the replicated one; each rank writes
`<dir>/zero_rank<R>.json` with, per optimizer and mode, hashes of the weights and of the
optimizer's state, the final weights, whether the sharded path ran, and a ModelCheckpoint's
optimizer state (saved mid-epoch, when the slots are sharded) read back. Argument: the directory.
"""

import hashlib
import json
import sys

import numpy as np

import deltaw.keras as keras
from deltaw import distributed as dist
from deltaw.keras import callbacks, distribution, layers, optimizers
from deltaw.keras.distribution import zero

OUT = sys.argv[1]
RANK = dist.rank()
OPTIMIZERS = {   # name -> (factory, shards: whether its update is elementwise)
    "sgd": (lambda: optimizers.SGD(0.05, momentum=0.9), True),
    "adam": (lambda: optimizers.Adam(0.01), True),
    "adamw": (lambda: optimizers.AdamW(0.01, weight_decay=0.05), True),
    "nadam_clipvalue": (lambda: optimizers.Nadam(0.01, clipvalue=0.05), True),
    "rmsprop": (lambda: optimizers.RMSprop(0.01, momentum=0.5), True),
    # sharded until a callback freezes the first layer mid-epoch: then the update of the
    # remaining variables is replicated, from the slots gathered whole first
    "adam_freeze": (lambda: optimizers.Adam(0.01), True),
    "lamb": (lambda: optimizers.Lamb(0.01), False),
    "adafactor": (lambda: optimizers.Adafactor(0.05), False),
    "adam_clipnorm": (lambda: optimizers.Adam(0.01, clipnorm=0.05), False),
    "sgd_global_clipnorm": (lambda: optimizers.SGD(0.05, global_clipnorm=0.05), False),
}


def digest(arrays):
    return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()


class FreezeFirstLayer(callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        if self.model.optimizer.iterations.numpy() == 7:   # epoch 2, its third batch
            self.model.layers[0].trainable = False


def run(name, shard):
    distribution.set_distribution(distribution.DataParallel(shard_optimizer_state=shard))
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 5)).astype("float32")
    y = (x[:, :1] - x[:, 1:2] > 0).astype("float32")
    model = keras.Sequential([keras.Input((5,)), layers.Dense(7, activation="tanh"),
                              layers.Dense(1, activation="sigmoid")])
    optimizer = OPTIMIZERS[name][0]()
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    path = f"{OUT}/{name}_{int(shard)}.keras"
    # 90 rows in global batches of 20: 20, 20, 20, 20, 10 (uneven shards for 3 and 4 ranks);
    # the checkpoint is written after batch 3 of epoch 1, mid-epoch
    save = callbacks.ModelCheckpoint(path, save_freq=3) if name in ("adam", "lamb") else None
    extra = [save] if save else [FreezeFirstLayer()] if name == "adam_freeze" else []
    history = model.fit(x, y, batch_size=20, epochs=3, shuffle=True, verbose=0,
                        callbacks=extra)
    out = {"weights": [w.ravel().tolist() for w in model.get_weights()],
           "hash": digest(model.get_weights()),
           "optimizer_hash": digest(optimizer.get_weights()),
           "sharded": optimizer in zero._SHARDS,
           "loss": history.history["loss"]}
    if save is not None:
        dist.barrier()   # rank 0 wrote it
        loaded = keras.models.load_model(path)
        out["checkpoint_optimizer_hash"] = digest(loaded.optimizer.get_weights())
        out["checkpoint_iterations"] = int(loaded.optimizer.iterations.numpy())
    return out


result = {"rank": RANK, "size": dist.size()}
for name in OPTIMIZERS:
    result[name] = {str(shard): run(name, shard) for shard in (True, False)}
with open(f"{OUT}/zero_rank{RANK}.json", "w") as f:
    json.dump(result, f)
dist.barrier()
