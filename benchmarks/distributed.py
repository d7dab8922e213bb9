"""Data-parallel training over MPI: allreduce cost, W2 on 1 and 2 ranks, and a scaling model.

    python benchmarks/distributed.py              # everything, 3 rounds (median), markdown out
    python benchmarks/distributed.py --rounds 1
    python benchmarks/distributed.py --quick      # 1 round, default transport, fewer sizes
    python benchmarks/distributed.py --mpiexec /opt/mpich/bin/mpiexec --bind   # ranks on cores

`--mpiexec` names the launcher (default: the mpich wheel's, next to this Python); `--bind` pins
each rank to a core (`-bind-to core`, MPICH hydra's spelling; Open MPI's mpiexec takes
`--bind-to core` too).

1. Allreduce time against message size (float32, 2 ranks of this machine, shared memory):
   deltaw's collective (nonblocking Iallreduce polled by Test, for the stall check) and MPI's
   blocking Allreduce, median of repeats.
2. W2 (../shared/BENCHMARKS.md: 784-512-256-10 MLP, Adam, global batch 128, 16,384 samples)
   through `model.fit` with `DataParallel`, on 1 and on 2 ranks at the same global batch, one
   BLAS thread per rank (OPENBLAS_NUM_THREADS=1): scaling efficiency = throughput(2) /
   (2 * throughput(1)); also at global batch 512. The 2-rank runs use each optimizer update:
   "replicated" (`DataParallel(shard_optimizer_state=False)`: one allreduce, every rank updates
   every weight) and "sharded" (the default, ZeRO-1: reduce-scatter, each rank updates its half,
   allgather), and report the share of the epoch spent exchanging gradients and updating; the
   compute worker gives the bound without communication. The exchange and update alone are
   also timed per step in each mode (less at the mercy of a shared machine than whole epochs).
3. Overlap: could the gradient exchange hide behind the backward pass here? On 2 ranks, a
   nonblocking allreduce of W2's 2.1 MB started before 8 matrix products of the shape of W2's
   first kernel gradient at batch 64 (`Test` between them to let MPI progress), against the
   products followed by the allreduce; and as W2's backward would allow it: the last two
   layers' gradients (0.5 MB) started before the first layer's kernel gradient (one BLAS call),
   against the same two allreduces after it.
4. A model of larger launches. deltaw allreduces the packed gradients once per step, after the
   backward pass (no overlap), so a step costs compute + allreduce. Ring allreduce over a
   network of bandwidth BW and per-message latency a: 2(N-1)/N * bytes / BW + 2(N-1) * a, plus
   deltaw's fixed per-call cost measured here (the 4-byte allreduce; packing is inside the
   measured compute of the 2-rank W2 run). Compute per step is measured on one rank with one
   BLAS thread at the per-rank batch of weak scaling (the batch per rank fixed, as Horovod and
   ChainerMN measure): W2 64, W3 32 and a 25M-parameter MLP (1024-4096-4096-1024-10) 32 rows.
   Latency a: 25 us at 10 Gbit/s (TCP), 2 us at 100 Gbit/s (RDMA); both are assumptions.

Every measurement runs in its own launch of the mpich wheel's mpiexec (or `--mpiexec`); sections
1 and 2 twice: with MPICH's default transport and with `MPIR_CVAR_CH4_NETMOD=ofi`.
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
def worker_allreduce(quick=False):
    import numpy as np
    from mpi4py import MPI

    from deltaw import distributed

    comm = distributed.get_communicator()
    out = {}
    for n in SIZES[:-1] if quick else SIZES:
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


def worker_w2(batch=128, mode="sharded", epochs=3):
    from deltaw import distributed
    from deltaw.keras import callbacks, distribution
    from deltaw.keras.distribution import data_parallel

    distribution.set_distribution(distribution.DataParallel(
        shard_optimizer_state=mode == "sharded"))
    model, x, y = _w2()
    spent = [0.0]
    apply = data_parallel.apply_gradients

    def timed(*args):   # the time this rank spends exchanging gradients and updating
        t = time.perf_counter()
        apply(*args)
        spent[0] += time.perf_counter() - t
    data_parallel.apply_gradients = timed

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


def worker_exchange(reps=300):
    """Seconds per step of W2's gradient exchange and update alone, in each mode (medians over
    alternating reps, every step started together after a barrier): less at the mercy of a
    shared machine than whole epochs."""
    import numpy as np

    from deltaw import distributed
    from deltaw.keras import distribution
    from deltaw.keras.distribution import data_parallel

    setting = distribution.DataParallel()
    distribution.set_distribution(setting)
    model, x, y = _w2()
    model(x[:2])
    data_parallel.start(model)   # what fit does first: from here steps may be sharded
    variables = model.trainable_variables
    rng = np.random.default_rng(distributed.rank())
    grads = [rng.normal(size=v.shape).astype(np.float32) * 1e-3 for v in variables]
    times = {m: [] for m in MODES}
    for mode in MODES * 6:   # blocks of reps: MPI is faster on buffers it used just before
        setting.shard_optimizer_state = mode == "sharded"
        for _ in range(reps // 6):
            distributed.barrier()
            t = time.perf_counter()
            data_parallel.apply_gradients(model.optimizer, grads, variables, 64)
            times[mode].append(time.perf_counter() - t)
    data_parallel.finish(model)
    if distributed.rank() == 0:
        print("JSON " + json.dumps({m: statistics.median(v) for m, v in times.items()}),
              flush=True)


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


def worker_overlap(reps=60):
    """Seconds of: the backward-like products alone, the 2.1 MB allreduce alone, both in a row,
    and the allreduce started first and polled between the products (median over reps)."""
    import numpy as np
    from mpi4py import MPI

    rng = np.random.default_rng(0)
    pieces = [(rng.normal(size=(64, 784)).astype(np.float32),
               rng.normal(size=(64, 512)).astype(np.float32)) for _ in range(8)]
    grads = np.ones(535818, np.float32)        # W2's weights
    out, comm = np.empty_like(grads), MPI.COMM_WORLD

    def compute(request=None):
        for a, b in pieces:
            a.T @ b
            if request is not None:
                request.Test()

    def sequential():
        compute()
        comm.Allreduce(grads, out)

    def overlapped():
        request = comm.Iallreduce(grads, out)
        compute(request)
        request.Wait()

    # W2's backward as deltaw runs it: the gradients of Dense 2 and 3 (134,410 weights) are
    # ready before the first layer's kernel gradient x^T g (one BLAS call, MPI idle inside)
    x1, g1 = pieces[0][0], pieces[0][1]
    last, first = slice(0, 134410), slice(134410, None)

    def w2_sequential():
        x1.T @ g1
        comm.Allreduce(grads, out)

    def w2_bucketed():
        early = comm.Iallreduce(grads[last], out[last])
        x1.T @ g1
        early.Test()
        rest = comm.Iallreduce(grads[first], out[first])
        MPI.Request.Waitall([early, rest])

    def w2_two_in_a_row():   # the same two allreduces, after the product: no overlap
        x1.T @ g1
        early = comm.Iallreduce(grads[last], out[last])
        rest = comm.Iallreduce(grads[first], out[first])
        MPI.Request.Waitall([early, rest])

    cases = {"compute": compute, "allreduce": lambda: comm.Allreduce(grads, out),
             "sequential": sequential, "overlapped": overlapped,
             "w2_sequential": w2_sequential, "w2_two_in_a_row": w2_two_in_a_row,
             "w2_bucketed": w2_bucketed}
    times = {k: [] for k in cases}
    for _ in range(reps):
        for name, case in cases.items():
            comm.Barrier()
            t = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - t)
    if comm.Get_rank() == 0:
        print("JSON " + json.dumps({k: statistics.median(v) for k, v in times.items()}),
              flush=True)


MODES = ("replicated", "sharded")


# ----------------------------------------------------------------------------- driver
LAUNCHER = {"mpiexec": str(Path(sys.executable).parent / "mpiexec"), "bind": False}


def launch(n, worker, *args, transport="default"):
    bind = ["-bind-to", "core"] if LAUNCHER["bind"] else []
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           **TRANSPORTS[transport]}
    proc = subprocess.run([LAUNCHER["mpiexec"], *bind, "-n", str(n), sys.executable, __file__,
                           "--worker", worker, *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=900)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("JSON ")]
    if proc.returncode or not lines:
        sys.exit(f"{worker} on {n} ranks failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1][5:])


def ring_seconds(nbytes, ranks, bandwidth, latency, fixed):
    return fixed + 2 * (ranks - 1) / ranks * nbytes / bandwidth + 2 * (ranks - 1) * latency


def main(rounds, quick=False):
    transports = ("default",) if quick else tuple(TRANSPORTS)
    sizes = SIZES[:-1] if quick else SIZES
    allreduce, compute, overlap, exchange = {t: [] for t in transports}, [], [], []
    configs = [(t, 1, b, "sharded") for t in transports for b in (128, 512)] + \
        [(t, 2, b, m) for t in transports for b in (128, 512) for m in MODES]
    w2 = {c: [] for c in configs}
    for _ in range(rounds):   # alternate the measurements so a noisy machine hurts all alike
        for t, runs in allreduce.items():
            runs.append(launch(2, "allreduce", quick, transport=t))
        for (t, n, b, m), runs in w2.items():
            runs.append(launch(n, "w2", b, m, 2 if quick else 3, transport=t))
        compute.append(launch(1, "compute"))
        overlap.append(launch(2, "overlap"))
        exchange.append(launch(2, "exchange"))
    print_allreduce(allreduce, sizes, rounds)
    print_w2(w2, compute, exchange, transports)
    print_overlap(overlap)
    print_model(allreduce, compute)


def print_allreduce(allreduce, sizes, rounds):
    med = statistics.median
    print("## Allreduce, 2 ranks on this machine (float32 sum; median of "
          f"{rounds} runs' medians)\n")
    print("| elements | bytes | " + " | ".join(
        f"{t}: deltaw (polled Iallreduce) | {t}: MPI Allreduce (blocking)" for t in allreduce)
        + " |")
    print("|---|---|" + "---|---|" * len(allreduce))
    for n in sizes:
        cells = []
        for runs in allreduce.values():
            for who in ("deltaw", "mpi"):
                seconds = med(r[str(n)][who] for r in runs)
                cells.append(f"{seconds * 1e6:,.1f} us ({4 * n / seconds / 1e9:.2f} GB/s)")
        print(f"| {n:,} | {4 * n:,} | " + " | ".join(cells) + " |")


def print_w2(w2, compute, exchange, transports):
    med = statistics.median
    print("\n## W2 on 1 and 2 ranks at the same global batch, one BLAS thread per rank\n")
    print("| MPICH transport | global batch | optimizer update (2 ranks) | 1 rank samples/s | "
          "2 ranks samples/s | scaling efficiency | 2 ranks: share of the epoch exchanging "
          "gradients and updating |")
    print("|---|---|---|---|---|---|---|")
    for t, b, m in ((t, b, m) for t in transports for b in (128, 512) for m in MODES):
        rate1 = [r["samples"] / med(r["epoch_s"]) for r in w2[t, 1, b, "sharded"]]
        rate2 = [r["samples"] / med(r["epoch_s"]) for r in w2[t, 2, b, m]]
        eff = [c / (2 * a) for a, c in zip(rate1, rate2)]
        share = [med(r["allreduce_s"]) / med(r["epoch_s"]) for r in w2[t, 2, b, m]]
        print(f"| {t} | {b} | {m} | {med(rate1):,.0f} ({min(rate1):,.0f}-{max(rate1):,.0f}) | "
              f"{med(rate2):,.0f} ({min(rate2):,.0f}-{max(rate2):,.0f}) | {med(eff):.0%} "
              f"({min(eff):.0%}-{max(eff):.0%}) | {med(share):.1%} |")
    half, full = (med(c[k]["step_s"] for c in compute) for k in ("W2", "W2@128"))
    print(f"\nWithout any communication, 2 ranks replicating the update could reach at most "
          f"{full / (2 * half):.0%} at global batch 128: one rank's step takes "
          f"{full * 1e3:.2f} ms on 128 rows and {half * 1e3:.2f} ms on 64 (the optimizer's "
          "update of every weight and the per-step overhead do not halve).")
    cost = {m: med(r[m] for r in exchange) for m in MODES}
    print("\nW2's gradient exchange and update alone, per step on 2 ranks (blocks of steps in "
          "each mode, median): " + ", ".join(f"{m} {cost[m] * 1e3:.2f} ms" for m in MODES)
          + ".")


def print_overlap(overlap):
    med = statistics.median
    cell = {k: med(r[k] for r in overlap) * 1e3 for k in overlap[0]}
    saved = cell["sequential"] - cell["overlapped"]
    print("\n## Overlap of the gradient allreduce with the backward pass, 2 ranks\n")
    print("| products alone | 2.1 MB allreduce alone | products then allreduce | allreduce "
          "started first, polled between products | saved |")
    print("|---|---|---|---|---|")
    print(f"| {cell['compute']:.2f} ms | {cell['allreduce']:.2f} ms | {cell['sequential']:.2f} "
          f"ms | {cell['overlapped']:.2f} ms | {saved:.2f} ms "
          f"({saved / max(cell['allreduce'], 1e-9):.0%} of the allreduce) |")
    print(f"\nAs W2's backward would allow it (the last two layers' 0.5 MB started before the "
          f"first layer's kernel gradient, one BLAS call; the rest after it): "
          f"{cell['w2_bucketed']:.2f} ms bucketed, against {cell['w2_two_in_a_row']:.2f} ms for "
          f"the same two allreduces after the product (no overlap; "
          f"{cell['w2_two_in_a_row'] - cell['w2_bucketed']:.2f} ms saved by overlapping) and "
          f"{cell['w2_sequential']:.2f} ms for the product and one allreduce.")


def print_model(allreduce, compute):
    med = statistics.median
    fixed = med(r["1"]["deltaw"] for r in allreduce["default"])
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
    parser.add_argument("--rounds", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="one round, the default transport, 2 epochs, sizes up to 16 MB")
    parser.add_argument("--mpiexec", default=LAUNCHER["mpiexec"],
                        help="the launcher (default: the mpich wheel's, next to this Python)")
    parser.add_argument("--bind", action="store_true",
                        help="pin each rank to a core (mpiexec -bind-to core)")
    parser.add_argument("--worker", choices=("allreduce", "w2", "compute", "overlap",
                                             "exchange"))
    parser.add_argument("batch", nargs="?", default=128)
    parser.add_argument("worker_args", nargs="*")
    args = parser.parse_args()
    if args.worker:
        if args.worker == "w2":
            mode, epochs = (args.worker_args + ["sharded", 3])[:2]
            worker_w2(int(args.batch), mode, int(epochs))
        elif args.worker == "allreduce":
            worker_allreduce(args.batch == "True")
        else:
            {"compute": worker_compute, "overlap": worker_overlap,
             "exchange": worker_exchange}[args.worker]()
    else:
        LAUNCHER.update(mpiexec=args.mpiexec, bind=args.bind)
        main(args.rounds or (1 if args.quick else 3), args.quick)
