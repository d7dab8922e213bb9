"""keras.ops.numpy: Keras 3's NumPy-like functions over deltaw's differentiable ops.

Each function takes Tensors, NumPy arrays, Python numbers or lists and returns Tensors. The math
lives in deltaw.ops (new differentiable math became a dw primitive first); this module holds
Keras' signatures, its dtype rules and the composition of dw ops. It is long (over 1000 lines)
because it is one namespace of about 220 names, most of them a few lines each; splitting it
alphabetically would not help a reader.

Keras' dtype rules, which differ from NumPy's:
    - Python ints become int32, Python floats become floatx() (float32);
    - a Python scalar never upcasts a tensor (int32 tensor + 2 is int32; float32 + 2.5 is
      float32), but a Python float with an integer tensor gives floatx();
    - mixing an integer or boolean tensor with a floating one gives the floating dtype
      (int32 + float32 is float32, not float64);
    - functions that are only defined on reals (sqrt, exp, divide, mean, ...) turn integer and
      boolean inputs into floatx(); sums and products of small integers and booleans are int32.

Differentiability: functions whose result is floating are differentiable wherever the dw ops they
use are; integer and boolean results (comparisons, argmax, argsort, nonzero, ...) and rounding
(floor, ceil, round: zero derivative almost everywhere) carry no gradient.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

import deltaw as dw
from deltaw.keras import backend
from deltaw.keras.ops.core import convert_to_numpy, convert_to_tensor
from deltaw.tensor import Tensor

__all__ = [
    "abs", "absolute", "add", "all", "allclose", "amax", "amin", "angle", "any", "append",
    "arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "argmax", "argmin", "argpartition", "argsort", "array", "array_split", "average",
    "bartlett", "bincount", "bitwise_and", "bitwise_invert", "bitwise_left_shift",
    "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "blackman",
    "broadcast_to", "cbrt", "ceil", "clip", "concatenate", "conj", "conjugate", "copy",
    "corrcoef", "correlate", "cos", "cosh", "count_nonzero", "cross", "cumprod", "cumsum",
    "deg2rad", "diag", "diagflat", "diagonal", "diff", "digitize", "divide", "divide_no_nan",
    "dot", "dsplit", "dstack", "einsum", "empty", "empty_like", "equal", "exp", "exp2",
    "expand_dims", "expm1", "eye", "fabs", "flip", "fliplr", "flipud", "floor", "floor_divide",
    "fmax", "fmin", "fmod", "full", "full_like", "gcd", "geomspace", "get_item", "greater",
    "greater_equal", "hamming", "hanning", "heaviside", "histogram", "hsplit", "hstack",
    "hypot", "i0", "identity", "imag", "inner", "isclose", "isfinite", "isin", "isinf", "isnan",
    "isneginf", "isposinf", "isreal", "kaiser", "kron", "lcm", "ldexp", "left_shift", "less",
    "less_equal", "linspace", "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2",
    "logical_and", "logical_not", "logical_or", "logical_xor", "logspace", "matmul", "max",
    "maximum", "mean", "median", "meshgrid", "min", "minimum", "mod", "moveaxis", "multiply",
    "nan_to_num", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean",
    "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum",
    "nanvar", "ndim", "negative", "nextafter", "nonzero", "not_equal", "ones", "ones_like",
    "outer", "pad", "percentile", "power", "prod", "ptp", "quantile", "rad2deg", "ravel",
    "real", "reciprocal", "repeat", "reshape", "right_shift", "roll", "rot90", "round",
    "searchsorted", "select", "sign", "signbit", "sin", "sinc", "sinh", "size", "slogdet",
    "sort", "split", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum", "swapaxes",
    "take", "take_along_axis", "tan", "tanh", "tensordot", "tile", "trace", "transpose",
    "trapezoid", "tri", "tril", "triu", "true_divide", "trunc", "unique", "unravel_index",
    "vander", "var", "vdot", "vectorize", "view", "vsplit", "vstack", "where", "zeros",
    "zeros_like",
]

# NumPy's names shadow these builtins in this module
_py_max, _py_min, _py_abs, _py_all, _py_sum = (
    builtins.max, builtins.min, builtins.abs, builtins.all, builtins.sum)

# ----------------------------------------------------------------------------- dtype rules


def _floatx() -> np.dtype:
    return np.dtype(backend.floatx())


def _is_python_scalar(x) -> bool:
    """A weakly typed scalar: a Python bool, int or float (np.float64 subclasses float and is
    treated like one, as Keras does)."""
    return isinstance(x, bool | int | float) and (not isinstance(x, np.generic)
                                                  or isinstance(x, np.float64))


def _weak_kind(x) -> str:
    return "b" if isinstance(x, bool) else "i" if isinstance(x, int) else "f"


def _tensor_result_type(dtypes) -> np.dtype:
    floats = [d for d in dtypes if d.kind in "fc"]
    if floats:  # an integer or boolean never upcasts a float (Keras' lattice, not NumPy's)
        return np.result_type(*floats)
    out = np.result_type(*dtypes)
    if out == np.float64:  # uint64 with a signed int: NumPy gives float64, Keras floatx
        return _floatx()
    return out


def result_type(*values) -> np.dtype:
    """The dtype Keras gives a function of `values` (Tensors, arrays, Python scalars)."""
    strong = [_t(v).dtype for v in values if not _is_python_scalar(v)]
    weak = {_weak_kind(v) for v in values if _is_python_scalar(v)}
    if not strong:
        return _floatx() if "f" in weak else np.dtype("int32") if "i" in weak else \
            np.dtype(bool)
    out = _tensor_result_type(strong)
    if "f" in weak and out.kind in "biu":
        return _floatx()
    if "i" in weak and out.kind == "b":
        return np.dtype("int32")
    return out


def _t(x) -> Tensor:
    return convert_to_tensor(x)


def _as(x, dtype) -> Tensor:
    """`x` as a Tensor of `dtype` (a differentiable cast when it is a floating Tensor)."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(convert_to_numpy(x)))
    return x if x.dtype == dtype else dw.astype(x, dtype)


def _promote(*values) -> list[Tensor]:
    dtype = result_type(*values)
    return [_as(_t(v) if not _is_python_scalar(v) else np.asarray(v, dtype), dtype)
            for v in values]


def _to_float(x) -> Tensor:
    """A floating Tensor: integer and boolean inputs become floatx()."""
    x = _t(x)
    return x if x.dtype.kind == "f" else dw.astype(x, _floatx())


def _float_promote(*values) -> list[Tensor]:
    out = _promote(*values)
    return out if out[0].dtype.kind == "f" else [dw.astype(v, _floatx()) for v in out]


def _accumulator(dtype) -> np.dtype:
    """sum/prod of booleans and integers narrower than 32 bits: int32 (Keras); else unchanged."""
    if dtype.kind == "b" or (dtype.kind in "iu" and dtype.itemsize < 4):
        return np.dtype("int32")
    return dtype


