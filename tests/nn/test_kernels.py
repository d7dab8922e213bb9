"""The optional numba kernels (deltaw.nn._kernels) against the NumPy path, their reference.

Every op that can take a compiled kernel runs twice on the same inputs, once with the kernels
and once with `_kernels.set_enabled(False)`; outputs and gradients must agree (float64 to
rounding, float32 to a few ulps of the sums involved), and tie-breaking must agree exactly.
The loader's promises (no numba at `import deltaw`, DELTAW_DISABLE_NUMBA, the environment
defaults that never overwrite a user's setting) are checked in fresh processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import deltaw as dw
from deltaw.nn import _kernels

needs_numba = pytest.mark.skipif(
    _kernels.get() is None,
    reason=f"numba kernels unavailable: {_kernels.status()} (pip install deltaw[fast])")


@pytest.fixture
def numpy_path():
    """A context switch: `with numpy_path(): ...` runs the NumPy implementation."""
    class Switch:
        def __enter__(self):
            self.previous = _kernels.set_enabled(False)

        def __exit__(self, *exc):
            _kernels.set_enabled(self.previous)
    return Switch


def _both(numpy_path, fn, arrays, dtype, grad_out_seed=0):
    """(outputs, gradients) with the kernels, then with NumPy, for fn(*tensors)."""
    results = []
    for use_numpy in (False, True):
        ins = [dw.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
        if use_numpy:
            with numpy_path():
                out = fn(*ins)
                w = np.random.default_rng(grad_out_seed).normal(size=out.shape).astype(dtype)
                grads = dw.grad((out * dw.tensor(w)).sum(), ins)
        else:
            out = fn(*ins)
            w = np.random.default_rng(grad_out_seed).normal(size=out.shape).astype(dtype)
            grads = dw.grad((out * dw.tensor(w)).sum(), ins)
        results.append((out.numpy(), [g.numpy() for g in grads]))
    return results


def _assert_same(results, dtype, exact=False):
    (out_k, grads_k), (out_n, grads_n) = results
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)
    if exact:
        np.testing.assert_array_equal(out_k, out_n)
    else:
        np.testing.assert_allclose(out_k, out_n, **tol)
    assert out_k.dtype == out_n.dtype == dtype
    for gk, gn in zip(grads_k, grads_n, strict=True):
        assert gk.dtype == gn.dtype == dtype
        if exact:
            np.testing.assert_array_equal(gk, gn)
        else:
            np.testing.assert_allclose(gk, gn, **tol)


CONV_CASES = [
    dict(x=(3, 9, 8, 1), k=(3, 3, 1, 8), kw={}),                         # W3's first layer
    dict(x=(3, 7, 7, 16), k=(3, 3, 16, 8), kw={}),                       # a GEMM-sized layer
    dict(x=(2, 8, 9, 3), k=(3, 3, 3, 5), kw=dict(padding="same", strides=2)),
    dict(x=(2, 9, 9, 4), k=(2, 3, 4, 3), kw=dict(dilation_rate=(2, 1), padding="same")),
    dict(x=(2, 6, 6, 4), k=(3, 3, 2, 4), kw=dict(groups=2)),             # NumPy col2im
]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_col2im_matches_numpy(numpy_path, case, dtype):
    rng = np.random.default_rng(1)
    arrays = (rng.normal(size=case["x"]), rng.normal(size=case["k"]))
    results = _both(numpy_path, lambda x, k: dw.nn.conv2d(x, k, **case["kw"]), arrays, dtype)
    _assert_same(results, dtype)


@needs_numba
@pytest.mark.parametrize("kw", [dict(strides=2), dict(strides=2, padding="same"),
                                dict(dilation_rate=2), dict(strides=(2, 3), output_padding=1)])
def test_conv2d_transpose_col2im_matches_numpy(numpy_path, kw):
    """The transposed convolution's forward pass is a col2im too."""
    rng = np.random.default_rng(10)
    arrays = (rng.normal(size=(2, 4, 5, 3)), rng.normal(size=(3, 3, 2, 3)))
    results = _both(numpy_path, lambda x, k: dw.nn.conv2d_transpose(x, k, **kw), arrays,
                    np.float64)
    _assert_same(results, np.float64)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation, with_bias", [("relu", True), ("relu", False),
                                                   (None, True), ("tanh", True)])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_bias_activation_matches_numpy(numpy_path, case, dtype, activation, with_bias):
    rng = np.random.default_rng(2)
    arrays = (rng.normal(size=case["x"]), rng.normal(size=case["k"]),
              *((rng.normal(size=case["k"][-1]),) if with_bias else ()))

    def fn(*ts):
        return dw.nn.conv2d_bias_activation(*ts, activation=activation, **case["kw"])
    _assert_same(_both(numpy_path, fn, arrays, dtype), dtype)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", None])
