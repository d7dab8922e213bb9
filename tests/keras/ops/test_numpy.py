"""deltaw.keras.ops.numpy without Keras: values against NumPy, Keras' dtype rules, gradients of
the composites (gradcheck in float64) and error messages."""

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras.ops as ops

rng = np.random.default_rng(3)


def _u(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape)


DISTINCT = (rng.permutation(12).reshape(3, 4) * 0.37 - 2.0)
I32 = np.array([[3, -1, 4], [1, -5, 9]], dtype=np.int32)


# ----------------------------------------------------------------------------- dtype rules

@pytest.mark.parametrize("call, dtype", [
    (lambda: ops.add(I32, 1.5), "float32"),          # int tensor + Python float -> floatx
    (lambda: ops.add(I32, 2), "int32"),              # Python int never upcasts
    (lambda: ops.add(np.ones(2, np.float32), 2.5), "float32"),
    (lambda: ops.add(I32, np.ones((2, 3), np.float32)), "float32"),  # not float64 as NumPy
    (lambda: ops.add(np.ones(2, np.float16), 1.5), "float16"),
    (lambda: ops.add(np.ones(2), np.ones(2, np.float32)), "float64"),
    (lambda: ops.add(np.array([True]), 1), "int32"),
    (lambda: ops.divide(I32, I32 + 10), "float32"),
    (lambda: ops.floor_divide(I32, 2), "int32"),
    (lambda: ops.mean(I32), "float32"),
    (lambda: ops.sqrt(I32 + 6), "float32"),
    (lambda: ops.sum(np.array([True, True])), "int32"),
    (lambda: ops.sum(I32.astype(np.int8)), "int32"),
    (lambda: ops.sum(I32.astype(np.int64)), "int64"),
    (lambda: ops.square(np.array([True])), "int32"),
    (lambda: ops.argmax(DISTINCT), "int32"),
    (lambda: ops.arange(3), "int32"),
    (lambda: ops.arange(3.0), "float32"),
    (lambda: ops.full((2,), 3), "float32"),
    (lambda: ops.array([1, 2]), "int32"),
    (lambda: ops.floor(I32), "float32"),
    (lambda: ops.trunc(I32), "int32"),
    (lambda: ops.clip(I32, 0, 1.5), "float32"),
    (lambda: ops.unique(np.array([1, 1]), return_counts=True)[1], "int64"),
])
def test_keras_dtype_rules(call, dtype):
    assert call().dtype == np.dtype(dtype)


# ----------------------------------------------------------------------------- values vs NumPy

