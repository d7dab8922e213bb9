"""Matrix functions with hand-written gradients: inv, det, slogdet, solve, solve_triangular,
cholesky, and the eigenvalues / singular values (eigvalsh, svdvals).

Each works on the last two axes and broadcasts over leading (batch) axes, as np.linalg does.
The rules follow the standard matrix-calculus results (Giles, "An extended collection of matrix
derivative results for forward and reverse mode AD", 2008).
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive


def _mT(a):  # noqa: N802 - the usual name of the matrix transpose
    return a.swapaxes(-1, -2)


def _check_square(where, x, what="x"):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{where}: {what} must be a (batch of) square matrices; expected shape "
                         f"(..., n, n), got {x.shape}.")


def _singular(where, shape):
    return ValueError(f"{where}: the matrix is singular; expected an invertible matrix of shape "
                      f"{shape}.")


@primitive("inv")
def inv(xp, x):
    """Matrix inverse of the last two axes, as np.linalg.inv.

    Raises:
        ValueError: x is not square, or is singular.

    Example:
        >>> dw.ops.inv(dw.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5 , 0.  ],
                [0.  , 0.25]])
    """
    _check_square("inv", x)
    try:
        out = xp.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise _singular("inv", x.shape) from None
    return out, (out,)


@inv.backward
def _inv_backward(xp, g, saved, needs):
    (out,) = saved
    # d X^-1 = -X^-1 dX X^-1, so dL/dX = -X^-T g X^-T
    out_t = _mT(out)
    return (-(out_t @ g @ out_t),)


@primitive("det")
def det(xp, x):
    """Determinant of the last two axes, as np.linalg.det.

    Gradient: det(x) * inv(x)^T, so the gradient needs an invertible x.

    Example:
        >>> round(dw.ops.det(dw.tensor([[2.0, 1.0], [1.0, 3.0]])).item(), 4)
        5.0
    """
    _check_square("det", x)
    out = xp.linalg.det(x)
    return out, (x, out)


@det.backward
def _det_backward(xp, g, saved, needs):
    x, out = saved
    # d det X / dX = det(X) X^-T
    return ((g * out)[..., None, None] * _mT(xp.linalg.inv(x)),)


@primitive("slogdet_logabs")
def slogdet_logabs(xp, x):
    """log |det x| of the last two axes: the second output of np.linalg.slogdet, computed without
    forming det (which over- or underflows for large matrices).

    Example:
        >>> round(dw.ops.slogdet_logabs(dw.tensor([[2.0, 0.0], [0.0, 3.0]])).item(), 4)
        1.7918
    """
    _check_square("slogdet", x)
    return xp.linalg.slogdet(x)[1], (x,)


@slogdet_logabs.backward
def _slogdet_logabs_backward(xp, g, saved, needs):
    (x,) = saved
    # d log|det X| / dX = X^-T
    return (g[..., None, None] * _mT(xp.linalg.inv(x)),)


def _as_matrix_rhs(a, b):
    """np.linalg.solve treats a b of one axis fewer than a as vectors; give it a column axis."""
    vector = b.ndim == a.ndim - 1
    return (b[..., None] if vector else b), vector


@primitive("solve")
def solve(xp, a, b):
    """The x with a @ x = b, as np.linalg.solve (b may be a vector or a batch of matrices).

    Raises:
        ValueError: a is not square, is singular, or b's rows do not match a's.

    Example:
        >>> dw.ops.solve(dw.tensor([[2.0, 0.0], [0.0, 4.0]]), dw.tensor([2.0, 2.0]))
        tensor([1. , 0.5])
    """
    _check_square("solve", a, "a")
    bm, vector = _as_matrix_rhs(a, b)
    if bm.ndim < 2 or bm.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve: b's rows must match a's size {a.shape[-1]}; got a of shape "
                         f"{a.shape} and b of shape {b.shape}.")
    try:
        x = xp.linalg.solve(a, bm)
    except np.linalg.LinAlgError:
        raise _singular("solve", a.shape) from None
    out = x[..., 0] if vector else x
    return out, (a, x, vector, out)


@solve.backward
def _solve_backward(xp, g, saved, needs):
    a, x, vector, out = saved
    if xp is not np:  # create_graph: x from the output Tensor (not its column view)
        x = out[..., None] if vector else out
    # x = A^-1 b: dL/db = A^-T g, dL/dA = -(dL/db) x^T
    gm = g[..., None] if vector else g
    gb = xp.linalg.solve(_mT(a), gm)
    ga = -(gb @ _mT(x)) if needs[0] else None
    return ga, ((gb[..., 0] if vector else gb) if needs[1] else None)


@primitive("solve_triangular", nin=2)
def solve_triangular(xp, a, b, lower=False):
    """The x with a @ x = b for a triangular a (only its `lower` or upper triangle is read).

    Example:
        >>> dw.ops.solve_triangular(dw.tensor([[2.0, 0.0], [1.0, 1.0]]), dw.tensor([2.0, 2.0]),
        ...                         lower=True)
        tensor([1., 1.])
    """
    _check_square("solve_triangular", a, "a")
    tri = xp.tril(a) if lower else xp.triu(a)
    bm, vector = _as_matrix_rhs(a, b)
    try:
        x = xp.linalg.solve(tri, bm)  # NumPy has no triangular solver; a general one is exact
    except np.linalg.LinAlgError:
        raise _singular("solve_triangular", a.shape) from None
    out = x[..., 0] if vector else x
    return out, (tri, x, vector, lower, a, out)


@solve_triangular.backward
def _solve_triangular_backward(xp, g, saved, needs):
    tri, x, vector, lower, a, out = saved
    if xp is not np:  # create_graph: the triangle and x rebuilt from the input and output
        tri = xp.tril(a) if lower else xp.triu(a)
        x = out[..., None] if vector else out
    # as solve, with dL/dA kept to the triangle that was read
    gm = g[..., None] if vector else g
    gb = xp.linalg.solve(_mT(tri), gm)
    ga = None
    if needs[0]:
        full = -(gb @ _mT(x))
        ga = xp.tril(full) if lower else xp.triu(full)
    return ga, ((gb[..., 0] if vector else gb) if needs[1] else None)


@primitive("cholesky", nin=1)
def cholesky(xp, x, upper=False):
    """Cholesky factor of a symmetric positive-definite matrix: lower L with L L^T = x (or the
    upper factor U = L^T when `upper`). Only the lower triangle of x is read, as np.linalg.

    Gradient: symmetric in x (the rule of Murray 2016, "Differentiation of the Cholesky
    decomposition"), split equally between x[i, j] and x[j, i].

    Example:
        >>> dw.ops.cholesky(dw.tensor([[4.0, 2.0], [2.0, 2.0]]))
        tensor([[2., 0.],
                [1., 1.]])
    """
    _check_square("cholesky", x)
    try:
        low = xp.linalg.cholesky(x)
    except np.linalg.LinAlgError:
        raise ValueError(f"cholesky: the matrix is not positive definite; expected a symmetric "
                         f"positive-definite matrix of shape {x.shape}.") from None
    out = _mT(low) if upper else low
    return out, (low, upper, out)


@cholesky.backward
def _cholesky_backward(xp, g, saved, needs):
    low, upper, out = saved
    if xp is not np:  # create_graph: the factor from the output Tensor
        low = _mT(out) if upper else out
    gl = _mT(g) if upper else g
    # Phi(L^T gL) with Phi = lower triangle and half diagonal; dA = L^-T Phi L^-1, symmetrized
    phi = xp.tril(_mT(low) @ gl)
    phi = phi - 0.5 * xp.eye(low.shape[-1]) * phi
    inv_low = xp.linalg.inv(low)
    s = _mT(inv_low) @ phi @ inv_low
    return (0.5 * (s + _mT(s)),)


@primitive("eigvalsh", nin=1)
def eigvalsh(xp, x):
    """Eigenvalues (ascending) of a symmetric matrix, as np.linalg.eigvalsh; only the lower
    triangle is read.

    Gradient: V diag(g) V^T (V the eigenvectors), symmetrized; exact for distinct eigenvalues
    and still well defined for repeated ones (the eigenvalues are, their vectors are not).

    Example:
        >>> dw.ops.eigvalsh(dw.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([1., 2.])
    """
    _check_square("eigvalsh", x)
    w, v = xp.linalg.eigh(x)
    return w, (v, x)


@eigvalsh.backward
def _eigvalsh_backward(xp, g, saved, needs):
    v, x = saved
    if xp is not np:  # create_graph: the eigenvectors as an op of x, so they are differentiated
        v = eigh_vectors(x)
    # d w_i = v_i^T dX v_i, so dL/dX = V diag(g) V^T
    grad = (v * g[..., None, :]) @ _mT(v)
    return (0.5 * (grad + _mT(grad)),)


@primitive("eigh_vectors", nin=1)
def eigh_vectors(xp, x):
    """Eigenvectors (the columns, in ascending order of their eigenvalues) of a symmetric matrix:
    the second result of np.linalg.eigh; only the lower triangle is read. Each column's sign is
    NumPy's (eigenvectors are defined up to sign).

    Gradient: V (F * (V^T g)) V^T, symmetrized, with F_ij = 1 / (w_j - w_i) off the diagonal and 0
    on it: defined for distinct eigenvalues (the eigenvectors of a repeated one are not unique).
    What makes eigvalsh twice differentiable; differentiable to any order itself.

    Example:
        >>> dw.ops.eigh_vectors(dw.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([[0., 1.],
                [1., 0.]])
    """
    _check_square("eigh_vectors", x)
    w, v = xp.linalg.eigh(x)
    return v, (x, w, v)


@eigh_vectors.backward
def _eigh_vectors_backward(xp, g, saved, needs):
    x, w, v = saved
    if xp is not np:  # create_graph: the eigenvalues as an op of x (v is the output already)
        w = eigvalsh(x)
    # dV = V (F * (V^T dX V)), so dL/dX = V (F * (V^T g)) V^T
    off = ~np.eye(w.shape[-1], dtype=bool)
    diff = w[..., None, :] - w[..., :, None]                    # w_j - w_i
    f = xp.where(off, 1 / xp.where(off, diff, 1), 0)
    grad = v @ (f * (_mT(v) @ g)) @ _mT(v)
    return (0.5 * (grad + _mT(grad)),)


@primitive("svdvals")
def svdvals(xp, x):
    """Singular values (descending) of the last two axes, as np.linalg.svd(compute_uv=False).

    Gradient: U diag(g) V^T over the min(m, n) singular pairs; exact for distinct non-zero
    singular values.

    Example:
        >>> dw.ops.svdvals(dw.tensor([[3.0, 0.0], [0.0, -4.0]]))
        tensor([4., 3.])
    """
    if x.ndim < 2:
        raise ValueError(f"svdvals: x must have at least 2 axes; expected shape (..., m, n), "
                         f"got {x.shape}.")
    u, s, vh = xp.linalg.svd(x, full_matrices=False)
    return s, (u, vh, x, s)


@svdvals.backward
def _svdvals_backward(xp, g, saved, needs):
    u, vh, x, s = saved
    if xp is not np:  # create_graph: U diag(g) V^T from ops of x (distinct, nonzero s)
        return (_svdvals_grad_graph(g, x, s),)
    # d s_i = u_i^T dX v_i, so dL/dX = U diag(g) V^T
    return ((u * g[..., None, :]) @ vh,)


def _svdvals_grad_graph(g, x, s):
    """U diag(g) V^T written with ops that are differentiable again: the right (left) singular
    vectors are the eigenvectors of x^T x (x x^T), in descending order, and U = x V / s, so the
    product is x V diag(g / s) V^T (or U diag(g / s) U^T x); each vector's sign cancels."""
    scale = g / s
    if x.shape[-2] >= x.shape[-1]:
        v = eigh_vectors(_mT(x) @ x)[..., ::-1]
        return x @ (v * scale[..., None, :]) @ _mT(v)
    u = eigh_vectors(x @ _mT(x))[..., ::-1]
    return (u * scale[..., None, :]) @ _mT(u) @ x
