"""Adam's compiled flat update (numba) against its NumPy form: equal bit for bit."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from deltaw.keras import layers, models, optimizers
from deltaw.nn import _kernels

dense_module = importlib.import_module("deltaw.nn.dense")   # deltaw.nn.dense is also a function

pytest.importorskip("numba", reason="numba (deltaw's optional 'fast' extra) is not installed: "
                    "only the NumPy path runs")


def _trained_weights(kernels_on, epsilon=1e-7):
    previous = _kernels.set_enabled(kernels_on)
    try:
        rng = np.random.default_rng(3)
        x = rng.normal(size=(96, 5)).astype(np.float32)
        y = (x[:, :1] - x[:, 1:2] > 0).astype(np.float32)
        model = models.Sequential([layers.Dense(7, activation="tanh", input_shape=(5,)),
                                   layers.Dense(1, activation="sigmoid")])
        model.build((None, 5))
        weights = [np.linspace(-0.5, 0.5, w.size, dtype=np.float32).reshape(w.shape)
                   for w in model.get_weights()]
        model.set_weights(weights)
        opt = optimizers.Adam(learning_rate=0.01, beta_1=0.8, epsilon=epsilon)
        model.compile(optimizer=opt, loss="binary_crossentropy")
        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        return model.get_weights(), [s.numpy() for s in opt.variables[1:]]
    finally:
        _kernels.set_enabled(previous)


@pytest.mark.parametrize("epsilon", [1e-7, 0.1])
def test_compiled_adam_equals_numpy_bit_for_bit(epsilon, monkeypatch):
    if _kernels.get() is None:
        pytest.skip(f"numba kernels unavailable: {_kernels.status()}")
    from deltaw.nn._kernels import optimizer_numba

    kernels, calls = optimizer_numba.load(), []
    update = kernels.adam_update
    monkeypatch.setattr(kernels, "adam_update", lambda *a: calls.append(1) or update(*a))
    # the dense kernels sum the bias gradient in another order: keep NumPy's in both runs
    monkeypatch.setattr(dense_module, "_compiled", lambda *a: None)
    compiled = _trained_weights(True, epsilon)
    assert len(calls) == 18                     # 6 batches x 3 epochs, all through the kernel
    numpy_path = _trained_weights(False, epsilon)
    for a, b in zip(compiled[0] + compiled[1], numpy_path[0] + numpy_path[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_kernel_is_used_only_for_flat_float32_buffers():
    from deltaw.keras.optimizers.adam import _compiled

    ok = np.zeros(4, np.float32)
    assert _compiled(np.zeros(4, np.float64), ok, ok, ok) is None
    assert _compiled(np.zeros((2, 2), np.float32), ok, ok, ok) is None
    assert _compiled(np.zeros(8, np.float32)[::2], ok, ok, ok) is None
