"""The speed paths of the training step give the same results as the general code they skip.

Each fast path (the fused Dense op, the fused mean of the Keras losses, the cached layer facts,
the flat optimizer step, the metric shortcuts) is checked against the general path, and each
cache is checked to notice the changes that must invalidate it.
"""

import importlib
import warnings

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import Sequential, layers, losses, metrics, optimizers
from deltaw.keras.layers import Dense, Layer

_metric_module = importlib.import_module("deltaw.keras.metrics.metric")


def _x(n=6, d=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


# ----------------------------------------------------------------------------- fused Dense
@pytest.mark.parametrize("activation", [None, "linear", "relu", "sigmoid", "tanh"])
def test_dense_records_one_fused_op_with_the_unfused_values_and_gradients(activation):
    layer = Dense(3, activation=activation)
    x = dw.tensor(_x(), requires_grad=True)
    out = layer(x)
    assert out._node.op.name == "dense"
    act = dw.keras.activations.get(activation)
    ref = act(dw.matmul(x, layer.kernel) + layer.bias)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)
    wrt = [x, layer.kernel, layer.bias]
    for got, want in zip(dw.grad(out.sum(), wrt), dw.grad(ref.sum(), wrt), strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_dense_with_another_activation_keeps_the_unfused_ops():
    layer = Dense(3, activation="softmax")
    out = layer(dw.tensor(_x(), requires_grad=True))
    assert out._node.op.name != "dense"


def test_dense_without_bias_and_on_3d_inputs():
    layer = Dense(2, activation="relu", use_bias=False)
    x = _x(12).reshape(2, 6, 4)
    out = layer(x)
    assert out.shape == (2, 6, 2)
    np.testing.assert_allclose(out.numpy(), np.maximum(x @ layer.kernel.numpy(), 0), rtol=1e-6)


# ----------------------------------------------------------------------------- Keras losses
_LOSSES = [
    (losses.BinaryCrossentropy(), "probs"),
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), "logits"),
    (losses.CategoricalCrossentropy(), "onehot-probs"),
    (losses.CategoricalCrossentropy(from_logits=True), "onehot-logits"),
    (losses.SparseCategoricalCrossentropy(), "ids-probs"),
    (losses.SparseCategoricalCrossentropy(from_logits=True), "ids-logits"),
    (losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0), "ids-logits"),
    (losses.MeanSquaredError(), "regression"),
    (losses.MeanAbsoluteError(), "regression"),
    (losses.Huber(delta=0.5), "regression"),
]


def _pair(kind, rng):
    if kind in ("probs", "logits"):
        y = (rng.random((8, 1)) < 0.5).astype(np.float32)
        p = rng.uniform(0.05, 0.95, (8, 1)) if kind == "probs" else rng.normal(size=(8, 1))
        return y, p.astype(np.float32)
    if kind.startswith("onehot"):
        y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
    elif kind.startswith("ids"):
        y = rng.integers(0, 3, 8)
    else:
        y = rng.normal(size=(8, 3)).astype(np.float32)
    p = rng.uniform(0.1, 1, (8, 3)) if kind.endswith("probs") else rng.normal(size=(8, 3))
    return y, p.astype(np.float32)


@pytest.mark.parametrize("loss, kind", _LOSSES, ids=[f"{type(c).__name__}-{k}" for c, k in _LOSSES])
def test_fused_mean_matches_the_generic_reduction(loss, kind, monkeypatch):
    y, p = _pair(kind, np.random.default_rng(1))
    pred = dw.tensor(p, requires_grad=True)
    fused = loss(y, pred)
    (g_fused,) = dw.grad(fused, [pred])
    assert fused.shape == () and fused._node.op.name.startswith(loss.fn.__name__.split("_")[0])
    monkeypatch.setattr(type(loss), "_fused_mean", lambda self, t, q: None)
    generic = loss(y, pred)
    (g_generic,) = dw.grad(generic, [pred])
    np.testing.assert_allclose(fused.numpy(), generic.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g_fused.numpy(), g_generic.numpy(), rtol=1e-5, atol=1e-8)


def test_fused_mean_is_skipped_for_weights_other_reductions_and_overridden_call():
    y, p = _pair("regression", np.random.default_rng(2))
    w = np.arange(8, dtype=np.float32)
    weighted = losses.MeanSquaredError()(y, p, sample_weight=w)
    per_sample = ((p - y) ** 2).mean(-1)
    np.testing.assert_allclose(weighted.numpy(), (per_sample * w).sum() / 8, rtol=1e-6)
    total = losses.MeanSquaredError(reduction="sum")(y, p)
    np.testing.assert_allclose(total.numpy(), per_sample.sum(), rtol=1e-6)

    class Doubled(losses.MeanSquaredError):
        def call(self, y_true, y_pred):
            return super().call(y_true, y_pred) * 2.0

    np.testing.assert_allclose(Doubled()(y, p).numpy(), 2 * per_sample.mean(), rtol=1e-6)


