"""Nadam: Adam with Nesterov momentum, in Keras' (Dozat's) formulation."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer
from deltaw.tensor import Variable

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Nadam with Keras 3's defaults and update rule (momentum schedule of Dozat, 2016).

    For step t = iterations + 1, with u_k = beta_1 * (1 - 0.5 * 0.96**k) and the running product
    P_t = u_1 * ... * u_t (kept as an optimizer variable), each variable w with gradient g:

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g**2 - v)
        m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)

    torch.optim.NAdam computes the same update, with epsilon in the same place (after the bias
    correction of v), when created with momentum_decay=1.0; its default momentum_decay=0.004 gives
    u_t = beta_1 * (1 - 0.5 * 0.96**(0.004 * t)) instead, and its default eps is 1e-8.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Defaults to 0.9.
        beta_2: Defaults to 0.999.
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
        self._momentums, self._velocities = self.add_slots(variables, "momentum", "velocity")
        # float64 (Keras: the first variable's dtype): it is a product of many factors
        self._u_product = self._track(Variable(np.array(1.0), trainable=False,
                                               name="u_product"))

    def prepare_step(self, lr):
        t = self._step() + 1
        b1 = self.beta_1
        u_t = b1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        prod = float(self._u_product.data) * u_t
        self._u_product.data[...] = prod
        self._c_m = u_next / (1.0 - prod * u_next)
        self._c_g = (1.0 - u_t) / (1.0 - prod)
        self._v_scale = 1.0 / (1.0 - self.beta_2 ** t)

    def update_step(self, grad, var, lr):
        m, v = self.slot(var, "momentum"), self.slot(var, "velocity")
        s, t = self.scratch(var, 0), self.scratch(var, 1)
        np.subtract(grad, m, out=s)
        s *= 1.0 - self.beta_1
        m += s
        np.square(grad, out=s)
        s -= v
        s *= 1.0 - self.beta_2
        v += s
        np.multiply(m, self._c_m, out=s)
        np.multiply(grad, self._c_g, out=t)
        s += t                                   # m_hat
        np.multiply(v, self._v_scale, out=t)
        np.sqrt(t, out=t)
        t += self.epsilon
        s /= t
        s *= lr
        var -= s

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
