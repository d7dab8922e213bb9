"""Adamax (Keras 3 defaults and update)."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7.1): Adam with the infinity norm in place of the
    second moment.

    For step t = iterations + 1 and each variable w with gradient g:

        m <- m + (1 - beta_1) * (g - m)
        u <- max(beta_2 * u, |g|)
        w <- w - lr * m / ((1 - beta_1**t) * (u + epsilon))

    Versus torch.optim.Adamax: torch adds eps inside the maximum, u <- max(beta_2 * u, |g| + eps),
    and divides by u alone (defaults lr=0.002, eps=1e-8); Keras adds epsilon to u in the
    denominator only.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay of the first moment. Defaults to 0.9.
        beta_2: Decay of the infinity norm. Defaults to 0.999.
        epsilon: Defaults to 1e-7.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_slots(variables, "momentum", "norm")

    def prepare_step(self, lr):
        self._correction = 1.0 - self.beta_1 ** (self._step() + 1)

    def update_step(self, grad, var, lr):
        m, u = self.slot(var, "momentum"), self.slot(var, "norm")
        s = self.scratch(var)
        np.subtract(grad, m, out=s)
        s *= 1.0 - self.beta_1
        m += s
        u *= self.beta_2
        np.maximum(u, np.abs(grad, out=s), out=u)
        np.add(u, self.epsilon, out=s)
        s *= self._correction
        np.divide(m, s, out=s)
        s *= lr
        var -= s

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
