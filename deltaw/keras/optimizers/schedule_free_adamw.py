"""ScheduleFreeAdamW (Keras 3 defaults and update)."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024): Adam steps on a sequence z (the "momentum"
    slot, starting at the weights), an average x of the z's, and weights y interpolating both,
    so no learning-rate schedule is needed.

    For step t = iterations + 1 and each variable y with gradient g:

        lr_t = lr * min(t / warmup_steps, 1)              (lr when warmup_steps = 0)
        v <- v + (1 - beta_2) * (g**2 - v)
        z_new = z - lr_t * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (y - (1 - beta_1) * z) / beta_1               (the average, recovered from y and z)
        x <- (1 - 1/t) * x + (1/t) * z_new
        y <- (1 - beta_1) * z_new + beta_1 * x;  z <- z_new

    Weight decay, when set, is the base class's decoupled decay applied to y before the step
    (as Keras).

    Keras 3.15 writes this update too, but on its torch backend `momentum.value` is the slot's
    own tensor, updated in place before x is recovered, so it recovers x from z_new. deltaw
    follows the formula (the paper's: y was built from the old z), so it matches Keras' torch
    backend on the first step only (where x is replaced by z_new whatever its value).

    Evaluating at the average x (the method's recommendation) is left to the user, as in Keras.

    Args:
        learning_rate: Float or schedule. Defaults to 0.0025.
        beta_1: Interpolation between z and x. Defaults to 0.9.
        beta_2: Decay of the second moment. Defaults to 0.999.
        epsilon: Defaults to 1e-8.
        warmup_steps: Steps of linear learning-rate warmup. Defaults to 0.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_slots(variables, "momentum", "velocity")
        for z, v in zip(self._momentums, variables, strict=True):
            z.data[...] = v.data

    def prepare_step(self, lr):
        t = self._step() + 1
        self._t = t
        self._lr = lr * min(t / self.warmup_steps, 1.0) if self.warmup_steps > 0 else lr
        self._correction = 1.0 - self.beta_2 ** t

    def update_step(self, grad, var, lr):
        z, v = self.slot(var, "momentum"), self.slot(var, "velocity")
        b1, weight = self.beta_1, 1.0 / self._t
        v += (np.square(grad) - v) * (1.0 - self.beta_2)
        x = (var - (1.0 - b1) * z) / b1               # from z before this step's update
        z -= self._lr * grad / (np.sqrt(v / self._correction) + self.epsilon)
        x = (1.0 - weight) * x + weight * z
        var[...] = (1.0 - b1) * z + b1 * x

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}
