"""The numba kernels of lstm and embedding against their NumPy paths (the reference).

Both paths run in one process: `deltaw.nn._kernels.set_enabled(False)` routes the ops to NumPy.
The kernels take float32 with Keras' default activations only; float64 (gradcheck) always runs
the NumPy path, which tests/ops gradchecks.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import deltaw.nn  # noqa: F401 - registers the lstm and embedding ops
from deltaw.autograd.op import OPS
from deltaw.nn import _kernels

numba = pytest.importorskip("numba", reason="numba (deltaw's optional 'fast' extra) is not "
                            "installed: only the NumPy paths run")


@pytest.fixture(autouse=True)
def _kernels_on():
    previous = _kernels.set_enabled(True)
    if _kernels.get() is None:                  # e.g. DELTAW_DISABLE_NUMBA=1
        _kernels.set_enabled(previous)
        pytest.skip(f"numba kernels unavailable: {_kernels.status()}")
    yield
    _kernels.set_enabled(previous)


def _both_paths(op, args, kwargs, g, needs):
    """(outputs, *gradients) from the kernel path, then from the NumPy path."""
    results = []
    for enabled in (True, False):
        _kernels.set_enabled(enabled)
        out, saved = OPS[op].forward(np, *args, **kwargs)
        results.append((out, *OPS[op].backward(np, g, saved, needs)))
    return results


def _lstm_case(n, t, f, u, seed=0):
    rng = np.random.default_rng(seed)
    f32 = np.float32
    return (rng.normal(size=(n, t, f)).astype(f32),
            (rng.normal(size=(f, 4 * u)) * 0.5).astype(f32),
            (rng.normal(size=(u, 4 * u)) / np.sqrt(u)).astype(f32),
            rng.normal(size=4 * u).astype(f32),
            rng.normal(size=(n, u)).astype(f32), rng.normal(size=(n, u)).astype(f32),
            rng.normal(size=(n, t + 2, u)).astype(f32),
            rng.random((n, t)) > 0.3)


@pytest.mark.parametrize("n, u", [(5, 8), (19, 5), (64, 32)])   # odd rows/units: remainders
@pytest.mark.parametrize("kwargs", [{}, {"mask": True}, {"mask": True, "go_backwards": True},
                                    {"go_backwards": True}, {"last_only": True},
                                    {"mask": True, "last_only": True}],
                         ids=lambda k: "-".join(k) or "plain")
def test_lstm_kernel_matches_numpy(n, u, kwargs):
    x, w, rk, b, h0, c0, g, mask = _lstm_case(n, 7, 3, u)
    kwargs = {**kwargs, "mask": mask} if "mask" in kwargs else kwargs
    if kwargs.get("last_only"):                 # packed: last output, h, c
        g = np.ascontiguousarray(g[:, -3:])
    (fast, *fast_grads), (ref, *ref_grads) = _both_paths(
        "lstm", (x, w, rk, b, h0, c0), kwargs, g, (True,) * 6)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, ref, rtol=1e-5, atol=2e-6)
    for name, a, r in zip(("x", "kernel", "recurrent_kernel", "bias", "h0", "c0"), fast_grads,
                          ref_grads, strict=True):
        assert a.dtype == np.float32, name
        scale = np.abs(r).max()
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-5 * scale, err_msg=name)


def test_lstm_kernel_runs_for_float32_defaults_only():
    x, w, rk, b, h0, c0, _, _ = _lstm_case(4, 3, 2, 4)
    assert OPS["lstm"].forward(np, x, w, rk, b, h0, c0)[1][-1] is True
    as64 = [a.astype(np.float64) for a in (x, w, rk, b, h0, c0)]
    assert OPS["lstm"].forward(np, *as64)[1][-1] is False                 # float64: NumPy
    saved = OPS["lstm"].forward(np, x, w, rk, b, h0, c0, recurrent_activation="hard_sigmoid")[1]
    assert saved[-1] is False                                              # other activations


def test_lstm_kernel_propagates_nan():
    x, w, rk, b, h0, c0, _, _ = _lstm_case(4, 3, 2, 4)
    x[1, 0, 0] = np.nan
    out = OPS["lstm"].forward(np, x, w, rk, b, h0, c0)[0]
    assert np.isnan(out[1]).all() and np.isfinite(out[[0, 2, 3]]).all()


def test_tanh32_is_float32_accurate():
    from deltaw.nn._kernels import recurrent_numba

    assert recurrent_numba.load() is not None                 # compiles the scalar helper
    z = np.concatenate([np.linspace(-12, 12, 4001), [0.0, 1e-30, -1e-8, 40.0, -40.0]])
    got = np.array([recurrent_numba.tanh32(np.float32(v)) for v in z], np.float64)
    np.testing.assert_allclose(got, np.tanh(z), rtol=1e-6, atol=4e-7)
    assert np.isnan(recurrent_numba.tanh32(np.float32(np.nan)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_scatter_add_matches_numpy(dtype):
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 9, size=(6, 5))                      # many repeated ids
    table = rng.normal(size=(9, 3)).astype(dtype)
    g = rng.normal(size=(6, 5, 3)).astype(dtype)
    (out_fast, _, fast), (out_ref, _, ref) = _both_paths("embedding", (ids, table), {}, g,
                                                         (False, True))
    np.testing.assert_array_equal(out_fast, out_ref)
    np.testing.assert_allclose(fast, ref, rtol=1e-6 if dtype == np.float32 else 1e-12)
    assert fast.dtype == dtype


def test_import_deltaw_does_not_import_numba():
    code = ("import sys, deltaw, deltaw.nn.recurrent, deltaw.nn.embedding; "
            "assert 'numba' not in sys.modules, 'numba imported by import deltaw'")
    subprocess.run([sys.executable, "-c", code], check=True)
