"""Optimizers: several steps against a hand-written NumPy update of each documented formula.

The references below are written from the docstrings (Keras 3's update rules), in float64, so the
comparison is exact up to rounding. Each runs 5 steps with different gradients on two variables.
"""

import math

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import optimizers
from deltaw.keras.optimizers import schedules

STEPS = 5


def _problem(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    w0 = [rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=(4,)).astype(dtype)]
    grads = [[rng.normal(size=w.shape).astype(dtype) for w in w0] for _ in range(STEPS)]
    return w0, grads


def _run(opt, w0, grads):
    vs = [dw.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(w0)]
    for g in grads:
        opt.apply(g, vs)
    return [v.numpy() for v in vs]


# ----------------------------------------------------------------------------- references
def ref_sgd(w, grads, lr, momentum=0.0, nesterov=False):
    w, m = [x.copy() for x in w], [np.zeros_like(x) for x in w]
    for gs in grads:
        for i, g in enumerate(gs):
            if momentum == 0:
                w[i] -= lr * g
                continue
            m[i] = momentum * m[i] - lr * g
            w[i] += momentum * m[i] - lr * g if nesterov else m[i]
    return w


def ref_adam(w, grads, lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    w = [x.copy() for x in w]
    m, v, vmax = ([np.zeros_like(x) for x in w] for _ in range(3))
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            if wd:
                w[i] -= w[i] * wd * lr
            m[i] += (1 - b1) * (g - m[i])
            v[i] += (1 - b2) * (g * g - v[i])
            vv = v[i]
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                vv = vmax[i]
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            w[i] -= alpha * m[i] / (np.sqrt(vv) + eps)
    return w


def ref_rmsprop(w, grads, lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    w = [x.copy() for x in w]
    v, a, b = ([np.zeros_like(x) for x in w] for _ in range(3))
    for gs in grads:
        for i, g in enumerate(gs):
            v[i] = rho * v[i] + (1 - rho) * g * g
            if centered:
                a[i] = rho * a[i] + (1 - rho) * g
                denom = v[i] - a[i] ** 2 + eps
            else:
                denom = v[i] + eps
            step = lr * g / np.sqrt(denom)
            if momentum > 0:
                b[i] = momentum * b[i] + step
                w[i] -= b[i]
            else:
                w[i] -= step
    return w


def ref_adagrad(w, grads, lr, init=0.1, eps=1e-7):
    w, acc = [x.copy() for x in w], [np.full_like(x, init) for x in w]
    for gs in grads:
        for i, g in enumerate(gs):
            acc[i] += g * g
            w[i] -= lr * g / np.sqrt(acc[i] + eps)
    return w


def ref_adadelta(w, grads, lr, rho=0.95, eps=1e-7):
    w = [x.copy() for x in w]
    ag, ad = [np.zeros_like(x) for x in w], [np.zeros_like(x) for x in w]
    for gs in grads:
        for i, g in enumerate(gs):
            ag[i] = rho * ag[i] + (1 - rho) * g * g
            delta = -np.sqrt(ad[i] + eps) * g / np.sqrt(ag[i] + eps)
            ad[i] = rho * ad[i] + (1 - rho) * delta * delta
            w[i] += lr * delta
    return w


def ref_nadam(w, grads, lr, b1=0.9, b2=0.999, eps=1e-7):
    w = [x.copy() for x in w]
    m, v = [np.zeros_like(x) for x in w], [np.zeros_like(x) for x in w]
    prod = 1.0
    for t, gs in enumerate(grads, start=1):
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        prod *= u_t
        for i, g in enumerate(gs):
            m[i] += (1 - b1) * (g - m[i])
            v[i] += (1 - b2) * (g * g - v[i])
            m_hat = u_next * m[i] / (1 - prod * u_next) + (1 - u_t) * g / (1 - prod)
            v_hat = v[i] / (1 - b2 ** t)
            w[i] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


CASES = [
    ("sgd", lambda: optimizers.SGD(learning_rate=0.1), lambda w, g: ref_sgd(w, g, 0.1)),
    ("sgd-momentum", lambda: optimizers.SGD(0.1, momentum=0.9),
     lambda w, g: ref_sgd(w, g, 0.1, 0.9)),
    ("sgd-nesterov", lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     lambda w, g: ref_sgd(w, g, 0.1, 0.9, True)),
    ("adam", lambda: optimizers.Adam(0.01), lambda w, g: ref_adam(w, g, 0.01)),
    ("adam-amsgrad", lambda: optimizers.Adam(0.01, amsgrad=True, epsilon=1e-3),
     lambda w, g: ref_adam(w, g, 0.01, eps=1e-3, amsgrad=True)),
    ("adamw", lambda: optimizers.AdamW(0.01, weight_decay=0.1),
     lambda w, g: ref_adam(w, g, 0.01, wd=0.1)),
    ("rmsprop", lambda: optimizers.RMSprop(0.01), lambda w, g: ref_rmsprop(w, g, 0.01)),
    ("rmsprop-centered-momentum",
     lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True, epsilon=1e-3),
     lambda w, g: ref_rmsprop(w, g, 0.01, 0.8, 0.5, 1e-3, True)),
    ("adagrad", lambda: optimizers.Adagrad(0.1), lambda w, g: ref_adagrad(w, g, 0.1)),
    ("adagrad-init", lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.5),
     lambda w, g: ref_adagrad(w, g, 0.1, 0.5)),
    ("adadelta", lambda: optimizers.Adadelta(1.0, epsilon=1e-3),
     lambda w, g: ref_adadelta(w, g, 1.0, eps=1e-3)),
    ("nadam", lambda: optimizers.Nadam(0.01), lambda w, g: ref_nadam(w, g, 0.01)),
]


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-variable"])
@pytest.mark.parametrize("make, ref", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_steps_match_the_documented_formula(make, ref, flat):
    w0, grads = _problem()
    opt = make()
    opt.elementwise_update = flat          # False: one update_step call per variable
    got = _run(opt, w0, grads)
    assert (opt._flat is not None) == flat
    for a, b in zip(got, ref(w0, grads), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta",
                                  "nadam"])
