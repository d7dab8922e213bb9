"""Adafactor (Keras 3 defaults and update)."""

from __future__ import annotations

import math

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer
from deltaw.tensor import Variable

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): a factored second moment (one row and one column
    statistic per matrix instead of a full one), with a relative step size.

    For step t = iterations + 1 and each variable w with gradient g:

        rho = min(lr, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        G = g**2 + epsilon_1
        beta_2_t = 1 - t**beta_2_decay
        w of rank >= 2:   r <- beta_2_t * r + (1 - beta_2_t) * mean(G, axis=-1)
                          c <- beta_2_t * c + (1 - beta_2_t) * mean(G, axis=-2)
                          v = (r / mean(r, axis=-1))[..., None] * c[..., None, :]
        w of rank < 2:    v <- beta_2_t * v + (1 - beta_2_t) * G
        u = g / sqrt(v);  u <- u / max(1, rms(u) / clip_threshold)
        w <- w - alpha * u

    rms(x) = sqrt(mean(x**2)) over the whole variable, so the update is per variable (never on
    one flat buffer). Slots per variable, in Keras' order: r and c (named after the variable;
    0-d placeholders for variables of rank < 2), then "velocity".

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_2_decay: Decay exponent of the second moment. Defaults to -0.8.
        epsilon_1: Added to the squared gradients. Defaults to 1e-30.
        epsilon_2: Floor of the parameter scale rms(w). Defaults to 1e-3.
        clip_threshold: Update clipping threshold. Defaults to 1.0.
        relative_step: Kept for Keras compatibility; Keras 3 caps the step at 1 / sqrt(t)
            either way. Defaults to True.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        for v in variables:
            slots = self._entries[id(v)][1]
            base = (getattr(v, "path", None) or v.name or "variable").split("/")[-1]
            shape, dtype = v.data.shape, v.data.dtype
            if len(shape) >= 2:
                row_shape, col_shape = shape[:-1], shape[:-2] + shape[-1:]
            else:
                row_shape = col_shape = ()
            for key, slot_shape in (("r", row_shape), ("c", col_shape)):
                slots[key] = self._track(Variable(np.zeros(slot_shape, dtype=dtype),
                                                  trainable=False, name=base))
            self.add_slots([v], "velocity")  # interleaved per variable, as Keras

    def prepare_step(self, lr):
        t = self._step() + 1
        self._rho = min(lr, 1.0 / math.sqrt(t))
        self._beta_2_t = 1.0 - t ** self.beta_2_decay

    def update_step(self, grad, var, lr):
        v = self.slot(var, "velocity")
        b = self._beta_2_t
        alpha = max(self.epsilon_2, _rms(var)) * self._rho
        regulated = np.square(grad) + self.epsilon_1
        if var.ndim >= 2:
            r, c = self.slot(var, "r"), self.slot(var, "c")
            r[...] = b * r + (1 - b) * regulated.mean(axis=-1)
            c[...] = b * c + (1 - b) * regulated.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = b * v + (1 - b) * regulated
        u = grad / np.sqrt(v)
        u /= max(1.0, _rms(u) / self.clip_threshold)
        var -= alpha * u

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


def _rms(x) -> float:
    return math.sqrt(float(np.mean(np.square(x))))
