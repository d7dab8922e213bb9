"""The workloads in PyTorch: a careful hand loop (randperm + index, Adam, no DataLoader)."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn


def _model(workload):
    if workload in ("W1", "W7"):
        return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                             nn.Linear(32, 1), nn.Sigmoid()), nn.BCELoss()
    if workload in ("W2", "W5"):
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10)), nn.CrossEntropyLoss()
    if workload == "W3":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 128),
                             nn.ReLU(), nn.Linear(128, 10)), nn.CrossEntropyLoss()
    if workload == "W4":
        return _LSTMNet(), nn.BCELoss()
    if workload == "W6":
        return _Transformer(), nn.BCELoss()
    raise KeyError(workload)


class _Transformer(nn.Module):
    """W6: Keras' block in PyTorch (4 heads of 32 = 128; LayerNorm with Keras' epsilon)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5000, 128)
        self.attention = nn.MultiheadAttention(128, 4, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(128, eps=1e-3), nn.LayerNorm(128, eps=1e-3)
        self.ff = nn.Sequential(nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 128))
        self.out = nn.Linear(128, 1)

    def forward(self, tokens):
        e = self.embed(tokens)
        a, _ = self.attention(e, e, e, need_weights=False)  # no averaged weights to compute
        x = self.norm1(e + a)
        x = self.norm2(x + self.ff(x))
        return torch.sigmoid(self.out(x.mean(dim=1)))


class _LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5000, 64)
        self.lstm = nn.LSTM(64, 128, batch_first=True)
        self.out = nn.Linear(128, 1)

    def forward(self, x):
        _, (h, _) = self.lstm(self.embed(x))
        return torch.sigmoid(self.out(h[-1]))


def run(workload, x, y, batch, epochs):
    """Seconds per epoch for `epochs` timed epochs after one warm-up epoch."""
    torch.manual_seed(0)
    model, loss_fn = _model(workload)
    if workload == "W3":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    if workload == "W5":
        model.eval()
        times = []
        with torch.no_grad():
            for _ in range(epochs + 1):
                start = time.perf_counter()
                for i in range(0, len(xt), batch):
                    model(xt[i:i + batch])
                times.append(time.perf_counter() - start)
        return times[1:]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times, n = [], len(xt)
    for _ in range(epochs + 1):
        start = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times[1:]
