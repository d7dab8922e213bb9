"""deltaw.keras.ops.linalg without Keras: values against NumPy, gradients, decompositions that
reconstruct their input, and errors."""

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras.ops as ops

rng = np.random.default_rng(11)
SQ = rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
SPD = SQ @ SQ.T
A = rng.uniform(-1, 1, (3, 4))


@pytest.mark.parametrize("name, args, kwargs, ref", [
    ("inv", (SQ,), {}, np.linalg.inv),
    ("det", (SQ,), {}, np.linalg.det),
    ("solve", (SQ, A), {}, np.linalg.solve),
    ("solve_triangular", (SQ, A), {"lower": True},
     lambda a, b, lower: np.linalg.solve(np.tril(a), b)),
    ("cholesky", (SPD,), {}, np.linalg.cholesky),
    ("cholesky", (SPD,), {"upper": True}, lambda x, upper: np.linalg.cholesky(x).T),
    ("cholesky_inverse", (np.linalg.cholesky(SPD),), {}, lambda x: np.linalg.inv(x @ x.T)),
    ("cholesky_inverse", (np.linalg.cholesky(SPD).T,), {"upper": True},
     lambda x, upper: np.linalg.inv(x.T @ x)),
    ("pinv", (A,), {}, np.linalg.pinv),
    ("lstsq", (A.T, A[0]), {}, lambda a, b: np.linalg.lstsq(a, b)[0]),
    ("matrix_rank", (A,), {}, np.linalg.matrix_rank),
    ("norm", (A,), {}, np.linalg.norm),
    ("norm", (A,), {"ord": "nuc"}, lambda x, ord: np.linalg.norm(x, ord)),
    ("norm", (A,), {"ord": -2}, lambda x, ord: np.linalg.norm(x, ord)),
    ("norm", (A,), {"ord": np.inf, "keepdims": True},
     lambda x, ord, keepdims: np.linalg.norm(x, ord, keepdims=keepdims)),
    ("norm", (A,), {"ord": 0, "axis": 1}, lambda x, ord, axis: np.linalg.norm(x, ord, axis)),
    ("norm", (A,), {"ord": 0.5, "axis": 0}, lambda x, ord, axis: np.linalg.norm(x, ord, axis)),
    ("norm", (np.ones((2, 3, 4)),), {"axis": (0, 2), "ord": 1},
     lambda x, axis, ord: np.linalg.norm(x, ord, axis)),
])
def test_values_match_numpy(name, args, kwargs, ref):
    got = getattr(ops, name)(*args, **kwargs)
    np.testing.assert_allclose(got.numpy(), ref(*args, **kwargs), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name, fn, inputs", [
    ("inv", ops.inv, [SQ]),
    ("det", ops.det, [SQ]),
    ("solve", ops.solve, [SQ, A]),
    ("solve_triangular", lambda a, b: ops.solve_triangular(a, b, lower=False), [SQ, A]),
    ("cholesky", lambda x: ops.cholesky((x + ops.transpose(x)) * 0.5), [SPD]),
    ("cholesky_inverse", ops.cholesky_inverse, [np.linalg.cholesky(SPD)]),
    ("norm-fro", ops.norm, [A]),
    ("norm-3", lambda x: ops.norm(x, 3, axis=1), [A]),
    ("norm-matrix-1", lambda x: ops.norm(x, 1), [A]),
    ("norm-matrix-inf", lambda x: ops.norm(x, -np.inf, keepdims=True), [A]),
    ("norm-nuc", lambda x: ops.norm(x, "nuc"), [A]),
    ("pinv-wide", ops.pinv, [A]),
    ("pinv-tall", ops.pinv, [A.T]),
    ("lstsq", ops.lstsq, [A.T, A[:2].T]),
    ("norm-spectral", lambda x: ops.norm(x, 2, keepdims=True), [A]),
    ("svd-values", lambda x: ops.svd(x)[1], [A]),
    ("eigh-values", lambda x: ops.eigh((x + ops.transpose(x)) * 0.5)[0], [SPD]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_gradcheck(name, fn, inputs):
    assert dw.gradcheck(fn, [dw.tensor(x, requires_grad=True) for x in inputs])


def test_pinv_and_lstsq_of_a_rank_deficient_matrix_match_numpy():
    low_rank = np.outer(np.arange(1.0, 4.0), np.arange(1.0, 5.0))
    np.testing.assert_allclose(ops.pinv(low_rank).numpy(), np.linalg.pinv(low_rank), atol=1e-12)
    b = np.arange(4.0)
    np.testing.assert_allclose(ops.lstsq(low_rank.T, b).numpy(),
                               np.linalg.lstsq(low_rank.T, b)[0], atol=1e-12)


def test_decompositions_reconstruct_their_input():
    q, r = ops.qr(A.T)
    np.testing.assert_allclose((q @ r).numpy(), A.T, atol=1e-12)
    q, r = ops.qr(A.T, mode="complete")
    assert q.shape == (4, 4)
    u, s, vh = ops.svd(A, full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ vh.numpy(), A, atol=1e-12)
    w, v = ops.eigh(SPD)
    np.testing.assert_allclose(v.numpy() @ np.diag(w.numpy()) @ v.numpy().T, SPD, atol=1e-10)
    w, v = ops.eig(SQ)
    assert w.dtype == np.complex128
    np.testing.assert_allclose(SQ @ v.numpy(), v.numpy() * w.numpy(), atol=1e-10)


def test_lu_factor_packs_l_and_u_with_zero_based_pivots():
    lu, piv = ops.lu_factor(SQ.astype(np.float32))
    assert piv.dtype == np.int32
    lu = lu.numpy().astype(np.float64)
    low, up = np.tril(lu, -1) + np.eye(3), np.triu(lu)
    permuted = SQ.copy()
    for i, p in enumerate(piv.numpy()):
        permuted[[i, p]] = permuted[[p, i]]
    np.testing.assert_allclose(low @ up, permuted, rtol=1e-5, atol=1e-5)


def test_jvp_matches_the_jacobian():
    x, t = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    out, tangent = ops.jvp(lambda v: ops.sin(v) * v[0], (x,), (t,))
    jac = np.diag(np.cos(x) * x[0])
    jac[:, 0] += np.sin(x)
    np.testing.assert_allclose(out.numpy(), np.sin(x) * x[0])
    np.testing.assert_allclose(tangent.numpy(), jac @ t, rtol=1e-12)
    out, tangent, aux = ops.jvp(lambda v: (v * 2.0, "aux"), (x,), (t,), has_aux=True)
    assert aux == "aux"
    np.testing.assert_allclose(tangent.numpy(), 2 * t)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: ops.inv(np.ones((2, 3))), ValueError, r"^inv: x must be a \(batch of\) square"),
    (lambda: ops.inv(np.ones((2, 2))), ValueError, r"^inv: the matrix is singular"),
    (lambda: ops.solve(np.eye(2), np.ones(3)), ValueError, r"^solve: b's rows must match"),
    (lambda: ops.cholesky(-np.eye(2)), ValueError, r"^cholesky: the matrix is not positive"),
    (lambda: ops.qr(A, mode="r"), ValueError, r"^qr: mode must be 'reduced' or 'complete'"),
    (lambda: ops.lu_factor(A), ValueError, r"^lu_factor: x must be a \(batch of\) square"),
    (lambda: ops.norm(A, "fro", axis=1), ValueError, r"^norm: ord 'fro' is a matrix norm"),
    (lambda: ops.norm(A, 3), ValueError, r"^norm: invalid ord 3 for a matrix norm"),
    (lambda: ops.norm(np.ones((2, 2, 2)), 1, axis=(0, 1, 2)), ValueError,
     r"^norm: axis must name 1 or 2 axes"),
    (lambda: ops.jvp(lambda v: v, (A,), ()), ValueError, r"^jvp: expected one tangent per"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
