"""keras.activations: names resolve to the dw.nn functions and serialize back."""

import numpy as np
import pytest

import deltaw as dw
from deltaw import nn
from deltaw.keras import activations as A

NAMES = ["relu", "sigmoid", "softmax", "softplus", "softsign", "tanh", "selu", "elu",
         "exponential", "leaky_relu", "relu6", "silu", "swish", "gelu", "hard_sigmoid",
         "hard_silu", "mish", "log_softmax", "linear"]


@pytest.mark.parametrize("name", NAMES)
def test_every_keras_name_resolves_to_a_dw_nn_function(name):
    fn = A.get(name)
    assert callable(fn)
    out = fn(dw.tensor([[-1.0, 0.5, 2.0]]))
    assert isinstance(out, dw.Tensor) and out.shape == (1, 3)
    assert A.get(A.serialize(fn)) is fn


def test_values_and_aliases():
    x = dw.tensor([-1.0, 2.0])
    np.testing.assert_allclose(A.get("relu")(x).numpy(), [0.0, 2.0])
    assert A.get("swish") is A.get("silu") is nn.silu
    assert A.serialize(A.swish) == "silu"
    assert A.get("hard_swish") is A.get("hard_silu")


def test_none_and_linear_are_identity():
    x = dw.tensor([1.0, -3.0])
    assert A.get(None) is A.get("linear")
    np.testing.assert_array_equal(A.get(None)(x).numpy(), x.numpy())
    assert A.serialize(None) == "linear"


def test_callables_pass_through_and_serialize_by_name():
    def custom(x):
        return x * 2.0

    assert A.get(custom) is custom
    assert A.serialize(custom) == "custom"
    assert A.deserialize("custom", custom_objects={"custom": custom}) is custom


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'relux'\. Known: celu, elu, "):
        A.get("relux")
    with pytest.raises(ValueError, match="could not interpret activation 3"):
        A.get(3)