VALUE_CASES = [
    ("sort", (DISTINCT,), {"axis": 0}, lambda x, axis: np.sort(x, axis)),
    ("median", (DISTINCT,), {"axis": 1}, lambda x, axis: np.median(x, axis)),
    ("quantile", (DISTINCT, [0.2, 0.9]), {"axis": 0}, lambda x, q, axis: np.quantile(x, q, axis)),
    ("percentile", (DISTINCT, 35.0), {"method": "nearest"},
     lambda x, q, method: np.percentile(x, q, method=method)),
    ("roll", (DISTINCT, (1, -2)), {"axis": (0, 1)}, lambda x, s, axis: np.roll(x, s, axis)),
    ("rot90", (DISTINCT, 3), {}, np.rot90), ("diag", (DISTINCT, -1), {}, np.diag),
    ("diag", (DISTINCT[0], 2), {}, np.diag), ("trace", (DISTINCT, 1), {}, np.trace),
    ("tril", (DISTINCT, 1), {}, np.tril), ("triu", (DISTINCT, -1), {}, np.triu),
    ("kron", (DISTINCT[:2, :2], DISTINCT[:1, :3]), {}, np.kron),
    ("cross", (DISTINCT[:, :3], DISTINCT[:, 1:]), {}, np.cross),
    ("cross", (DISTINCT[:, :2], DISTINCT[:, 1:3]), {},  # z of the 2-vectors' product
     lambda a, b: a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]),
    ("correlate", (DISTINCT[0], DISTINCT[1, :3]), {"mode": "same"},
     lambda a, v, mode: np.correlate(a, v, mode)),
    ("correlate", (DISTINCT[1, :2], DISTINCT[0]), {"mode": "full"},
     lambda a, v, mode: np.correlate(a, v, mode)),
    ("tensordot", (DISTINCT, DISTINCT.T), {"axes": 1}, lambda a, b, axes: np.tensordot(a, b, axes)),
    ("dot", (np.ones((2, 3, 4)), np.ones((5, 4, 2))), {}, np.dot),
    ("trapezoid", (DISTINCT,), {"dx": 0.5, "axis": 0},
     lambda y, dx, axis: np.trapezoid(y, dx=dx, axis=axis)),
    ("diff", (DISTINCT, 2, 0), {}, np.diff), ("vander", (DISTINCT[0], 3), {}, np.vander),
    ("corrcoef", (DISTINCT,), {}, np.corrcoef), ("average", (DISTINCT,),
                                                 {"axis": 0, "weights": [1.0, 2.0, 3.0]},
                                                 lambda x, axis, weights: np.average(
                                                     x, axis, weights)),
    ("take_along_axis", (DISTINCT, np.array([[0], [3], [1]])), {"axis": 1},
     lambda x, i, axis: np.take_along_axis(x, i, axis)),
    ("take", (DISTINCT, [-1, 0]), {"axis": 0}, lambda x, i, axis: np.take(x, i, axis)),
    ("meshgrid", (np.arange(3.0), np.arange(2.0), np.arange(4.0)), {}, np.meshgrid),
    ("nan_to_num", (np.array([np.nan, np.inf, -np.inf, 1.0]),), {"posinf": 9.0},
     lambda x, posinf: np.nan_to_num(x, posinf=posinf)),
    ("logaddexp", (np.array([1000.0, -3.0]), np.array([1000.0, 2.0])), {}, np.logaddexp),
    ("logaddexp2", (np.array([1.0, -3.0]), np.array([0.5, 2.0])), {}, np.logaddexp2),
    ("sinc", (np.array([0.0, 0.5, -1.5]),), {}, np.sinc),
    ("cbrt", (np.array([-8.0, 27.0]),), {}, np.cbrt), ("exp2", (np.array([3.0]),), {}, np.exp2),
    ("mod", (np.array([-3.5, 4.0]), np.array([2.0, -3.0])), {}, np.mod),
    ("fmod", (np.array([-3.5, 4.0]), np.array([2.0, -3.0])), {}, np.fmod),
    ("divide_no_nan", (np.array([1.0, 2.0]), np.array([0.0, 4.0])), {},
     lambda a, b: np.array([0.0, 0.5])),
    ("hstack", ([DISTINCT, DISTINCT],), {}, np.hstack),
    ("vstack", ([DISTINCT[0], DISTINCT[1]],), {}, np.vstack),
    ("dstack", ([DISTINCT[0], DISTINCT[1]],), {}, np.dstack),
    ("select", ([DISTINCT > 0, DISTINCT < -1], [DISTINCT, -DISTINCT]), {"default": 7.0},
     lambda c, v, default: np.select(c, v, default)),
    ("concatenate", ([DISTINCT, DISTINCT],), {"axis": None},
     lambda xs, axis: np.concatenate(xs, axis=axis)),
    ("max", (np.zeros((0,)),), {"initial": 2.0}, lambda x, initial: np.max(x, initial=initial)),
    ("nanmax", (np.array([[np.nan, 1.0], [2.0, np.nan]]),), {"axis": 1},
     lambda x, axis: np.nanmax(x, axis)),
    ("nanvar", (np.array([1.0, np.nan, 3.0, 4.0]),), {}, np.nanvar),
    ("array_split", (np.arange(7.0), 3), {}, np.array_split),
]


@pytest.mark.parametrize("name, args, kwargs, ref", VALUE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(VALUE_CASES)])
def test_values_match_numpy(name, args, kwargs, ref):
    got = getattr(ops, name)(*args, **kwargs)
    expected = ref(*args, **kwargs)
    if isinstance(expected, list | tuple):
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g.numpy(), e, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- gradients


def _pos(*shape):
    return _u(*shape, low=0.5, high=2.0)


