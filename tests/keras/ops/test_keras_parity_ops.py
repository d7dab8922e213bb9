"""deltaw.keras.ops against Keras 3's keras.ops (PyTorch backend): one row per call.

Each row runs `keras.ops.<name>(*args, **kwargs)` and `deltaw.keras.ops.<name>(...)` on the same
inputs and compares the outputs' shapes, dtypes and values (float32 rounding). Rows marked
differentiable also compare the gradient of sum(w * output) with respect to every floating input:
deltaw's engine against torch autograd through keras. Skipped without keras/torch.
"""

import inspect

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
import deltaw.keras.ops as dops
from tests.keras import keras_reference as kr  # selects the torch backend; import before keras

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)
torch = pytest.importorskip("torch")

rng = np.random.default_rng(7)
F32 = np.float32


def _u(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype(F32)


A, B, V, W3 = _u(3, 4), _u(3, 4), _u(4), _u(2, 3, 4)
POS, UNIT = _u(3, 4, low=0.5, high=2.0), _u(3, 4, low=-0.9, high=0.9)
BIG = _u(3, 4, low=1.2, high=3)
DISTINCT = (rng.permutation(12).reshape(3, 4) * 0.37 - 2).astype(F32)
INT = np.array([[3, -1, 4], [1, -5, 9]], dtype=np.int32)
NAT = np.array([0, 2, 2, 5, 1], dtype=np.int32)
BOOL = np.array([[True, False, True], [False, False, True]])
SQ = (_u(3, 3) + 3 * np.eye(3)).astype(F32)
SPD = (SQ @ SQ.T).astype(F32)
VEC3, VEC3B = _u(2, 3), _u(2, 3)
WITH_NAN = np.array([1.0, np.nan, -2.0, np.inf, -np.inf], dtype=F32)


class Row:
    def __init__(self, name, *args, grad=True, id=None, tol=None, post=None,  # noqa: A002
                 **kwargs):
        self.name, self.args, self.kwargs, self.grad, self.post = name, args, kwargs, grad, post
        self.id = id or name
        self.tol = tol or dict(rtol=2e-5, atol=2e-6)


R = Row


def _stacked(outs):
    """nonzero's indices as one (ndim, count) array: Keras' PyTorch backend returns that array,
    NumPy (and deltaw) a tuple of ndim arrays."""
    return np.concatenate([np.atleast_2d(o) for o in outs])

ROWS = [
    # arithmetic and promotion
    R("add", A, B), R("add", A, 2, id="add-int-scalar"), R("add", INT, 1.5, grad=False,
                                                          id="add-int-float-scalar"),
    R("add", INT, A[:2, :3], id="add-int-float"), R("add", BOOL, 1, grad=False, id="add-bool-int"),
    R("subtract", A, V), R("multiply", A, B), R("multiply", BOOL, BOOL, grad=False, id="mul-bool"),
    R("divide", A, POS), R("divide", INT, INT + 10, grad=False, id="divide-int"),
    R("true_divide", A, POS), R("divide_no_nan", A, np.array([0.0, 1.0, 2.0, 0.0], F32)),
    R("floor_divide", INT, np.int32(2), grad=False), R("floor_divide", A, POS, grad=False,
                                                       id="floor_divide-float"),
    R("mod", INT, 4, grad=False), R("mod", A * 5, POS), R("fmod", A * 5, POS),
    R("power", POS, A), R("power", INT, 2, grad=False, id="power-int"),
    R("maximum", A, B), R("minimum", A, B), R("maximum", INT, 1.5, grad=False, id="maximum-int"),
    R("fmax", WITH_NAN, np.ones(5, F32), grad=False), R("fmin", WITH_NAN, np.ones(5, F32),
                                                        grad=False),
    R("negative", A), R("abs", A), R("absolute", INT, grad=False), R("fabs", INT, grad=False),
    R("square", A), R("square", BOOL, grad=False, id="square-bool"), R("sign", A, grad=False),
    R("reciprocal", POS), R("hypot", A, B), R("logaddexp", A, B), R("logaddexp2", A, B),
    R("arctan2", A, B), R("heaviside", A, B, grad=False), R("ldexp", A[:2, :3], INT, grad=False),
    R("nextafter", A, B, grad=False), R("gcd", INT, INT + 2, grad=False),
    R("lcm", INT, INT + 2, grad=False),
    R("add", [1, 2], [3, 4], grad=False, id="add-lists"), R("add", 1, 2.5, grad=False,
                                                             id="add-scalars"),
    R("multiply", 2, INT, grad=False, id="multiply-scalar-first"),
    R("subtract", np.float64(1.5), A, id="subtract-numpy-scalar"),
    R("exp", 1.0, grad=False, id="exp-scalar"), R("mean", [1, 2, 4], grad=False, id="mean-list"),
    R("divide", A.astype(np.float16), 3, grad=False, id="divide-float16"),
    R("add", A.astype(np.float64), A, id="add-float64"),
    # element-wise math
    *(R(n, A) for n in ("exp", "expm1", "sin", "cos", "tan", "tanh", "arctan", "sinh", "cosh",
                        "arcsinh", "exp2", "cbrt", "sinc", "deg2rad", "rad2deg")),
    *(R(n, POS) for n in ("log", "log1p", "sqrt", "log2", "log10")),
    *(R(n, UNIT) for n in ("arcsin", "arccos", "arctanh")), R("arccosh", BIG),
    R("sqrt", INT + 6, grad=False, id="sqrt-int"), R("exp", BOOL, grad=False, id="exp-bool"),
    R("i0", A, grad=False), R("conj", A), R("conjugate", A), R("real", A),
    R("angle", A, grad=False), R("floor", A * 3, grad=False), R("ceil", A * 3, grad=False),
    R("floor", INT, grad=False, id="floor-int"), R("trunc", A * 3, grad=False),
    R("trunc", INT, grad=False, id="trunc-int"), R("round", A * 3, grad=False),
    R("round", A * 3, grad=False, decimals=1, id="round-decimals"),
    R("clip", A, -0.5, 0.5), R("clip", INT, 0, 1.5, grad=False, id="clip-int-float"),
    R("nan_to_num", WITH_NAN, grad=False),
    # comparison and logic
    *(R(n, A, B, grad=False) for n in ("equal", "not_equal", "greater", "greater_equal", "less",
                                        "less_equal")),
    *(R(n, BOOL, ~BOOL, grad=False) for n in ("logical_and", "logical_or", "logical_xor")),
    R("logical_not", BOOL, grad=False),
    *(R(n, INT, INT + 3, grad=False) for n in ("bitwise_and", "bitwise_or", "bitwise_xor")),
    *(R(n, np.abs(INT), np.int32(1), grad=False)
      for n in ("bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift")),
    R("bitwise_invert", INT, grad=False), R("bitwise_not", INT, grad=False),
    *(R(n, WITH_NAN, grad=False) for n in ("isfinite", "isinf", "isnan", "isneginf", "isposinf",
                                          "signbit")),
    R("isreal", A, grad=False), R("isclose", A, A + 1e-9, grad=False),
    R("allclose", A, A, grad=False), R("isin", INT, np.array([1, 9], np.int32), grad=False),
    # reductions
    R("sum", A), R("sum", A, axis=1, keepdims=True, id="sum-axis"),
    R("sum", INT, grad=False, id="sum-int"), R("sum", BOOL, grad=False, id="sum-bool"),
    R("sum", INT.astype(np.int8), grad=False, id="sum-int8"),
    R("prod", POS, axis=0), R("prod", INT, grad=False, id="prod-int"), R("mean", A, axis=0),
    R("mean", INT, grad=False, id="mean-int"), R("var", A, axis=1), R("var", INT, grad=False,
                                                                       id="var-int"),
    R("std", A), R("max", DISTINCT, axis=1), R("min", DISTINCT, axis=0, keepdims=True),
    R("max", DISTINCT, initial=0.5, id="max-initial"), R("amax", DISTINCT), R("amin", DISTINCT),
    R("ptp", DISTINCT, axis=1), R("all", BOOL, axis=0, grad=False), R("any", BOOL, grad=False),
    R("count_nonzero", INT, axis=1, grad=False), R("argmax", DISTINCT, axis=1, grad=False),
    R("argmin", DISTINCT, grad=False), R("cumsum", A, axis=1), R("cumsum", INT, grad=False,
                                                                  id="cumsum-int"),
    R("cumsum", BOOL, grad=False, id="cumsum-bool"), R("cumprod", A, axis=0),
    R("cumprod", POS), R("average", A, axis=1, weights=V + 2), R("average", A),
    R("median", DISTINCT, axis=1), R("median", DISTINCT), R("quantile", DISTINCT, 0.3, axis=0),
    R("quantile", DISTINCT, [0.1, 0.75], axis=1, keepdims=True, id="quantile-vec"),
    *(R("quantile", DISTINCT, 0.4, method=m, id=f"quantile-{m}")
      for m in ("lower", "higher", "midpoint", "nearest")),
    R("percentile", DISTINCT, 40.0, axis=1),
    # NaN-ignoring
    *(R(n, WITH_NAN[:3], grad=False) for n in ("nansum", "nanprod", "nanmean", "nanvar", "nanstd",
                                               "nanmax", "nanmin", "nanargmax", "nanargmin",
                                               "nancumsum", "nancumprod", "nanmedian")),
    R("nanquantile", WITH_NAN[:3], 0.3, grad=False), R("nanpercentile", WITH_NAN[:3], 30.0,
                                                       grad=False),
    # sorting and searching
    R("sort", DISTINCT), R("sort", DISTINCT, axis=0, id="sort-axis0"),
    R("argsort", DISTINCT, grad=False),
    R("searchsorted", np.sort(V), A[0], grad=False), R("digitize", A, np.sort(V), grad=False),
    R("nonzero", INT, grad=False, post=_stacked), R("unique", NAT, grad=False),
    R("unique", NAT, grad=False, return_counts=True, return_inverse=True, id="unique-all"),
    R("bincount", NAT, grad=False), R("bincount", NAT, weights=_u(5), minlength=8, grad=False,
                                      id="bincount-weights"),
    R("histogram", A[0], grad=False, bins=5),
    R("take_along_axis", A, np.argsort(A, axis=1)[:, :2], axis=1),
    R("take", A, np.array([[0, 3], [1, 1]], np.int32), axis=1), R("take", A, np.array([5, 0]),
                                                                   id="take-flat"),
    # creation
    R("arange", 5, grad=False), R("arange", 1.0, 3.0, 0.5, grad=False, id="arange-float"),
    R("linspace", 0.0, 1.0, 5, grad=False), R("logspace", 0.0, 2.0, 4, grad=False),
    R("geomspace", 1.0, 8.0, 4, grad=False), R("eye", 3, 4, 1, grad=False),
    R("identity", 3, grad=False), R("tri", 3, 4, -1, grad=False), R("zeros", (2, 3), grad=False),
    R("ones", (2, 3), grad=False), R("full", (2, 2), 3, grad=False),
    R("zeros_like", INT, grad=False), R("ones_like", A, grad=False),
    R("full_like", A, 2.5, grad=False), R("array", [1, 2], grad=False),
    R("array", [1.0, 2.0], grad=False, id="array-float"), R("copy", A),
    *(R(n, 5, grad=False) for n in ("bartlett", "blackman", "hamming", "hanning")),
    R("kaiser", 5, 2.0, grad=False),
    # shape
    R("reshape", A, (2, 6)), R("reshape", A, (-1,), id="reshape-flat"), R("ravel", A),
    R("transpose", W3, (2, 0, 1)), R("swapaxes", W3, 0, 2), R("moveaxis", W3, 0, -1),
    R("expand_dims", A, 1), R("squeeze", A[:, :1]), R("broadcast_to", V, (3, 4)),
    R("concatenate", [A, B], axis=1), R("stack", [A, B], axis=1), R("hstack", [A, B]),
    R("vstack", [V, V]), R("dstack", [A, B]),
    R("append", A, B, axis=0), R("append", A, V, id="append-flat"),
    R("split", A, 2, axis=1), R("split", A, [1], id="split-indices"),
    R("array_split", A, 3, axis=1), R("hsplit", A, 2), R("vsplit", W3, 2),
    R("dsplit", W3, 2), R("flip", A, 1), R("fliplr", A), R("flipud", A), R("rot90", A),
    R("rot90", W3, 3, (1, 2), id="rot90-3"), R("rot90", A, 2, id="rot90-2"),
    R("roll", A, 2), R("roll", A, -1, axis=1, id="roll-axis"), R("tile", V, (2, 2)),
    R("repeat", A, 2, axis=0), R("repeat", A, 2, id="repeat-flat"),
    R("pad", A, ((1, 0), (0, 2))), R("pad", A, ((1, 1), (2, 2)), mode="reflect", id="pad-reflect"),
    R("pad", A, ((1, 1), (1, 1)), constant_values=2.0, id="pad-constant"),
    R("get_item", A, (1, slice(1, 3))),
    R("where", BOOL, A[:2, :3], B[:2, :3]), R("where", BOOL, INT, 1.5, grad=False,
                                                id="where-promote"),
    R("where", BOOL, grad=False, post=_stacked, id="where-nonzero"),
    R("select", [BOOL, ~BOOL], [A[:2, :3], B[:2, :3]], -1.0),
    R("meshgrid", V, A[0, :3]), R("meshgrid", V, A[0, :3], indexing="ij", id="meshgrid-ij"),
    R("unravel_index", NAT, (2, 3), grad=False), R("ndim", A, grad=False),
    R("size", A, grad=False),
    # matrices
    R("diagonal", W3, 1, 1, 2), R("diagonal", A, -1, id="diagonal-neg"), R("trace", A),
    R("trace", INT, grad=False, id="trace-int"), R("diag", V), R("diag", V, -1, id="diag-k"),
    R("diag", A, 1, id="diag-2d"), R("diagflat", A[:2, :2]), R("tril", A), R("triu", A, 1),
    R("tril", W3, -1, id="tril-3d"), R("matmul", A, B.T), R("matmul", V, B.T, id="matmul-1d"),
    R("matmul", INT, INT.T, grad=False, id="matmul-int"), R("tensordot", A, B.T, 1),
    R("tensordot", W3, A, ([1, 2], [0, 1]), id="tensordot-axes"), R("einsum", "ij,kj->ik", A, B),
    R("dot", A, V), R("dot", A, B.T, id="dot-2d"), R("dot", V, V, id="dot-1d"),
    R("vdot", V, B[0]), R("inner", A, B), R("outer", V, A[0]), R("kron", A[:2, :2], B[:2, :3]),
    R("cross", VEC3, VEC3B),
    R("diff", A), R("diff", A, 2, 0, id="diff-2"), R("trapezoid", A),
    R("trapezoid", A, x=np.sort(V), id="trapezoid-x"), R("correlate", V, A[0, :3]),
    R("correlate", V, A[0, :3], mode="full", id="correlate-full"),
    R("correlate", V, A[0, :3], mode="same", id="correlate-same"), R("vander", V, grad=False),
    R("vander", V, 3, True, grad=False, id="vander-increasing"), R("corrcoef", A), R("slogdet", SQ),
    # core
    R("cast", A, "float64"), R("cast", A * 3, "int32", grad=False, id="cast-int"),
    R("convert_to_tensor", [1, 2], grad=False), R("convert_to_tensor", [1.5], grad=False,
                                                   id="convert-float"),
    R("saturate_cast", np.array([-5.0, 300.0, 20.7], F32), "uint8", grad=False),
    R("slice", A, (1, 1), (2, 3)), R("slice_update", A, (1, 0), B[:2, :2]),
    R("scatter", np.array([[0, 1], [2, 2], [0, 1]]), V[:3], (3, 3)),
    R("scatter_update", A, np.array([[0, 1], [2, 3]]), V[:2]),
    R("scatter_update", A, np.array([[1]]), B[:1], id="scatter_update-rows"),
    R("stop_gradient", A, grad=False), R("unstack", A, axis=1),
    R("rearrange", W3, "b h w -> w (b h)"), R("rearrange", A, "(a b) w -> b w a", a=3,
                                             id="rearrange-split"),
    R("map", lambda v: v * v + 1.0, A), R("vectorized_map", lambda v: v * 2.0, A),
    R("scan", lambda c, v: (c * 0.5 + v, c * v), V, A, id="scan"),
    R("scan", lambda c, v: (c + v, c - v), V, A, reverse=True, id="scan-reverse"),
    R("associative_scan", lambda a, b: a * b, POS, axis=1),
    R("associative_scan", lambda a, b: a + b, A, reverse=True, id="associative_scan-reverse"),
    R("fori_loop", 0, 3, lambda i, v: v * v * 0.5 + 1.0, A, grad=False),
    R("while_loop", lambda v: v.sum() < 100.0, lambda v: v * 2.0 + 1.0, (POS,), grad=False),
    R("switch", 1, [lambda v: v * 2.0, lambda v: v - 1.0], A),
    # linalg
    R("inv", SQ), R("det", SQ), R("solve", SQ, A[:, :2]), R("solve", SQ, V[:3], id="solve-vec"),
    R("solve_triangular", SQ, A[:, :2], lower=True), R("solve_triangular", SQ, A[:, :2],
                                                       id="solve_triangular-upper"),
    R("cholesky", SPD), R("cholesky", SPD, upper=True, id="cholesky-upper"),
    R("cholesky_inverse", np.linalg.cholesky(SPD).astype(F32)),
    R("eigh", SPD, grad=False, post=lambda outs: outs[0]),  # eigenvalues; vectors' signs vary
    R("qr", A, grad=False), R("svd", A, compute_uv=False),
    R("pinv", A, tol=dict(rtol=1e-4, atol=1e-5)),
    R("pinv", A.T, id="pinv-tall", tol=dict(rtol=1e-4, atol=1e-5)),
    R("lstsq", A.T, V, tol=dict(rtol=1e-4, atol=1e-5)),
    R("lstsq", A.T, B.T, id="lstsq-matrix", tol=dict(rtol=1e-4, atol=1e-5)),
    R("lu_factor", SQ, grad=False), R("matrix_rank", A, grad=False), R("norm", A),
    *(R("norm", A, ord=o, axis=1, id=f"norm-vector-{o}") for o in (1, 3, np.inf, -np.inf)),
    *(R("norm", A, ord=o, id=f"norm-matrix-{o}") for o in ("fro", 1, -1, np.inf, -np.inf)),
    *(R("norm", A, ord=o, id=f"norm-matrix-{o}") for o in (2, -2, "nuc")),
]


def _keras_fn(name):
    return getattr(keras.ops, name)


def _to_torch(value, requires_grad=False):
    if isinstance(value, np.ndarray):
        t = torch.tensor(value)
        if requires_grad and value.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [_to_torch(v, requires_grad) for v in value]
    return value


def _to_dw(value, requires_grad=False):
    if isinstance(value, np.ndarray):
        if requires_grad and value.dtype.kind == "f":
            return dw.tensor(value, requires_grad=True)
        return dw.Tensor(value)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [_to_dw(v, requires_grad) for v in value]
    return value


def _flat(out):
    if isinstance(out, list | tuple):
        return [leaf for o in out for leaf in _flat(o)]
    return [out]


def _np(value):
    if isinstance(value, dw.Tensor):
        return value.numpy()
    return kr.to_numpy(value) if hasattr(value, "detach") else np.asarray(value)


def _dtype_name(value):
    if hasattr(value, "detach"):
        return str(value.dtype).replace("torch.", "")
    if isinstance(value, dw.Tensor):
        return value.dtype.name
    return type(value).__name__


def _leaves(args):
    out = []
    for a in args:
        out.extend(a if isinstance(a, list) else [a])
    return out


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_matches_keras(row):
    with kr.quiet():
        expected = _keras_fn(row.name)(*map(_to_torch, row.args), **row.kwargs)
    got = getattr(dops, row.name)(*map(_to_dw, row.args), **row.kwargs)
    if row.post is not None:  # a layout difference (nonzero's tuple; eigenvectors' signs)
        expected, got = row.post([_np(v) for v in _flat(expected)]), row.post(
            [_np(v) for v in _flat(got)])
    expected, got = _flat(expected), _flat(got)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        if isinstance(e, int | float | bool) and not hasattr(e, "dtype"):
            assert g == e
            continue
        if row.post is None:
            assert _dtype_name(g) == _dtype_name(e), (row.id, _dtype_name(g), _dtype_name(e))
        g_np, e_np = _np(g), _np(e)
        assert g_np.shape == e_np.shape
        if e_np.dtype.kind in "fc":
            np.testing.assert_allclose(g_np, e_np, **row.tol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g_np, e_np)


GRAD_ROWS = [r for r in ROWS if r.grad]


@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.id for r in GRAD_ROWS])
def test_gradients_match_torch(row):
    t_args = [_to_torch(a, True) for a in row.args]
    with kr.quiet():
        t_out = _flat(_keras_fn(row.name)(*t_args, **row.kwargs))
    d_args = [_to_dw(a, True) for a in row.args]
    d_out = _flat(getattr(dops, row.name)(*d_args, **row.kwargs))
    weights = [rng.uniform(0.5, 1.5, tuple(o.shape)).astype(np.float64) for o in t_out]
    t_loss = sum((o.double() * torch.tensor(w)).sum() for o, w in zip(t_out, weights, strict=True)
                 if o.dtype.is_floating_point)
    d_loss = sum(dw.sum(dw.astype(o, "float64") * w) for o, w in zip(d_out, weights, strict=True)
                 if o.dtype.kind == "f")
    t_inputs = [a for a in _leaves(t_args) if isinstance(a, torch.Tensor) and a.requires_grad]
    d_inputs = [a for a in _leaves(d_args) if isinstance(a, dw.Tensor) and a.requires_grad]
    assert t_inputs, "a differentiable row needs a floating input"
    t_grads = torch.autograd.grad(t_loss, t_inputs, allow_unused=True)
    d_grads = dw.grad(d_loss, d_inputs)
    for tg, dg in zip(t_grads, d_grads, strict=True):
        expected = np.zeros(1) if tg is None else tg.numpy()
        got = np.zeros(1) if dg is None else dg.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