@pytest.mark.parametrize("kw", [dict(padding="same"), dict(strides=2)])
def test_conv2d_bias_activation_in_gradient_blocks_matches_numpy(numpy_path, monkeypatch, kw,
                                                                   activation, dtype):
    """Thin columns (3 * 3 * 2 taps) take the output gradient, its compiled derivative and the
    GEMMs block by block (conv.GRAD_BLOCK_BYTES, made small here so that 7 items come in
    blocks of 3, 3 and 1): dx, dK and the bias gradient as the NumPy path's."""
    from deltaw.nn import conv

    rows = 121 if kw.get("padding") == "same" else 25          # output pixels per item
    monkeypatch.setattr(conv, "GRAD_BLOCK_BYTES", 3 * rows * 4 * np.dtype(dtype).itemsize)
    blocks, real = [], conv._grad_blocks
    monkeypatch.setattr(conv, "_grad_blocks", lambda *a: blocks.append(real(*a)) or blocks[-1])
    rng = np.random.default_rng(6)
    arrays = (rng.normal(size=(7, 11, 11, 2)), rng.normal(size=(3, 3, 2, 4)),
              rng.normal(size=4))

    def fn(*ts):
        return dw.nn.conv2d_bias_activation(*ts, activation=activation, **kw)
    _assert_same(_both(numpy_path, fn, arrays, dtype), dtype)
    assert blocks == [[(0, 3), (3, 6), (6, 7)]] * 2       # the compiled path, then NumPy's


@needs_numba
@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("x_shape", [(32, 10), (7, 3, 5)])
def test_dense_matches_numpy(numpy_path, activation, x_shape):
    """float32 dense: bias + relu in one forward pass, derivative + bias sum in one backward
    pass (float64 keeps the NumPy path)."""
    rng = np.random.default_rng(4)
    arrays = (rng.normal(size=x_shape), rng.normal(size=(x_shape[-1], 6)),
              rng.normal(size=6) * np.array([1, 1, -9, 1, 1, 0]))     # some units always off
    results = _both(numpy_path, lambda *t: dw.nn.dense(*t, activation=activation), arrays,
                    np.float32)
    _assert_same(results, np.float32)
    if activation is not None:
        assert results[0][1][2].dtype == np.float32


_BCE_PROBS = {
    "interior": np.linspace(0.01, 0.99, 24),
    "saturated": np.array([0.0, 1.0, 1e-45, 1 - 1e-8, 0.5, 3e-44, 0.2, 0.9] * 3),
    "out-of-range": np.array([-0.5, 1.5, 0.3, 0.7] * 6),
}


@needs_numba
@pytest.mark.parametrize("probs", list(_BCE_PROBS), ids=str)
@pytest.mark.parametrize("kw", [{}, {"reduction": "sum_over_batch_size"}, {"axis": 0},
                                {"label_smoothing": 0.1}], ids=str)
def test_binary_cross_entropy_matches_numpy(numpy_path, probs, kw):
    """float32 probabilities: one compiled pass each way, NumPy's clamps and formulas (the plain
    one while no log is clamped, the guarded one otherwise)."""
    from deltaw.autograd.op import OPS

    p = _BCE_PROBS[probs].reshape(8, 3).astype(np.float32)
    t = (np.arange(24).reshape(8, 3) % 2).astype(np.float32)
    g = np.random.default_rng(5).normal(size=(8,) if not kw.get("reduction") else ())
    g = np.asarray(g if "axis" not in kw else np.ones(3), np.float32)
    results = []
    for enabled in (True, False):
        previous = _kernels.set_enabled(enabled)
        try:
            out, saved = OPS["binary_cross_entropy"].forward(np, t, p, **kw)
            assert (saved[2] is None) == enabled            # the kernel ran, or NumPy did
            results.append((out, *OPS["binary_cross_entropy"].backward(np, g, saved,
                                                                       (True, True))))
        finally:
            _kernels.set_enabled(previous)
    for got, want in zip(*results, strict=True):
        assert got.dtype == want.dtype == np.float32
        # an ulp of the logs; sums of terms as large as the clamp (100) cancel, hence atol
        np.testing.assert_allclose(got, want, rtol=2e-7, atol=100 * 2**-23)


