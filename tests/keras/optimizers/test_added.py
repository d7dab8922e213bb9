"""The optimizers added for the full Keras 3 set against float64 NumPy references written from
their docstrings, plus LossScaleOptimizer's scaling, CosineDecayRestarts, and argument errors.
(Comparisons with Keras itself are in test_added_vs_keras.py.)"""

import math

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import optimizers
from deltaw.keras.optimizers import schedules

STEPS = 5


def _problem():
    rng = np.random.default_rng(1)
    w0 = [rng.normal(size=(3, 4)), rng.normal(size=(4,))]
    grads = [[rng.normal(size=w.shape) for w in w0] for _ in range(STEPS)]
    return w0, grads


def _run(opt, w0, grads):
    vs = [dw.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(w0)]
    for g in grads:
        opt.apply([x.copy() for x in g], vs)
    return [v.numpy() for v in vs]


def ref_adamax(w, grads, lr, b1=0.9, b2=0.999, eps=1e-7):
    w = [x.copy() for x in w]
    m, u = [np.zeros_like(x) for x in w], [np.zeros_like(x) for x in w]
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            m[i] += (1 - b1) * (g - m[i])
            u[i] = np.maximum(b2 * u[i], np.abs(g))
            w[i] -= lr * m[i] / ((1 - b1 ** t) * (u[i] + eps))
    return w


def ref_lion(w, grads, lr, b1=0.9, b2=0.99):
    w, m = [x.copy() for x in w], [np.zeros_like(x) for x in w]
    for gs in grads:
        for i, g in enumerate(gs):
            w[i] -= lr * np.sign(b1 * m[i] + (1 - b1) * g)
            m[i] = b2 * m[i] + (1 - b2) * g
    return w


def ref_lamb(w, grads, lr, b1=0.9, b2=0.999, eps=1e-7):
    w = [x.copy() for x in w]
    m, v = [np.zeros_like(x) for x in w], [np.zeros_like(x) for x in w]
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            m[i] += (1 - b1) * (g - m[i])
            v[i] += (1 - b2) * (g * g - v[i])
            r = (m[i] / (1 - b1 ** t)) / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
            ratio = np.linalg.norm(w[i]) / np.linalg.norm(r)
            w[i] -= ratio * lr * r
    return w


