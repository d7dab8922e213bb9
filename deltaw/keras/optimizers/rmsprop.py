"""RMSprop, with Keras' epsilon inside the square root."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop with Keras 3's defaults and update rule.

    For each variable w with gradient g:

        v <- rho * v + (1 - rho) * g**2
        a <- rho * a + (1 - rho) * g                           (centered=True only)
        denom = v - a**2 + epsilon  if centered  else  v + epsilon
        step = lr * g / sqrt(denom)
        momentum > 0:  b <- momentum * b + step;  w <- w - b
        otherwise:     w <- w - step

    Versus torch.optim.RMSprop: torch puts eps *outside* the root, g / (sqrt(v) + eps), with
    default eps 1e-8 and alpha (= rho) 0.99; Keras puts epsilon inside, g / sqrt(v + epsilon),
    with defaults 1e-7 and rho 0.9. Torch's momentum buffer holds g / (sqrt(v) + eps) and is
    multiplied by lr when applied; Keras' holds lr * g / sqrt(...), so the two coincide for a
    constant learning rate and negligible epsilon.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        rho: Decay of the squared-gradient average. Defaults to 0.9.
        momentum: Defaults to 0.0.
        epsilon: Defaults to 1e-7.
        centered: Normalize by the variance estimate instead of the second moment.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_slots(variables, "velocity")
        self._momentums = self.add_slots(variables, "momentum") if self.momentum > 0 else []
        self._average_gradients = (self.add_slots(variables, "average_gradient")
                                   if self.centered else [])

    def update_step(self, grad, var, lr):
        rho, one_minus_rho = self.rho, 1.0 - self.rho
        v = self.slot(var, "velocity")
        s = self.scratch(var)
        v *= rho
        np.square(grad, out=s)
        s *= one_minus_rho
        v += s
        if self.centered:
            a = self.slot(var, "average_gradient")
            a *= rho
            np.multiply(grad, one_minus_rho, out=s)
            a += s
            np.square(a, out=s)
            np.subtract(v, s, out=s)
            s += self.epsilon
        else:
            np.add(v, self.epsilon, out=s)
        np.sqrt(s, out=s)
        np.divide(grad, s, out=s)
        s *= lr
        if self.momentum > 0:
            b = self.slot(var, "momentum")
            b *= self.momentum
            b += s
            var -= b
        else:
            var -= s

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
