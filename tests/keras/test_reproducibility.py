"""Reproducibility: the same seed gives bitwise identical training in fresh processes.

Two fresh interpreters (sys.executable, with different PYTHONHASHSEED values so that no set or
dict ordering can hide behind the hash seed) each build and train a model with glorot-initialized
Dense layers, Dropout and shuffled batches, twice: once for seed 5 and once for seed 6. One process
seeds with `dw.random.seed`, the other with `deltaw.keras.utils.set_random_seed`, first for seed 5,
then the other way round for seed 6: both entry points seed every generator training uses.
"""

import os
import subprocess
import sys

import numpy as np

import deltaw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(deltaw.__file__)))

SCRIPT = """
import sys
import numpy as np
import deltaw as dw
from deltaw.keras import layers, models, utils

out, runs = sys.argv[1], sys.argv[2:]
x = np.linspace(-1, 1, 40 * 6, dtype=np.float32).reshape(40, 6)
y = (np.arange(40) % 3)
arrays = {}
for run in runs:
    how, seed = run.split(":")
    (dw.random.seed if how == "dw" else utils.set_random_seed)(int(seed))
    model = models.Sequential([layers.Input((6,)), layers.Dense(10, activation="relu"),
                               layers.Dropout(0.5), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
    for i, w in enumerate(model.get_weights()):
        arrays[f"{seed}_{i}"] = w
np.savez(out, **arrays)
"""


def _train(tmp_path, tag, hash_seed, *runs):
    out = str(tmp_path / f"{tag}.npz")
    env = {**os.environ, "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, out, *runs], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with np.load(out, allow_pickle=False) as f:
        return {seed: [f[f"{seed}_{i}"] for i in range(4)] for seed in ("5", "6")}


def test_same_seed_gives_bitwise_identical_weights_in_fresh_processes(tmp_path):
    first = _train(tmp_path, "first", "1", "dw:5", "keras:6")
    second = _train(tmp_path, "second", "2", "keras:5", "dw:6")
    for seed in ("5", "6"):
        for a, b in zip(first[seed], second[seed], strict=True):
            assert a.dtype == b.dtype == np.float32
            assert np.array_equal(a.view(np.uint32), b.view(np.uint32))   # the float bits
    # a different seed gives different initial weights, dropout masks and batch order
    assert all(not np.array_equal(a, b) for a, b in zip(first["5"], first["6"], strict=True)
               if a.size > 3)
