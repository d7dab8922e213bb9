"""Rank 1 raises (or, with the argument `kill`, is killed) while the other ranks wait in fit's
first collective: the job must end."""

import os
import signal
import sys

import numpy as np

import deltaw.keras as keras
from deltaw import distributed as dist
from deltaw.keras import distribution, layers

distribution.set_distribution(distribution.DataParallel())
if dist.rank() == 1:
    if sys.argv[1:] == ["kill"]:
        os.kill(os.getpid(), signal.SIGKILL)
    raise RuntimeError("boom on rank 1")
model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), batch_size=4, verbose=0)
