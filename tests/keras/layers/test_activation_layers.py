"""ReLU, LeakyReLU, PReLU, ELU and Softmax: values, gradients, configs, masks and errors."""

import numpy as np
import pytest

from deltaw.keras.layers import ELU, Input, LeakyReLU, PReLU, ReLU, Softmax
from tests.keras.harness import check_layer

# inputs kept away from the kinks (0, threshold, max_value), where gradcheck's differences break
AWAY_FROM_KINKS = np.array([[-1.7, -0.6, 0.45, 0.8, 1.3, 2.2]], np.float32)


@pytest.mark.parametrize("cls, kwargs", [
    (ReLU, {}), (ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}),
    (LeakyReLU, {}), (LeakyReLU, {"negative_slope": 0.01}), (ELU, {}), (ELU, {"alpha": 0.5}),
    (Softmax, {}), (Softmax, {"axis": [0, 1]}),
], ids=["relu", "relu-options", "leaky", "leaky-slope", "elu", "elu-alpha", "softmax",
        "softmax-axes"])
def test_activation_harness(cls, kwargs):
    check_layer(cls, kwargs, input_data=AWAY_FROM_KINKS, expected_output_shape=(1, 6),
                symbolic=cls is not Softmax or "axis" not in kwargs)


def test_relu_values():
    x = np.array([-2.0, 0.1, 0.5, 3.0], np.float32)
    out = ReLU(max_value=2.0, negative_slope=0.5, threshold=0.2)(x).numpy()
    np.testing.assert_allclose(out, [-1.1, -0.05, 0.5, 2.0], rtol=1e-6)


def test_leaky_relu_default_slope_is_kerass_and_alpha_is_accepted():
    assert LeakyReLU().negative_slope == 0.3
    np.testing.assert_allclose(LeakyReLU(alpha=0.1)(np.array([-1.0])).numpy(), [-0.1])


def test_prelu_weights_and_values():
    layer = check_layer(PReLU, {"alpha_initializer": "ones", "shared_axes": [1]},
                        input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                        expected_num_trainable_weights=1, expected_weight_shapes=[(1, 4)])
    assert layer.weights[0].name == "alpha"
    layer.set_weights([np.array([[0.5, 0.0, 1.0, 2.0]], np.float32)])
    x = -np.ones((1, 3, 4), np.float32)
    np.testing.assert_allclose(layer(x).numpy(), np.broadcast_to([-0.5, 0, -1, -2], (1, 3, 4)))


def test_elu_values():
    np.testing.assert_allclose(ELU(alpha=2.0)(np.array([-1.0, 1.0])).numpy(),
                               [2.0 * (np.exp(-1.0) - 1.0), 1.0], rtol=1e-6)


def test_softmax_mask_zeroes_masked_entries():
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    out = Softmax()(x, mask=np.array([[True, True, False]])).numpy()
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(out, [[*(e / e.sum()), 0.0]], rtol=1e-6)


def test_softmax_over_two_axes_sums_to_one():
    out = Softmax(axis=[1, 2])(np.random.default_rng(0).normal(size=(2, 3, 4))).numpy()
    np.testing.assert_allclose(out.sum(axis=(1, 2)), [1.0, 1.0], rtol=1e-6)


def test_activation_layers_pass_masks_and_shapes():
    x = Input((5, 3))
    for layer in (ReLU(), LeakyReLU(), ELU(), Softmax(), PReLU()):
        assert layer(x).shape == (None, 5, 3)
        assert layer.supports_masking


@pytest.mark.parametrize("make, message", [
    (lambda: ReLU(max_value=-1.0, name="r"), r"ReLU 'r': max_value must be a non-negative"),
    (lambda: ReLU(negative_slope=-0.1, name="r"), r"ReLU 'r': negative_slope must be"),
    (lambda: ReLU(threshold="a", name="r"), r"ReLU 'r': threshold must be"),
    (lambda: LeakyReLU(negative_slope=-1, name="l"), r"LeakyReLU 'l': negative_slope"),
    (lambda: ELU(alpha="x", name="e"), r"ELU 'e': alpha must be a number"),
    (lambda: Softmax(axis="last", name="s"), r"Softmax 's': axis must be an int"),
    (lambda: PReLU(shared_axes="x", name="p"), r"PReLU 'p': shared_axes must be"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_prelu_shared_axis_out_of_range():
    with pytest.raises(ValueError, match=r"PReLU 'p': shared_axes must name axes 1..2"):
        PReLU(shared_axes=[3], name="p")(np.ones((1, 2, 2)))
