"""Activation statistics of one layer's output: mean, std, dead and saturated fractions.

A unit is dead (ReLU family) when it is zero on every probe sample and position; an output is
saturated (sigmoid, tanh, softmax) when the activation's input lies beyond ±5 (DeepDiagnosis'
rule), read from the output: sigmoid(z) outside [sigmoid(-5), sigmoid(5)], |tanh(z)| above
tanh(5), a softmax whose largest probability is above sigmoid(5).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ActivationStats", "activation_kind", "RELU_FAMILY", "SATURATING"]

SATURATION_INPUT = 5.0
_SIG_HI = 1.0 / (1.0 + math.exp(-SATURATION_INPUT))
_SIG_LO = 1.0 - _SIG_HI
_TANH_HI = math.tanh(SATURATION_INPUT)

RELU_FAMILY = ("relu", "relu6")
SATURATING = ("sigmoid", "tanh", "softmax", "hard_sigmoid")
_ACTIVATED = ("Dense", "EinsumDense", "Activation", "Conv1D", "Conv2D", "Conv3D",
              "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D",
              "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D")


def activation_kind(layer) -> tuple:
    """`(activation name or None, family)`: family 'relu', 'saturating' or None.

    Only layers whose output is their activation's output count (Dense, the convolutions,
    Activation, ReLU, Softmax and their subclasses); an LSTM's tanh, for one, is internal.
    """
    cls = type(layer)
    names = {c.__name__ for c in cls.__mro__}
    if "ReLU" in names:
        slope = getattr(layer, "negative_slope", 0.0) or 0.0
        return "relu", "relu" if slope == 0 else None
    if "Softmax" in names:
        return "softmax", "saturating"
    if not names.intersection(_ACTIVATED):
        return None, None
    name = _name(getattr(layer, "activation", None))
    if name in RELU_FAMILY:
        return name, "relu"
    if name in SATURATING:
        return name, "saturating"
    return (None if name == "linear" else name), None


def _name(fn):
    if fn is None:
        return None
    from deltaw.keras import activations

    try:
        return activations.serialize(fn)
    except (TypeError, ValueError):
        return getattr(fn, "__name__", None)


class ActivationStats:
    """Accumulates the statistics of a layer's outputs over probe batches."""

    def __init__(self, kind):
        self.name, self.family = kind
        self.total = self.total_sq = 0.0
        self.count = 0
        self.alive = None        # per unit (last axis): nonzero somewhere
        self.saturated = 0
        self.positions = 0
        self.nonfinite = False

    def add(self, out):
        if out.dtype.kind != "f" or out.size == 0:
            return
        if not np.isfinite(out).all():
            self.nonfinite = True
            return
        flat = out.reshape(-1).astype(np.float64)
        self.total += float(flat.sum())
        self.total_sq += float(np.dot(flat, flat))
        self.count += flat.size
        if self.family == "relu" and out.ndim >= 2:
            alive = (out != 0).reshape(-1, out.shape[-1]).any(axis=0)
            self.alive = alive if self.alive is None else self.alive | alive
        elif self.family == "saturating":
            self._add_saturation(out)

    def _add_saturation(self, out):
        if self.name == "softmax":
            peak = out.max(axis=-1)
            self.saturated += int((peak > _SIG_HI).sum())
            self.positions += peak.size
            return
        if self.name == "sigmoid":
            hit = (out < _SIG_LO) | (out > _SIG_HI)
        elif self.name == "tanh":
            hit = np.abs(out) > _TANH_HI
        else:                     # hard_sigmoid: flat outside its linear piece
            hit = (out <= 0) | (out >= 1)
        self.saturated += int(hit.sum())
        self.positions += out.size

    def fill(self, report):
        if self.count:
            mean = self.total / self.count
            report.mean = mean
            report.std = math.sqrt(max(0.0, self.total_sq / self.count - mean * mean))
        if self.alive is not None:
            report.dead_fraction = 1.0 - float(self.alive.mean())
        if self.positions:
            report.saturated_fraction = self.saturated / self.positions
