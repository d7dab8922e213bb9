"""Synthetic data for the benchmark workloads: fixed seed, labels from a fixed random teacher."""

from __future__ import annotations

import numpy as np

WORKLOADS = {
    # id: (name, batch, samples per epoch, FLOPs per sample for training (3x forward) or inference)
    "W1": ("seed-mlp", 32, 8192, 16.3e3),
    "W2": ("mlp", 128, 16384, 3.21e6),
    "W3": ("cnn", 64, 4096, 15.8e6),
    "W4": ("lstm", 64, 2048, 37.8e6),
    "W5": ("inference", 1024, 65536, 1.07e6),
    # per token 2 * (4 * 128 * 128 + 2 * 128 * 256) for the projections and the feed-forward,
    # per head 2 * 2 * 64 * 32 for the scores and the weighted sum: 18.9 M forward per sample
    "W6": ("transformer", 32, 1024, 56.6e6),
    "W7": ("eager-loop", 32, 4096, 16.3e3),
}


def make(workload: str, n: int | None = None):
    """(x, y) as float32 / int arrays for `workload` (`n` samples; default: the workload's)."""
    rng = np.random.default_rng(1234)
    n = n or WORKLOADS[workload][2]
    if workload in ("W1", "W7"):
        x = rng.normal(size=(n, 10)).astype(np.float32)
        w = rng.normal(size=(10,))
        return x, (x @ w + 0.3 * np.tanh(x[:, 0] * x[:, 1]) > 0).astype(np.float32)[:, None]
    if workload in ("W2", "W5"):
        x = rng.normal(size=(n, 784)).astype(np.float32)
        return x, (x @ rng.normal(size=(784, 10))).argmax(axis=1).astype(np.int64)
    if workload == "W3":
        x = rng.normal(size=(n, 28, 28, 1)).astype(np.float32)
        return x, (x.reshape(n, -1) @ rng.normal(size=(784, 10))).argmax(axis=1).astype(np.int64)
    if workload == "W6":
        # label: the mean of a random score per token, against its median: a bag of words
        # solves it, as does the block (no position embedding, so attention cannot see order)
        x = rng.integers(1, 5000, size=(n, 64)).astype(np.int64)
        score = rng.normal(size=5000)[x].mean(1)
        return x, (score > np.median(score)).astype(np.float32)[:, None]
    if workload == "W4":
        x = rng.integers(1, 5000, size=(n, 64)).astype(np.int64)
        # label: does a "positive" token (id < 2500) appear in the last 16 positions more often
        # than in the first 16 — order matters, so a bag of words cannot solve it
        late, early = (x[:, -16:] < 2500).sum(1), (x[:, :16] < 2500).sum(1)
        return x, (late > early).astype(np.float32)[:, None]
    raise KeyError(workload)
