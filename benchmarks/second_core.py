"""The packed attention of W6 on one core and split over two (deltaw/second_core.py).

    python benchmarks/second_core.py [--repeats 300] [--rounds 3]

Each timed step is what a W6 training step does around the attention: one multi-threaded GEMM
of the projections' shape (2,048 x 128 x 512, which leaves OpenBLAS's worker spinning), then
`packed_self_attention`'s forward and backward on (32, 64, 384) with 4 heads of 32. Printed per
round, in ms a step: the GEMM alone, the step with the attention on one core, and the step with
it split over two. "one core" raises the split threshold so the attention runs as one piece.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import deltaw as dw  # noqa: E402
from deltaw import second_core  # noqa: E402
from deltaw.nn import attention_packed  # noqa: E402

BATCH, LENGTH, HEADS, DEPTH = 32, 64, 4, 32


def _ms_per_step(step, repeats):
    for _ in range(20):
        step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((BATCH * LENGTH, 128), dtype=np.float32)
    w = rng.standard_normal((128, 512), dtype=np.float32)
    product = np.empty((BATCH * LENGTH, 512), np.float32)
    qkv = dw.Tensor(rng.standard_normal((BATCH, LENGTH, 3 * HEADS * DEPTH), dtype=np.float32),
                    requires_grad=True)

    def gemm():
        np.matmul(a, w, out=product)

    def step():
        gemm()
        dw.nn.packed_self_attention(qkv, HEADS, DEPTH).sum().backward()
        qkv.grad = None

    print(f"second core usable: {second_core.usable()}")
    threshold = attention_packed._SPLIT_SCORES
    for _ in range(args.rounds):
        alone = _ms_per_step(gemm, args.repeats)
        attention_packed._SPLIT_SCORES = 1 << 62
        one = _ms_per_step(step, args.repeats)
        attention_packed._SPLIT_SCORES = threshold
        two = _ms_per_step(step, args.repeats)
        print(f"gemm {alone:.2f} ms | gemm + attention fwd/bwd: one core {one:.2f} ms, "
              f"two cores {two:.2f} ms (attention {one - alone:.2f} -> {two - alone:.2f} ms)")


if __name__ == "__main__":
    main()