GRAD_CASES = [
    ("sort", lambda x: ops.sort(x, axis=0), [DISTINCT]),
    ("median-even", lambda x: ops.median(x, axis=1), [DISTINCT]),
    ("quantile", lambda x: ops.quantile(x, [0.3, 0.8], axis=0, keepdims=True), [DISTINCT]),
    ("take_along_axis", lambda x: ops.take_along_axis(x, np.array([[0, 0], [3, 1], [1, 2]]), 1),
     [DISTINCT]),
    ("take", lambda x: ops.take(x, [2, 2, 0], axis=1), [_u(2, 3)]),
    ("roll", lambda x: ops.roll(x, 1), [_u(2, 3)]),
    ("rot90", lambda x: ops.rot90(x, 1), [_u(2, 3)]),
    ("diag-vector", lambda x: ops.diag(x, -1), [_u(3)]),
    ("diagonal", lambda x: ops.diagonal(x, 1, 1, 2), [_u(2, 3, 3)]),
    ("trace", ops.trace, [_u(3, 3)]),
    ("tril", lambda x: ops.tril(x, -1), [_u(3, 4)]),
    ("cross", ops.cross, [_u(2, 3), _u(2, 3)]),
    ("kron", ops.kron, [_u(2, 2), _u(1, 3)]),
    ("outer", ops.outer, [_u(3), _u(2)]),
    ("tensordot", lambda a, b: ops.tensordot(a, b, ([1, 2], [0, 1])), [_u(2, 3, 4), _u(3, 4)]),
    ("correlate", lambda a, v: ops.correlate(a, v, "full"), [_u(5), _u(3)]),
    ("vander", lambda x: ops.vander(x, 3), [_u(4)]),
    ("corrcoef", ops.corrcoef, [_u(3, 5)]),
    ("trapezoid-x", lambda y: ops.trapezoid(y, x=np.array([0.0, 0.5, 2.0, 3.0])), [_u(2, 4)]),
    ("average", lambda x, w: ops.average(x, axis=1, weights=w), [_u(2, 3), _pos(3)]),
    ("logaddexp", ops.logaddexp, [_u(2, 3), _u(3)]),
    ("hypot", ops.hypot, [_pos(3), _pos(3)]),
    ("mod", ops.mod, [_u(4) * 5, _pos(4)]),
    ("cbrt", ops.cbrt, [_pos(3)]),
    ("sinc", ops.sinc, [_pos(3)]),
    ("nan_to_num", ops.nan_to_num, [_u(3)]),
    ("divide_no_nan", ops.divide_no_nan, [_u(3), _pos(3)]),
    ("nanmean", ops.nanmean, [_u(2, 3)]),
    ("nanstd", lambda x: ops.nanstd(x, axis=0), [_u(3, 2)]),
    ("cumprod", lambda x: ops.cumprod(x, axis=1), [_u(2, 3)]),
    ("slogdet", lambda x: ops.slogdet(x)[1], [_u(3, 3) + 3 * np.eye(3)]),
    ("clip", lambda x: ops.clip(x, -0.5, 0.5), [np.array([-0.9, -0.2, 0.3, 0.8])]),
    ("copy", ops.copy, [_u(3)]),
    ("fmax", ops.fmax, [_u(3), _u(3)]),
    ("where", lambda a, b: ops.where(np.array([True, False, True]), a, b), [_u(3), _u(3)]),
    ("select", lambda a, b: ops.select([np.array([True, False])], [a], b), [_u(2), _u(2)]),
    ("meshgrid", lambda a, b: ops.meshgrid(a, b)[0] * ops.meshgrid(a, b)[1], [_u(3), _u(2)]),
    ("dstack", lambda a, b: ops.dstack([a, b]), [_u(3), _u(3)]),
    ("array_split", lambda x: ops.array_split(x, 2)[0] * 2, [_u(5)]),
]


@pytest.mark.parametrize("name, fn, inputs", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, fn, inputs):
    tensors = [dw.tensor(x, requires_grad=True) for x in inputs]
    assert dw.gradcheck(fn, tensors)


def test_integer_and_boolean_results_carry_no_gradient():
    x = dw.tensor(DISTINCT, requires_grad=True)
    for out in (ops.argmax(x), ops.greater(x, 0), ops.floor(x), ops.argsort(x), ops.sign(x)):
        assert not out.requires_grad


