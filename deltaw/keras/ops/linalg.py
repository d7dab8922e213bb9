"""keras.ops.linalg: matrix functions over deltaw's ops.

Differentiable: cholesky, cholesky_inverse, det, inv, norm (every ord), solve, solve_triangular,
the eigenvalues of eigh and the singular values of svd, pinv and lstsq of full-rank matrices, and
jvp (computed with reverse mode, one backward pass per output element).

Forward only (their results carry no gradient): the eigenvectors of eigh and the singular
vectors of svd (their derivatives blow up as eigenvalues or singular values approach each other,
and deltaw does not provide them), eig (complex results), lu_factor, matrix_rank and qr, and
pinv / lstsq of rank-deficient matrices.
"""

from __future__ import annotations

import numpy as np

import deltaw as dw
from deltaw.keras.ops.numpy import _const, _float_promote, _ints, _to_float

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]


def cholesky(x, upper=False):
    """The Cholesky factor of a symmetric positive-definite x: lower L with L L^T = x, or the
    upper factor L^T when `upper`. Differentiable."""
    return dw.ops.cholesky(_to_float(x), upper=upper)


def cholesky_inverse(x, upper=False):
    """inv(A) from A's Cholesky factor x (lower, or upper when `upper`). Differentiable."""
    factor = _to_float(x)
    low = dw.swapaxes(factor, -1, -2) if upper else factor
    return dw.ops.inv(dw.matmul(low, dw.swapaxes(low, -1, -2)))


def det(x):
    """Determinant of the last two axes. Differentiable (for invertible x)."""
    return dw.ops.det(_to_float(x))


def inv(x):
    """Matrix inverse of the last two axes. Differentiable."""
    return dw.ops.inv(_to_float(x))


def solve(a, b):
    """The x with a @ x = b. Differentiable in a and b."""
    return dw.ops.solve(*_float_promote(a, b))


def solve_triangular(a, b, lower=False):
    """The x with a @ x = b for triangular a (its lower or upper triangle). Differentiable."""
    return dw.ops.solve_triangular(*_float_promote(a, b), lower=lower)


def eig(x):
    """(eigenvalues, eigenvectors) of a square x, complex64/complex128 as np.linalg.eig.
    Forward only."""
    x = _to_float(x)
    w, v = np.linalg.eig(x.data)
    complex_dtype = np.result_type(x.dtype, np.complex64)
    return _const(w.astype(complex_dtype)), _const(v.astype(complex_dtype))


def eigh(x):
    """(eigenvalues ascending, eigenvectors) of a symmetric x. The eigenvalues are
    differentiable; the eigenvectors are forward only."""
    x = _to_float(x)
    return dw.ops.eigvalsh(x), _const(np.linalg.eigh(x.data)[1])


def qr(x, mode="reduced"):
    """(q, r) of the QR decomposition ('reduced' or 'complete'). Forward only."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; got {mode!r}.")
    x = _to_float(x)
    q, r = np.linalg.qr(x.data, mode=mode)
    return _const(q), _const(r)


def svd(x, full_matrices=True, compute_uv=True):
    """(u, s, vh) of the singular value decomposition, or s alone. The singular values s are
    differentiable; u and vh are forward only."""
    x = _to_float(x)
    if not compute_uv:
        return dw.ops.svdvals(x)
    u, _, vh = np.linalg.svd(x.data, full_matrices=full_matrices)
    return _const(u), dw.ops.svdvals(x), _const(vh)


def _full_rank(x) -> bool:
    m, n = x.shape[-2:]
    return bool(np.all(np.linalg.matrix_rank(x.data) == min(m, n)))


def _pinv_full_rank(x):
    """The pseudo-inverse of a full-rank x from the normal equations, so it is differentiable:
    (x^T x)^-1 x^T for a tall x, x^T (x x^T)^-1 for a wide one."""
    xt = dw.swapaxes(x, -1, -2)
    if x.shape[-2] >= x.shape[-1]:
        return dw.ops.solve(dw.matmul(xt, x), xt)
    return dw.swapaxes(dw.ops.solve(dw.matmul(x, xt), x), -1, -2)


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse. Differentiable when x has full rank; a rank-deficient
    x gets NumPy's SVD-based result (cutting singular values below rcond * the largest), forward
    only."""
    x = _to_float(x)
    if x.ndim >= 2 and _full_rank(x):
        return _pinv_full_rank(x)
    rcond = 1e-15 if rcond is None else rcond
    return _const(np.linalg.pinv(x.data, rcond=rcond).astype(x.dtype))


def lstsq(a, b, rcond=None):
    """The least-squares solution x of a @ x = b. Differentiable in a and b when a has full
    rank; forward only otherwise."""
    a, b = _float_promote(a, b)
    if a.ndim == 2 and a.shape[0] >= a.shape[1] and _full_rank(a):
        return dw.matmul(_pinv_full_rank(a), b)
    return _const(np.linalg.lstsq(a.data, b.data, rcond=rcond)[0].astype(a.dtype))


