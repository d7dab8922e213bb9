"""A physics-informed network solves u'' = -u on [0, pi/2] with u(0) = 0, u(pi/2) = 1 (exact: sin).

No solution values are given: the loss is the equation's residual u''(x) + u(x) at collocation
points plus the two boundary conditions, and u'' is the second derivative of the network with
respect to its input, taken by differentiating the gradient again (create_graph=True). Training
the weights then differentiates through that second derivative (third order in total).

    python -m deltaw.examples pinn_oscillator

Stated accuracy: max |u(x) - sin(x)| below 1e-3 on 201 evenly spaced points of [0, pi/2]
(observed: 7e-5 with the defaults, 1500 Adam steps on 48 collocation points).
"""

from __future__ import annotations

import math

import numpy as np

import deltaw as dw
from deltaw.keras import Sequential, layers, optimizers
from deltaw.keras.utils import set_random_seed

LEFT, RIGHT = 0.0, math.pi / 2


def derivatives(model, x):
    """u, u' and u'' of the network at the points x (shape (n, 1)), with their graphs.

    Each u_i depends on x_i only, so the gradient of sum(u) is the vector of the u'(x_i), and
    the same trick once more gives u''.
    """
    x = dw.tensor(x, requires_grad=True)
    u = model(x)
    du = dw.grad(u.sum(), x, create_graph=True)
    d2u = dw.grad(du.sum(), x, create_graph=True)
    return u, du, d2u


def physics_loss(model, x):
    """mean((u'' + u)^2) at the collocation points plus the squared boundary errors."""
    u, _, d2u = derivatives(model, x)
    residual = d2u + u
    ends = model(dw.tensor(np.array([[LEFT], [RIGHT]], dtype=np.float32)))
    boundary = (ends - dw.tensor(np.array([[0.0], [1.0]], dtype=np.float32))) ** 2
    return dw.mean(residual * residual) + dw.sum(boundary)


def main(steps: int = 1500, points: int = 48, verbose: int = 1) -> float:
    """Train and return the max error against sin on [0, pi/2]."""
    set_random_seed(0)
    model = Sequential([layers.Input((1,)), layers.Dense(24, activation="tanh"),
                        layers.Dense(24, activation="tanh"), layers.Dense(1)])
    optimizer = optimizers.Adam(learning_rate=0.01)
    x = np.linspace(LEFT, RIGHT, points, dtype=np.float32)[:, None]
    for step in range(steps):
        loss = physics_loss(model, x)
        grads = dw.grad(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        if verbose and step % 250 == 0:
            print(f"step {step:5d}  physics loss {loss.item():.3e}")
    grid = np.linspace(LEFT, RIGHT, 201, dtype=np.float32)[:, None]
    with dw.no_grad():
        error = float(np.max(np.abs(model(grid).numpy() - np.sin(grid))))
    if verbose:
        print(f"max |u - sin| on [0, pi/2]: {error:.2e} (stated: below 1e-3)")
    return error


if __name__ == "__main__":
    main()
