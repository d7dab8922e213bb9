"""Adadelta (Keras 3 defaults and update)."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of updates and gradients.

    For each variable w with gradient g (both accumulators start at 0):

        acc_g <- rho * acc_g + (1 - rho) * g**2
        delta = -sqrt(acc_d + epsilon) * g / sqrt(acc_g + epsilon)
        acc_d <- rho * acc_d + (1 - rho) * delta**2
        w <- w + lr * delta

    This matches torch.optim.Adadelta's formula (eps inside both roots), but the defaults
    differ: torch uses lr=1.0, rho=0.9, eps=1e-6; Keras lr=0.001, rho=0.95, epsilon=1e-7.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        rho: Decay rate. Defaults to 0.95.
        epsilon: Defaults to 1e-7.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_slots(
            variables, "accumulated_grad", "accumulated_delta_var")

    def update_step(self, grad, var, lr):
        rho, one_minus_rho, eps = self.rho, 1.0 - self.rho, self.epsilon
        acc_g = self.slot(var, "accumulated_grad")
        acc_d = self.slot(var, "accumulated_delta_var")
        s, t = self.scratch(var, 0), self.scratch(var, 1)
        acc_g *= rho
        np.square(grad, out=s)
        s *= one_minus_rho
        acc_g += s
        np.add(acc_d, eps, out=s)
        np.sqrt(s, out=s)
        s *= grad
        np.add(acc_g, eps, out=t)
        np.sqrt(t, out=t)
        s /= t                                   # s = -delta
        acc_d *= rho
        np.square(s, out=t)
        t *= one_minus_rho
        acc_d += t
        s *= lr
        var -= s

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
