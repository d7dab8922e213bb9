"""Backpropagation by hand: a two-layer network built from dw ops, trained with Δw = -η·∂E/∂w.

No optimizer and no layers: the engine supplies ∂E/∂w and the loop applies the update itself.
"""

from __future__ import annotations

import numpy as np

import deltaw as dw


def _init(rng, shape, scale):
    return dw.Variable(rng.normal(0.0, scale, shape).astype(np.float32))


def _train(x, y, hidden, eta, steps, rng, activation=dw.tanh):
    w1, b1 = _init(rng, (x.shape[1], hidden), 1.0), dw.Variable(np.zeros(hidden, np.float32))
    w2, b2 = _init(rng, (hidden, 1), 1.0 / np.sqrt(hidden)), dw.Variable(np.zeros(1, np.float32))
    params = [w1, b1, w2, b2]

    def forward(inputs):
        return activation(inputs @ w1 + b1) @ w2 + b2

    losses = []
    for _ in range(steps):
        err = forward(x) - y
        loss = dw.mean(err * err)  # E = mean squared error
        grads = dw.grad(loss, params)
        for w, g in zip(params, grads, strict=True):
            w.assign_sub(eta * g.numpy())  # Δw = -η ∂E/∂w
        losses.append(loss.item())
    with dw.no_grad():
        final = forward(x)
    return final, losses


def test_two_layer_network_learns_xor():
    rng = np.random.default_rng(0)
    x = dw.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = dw.tensor([[0.0], [1.0], [1.0], [0.0]])
    pred, losses = _train(x, y, hidden=8, eta=0.5, steps=600, rng=rng)
    final_loss = float(np.mean((pred.numpy() - y.numpy()) ** 2))
    assert final_loss < 0.01, f"XOR did not converge: final loss {final_loss:.4f}"
    np.testing.assert_array_equal(pred.numpy() > 0.5, y.numpy() > 0.5)
    assert losses[-1] < losses[0] / 10


def test_two_layer_network_fits_a_small_regression():
    rng = np.random.default_rng(1)
    x_np = np.linspace(-2.0, 2.0, 64, dtype=np.float32)[:, None]
    y_np = np.sin(1.5 * x_np) + 0.3 * x_np
    pred, losses = _train(dw.tensor(x_np), dw.tensor(y_np), hidden=16, eta=0.1, steps=1500,
                          rng=rng)
    mse = float(np.mean((pred.numpy() - y_np) ** 2))
    assert mse < 0.01, f"regression MSE {mse:.4f} is above the bound 0.01"  # variance of y: ~1.05
    assert pred.dtype == np.float32
