"""Muon (Keras 3 defaults and update): orthogonalized momentum for 2-D weights, AdamW for the
rest."""

from __future__ import annotations

import math
import re

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["Muon"]


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Moonlight's scaling, Liu et al., 2025).

    2-D weights (except those whose path/name contains "embedding" when `exclude_embeddings`,
    or matches a regex of `exclude_layers`) take the Muon step; every other weight takes AdamW.

    Muon step, for a weight w with gradient g (m: the "momentum" slot):

        m <- m + g + (momentum - 1) * m                       (= momentum * m + g)
        d = g + momentum * m   (nesterov)   or   d = m
        O = newton_schulz(d, ns_steps)                         (approximately U V^T of d's SVD)
        w <- w - lr * O * sqrt(max(rows, cols)) * rms_rate     (no factor if rms_rate is None)

    newton_schulz works on the wide orientation (transposed when rows > cols):
    `X = d / (||d||_F + 1e-7)`, then `ns_steps` times
    `A = X X^T;  X <- muon_a X + (muon_b A + muon_c A A) X`.

    AdamW step (m and the "velocity" slot v), at `lr * adam_lr_ratio`:
    Keras' Adam update with adam_beta_1, adam_beta_2 and epsilon (see `Adam`).

    Decoupled weight decay before the step: `w <- w - w * wd * lr` with wd = `weight_decay` for
    Muon weights and `adam_weight_decay` for the AdamW ones (None skips).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        adam_beta_1, adam_beta_2: AdamW moments' decays. Defaults 0.9 and 0.999.
        adam_weight_decay: Decay of the AdamW weights. Defaults to 0.004.
        epsilon: AdamW epsilon. Defaults to 1e-7.
        weight_decay: Decay of the Muon weights. Defaults to 0.004.
        exclude_layers: Regexes of weight paths/names that take AdamW. Defaults to none.
        exclude_embeddings: Send weights with "embedding" in their path/name to AdamW.
            Defaults to True.
        muon_a, muon_b, muon_c: Newton-Schulz coefficients. Defaults 3.4445, -4.775, 2.0315.
        adam_lr_ratio: AdamW learning rate as a fraction of lr. Defaults to 1.
        momentum: Muon momentum. Defaults to 0.95.
        ns_steps: Newton-Schulz iterations. Defaults to 5.
        nesterov: Nesterov-style direction. Defaults to True.
        rms_rate: Update scale (Moonlight), or None. Defaults to 0.2.
        **kwargs: Base optimizer arguments (clipnorm, ..., name).
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.775, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _uses_adamw(self, variable) -> bool:
        if variable.ndim != 2:
            return True
        path = getattr(variable, "path", None) or variable.name or ""
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._adamw_ids = set()
        for v in variables:            # Keras' order: each variable's momentum, then velocity
            self.add_slots([v], "momentum")
            if self._uses_adamw(v):
                self.add_slots([v], "velocity")
                self._adamw_ids.add(id(v.data))

    def prepare_step(self, lr):
        t = self._step() + 1
        self._alpha = lr * self.adam_lr_ratio * math.sqrt(1 - self.adam_beta_2 ** t) / (
            1 - self.adam_beta_1 ** t)

    def update_step(self, grad, var, lr):
        m = self.slot(var, "momentum")
        if id(var) in self._adamw_ids:
            v = self.slot(var, "velocity")
            m += (grad - m) * (1 - self.adam_beta_1)
            v += (np.square(grad) - v) * (1 - self.adam_beta_2)
            var -= m * self._alpha / (np.sqrt(v) + self.epsilon)
            return
        m += grad + m * (self.momentum - 1)
        direction = grad + self.momentum * m if self.nesterov else m
        update = lr * self._newton_schulz(direction)
        if self.rms_rate is not None:
            update = update * math.sqrt(max(update.shape[0], update.shape[1])) * self.rms_rate
        var -= update

    def _newton_schulz(self, x):
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = np.swapaxes(x, -1, -2)
        x = x / (np.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
        for _ in range(self.ns_steps):
            a = x @ np.swapaxes(x, -1, -2)
            x = self.muon_a * x + (self.muon_b * a + self.muon_c * a @ a) @ x
        return np.swapaxes(x, -1, -2) if tall else x

    def _update(self, grads, variables):
        if not self.weight_decay:   # the base applies decay only when weight_decay is set
            self._apply_weight_decay(variables, self._current_learning_rate())
        super()._update(grads, variables)

    def _apply_weight_decay(self, variables, lr):
        for v in variables:
            if not self._use_weight_decay(v):
                continue
            decay = self.adam_weight_decay if id(v.data) in self._adamw_ids else self.weight_decay
            if decay:
                w = v.data
                w -= w * (decay * lr)

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}