@needs_numba
def test_binary_cross_entropy_kernel_propagates_nan():
    p = np.array([[0.2], [np.nan], [0.7]], np.float32)
    t = np.ones((3, 1), np.float32)
    out = dw.nn.binary_cross_entropy(dw.tensor(t), dw.tensor(p)).numpy()
    assert np.isnan(out[1]) and np.isfinite(out[[0, 2]]).all()


@needs_numba
def test_relu_mask_and_bias_sum_are_exact_where_the_output_is_zero(numpy_path):
    """Many outputs exactly 0 (a large negative bias): relu's gradient there is 0 in both."""
    rng = np.random.default_rng(3)
    arrays = (rng.normal(size=(4, 8, 8, 2)), rng.normal(size=(3, 3, 2, 6)),
              np.array([-50.0, -50.0, 0.0, 0.5, -50.0, 1.0]))
    results = _both(numpy_path, lambda *t: dw.nn.conv2d_bias_activation(*t, activation="relu"),
                    arrays, np.float32)
    assert (results[0][0] == 0).mean() > 0.4
    _assert_same(results, np.float32)
    assert results[0][1][2][0] == results[0][1][2][1] == 0


@needs_numba
def test_bias_gradient_keeps_float32_accuracy_over_many_rows():
    """The compiled bias sum (blocks of 64 in float32, float64 between blocks) stays close to a
    float64 sum where a plain float32 running sum would drift."""
    rng = np.random.default_rng(4)
    x = dw.tensor(rng.normal(size=(64, 30, 30, 1)).astype(np.float32))
    k = dw.tensor(rng.normal(size=(3, 3, 1, 4)).astype(np.float32), requires_grad=True)
    b = dw.tensor(np.full(4, 100.0, np.float32), requires_grad=True)
    out = dw.nn.conv2d_bias_activation(x, k, b, activation="relu")
    g = (rng.normal(size=out.shape) + 1).astype(np.float32)
    (db,) = dw.grad((out * dw.tensor(g)).sum(), [b])
    exact = g.astype(np.float64).reshape(-1, 4).sum(axis=0)
    np.testing.assert_allclose(db.numpy(), exact, rtol=1e-6)


def _disjoint(kw):
    """Windows that do not overlap: each dx entry gets one gradient, so both paths agree
    exactly; overlapping ones add several, in a different order."""
    pool = kw["pool_size"]
    return kw.get("strides", pool) == pool


POOL_CASES = [
    dict(pool_size=2),                                       # the unrolled 2x2 kernel
    dict(pool_size=2, padding="same"),                       # 2x2 with a padded edge
    dict(pool_size=3, strides=1, padding="same"),            # overlapping windows
    dict(pool_size=(2, 3), strides=(2, 1)),
    dict(pool_size=(2, 3), strides=3, padding="same"),       # gaps and a remainder
    dict(pool_size=4, strides=2),
]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", POOL_CASES)
def test_max_pool2d_matches_numpy(numpy_path, kw, dtype):
    x = np.random.default_rng(5).normal(size=(2, 9, 11, 3))
    _assert_same(_both(numpy_path, lambda t: dw.nn.max_pool2d(t, **kw), (x,), dtype), dtype,
                 exact=_disjoint(kw))


@needs_numba
@pytest.mark.parametrize("kw", POOL_CASES)
def test_max_pool2d_ties_go_to_the_first_maximum_in_both(numpy_path, kw):
    """relu outputs: most windows hold several exact zeros (and some repeated maxima)."""
    x = np.maximum(np.random.default_rng(6).integers(-3, 2, size=(2, 9, 11, 4)), 0)
    _assert_same(_both(numpy_path, lambda t: dw.nn.max_pool2d(t, **kw), (x,), np.float32),
                 np.float32, exact=_disjoint(kw))


