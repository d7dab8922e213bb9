"""Hand-written NumPy (manual backprop, Adam) for the MLP workloads: the no-framework baseline."""

from __future__ import annotations

import time

import numpy as np


class _Adam:
    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
        self.params, self.lr, self.b1, self.b2, self.eps, self.t = params, lr, b1, b2, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        step = self.lr * (1 - self.b2**self.t) ** 0.5 / (1 - self.b1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (1 - self.b1) * (g - m)
            v += (1 - self.b2) * (g * g - v)
            p -= step * m / (np.sqrt(v) + self.eps)


def _init(rng, sizes):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6 / (fan_in + fan_out))
        params += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32),
                   np.zeros(fan_out, np.float32)]
    return params


def _forward(params, x):
    acts = [x]
    for i in range(0, len(params), 2):
        z = acts[-1] @ params[i] + params[i + 1]
        acts.append(np.maximum(z, 0) if i + 2 < len(params) else z)
    return acts


def _backward(params, acts, dz):
    grads = [None] * len(params)
    for i in range(len(params) - 2, -1, -2):
        grads[i], grads[i + 1] = acts[i // 2].T @ dz, dz.sum(0)
        if i:
            dz = (dz @ params[i].T) * (acts[i // 2] > 0)
    return grads


def _output_grad(workload, logits, y):
    if workload == "W1":
        p = 1 / (1 + np.exp(-logits))
        return (p - y) / len(y)
    e = np.exp(logits - logits.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def run(workload, x, y, batch, epochs):
    if workload not in ("W1", "W2", "W5"):
        return None
    rng = np.random.default_rng(0)
    params = _init(rng, [10, 64, 32, 1] if workload == "W1" else [784, 512, 256, 10])
    opt, times = _Adam(params), []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        if workload == "W5":
            for i in range(0, len(x), batch):
                _forward(params, x[i:i + batch])
        else:
            perm = rng.permutation(len(x))
            for i in range(0, len(x), batch):
                idx = perm[i:i + batch]
                acts = _forward(params, x[idx])
                opt.step(_backward(params, acts, _output_grad(workload, acts[-1], y[idx])))
        times.append(time.perf_counter() - start)
    return times[1:]
