"""Convolutions: forward against the slow per-pixel references, chunked im2col, memory, the
adjoint identity, Keras' output sizes, torch (when importable) and the error messages."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import deltaw as dw
from deltaw.nn import conv
from tests.ops import op_table  # noqa: F401 - load the table first: it imports rows_vision
from tests.ops.rows_vision import (
    ref_conv,
    ref_conv2d_transpose,
    ref_depthwise_conv2d,
    torch_conv,
    torch_conv2d_transpose,
)


def _t(a, grad=False):
    return dw.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _grads(fn, *arrays, weights=None):
    ins = [_t(a, True) for a in arrays]
    out = fn(*ins)
    w = np.ones(out.shape) if weights is None else weights
    return out.numpy(), [g.numpy() for g in dw.grad((out * dw.tensor(w)).sum(), ins)]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides, dilation", [(1, 1), (2, 1), (1, 2), ((3, 2), (2, 1))])
def test_conv2d_matches_per_pixel_reference(padding, strides, dilation):
    rng = np.random.default_rng(1)
    x, k = rng.normal(size=(2, 9, 8, 3)), rng.normal(size=(3, 2, 3, 4))
    got = dw.nn.conv2d(_t(x), _t(k), strides=strides, padding=padding, dilation_rate=dilation)
    np.testing.assert_allclose(got.numpy(), ref_conv(x, k, strides, padding, dilation), atol=1e-12)


@pytest.mark.parametrize("groups", [2, 3, 6])
def test_grouped_conv2d_matches_reference(groups):
    rng = np.random.default_rng(2)
    x, k = rng.normal(size=(2, 5, 6, 6)), rng.normal(size=(3, 3, 6 // groups, 6))
    got = dw.nn.conv2d(_t(x), _t(k), padding="same", groups=groups)
    np.testing.assert_allclose(got.numpy(), ref_conv(x, k, 1, "same", 1, groups), atol=1e-12)


def test_conv1d_causal_sees_only_the_past():
    rng = np.random.default_rng(3)
    x, k = rng.normal(size=(1, 8, 2)), rng.normal(size=(3, 2, 2))
    y = dw.nn.conv1d(_t(x), _t(k), padding="causal", dilation_rate=2).numpy()
    x2 = x.copy()
    x2[:, 5:] += 10.0                            # changing the future leaves out[:5] alone
    y2 = dw.nn.conv1d(_t(x2), _t(k), padding="causal", dilation_rate=2).numpy()
    np.testing.assert_array_equal(y[:, :5], y2[:, :5])
    assert not np.allclose(y[:, 5:], y2[:, 5:])
    assert y.shape == (1, 8, 2)


def test_float32_in_float32_out_and_grads():
    rng = np.random.default_rng(4)
    x = dw.tensor(rng.normal(size=(2, 5, 5, 2)).astype(np.float32), requires_grad=True)
    k = dw.tensor(rng.normal(size=(3, 3, 2, 3)).astype(np.float32), requires_grad=True)
    for fn in (dw.nn.conv2d, lambda a, b: dw.nn.conv2d(a, b, strides=2, padding="same")):
        y = fn(x, k)
        assert y.dtype == np.float32
        gx, gk = dw.grad(y.sum(), [x, k])
        assert gx.dtype == np.float32 and gk.dtype == np.float32
    kt = dw.tensor(rng.normal(size=(3, 3, 4, 2)).astype(np.float32), requires_grad=True)
    assert dw.nn.conv2d_transpose(x, kt, strides=2).dtype == np.float32
    kd = dw.tensor(rng.normal(size=(3, 3, 2, 2)).astype(np.float32))
    assert dw.nn.depthwise_conv2d(x, kd).dtype == np.float32


@pytest.mark.parametrize("case", [
    dict(fn="conv2d", x=(5, 7, 6, 4), k=(3, 3, 2, 6), kw=dict(padding="same", groups=2,
                                                              strides=2)),
    dict(fn="conv1d", x=(5, 9, 3), k=(3, 3, 4), kw=dict(dilation_rate=2)),
    dict(fn="conv2d_transpose", x=(5, 3, 4, 3), k=(3, 3, 2, 3), kw=dict(strides=2,
                                                                         padding="same")),
])
def test_chunked_batches_give_identical_results(monkeypatch, case):
    rng = np.random.default_rng(5)
    x, k = rng.normal(size=case["x"]), rng.normal(size=case["k"])
    fn = getattr(dw.nn, case["fn"])
    g = rng.normal(size=fn(_t(x), _t(k), **case["kw"]).shape)
    whole = _grads(lambda a, b: fn(a, b, **case["kw"]), x, k, weights=g)
    monkeypatch.setattr(conv, "IM2COL_BUDGET_BYTES", 1)      # one sample per chunk
    assert len(conv.batch_chunks(5, 100)) == 5
    chunked = _grads(lambda a, b: fn(a, b, **case["kw"]), x, k, weights=g)
    np.testing.assert_allclose(chunked[0], whole[0], atol=1e-12)
    for a, b in zip(chunked[1], whole[1], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_im2col_memory_stays_within_the_budget(monkeypatch):
    """Forward + backward allocate the output, its gradient and dx, plus about one budget."""
    rng = np.random.default_rng(6)
    x = dw.tensor(rng.normal(size=(32, 32, 32, 8)).astype(np.float32), requires_grad=True)
    k = dw.tensor(rng.normal(size=(3, 3, 8, 8)).astype(np.float32), requires_grad=True)
    full_cols = 32 * 32 * 32 * 72 * 4                       # 9.4 MB if built in one go
    budget = 2**20
    monkeypatch.setattr(conv, "IM2COL_BUDGET_BYTES", budget)
    tracemalloc.start()
    try:
        y = dw.nn.conv2d(x, k, padding="same")
        dw.grad(y.sum(), [x, k])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrays = 3 * x.data.nbytes                              # y, dx and a padded chunk scale
    assert peak < arrays + 3 * budget < full_cols + arrays, (peak, full_cols)


def test_transpose_is_the_adjoint_of_conv():
    """<conv2d(x, K), y> == <x, conv2d_transpose(y, K)>, the definition of the transpose."""
    rng = np.random.default_rng(7)
    for strides, dilation in [(1, 1), (2, 1), (3, 1), (1, 2)]:
        k = rng.normal(size=(3, 3, 2, 4))
        size = 2 * strides + (3 - 1) * dilation + 1           # so the 'valid' sizes round-trip
        x = rng.normal(size=(2, size, size, 2))
        y_shape = dw.nn.conv2d(_t(x), _t(k), strides=strides, dilation_rate=dilation).shape
        y = rng.normal(size=y_shape)
        lhs = (dw.nn.conv2d(_t(x), _t(k), strides=strides, dilation_rate=dilation).numpy()
               * y).sum()
        back = dw.nn.conv2d_transpose(_t(y), _t(k), strides=strides, dilation_rate=dilation,
                                      output_padding=0 if strides > 1 else None)
        assert back.shape == x.shape
        np.testing.assert_allclose(lhs, (x * back.numpy()).sum(), rtol=1e-12)


@pytest.mark.parametrize("size, k, strides, padding, output_padding, expected", [
    (3, 3, 2, "valid", None, 7),     # (3-1)*2 + 3
    (3, 2, 3, "valid", None, 9),     # (3-1)*3 + max(2, 3)
    (3, 3, 2, "same", None, 6),      # 3*2
    (3, 3, 2, "same", 1, 6),         # (3-1)*2 + 3%2 + 1
    (3, 4, 2, "same", 0, 4),         # (3-1)*2 + 4%2 + 0
    (4, 3, 3, "valid", 2, 14),       # (4-1)*3 + 3 + 2
])
def test_conv2d_transpose_output_sizes_follow_keras(size, k, strides, padding, output_padding,
                                                    expected):
    x = np.ones((1, size, size, 1))
    y = dw.nn.conv2d_transpose(_t(x), _t(np.ones((k, k, 1, 1))), strides=strides,
                               padding=padding, output_padding=output_padding)
    assert y.shape == (1, expected, expected, 1)
    ref = ref_conv2d_transpose(x, np.ones((k, k, 1, 1)), strides, padding, output_padding)
    np.testing.assert_allclose(y.numpy(), ref)


def test_depthwise_is_a_grouped_convolution():
    rng = np.random.default_rng(8)
    x, k = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(3, 2, 3, 2))
    got = dw.nn.depthwise_conv2d(_t(x), _t(k), strides=(2, 1), padding="same").numpy()
    grouped = dw.nn.conv2d(_t(x), _t(k.reshape(3, 2, 1, 6)), strides=(2, 1), padding="same",
                           groups=3).numpy()
    np.testing.assert_allclose(got, grouped, atol=1e-12)
    np.testing.assert_allclose(got, ref_depthwise_conv2d(x, k, (2, 1), "same"), atol=1e-12)


def test_gradient_through_a_broadcast_output_gradient():
    # sum's backward hands a zero-stride view to conv's backward (a BLAS corner case)
    rng = np.random.default_rng(9)
    x, k = _t(rng.normal(size=(2, 5, 5, 2)), True), _t(rng.normal(size=(3, 3, 2, 3)), True)
    gx, gk = dw.grad(dw.nn.conv2d(x, k).sum(), [x, k])
    _, (rx, rk) = _grads(dw.nn.conv2d, x.numpy(), k.numpy(),
                         weights=np.ones((2, 3, 3, 3)) + 0.0)
    np.testing.assert_allclose(gx.numpy(), rx, atol=1e-12)
    np.testing.assert_allclose(gk.numpy(), rk, atol=1e-12)


def test_separable_conv2d_is_depthwise_then_pointwise():
    rng = np.random.default_rng(10)
    x, dk, pk = (rng.normal(size=s) for s in ((2, 5, 5, 2), (3, 3, 2, 2), (1, 1, 4, 3)))
    got = dw.nn.separable_conv2d(_t(x), _t(dk), _t(pk), padding="same").numpy()
    np.testing.assert_allclose(got, ref_conv(ref_depthwise_conv2d(x, dk, 1, "same"), pk),
                               atol=1e-12)


# ---------------------------------------------------------------- errors

def test_errors_name_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"conv2d: expected an input of rank 4 .*got input shape "
                       r"\(5, 5, 2\) and kernel shape \(3, 3, 2, 3\)"):
        dw.nn.conv2d(dw.ones((5, 5, 2)), dw.ones((3, 3, 2, 3)))
    with pytest.raises(ValueError, match=r"conv2d: the input's channels do not match the kernel; "
                       r"expected 4 channels \(kernel in_channels 2 x groups 2\), got input shape "
                       r"\(1, 5, 5, 3\) and kernel shape \(3, 3, 2, 4\)"):
        dw.nn.conv2d(dw.ones((1, 5, 5, 3)), dw.ones((3, 3, 2, 4)), groups=2)
    with pytest.raises(ValueError, match=r"conv1d: expected an input of rank 3"):
        dw.nn.conv1d(dw.ones((2, 5, 5, 2)), dw.ones((3, 2, 3)))


def test_kernel_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"conv2d: the kernel is larger than the input with "
                       r"padding='valid' .*expected spatial axis 1 to have size >= 5 .*dilation 2"):
        dw.nn.conv2d(dw.ones((1, 4, 9, 1)), dw.ones((3, 3, 1, 1)), dilation_rate=2)
    # 'same' pads instead, so the same shapes are fine there
    assert dw.nn.conv2d(dw.ones((1, 4, 9, 1)), dw.ones((3, 3, 1, 1)), dilation_rate=2,
                        padding="same").shape == (1, 4, 9, 1)


def test_bad_arguments():
    x, k = dw.ones((1, 5, 5, 2)), dw.ones((3, 3, 2, 2))
    with pytest.raises(ValueError, match=r"conv2d: dilation_rate must be a positive int or a "
                       r"tuple of 2 positive ints; got dilation_rate=\(1, 2, 3\)"):
        dw.nn.conv2d(x, k, dilation_rate=(1, 2, 3))
    with pytest.raises(ValueError, match=r"conv2d: groups must be a positive int; got groups=0"):
        dw.nn.conv2d(x, k, groups=0)
    with pytest.raises(ValueError, match=r"conv2d: padding must be 'valid' or 'same'; got "
                       r"padding='causal'"):
        dw.nn.conv2d(x, k, padding="causal")
    with pytest.raises(ValueError, match=r"conv2d_transpose: output_padding must be smaller than "
                       r"strides; expected each < \(1, 1\), got output_padding=1"):
        dw.nn.conv2d_transpose(x, dw.ones((3, 3, 1, 2)), output_padding=1)


# ---------------------------------------------------------------- torch (optional)

@pytest.mark.parametrize("kw", [dict(strides=2, padding="same"), dict(dilation_rate=2),
                                dict(groups=4, padding="same"), dict(strides=(1, 3))])
def test_conv2d_values_and_grads_match_torch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x, k = rng.normal(size=(3, 9, 10, 8)), rng.normal(size=(3, 3, 8 // kw.get("groups", 1), 8))
    out, (gx, gk) = _grads(lambda a, b: dw.nn.conv2d(a, b, **kw), x, k)
    xt, kt = torch.tensor(x, requires_grad=True), torch.tensor(k, requires_grad=True)
    ref = torch_conv(torch, xt, kt, **kw)
    rx, rk = torch.autograd.grad(ref.sum(), [xt, kt])
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-11)
    np.testing.assert_allclose(gx, rx.numpy(), atol=1e-11)
    np.testing.assert_allclose(gk, rk.numpy(), atol=1e-10)


def test_conv2d_transpose_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    x, k = rng.normal(size=(2, 4, 5, 3)), rng.normal(size=(3, 3, 2, 3))
    kw = dict(strides=2, padding="same", output_padding=1)
    out, (gx, gk) = _grads(lambda a, b: dw.nn.conv2d_transpose(a, b, **kw), x, k)
    xt, kt = torch.tensor(x, requires_grad=True), torch.tensor(k, requires_grad=True)
    ref = torch_conv2d_transpose(torch, xt, kt, **kw)
    rx, rk = torch.autograd.grad(ref.sum(), [xt, kt])
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-11)
    np.testing.assert_allclose(gx, rx.numpy(), atol=1e-11)
    np.testing.assert_allclose(gk, rk.numpy(), atol=1e-11)


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh"])
def test_conv2d_bias_activation_equals_the_composite(activation):
    """The fused op against conv2d + add + activation: values and all three gradients."""
    rng = np.random.default_rng(11)
    x, k, b = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(3, 3, 3, 4)), rng.normal(size=4)
    act = {None: lambda z: z, "relu": dw.nn.relu, "sigmoid": dw.nn.sigmoid, "tanh": dw.tanh}

    def composite(xt, kt, bt):
        return act[activation](dw.nn.conv2d(xt, kt, padding="same") + bt)

    def fused(xt, kt, bt):
        return dw.nn.conv2d_bias_activation(xt, kt, bt, activation, padding="same")
    g = rng.normal(size=(2, 6, 5, 4))
    want, got = _grads(composite, x, k, b, weights=g), _grads(fused, x, k, b, weights=g)
    np.testing.assert_allclose(got[0], want[0], atol=1e-12)
    for a, c in zip(got[1], want[1], strict=True):
        np.testing.assert_allclose(a, c, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_conv2d_layer_fuses_what_it_can(activation):
    """Conv2D records one op with a fusable activation and falls back to conv2d + add + the
    activation otherwise (gelu); both give the composite's values."""
    from deltaw.keras import layers

    x = dw.tensor(np.random.default_rng(12).normal(size=(2, 6, 6, 2)).astype(np.float32))
    layer = layers.Conv2D(3, 3, activation=activation, bias_initializer="ones")
    x.requires_grad = True
    out = layer(x)
    fused = out._node.op.name == "conv2d_bias_activation"
    assert fused == (activation == "relu")
    act = dw.nn.relu if activation == "relu" else dw.nn.gelu
    want = act(dw.nn.conv2d(x, layer.kernel) + layer.bias)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fn", [dw.nn.conv2d, dw.nn.conv2d_bias_activation])
def test_kept_columns_give_the_rebuilt_gradients(monkeypatch, fn):
    """The forward pass keeps small im2col matrices for the kernel gradient; rebuilding them
    in the backward pass (KEEP_COLUMNS_BYTES = 0) gives the same gradients."""
    rng = np.random.default_rng(8)
    x, k = rng.normal(size=(6, 9, 9, 3)), rng.normal(size=(3, 3, 3, 4))
    g = rng.normal(size=(6, 9, 9, 4))

    def grads(expect_kept):
        xt, kt = dw.tensor(x, requires_grad=True), dw.tensor(k, requires_grad=True)
        out = fn(xt, kt, padding="same")
        assert (out._node.saved[-1] is not None) == expect_kept     # the columns, or None
        return [a.numpy() for a in dw.grad((out * dw.tensor(g)).sum(), [xt, kt])]

    kept = grads(True)
    monkeypatch.setattr(conv, "KEEP_COLUMNS_BYTES", 0)
    rebuilt = grads(False)
    for a, b in zip(kept, rebuilt, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