def test_float32_stays_float32_and_in_place(name):
    opt = optimizers.get(name)
    v = dw.Variable(np.ones((2, 3), np.float32))
    data, version = v.data, v._version
    opt.apply([np.full((2, 3), 0.5)], [v])            # float64 grad is cast to float32
    assert v.data is data and v.dtype == np.float32
    assert v._version == version + 1
    assert all(s.dtype == np.float32 for s in opt.variables[2:] if s.data.shape == (2, 3))
    assert np.all(v.numpy() < 1.0)


# ----------------------------------------------------------------------------- clipping
def _clip_case(opt_kwargs, transform):
    w0, grads = _problem(1)
    got = _run(optimizers.SGD(0.1, **opt_kwargs), w0, grads)
    want = ref_sgd(w0, [transform(gs) for gs in grads], 0.1)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_clipnorm_clips_each_gradient_separately():
    def clip(gs):
        return [g * min(1.0, 0.5 / np.linalg.norm(g)) for g in gs]

    _clip_case({"clipnorm": 0.5}, clip)


def test_global_clipnorm_scales_all_gradients_together():
    def clip(gs):
        norm = math.sqrt(sum(float((g * g).sum()) for g in gs))
        return [g * min(1.0, 1.5 / norm) for g in gs]

    _clip_case({"global_clipnorm": 1.5}, clip)


def test_clipvalue_clips_elements():
    _clip_case({"clipvalue": 0.3}, lambda gs: [np.clip(g, -0.3, 0.3) for g in gs])


def test_small_gradients_are_not_clipped():
    _clip_case({"clipnorm": 100.0}, lambda gs: gs)
    _clip_case({"global_clipnorm": 100.0}, lambda gs: gs)


def test_clipping_does_not_modify_the_callers_gradients():
    g = np.full((3,), 10.0)
    v = dw.Variable(np.zeros(3))
    optimizers.SGD(0.1, clipvalue=1.0).apply([g], [v])
    np.testing.assert_array_equal(g, 10.0)
    np.testing.assert_allclose(v.numpy(), -0.1)


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


