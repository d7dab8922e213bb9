"""Masks through the merging layers, against real Keras 3: the OR of the inputs' masks out of
Add/Subtract/Average/Multiply/Maximum/Minimum, Keras' masked Multiply/Maximum/Minimum values,
and Concatenate's joined mask, read by a masked GlobalAveragePooling1D after them."""

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)

# two padded id sequences whose padding differs, so the OR of the masks matters
IDS_A = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]], dtype="int32")
IDS_B = np.array([[1, 0, 3, 0, 5, 0], [0, 5, 6, 7, 8, 0]], dtype="int32")

MERGES = {
    "add": lambda L, a, b: L.Add()([a, b]),
    "subtract": lambda L, a, b: L.Subtract()([a, b]),
    "average": lambda L, a, b: L.Average()([a, b]),
    "multiply": lambda L, a, b: L.Multiply()([a, b]),
    "maximum": lambda L, a, b: L.Maximum()([a, b]),
    "minimum_three": lambda L, a, b: L.Minimum()([a, b, a]),
    "concatenate_features": lambda L, a, b: L.Concatenate()([a, b]),
    "concatenate_steps": lambda L, a, b: L.Concatenate(axis=1)([a, b]),
    "residual_layer_norm": lambda L, a, b: L.LayerNormalization()(L.Add()([a, L.Dense(8)(a)])),
}


def _pooled_merge(lib, merge):
    ids_a = lib.Input((6,), dtype="int32")
    ids_b = lib.Input((6,), dtype="int32")
    a = lib.layers.Embedding(20, 8, mask_zero=True)(ids_a)
    b = lib.layers.Embedding(20, 8, mask_zero=True)(ids_b)
    merged = MERGES[merge](lib.layers, a, b)
    return lib.Model([ids_a, ids_b], [merged, lib.layers.GlobalAveragePooling1D()(merged)])


@pytest.mark.parametrize("merge", list(MERGES))
def test_merged_values_and_mask_match_keras(merge):
    reference, model = kr.build_both(lambda lib: _pooled_merge(lib, merge))
    with kr.quiet():
        want = [kr.to_numpy(v) for v in reference.predict([IDS_A, IDS_B], verbose=0)]
    got = [np.asarray(v) for v in model.predict([IDS_A, IDS_B], verbose=0)]
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)   # the merged values
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)   # pooled under the mask


def test_merge_mask_is_none_when_an_input_has_none():
    a = np.ones((2, 3, 4), np.float32)
    mask = np.array([[True, False, True]] * 2)
    for lib in (dk, keras):
        assert lib.layers.Add().compute_mask([a, a], [mask, None]) is None
        assert lib.layers.Add().compute_mask([a, a], None) is None
        both = lib.layers.Add().compute_mask([a, a], [mask, ~mask])
        assert (both.numpy() if lib is dk else kr.to_numpy(both)).all()


def test_merge_mask_list_length_is_checked():
    a = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r"Add '.*'.*2 inputs and 1 masks"):
        dk.layers.Add().compute_mask([a, a], [np.ones((2, 3), bool)])


def test_merge_mask_must_be_a_list():
    a = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r"Concatenate '.*'.*one entry per input; got ndarray"):
        dk.layers.Concatenate().compute_mask([a, a], np.ones((2, 3), bool))
