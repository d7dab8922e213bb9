"""Peak memory of conv2d forward + backward on a large batch: chunked im2col keeps it bounded.

    python benchmarks/conv_memory.py [--batch 64] [--size 224] [--budget-mb 256]

A batch of 64 RGB 224x224 images through a 3x3 'same' convolution with 64 filters. The output
alone is 64*224*224*64*4 bytes = 822 MB (and so is its gradient, if materialised); the im2col
matrix of the whole batch would add 347 MB and its col2im twin as much again. Chunking the batch
caps both at the budget. The script prints the array sizes, the peak of traced NumPy
allocations (tracemalloc) and the process's peak RSS (resource.getrusage), with the budget and
with chunking effectively disabled, each in a fresh subprocess so peaks don't mix.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

MB = 2**20


def _measure(batch, size, budget_mb):
    import resource
    import time
    import tracemalloc

    import numpy as np

    import deltaw as dw
    from deltaw.nn import conv

    conv.IM2COL_BUDGET_BYTES = int(budget_mb * MB)
    rng = np.random.default_rng(0)
    x = dw.tensor(rng.standard_normal((batch, size, size, 3), dtype=np.float32),
                  requires_grad=True)
    kernel = dw.tensor(rng.standard_normal((3, 3, 3, 64), dtype=np.float32) * 0.1,
                       requires_grad=True)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    y = conv.conv2d(x, kernel, padding="same")
    forward_s = time.perf_counter() - start
    dx, dk = dw.grad(y.sum(), [x, kernel])
    total_s = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux
    return {"output_mb": y.data.nbytes / MB, "input_mb": x.data.nbytes / MB,
            "im2col_full_mb": batch * size * size * 27 * 4 / MB,
            "traced_peak_mb": traced_peak / MB, "peak_rss_mb": peak_rss / 1024,
            "rss_before_mb": base_rss / 1024, "forward_s": forward_s, "total_s": total_s,
            "finite": bool(np.isfinite(dx.data).all() and np.isfinite(dk.data).all())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--budget-mb", type=float, default=256)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the run without chunking")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args.batch, args.size, args.budget_mb)))
        return
    budgets = [args.budget_mb] + ([] if args.no_compare else [1e9])
    for budget in budgets:
        proc = subprocess.run([sys.executable, __file__, "--child", "--batch", str(args.batch),
                               "--size", str(args.size), "--budget-mb", str(budget)],
                              capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"conv_memory: the measurement failed:\n{proc.stderr}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        label = f"budget {budget:g} MB" if budget < 1e9 else "no chunking"
        print(f"conv2d {args.batch}x{args.size}x{args.size}x3 -> 64 filters 3x3 'same', {label}: "
              f"input {r['input_mb']:.0f} MB, output {r['output_mb']:.0f} MB, full im2col "
              f"{r['im2col_full_mb']:.0f} MB | traced NumPy peak {r['traced_peak_mb']:.0f} MB, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB (before: {r['rss_before_mb']:.0f} MB) | "
              f"forward {r['forward_s']:.2f} s, forward+backward {r['total_s']:.2f} s, "
              f"gradients finite: {r['finite']}")


if __name__ == "__main__":
    main()
