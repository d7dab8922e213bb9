"""Adagrad (Keras 3 defaults and update)."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: per-parameter rates scaled by the history of squared gradients.

    For each variable w with gradient g (the accumulator starts at initial_accumulator_value):

        acc <- acc + g**2
        w <- w - lr * g / sqrt(acc + epsilon)

    Versus torch.optim.Adagrad: torch's accumulator starts at 0 (initial_accumulator_value=0),
    its eps (1e-10) sits outside the root, g / (sqrt(acc) + eps), and it defaults to lr=0.01;
    Keras starts the accumulator at 0.1 with epsilon inside the root.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        initial_accumulator_value: Starting value of the accumulators. Defaults to 0.1.
        epsilon: Defaults to 1e-7.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_slots(variables, "accumulator",
                                            initial_value=self.initial_accumulator_value)

    def update_step(self, grad, var, lr):
        acc = self.slot(var, "accumulator")
        s = self.scratch(var)
        np.square(grad, out=s)
        acc += s
        np.add(acc, self.epsilon, out=s)
        np.sqrt(s, out=s)
        np.divide(grad, s, out=s)
        s *= lr
        var -= s

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