def test_fused_mean_with_every_label_ignored_is_zero():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    pred = dw.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    value = loss(np.ones(3, np.int64), pred)
    assert float(value) == 0.0
    np.testing.assert_array_equal(dw.grad(value, [pred])[0].numpy(), 0.0)


# ----------------------------------------------------------------------------- layer caches
def test_trainable_variables_follow_added_layers_and_trainable_flags():
    model = Sequential([Dense(3, input_shape=(4,)), Dense(2)])
    assert len(model.trainable_variables) == 4
    model.add(Dense(1))
    assert len(model.trainable_variables) == 6
    model.layers[0].trainable = False
    assert len(model.trainable_variables) == 4 and len(model.non_trainable_variables) == 2
    model.layers[1].kernel.trainable = False  # set on the Variable itself
    assert len(model.trainable_variables) == 3
    model.trainable = False
    assert model.trainable_variables == [] and len(model.weights) == 6


def test_weights_cache_sees_tracked_list_appends_and_deleted_attributes():
    class Stack(Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []
            self.extra = Dense(2)

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    stack = Stack()
    stack.extra(np.ones((1, 3), np.float32))
    assert len(stack.weights) == 2
    block = Dense(3)
    block(np.ones((1, 3), np.float32))
    stack.blocks.append(block)
    assert len(stack.weights) == 4
    del stack.extra
    assert len(stack.weights) == 2
    stack.weights.clear()  # a caller's copy: the cache is not touched
    assert len(stack.weights) == 2


def test_losses_shortcut_still_reports_regularizers_and_added_losses():
    model = Sequential([Dense(3, input_shape=(4,)), Dense(1)])
    model(np.ones((2, 4), np.float32))
    assert model.losses == []
    model.add(Dense(1, kernel_regularizer="l2", activity_regularizer="l1"))
    model(np.ones((2, 4), np.float32))
    assert len(model.losses) == 2


def test_input_check_is_repeated_for_a_new_shape():
    layer = Dense(2)
    layer(np.ones((3, 4), np.float32))
    layer(np.ones((5, 4), np.float32))
    with pytest.raises(ValueError, match=r"Dense '.*': expected the input's last axis to be 4"):
        layer(np.ones((3, 5), np.float32))


# ----------------------------------------------------------------------------- optimizer
def _variables(seed=3):
    rng = np.random.default_rng(seed)
    return [dw.Variable(rng.normal(size=s).astype(np.float32)) for s in ((4, 3), (3,), (3, 1))]


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop", "nadam", "adamw"])
def test_flat_step_matches_the_general_path(name):
    fast, slow = _variables(), _variables()
    opt_fast, opt_slow = optimizers.get(name), optimizers.get(name)
    rng = np.random.default_rng(4)
    for _ in range(3):
        grads = [rng.normal(size=v.shape).astype(np.float32) for v in fast]
        opt_fast.apply([dw.tensor(g) for g in grads], fast)
        opt_slow.apply(iter(grads), tuple(slow))  # not lists: the general path
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert int(opt_fast.iterations.numpy()) == 3


def test_flat_step_falls_back_for_missing_gradients_and_clipping():
    variables = _variables()
    opt = optimizers.Adam(clipnorm=0.5)
    opt.apply([np.ones(v.shape, np.float32) for v in variables], variables)
    opt = optimizers.Adam()
    opt.apply([np.ones(v.shape, np.float32) for v in variables], variables)
    before = variables[0].numpy().copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.apply([None, np.ones(3, np.float32), np.ones((3, 1), np.float32)], variables)
    assert any("gradients do not exist" in str(w.message) for w in caught)
    np.testing.assert_array_equal(variables[0].numpy(), before)


# ----------------------------------------------------------------------------- metrics
def test_metric_shortcuts_give_the_documented_results():
    m = metrics.BinaryAccuracy()
    m.update_state(np.array([[1], [1], [0], [0]]), dw.tensor([[0.98], [1.0], [0.0], [0.6]]))
    assert m.result() == 0.75
    m.reset_state()
    assert m.result() == 0.0
    mean = metrics.Mean()
    mean.update_state(np.array([[1.0], [3.0]]))
    mean.update_state(np.array([[5.0, 7.0]]))
    assert mean.result() == pytest.approx(10 / 3)  # (1 + 3 + mean(5, 7)) / 3 samples
    assert id(metrics.binary_accuracy) in _metric_module._NUMPY_FUNCTIONS


def test_fit_on_the_fast_paths_lowers_the_loss():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(256, 10)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)
    model = Sequential([layers.Dense(16, activation="relu", input_shape=(10,)),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["accuracy"][-1] > 0.85
    _, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy == np.mean((model.predict(x, verbose=0) > 0.5) == y)