# ----------------------------------------------------------------------------- weight decay
def test_weight_decay_is_decoupled_and_uses_the_learning_rate():
    w0, grads = _problem(2)
    got = _run(optimizers.SGD(0.1, momentum=0.5, weight_decay=0.2), w0, grads)
    w, m = [x.copy() for x in w0], [np.zeros_like(x) for x in w0]
    for gs in grads:
        for i, g in enumerate(gs):
            w[i] -= w[i] * 0.2 * 0.1              # before the update, as Keras 3
            m[i] = 0.5 * m[i] - 0.1 * g
            w[i] += m[i]
    for a, b in zip(got, w, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_exclude_from_weight_decay_by_name_and_by_variable():
    kernel = dw.Variable(np.ones(2), name="kernel")
    bias = dw.Variable(np.ones(2), name="dense/bias")
    other = dw.Variable(np.ones(2), name="other")
    opt = optimizers.AdamW(learning_rate=0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    zeros = [np.zeros(2)] * 3
    opt.apply(zeros, [kernel, bias, other])           # zero grads: only decay moves weights
    np.testing.assert_allclose(kernel.numpy(), 1 - 0.1 * 0.5)
    np.testing.assert_allclose(bias.numpy(), 1.0)
    np.testing.assert_allclose(other.numpy(), 1.0)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_adamw_requires_weight_decay_and_defaults_to_0_004():
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="AdamW: weight_decay must be a float"):
        optimizers.AdamW(weight_decay=None)


# ----------------------------------------------------------------------------- schedules
def test_schedule_is_evaluated_at_iterations_before_the_increment():
    sched = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    w0, grads = _problem(3)
    got = _run(optimizers.SGD(sched), w0, grads)
    w = [x.copy() for x in w0]
    for step, gs in enumerate(grads):
        for i, g in enumerate(gs):
            w[i] -= 0.1 * 0.5 ** (step / 2) * g
    for a, b in zip(got, w, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_adam_with_piecewise_schedule():
    sched = schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.01, 0.001])
    w0, grads = _problem(4)
    got = _run(optimizers.Adam(sched), w0, grads)
    # the schedule only scales alpha: run the reference one step at a time with lr(step)
    w = [x.copy() for x in w0]
    m = [np.zeros_like(x) for x in w]
    v = [np.zeros_like(x) for x in w]
    for t, gs in enumerate(grads, start=1):
        lr = [0.1, 0.1, 0.01, 0.01, 0.001][t - 1]
        for i, g in enumerate(gs):
            m[i] += 0.1 * (g - m[i])
            v[i] += 0.001 * (g * g - v[i])
            w[i] -= lr * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m[i] / (
                np.sqrt(v[i]) + 1e-7)
    for a, b in zip(got, w, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_exponential_decay_values():
    s = schedules.ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)
    assert s(0) == 1.0 and s(10) == 0.5 and s(5) == pytest.approx(0.5 ** 0.5)
    stair = schedules.ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5, staircase=True)
    assert stair(9) == 1.0 and stair(10) == 0.5 and stair(25) == 0.25
    np.testing.assert_allclose(s(np.array([0, 10, 20])), [1.0, 0.5, 0.25])


def test_piecewise_constant_boundaries_are_inclusive_on_the_left_interval():
    s = schedules.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
    assert [s(0), s(100), s(101), s(110), s(111)] == [1.0, 1.0, 0.5, 0.5, 0.1]


def test_cosine_decay_values():
    s = schedules.CosineDecay(1.0, decay_steps=100, alpha=0.1)
    assert s(0) == pytest.approx(1.0)
    assert s(50) == pytest.approx(0.1 + 0.9 * 0.5)
    assert s(100) == pytest.approx(0.1) and s(1000) == pytest.approx(0.1)


def test_cosine_decay_with_warmup():
    s = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert s(0) == 0.0 and s(2) == pytest.approx(0.5)
    assert s(4) == pytest.approx(1.0)
    assert s(9) == pytest.approx(0.5 * (1 + math.cos(math.pi * 5 / 10)))
    assert s(14) == pytest.approx(0.0, abs=1e-12) and s(100) == pytest.approx(0.0, abs=1e-12)


