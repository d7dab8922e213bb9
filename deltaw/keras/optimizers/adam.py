"""Adam, with Keras' epsilon placement and optional AMSGrad."""

from __future__ import annotations

import math

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer
from deltaw.nn._kernels import optimizer_numba

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014) with Keras 3's defaults and update rule.

    For step t = iterations + 1 and each variable w with gradient g:

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g**2 - v)
        v_max <- max(v_max, v); use v_max for v below           (amsgrad=True only)
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w <- w - alpha * m / (sqrt(v) + epsilon)

    Epsilon: Keras adds epsilon to sqrt(v) *before* the bias correction is folded in. torch.optim
    adds it after: w <- w - lr / (1 - beta_1**t) * m / (sqrt(v / (1 - beta_2**t)) + eps). So
    Keras' epsilon acts like torch's eps / sqrt(1 - beta_2**t) (about 30x larger at t = 1), and
    Keras' default is 1e-7 where torch's is 1e-8. They agree exactly when epsilon is negligible
    against sqrt(v). AMSGrad differs too: torch keeps the maximum of v and applies the bias
    correction to it; Keras keeps the maximum of the uncorrected v as here.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay of the first moment. Defaults to 0.9.
        beta_2: Decay of the second moment. Defaults to 0.999.
        epsilon: Defaults to 1e-7.
        amsgrad: Use AMSGrad. Defaults to False.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, ..., name).
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_slots(variables, "momentum", "velocity")
        if self.amsgrad:
            self._velocity_hats = self.add_slots(variables, "velocity_hat")

    def prepare_step(self, lr):
        t = self._step() + 1
        self._alpha = lr * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        self._one_minus_b1 = 1.0 - self.beta_1
        self._one_minus_b2 = 1.0 - self.beta_2

    def update_step(self, grad, var, lr):
        m, v = self.slot(var, "momentum"), self.slot(var, "velocity")
        kernels = None if self.amsgrad else _compiled(grad, var, m, v)
        if kernels is not None:                # one pass, bit-identical to the NumPy form below
            f32 = np.float32
            kernels.adam_update(grad, var, m, v, f32(self._one_minus_b1),
                                f32(self._one_minus_b2), f32(self.epsilon), f32(self._alpha))
            return
        s = self.scratch(var)
        np.subtract(grad, m, out=s)
        s *= self._one_minus_b1
        m += s
        np.square(grad, out=s)
        s -= v
        s *= self._one_minus_b2
        v += s
        if self.amsgrad:
            v = np.maximum(self.slot(var, "velocity_hat"), v,
                           out=self.slot(var, "velocity_hat"))
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(m, s, out=s)
        s *= self._alpha
        var -= s

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


def _compiled(*arrays):
    """The compiled update (numba, deltaw's `fast` extra) for 1-D contiguous float32 buffers,
    as the flat training path passes them; None for the NumPy path."""
    for a in arrays:
        if a.dtype != np.float32 or a.ndim != 1 or not a.flags.c_contiguous:
            return None
    return optimizer_numba.load()
