"""Anomaly detection: name the first op whose forward or backward produces NaN or Inf."""

from __future__ import annotations

import weakref

import numpy as np

from deltaw.autograd import mode


class NonFiniteError(FloatingPointError):
    """An op produced NaN or Inf while `detect_anomaly` was active."""


_layer_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_context: list[str] = []  # names of the layers being called, innermost last (set by keras Layer)


def _describe(arrays) -> str:
    parts = []
    for i, a in enumerate(arrays):
        text = f"input {i}: shape {a.shape}"
        if a.dtype.kind in "fiu" and a.size:
            finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
            text += (f", range [{finite.min():.4g}, {finite.max():.4g}]" if finite.size
                     else ", no finite values")
            if finite.size < a.size:
                text += f", {a.size - finite.size} non-finite"
        parts.append(text)
    return "; ".join(parts)


def _where() -> str:
    return f" in layer '{_context[-1]}'" if _context else ""


def check_forward(op, out, arrays) -> None:
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        kind = "NaN" if np.isnan(out).any() else "Inf"
        raise NonFiniteError(f"{op.name}{_where()}: forward produced {kind}; {_describe(arrays)}.")


def tag(node) -> None:
    """Remember which layer recorded `node`, for backward's message."""
    if _context:
        _layer_of[node] = _context[-1]


def check_backward(node, grads) -> None:
    for i, gp in enumerate(grads):
        if gp is not None and gp.dtype.kind == "f" and not np.isfinite(gp).all():
            kind = "NaN" if np.isnan(gp).any() else "Inf"
            layer = _layer_of.get(node)
            where = f" in layer '{layer}'" if layer else ""
            raise NonFiniteError(f"{node.op.name}{where}: backward produced {kind} in the "
                                 f"gradient of input {i}.")


class detect_anomaly:  # noqa: N801 - named as in PyTorch
    """Check every op's output and gradients for NaN/Inf and raise naming the first culprit.

    Slows every op down; use it to debug, not to train.
    """

    def __enter__(self):
        self._previous = mode._anomaly
        mode._anomaly = True
        return self

    def __exit__(self, *exc):
        mode._anomaly = self._previous
        return False