def test_polynomial_and_inverse_time_decay_values():
    poly = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, power=2.0)
    assert poly(0) == 1.0 and poly(5) == pytest.approx(0.9 * 0.25 + 0.1)
    assert poly(10) == pytest.approx(0.1) and poly(50) == pytest.approx(0.1)
    cyc = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert cyc(15) == pytest.approx(1 - 15 / 20)
    inv = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert inv(4) == pytest.approx(1 / (1 + 0.5 * 2))
    stair = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
    assert stair(3) == pytest.approx(1 / 1.5)


def test_schedule_errors():
    with pytest.raises(ValueError, match="ExponentialDecay: decay_steps must be > 0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="one more element than boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="unknown schedule 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})


def test_schedule_serialization_round_trip_through_the_optimizer():
    sched = schedules.CosineDecay(0.1, 50, alpha=0.2, warmup_target=0.3, warmup_steps=5)
    opt = optimizers.Adam(learning_rate=sched)
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    clone = optimizers.Adam.from_config(config)
    assert isinstance(clone._learning_rate, schedules.CosineDecay)
    assert clone._learning_rate.get_config() == sched.get_config()


# ----------------------------------------------------------------------------- learning rate
def test_learning_rate_reads_and_sets_a_float():
    opt = optimizers.SGD(learning_rate=0.01)
    assert opt.learning_rate == 0.01 and isinstance(opt.learning_rate, float)
    opt.learning_rate = 0.005
    assert opt.learning_rate == 0.005
    v = dw.Variable(np.zeros(2))
    opt.apply([np.ones(2)], [v])
    np.testing.assert_allclose(v.numpy(), -0.005)


def test_learning_rate_of_a_schedule_is_read_only_and_follows_iterations():
    opt = optimizers.SGD(schedules.ExponentialDecay(1.0, 1, 0.5))
    v = dw.Variable(np.zeros(1))
    assert opt.learning_rate == 1.0
    opt.apply([np.ones(1)], [v])
    assert opt.learning_rate == 0.5
    with pytest.raises(TypeError, match="cannot be set to a float"):
        opt.learning_rate = 0.1


def test_callable_learning_rate():
    opt = optimizers.SGD(learning_rate=lambda: 0.25)
    v = dw.Variable(np.zeros(1))
    opt.apply([np.ones(1)], [v])
    np.testing.assert_allclose(v.numpy(), -0.25)


def test_bad_learning_rate_and_unknown_arguments():
    with pytest.raises(ValueError, match="learning_rate must be a float"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match=r"unrecognized argument\(s\) \['lr'\].*learning_rate="):
        optimizers.Adam(lr=0.1)
    with pytest.raises(ValueError, match="SGD: momentum must be a float in"):
        optimizers.SGD(momentum=1.5)


# ----------------------------------------------------------------------------- bookkeeping
def test_variables_order_matches_keras():
    kernel = dw.Variable(np.zeros((2, 2)), name="kernel")
    bias = dw.Variable(np.zeros(2), name="bias")
    opt = optimizers.Adam()
    opt.build([kernel, bias])
    assert [v.name for v in opt.variables] == [
        "iteration", "learning_rate", "kernel_momentum", "kernel_velocity", "bias_momentum",
        "bias_velocity"]
    rms = optimizers.RMSprop(momentum=0.5, centered=True)
    rms.build([kernel])
    assert [v.name for v in rms.variables] == [
        "iteration", "learning_rate", "kernel_velocity", "kernel_momentum",
        "kernel_average_gradient"]
    assert [v.name for v in optimizers.SGD().variables] == ["iteration", "learning_rate"]


def test_iterations_counts_applies():
    opt = optimizers.Adam()
    v = dw.Variable(np.zeros(2))
    for _ in range(3):
        opt.apply([np.ones(2)], [v])
    assert int(opt.iterations) == 3 and opt.iterations.dtype == np.int64


def test_apply_gradients_and_apply_without_variables():
    v = dw.Variable(np.zeros(2))
    opt = optimizers.SGD(0.5)
    assert int(opt.apply_gradients([(dw.tensor([1.0, 2.0]), v)])) == 1
    opt.apply([np.ones(2)])                          # built: variables may be left out
    np.testing.assert_allclose(v.numpy(), [-1.0, -1.5])
    with pytest.raises(ValueError, match="got 2 gradients for 1 variables"):
        opt.apply([np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match="needs a built optimizer"):
        optimizers.SGD().apply([np.ones(2)])


def test_none_gradients_are_skipped_with_a_warning():
    a, b = dw.Variable(np.zeros(2), name="a"), dw.Variable(np.zeros(2), name="b")
    opt = optimizers.SGD(1.0)
    with pytest.warns(UserWarning, match=r"gradients do not exist for variables \['b'\]"):
        opt.apply([np.ones(2), None], [a, b])
    np.testing.assert_allclose(a.numpy(), -1.0)
    np.testing.assert_allclose(b.numpy(), 0.0)
    with pytest.raises(ValueError, match="no gradients provided for any variable"):
        opt.apply([None, None], [a, b])


def test_unknown_variable_and_bad_gradient_shape():
    a = dw.Variable(np.zeros(2), name="a")
    opt = optimizers.Adam()
    opt.apply([np.ones(2)], [a])
    with pytest.raises(ValueError, match="unknown variable"):
        opt.apply([np.ones(2)], [dw.Variable(np.zeros(2))])
    with pytest.raises(ValueError, match=r"gradient of variable 'a' has shape \(3,\); expected"):
        opt.apply([np.ones(3)], [a])


def test_slots_follow_a_replaced_variable_array():
    v = dw.Variable(np.zeros(2))
    opt = optimizers.SGD(1.0, momentum=0.5)
    opt.apply([np.ones(2)], [v])                     # m = -1, w = -1
    v.data = v.data.copy()                            # e.g. a loader swapping the array
    opt.apply([np.ones(2)], [v])                     # m = -1.5, w = -2.5
    np.testing.assert_allclose(v.numpy(), -2.5)


def test_config_round_trip_and_get():
    opt = optimizers.RMSprop(0.02, rho=0.8, momentum=0.1, centered=True, clipnorm=1.0,
                             name="my_rms")
    clone = optimizers.RMSprop.from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()
    same = optimizers.get(optimizers.serialize(opt))
    assert isinstance(same, optimizers.RMSprop) and same.rho == 0.8
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert optimizers.get(opt) is opt


def test_default_arguments_match_keras_3():
    sgd, adam, rms = optimizers.SGD(), optimizers.Adam(), optimizers.RMSprop()
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (
        0.001, 0.9, 0.999, 1e-7, False)
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon, rms.centered) == (
        0.001, 0.9, 0.0, 1e-7, False)
    ada = optimizers.Adagrad()
    assert (ada.learning_rate, ada.initial_accumulator_value, ada.epsilon) == (0.001, 0.1, 1e-7)
    delta = optimizers.Adadelta()
    assert (delta.learning_rate, delta.rho, delta.epsilon) == (0.001, 0.95, 1e-7)
    nadam = optimizers.Nadam()
    assert (nadam.learning_rate, nadam.beta_1, nadam.beta_2, nadam.epsilon) == (
        0.001, 0.9, 0.999, 1e-7)


def test_names_are_unique_snake_case():
    a, b = optimizers.RMSprop(), optimizers.RMSprop()
    assert a.name.startswith("rm_sprop") and a.name != b.name


def test_unknown_optimizer_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamm'\. Known: adadelta, "
                                         r"adafactor, adagrad, adam, adamax, adamw, ftrl, lamb, "
                                         r"lion, lossscaleoptimizer, multioptimizer, muon, nadam, "
                                         r"rmsprop, "
                                         r"schedulefreeadamw, sgd\."):
        optimizers.get("adamm")