def test_straight_through_rounding_with_stop_gradient():
    x = dw.tensor([0.3, 1.7], requires_grad=True)
    y = x + ops.stop_gradient(ops.round(x) - x)
    np.testing.assert_array_equal(y.numpy(), [0.0, 2.0])
    (g,) = dw.grad(ops.sum(y * 3.0), [x])
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])


def test_argpartition_partitions():
    x = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    idx = ops.argpartition(x, 2).numpy()
    assert x[idx[2]] == 3.0 and set(x[idx[:2]]) == {1.0, 2.0}


def test_nonzero_returns_one_index_tensor_per_axis():
    rows, cols = ops.nonzero(np.array([[0, 1], [2, 0]]))
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [1, 0])
    assert rows.dtype == np.int32


def test_unique_with_size_pads_with_the_smallest_value():
    np.testing.assert_array_equal(ops.unique(np.array([3, 1, 3]), size=4).numpy(), [1, 3, 1, 1])


def test_creation_functions():
    assert ops.zeros((2, 3)).shape == (2, 3) and ops.zeros(2).dtype == np.float32
    np.testing.assert_array_equal(ops.eye(2, 3, 1).numpy(), np.eye(2, 3, 1))
    np.testing.assert_allclose(ops.linspace(0, 1, 3).numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(ops.full_like(I32, 7).numpy(), np.full((2, 3), 7))
    assert ops.empty_like(I32).dtype == np.int32
    np.testing.assert_allclose(ops.hanning(4).numpy(), np.hanning(4), rtol=1e-6)
    assert ops.ndim(DISTINCT) == 2 and ops.size(DISTINCT).item() == 12


def test_inputs_may_be_lists_numbers_arrays_and_tensors():
    for x in ([1.0, 2.0], np.array([1.0, 2.0], np.float32), dw.tensor([1.0, 2.0])):
        out = ops.multiply(x, 2)
        assert isinstance(out, dw.Tensor) and out.dtype == np.float32
        np.testing.assert_array_equal(out.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("call, exc, match", [
    (lambda: ops.quantile(DISTINCT, 1.5), ValueError, r"^quantile: q must lie in \[0, 1\]"),
    (lambda: ops.quantile(DISTINCT, 0.5, method="cubic"), ValueError, r"unknown method 'cubic'"),
    (lambda: ops.take_along_axis(DISTINCT, np.array([0.5]), 0), TypeError,
     r"take_along_axis: indices must be integers"),
    (lambda: ops.take_along_axis(DISTINCT, np.array([0]), 0), ValueError,
     r"take_along_axis: indices must have x's ndim 2"),
    (lambda: ops.where(DISTINCT > 0, DISTINCT), ValueError, r"where: pass both x1 and x2"),
    (lambda: ops.diagonal(np.ones(3)), ValueError, r"diagonal: x must have at least 2 axes"),
    (lambda: ops.diag(np.ones((2, 2, 2))), ValueError, r"diag: x must be 1-D or 2-D"),
    (lambda: ops.tril(np.ones(3)), ValueError, r"tril: x must have at least 2 axes"),
    (lambda: ops.cross(np.ones(4), np.ones(3)), ValueError, r"cross: the vector axes"),
    (lambda: ops.correlate(np.ones((2, 2)), np.ones(2)), ValueError, r"correlate: expected 1-D"),
    (lambda: ops.correlate(np.ones(3), np.ones(2), "wide"), ValueError, r"correlate: mode"),
    (lambda: ops.bincount(np.array([0.5])), ValueError, r"bincount: x must be a 1-D integer"),
    (lambda: ops.bincount(np.array([1]), sparse=True), ValueError, r"bincount: deltaw tensors"),
    (lambda: ops.histogram(np.ones((2, 2))), ValueError, r"histogram: x must be 1-D"),
    (lambda: ops.searchsorted(np.ones((2, 2)), 1.0), ValueError, r"searchsorted: sorted_seq"),
    (lambda: ops.ldexp(np.ones(2), np.ones(2)), TypeError, r"ldexp: x2 must be an integer"),
    (lambda: ops.meshgrid(np.ones(2), indexing="xyz"), ValueError, r"meshgrid: indexing"),
    (lambda: ops.rot90(np.ones((2, 2)), axes=(1, 1)), ValueError, r"rot90: axes must differ"),
    (lambda: ops.select([True], [1.0, 2.0]), ValueError, r"select: condlist and choicelist"),
    (lambda: ops.pad(np.ones(2), 1, mode="reflect", constant_values=1), ValueError,
     r"pad: constant_values only applies"),
    (lambda: ops.array_split(np.ones(3), 0), ValueError, r"array_split: the number of sections"),
    (lambda: ops.concatenate([]), ValueError, r"concatenate: expected at least one tensor"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_every_keras_numpy_name_is_present():
    # keras.ops.numpy's 220 names in Keras 3.15 (listed here, so the check runs without keras)
    missing = [n for n in KERAS_NUMPY_NAMES if not hasattr(ops.numpy, n) or not hasattr(ops, n)]
    assert missing == [] and not [n for n in ops.UNSUPPORTED if n.startswith("numpy.")]
    assert sorted(ops.numpy.__all__) == sorted(KERAS_NUMPY_NAMES)


def test_vectorize_loops_over_broadcast_axes_and_signatures():
    add_one = ops.vectorize(lambda a, b: a * b + 1.0)
    np.testing.assert_array_equal(add_one(np.arange(3.0), np.ones((2, 1))).numpy(),
                                  np.arange(3.0) * np.ones((2, 1)) + 1)
    dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_array_equal(dot(np.ones((2, 3)), np.arange(3.0)).numpy(), [3.0, 3.0])
    pair = ops.vectorize(lambda a: (a * 2.0, a + 1.0))
    doubled, plus_one = pair(np.arange(2.0))
    np.testing.assert_array_equal(doubled.numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(plus_one.numpy(), [1.0, 2.0])
    scaled = ops.vectorize(lambda a, k: a * k, excluded={1})
    np.testing.assert_array_equal(scaled(np.arange(2.0), 3.0).numpy(), [0.0, 3.0])
    x = dw.tensor(np.array([0.5, 1.5]), requires_grad=True)
    assert dw.gradcheck(ops.vectorize(lambda a: ops.sin(a) * a), [x])
    with pytest.raises(ValueError, match=r"^vectorize: invalid signature '\(n\)'"):
        ops.vectorize(lambda a: a, signature="(n)")
    with pytest.raises(ValueError, match=r"^vectorize: the signature names 2 inputs; got 1"):
        ops.vectorize(lambda a: a, signature="(n),(n)->()")(np.ones(2))


KERAS_NUMPY_NAMES = """
abs absolute add all allclose amax amin angle any append arange arccos arccosh arcsin arcsinh
arctan arctan2 arctanh argmax argmin argpartition argsort array array_split average bartlett
bincount bitwise_and bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
bitwise_xor blackman broadcast_to cbrt ceil clip concatenate conj conjugate copy corrcoef
correlate cos cosh count_nonzero cross cumprod cumsum deg2rad diag diagflat diagonal diff digitize
divide divide_no_nan dot dsplit dstack einsum empty empty_like equal exp exp2 expand_dims expm1
eye fabs flip fliplr flipud floor floor_divide fmax fmin fmod full full_like gcd geomspace
get_item greater greater_equal hamming hanning heaviside histogram hsplit hstack hypot i0
identity imag inner isclose isfinite isin isinf isnan isneginf isposinf isreal kaiser kron lcm
ldexp left_shift less less_equal linspace log log10 log1p log2 logaddexp logaddexp2 logical_and
logical_not logical_or logical_xor logspace matmul max maximum mean median meshgrid min minimum
mod moveaxis multiply nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean
nanmedian nanmin nanpercentile nanprod nanquantile nanstd nansum nanvar ndim negative nextafter
nonzero not_equal ones ones_like outer pad percentile power prod ptp quantile rad2deg ravel real
reciprocal repeat reshape right_shift roll rot90 round searchsorted select sign signbit sin sinc
sinh size slogdet sort split sqrt square squeeze stack std subtract sum swapaxes take
take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril triu true_divide trunc
unique unravel_index vander var vdot vectorize view vsplit vstack where zeros zeros_like
""".split()