@needs_numba
@pytest.mark.parametrize("kw", [dict(pool_size=2), dict(pool_size=3, strides=2, padding="same"),
                                dict(pool_size=2, strides=1, padding="same")])
def test_max_pool1d_matches_numpy(numpy_path, kw):
    x = np.maximum(np.random.default_rng(7).integers(-2, 3, size=(2, 9, 3)), 0)
    _assert_same(_both(numpy_path, lambda t: dw.nn.max_pool1d(t, **kw), (x,), np.float64),
                 np.float64, exact=True)


@needs_numba
def test_max_pool_propagates_nan_like_numpy(numpy_path):
    x = np.arange(32.0, dtype=np.float32).reshape(1, 4, 4, 2)
    x[0, 1, 1, 0] = np.nan                      # the window's last tap
    x[0, 2, 2, 1] = np.nan                      # the window's first tap
    got = dw.nn.max_pool2d(dw.tensor(x)).numpy()
    with numpy_path():
        ref = dw.nn.max_pool2d(dw.tensor(x)).numpy()
    np.testing.assert_array_equal(got, ref)
    assert np.isnan(got[0, 0, 0, 0]) and np.isnan(got[0, 1, 1, 1])


@needs_numba
def test_w3_training_step_matches_numpy(numpy_path):
    """The W3 network (conv relu, pool, conv relu, pool, dense) trained two steps both ways."""
    from deltaw.keras import layers, losses, models

    rng = np.random.default_rng(8)
    x = rng.normal(size=(16, 16, 16, 1)).astype(np.float32)
    y = rng.integers(0, 10, size=16)
    weights = []
    for use_numpy in (False, True):
        dw.random.seed(0)
        model = models.Sequential([
            layers.Conv2D(8, 3, activation="relu", input_shape=(16, 16, 1)),
            layers.MaxPooling2D(2), layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10)])
        model.compile(optimizer="adam",
                      loss=losses.SparseCategoricalCrossentropy(from_logits=True))
        if use_numpy:
            with numpy_path():
                model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        else:
            model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- the loader

def _probe(code, **env):
    full = {k: v for k, v in os.environ.items()
            if k not in ("DELTAW_DISABLE_NUMBA", "DELTAW_NUMBA_PARALLEL", "NUMBA_CACHE_DIR",
                         "OMP_WAIT_POLICY", "NUMBA_THREADING_LAYER", "XDG_CACHE_HOME")}
    full.update(env)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_deltaw_does_not_import_numba():
    got = _probe("import json, sys, deltaw; print(json.dumps('numba' in sys.modules))")
    assert got is False


def test_disable_variable_forces_the_numpy_path():
    got = _probe("import json; from deltaw.nn import _kernels; "
                 "print(json.dumps([_kernels.get() is None, _kernels.status()]))",
                 DELTAW_DISABLE_NUMBA="1")
    assert got == [True, "disabled by DELTAW_DISABLE_NUMBA"]


# every op family with a kernel (embedding, LSTM, dense, BCE, Adam; conv, pooling) trains a step
_FALLBACK = """
import json, sys
import numpy as np
import deltaw as dw
from deltaw.keras import layers, models
from deltaw.nn import _kernels
rng = np.random.default_rng(0)
dw.random.seed(0)
text = models.Sequential([layers.Embedding(50, 4, input_shape=(6,)), layers.LSTM(5),
                          layers.Dense(1, activation="sigmoid")])
text.compile(optimizer="adam", loss="binary_crossentropy")
h1 = text.fit(rng.integers(0, 50, (8, 6)), rng.integers(0, 2, (8, 1)).astype("float32"),
              batch_size=4, epochs=1, verbose=0)
image = models.Sequential([layers.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)),
                           layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2)])
image.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
h2 = image.fit(rng.normal(size=(8, 6, 6, 1)).astype("float32"), rng.integers(0, 2, 8),
               batch_size=4, epochs=1, verbose=0)
weights = [float(w.astype("float64").sum()) for m in (text, image) for w in m.get_weights()]
print(json.dumps([_kernels.get() is None, _kernels.status(), bool(sys.modules.get("numba")),
                  h1.history["loss"] + h2.history["loss"], weights]))
"""