# ----------------------------------------------------------------------------- EMA, accumulation
def test_gradient_accumulation_averages_then_updates():
    v = dw.Variable(np.zeros(2))
    opt = optimizers.SGD(1.0, gradient_accumulation_steps=2)
    opt.apply([np.array([1.0, 2.0])], [v])
    np.testing.assert_allclose(v.numpy(), 0.0)       # accumulated only
    opt.apply([np.array([3.0, 4.0])], [v])
    np.testing.assert_allclose(v.numpy(), [-2.0, -3.0])
    assert int(opt.iterations) == 1


def test_ema_tracks_and_finalize_overwrites():
    v = dw.Variable(np.zeros(1))
    opt = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    opt.apply([np.ones(1)], [v])                     # w = -1; ema = w (first step)
    opt.apply([np.ones(1)], [v])                     # w = -2; ema = 0.5 * -1 + 0.5 * -2
    np.testing.assert_allclose(v.numpy(), -2.0)
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v.numpy(), -1.5)


def test_loss_scale_factor_unscales_gradients():
    v = dw.Variable(np.zeros(1))
    opt = optimizers.SGD(1.0, loss_scale_factor=4.0)
    assert float(opt.scale_loss(dw.tensor(2.0))) == 8.0
    opt.apply([np.full(1, 8.0)], [v])
    np.testing.assert_allclose(v.numpy(), -2.0)