def matrix_rank(x, tol=None):
    """The rank of x from its singular values, int32."""
    return _ints(np.linalg.matrix_rank(_to_float(x).data, tol=tol))


def lu_factor(x):
    """(lu, pivots) of the partially pivoted LU decomposition of a square x, as
    scipy.linalg.lu_factor: L (unit diagonal, below) and U packed in one matrix; pivots (int32,
    0-based) give the row swapped with row i at step i. Forward only."""
    x = _to_float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"lu_factor: x must be a (batch of) square matrices; expected shape "
                         f"(..., n, n), got {x.shape}.")
    lu = x.data.copy()
    flat = lu.reshape(-1, *x.shape[-2:])
    n = x.shape[-1]
    pivots = np.zeros((flat.shape[0], n), dtype=np.int32)
    for m, piv in zip(flat, pivots, strict=True):
        for k in range(n):
            p = k + int(np.argmax(np.abs(m[k:, k])))
            piv[k] = p
            if p != k:
                m[[k, p]] = m[[p, k]]
            if m[k, k] != 0:
                m[k + 1:, k] /= m[k, k]
                m[k + 1:, k + 1:] -= np.outer(m[k + 1:, k], m[k, k + 1:])
    return _const(flat.reshape(x.shape)), _const(pivots.reshape(*x.shape[:-2], n))


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002 - NumPy's name
    a = dw.abs(x)
    if ord is None or ord == 2:
        return dw.sqrt(dw.sum(x * x, axis, keepdims))
    if ord == np.inf:
        return dw.max(a, axis, keepdims)
    if ord == -np.inf:
        return dw.min(a, axis, keepdims)
    if ord == 0:
        return _const(np.sum(x.data != 0, axis=axis, keepdims=keepdims).astype(x.dtype))
    if ord == 1:
        return dw.sum(a, axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord {ord!r} is a matrix norm; expected a number for a vector "
                         f"norm (one axis).")
    p = x.dtype.type(ord)
    return dw.power(dw.sum(dw.power(a, p), axis, keepdims), x.dtype.type(1.0) / p)


def _matrix_norm(x, ord, axes, keepdims):  # noqa: A002 - NumPy's name
    r, c = axes
    if ord is None or ord == "fro":
        return dw.sqrt(dw.sum(x * x, axes, keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        summed, other = (r, c) if ord in (1, -1) else (c, r)
        col = dw.sum(dw.abs(x), summed, keepdims=True)
        out = dw.max(col, other, keepdims=True) if ord > 0 else dw.min(col, other, keepdims=True)
        return out if keepdims else dw.squeeze(out, tuple(sorted(axes)))
    if ord in (2, -2, "nuc"):  # from the singular values
        s = dw.ops.svdvals(dw.moveaxis(x, axes, (-2, -1)))
        out = dw.max(s, -1) if ord == 2 else dw.min(s, -1) if ord == -2 else dw.sum(s, -1)
        return dw.expand_dims(out, tuple(sorted(axes))) if keepdims else out
    raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm; expected None, 'fro', 'nuc', "
                     f"1, -1, 2, -2, inf or -inf.")


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    """Vector or matrix norm, as np.linalg.norm: with axis=None a 1-D or 2-D x gets its vector or
    matrix norm (ord=None: 2-norm of the flattened x for any ndim). Differentiable except the
    spectral and nuclear norms."""
    x = _to_float(x)
    if axis is None:
        if ord is None:
            out = dw.sqrt(dw.sum(x * x))
            return dw.reshape(out, (1,) * x.ndim) if keepdims else out
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % x.ndim for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must name 1 or 2 axes; got {axis!r}.")


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), J @ tangents): the Jacobian-vector product.

    deltaw's engine is reverse mode, so J @ t is built from one backward pass per output element:
    fine for the small outputs jvp is used on, slow for large ones. `fun` returns one tensor (and
    an auxiliary value when `has_aux`).
    """
    inputs = [dw.tensor(_to_float(p).data, requires_grad=True) for p in primals]
    tangent = [_to_float(t).data for t in tangents]
    if len(inputs) != len(tangent):
        raise ValueError(f"jvp: expected one tangent per primal; got {len(inputs)} primals and "
                         f"{len(tangent)} tangents.")
    result = fun(*inputs)
    out, aux = result if has_aux else (result, None)
    flat = dw.reshape(out, (-1,))
    values = np.zeros(flat.shape, dtype=out.dtype)
    for i in range(flat.shape[0]):
        grads = dw.grad(flat[i], inputs, retain_graph=True)
        values[i] = sum(float((g.data * t).sum()) for g, t in zip(grads, tangent, strict=True)
                        if g is not None)
    primal_out = out.detach()
    tangent_out = _const(values.reshape(out.shape))
    return (primal_out, tangent_out, aux) if has_aux else (primal_out, tangent_out)
