"""Input generators for the op table. Each returns a list of Samples for a np.random.Generator."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sample:
    args: tuple                      # positional inputs: arrays become tensors; others pass as is
    kwargs: dict = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class ErrorCase:
    args: tuple
    exc: type
    match: str
    kwargs: dict = field(default_factory=dict)


def away_from(x, points, margin=0.05):
    """Push values within `margin` of any kink in `points` out of it (kinks are avoided, not
    tolerated)."""
    x = np.array(x, dtype=np.float64)
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + np.where(x[near] >= p, margin, -margin) * 2
    return x


UNARY_SHAPES = [(), (1,), (3,), (2, 3), (2, 1, 4)]
BROADCAST_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)),
                   ((4, 1, 3), (2, 1)), ((), (2, 3)), ((2, 3), ()), ((1,), (3, 1))]


def unary(low=-2.0, high=2.0, avoid=(), shapes=UNARY_SHAPES):
    def make(rng):
        return [Sample((away_from(rng.uniform(low, high, s), avoid),), name=f"shape{s}")
                for s in shapes]
    return make


def binary_broadcast(low=-2.0, high=2.0, low2=None, high2=None, avoid_equal=False):
    low2 = low if low2 is None else low2
    high2 = high if high2 is None else high2

    def make(rng):
        out = []
        for s1, s2 in BROADCAST_PAIRS:
            a, b = rng.uniform(low, high, s1), rng.uniform(low2, high2, s2)
            if avoid_equal:
                b = b + 0.3 * (np.abs(a - b) < 0.1).any()
            out.append(Sample((a, b), name=f"{s1}x{s2}"))
        return out
    return make


def with_kwargs(base, *kwarg_sets):
    """Every sample of `base` once per kwargs dict."""
    def make(rng):
        return [Sample(s.args, {**s.kwargs, **kw}, f"{s.name}-{_kw_name(kw)}")
                for kw in kwarg_sets for s in base(rng)]
    return make


def fixed(*samples):
    def make(rng):
        return list(samples)
    return make


def _kw_name(kw):
    return "-".join(f"{k}{v}" for k, v in kw.items()).replace(" ", "")
