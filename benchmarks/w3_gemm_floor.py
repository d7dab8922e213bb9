"""W3's floor: the time its training step's GEMMs take alone, at their real shapes.

deltaw lowers W3's convolutions to GEMMs (im2col), so one training step of 64 images cannot be
faster than these products run by NumPy's BLAS on their own, with nothing between them. The
script times each (best and median of 7 rounds of 30 calls, BLAS at its default threads) and
compares their sum with the step that 1.3x PyTorch needs (issue 17's W3 target), given
PyTorch's epoch time (seconds for 64 steps; measure it with
`python benchmarks/run.py --child W3 torch --epochs 5`).

    python benchmarks/w3_gemm_floor.py --torch-epoch 0.63
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import WORKLOADS  # noqa: E402
from run import gemm_peak  # noqa: E402  (the peak run.py's % columns use)

_, BATCH, SAMPLES, _ = WORKLOADS["W3"]
STEPS_PER_EPOCH = SAMPLES // BATCH


def _timed(call, repeat=30, rounds=7):
    """(best, median) seconds per call."""
    call()
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            call()
        per_call.append((time.perf_counter() - start) / repeat)
    per_call.sort()
    return per_call[0], per_call[len(per_call) // 2]


def _gemms(rng):
    """{name: (call, multiply-adds)} for one W3 step: conv1 (26x26x32 outputs of 3x3x1 taps,
    no input gradient), conv2 (11x11x64 outputs of 3x3x32 taps), Dense 1600->128 and 128->10,
    each as the product deltaw computes (forward, kernel gradient, input gradient)."""
    def rand(*shape):
        return rng.standard_normal(shape, dtype=np.float32)
    cols2, w2, g2 = rand(7744, 288), rand(288, 64), rand(7744, 64)
    cols1, w1, g1 = rand(9, 43264).T, rand(9, 32), rand(43264, 32)   # tap-major columns
    x3, w3, g3 = rand(64, 1600), rand(1600, 128), rand(64, 128)
    x4, w4, g4 = rand(64, 128), rand(128, 10), rand(64, 10)
    return {
        "conv2 forward (cols W)": (lambda: cols2 @ w2, 7744 * 288 * 64),
        "conv2 kernel gradient (cols^T g)": (lambda: cols2.T @ g2, 7744 * 288 * 64),
        "conv2 input gradient (g W^T)": (lambda: g2 @ w2.T, 7744 * 288 * 64),
        "conv1 forward": (lambda: cols1 @ w1, 43264 * 9 * 32),
        "conv1 kernel gradient": (lambda: cols1.T @ g1, 43264 * 9 * 32),
        "dense 1600->128, three products": (lambda: (x3 @ w3, x3.T @ g3, g3 @ w3.T),
                                            3 * 64 * 1600 * 128),
        "dense 128->10, three products": (lambda: (x4 @ w4, x4.T @ g4, g4 @ w4.T),
                                          3 * 64 * 128 * 10),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch-epoch", type=float,
                        help="PyTorch's W3 epoch in seconds, measured on this machine")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"float32 GEMM peak (run.py's, 2048^3): {gemm_peak():.0f} GFLOP/s")
    best_sum = median_sum = flops = 0.0
    for name, (call, madds) in _gemms(rng).items():
        best, median = _timed(call)
        best_sum, median_sum, flops = best_sum + best, median_sum + median, flops + 2 * madds
        print(f"{name:34s} best {best * 1e3:6.3f} ms  median {median * 1e3:6.3f} ms  "
              f"{2 * madds / best / 1e9:4.0f} GFLOP/s")
    print(f"all GEMMs of one step: best {best_sum * 1e3:.2f} ms, median {median_sum * 1e3:.2f} ms "
          f"({flops / 1e9:.3f} GFLOP, {flops / best_sum / 1e9:.0f} GFLOP/s at best)")
    if args.torch_epoch:
        budget = args.torch_epoch / 1.3 / STEPS_PER_EPOCH
        print(f"1.3x PyTorch's {args.torch_epoch:.3f} s epoch: {budget * 1e3:.2f} ms a step for "
              f"everything; the GEMMs alone take {best_sum / budget:.0%} of it at their best")


if __name__ == "__main__":
    main()