def _data(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(convert_to_numpy(x))


def _const(array, dtype=None) -> Tensor:
    """A constant (non-differentiable) result."""
    array = np.asarray(array)
    return Tensor(array if dtype is None else array.astype(dtype, copy=False))


def _ints(array) -> Tensor:
    """An index result as int32, Keras' index dtype."""
    return Tensor(np.asarray(array).astype("int32", copy=False))


def _creation_dtype(dtype, *values) -> np.dtype:
    if dtype is not None:
        return np.dtype(backend.standardize_dtype(dtype))
    return result_type(*values) if values else _floatx()


def _axis(axis, ndim):
    return axis % _py_max(ndim, 1)


# ----------------------------------------------------------------------------- arithmetic


def add(x1, x2):
    """x1 + x2 with broadcasting."""
    return dw.add(*_promote(x1, x2))


def subtract(x1, x2):
    """x1 - x2 with broadcasting."""
    return dw.subtract(*_promote(x1, x2))


def multiply(x1, x2):
    """x1 * x2 with broadcasting (booleans multiply as logical and)."""
    a, b = _promote(x1, x2)
    if a.dtype.kind == "b":
        return _const(np.logical_and(a.data, b.data))
    return dw.multiply(a, b)


def divide(x1, x2):
    """True division; integer inputs give floatx()."""
    return dw.divide(*_float_promote(x1, x2))


true_divide = divide


def divide_no_nan(x1, x2):
    """x1 / x2, with 0 where x2 == 0 (and no NaN or warning there)."""
    a, b = _float_promote(x1, x2)
    zero = b.data == 0
    return dw.where(zero, 0.0, a / dw.where(zero, 1.0, b))


def floor_divide(x1, x2):
    """Division rounded towards -inf (integers stay integers). No gradient (piecewise constant)."""
    a, b = _promote(x1, x2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _const(np.floor_divide(a.data, b.data))


def mod(x1, x2):
    """Remainder with the sign of x2, as np.mod. Differentiable in both: x1 - floor(x1/x2) * x2
    with the floor held constant."""
    a, b = _promote(x1, x2)
    if a.dtype.kind != "f":
        with np.errstate(divide="ignore"):
            return _const(np.mod(a.data, b.data))
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.floor_divide(a.data, b.data)
    return a - q * b


def fmod(x1, x2):
    """Remainder with the sign of x1, as np.fmod (C's fmod). Differentiable like mod."""
    a, b = _promote(x1, x2)
    if a.dtype.kind != "f":
        with np.errstate(divide="ignore"):
            return _const(np.fmod(a.data, b.data))
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.trunc(a.data / b.data)
    return a - q * b


def power(x1, x2):
    """x1 ** x2 with broadcasting (integers stay integers)."""
    a, b = _promote(x1, x2)
    if a.dtype.kind != "f":
        return _const(np.power(a.data, b.data))
    return dw.power(a, b)


def maximum(x1, x2):
    """Element-wise maximum. Ties share the gradient equally (dw.maximum's convention)."""
    a, b = _promote(x1, x2)
    return dw.maximum(a, b) if a.dtype.kind == "f" else _const(np.maximum(a.data, b.data))


def minimum(x1, x2):
    """Element-wise minimum. Ties share the gradient equally (dw.minimum's convention)."""
    a, b = _promote(x1, x2)
    return dw.minimum(a, b) if a.dtype.kind == "f" else _const(np.minimum(a.data, b.data))


def fmax(x1, x2):
    """Element-wise maximum that ignores NaN (returns the other value), as np.fmax."""
    a, b = _promote(x1, x2)
    if a.dtype.kind != "f":
        return maximum(a, b)
    a_nan, b_nan = np.isnan(a.data), np.isnan(b.data)
    safe = dw.maximum(dw.where(a_nan, b, a), dw.where(b_nan, a, b))
    return safe


def fmin(x1, x2):
    """Element-wise minimum that ignores NaN (returns the other value), as np.fmin."""
    a, b = _promote(x1, x2)
    if a.dtype.kind != "f":
        return minimum(a, b)
    a_nan, b_nan = np.isnan(a.data), np.isnan(b.data)
    return dw.minimum(dw.where(a_nan, b, a), dw.where(b_nan, a, b))


def negative(x):
    """-x."""
    x = _t(x)
    return dw.negative(x) if x.dtype.kind == "f" else _const(np.negative(x.data))


def abs(x):  # noqa: A001 - NumPy's name
    """|x|; integers stay integers. Gradient at 0: 0 (dw.abs' convention)."""
    x = _t(x)
    return dw.abs(x) if x.dtype.kind == "f" else _const(np.abs(x.data))


absolute = abs


def fabs(x):
    """|x| as a floating tensor."""
    return dw.abs(_to_float(x))


def square(x):
    """x * x; booleans become int32."""
    x = _t(x)
    if x.dtype.kind == "b":
        x = _as(x, np.dtype("int32"))
    return dw.square(x) if x.dtype.kind == "f" else _const(np.square(x.data))


def sign(x):
    """-1, 0 or 1 with x's dtype. No gradient."""
    x = _t(x)
    return _const(np.sign(x.data))


def reciprocal(x):
    """1 / x as a floating tensor."""
    return 1.0 / _to_float(x)


def hypot(x1, x2):
    """sqrt(x1**2 + x2**2), element-wise."""
    a, b = _float_promote(x1, x2)
    return dw.sqrt(a * a + b * b)


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) without overflow: max + log1p(exp(-|x1 - x2|))."""
    a, b = _float_promote(x1, x2)
    return dw.maximum(a, b) + dw.log1p(dw.exp(-dw.abs(a - b)))


def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2) without overflow."""
    a, b = _float_promote(x1, x2)
    return dw.maximum(a, b) + dw.log1p(dw.power(2.0, -dw.abs(a - b))) / math.log(2.0)


def arctan2(x1, x2):
    """The angle of the point (x2, x1)."""
    return dw.ops.arctan2(*_float_promote(x1, x2))


def heaviside(x1, x2):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0. No gradient."""
    a, b = _float_promote(x1, x2)
    return _const(np.heaviside(a.data, b.data))


def ldexp(x1, x2):
    """x1 * 2**x2 (x2 integer)."""
    a = _to_float(x1)
    exponent = _data(x2)
    if exponent.dtype.kind not in "biu":
        raise TypeError(f"ldexp: x2 must be an integer tensor; got dtype {exponent.dtype}.")
    return a * np.exp2(exponent).astype(a.dtype)


def nextafter(x1, x2):
    """The next representable float after x1 towards x2. No gradient."""
    a, b = _float_promote(x1, x2)
    return _const(np.nextafter(a.data, b.data))


def gcd(x1, x2):
    """Greatest common divisor of integers."""
    a, b = _promote(x1, x2)
    return _const(np.gcd(a.data, b.data))


def lcm(x1, x2):
    """Least common multiple of integers."""
    a, b = _promote(x1, x2)
    return _const(np.lcm(a.data, b.data))


# ----------------------------------------------------------------------------- element-wise math


def _float_unary(op):
    def apply(x):
        return op(_to_float(x))
    return apply


exp = _float_unary(dw.exp)
expm1 = _float_unary(dw.expm1)
log = _float_unary(dw.log)
log1p = _float_unary(dw.log1p)
sqrt = _float_unary(dw.sqrt)
sin = _float_unary(dw.sin)
cos = _float_unary(dw.cos)
tanh = _float_unary(dw.tanh)
tan = _float_unary(dw.ops.tan)
arcsin = _float_unary(dw.ops.arcsin)
arccos = _float_unary(dw.ops.arccos)
arctan = _float_unary(dw.ops.arctan)
sinh = _float_unary(dw.ops.sinh)
cosh = _float_unary(dw.ops.cosh)
arcsinh = _float_unary(dw.ops.arcsinh)
arccosh = _float_unary(dw.ops.arccosh)
arctanh = _float_unary(dw.ops.arctanh)
for _name, _fn in [("exp", exp), ("expm1", expm1), ("log", log), ("log1p", log1p),
                   ("sqrt", sqrt), ("sin", sin), ("cos", cos), ("tanh", tanh), ("tan", tan),
                   ("arcsin", arcsin), ("arccos", arccos), ("arctan", arctan), ("sinh", sinh),
                   ("cosh", cosh), ("arcsinh", arcsinh), ("arccosh", arccosh),
                   ("arctanh", arctanh)]:
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = f"np.{_name} element-wise; integer and boolean inputs become floatx()."


def exp2(x):
    """2 ** x."""
    x = _to_float(x)
    return dw.exp(x * x.dtype.type(math.log(2.0)))


def log2(x):
    """Base-2 logarithm."""
    x = _to_float(x)
    return dw.log(x) / x.dtype.type(math.log(2.0))


def log10(x):
    """Base-10 logarithm."""
    x = _to_float(x)
    return dw.log(x) / x.dtype.type(math.log(10.0))


def cbrt(x):
    """Real cube root (negative for negative x)."""
    x = _to_float(x)
    return dw.sign(x) * dw.power(dw.abs(x), x.dtype.type(1.0 / 3.0))


def sinc(x):
    """sin(pi x) / (pi x), 1 at x = 0."""
    x = _to_float(x)
    zero = x.data == 0
    px = dw.where(zero, 1.0, x) * x.dtype.type(math.pi)
    return dw.where(zero, 1.0, dw.sin(px) / px)


def deg2rad(x):
    """Degrees to radians."""
    x = _to_float(x)
    return x * x.dtype.type(math.pi / 180.0)


def rad2deg(x):
    """Radians to degrees."""
    x = _to_float(x)
    return x * x.dtype.type(180.0 / math.pi)


def i0(x):
    """Modified Bessel function of the first kind, order 0. No gradient in deltaw."""
    x = _to_float(x)
    return _const(np.i0(x.data).astype(x.dtype))


def conj(x):
    """The complex conjugate: x itself for the real tensors deltaw has."""
    return _t(x)


conjugate = conj


def real(x):
    """The real part: x itself for the real tensors deltaw has."""
    return _t(x)


def imag(x):
    """The imaginary part: zeros for the real tensors deltaw has."""
    x = _t(x)
    return _const(np.zeros_like(x.data))


def angle(x):
    """The complex argument: 0 for x >= 0 and pi for x < 0 on real tensors. No gradient."""
    x = _to_float(x)
    return _const(np.angle(x.data).astype(x.dtype))


def _rounding(np_fn, name, keep_int):
    def apply(x):
        x = _t(x)
        if x.dtype.kind != "f" and keep_int:
            return _const(x.data.copy())
        x = _to_float(x)
        return _const(np_fn(x.data))
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = (f"np.{name} element-wise. No gradient (its derivative is 0 almost "
                     "everywhere); use x + stop_gradient(op(x) - x) for a straight-through one.")
    return apply


floor = _rounding(np.floor, "floor", keep_int=False)
ceil = _rounding(np.ceil, "ceil", keep_int=False)
trunc = _rounding(np.trunc, "trunc", keep_int=True)


def round(x, decimals=0):  # noqa: A001 - NumPy's name
    """Round half to even to `decimals` places. No gradient."""
    x = _t(x)
    if x.dtype.kind != "f" and decimals >= 0:
        return _const(x.data.copy())
    return _const(np.round(x.data, decimals))


def clip(x, x_min, x_max):
    """Limit x to [x_min, x_max] (Keras promotes: an int tensor with a float bound is float)."""
    x = _t(x)
    dtype = result_type(x, x_min, x_max) if _py_all(
        _is_python_scalar(b) for b in (x_min, x_max)) else result_type(x)
    x = _as(x, dtype)
    low, high = (np.asarray(_data(b), dtype) for b in (x_min, x_max))
    return dw.clip(x, low, high) if dtype.kind == "f" else _const(np.clip(x.data, low, high))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replace NaN with `nan` and infinities with `posinf` / `neginf` (default: the dtype's
    largest and smallest finite values)."""
    x = _t(x)
    if x.dtype.kind != "f":
        return x
    info = np.finfo(x.dtype)
    d = x.data
    x = dw.where(np.isnan(d), x.dtype.type(nan), x)
    x = dw.where(np.isposinf(d), x.dtype.type(info.max if posinf is None else posinf), x)
    return dw.where(np.isneginf(d), x.dtype.type(info.min if neginf is None else neginf), x)


# ----------------------------------------------------------------------------- comparison, logic


def _compare(np_fn, name):
    def apply(x1, x2):
        a, b = _promote(x1, x2)
        return _const(np_fn(a.data, b.data))
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"np.{name} with Keras' promotion; a boolean tensor, no gradient."
    return apply


equal = _compare(np.equal, "equal")
not_equal = _compare(np.not_equal, "not_equal")
greater = _compare(np.greater, "greater")
greater_equal = _compare(np.greater_equal, "greater_equal")
less = _compare(np.less, "less")
less_equal = _compare(np.less_equal, "less_equal")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def _bitwise(np_fn, name):
    def apply(x, y):  # Keras' argument names for the bitwise functions
        a, b = _promote(x, y)
        return _const(np_fn(a.data, b.data))
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"np.{np_fn.__name__} on integers or booleans, with Keras' promotion."
    return apply


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift")
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift")
left_shift, right_shift = bitwise_left_shift, bitwise_right_shift


def bitwise_invert(x):
    """~x for integers and booleans."""
    return _const(np.invert(_t(x).data))


bitwise_not = bitwise_invert


def logical_not(x):
    """not x, element-wise, as a boolean tensor."""
    return _const(np.logical_not(_t(x).data))


def _predicate(np_fn, name):
    def apply(x):
        return _const(np_fn(_t(x).data))
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"np.{name} element-wise; a boolean tensor."
    return apply


isfinite = _predicate(np.isfinite, "isfinite")
isinf = _predicate(np.isinf, "isinf")
isnan = _predicate(np.isnan, "isnan")
isneginf = _predicate(np.isneginf, "isneginf")
isposinf = _predicate(np.isposinf, "isposinf")
isreal = _predicate(np.isreal, "isreal")
signbit = _predicate(np.signbit, "signbit")


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2|, element-wise."""
    a, b = _promote(x1, x2)
    return _const(np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether isclose holds everywhere, as a 0-d boolean tensor."""
    return _const(np.all(isclose(x1, x2, rtol, atol, equal_nan).data))


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of x1 occurs in x2."""
    return _const(np.isin(_data(x1), _data(x2), assume_unique=assume_unique, invert=invert))


# ----------------------------------------------------------------------------- reductions


def sum(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Sum over `axis`; booleans and small integers sum to int32."""
    x = _t(x)
    if x.dtype.kind != "f":
        return _const(np.sum(x.data, axis=_tuple(axis), keepdims=keepdims),
                      _accumulator(x.dtype))
    return dw.sum(x, _tuple(axis), keepdims)


def _tuple(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over `axis`; booleans and small integers multiply to int32."""
    x = _t(x) if dtype is None else _as(_t(x), np.dtype(backend.standardize_dtype(dtype)))
    if x.dtype.kind != "f":
        return _const(np.prod(x.data, axis=_tuple(axis), keepdims=keepdims),
                      _accumulator(x.dtype))
    return dw.prod(x, _tuple(axis), keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean; integer inputs give floatx()."""
    return dw.mean(_to_float(x), _tuple(axis), keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance (ddof=0); integer inputs give floatx()."""
    return dw.var(_to_float(x), _tuple(axis), 0, keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation (ddof=0); integer inputs give floatx()."""
    return dw.std(_to_float(x), _tuple(axis), 0, keepdims)


def _extremum(dw_fn, np_fn, combine, x, axis, keepdims, initial):
    x = _t(x)
    if x.size == 0 and initial is not None:
        return _const(np_fn(x.data, axis=_tuple(axis), keepdims=keepdims, initial=initial))
    out = dw_fn(x, _tuple(axis), keepdims) if x.dtype.kind == "f" else \
        _const(np_fn(x.data, axis=_tuple(axis), keepdims=keepdims))
    return out if initial is None else combine(out, initial)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - NumPy's name
    """Maximum over `axis` (with `initial` as a lower bound). Ties share the gradient."""
    return _extremum(dw.max, np.max, maximum, x, axis, keepdims, initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - NumPy's name
    """Minimum over `axis` (with `initial` as an upper bound). Ties share the gradient."""
    return _extremum(dw.min, np.min, minimum, x, axis, keepdims, initial)


def amax(x, axis=None, keepdims=False):
    """Maximum over `axis`."""
    return max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    """Minimum over `axis`."""
    return min(x, axis, keepdims)


def ptp(x, axis=None, keepdims=False):
    """max - min over `axis`."""
    return subtract(max(x, axis, keepdims), min(x, axis, keepdims))


def all(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Whether every element over `axis` is non-zero."""
    return _const(np.all(_t(x).data, axis=_tuple(axis), keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Whether any element over `axis` is non-zero."""
    return _const(np.any(_t(x).data, axis=_tuple(axis), keepdims=keepdims))


def count_nonzero(x, axis=None):
    """How many elements over `axis` are non-zero, as int32."""
    return _ints(np.count_nonzero(_t(x).data, axis=_tuple(axis)))


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum (first on ties), int32."""
    return _ints(np.argmax(_t(x).data, axis=axis, keepdims=keepdims))


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum (first on ties), int32."""
    return _ints(np.argmin(_t(x).data, axis=axis, keepdims=keepdims))


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum (over the flattened tensor when axis is None)."""
    x = _t(x) if dtype is None else _as(_t(x), np.dtype(backend.standardize_dtype(dtype)))
    if x.dtype.kind != "f":
        return _const(np.cumsum(x.data, axis=axis), _accumulator(x.dtype)
                      if x.dtype.kind == "b" else x.dtype)
    return dw.cumsum(x, axis)


def cumprod(x, axis=None, dtype=None):
    """Cumulative product (over the flattened tensor when axis is None)."""
    x = _t(x) if dtype is None else _as(_t(x), np.dtype(backend.standardize_dtype(dtype)))
    if x.dtype.kind != "f":
        return _const(np.cumprod(x.data, axis=axis), _accumulator(x.dtype)
                      if x.dtype.kind == "b" else x.dtype)
    return dw.ops.cumprod(x, axis)


def average(x, axis=None, weights=None):
    """Weighted mean: sum(x * w) / sum(w) over `axis`; 1-D weights run along `axis`."""
    x = _to_float(x)
    if weights is None:
        return dw.mean(x, axis)
    x, w = _float_promote(x, weights)
    if axis is not None and w.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[_axis(axis, x.ndim)] = w.shape[0]
        w = dw.reshape(w, tuple(shape))
    return dw.sum(x * w, axis) / dw.sum(dw.broadcast_to(w, x.shape), axis)


# ----------------------------------------------------------------------------- NaN-ignoring


def _without_nan(x, fill):
    x = _t(x)
    if x.dtype.kind != "f":
        return x
    return dw.where(np.isnan(x.data), x.dtype.type(fill), x)


def nansum(x, axis=None, keepdims=False):
    """sum, treating NaN as 0."""
    return sum(_without_nan(x, 0), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    """prod, treating NaN as 1."""
    return prod(_without_nan(x, 1), axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    """cumsum, treating NaN as 0."""
    return cumsum(_without_nan(x, 0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    """cumprod, treating NaN as 1."""
    return cumprod(_without_nan(x, 1), axis, dtype)


def nanmean(x, axis=None, keepdims=False):
    """mean over the non-NaN elements."""
    x = _to_float(x)
    count = np.sum(~np.isnan(x.data), axis=_tuple(axis), keepdims=keepdims)
    return nansum(x, axis, keepdims) / count.astype(x.dtype)


def nanvar(x, axis=None, keepdims=False):
    """Population variance over the non-NaN elements."""
    x = _to_float(x)
    centered = x - nanmean(x, axis, keepdims=True)
    return nanmean(centered * centered, axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    """Population standard deviation over the non-NaN elements."""
    return dw.sqrt(nanvar(x, axis, keepdims))


def nanmax(x, axis=None, keepdims=False):
    """max, ignoring NaN (NaN where a slice is all NaN)."""
    x = _t(x)
    if x.dtype.kind != "f":
        return max(x, axis, keepdims)
    out = max(_without_nan(x, -np.inf), axis, keepdims)
    all_nan = np.all(np.isnan(x.data), axis=_tuple(axis), keepdims=keepdims)
    return dw.where(all_nan, x.dtype.type(np.nan), out)


def nanmin(x, axis=None, keepdims=False):
    """min, ignoring NaN (NaN where a slice is all NaN)."""
    x = _t(x)
    if x.dtype.kind != "f":
        return min(x, axis, keepdims)
    out = min(_without_nan(x, np.inf), axis, keepdims)
    all_nan = np.all(np.isnan(x.data), axis=_tuple(axis), keepdims=keepdims)
    return dw.where(all_nan, x.dtype.type(np.nan), out)


def nanargmax(x, axis=None, keepdims=False):
    """argmax ignoring NaN."""
    return argmax(_without_nan(x, -np.inf), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """argmin ignoring NaN."""
    return argmin(_without_nan(x, np.inf), axis, keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """quantile over the non-NaN elements. No gradient in deltaw."""
    x = _to_float(x)
    return _const(np.nanquantile(x.data, _data(q), axis=_tuple(axis), method=method,
                                 keepdims=keepdims).astype(x.dtype))


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """percentile over the non-NaN elements. No gradient in deltaw."""
    return nanquantile(x, np.asarray(_data(q)) / 100.0, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """median over the non-NaN elements. No gradient in deltaw."""
    return nanquantile(x, 0.5, axis, "linear", keepdims)


# ----------------------------------------------------------------------------- sorting, quantiles


def take_along_axis(x, indices, axis=None):
    """x's values at `indices` along `axis` (the other axes broadcast), as np.take_along_axis.
    Differentiable in x; repeated indices add their gradients up."""
    x = _t(x)
    idx = np.asarray(_data(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers; got dtype {idx.dtype}.")
    if axis is None:
        x, axis = dw.reshape(x, (-1,)), 0
    axis = _axis(axis, x.ndim)
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices must have x's ndim {x.ndim}; got shape "
                         f"{idx.shape}.")
    n = x.shape[axis]
    x_shape = list(x.shape)
    x_shape[axis] = 1
    out_shape = np.broadcast_shapes(tuple(x_shape), idx.shape[:axis] + (1,) + idx.shape[axis + 1:])
    idx = np.broadcast_to(idx, out_shape[:axis] + (idx.shape[axis],) + out_shape[axis + 1:])
    x = dw.broadcast_to(x, out_shape[:axis] + (n,) + out_shape[axis + 1:])
    grid = list(np.ogrid[tuple(builtins.slice(0, s) for s in idx.shape)])
    grid[axis] = np.where(idx < 0, idx + n, idx)
    return x[tuple(grid)]


def argsort(x, axis=-1):
    """Indices that sort x along `axis` (stable), int32; axis=None sorts the flattened tensor."""
    data = _t(x).data
    if axis is None:
        data, axis = data.reshape(-1), 0
    return _ints(np.argsort(data, axis=axis, kind="stable"))


def sort(x, axis=-1):
    """x sorted along `axis`. Differentiable: each gradient goes back to the element that landed
    in that position."""
    x = _t(x)
    if axis is None:
        x, axis = dw.reshape(x, (-1,)), 0
    if x.ndim == 0:
        return x
    order = np.argsort(x.data, axis=axis, kind="stable")
    return take_along_axis(x, order, axis)


def argpartition(x, kth, axis=-1):
    """Indices that partition x around its kth element, int32."""
    return _ints(np.argpartition(_t(x).data, kth, axis=axis))


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion points of `values` into the 1-D `sorted_sequence`, int32."""
    seq = _data(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D; got shape {seq.shape}.")
    return _ints(np.searchsorted(seq, _data(values), side=side))


def digitize(x, bins):
    """The bin index of each element of x, as np.digitize, int32."""
    return _ints(np.digitize(_data(x), _data(bins)))


def _positions(n, q, method):
    """For each quantile q, the two neighbouring order positions and the weight of the upper."""
    pos = np.asarray(q, dtype=np.float64) * (n - 1)
    low = np.floor(pos).astype(int)
    high = np.minimum(low + 1, n - 1)
    frac = pos - low
    if method == "lower":
        frac = np.zeros_like(frac)
    elif method == "higher":
        low, frac = np.ceil(pos).astype(int), np.zeros_like(frac)
    elif method == "midpoint":
        frac = np.where(frac > 0, 0.5, 0.0)
    elif method == "nearest":
        low, frac = np.round(pos).astype(int), np.zeros_like(frac)  # half to even, as NumPy
    elif method != "linear":
        raise ValueError(f"quantile: unknown method {method!r}; expected 'linear', 'lower', "
                         f"'higher', 'midpoint' or 'nearest'.")
    return low, np.minimum(high, n - 1), frac


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th quantiles of x over `axis`, as np.quantile (a 1-D q adds a leading axis).
    Differentiable in x through the sort and the interpolation."""
    x = _to_float(x)
    q_arr = np.asarray(_data(q), dtype=np.float64)
    if np.any((q_arr < 0) | (q_arr > 1)):
        raise ValueError(f"quantile: q must lie in [0, 1]; got {q_arr.tolist()}.")
    ndim = x.ndim
    axes = tuple(range(ndim)) if axis is None else tuple(
        _axis(a, ndim) for a in ((axis,) if isinstance(axis, int) else axis))
    rest = tuple(a for a in range(ndim) if a not in axes)
    moved = dw.transpose(x, rest + axes) if ndim else x
    flat = dw.reshape(moved, tuple(x.shape[a] for a in rest) + (-1,))
    ordered = sort(flat, -1)
    low, high, frac = _positions(ordered.shape[-1], q_arr.reshape(-1), method)
    lo, hi = ordered[..., low], ordered[..., high]
    out = lo + (hi - lo) * frac.astype(x.dtype)  # (..., len(q))
    if keepdims:
        out = dw.reshape(out, tuple(1 if a in axes else x.shape[a] for a in range(ndim)) + (-1,))
    out = dw.moveaxis(out, -1, 0)
    return out if q_arr.ndim else out[0]


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th percentiles (q in [0, 100]) of x over `axis`."""
    return quantile(x, np.asarray(_data(q), dtype=np.float64) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """The median over `axis` (the mean of the middle two for an even count)."""
    return quantile(x, 0.5, axis, "linear", keepdims)


def nonzero(x):
    """A tuple of int32 index tensors, one per axis, of the non-zero elements."""
    return tuple(_ints(i) for i in np.nonzero(_t(x).data))


def unique(x, sorted=True, return_index=False, return_inverse=False,  # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """The sorted unique elements, as np.unique (padded or cut to `size` when given). Index
    outputs are int64, as Keras. No gradient."""
    x = _t(x)
    result = np.unique(x.data, return_index=return_index, return_inverse=return_inverse,
                       return_counts=return_counts, axis=axis)
    parts = list(result) if isinstance(result, tuple) else [result]
    if size is not None:
        values = parts[0][:size]
        pad = size - len(values)
        fill = values.min() if fill_value is None and len(values) else (fill_value or 0)
        parts[0] = np.concatenate([values, np.full(pad, fill, values.dtype)])
    out = [_const(parts[0])] + [_const(p, np.int64) for p in parts[1:]]  # int64, as Keras
    return out[0] if len(out) == 1 else tuple(out)


def bincount(x, weights=None, minlength=0, sparse=False):
    """How often each non-negative integer occurs in x (weighted when `weights` is given).
    int32 counts, or the weights' dtype. No gradient."""
    if sparse:
        raise ValueError("bincount: deltaw tensors are dense; expected sparse=False.")
    data = _data(x)
    if data.dtype.kind not in "iu" or data.ndim != 1:
        raise ValueError(f"bincount: x must be a 1-D integer tensor; got dtype {data.dtype} and "
                         f"shape {data.shape}.")
    if weights is None:
        return _ints(np.bincount(data, minlength=minlength))
    w = _t(weights)
    return _const(np.bincount(data, weights=w.data, minlength=minlength), w.dtype)


def histogram(x, bins=10, range=None):  # noqa: A002 - NumPy's name
    """(counts, bin_edges) of x, as np.histogram, both floatx(). No gradient."""
    data = _data(x)
    if data.ndim != 1:
        raise ValueError(f"histogram: x must be 1-D; got shape {data.shape}.")
    counts, edges = np.histogram(data, bins=bins, range=range)
    return _const(counts, _floatx()), _const(edges, _floatx())


# ----------------------------------------------------------------------------- creation


def array(x, dtype=None):
    """A new tensor from x (Keras' defaults: int32 for Python ints, floatx for floats)."""
    out = convert_to_tensor(x, dtype)
    return out if out is not x else dw.astype(out, out.dtype)


def copy(x):
    """A copy of x (the gradient flows through)."""
    x = _t(x)
    return dw.astype(x, x.dtype)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop); int32 for int bounds, floatx for float ones."""
    step = 1 if step is None else step
    dtype = _creation_dtype(dtype, *(v for v in (start, stop, step) if v is not None))
    args = (start,) if stop is None else (start, stop, step)
    return _const(np.arange(*args) if stop is not None else np.arange(0, start, step), dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from start to stop (floatx unless dtype is given)."""
    dtype = np.dtype(backend.standardize_dtype(dtype)) if dtype is not None else _floatx()
    out = np.linspace(_data(start), _data(stop), num, endpoint=endpoint, retstep=retstep,
                      axis=axis)
    if retstep:
        return _const(out[0], dtype), _const(out[1], dtype)
    return _const(out, dtype)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """base ** linspace(start, stop)."""
    dtype = np.dtype(backend.standardize_dtype(dtype)) if dtype is not None else _floatx()
    return _const(np.logspace(_data(start), _data(stop), num, endpoint=endpoint, base=base,
                              axis=axis), dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from start to stop."""
    dtype = np.dtype(backend.standardize_dtype(dtype)) if dtype is not None else _floatx()
    return _const(np.geomspace(_data(start), _data(stop), num, endpoint=endpoint, axis=axis),
                  dtype)


def _shape_arg(shape):
    return tuple(int(s) for s in np.atleast_1d(_data(shape)))


def _fill_dtype(dtype):
    return np.dtype(backend.standardize_dtype(dtype)) if dtype is not None else _floatx()


def zeros(shape, dtype=None):
    """A tensor of zeros (floatx unless dtype is given)."""
    return _const(np.zeros(_shape_arg(shape), _fill_dtype(dtype)))


def ones(shape, dtype=None):
    """A tensor of ones (floatx unless dtype is given)."""
    return _const(np.ones(_shape_arg(shape), _fill_dtype(dtype)))


def empty(shape, dtype=None):
    """A new tensor of `shape` (deltaw fills it with zeros)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """A tensor filled with `fill_value` (floatx unless dtype is given, as Keras)."""
    return _const(np.full(_shape_arg(shape), _data(fill_value), _fill_dtype(dtype)))


def _like_dtype(x, dtype):
    return np.dtype(backend.standardize_dtype(dtype)) if dtype is not None else _t(x).dtype


def zeros_like(x, dtype=None):
    """Zeros with x's shape and dtype."""
    return _const(np.zeros(_t(x).shape, _like_dtype(x, dtype)))


def ones_like(x, dtype=None):
    """Ones with x's shape and dtype."""
    return _const(np.ones(_t(x).shape, _like_dtype(x, dtype)))


def empty_like(x, dtype=None):
    """A new tensor with x's shape and dtype (deltaw fills it with zeros)."""
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None):
    """`fill_value` with x's shape and dtype."""
    return _const(np.full(_t(x).shape, _data(fill_value), _like_dtype(x, dtype)))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - NumPy's names
    """An N x M matrix with ones on diagonal k."""
    return _const(np.eye(int(N), None if M is None else int(M), int(k), _fill_dtype(dtype)))


def identity(n, dtype=None):
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 - NumPy's names
    """Ones at and below diagonal k."""
    return _const(np.tri(int(N), None if M is None else int(M), int(k), _fill_dtype(dtype)))


def _window(np_fn, name):
    def apply(x):
        return _const(np_fn(int(_data(x))), _floatx())
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"The {name} window of length x, as np.{name}."
    return apply


bartlett = _window(np.bartlett, "bartlett")
blackman = _window(np.blackman, "blackman")
hamming = _window(np.hamming, "hamming")
hanning = _window(np.hanning, "hanning")


def kaiser(x, beta):
    """The Kaiser window of length x with shape parameter beta."""
    return _const(np.kaiser(int(_data(x)), float(_data(beta))), _floatx())


# ----------------------------------------------------------------------------- shape


def ndim(x) -> int:
    """The number of axes of x."""
    return len(_t(x).shape)


def size(x):
    """The number of elements of x."""
    return _const(np.int64(_t(x).size))


def reshape(x, newshape):
    """x with a new shape (one entry may be -1)."""
    return dw.reshape(_t(x), _shape_arg(newshape) if not isinstance(newshape, int) else newshape)


def ravel(x):
    """x flattened to 1-D."""
    return dw.reshape(_t(x), (-1,))


def transpose(x, axes=None):
    """x with its axes permuted (reversed when axes is None)."""
    return dw.transpose(_t(x), None if axes is None else tuple(axes))


def swapaxes(x, axis1, axis2):
    """x with two axes exchanged."""
    return dw.swapaxes(_t(x), axis1, axis2)


def moveaxis(x, source, destination):
    """x with axes moved from `source` to `destination`."""
    return dw.moveaxis(_t(x), source, destination)


def expand_dims(x, axis):
    """x with size-1 axes inserted at `axis`."""
    return dw.expand_dims(_t(x), _tuple(axis))


def squeeze(x, axis=None):
    """x without its size-1 axes (or only those in `axis`)."""
    return dw.squeeze(_t(x), _tuple(axis))


def broadcast_to(x, shape):
    """x broadcast to `shape`."""
    return dw.broadcast_to(_t(x), _shape_arg(shape))


def _same_dtype(xs):
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate: expected at least one tensor; got an empty list.")
    return _promote(*xs)


def concatenate(xs, axis=0):
    """The tensors joined along an existing axis (axis=None: flattened first)."""
    xs = _same_dtype(xs)
    if axis is None:
        xs, axis = [ravel(v) for v in xs], 0
    return dw.concatenate(xs, axis)


def stack(x, axis=0):
    """The tensors joined along a new axis."""
    return dw.stack(_same_dtype(x), axis)


def hstack(xs):
    """Join along axis 1 (axis 0 for 1-D tensors)."""
    xs = _same_dtype(xs)
    return dw.concatenate(xs, 0 if xs[0].ndim == 1 else 1)


def _as_rows(x):
    return dw.reshape(x, (1, -1)) if x.ndim < 2 else x


def vstack(xs):
    """Join along axis 0, 1-D tensors becoming rows."""
    return dw.concatenate([_as_rows(v) for v in _same_dtype(xs)], 0)


def dstack(xs):
    """Join along axis 2, as np.dstack (1-D (n,) -> (1, n, 1); 2-D (m, n) -> (m, n, 1))."""
    out = []
    for v in _same_dtype(xs):
        if v.ndim == 0:
            v = dw.reshape(v, (1, 1, 1))
        elif v.ndim == 1:
            v = dw.reshape(v, (1, v.shape[0], 1))
        elif v.ndim == 2:
            v = dw.reshape(v, (*v.shape, 1))
        out.append(v)
    return dw.concatenate(out, 2)


def append(x1, x2, axis=None):
    """x2 appended to x1 along `axis` (flattened when axis is None)."""
    return concatenate([x1, x2], axis)


def split(x, indices_or_sections, axis=0):
    """x split into equal sections or at the given indices, as np.split."""
    return dw.split(_t(x), indices_or_sections if isinstance(indices_or_sections, int)
                    else [int(i) for i in indices_or_sections], axis)


def array_split(x, indices_or_sections, axis=0):
    """np.array_split: like split, but an int need not divide the axis (the first parts are
    one longer)."""
    x = _t(x)
    if not isinstance(indices_or_sections, int):
        return split(x, indices_or_sections, axis)
    n, parts = x.shape[_axis(axis, x.ndim)], indices_or_sections
    if parts <= 0:
        raise ValueError(f"array_split: the number of sections must be positive; got {parts}.")
    sizes = [n // parts + (1 if i < n % parts else 0) for i in range(parts)]
    return dw.split(x, list(np.cumsum(sizes)[:-1]), axis)


def hsplit(x, indices_or_sections):
    """split along axis 1 (axis 0 for 1-D)."""
    x = _t(x)
    return split(x, indices_or_sections, 0 if x.ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    """split along axis 0."""
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    """split along axis 2."""
    return split(x, indices_or_sections, 2)


def flip(x, axis=None):
    """x with the order of elements along `axis` (all axes when None) reversed."""
    return dw.flip(_t(x), _tuple(axis))


def fliplr(x):
    """Flip along axis 1."""
    return flip(x, 1)


def flipud(x):
    """Flip along axis 0."""
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes`, as np.rot90."""
    x = _t(array)
    a0, a1 = (_axis(a, x.ndim) for a in axes)
    if a0 == a1:
        raise ValueError(f"rot90: axes must differ; got {tuple(axes)}.")
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return dw.flip(dw.flip(x, a0), a1)
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return dw.transpose(dw.flip(x, a1), tuple(perm))
    return dw.flip(dw.transpose(x, tuple(perm)), a1)


def roll(x, shift, axis=None):
    """x with its elements shifted cyclically by `shift` along `axis` (flattened when None)."""
    x = _t(x)
    if axis is None:
        return dw.reshape(roll(dw.reshape(x, (-1,)), shift, 0), x.shape)
    shifts = np.broadcast_to(np.atleast_1d(_data(shift)), np.shape(np.atleast_1d(axis)))
    for s, a in zip(shifts, np.atleast_1d(axis), strict=True):
        a = _axis(int(a), x.ndim)
        order = np.roll(np.arange(x.shape[a]), int(s))
        x = x[(builtins.slice(None),) * a + (order,)]
    return x


def tile(x, repeats):
    """x repeated `repeats` times per axis, as np.tile."""
    return dw.tile(_t(x), tuple(np.atleast_1d(_data(repeats)).tolist()))


def repeat(x, repeats, axis=None):
    """Each element repeated, as np.repeat."""
    r = _data(repeats)
    return dw.repeat(_t(x), int(r) if r.ndim == 0 else r.tolist(), axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """x padded, as np.pad ('constant', 'edge', 'reflect', 'symmetric', 'wrap')."""
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: constant_values only applies to mode='constant'; got "
                         f"mode={mode!r}.")
    return dw.pad(_t(x), np.asarray(_data(pad_width)), mode,
                  0 if constant_values is None else constant_values)


def get_item(x, key):
    """x[key] with NumPy's indexing."""
    return _t(x)[key]


def take(x, indices, axis=None):
    """Elements of x at `indices` along `axis` (of the flattened x when None)."""
    x = _t(x)
    idx = _data(indices)
    if idx.dtype.kind not in "iu":
        idx = idx.astype(np.int64)
    if axis is None:
        return dw.reshape(x, (-1,))[idx]
    return x[(builtins.slice(None),) * _axis(axis, x.ndim) + (idx,)]


def where(condition, x1=None, x2=None):
    """x1 where condition holds, else x2; with neither, the indices of non-zero elements."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: pass both x1 and x2, or neither.")
    a, b = _promote(x1, x2)
    cond = _data(condition).astype(bool)
    return dw.where(cond, a, b) if a.dtype.kind == "f" else _const(np.where(cond, a.data, b.data))


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, element-wise, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length; got "
                         f"{len(condlist)} and {len(choicelist)}.")
    values = _promote(*choicelist, default)
    out = values[-1]
    for cond, choice in zip(reversed(condlist), reversed(values[:-1]), strict=True):
        out = where(cond, choice, out)
    return out


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors, as np.meshgrid."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'; got {indexing!r}.")
    xs = [ravel(v) for v in x]
    shape = [len(v) for v in xs]
    if indexing == "xy" and len(xs) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, v in enumerate(xs):
        axis = (1 if i == 0 else 0 if i == 1 else i) if indexing == "xy" and len(xs) >= 2 else i
        view = [1] * len(xs)
        view[axis] = len(v)
        out.append(dw.broadcast_to(dw.reshape(v, tuple(view)), tuple(shape)))
    return out


def unravel_index(indices, shape):
    """Flat indices as a tuple of int32 coordinate tensors."""
    return tuple(_ints(i) for i in np.unravel_index(_data(indices), tuple(shape)))


def view(x, dtype=None):
    """x's bytes reinterpreted as `dtype`. No gradient."""
    x = _t(x)
    return x if dtype is None else _const(x.data.view(backend.standardize_dtype(dtype)))


# ----------------------------------------------------------------------------- matrices


def _last_two(x, axis1, axis2):
    return dw.moveaxis(x, (axis1, axis2), (-2, -1))


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal `offset` of the planes (axis1, axis2), as the last axis of the result."""
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal: x must have at least 2 axes; got shape {x.shape}.")
    m = _last_two(x, axis1, axis2)
    rows, cols = m.shape[-2], m.shape[-1]
    start_r, start_c = (0, offset) if offset >= 0 else (-offset, 0)
    n = _py_max(0, _py_min(rows - start_r, cols - start_c))
    i = np.arange(n)
    return m[..., start_r + i, start_c + i]


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the diagonal `offset`."""
    return sum(diagonal(x, offset, axis1, axis2), -1)


def diag(x, k=0):
    """The k-th diagonal of a 2-D x, or a 2-D matrix with the 1-D x on its k-th diagonal."""
    x = _t(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: x must be 1-D or 2-D; got shape {x.shape}.")
    n = x.shape[0] + _py_abs(k)
    i = np.arange(x.shape[0])
    rows, cols = (i, i + k) if k >= 0 else (i - k, i)
    if x.dtype.kind != "f":
        out = np.zeros((n, n), x.dtype)
        out[rows, cols] = x.data
        return _const(out)
    return dw.ops.scatter_add(x, np.stack([rows, cols], -1), (n, n))


def diagflat(x, k=0):
    """A 2-D matrix with the flattened x on its k-th diagonal."""
    return diag(ravel(x), k)


def _triangle(x, k, lower):
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"{'tril' if lower else 'triu'}: x must have at least 2 axes; got "
                         f"shape {x.shape}.")
    keep = np.tri(x.shape[-2], x.shape[-1], k, dtype=bool)
    keep = keep if lower else ~np.tri(x.shape[-2], x.shape[-1], k - 1, dtype=bool)
    zero = x.dtype.type(0)
    return dw.where(keep, x, zero) if x.dtype.kind == "f" else _const(np.where(keep, x.data, zero))


def tril(x, k=0):
    """x with the elements above diagonal k zeroed."""
    return _triangle(x, k, True)


def triu(x, k=0):
    """x with the elements below diagonal k zeroed."""
    return _triangle(x, k, False)


def matmul(x1, x2):
    """Matrix product with NumPy's rules for 1-D and batched operands."""
    a, b = _promote(x1, x2)
    if a.dtype.kind != "f":
        return _const(np.matmul(a.data, b.data))
    return dw.matmul(a, b)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def tensordot(x1, x2, axes=2):
    """Sum of products over the given axes, as np.tensordot."""
    a, b = _promote(x1, x2)
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = (list(np.atleast_1d(v)) for v in axes)
    axes_a = [_axis(int(v), a.ndim) for v in axes_a]
    axes_b = [_axis(int(v), b.ndim) for v in axes_b]
    sa = list(_LETTERS[:a.ndim])
    sb = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for i, j in zip(axes_a, axes_b, strict=True):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in axes_a] + \
        [c for j, c in enumerate(sb) if j not in axes_b]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, as np.einsum."""
    ops = _promote(*operands)
    if ops[0].dtype.kind != "f":
        return _const(np.einsum(subscripts, *(o.data for o in ops)))
    return dw.einsum(subscripts, *ops)


def dot(x1, x2):
    """np.dot: product for scalars, inner product for vectors, matmul-like otherwise."""
    a, b = _promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim == 1:
        return tensordot(a, b, ([-1], [0]))
    return tensordot(a, b, ([-1], [-2]))


def vdot(x1, x2):
    """The inner product of the flattened tensors."""
    return sum(multiply(ravel(x1), ravel(x2)))


def inner(x1, x2):
    """Sum of products over the last axes."""
    a, b = _promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    return tensordot(a, b, ([-1], [-1]))


def outer(x1, x2):
    """The outer product of the flattened tensors."""
    a, b = _promote(ravel(x1), ravel(x2))
    return multiply(dw.reshape(a, (-1, 1)), dw.reshape(b, (1, -1)))


def kron(x1, x2):
    """The Kronecker product, as np.kron."""
    a, b = _promote(x1, x2)
    nd = _py_max(a.ndim, b.ndim)
    a = dw.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = dw.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    a_view, b_view = [], []
    for da, db in zip(a.shape, b.shape, strict=True):
        a_view += [da, 1]
        b_view += [1, db]
    out = multiply(dw.reshape(a, tuple(a_view)), dw.reshape(b, tuple(b_view)))
    return dw.reshape(out, tuple(da * db for da, db in zip(a.shape, b.shape, strict=True)))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors are extended with a zero z), as np.cross."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _promote(x1, x2)
    a, b = dw.moveaxis(a, axisa, -1), dw.moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: the vector axes must have size 2 or 3; got {a.shape[-1]} and "
                         f"{b.shape[-1]}.")
    ax, ay = a[..., 0], a[..., 1]
    bx, by = b[..., 0], b[..., 1]
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return ax * by - ay * bx
    az = a[..., 2] if a.shape[-1] == 3 else zeros_like(ax)
    bz = b[..., 2] if b.shape[-1] == 3 else zeros_like(bx)
    out = dw.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], -1)
    return dw.moveaxis(out, -1, axisc)


def diff(a, n=1, axis=-1):
    """The n-th discrete difference along `axis`."""
    x = _t(a)
    axis = _axis(axis, x.ndim)
    lead = (builtins.slice(None),) * axis
    for _ in range(n):
        x = subtract(x[lead + (builtins.slice(1, None),)], x[lead + (builtins.slice(None, -1),)])
    return x


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of y by the trapezoidal rule along `axis`."""
    y = _to_float(y)
    axis = _axis(axis, y.ndim)
    lead = (builtins.slice(None),) * axis
    mid = (y[lead + (builtins.slice(1, None),)] + y[lead + (builtins.slice(None, -1),)]) * 0.5
    if x is None:
        return sum(mid, axis) * y.dtype.type(dx)
    widths = diff(_as(_t(x), y.dtype), axis=-1 if _t(x).ndim == 1 else axis)
    if widths.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[axis] = widths.shape[0]
        widths = dw.reshape(widths, tuple(shape))
    return sum(mid * widths, axis)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors, as np.correlate ('valid', 'same', 'full')."""
    a, v = _float_promote(x1, x2)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"correlate: expected 1-D tensors; got shapes {a.shape} and {v.shape}.")
    if a.shape[0] < v.shape[0]:  # np.correlate swaps and reverses
        return flip(correlate(v, a, mode), 0)
    n, m = a.shape[0], v.shape[0]
    pads = {"valid": (0, 0), "same": (m // 2, m - 1 - m // 2), "full": (m - 1, m - 1)}
    if mode not in pads:
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full'; got {mode!r}.")
    padded = dw.pad(a, [pads[mode]])
    count = n + _py_sum(pads[mode]) - m + 1
    windows = padded[np.arange(count)[:, None] + np.arange(m)[None, :]]
    return dw.matmul(windows, v)


def vander(x, N=None, increasing=False):  # noqa: N803 - NumPy's name
    """The Vandermonde matrix of the 1-D x: columns x**(N-1), ..., x**0 (or increasing)."""
    x = _t(x)
    n = x.shape[0] if N is None else int(N)
    powers = range(n) if increasing else range(n - 1, -1, -1)
    if x.dtype.kind != "f":
        return _const(np.vander(x.data, n, increasing))
    return dw.stack([dw.power(x, x.dtype.type(p)) for p in powers], -1)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of x."""
    x = _to_float(x)
    if x.ndim == 1:
        x = dw.reshape(x, (1, -1))
    centered = x - dw.mean(x, 1, keepdims=True)
    cov = dw.matmul(centered, dw.transpose(centered))
    d = dw.sqrt(diagonal(cov))
    return cov / (dw.reshape(d, (-1, 1)) * dw.reshape(d, (1, -1)))


def slogdet(x):
    """(sign, log|det x|) of a (batch of) square matrices; the second is differentiable."""
    x = _to_float(x)
    sign_ = np.linalg.slogdet(x.data)[0] if x.ndim >= 2 else None
    return _const(sign_, x.dtype), dw.ops.slogdet_logabs(x)


# ----------------------------------------------------------------------------- vectorize


def _core_dims(signature):
    """'(m,n),(n)->(m)' -> ([['m', 'n'], ['n']], [['m']])."""
    try:
        inputs, outputs = signature.replace(" ", "").split("->")
        def parse(side):
            return [[d for d in group.split(",") if d] for group in side[1:-1].split("),(")]
        return parse(inputs), parse(outputs)
    except ValueError:
        raise ValueError(f"vectorize: invalid signature {signature!r}; expected a form like "
                         "'(m,n),(n)->(m)'.") from None


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` applied over the broadcast loop axes of its arguments, as np.vectorize: each call
    gets scalars (or, with `signature`, the core axes it names). deltaw loops in Python and
    stacks the results, so gradients flow through `pyfunc`'s own ops; fine for the small batches
    it is used on, slow for large ones. `excluded` names positional indices or keywords passed
    through unchanged."""
    excluded = set(excluded or ())
    in_core, out_core = _core_dims(signature) if signature else (None, None)

    def vectorized(*args, **kwargs):
        looped = [i for i in range(len(args)) if i not in excluded]
        tensors = {i: _t(args[i]) for i in looped}
        cores = in_core or [[] for _ in looped]
        if len(cores) != len(looped):
            raise ValueError(f"vectorize: the signature names {len(cores)} inputs; got "
                             f"{len(looped)} vectorized arguments.")
        loop_shape = np.broadcast_shapes(*(tensors[i].shape[:tensors[i].ndim - len(c)]
                                           for i, c in zip(looped, cores, strict=True)))
        for i, c in zip(looped, cores, strict=True):
            tensors[i] = dw.broadcast_to(tensors[i], loop_shape + tensors[i].shape[
                tensors[i].ndim - len(c):])
        results = []
        for index in np.ndindex(*loop_shape):
            call = [tensors[i][index] if i in tensors else a for i, a in enumerate(args)]
            results.append(pyfunc(*call, **kwargs))
        multiple = isinstance(results[0], tuple) if results else False
        columns = list(zip(*results, strict=True)) if multiple else [results]
        outs = [dw.reshape(dw.stack([_t(r) for r in col]), loop_shape + _t(col[0]).shape)
                for col in columns]
        if out_core is not None and len(out_core) != len(outs):
            raise ValueError(f"vectorize: the signature names {len(out_core)} outputs; pyfunc "
                             f"returned {len(outs)}.")
        return tuple(outs) if multiple else outs[0]

    return vectorized
