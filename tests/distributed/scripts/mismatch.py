"""Bad input on some ranks must give the same clear error on every rank (caught, and written as
`<case> <message>` lines to `<dir>/errors_rank<R>.txt`), then rank 2 stops arriving and the
stall check must end the job. Argument: the directory."""

import sys
import time

import numpy as np

import deltaw.keras as keras
from deltaw import distributed as dist
from deltaw.keras import distribution, layers

RANK = dist.rank()
distribution.set_distribution(distribution.DataParallel())
x, y = np.ones((12, 3), "float32"), np.ones((12, 1), "float32")


def model(units=4):
    m = keras.Sequential([keras.Input((3,)), layers.Dense(units), layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    return m


cases = {
    "variables": lambda: model(5 if RANK == 1 else 4).fit(x, y, batch_size=6, verbose=0),
    "data": lambda: model().fit(x if RANK != 2 else x[:10], y if RANK != 2 else y[:10],
                                batch_size=6, verbose=0),
    "batch": lambda: model().fit(x, y, batch_size=2, verbose=0),
    "last_batch": lambda: model().fit(x[:11], y[:11], batch_size=5, verbose=0),
    "predict": lambda: model().predict(x if RANK != 1 else x[:, :2] * 0, verbose=0),
}
lines = []
for name, case in cases.items():
    try:
        case()
        lines.append(f"{name} none")
    except ValueError as exc:
        lines.append(f"{name} {exc}")
with open(f"{sys.argv[1]}/errors_rank{RANK}.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
dist.barrier()
if RANK == 2:
    time.sleep(60)
dist.barrier()
