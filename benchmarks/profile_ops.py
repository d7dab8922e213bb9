"""Where a workload's training step spends its time, op by op (deltaw only).

Every registered op's forward and backward rule and the optimizer's `apply` are wrapped with a
timer; the rest of the step (layers, engine, loop) is what remains. With `--cpu` the timer is
this process's CPU time (`time.process_time`): on a shared machine, run with one BLAS thread
(`OPENBLAS_NUM_THREADS=1`) and `--cpu` for figures that other processes barely move.

    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_ops.py --only W6 --cpu
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402
import impl_deltaw  # noqa: E402


def _wrap(op, kind, clock, totals, counts):
    rule = getattr(op, kind)
    if rule is None:
        return

    def timed(*args, **kwargs):
        start = clock()
        result = rule(*args, **kwargs)
        totals[op.name, kind] += clock() - start
        counts[op.name, kind] += 1
        return result
    setattr(op, kind, timed)


def profile(workload, epochs, clock):
    """(seconds, steps, {(name, kind): seconds}, {(name, kind): calls}) of `epochs` epochs of
    `fit`, after two untimed warm-up epochs."""
    import deltaw as dw
    from deltaw.autograd.op import OPS

    name, batch, samples, _ = data.WORKLOADS[workload]
    x, y = data.make(workload)
    dw.random.seed(0)
    model = impl_deltaw._model(workload)
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0)
    totals, counts = collections.defaultdict(float), collections.Counter()
    for op in OPS.values():
        _wrap(op, "forward", clock, totals, counts)
        _wrap(op, "backward", clock, totals, counts)
    optimizer = model.optimizer
    apply = optimizer.apply

    def timed_apply(*args, **kwargs):
        start = clock()
        result = apply(*args, **kwargs)
        totals["optimizer", "apply"] += clock() - start
        counts["optimizer", "apply"] += 1
        return result
    optimizer.apply = timed_apply
    start = clock()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
    return clock() - start, epochs * -(-samples // batch), totals, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="W6")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--cpu", action="store_true", help="CPU time instead of wall time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    total, steps, totals, counts = profile(args.only, args.epochs, clock)
    print(f"{args.only}: {1000 * total / steps:.2f} ms per step ({steps} steps, "
          f"{'CPU' if args.cpu else 'wall'} time)")
    print("| op | rule | ms/step | share | calls/step |\n|---|---|---|---|---|")
    for (name, kind), seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {kind} | {1000 * seconds / steps:.3f} | {100 * seconds / total:.1f}% "
              f"| {counts[name, kind] / steps:.1f} |")
    rest = total - sum(totals.values())
    print(f"| (layers, engine, loop) | | {1000 * rest / steps:.3f} | {100 * rest / total:.1f}% | |")


if __name__ == "__main__":
    main()
