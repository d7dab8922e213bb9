"""The doctor's cost: TrainingMonitor at its default frequency (one diagnosis per epoch on a
256-sample probe batch) against a W2 epoch (BENCHMARKS.md: 784-512-256-10 MLP, Adam, batch 128,
16,384 samples), and the time of one `model.diagnose` call.

    python benchmarks/diagnostics_overhead.py [--repeats 5]

Epochs with and without the monitor alternate (A B A B ...) after a warm-up epoch; the figures
are medians. The issue's target: under 5% of W2's epoch.

2026-12-04, the shared 2-core machine (load 6-7), OPENBLAS_NUM_THREADS=1, three runs of
`--repeats 5`: one diagnose 29.5 / 30.4 / 33.1 ms = 2.5% of a 1.20-1.30 s W2 epoch in each run;
epoch with the monitor minus epoch without: +5.7% / +2.9% / +1.2% (median +2.9%; noise of the
same order). With the default two BLAS threads the epochs themselves varied from 6.8 to 14.4 s
on the loaded machine, too noisy to read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]   # the benchmarks' helpers; this checkout's deltaw

from data import WORKLOADS, make  # noqa: E402
from impl_deltaw import _model  # noqa: E402

from deltaw.keras.callbacks import TrainingMonitor  # noqa: E402


def _epoch(model, x, y, batch, callbacks):
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import deltaw as dw

    dw.random.seed(0)
    x, y = make("W2")
    batch = WORKLOADS["W2"][1]
    model = _model("W2")
    monitor = TrainingMonitor(on_finding="ignore")
    _epoch(model, x, y, batch, [])                       # warm-up (and the compiled step)
    _epoch(model, x, y, batch, [monitor])
    plain, watched = [], []
    for _ in range(args.repeats):
        plain.append(_epoch(model, x, y, batch, []))
        watched.append(_epoch(model, x, y, batch, [monitor]))
    probes = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.diagnose(x[:256], y[:256])
        probes.append(time.perf_counter() - start)
    p, w, d = (statistics.median(v) for v in (plain, watched, probes))
    print(f"W2 epoch without monitor: {p:.3f} s; with TrainingMonitor(): {w:.3f} s "
          f"(+{(w - p) / p:.1%}); one diagnose on 256 samples: {d * 1000:.1f} ms "
          f"({d / p:.1%} of an epoch); medians of {args.repeats}")
    print(f"findings on W2 (synthetic teacher labels): {[str(f) for f in monitor.findings]}")


if __name__ == "__main__":
    main()
