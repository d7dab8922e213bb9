"""Engine overhead per op: a chain of small element-wise ops, deltaw versus plain NumPy.

    python benchmarks/overhead.py [--ops 1000] [--repeats 15]

The chain alternates multiply, add and tanh on a (16,) float32 tensor, so the arithmetic is
negligible and the time is the engine's bookkeeping: recording a node per op on the way forward,
and the reverse sweep. Printed per op, median of several repeats:

- deltaw forward + backward;
- plain NumPy, the same forward computation (the figure the task compares against);
- plain NumPy, forward plus a hand-written backward (the arithmetic backward cannot avoid);
- the differences: deltaw minus each NumPy figure. The first is the overhead as defined in the
  style guide (target: under 5 µs per op); the second is the pure engine cost.

deltaw's time is also shown split into forward and backward, and once more with Python's cyclic
garbage collector paused (for diagnosis only; deltaw never turns it off).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import deltaw as dw  # noqa: E402


def _chain_deltaw(x, c, d, n_ops):
    y = x
    for i in range(n_ops):
        k = i % 3
        y = y * c if k == 0 else y + d if k == 1 else dw.tanh(y)
    return y


def run_deltaw(x0, c, d, n_ops, split=None):
    x = dw.tensor(x0, requires_grad=True)
    ct, dt = dw.tensor(c), dw.tensor(d)
    start = time.perf_counter()
    y = _chain_deltaw(x, ct, dt, n_ops)
    middle = time.perf_counter()
    y.sum().backward()
    end = time.perf_counter()
    if split is not None:
        split.append((middle - start, end - middle))
    return end - start


def run_deltaw_no_gc(x0, c, d, n_ops):
    # the same, with Python's cyclic GC paused: shows what the collector's passes over the live
    # graph (every Node and Tensor is a tracked container) add to the engine's cost
    gc.disable()
    try:
        return run_deltaw(x0, c, d, n_ops)
    finally:
        gc.enable()


def run_numpy_forward(x0, c, d, n_ops):
    start = time.perf_counter()
    y = x0
    for i in range(n_ops):
        k = i % 3
        y = np.multiply(y, c) if k == 0 else np.add(y, d) if k == 1 else np.tanh(y)
    y.sum()
    return time.perf_counter() - start


def run_numpy_manual(x0, c, d, n_ops):
    start = time.perf_counter()
    y, tape = x0, []
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            y = np.multiply(y, c)
        elif k == 1:
            y = np.add(y, d)
        else:
            y = np.tanh(y)
            tape.append(y)
    g = np.ones_like(y)
    for i in reversed(range(n_ops)):
        k = i % 3
        if k == 0:
            g = g * c
        elif k == 2:
            out = tape.pop()
            g = g * (1 - out * out)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, 16).astype(np.float32)
    c = rng.uniform(0.9, 1.1, 16).astype(np.float32)
    d = rng.uniform(-0.1, 0.1, 16).astype(np.float32)
    split = []
    runs = {"deltaw": lambda *a: run_deltaw(*a, split=split), "deltaw_no_gc": run_deltaw_no_gc,
            "numpy_fwd": run_numpy_forward, "numpy_manual": run_numpy_manual}
    times = {name: [] for name in runs}
    for fn in runs.values():  # warm-up
        fn(x0, c, d, args.ops)
    split.clear()
    for _ in range(args.repeats):  # interleaved, so a noisy neighbour hits every variant alike
        for name, fn in runs.items():
            times[name].append(fn(x0, c, d, args.ops))
    us = {name: statistics.median(t) / args.ops * 1e6 for name, t in times.items()}
    us["forward"] = statistics.median(f for f, _ in split) / args.ops * 1e6
    us["backward"] = statistics.median(b for _, b in split) / args.ops * 1e6
    print(f"chain of {args.ops} ops (multiply/add/tanh on (16,) float32), "
          f"median of {args.repeats}, µs per op:")
    print(f"  deltaw forward+backward          {us['deltaw']:7.2f}"
          f"   (forward {us['forward']:.2f}, backward {us['backward']:.2f})")
    print(f"  deltaw forward+backward, GC off  {us['deltaw_no_gc']:7.2f}")
    print(f"  NumPy forward only               {us['numpy_fwd']:7.2f}")
    print(f"  NumPy forward+manual backward    {us['numpy_manual']:7.2f}")
    print(f"  engine overhead vs NumPy forward            {us['deltaw'] - us['numpy_fwd']:7.2f}"
          f"  (target < 5)")
    print(f"  engine overhead vs NumPy forward+backward   "
          f"{us['deltaw'] - us['numpy_manual']:7.2f}")
    best = {name: min(t) / args.ops * 1e6 for name, t in times.items()}
    print(f"  best-of-{args.repeats} overhead vs NumPy forward     "
          f"{best['deltaw'] - best['numpy_fwd']:7.2f}  (a loaded shared machine inflates medians)")
    return us


if __name__ == "__main__":
    main()
