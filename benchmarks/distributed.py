"""Data-parallel training over MPI: allreduce cost, W2 on 1 and 2 ranks, and a scaling model.

    python benchmarks/distributed.py              # everything, 3 rounds (median), markdown out
    python benchmarks/distributed.py --rounds 1

1. Allreduce time against message size (float32, 2 ranks of this machine, shared memory):
   deltaw's collective (nonblocking Iallreduce polled by Test, for the stall check) and MPI's
   blocking Allreduce, median of repeats.
2. W2 (../shared/BENCHMARKS.md: 784-512-256-10 MLP, Adam, global batch 128, 16,384 samples)
   through `model.fit` with `DataParallel`, on 1 and on 2 ranks at the same global batch, one
   BLAS thread per rank (OPENBLAS_NUM_THREADS=1): scaling efficiency = throughput(2) /
   (2 * throughput(1)); also at global batch 512. The 2-rank run also reports the time spent in
   the gradient allreduce, and the compute worker the bound without communication.
3. A model of larger launches. deltaw allreduces the packed gradients once per step, after the
   backward pass (no overlap), so a step costs compute + allreduce. Ring allreduce over a
   network of bandwidth BW and per-message latency a: 2(N-1)/N * bytes / BW + 2(N-1) * a, plus
   deltaw's fixed per-call cost measured here (the 4-byte allreduce; packing is inside the
   measured compute of the 2-rank W2 run). Compute per step is measured on one rank with one
   BLAS thread at the per-rank batch of weak scaling (the batch per rank fixed, as Horovod and
   ChainerMN measure): W2 64, W3 32 and a 25M-parameter MLP (1024-4096-4096-1024-10) 32 rows.
   Latency a: 25 us at 10 Gbit/s (TCP), 2 us at 100 Gbit/s (RDMA); both are assumptions.

Every measurement runs under the mpich wheel's mpiexec (next to this Python); sections 1 and 2
twice: with MPICH's default transport and with `MPIR_CVAR_CH4_NETMOD=ofi`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

SIZES = [1, 256, 4096, 65536, 262144, 1048576, 4194304, 16777216]   # float32 elements
RANKS = (8, 64, 512)
# MPICH's transport within the machine: the wheel's default, and the ofi (libfabric) netmod
# chosen explicitly, which moves large messages 4-5x faster on these machines
TRANSPORTS = {"default": {}, "ofi": {"MPIR_CVAR_CH4_NETMOD": "ofi"}}
NETWORKS = {"10 Gbit/s": (10e9 / 8, 25e-6), "100 Gbit/s": (100e9 / 8, 2e-6)}


# ----------------------------------------------------------------------------- workers (ranks)
def worker_allreduce():
    import numpy as np
    from mpi4py import MPI

    from deltaw import distributed

    comm = distributed.get_communicator()
    out = {}
    for n in SIZES:
        a = np.ones(n, np.float32)
        reps = max(5, min(200, 20_000_000 // (n * 4 + 1000)))
        ours, blocking = [], []
        for _ in range(reps):
            distributed.barrier()
            t = time.perf_counter()
            comm.allreduce(a, "sum")
            ours.append(time.perf_counter() - t)
            buf = np.empty_like(a)
            distributed.barrier()
            t = time.perf_counter()
            MPI.COMM_WORLD.Allreduce(a, buf)
            blocking.append(time.perf_counter() - t)
        out[n] = {"deltaw": statistics.median(ours), "mpi": statistics.median(blocking)}
    if comm.rank == 0:
        print("JSON " + json.dumps(out), flush=True)


def _w2():
    from data import make
    from impl_deltaw import _model

    import deltaw as dw

    dw.random.seed(0)
    x, y = make("W2")
    return _model("W2"), x, y


def worker_w2(batch=128, epochs=3):
    from deltaw import distributed
    from deltaw.keras import callbacks, distribution
    from deltaw.keras.distribution import data_parallel

    distribution.set_distribution(distribution.DataParallel())
    model, x, y = _w2()
    spent = [0.0]
    average = data_parallel.average_gradients

    def timed(grads, rows):   # the time this rank spends in the gradient allreduce
        t = time.perf_counter()
        out = average(grads, rows)
        spent[0] += time.perf_counter() - t
        return out
    data_parallel.average_gradients = timed

    times, comm = [], []

    class Clock(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t, spent[0] = time.perf_counter(), 0.0

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)
            comm.append(spent[0])

    model.fit(x, y, batch_size=batch, epochs=epochs + 1, verbose=0, callbacks=[Clock()])
    if distributed.rank() == 0:
        print("JSON " + json.dumps({"epoch_s": times[1:], "allreduce_s": comm[1:],
                                    "samples": len(x)}), flush=True)


def _mlp25m():
    from deltaw.keras import layers, models

    m = models.Sequential([layers.Dense(4096, activation="relu", input_shape=(1024,)),
                           layers.Dense(4096, activation="relu"),
                           layers.Dense(1024, activation="relu"), layers.Dense(10)])
    from deltaw.keras.losses import SparseCategoricalCrossentropy

    m.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True))
    return m


def worker_compute():
    """Seconds per training step on one rank, one BLAS thread, at the per-rank batch."""
    import numpy as np
    from data import make
    from impl_deltaw import _model

    import deltaw as dw

    out = {}
    for name, batch, steps in (("W2", 64, 64), ("W2@128", 128, 32), ("W3", 32, 24),
                               ("MLP-25M", 32, 6)):
        dw.random.seed(0)
        if name == "MLP-25M":
            model = _mlp25m()
            rng = np.random.default_rng(0)
            x = rng.normal(size=(batch * steps, 1024)).astype(np.float32)
            y = rng.integers(0, 10, batch * steps)
        else:
            model = _model(name[:2])
            x, y = make(name[:2])
            x, y = x[:batch * steps], y[:batch * steps]
        model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)  # warm
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
            runs.append((time.perf_counter() - t) / steps)
        params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
        out[name] = {"step_s": min(runs), "params": params, "batch": batch}
    print("JSON " + json.dumps(out), flush=True)


# ----------------------------------------------------------------------------- driver
def launch(n, worker, *args, transport="default"):
    mpiexec = Path(sys.executable).parent / "mpiexec"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           **TRANSPORTS[transport]}
    proc = subprocess.run([str(mpiexec), "-n", str(n), sys.executable, __file__, "--worker",
                           worker, *map(str, args)], capture_output=True, text=True, env=env)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("JSON ")]
    if proc.returncode or not lines:
        sys.exit(f"{worker} on {n} ranks failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1][5:])


def ring_seconds(nbytes, ranks, bandwidth, latency, fixed):
    return fixed + 2 * (ranks - 1) / ranks * nbytes / bandwidth + 2 * (ranks - 1) * latency


def main(rounds):
    allreduce, compute = {t: [] for t in TRANSPORTS}, []
    w2 = {(t, n, b): [] for t in TRANSPORTS for b in (128, 512) for n in (1, 2)}
    for _ in range(rounds):   # alternate the measurements so a noisy machine hurts all alike
        for t, runs in allreduce.items():
            runs.append(launch(2, "allreduce", transport=t))
        for (t, n, b), runs in w2.items():
            runs.append(launch(n, "w2", b, transport=t))
        compute.append(launch(1, "compute"))
    med = statistics.median

    print("## Allreduce, 2 ranks on this machine (float32 sum; median of "
          f"{rounds} runs' medians)\n")
    print("| elements | bytes | " + " | ".join(
        f"{t}: deltaw (polled Iallreduce) | {t}: MPI Allreduce (blocking)" for t in TRANSPORTS)
        + " |")
    print("|---|---|" + "---|---|" * len(TRANSPORTS))
    for n in SIZES:
        cells = []
        for runs in allreduce.values():
            for who in ("deltaw", "mpi"):
                seconds = med(r[str(n)][who] for r in runs)
                cells.append(f"{seconds * 1e6:,.1f} us ({4 * n / seconds / 1e9:.2f} GB/s)")
        print(f"| {n:,} | {4 * n:,} | " + " | ".join(cells) + " |")
    fixed = med(r["1"]["deltaw"] for r in allreduce["default"])

    print("\n## W2 on 1 and 2 ranks at the same global batch, one BLAS thread per rank\n")
    print("| MPICH transport | global batch | 1 rank samples/s | 2 ranks samples/s | scaling "
          "efficiency | 2 ranks: share of the epoch in the allreduce |")
    print("|---|---|---|---|---|---|")
    for t, b in ((t, b) for t in TRANSPORTS for b in (128, 512)):
        rate1 = [r["samples"] / med(r["epoch_s"]) for r in w2[t, 1, b]]
        rate2 = [r["samples"] / med(r["epoch_s"]) for r in w2[t, 2, b]]
        eff = [c / (2 * a) for a, c in zip(rate1, rate2)]
        share = [med(r["allreduce_s"]) / med(r["epoch_s"]) for r in w2[t, 2, b]]
        print(f"| {t} | {b} | {med(rate1):,.0f} ({min(rate1):,.0f}-{max(rate1):,.0f}) | "
              f"{med(rate2):,.0f} ({min(rate2):,.0f}-{max(rate2):,.0f}) | {med(eff):.0%} "
              f"({min(eff):.0%}-{max(eff):.0%}) | {med(share):.1%} |")
    half, full = (med(c[k]["step_s"] for c in compute) for k in ("W2", "W2@128"))
    print(f"\nWithout any communication, 2 ranks could reach at most {full / (2 * half):.0%} "
          f"at global batch 128: one rank's step takes {full * 1e3:.2f} ms on 128 rows and "
          f"{half * 1e3:.2f} ms on 64 (the optimizer's update of every weight and the per-step "
          "overhead do not halve).")

    print("\n## Predicted weak-scaling efficiency (ring allreduce model, no overlap)\n")
    print(f"Fixed cost per allreduce call measured here: {fixed * 1e6:.1f} us.\n")
    head = " | ".join(f"{n} ranks {net}" for net in NETWORKS for n in RANKS)
    print(f"| model | params | per-rank batch | compute/step | {head} |")
    print("|---|---|---|---|" + "---|" * (len(RANKS) * len(NETWORKS)))
    for name in ("W2", "W3", "MLP-25M"):
        step = med(c[name]["step_s"] for c in compute)
        params, batch = compute[0][name]["params"], compute[0][name]["batch"]
        cells = []
        for bandwidth, latency in NETWORKS.values():
            for n in RANKS:
                t = ring_seconds(4 * params + 4, n, bandwidth, latency, fixed)
                cells.append(f"{step / (step + t):.0%}")
        print(f"| {name} | {params / 1e6:.2f}M | {batch} | {step * 1e3:.1f} ms | "
              + " | ".join(cells) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=("allreduce", "w2", "compute"))
    parser.add_argument("batch", nargs="?", default=128)
    args = parser.parse_args()
    if args.worker:
        if args.worker == "w2":
            worker_w2(int(args.batch))
        else:
            {"allreduce": worker_allreduce, "compute": worker_compute}[args.worker]()
    else:
        main(args.rounds)
