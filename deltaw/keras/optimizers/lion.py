"""Lion (Keras 3 defaults and update)."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"): the sign of an
    interpolated momentum, so every element moves by exactly lr.

    For each variable w with gradient g:

        w <- w - lr * sign(beta_1 * m + (1 - beta_1) * g)
        m <- beta_2 * m + (1 - beta_2) * g

    `sign(0) = 0`. Use a learning rate 3-10x smaller than AdamW's (the update has unit size).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Interpolation factor of the update direction. Defaults to 0.9.
        beta_2: Decay of the momentum. Defaults to 0.99.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).

    Raises:
        ValueError: when beta_1 is not in (0, 1].
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: beta_1 must be in (0, 1]; expected 0 < beta_1 <= 1, got "
                             f"{beta_1}.")
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_slots(variables, "momentum")

    def update_step(self, grad, var, lr):
        m = self.slot(var, "momentum")
        s = self.scratch(var)
        np.multiply(m, self.beta_1, out=s)
        s += grad * (1.0 - self.beta_1)
        np.sign(s, out=s)
        s *= lr
        var -= s
        m *= self.beta_2
        np.multiply(grad, 1.0 - self.beta_2, out=s)
        m += s

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