VECTORIZE_CASES = [
    ("elementwise", lambda lib: lib.ops.vectorize(lambda a, b: a * b + 1.0), (V, A)),
    ("signature", lambda lib: lib.ops.vectorize(lambda a, b: lib.ops.sum(a * b),
                                                signature="(n),(n)->()"), (A, V)),
]


@pytest.mark.parametrize("make, args", [c[1:] for c in VECTORIZE_CASES],
                         ids=[c[0] for c in VECTORIZE_CASES])
def test_vectorize_matches_keras(make, args):
    with kr.quiet():
        expected = _np(make(keras)(*map(_to_torch, args)))
    got = make(dk)(*map(_to_dw, args))
    np.testing.assert_allclose(got.numpy(), expected, rtol=2e-5, atol=2e-6)


def _parameters(fn):
    return [(p.name, p.kind, repr(p.default)) for p in inspect.signature(fn).parameters.values()]


def test_every_name_has_keras_signature():
    names = [n for n in dops.__all__ if callable(getattr(dops, n))]  # not the submodules
    differ = [n for n in names if _parameters(getattr(dops, n)) != _parameters(_keras_fn(n))]
    assert differ == []
    for module in ("numpy", "linalg"):
        keras_names = {n for n in dir(getattr(keras.ops, module)) if not n.startswith("_")}
        assert keras_names <= set(getattr(dops, module).__all__) | set(dops.UNSUPPORTED)


def _log1pexp(lib):
    """keras.io's custom_gradient example: a stable gradient for log(1 + exp(x))."""
    o = lib.ops

    @o.custom_gradient
    def log1pexp(x):
        e = o.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return o.multiply(upstream, 1.0 - 1.0 / o.add(1, e))

        return o.log(1 + e), grad

    return log1pexp


def test_custom_gradient_matches_keras():
    x = np.array([0.5, -2.0, 100.0], F32)
    t = torch.tensor(x, requires_grad=True)
    with kr.quiet():
        t_out = _log1pexp(keras)(t)
        t_out.sum().backward()
    d = dw.tensor(x, requires_grad=True)
    with np.errstate(over="ignore"):  # exp(100) overflows float32 in both: the point of the rule
        d_out = _log1pexp(dk)(d)
    d_out.sum().backward()
    np.testing.assert_allclose(d_out.numpy(), kr.to_numpy(t_out), rtol=2e-5)
    np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), rtol=2e-5)
