"""Identity, Lambda, Permute, RepeatVector, Dot, 1-D/3-D cropping, padding and upsampling,
the noise layers, ActivityRegularization, UnitNormalization, RMSNormalization and
SpatialDropout3D: values, gradients, configs and errors."""

import json

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import layers as L
from deltaw.keras.models import Model, model_from_json
from tests.keras.harness import check_layer


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", [
    (L.Identity, {}, (2, 3), (2, 3)),
    (L.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    (L.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
    (L.Cropping1D, {"cropping": (1, 2)}, (2, 6, 3), (2, 3, 3)),
    (L.Cropping3D, {"cropping": 1}, (1, 3, 4, 5, 2), (1, 1, 2, 3, 2)),
    (L.ZeroPadding1D, {}, (2, 3, 2), (2, 5, 2)),
    (L.ZeroPadding3D, {"padding": (1, 0, 2)}, (1, 2, 2, 2, 1), (1, 4, 2, 6, 1)),
    (L.UpSampling1D, {}, (2, 3, 2), (2, 6, 2)),
    (L.UpSampling3D, {"size": (1, 2, 3)}, (1, 2, 2, 2, 1), (1, 2, 4, 6, 1)),
    (L.UnitNormalization, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4)),
    (L.ActivityRegularization, {"l1": 0.01, "l2": 0.1}, (2, 3), (2, 3)),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_weightless_harness(cls, kwargs, shape, out_shape):
    passes_input_through = cls in (L.Identity, L.ActivityRegularization)  # nothing to gradcheck
    check_layer(cls, kwargs, input_shape=shape, expected_output_shape=out_shape,
                gradcheck=not passes_input_through)


def test_rms_normalization_harness_and_values():
    layer = check_layer(L.RMSNormalization, {"axis": [1, 2]}, input_shape=(2, 3, 4),
                        expected_output_shape=(2, 3, 4), expected_num_trainable_weights=1,
                        expected_weight_shapes=[(3, 4)])
    assert layer.weights[0].name == "scale"
    x = np.array([[3.0, 4.0]], np.float32)
    out = L.RMSNormalization(epsilon=0.0)(x).numpy()
    np.testing.assert_allclose(out, x / np.sqrt(12.5), rtol=1e-6)


def test_unit_normalization_of_zero_is_zero_with_finite_gradient():
    x = dw.tensor(np.zeros((1, 3), np.float32), requires_grad=True)
    y = L.UnitNormalization()(x)
    (g,) = dw.grad(dw.sum(y), [x])
    assert np.all(y.numpy() == 0) and np.all(np.isfinite(g.numpy()))


@pytest.mark.parametrize("axes, shapes, out_shape", [
    (1, [(2, 4), (2, 4)], (2, 1)), ((2, 2), [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    ([1, 2], [(2, 3, 4), (2, 5, 3)], (2, 4, 5)),
], ids=["vectors", "matrices", "mixed"])
def test_dot_harness(axes, shapes, out_shape):
    check_layer(L.Dot, {"axes": axes}, input_shape=shapes, expected_output_shape=out_shape)
    check_layer(L.Dot, {"axes": axes, "normalize": True}, input_shape=shapes,
                expected_output_shape=out_shape)


def test_dot_values_and_cosine():
    a, b = np.array([[1.0, 2.0]], np.float32), np.array([[3.0, 4.0]], np.float32)
    np.testing.assert_allclose(L.dot([a, b], axes=1).numpy(), [[11.0]])
    cosine = 11.0 / (np.sqrt(5.0) * 5.0)
    np.testing.assert_allclose(L.Dot(1, normalize=True)([a, b]).numpy(), [[cosine]], rtol=1e-6)


@pytest.mark.parametrize("make, error, message", [
    (lambda: L.Dot(axes="x"), TypeError, r"Dot '.*': axes must be an int or a pair"),
    (lambda: L.Dot(axes=(1, 2, 3)), ValueError, r"Dot '.*': axes must be an int or a pair"),
    (lambda: L.Dot(1)([np.ones((2, 3)), np.ones((2, 4))]), ValueError,
     r"Dot '.*': the dot axes must have equal sizes; got 3 .* and 4"),
    (lambda: L.Dot(1)(np.ones((2, 3))), ValueError, r"Dot '.*': expected a list of 2 inputs"),
    (lambda: L.Permute((1, 3)), ValueError, r"Permute '.*': dims must be a permutation"),
    (lambda: L.Permute((2, 1))(np.ones((2, 3))), ValueError,
     r"Permute '.*': expected an input of rank 3"),
    (lambda: L.RepeatVector(0), ValueError, r"RepeatVector '.*': n must be a positive int"),
    (lambda: L.RepeatVector(2.0), TypeError, r"RepeatVector '.*': n must be an int"),
    (lambda: L.Cropping1D((2, 2))(np.ones((1, 4, 1))), ValueError,
     r"Cropping1D '.*': the cropping must leave part of every axis"),
    (lambda: L.Cropping3D(((1, 1), (1, 1))), ValueError, r"Cropping3D '.*': cropping must be"),
    (lambda: L.ZeroPadding1D(-1), ValueError, r"ZeroPadding1D '.*': padding must be"),
    (lambda: L.UpSampling3D((2, 2)), ValueError, r"UpSampling3D '.*': size must be"),
    (lambda: L.UpSampling1D()(L.Input((3, 4, 5))), ValueError, r"expected ndim=3|rank 3"),
    (lambda: L.GaussianNoise(2.0), ValueError, r"GaussianNoise '.*': stddev must be a float"),
    (lambda: L.GaussianDropout(1.0), ValueError, r"GaussianDropout '.*': rate must be"),
    (lambda: L.AlphaDropout(0.2, seed=-1), TypeError, r"AlphaDropout '.*': seed must be"),
    (lambda: L.AlphaDropout(0.2, noise_shape=(3, 1))(np.ones((2, 2)), training=True),
     ValueError, r"AlphaDropout '.*': noise_shape \(3, 1\) does not broadcast"),
    (lambda: L.UnitNormalization(axis="x"), TypeError, r"UnitNormalization '.*': axis must"),
    (lambda: L.RMSNormalization(epsilon=-1.0), ValueError, r"RMSNormalization '.*': epsilon"),
    (lambda: L.RMSNormalization(axis=3)(np.ones((2, 3))), ValueError, r"axis"),
])
def test_bad_arguments_and_inputs(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("layer", [L.GaussianNoise(0.3), L.GaussianDropout(0.3),
                                   L.AlphaDropout(0.3), L.SpatialDropout3D(0.3)],
                         ids=lambda layer: type(layer).__name__)
def test_noise_layers_pass_through_outside_training(layer):
    x = np.random.default_rng(0).normal(size=(2, 2, 2, 2, 3)).astype(np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert not np.allclose(layer(x, training=True).numpy(), x)


def test_noise_statistics_in_training():
    x = np.ones((200, 500), np.float32)
    noise = L.GaussianNoise(0.5, seed=1)(x, training=True).numpy() - 1.0
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    scaled = L.GaussianDropout(0.2, seed=1)(x, training=True).numpy()
    assert abs(scaled.mean() - 1.0) < 0.01 and abs(scaled.std() - 0.5) < 0.01
    # AlphaDropout keeps zero mean and unit variance of standard normal inputs
    z = np.random.default_rng(2).normal(size=(200, 500)).astype(np.float32)
    out = L.AlphaDropout(0.3, seed=1)(z, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02


def test_seeded_noise_is_reproducible_and_fresh_each_call():
    x = np.zeros((2, 4), np.float32)
    a, b = L.GaussianNoise(0.1, seed=3), L.GaussianNoise(0.1, seed=3)
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    assert not np.array_equal(first, a(x, training=True).numpy())


def test_noise_gradient_flows_to_the_input():
    x = dw.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = L.GaussianNoise(0.1, seed=0)(x, training=True)
    (g,) = dw.grad(dw.sum(y), [x])
    np.testing.assert_array_equal(g.numpy(), np.ones((2, 3)))


def test_spatial_dropout3d_drops_whole_channels():
    y = L.SpatialDropout3D(0.5, seed=0)(np.ones((4, 2, 2, 2, 6)), training=True).numpy()
    assert (y == y[:, :1, :1, :1, :]).all() and (y == 0).any()


def test_activity_regularization_adds_the_penalty():
    layer = L.ActivityRegularization(l1=0.1, l2=0.5)
    layer(np.array([[1.0, -2.0]], np.float32))
    np.testing.assert_allclose(layer.losses[0].numpy(), 0.1 * 3 + 0.5 * 5, rtol=1e-6)
    assert "activity_regularizer" not in layer.get_config()


def double(x):
    return x * 2


def scaled(x, factor=1.0):
    return x * factor


def test_lambda_runs_its_function_with_arguments():
    layer = L.Lambda(scaled, arguments={"factor": 3.0})
    np.testing.assert_allclose(layer(np.ones((1, 2))).numpy(), [[3.0, 3.0]])
    assert layer(L.Input((4,))).shape == (None, 4)
    assert L.Lambda(lambda x: x[:, :2], output_shape=(2,))(L.Input((4,))).shape == (None, 2)


def test_lambda_config_stores_the_name_only_and_loads_through_custom_objects():
    inp = L.Input((3,))
    model = Model(inp, L.Lambda(double, name="twice")(L.Dense(2)(inp)))
    text = model.to_json()
    assert "double" in text and "code" not in json.loads(text)["config"]["layers"][2]["config"]
    with pytest.raises(ValueError, match=r"Lambda 'twice': cannot find the function 'double'; "
                                         r"expected it among custom_objects"):
        model_from_json(text)
    clone = model_from_json(text, custom_objects={"double": double})
    clone.set_weights(model.get_weights())
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy())


def test_lambda_passes_mask_and_training_when_asked():
    seen = {}

    def fn(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    L.Lambda(fn)(np.ones((1, 2)), mask=np.array([[True, False]]), training=True)
    assert seen["training"] is True and seen["mask"] is not None


def test_lambda_refuses_a_non_callable():
    with pytest.raises(ValueError, match=r"Lambda '.*': function must be callable"):
        L.Lambda(3)


def test_identity_passes_structures_and_masks():
    a, b = np.ones((1, 2), np.float32), np.zeros((1, 3), np.float32)
    out = L.Identity()([a, b])
    assert [o.shape for o in out] == [(1, 2), (1, 3)]
    assert L.Identity().compute_mask(a, mask="m") == "m"


def test_reversible_embedding_both_directions():
    layer = L.ReversibleEmbedding(6, 3)
    ids = np.array([[1, 5], [0, 2]])
    vectors = layer(ids)
    logits = layer(vectors, reverse=True)
    table = layer.embeddings.numpy()
    np.testing.assert_allclose(logits.numpy(), table[ids] @ table.T, rtol=1e-6)
    assert [w.name for w in layer.weights] == ["embeddings"]
    untied = L.ReversibleEmbedding(6, 3, tie_weights=False, logit_soft_cap=0.5)
    untied(ids)
    assert [w.shape for w in untied.weights] == [(6, 3), (3, 6)]
    capped = untied(np.full((1, 3), 10.0, np.float32), reverse=True).numpy()
    assert np.all(np.abs(capped) <= 0.5)
    x = dw.tensor(np.random.default_rng(0).normal(size=(2, 3)), requires_grad=True)
    layer64 = L.ReversibleEmbedding(6, 3, dtype="float64", logit_soft_cap=2.0)
    layer64(np.array([0]))
    assert dw.gradcheck(lambda t: layer64(t, reverse=True), [x])
    inp = L.Input((4,), dtype="int32")
    assert layer(inp).shape == (None, 4, 3)
    assert layer(layer(inp), reverse=True).shape == (None, 4, 6)
    with pytest.raises(ValueError, match=r"ReversibleEmbedding '.*': reverse=True takes vectors "
                                         r"of size output_dim=3"):
        layer(np.ones((2, 5), np.float32), reverse=True)
