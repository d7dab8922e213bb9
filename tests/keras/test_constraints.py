"""keras.constraints: the projections, lookup and serialization, and their application by the
optimizers after each update (Keras' variable.constraint)."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import constraints, layers, models, optimizers


def test_max_norm_rescales_only_long_columns():
    w = np.array([[3.0, 0.3], [4.0, 0.4]], dtype="float32")
    out = constraints.MaxNorm(max_value=1.0)(w).numpy()
    np.testing.assert_allclose(out, [[0.6, 0.3], [0.8, 0.4]], rtol=1e-5)


def test_min_max_norm_with_rate():
    w = np.array([[0.3], [0.4]], dtype="float32")   # norm 0.5
    out = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(w).numpy()
    np.testing.assert_allclose(out, w * (0.5 * 1.0 + 0.5 * 0.5) / 0.5, rtol=1e-5)


def test_unit_norm_and_non_neg():
    w = np.array([[3.0, -1.0], [4.0, 0.0]], dtype="float32")
    np.testing.assert_allclose(np.linalg.norm(constraints.UnitNorm()(w).numpy(), axis=0), 1.0,
                               rtol=1e-5)
    np.testing.assert_array_equal(constraints.NonNeg()(w).numpy(), [[3, 0], [4, 0]])


def test_axis_list_takes_the_norm_over_several_axes():
    w = np.ones((2, 2, 3), dtype="float32")
    out = constraints.UnitNorm(axis=[0, 1])(w).numpy()
    np.testing.assert_allclose(out, np.full((2, 2, 3), 0.5), rtol=1e-5)


@pytest.mark.parametrize("name, cls", [("max_norm", "MaxNorm"), ("MinMaxNorm", "MinMaxNorm"),
                                       ("non_neg", "NonNeg"), ("unit_norm", "UnitNorm")])
def test_get_and_serialize(name, cls):
    c = constraints.get(name)
    assert type(c).__name__ == cls
    again = constraints.deserialize(constraints.serialize(c))
    assert type(again) is type(c) and again.get_config() == c.get_config()


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown constraint 'maxnorm'\. Known: max_norm, "
                                         r"min_max_norm, non_neg, unit_norm\."):
        constraints.get("maxnorm")


def test_optimizer_projects_constrained_variables_after_each_update():
    w = dw.Variable(np.array([1.0, 2.0]), name="w", constraint=constraints.NonNeg())
    free = dw.Variable(np.array([1.0, 2.0]), name="free")
    optimizers.SGD(1.0).apply([np.array([3.0, 1.0]), np.array([3.0, 1.0])], [w, free])
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(free.numpy(), [-2.0, 1.0])


def test_dense_kernel_constraint_holds_during_fit():
    dw.random.seed(0)
    model = models.Sequential([layers.Input((4,)),
                               layers.Dense(3, kernel_constraint="non_neg",
                                            bias_constraint=constraints.MaxNorm(0.1))])
    model.compile(optimizer=optimizers.Adam(0.1), loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model.fit(x, -np.ones((16, 3), "float32"), epochs=3, batch_size=8, verbose=0)
    kernel, bias = model.layers[0].get_weights()
    assert kernel.min() >= 0.0
    assert np.linalg.norm(bias) <= 0.1 + 1e-6
