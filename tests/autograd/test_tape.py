"""dw.GradientTape: tf.GradientTape's surface over the engine."""

from collections import namedtuple

import numpy as np
import pytest

import deltaw as dw


def test_gradient_of_a_scalar():
    x = dw.Variable([3.0, -1.0])
    with dw.GradientTape() as tape:
        y = (x * x).sum()
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [6.0, -2.0])


def test_second_call_on_a_non_persistent_tape_raises():
    x = dw.Variable([1.0])
    with dw.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent tape can compute gradients only once"):
        tape.gradient(y, x)


def test_persistent_tape_allows_several_calls():
    x = dw.Variable([2.0])
    with dw.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [4.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [12.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [12.0])


def test_watch_makes_a_plain_tensor_a_source():
    x = dw.tensor([1.0, 2.0])
    assert not x.requires_grad
    with dw.GradientTape() as tape:
        tape.watch(x)
        y = (x * x * x).sum()
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [3.0, 12.0])
    assert tape.watched_variables() == (x,)


def test_watch_of_a_non_floating_tensor_warns_and_gives_none():
    i = dw.tensor([1, 2])
    x = dw.Variable([1.0])
    with dw.GradientTape() as tape:
        with pytest.warns(UserWarning, match="watched tensor must be floating"):
            tape.watch(i)
        y = x * 2.0
    assert tape.gradient(y, [x, i])[1] is None


def test_watch_rejects_non_tensors():
    with pytest.raises(TypeError, match="GradientTape.watch: expected a Tensor; got ndarray"):
        dw.GradientTape().watch(np.ones(2))


def test_nested_sources_keep_their_structure():
    a, b, c = dw.Variable([1.0]), dw.Variable([2.0]), dw.Variable([3.0])
    Pair = namedtuple("Pair", "first second")
    with dw.GradientTape() as tape:
        y = (a * b * c).sum()
    grads = tape.gradient(y, {"ab": [a, b], "c": (c,), "pair": Pair(a, c)})
    assert set(grads) == {"ab", "c", "pair"}
    assert isinstance(grads["ab"], list) and isinstance(grads["c"], tuple)
    assert isinstance(grads["pair"], Pair)
    np.testing.assert_allclose(grads["ab"][0].numpy(), [6.0])
    np.testing.assert_allclose(grads["ab"][1].numpy(), [3.0])
    np.testing.assert_allclose(grads["c"][0].numpy(), [2.0])
    np.testing.assert_allclose(grads["pair"].second.numpy(), [2.0])


def test_unconnected_sources_give_none_or_zeros():
    x, unused = dw.Variable([1.0]), dw.Variable([5.0, 6.0])
    with dw.GradientTape(persistent=True) as tape:
        y = (x * 3.0).sum()
    assert tape.gradient(y, [x, unused])[1] is None
    zero = tape.gradient(y, [x, unused], unconnected_gradients="zero")[1]
    np.testing.assert_array_equal(zero.numpy(), [0.0, 0.0])
    with pytest.raises(ValueError, match="unconnected_gradients must be 'none' or 'zero'"):
        tape.gradient(y, x, unconnected_gradients="skip")


def test_target_without_a_graph_gives_none():
    x = dw.Variable([1.0])
    with dw.GradientTape() as tape:
        y = dw.tensor([2.0]) * 2.0
    assert tape.gradient(y, [x]) == [None]


def test_non_scalar_target_is_summed_and_output_gradients_weight_it():
    x = dw.Variable([1.0, 2.0])
    with dw.GradientTape(persistent=True) as tape:
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
    og = np.array([10.0, 0.5], np.float32)
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=og).numpy(), [20.0, 2.0])


def test_list_of_targets_sums_their_gradients():
    x = dw.Variable([2.0])
    with dw.GradientTape() as tape:
        y1, y2 = x * x, x * 3.0
    np.testing.assert_allclose(tape.gradient([y1, y2], x).numpy(), [7.0])


def test_watch_accessed_variables_false_only_returns_watched():
    a, b = dw.Variable([1.0]), dw.Variable([2.0])
    with dw.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = (a * b).sum()
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(ga.numpy(), [2.0])
    assert gb is None


def test_stop_recording():
    x = dw.Variable([2.0])
    with dw.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            z = x * 100.0
    assert not z.requires_grad
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [4.0])


def test_jacobian():
    x = dw.Variable([1.0, 2.0, 3.0])
    with dw.GradientTape() as tape:
        y = x * x
    jac = tape.jacobian(y, x).numpy()
    np.testing.assert_allclose(jac, np.diag([2.0, 4.0, 6.0]))


def test_sources_must_be_tensors():
    x = dw.Variable([1.0])
    with dw.GradientTape() as tape:
        y = x * x
    with pytest.raises(TypeError, match=r"sources\[1\] must be a Tensor; got ndarray"):
        tape.gradient(y, [x, np.ones(1)])


def test_custom_training_loop_fits_a_line():
    # the canonical TF custom loop, with deltaw's optimizer
    from deltaw.keras import optimizers

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = x @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.3
    w = dw.Variable(np.zeros((3, 1), np.float32), name="w")
    b = dw.Variable(np.zeros((1,), np.float32), name="b")
    opt = optimizers.Adam(learning_rate=0.1)
    for _ in range(200):
        with dw.GradientTape() as tape:
            err = dw.matmul(dw.tensor(x), w) + b - y
            loss = (err * err).mean()
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b], strict=True))
    assert float(loss) < 1e-3
    np.testing.assert_allclose(w.numpy().ravel(), [1.5, -2.0, 0.5], atol=0.02)
