"""Lamb (Keras 3 defaults and update)."""

from __future__ import annotations

import math

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """LAMB (You et al., 2019): Adam's step rescaled per variable by a trust ratio, for large
    batches.

    For step t = iterations + 1 and each variable w with gradient g:

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g**2 - v)
        r = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        ratio = ||w|| / ||r|| when both norms are > 0, else 1     (L2 norms over the variable)
        w <- w - ratio * lr * r

    The ratio makes the update depend on the whole variable, so Lamb updates variable by
    variable (never on one flat buffer).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay of the first moment. Defaults to 0.9.
        beta_2: Decay of the second moment. Defaults to 0.999.
        epsilon: Defaults to 1e-7.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_slots(variables, "momentum", "velocity")

    def prepare_step(self, lr):
        t = self._step() + 1
        self._c1 = 1.0 - self.beta_1 ** t
        self._c2 = 1.0 - self.beta_2 ** t

    def update_step(self, grad, var, lr):
        m, v = self.slot(var, "momentum"), self.slot(var, "velocity")
        m += (grad - m) * (1.0 - self.beta_1)
        v += (np.square(grad) - v) * (1.0 - self.beta_2)
        update = (m / self._c1) / (np.sqrt(v / self._c2) + self.epsilon)
        w_norm = math.sqrt(float(np.sum(np.square(var))))
        r_norm = math.sqrt(float(np.sum(np.square(update))))
        ratio = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
        update *= ratio * lr
        var -= update

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
