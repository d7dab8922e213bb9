"""Stochastic gradient descent, with Keras' momentum and Nesterov formulation."""

from __future__ import annotations

import numpy as np

from deltaw.keras.optimizers.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent with optional momentum (Keras 3 defaults and update).

    For each variable w with gradient g and learning rate lr:

        momentum == 0:   w <- w - lr * g
        momentum > 0:    m <- momentum * m - lr * g           (m starts at 0)
                         w <- w + m                            (nesterov=False)
                         w <- w + momentum * m - lr * g        (nesterov=True, with the new m)

    Versus torch.optim.SGD (dampening=0): torch keeps b <- momentum * b + g and steps
    w <- w - lr * b (nesterov: w <- w - lr * (g + momentum * b)). With a constant learning rate
    Keras' m is exactly -lr * b, so the two coincide; they differ when lr changes during
    training (Keras' m remembers the lr of past steps, torch applies the current lr to the whole
    buffer).

    Args:
        learning_rate: Float or schedule. Defaults to 0.01.
        momentum: Float in [0, 1]. Defaults to 0.0.
        nesterov: Use Nesterov momentum. Defaults to False.
        **kwargs: Base optimizer arguments (weight_decay, clipnorm, clipvalue, global_clipnorm,
            use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps, name).

    Example:
        >>> w = dw.Variable([1.0, 2.0])
        >>> SGD(learning_rate=0.1).apply([np.array([1.0, 1.0], np.float32)], [w])
        >>> w.numpy()
        array([0.9, 1.9], dtype=float32)
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, float | int) or isinstance(momentum, bool) or \
                not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be a float in [0, 1]; got {momentum!r}.")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_slots(variables, "momentum") if self.momentum != 0 else []

    def update_step(self, grad, var, lr):
        s = self.scratch(var)
        np.multiply(grad, lr, out=s)                      # lr * g
        if self.momentum == 0:
            var -= s
            return
        m = self.slot(var, "momentum")
        m *= self.momentum
        m -= s                                            # m = momentum * m - lr * g
        if self.nesterov:
            var -= s
            np.multiply(m, self.momentum, out=s)
            var += s                                      # w += momentum * m - lr * g
        else:
            var += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
