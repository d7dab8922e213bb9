"""Rank 1 fails while the other ranks wait in fit's first collective: the job must end.

Argument: `raise` (an exception once MPI runs), `early` (an exception before deltaw has started
MPI: only `import deltaw` ran) or `kill` (SIGKILL)."""

import os
import signal
import sys

import numpy as np

import deltaw.keras as keras

MODE = sys.argv[1]
RANK = int(os.environ.get("PMI_RANK", "0"))
if MODE == "early" and RANK == 1:
    raise RuntimeError("early boom on rank 1")

from deltaw.keras import distribution, layers  # noqa: E402

distribution.set_distribution(distribution.DataParallel())
if RANK == 1:
    if MODE == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise RuntimeError("boom on rank 1")
model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), batch_size=4, verbose=0)
