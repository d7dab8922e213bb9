"""Cold start: what the first `fit` costs while numba compiles deltaw's kernels, per workload.

    python benchmarks/cold_start.py                # W1-W7
    python benchmarks/cold_start.py --only W3,W4

For each workload three fresh processes run the deltaw side of benchmarks/run.py (the model of
the workload, its full epoch, through the Keras API; W7's GradientTape loop; W5's predict):

- cold: an empty kernel cache (NUMBA_CACHE_DIR set to a new temporary folder), so every kernel
  the model calls is compiled during its first epoch;
- warm: the same folder again, now filled: the kernels load from disk;
- numpy: DELTAW_DISABLE_NUMBA=1, no kernels at all (what a platform without numba runs).

Each process reports the first and second epochs (the first one includes numba's import, which
deltaw defers to the first op that takes a kernel) and the seconds numba spent compiling and
loading kernels (numba's own "numba:compile" and "numba:compiler_lock" events: exact even where
a busy machine makes the epochs noisy). The cold process also reports how many kernel
specialisations it wrote to the cache (numba's .nbc files) and their size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from data import WORKLOADS, make  # noqa: E402

_VARIABLES = ("NUMBA_CACHE_DIR", "DELTAW_DISABLE_NUMBA", "DELTAW_NUMBA_PARALLEL")


def child(workload: str) -> None:
    """Time the first two epochs of `workload` in this process, and numba's compilation and
    cache loading in them; print JSON."""
    import impl_deltaw

    from deltaw.nn import _kernels

    timers, numba_s = {}, 0.0
    if os.environ.get("DELTAW_DISABLE_NUMBA") != "1":
        start = time.perf_counter()   # numba is imported here only to listen to its events
        from numba.core import event

        numba_s = time.perf_counter() - start
        for kind in ("numba:compile", "numba:compiler_lock"):
            timers[kind] = event.TimingListener()
            event.register(kind, timers[kind])
    x, y = make(workload)
    first, second = impl_deltaw.epoch_times(workload, x, y, WORKLOADS[workload][1], 2)
    seconds = {kind: t.duration if t.done else 0.0 for kind, t in timers.items()}
    print(json.dumps({"first_s": first + numba_s, "second_s": second,
                      "compile_s": seconds.get("numba:compile", 0.0),
                      "load_s": numba_s + seconds.get("numba:compiler_lock", 0.0),
                      "kernels": _kernels.status()}))


def measure(workload: str, **env) -> dict:
    full = {k: v for k, v in os.environ.items() if k not in _VARIABLES}
    full.update(env)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", workload], capture_output=True,
                          text=True, env=full)
    if proc.returncode:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        raise SystemExit(f"{workload}: the measuring process failed: {tail[0]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    return result


def cache_contents(folder: str) -> tuple[int, float]:
    """(number of compiled specialisations, MiB) that numba wrote under `folder`."""
    files = list(Path(folder).rglob("*.nbc"))
    return len(files), sum(f.stat().st_size for f in files) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    workloads = args.only.split(",")
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; expected some of "
                     f"{', '.join(WORKLOADS)}")
    print("| workload | first epoch: cold cache | warm cache | NumPy path | steady epoch | "
          "numba compiling (cold) | kernels compiled (MiB) | numba import + cache load (warm) "
          "| cold process wall |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w in workloads:
        with tempfile.TemporaryDirectory(prefix="deltaw-numba-cache-") as cache:
            cold = measure(w, NUMBA_CACHE_DIR=cache)
            count, mib = cache_contents(cache)
            warm = measure(w, NUMBA_CACHE_DIR=cache)
        plain = measure(w, DELTAW_DISABLE_NUMBA="1")
        print(f"| {w} {WORKLOADS[w][0]} | {cold['first_s']:.2f} s | {warm['first_s']:.2f} s | "
              f"{plain['first_s']:.2f} s | {warm['second_s']:.2f} s | "
              f"{cold['compile_s']:.2f} s | {count} ({mib:.1f}) | {warm['load_s']:.2f} s | "
              f"{cold['process_s']:.1f} s |", flush=True)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average {load} (1, 5, 15 min); {os.cpu_count()} cores; kernels: "
          f"{warm['kernels'].split(', cache')[0]})")


if __name__ == "__main__":
    main()
