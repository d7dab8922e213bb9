"""FTRL-Proximal (Keras 3 defaults and update)."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """Follow The Regularized Leader, proximal form (McMahan et al., 2013), with Keras 3's
    online L2 shrinkage and `beta`.

    For each variable w with gradient g, p = learning_rate_power (<= 0), l1, l2, l2_shrinkage
    the regularization strengths:

        l2' = l2 + beta / (2 * lr)
        g_s = g + 2 * l2_shrinkage * w
        n_new = n + g**2
        z <- z + g_s - (n_new**(-p) - n**(-p)) / lr * w
        w <- (clip(z, -l1, l1) - z) / (n_new**(-p) / lr + 2 * l2')
        n <- n_new

    (n: the "accumulator" slot, starting at initial_accumulator_value; z: the "linear" slot.)

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        learning_rate_power: <= 0. Defaults to -0.5.
        initial_accumulator_value: >= 0. Defaults to 0.1.
        l1_regularization_strength: >= 0. Defaults to 0.
        l2_regularization_strength: >= 0. Defaults to 0.
        l2_shrinkage_regularization_strength: >= 0; L2 on the gradient (magnitude penalty).
            Defaults to 0.
        beta: Defaults to 0.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        checks = (("initial_accumulator_value", initial_accumulator_value, "must be >= 0"),
                  ("learning_rate_power", learning_rate_power, "must be <= 0"),
                  ("l1_regularization_strength", l1_regularization_strength, "must be >= 0"),
                  ("l2_regularization_strength", l2_regularization_strength, "must be >= 0"),
                  ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
                   "must be >= 0"))
        for key, value, rule in checks:
            bad = value > 0 if key == "learning_rate_power" else value < 0
            if bad:
                raise ValueError(f"Ftrl: {key} {rule}; got {value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # interleaved per variable (accumulator, linear), as Keras orders them
        self._accumulators, self._linears = self.add_slots(variables, "accumulator", "linear")
        for slot in self._accumulators:
            slot.data[...] = self.initial_accumulator_value

    def update_step(self, grad, var, lr):
        n, z = self.slot(var, "accumulator"), self.slot(var, "linear")
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrunk = grad + 2 * self.l2_shrinkage_regularization_strength * var
        n_new = n + np.square(grad)
        n_new_pow = np.power(n_new, power)
        z += shrunk - (n_new_pow - np.power(n, power)) / lr * var
        quadratic = n_new_pow / lr + 2 * l2
        var[...] = (np.clip(z, -l1, l1) - z) / quadratic
        n[...] = n_new

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
