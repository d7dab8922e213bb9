"""Run the benchmark workloads W1-W7 in deltaw, PyTorch and hand-written NumPy, and print a table.

    python benchmarks/run.py                 # all workloads, 3 rounds
    python benchmarks/run.py --only W1,W2 --rounds 5
    python benchmarks/run.py --quick         # does every workload run? (4 batches; no figures)

Every measurement runs in its own process; frameworks alternate (A B C, then C B A, ...) so that a
noisy shared machine hurts them alike. Quote ratios, not absolute figures. PyTorch is optional.
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
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from data import WORKLOADS, make  # noqa: E402

FRAMEWORKS = ("deltaw", "torch", "numpy")


def child(workload: str, framework: str, epochs: int, samples: int | None) -> None:
    """Measure one (workload, framework) pair in this process and print JSON."""
    import resource

    x, y = make(workload, samples)
    module = __import__(f"impl_{framework}")
    times = module.run(workload, x, y, WORKLOADS[workload][1], epochs)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mib": peak_mib}))


def measure(workload, framework, epochs, samples):
    cmd = [sys.executable, __file__, "--child", workload, framework, "--epochs", str(epochs)]
    if samples:
        cmd += ["--samples", str(samples)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        return {"error": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def gemm_peak() -> float:
    """GFLOP/s of a float32 2048x2048 matmul with NumPy's BLAS (best of 5)."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return 2 * 2048**3 / best / 1e9


def import_time(module: str, repeats: int = 5) -> float:
    cmd = [sys.executable, "-c", f"import time; t=time.perf_counter(); import {module}; "
           "print(time.perf_counter()-t)"]
    runs = [float(subprocess.run(cmd, capture_output=True, text=True).stdout or "nan")
            for _ in range(repeats)]
    return statistics.median(runs)


def available(framework: str) -> bool:
    probe = subprocess.run([sys.executable, "-c", f"import {framework}"], capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, help="samples per epoch (default: the workload's)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 1 round, 1 epoch, 4 batches per epoch")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        return child(*args.child, args.epochs, args.samples)
    if args.quick:
        args.rounds, args.epochs = 1, 1
    frameworks = [f for f in FRAMEWORKS if f in ("deltaw", "numpy") or available(f)]
    if "torch" not in frameworks:
        print("note: PyTorch is not installed; ratios against it are skipped.")
    workloads = args.only.split(",")
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; expected some of "
                     f"{', '.join(WORKLOADS)}")
    samples = {w: args.samples or (4 * WORKLOADS[w][1] if args.quick else WORKLOADS[w][2])
               for w in workloads}
    results = {(w, f): [] for w in workloads for f in frameworks}
    peaks = {}
    for r in range(args.rounds):
        order = frameworks if r % 2 == 0 else frameworks[::-1]
        for w in workloads:
            for f in order:
                m = measure(w, f, args.epochs, samples[w])
                if "error" in m:
                    print(f"{w} {f}: failed: {m['error']}", file=sys.stderr)
                    continue
                if m["times"] is not None:
                    results[w, f] += m["times"]
                    peaks[w, f] = max(peaks.get((w, f), 0), m["peak_mib"])
    if args.quick:
        print("quick run (4 batches an epoch, 1 epoch): checks that the workloads run; "
              "its figures are not the benchmark's")
    report(workloads, frameworks, results, peaks, samples, gemm_peak())


def report(workloads, frameworks, results, peaks, samples, peak_gflops):
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    # the cores this process may run on: under taskset that is fewer than the machine has
    cores = len(os.sched_getaffinity(0))
    print(f"\nmachine: {cores} of {os.cpu_count()} cores, load average {load} (1, 5, 15 min) "
          "at the end; "
          f"float32 GEMM peak {peak_gflops:.0f} GFLOP/s (NumPy BLAS); "
          f"import deltaw {import_time('deltaw'):.3f} s\n")
    print("| workload | framework | samples/s (median, min-max) | deltaw/torch | GFLOP/s | % peak "
          "| peak MiB |")
    print("|---|---|---|---|---|---|---|")
    for w in workloads:
        name, _, _, flops = WORKLOADS[w]
        n = samples[w]
        rates = {f: [n / t for t in results[w, f]] for f in frameworks if results[w, f]}
        torch_rate = statistics.median(rates["torch"]) if "torch" in rates else None
        for f, rs in rates.items():
            med = statistics.median(rs)
            ratio = f"{med / torch_rate:.2f}x" if torch_rate else "-"
            gflops = med * flops / 1e9
            print(f"| {w} {name} | {f} | {med:,.0f} ({min(rs):,.0f}-{max(rs):,.0f}) | {ratio} | "
                  f"{gflops:.1f} | {100 * gflops / peak_gflops:.0f}% | {peaks[w, f]:.0f} |")


if __name__ == "__main__":
    main()