def test_numba_that_fails_to_import_falls_back_to_the_numpy_path():
    """A plain install where numba is absent or broken (its wheels are missing for the
    platform, or it rejects the installed NumPy) trains on the NumPy kernels' references:
    exactly what DELTAW_DISABLE_NUMBA=1 computes."""
    blocked = _probe("import sys; sys.modules['numba'] = None  # import numba: ImportError\n"
                     + _FALLBACK)
    forced = _probe(_FALLBACK, DELTAW_DISABLE_NUMBA="1")
    assert blocked[0] is True and blocked[1].startswith("numba is not importable")
    assert blocked[2] is False
    assert np.isfinite(blocked[3]).all()
    assert blocked[3:] == forced[3:]


_SETTINGS = ("import json, os; from deltaw.nn import _kernels; _kernels.load(); "
             "print(json.dumps([_kernels.status()] + [os.environ.get(k) for k in "
             "('NUMBA_CACHE_DIR', 'OMP_WAIT_POLICY', 'NUMBA_THREADING_LAYER')]))")


@needs_numba
def test_loading_sets_defaults_but_keeps_the_users_settings(tmp_path):
    status, cache, wait, layer = _probe(_SETTINGS, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    assert "serial" in status
    assert cache == str(tmp_path / "xdg" / "deltaw" / "numba")
    assert wait is None and layer is None        # serial kernels start no threads
    status, cache, wait, layer = _probe(_SETTINGS, XDG_CACHE_HOME=str(tmp_path / "xdg"),
                                        DELTAW_NUMBA_PARALLEL="1")
    assert "parallel" in status and wait == "PASSIVE" and layer == "workqueue"
    mine = str(tmp_path / "mine")
    got = _probe(_SETTINGS, NUMBA_CACHE_DIR=mine, OMP_WAIT_POLICY="ACTIVE",
                 NUMBA_THREADING_LAYER="omp", DELTAW_NUMBA_PARALLEL="1")
    assert got[1:] == [mine, "ACTIVE", "omp"]


def test_kernel_sources_run_as_plain_python():
    """The kernels are plain Python until numba compiles them: a reader can step through them,
    and they compute what the compiled ones do (checked here on a tiny input)."""
    from deltaw.nn._kernels import conv_numba, dense_numba, pool_numba

    rng = np.random.default_rng(9)
    x = rng.normal(size=(1, 4, 4, 2))
    out, arg = np.empty((1, 2, 2, 2)), np.empty((1, 2, 2, 2), np.uint8)
    pool_numba.max_pool_forward(x, 2, 2, 2, 2, 0, 0, out, arg)
    np.testing.assert_array_equal(out, x.reshape(1, 2, 2, 2, 2, 2).max(axis=(2, 4)))
    dx = np.empty_like(x)
    pool_numba.max_pool_backward(np.ones_like(out), arg, 2, 2, 2, 2, 0, 0, dx)
    assert dx.sum() == 8 and set(np.unique(dx)) == {0.0, 1.0}
    cols = rng.normal(size=(1, 2, 2, 3, 3, 2))
    buf = np.zeros((1, 4, 4, 2))
    conv_numba.col2im_add(cols, buf, 1, 1, 1, 1)
    np.testing.assert_allclose(buf.sum(), cols.sum())
    g, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    gz, db = np.empty_like(g), np.empty(4)
    dense_numba.dense_act_backward(g, y, dense_numba.ACTIVATION_CODES["relu"], gz, db)
    np.testing.assert_allclose(gz, g * (y > 0))
    np.testing.assert_allclose(db, gz.sum(axis=0))
    sums = np.empty(4)
    dense_numba.column_sums(gz, sums)
    np.testing.assert_array_equal(sums, db)      # the same float64 accumulation, bit for bit
    z = rng.normal(size=(3, 4)) * 30
    sig = z.copy()
    dense_numba.bias_sigmoid_forward(sig, np.zeros(4))
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-z)), rtol=1e-12)
