"""MultiHeadAttention's packed self-attention path (one tensor for query, key and value: one
projection GEMM, `dw.nn.packed_self_attention`) against Keras 3 (PyTorch backend), with Keras'
weights copied in: layer calls with masks, and a W6-like functional model with a propagated
mask. Skipped without keras/torch.
"""

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
from deltaw.autograd.replay import recording
from tests.keras import keras_reference as ref  # selects the torch backend; import before keras

with ref.quiet():
    keras = pytest.importorskip("keras", reason=ref.SKIP_REASON)
ref.require_torch_backend(keras)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.mark.parametrize("call", [{}, {"use_causal_mask": True}, {"attention_mask": "mask"}],
                         ids=["plain", "causal", "attention-mask"])
def test_self_attention_call_matches_keras(call):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6)).astype(np.float32)
    allowed = rng.random((2, 5, 5)) > 0.3
    allowed[:, :, 0] = True                      # every query keeps a key (deviation note)
    call = {k: allowed if v == "mask" else v for k, v in call.items()}
    k_layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    d_layer = dk.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    k_out = k_layer(x, x, **call)
    d_layer(x, x)
    ref.copy_weights(k_layer, d_layer)
    xt = dw.tensor(x)
    with recording() as ops:
        d_out = d_layer(xt, xt, **call)             # the same Tensor: the packed path
    assert "packed_self_attention" in {r[0].name for r in ops}
    np.testing.assert_allclose(d_out.numpy(), ref.to_numpy(k_out), atol=1e-5, rtol=1e-5)


def test_transformer_block_with_a_mask_matches_keras():
    def build(lib):
        tokens = lib.Input((7,), dtype="int32")
        e = lib.layers.Embedding(20, 8, mask_zero=True)(tokens)
        a = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4)(e, e)
        x = lib.layers.LayerNormalization(epsilon=1e-3)(lib.layers.Add()([e, a]))
        return lib.Model(tokens, lib.layers.Dense(1)(lib.layers.GlobalAveragePooling1D()(x)))

    # mask_zero=True: the propagated mask reaches the attention (all True here: with padded
    # positions deltaw and Keras differ at the pooled output on main as well, not only on
    # this path; reported in the closing note of the attn branch)
    ids = np.random.default_rng(1).integers(1, 20, size=(4, 7))
    k_model, d_model = ref.build_both(build)
    with ref.quiet():
        want = k_model.predict(ids, verbose=0)
    np.testing.assert_allclose(d_model.predict(ids, verbose=0), want, atol=1e-5, rtol=1e-5)