def test_set_weights_restores_state():
    v = dw.Variable(np.zeros(2))
    opt = optimizers.Adam(0.1)
    opt.apply([np.ones(2)], [v])
    state = opt.get_weights()
    w_after_1 = v.numpy().copy()
    opt.apply([np.ones(2)], [v])
    expected = v.numpy().copy()
    other = optimizers.Adam(0.1)
    v2 = dw.Variable(w_after_1)
    other.build([v2])
    other.set_weights(state)
    other.apply([np.ones(2)], [v2])
    np.testing.assert_allclose(v2.numpy(), expected)
    with pytest.raises(ValueError, match="expected 4 weights, got 1"):
        other.set_weights(state[:1])


# ----------------------------------------------------------------------------- flat buffers
def test_flat_mode_packs_variables_and_slots_into_one_buffer():
    w0, grads = _problem()
    vs = [dw.Variable(w.copy()) for w in w0]
    opt = optimizers.Adam(0.01)
    opt.apply(grads[0], vs)
    params = opt._flat.params
    assert all(np.shares_memory(v.data, params) for v in vs)
    momenta = [s for s in opt.variables if s.name.endswith("_momentum")]
    flat_momentum = opt._flat.slots["momentum"].data
    assert len(momenta) == 2 and all(np.shares_memory(m.data, flat_momentum) for m in momenta)
    np.testing.assert_array_equal(vs[1].numpy(), params[12:])


def test_flat_mode_falls_back_when_a_variable_array_is_replaced():
    w0, grads = _problem()
    vs = [dw.Variable(w.copy()) for w in w0]
    opt = optimizers.SGD(0.1, momentum=0.9)
    opt.apply(grads[0], vs)
    vs[0].data = vs[0].data.copy()               # e.g. a loader replacing the array
    for g in grads[1:]:
        opt.apply(g, vs)
    assert opt._flat is None
    for a, b in zip([v.numpy() for v in vs], ref_sgd(w0, grads, 0.1, 0.9), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_flat_mode_step_with_a_missing_gradient_updates_only_the_others():
    w0, grads = _problem()
    vs = [dw.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(w0)]
    opt = optimizers.Adam(0.01)
    opt.apply(grads[0], vs)
    before = vs[1].numpy().copy()
    with pytest.warns(UserWarning, match=r"gradients do not exist for variables \['w1'\]"):
        opt.apply([grads[1][0], None], vs)
    np.testing.assert_array_equal(vs[1].numpy(), before)
    assert opt._flat is not None                 # the next full step is flat again
    opt.apply(grads[2], vs)
    m, v = [np.zeros_like(x) for x in w0], [np.zeros_like(x) for x in w0]
    w = [x.copy() for x in w0]
    for t, gs in enumerate([grads[0], [grads[1][0], None], grads[2]], start=1):
        for i, g in enumerate(gs):
            if g is None:
                continue
            m[i] += 0.1 * (g - m[i])
            v[i] += 0.001 * (g * g - v[i])
            w[i] -= 0.01 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m[i] / (
                np.sqrt(v[i]) + 1e-7)
    for a, b in zip([x.numpy() for x in vs], w, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_mixed_dtypes_use_the_per_variable_path():
    vs = [dw.Variable(np.ones(2, np.float32)), dw.Variable(np.ones(2, np.float64))]
    opt = optimizers.SGD(0.5)
    opt.apply([np.ones(2), np.ones(2)], vs)
    assert opt._flat is None
    assert vs[0].dtype == np.float32 and vs[1].dtype == np.float64
    np.testing.assert_allclose(vs[0].numpy(), 0.5)
