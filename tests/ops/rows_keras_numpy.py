"""Op-table rows for the primitives added for deltaw.keras.ops: cumprod, the trigonometric family
and the matrix functions (inv, det, slogdet_logabs, solve, solve_triangular, cholesky)."""

from __future__ import annotations

import numpy as np

import deltaw as dw
from tests.ops.op_table import OpSpec
from tests.ops.samples import ErrorCase, Sample, binary_broadcast, fixed, unary, with_kwargs

rng0 = np.random.default_rng(4321)


def _well_conditioned(*batch, n=3):
    """Random matrices with a dominant diagonal: invertible, away from singularity."""
    return rng0.uniform(-1, 1, (*batch, n, n)) + 3 * np.eye(n)


def _spd(*batch, n=3):
    a = rng0.uniform(-1, 1, (*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _tri(a, lower):
    return np.tril(a) if lower else np.triu(a)


def _solve_ref(a, b):
    return np.linalg.solve(a, b[..., None])[..., 0] if b.ndim == a.ndim - 1 else \
        np.linalg.solve(a, b)


def _cholesky_sym(x, upper=False):
    """cholesky of the symmetric part, so finite differences stay on symmetric matrices."""
    return dw.ops.cholesky((x + dw.swapaxes(x, -1, -2)) * 0.5, upper=upper)


def _cholesky_sym_ref(x, upper=False):
    low = np.linalg.cholesky((x + np.swapaxes(x, -1, -2)) * 0.5)
    return np.swapaxes(low, -1, -2) if upper else low


TRIG = [
    OpSpec("tan", dw.ops.tan, np.tan, unary(-1.2, 1.2)),
    OpSpec("arcsin", dw.ops.arcsin, np.arcsin, unary(-0.9, 0.9)),
    OpSpec("arccos", dw.ops.arccos, np.arccos, unary(-0.9, 0.9)),
    OpSpec("arctan", dw.ops.arctan, np.arctan, unary(-3.0, 3.0)),
    OpSpec("arctan2", dw.ops.arctan2, np.arctan2, binary_broadcast(0.2, 2.0, -2.0, 2.0),
           grad_args=(0, 1)),
    OpSpec("sinh", dw.ops.sinh, np.sinh, unary()),
    OpSpec("cosh", dw.ops.cosh, np.cosh, unary()),
    OpSpec("arcsinh", dw.ops.arcsinh, np.arcsinh, unary(-3.0, 3.0)),
    OpSpec("arccosh", dw.ops.arccosh, np.arccosh, unary(1.1, 3.0)),
    OpSpec("arctanh", dw.ops.arctanh, np.arctanh, unary(-0.9, 0.9)),
]

CUMULATIVE = [
    OpSpec("cumprod", dw.ops.cumprod, np.cumprod, with_kwargs(
        unary(shapes=[(), (1,), (4,), (2, 3), (2, 1, 3)]), {"axis": None}, {"axis": 0},
        {"axis": -1}), errors=(ErrorCase((np.ones((2, 3)),), dw.AxisError,
                                         r"cumprod: axis 2 is out of range", {"axis": 2}),)),
    OpSpec("cumprod", dw.ops.cumprod, np.cumprod,
           fixed(Sample((np.array([1.5, 0.0, 2.0, -1.0]),), {"axis": 0}, "with-zero")),
           variant="zero"),
]

MATRIX = [
    OpSpec("inv", dw.ops.inv, np.linalg.inv,
           fixed(Sample((_well_conditioned(),), name="3x3"),
                 Sample((_well_conditioned(2),), name="batch")),
           errors=(ErrorCase((np.ones((2, 3)),), ValueError, r"^inv: x must be a \(batch of\) "
                             r"square matrices; expected shape \(\.\.\., n, n\), got \(2, 3\)\."),
                   ErrorCase((np.ones((2, 2)),), ValueError, r"^inv: the matrix is singular"))),
    OpSpec("det", dw.ops.det, np.linalg.det,
           fixed(Sample((_well_conditioned(),), name="3x3"),
                 Sample((_well_conditioned(2, n=2),), name="batch"))),
    OpSpec("slogdet_logabs", dw.ops.slogdet_logabs, lambda x: np.linalg.slogdet(x)[1],
           fixed(Sample((_well_conditioned(),), name="3x3"),
                 Sample((-_well_conditioned(2),), name="batch-negative"))),
    OpSpec("solve", dw.ops.solve, _solve_ref,
           fixed(Sample((_well_conditioned(), rng0.uniform(-1, 1, (3,))), name="vector"),
                 Sample((_well_conditioned(), rng0.uniform(-1, 1, (3, 2))), name="matrix"),
                 Sample((_well_conditioned(2), rng0.uniform(-1, 1, (2, 3, 2))), name="batch")),
           grad_args=(0, 1),
           errors=(ErrorCase((np.eye(3), np.ones(4)), ValueError, r"^solve: b's rows must match"),
                   ErrorCase((np.zeros((2, 2)), np.ones(2)), ValueError,
                             r"^solve: the matrix is singular"))),
    OpSpec("solve_triangular", dw.ops.solve_triangular,
           lambda a, b, lower=False: _solve_ref(_tri(a, lower), b),
           with_kwargs(fixed(Sample((_well_conditioned(), rng0.uniform(-1, 1, (3, 2))), name="m"),
                             Sample((_well_conditioned(), rng0.uniform(-1, 1, (3,))), name="v")),
                       {"lower": True}, {"lower": False}),
           grad_args=(0, 1)),
    OpSpec("cholesky", _cholesky_sym, _cholesky_sym_ref,
           with_kwargs(fixed(Sample((_spd(),), name="3x3"), Sample((_spd(2, n=2),), name="batch")),
                       {"upper": False}, {"upper": True}),
           errors=(ErrorCase((-np.eye(2),), ValueError, r"^cholesky: the matrix is not positive "
                             r"definite"),)),
]

ROWS = [*TRIG, *CUMULATIVE, *MATRIX]


def _scatter_add_ref(values, indices, shape):
    out = np.zeros(shape, values.dtype)
    np.add.at(out, tuple(np.asarray(indices)[..., i] for i in range(np.shape(indices)[-1])), values)
    return out


SCATTER = [
    OpSpec("scatter_add", dw.ops.scatter_add, _scatter_add_ref, fixed(
        Sample((rng0.uniform(-1, 1, (3,)), np.array([[0], [2], [0]]), (4,)), name="repeated"),
        Sample((rng0.uniform(-1, 1, (2,)), np.array([[0, 1], [1, 2]]), (2, 3)), name="points"),
        Sample((rng0.uniform(-1, 1, (2, 3)), np.array([[1], [0]]), (2, 3)), name="rows")),
        errors=(ErrorCase((np.ones(2), np.array([[0], [5]]), (4,)), IndexError,
                          r"^scatter_add: an index on axis 0 is out of range"),
                ErrorCase((np.ones(3), np.array([[0], [1]]), (4,)), ValueError,
                          r"^scatter_add: values must have shape \(2,\)"))),
]

ROWS = [*ROWS, *SCATTER]


@dw.ops.custom_gradient
def _log1pexp(x):
    """A custom rule that is the true derivative: gradcheck proves the rule is used correctly."""
    e = dw.exp(x)
    return dw.log(1 + e), lambda g: g * (1 - 1 / (1 + e))


@dw.ops.custom_gradient
def _weighted_product(x, y):
    return x * y, lambda g: (g * y, g * x)


CUSTOM = [
    OpSpec("custom_gradient", _log1pexp, lambda x: np.log1p(np.exp(x)), unary()),
    OpSpec("custom_gradient", _weighted_product, np.multiply, binary_broadcast(),
           variant="two-inputs", grad_args=(0, 1)),
]

ROWS = [*ROWS, *CUSTOM]


def _eigvalsh_sym(x):
    """eigvalsh of the symmetric part, so finite differences stay on symmetric matrices."""
    return dw.ops.eigvalsh((x + dw.swapaxes(x, -1, -2)) * 0.5)


def _eigh_vectors_squared(x):
    """Squared eigenvectors of the symmetric part: invariant to each vector's sign."""
    return dw.ops.eigh_vectors((x + dw.swapaxes(x, -1, -2)) * 0.5) ** 2


SPECTRAL = [
    OpSpec("eigvalsh", _eigvalsh_sym,
           lambda x: np.linalg.eigvalsh((x + np.swapaxes(x, -1, -2)) * 0.5),
           fixed(Sample((_spd(),), name="3x3"), Sample((np.diag([1.0, 2.0, 4.0]) + 0.1,),
                                                        name="near-diagonal"),
                 Sample((_spd(2, n=2),), name="batch"))),
    OpSpec("eigvalsh", dw.ops.eigvalsh, np.linalg.eigvalsh, fixed(Sample((_spd(),), name="spd")),
           variant="direct", grad_args=(),
           errors=(ErrorCase((np.ones((2, 3)),), ValueError, r"^eigvalsh: x must be a"),)),
    OpSpec("eigh_vectors", _eigh_vectors_squared,
           lambda x: np.linalg.eigh((x + np.swapaxes(x, -1, -2)) * 0.5)[1] ** 2,
           fixed(Sample((_spd(),), name="3x3"), Sample((np.diag([1.0, 2.0, 4.0]) + 0.1,),
                                                        name="near-diagonal"),
                 Sample((_spd(2, n=2),), name="batch"))),
    OpSpec("svdvals", dw.ops.svdvals, lambda x: np.linalg.svd(x, compute_uv=False),
           fixed(Sample((rng0.uniform(-1, 1, (3, 4)),), name="wide"),
                 Sample((rng0.uniform(-1, 1, (4, 2)),), name="tall"),
                 Sample((rng0.uniform(-1, 1, (2, 3, 3)),), name="batch")),
           errors=(ErrorCase((np.ones(3),), ValueError, r"^svdvals: x must have at least 2"),)),
]

ROWS = [*ROWS, *SPECTRAL]