def ref_ftrl(w, grads, lr, power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    w = [x.copy() for x in w]
    n, z = [np.full_like(x, init) for x in w], [np.zeros_like(x) for x in w]
    for gs in grads:
        for i, g in enumerate(gs):
            l2b = l2 + beta / (2 * lr)
            n_new = n[i] + g * g
            z[i] += g + 2 * shrink * w[i] - (n_new ** -power - n[i] ** -power) / lr * w[i]
            w[i] = (np.clip(z[i], -l1, l1) - z[i]) / (n_new ** -power / lr + 2 * l2b)
            n[i] = n_new
    return w


def ref_adafactor(w, grads, lr, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    w = [x.copy() for x in w]
    r = [np.zeros(x.shape[:-1]) for x in w]
    c = [np.zeros(x.shape[:-2] + x.shape[-1:]) for x in w]
    v = [np.zeros_like(x) for x in w]

    def rms(x):
        return np.sqrt(np.mean(x * x))
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            rho = min(lr, 1 / math.sqrt(t))
            alpha = max(eps2, rms(w[i])) * rho
            big = g * g + eps1
            b = 1 - t ** decay
            if w[i].ndim >= 2:
                r[i] = b * r[i] + (1 - b) * big.mean(-1)
                c[i] = b * c[i] + (1 - b) * big.mean(-2)
                v[i] = (r[i] / r[i].mean(-1, keepdims=True))[..., None] * c[i][..., None, :]
            else:
                v[i] = b * v[i] + (1 - b) * big
            u = g / np.sqrt(v[i])
            u = u / max(1.0, rms(u) / clip)
            w[i] -= alpha * u
    return w


def ref_schedule_free(w, grads, lr, b1=0.9, b2=0.999, eps=1e-8, warmup=0):
    y = [x.copy() for x in w]
    z, v = [x.copy() for x in w], [np.zeros_like(x) for x in w]
    for t, gs in enumerate(grads, start=1):
        lr_t = lr * min(t / warmup, 1.0) if warmup else lr
        for i, g in enumerate(gs):
            v[i] += (1 - b2) * (g * g - v[i])
            z_new = z[i] - lr_t * g / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
            x = (y[i] - (1 - b1) * z[i]) / b1
            x = (1 - 1 / t) * x + (1 / t) * z_new
            y[i] = (1 - b1) * z_new + b1 * x
            z[i] = z_new
    return y


def ref_muon(w, grads, lr, mom=0.95, wd=0.004, adam_wd=0.004, b1=0.9, b2=0.999, eps=1e-7,
             rms=0.2, steps=5, abc=(3.4445, -4.775, 2.0315)):
    w = [x.copy() for x in w]
    m, v = [np.zeros_like(x) for x in w], [np.zeros_like(x) for x in w]

    def ns(d):
        tall = d.shape[0] > d.shape[1]
        x = d.T if tall else d
        x = x / (np.linalg.norm(x) + 1e-7)
        for _ in range(steps):
            a = x @ x.T
            x = abc[0] * x + (abc[1] * a + abc[2] * a @ a) @ x
        return x.T if tall else x
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            muon = w[i].ndim == 2
            w[i] -= w[i] * (wd if muon else adam_wd) * lr
            if muon:
                m[i] = mom * m[i] + g
                w[i] -= lr * ns(g + mom * m[i]) * np.sqrt(max(w[i].shape)) * rms
            else:
                m[i] += (1 - b1) * (g - m[i])
                v[i] += (1 - b2) * (g * g - v[i])
                alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                w[i] -= alpha * m[i] / (np.sqrt(v[i]) + eps)
    return w


CASES = [
    (lambda: optimizers.Adamax(0.01), lambda w, g: ref_adamax(w, g, 0.01)),
    (lambda: optimizers.Adamax(0.1, beta_1=0.5, epsilon=1e-2),
     lambda w, g: ref_adamax(w, g, 0.1, b1=0.5, eps=1e-2)),
    (lambda: optimizers.Lion(0.01), lambda w, g: ref_lion(w, g, 0.01)),
    (lambda: optimizers.Lion(0.05, beta_1=0.3, beta_2=0.5),
     lambda w, g: ref_lion(w, g, 0.05, 0.3, 0.5)),
    (lambda: optimizers.Lamb(0.01), lambda w, g: ref_lamb(w, g, 0.01)),
    (lambda: optimizers.Ftrl(0.1), lambda w, g: ref_ftrl(w, g, 0.1)),
    (lambda: optimizers.Ftrl(0.1, learning_rate_power=-0.7, initial_accumulator_value=0.5,
                             l1_regularization_strength=0.05, l2_regularization_strength=0.1,
                             l2_shrinkage_regularization_strength=0.02, beta=0.3),
     lambda w, g: ref_ftrl(w, g, 0.1, -0.7, 0.5, 0.05, 0.1, 0.02, 0.3)),
    (lambda: optimizers.Adafactor(0.01), lambda w, g: ref_adafactor(w, g, 0.01)),
    (lambda: optimizers.ScheduleFreeAdamW(0.01), lambda w, g: ref_schedule_free(w, g, 0.01)),
    (lambda: optimizers.ScheduleFreeAdamW(0.1, beta_1=0.7, warmup_steps=3, epsilon=1e-3),
     lambda w, g: ref_schedule_free(w, g, 0.1, b1=0.7, eps=1e-3, warmup=3)),
    (lambda: optimizers.Muon(0.02), lambda w, g: ref_muon(w, g, 0.02)),
    (lambda: optimizers.Adafactor(0.5, beta_2_decay=-0.6, clip_threshold=0.3),
     lambda w, g: ref_adafactor(w, g, 0.5, decay=-0.6, clip=0.3)),
]


@pytest.mark.parametrize("make, ref", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_update_matches_the_documented_formula(make, ref):
    w0, grads = _problem()
    for got, expected in zip(_run(make(), w0, grads), ref(w0, grads), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_muon_sends_embeddings_and_excluded_layers_to_adamw():
    opt = optimizers.Muon(exclude_layers=["dense_2"])
    names = ["embedding/embeddings", "dense_1/kernel", "dense_2/kernel", "dense_1/bias"]
    vs = [dw.Variable(np.ones((3, 2) if "bias" not in n else (2,)), name=n) for n in names]
    opt.build(vs)
    assert [v.name for v in opt.variables[2:]] == [
        "embedding_embeddings_momentum", "embedding_embeddings_velocity",
        "dense_1_kernel_momentum", "dense_2_kernel_momentum", "dense_2_kernel_velocity",
        "dense_1_bias_momentum", "dense_1_bias_velocity"]


def test_lion_moves_every_element_by_the_learning_rate():
    w = dw.Variable(np.zeros(3), name="w")
    optimizers.Lion(0.1).apply([np.array([2.0, -0.001, 5.0])], [w])
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1, -0.1])


def test_argument_errors():
    with pytest.raises(ValueError, match=r"Lion: beta_1 must be in \(0, 1\]"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match=r"Ftrl: learning_rate_power must be <= 0; got 0.5"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match=r"Ftrl: l1_regularization_strength must be >= 0"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)
    with pytest.raises(TypeError, match=r"LossScaleOptimizer: inner_optimizer must be an "):
        optimizers.LossScaleOptimizer("adam")
    with pytest.raises(ValueError, match=r"LossScaleOptimizer: clipnorm is not supported"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)


def test_loss_scale_optimizer_unscales_skips_and_adapts():
    inner = optimizers.SGD(0.1)
    opt = optimizers.LossScaleOptimizer(inner, initial_scale=8.0, dynamic_growth_steps=2)
    w = dw.Variable(np.array([1.0, 2.0]), name="w")
    assert float(opt.scale_loss(dw.tensor(1.0))) == 8.0
    opt.apply([np.array([8.0, 16.0])], [w])                 # scaled grads [1, 2]
    np.testing.assert_allclose(w.numpy(), [0.9, 1.8])
    opt.apply([np.array([1.0, 1.0])], [w])                  # no scale_loss: passed through
    np.testing.assert_allclose(w.numpy(), [0.8, 1.7])
    assert float(opt.dynamic_scale.numpy()) == 16.0       # two finite steps: doubled
    opt.apply([np.array([np.inf, 1.0])], [w])               # skipped, scale halved
    np.testing.assert_allclose(w.numpy(), [0.8, 1.7])
    assert float(opt.dynamic_scale.numpy()) == 8.0
    assert int(opt.iterations.numpy()) == 2 and opt.learning_rate == pytest.approx(0.1)


def test_loss_scale_optimizer_config_round_trip():
    opt = optimizers.LossScaleOptimizer(optimizers.Lion(0.01), initial_scale=4.0)
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(again.inner_optimizer, optimizers.Lion)
    assert again.get_config() == opt.get_config()


def test_cosine_decay_restarts_restarts():
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=2.0, m_mul=0.5)
    assert s(0) == pytest.approx(1.0)
    assert s(2) == pytest.approx(0.5)
    assert s(4) == pytest.approx(0.5)       # second period starts at m_mul
    assert s(8) == pytest.approx(0.25)      # second period lasts 8 steps: half way at 8
    assert s(12) == pytest.approx(0.25)     # third period starts at m_mul**2
    again = schedules.deserialize(schedules.serialize(s))
    assert again.get_config() == s.get_config()
    with pytest.raises(ValueError, match=r"CosineDecayRestarts: first_decay_steps must be > 0"):
        schedules.CosineDecayRestarts(1.0, 0)


@pytest.mark.parametrize("name", ["adamax", "lion", "lamb", "ftrl", "adafactor",
                                  "schedulefreeadamw", "muon"])
def test_get_by_name(name):
    assert type(optimizers.get(name)).__name__.lower() == name


def test_optimizer_map_lookup_and_errors():
    sgd, adam = optimizers.SGD(), optimizers.Adam()
    m = optimizers.OptimizerMap(sgd, {"kernel": adam, "k.*": optimizers.Lion()})
    assert m["kernel"] is adam and m["bias"] is sgd       # an exact key wins over a regex
    m["ke.*"] = optimizers.Lion()
    with pytest.raises(ValueError, match=r"OptimizerMap: several keys match variable 'kern'"):
        m["kern"]
    with pytest.raises(ValueError, match=r"OptimizerMap: key 'kernel' is already mapped"):
        m["kernel"] = adam
    with pytest.raises(ValueError, match=r"OptimizerMap: values must be plain Optimizers"):
        m["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(TypeError, match=r"OptimizerMap: default_optimizer must be an Optimizer"):
        optimizers.OptimizerMap("sgd")


def test_multi_optimizer_with_a_selector_function_trains_a_model():
    from deltaw.keras import layers, models

    def selector(variable):
        return adam if variable.name == "kernel" else sgd
    adam, sgd = optimizers.Adam(0.01), optimizers.SGD(0.0)
    dw.random.seed(0)
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=optimizers.MultiOptimizer(selector), loss="mse")
    bias_before = model.layers[0].bias.numpy().copy()
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    history = model.fit(x, np.ones((8, 2), "float32"), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(model.layers[0].bias.numpy(), bias_before)   # lr 0
    assert int(adam.iterations.numpy()) == 3 and int(sgd.iterations.numpy()) == 3


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"])
def test_legacy_optimizers_are_refused_as_in_keras_3(name):
    with pytest.raises(ImportError, match=rf"optimizers.legacy.{name}: the legacy \(Keras 2\) "):
        getattr(optimizers.legacy, name)(learning_rate=0.1)
