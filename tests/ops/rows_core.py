"""Op-table rows for deltaw.ops (the NumPy-named ops).

Every op exported by deltaw.ops has at least one row. Differentiable rows are gradchecked in
float64 (test_gradcheck.py); rows with grad_args=() are checked against their reference only.
Generators stay away from kinks and ties; the conventions at those points have exact-value tests
in tests/autograd/test_kinks.py.
"""

from __future__ import annotations

import numpy as np

import deltaw as dw
from tests.ops.op_table import OpSpec
from tests.ops.samples import (
    ErrorCase,
    Sample,
    binary_broadcast,
    fixed,
    unary,
    with_kwargs,
)

rng0 = np.random.default_rng(1234)  # fixed data for rows built from literal samples


def _u(*shape, low=-2.0, high=2.0):
    return rng0.uniform(low, high, shape)


def _all(axis, x):
    """torch's dim for NumPy's axis=None: every axis."""
    return tuple(range(x.ndim)) if axis is None else axis


# ----------------------------------------------------------------------------- sample generators

REDUCE_SHAPES = [(), (1,), (3,), (2, 3), (2, 1, 4)]
REDUCE_AXES = [None, 0, -1, 1, (0, 2), (-1, 0)]


def _valid(axis, ndim):
    axes = () if axis is None else (axis,) if isinstance(axis, int) else axis
    in_range = all(-ndim <= a < ndim for a in axes)
    return in_range and len({a % max(ndim, 1) for a in axes}) == len(axes)


def reduction(axes=REDUCE_AXES, keepdims=(False, True), shapes=REDUCE_SHAPES, low=-2.0, high=2.0,
              extra=None, min_count=1):
    """Every valid (shape, axis, keepdims) combination; `extra` adds kwargs (e.g. ddof)."""
    def make(rng):
        out = []
        for s in shapes:
            for axis in axes:
                if not _valid(axis, len(s)):
                    continue
                for kd in keepdims:
                    kw = {"axis": axis, "keepdims": kd, **(extra or {})}
                    if _count(s, axis) < min_count:
                        continue
                    name = f"shape{s}-axis{axis}-keepdims{kd}".replace(" ", "")
                    out.append(Sample((rng.uniform(low, high, s),), kw, name))
        return out
    return make


def _count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


def shaped(*cases, low=-2.0, high=2.0):
    """(shape, kwargs) pairs -> one sample each."""
    def make(rng):
        return [Sample((rng.uniform(low, high, s),), dict(kw),
                       f"shape{s}-{_kw(kw)}".replace(" ", "")) for s, kw in cases]
    return make


def _kw(kw):
    return "-".join(f"{k}{v}" for k, v in kw.items()) or "default"


def arrays(*cases, low=-2.0, high=2.0):
    """(name, shapes, kwargs) -> one sample with a uniform array per shape."""
    def make(rng):
        return [Sample(tuple(rng.uniform(low, high, s) for s in shapes), dict(kw), name)
                for name, shapes, kw in cases]
    return make


def _distinct(*shape):
    """Values with no ties (for max/min with several equal-looking draws)."""
    n = int(np.prod(shape))
    return (rng0.permutation(n) * 0.37 - n * 0.15).reshape(shape)


# ----------------------------------------------------------------------------- NumPy references


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _torch_prod(t, x, axis=None, keepdims=False):
    if axis is None:
        out = t.prod(x)
        return out.reshape((1,) * x.ndim) if keepdims else out
    axes = sorted((a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)), reverse=True)
    for a in axes:
        x = t.prod(x, dim=a, keepdim=keepdims)
    return x


def _split_join(lib):
    """split, then weight each piece differently and join again (one output for gradcheck)."""
    def fn(x, indices_or_sections, axis=0):
        parts = lib.split(x, indices_or_sections, axis=axis)
        return lib.concatenate([p * (i + 1.0) for i, p in enumerate(parts)], axis=axis)
    return fn


def _torch_split_join(t, x, indices_or_sections, axis=0):
    parts = t.tensor_split(x, indices_or_sections, dim=axis)
    return t.cat([p * (i + 1.0) for i, p in enumerate(parts)], dim=axis)


def _torch_expand_dims(t, x, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    ndim = x.ndim + len(axes)
    for a in sorted(a % ndim for a in axes):
        x = x.unsqueeze(a)
    return x


def _torch_squeeze(t, x, axis=None):
    return x.squeeze() if axis is None else x.squeeze(axis)


def _torch_pad(t, x, pad_width, mode="constant", constant_values=0):
    widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    flat = [int(v) for pair in widths[::-1] for v in pair]
    return t.nn.functional.pad(x, flat, value=float(constant_values))


# ----------------------------------------------------------------------------- rows: arithmetic

ARITHMETIC = [
    OpSpec("add", dw.add, np.add, binary_broadcast(), grad_args=(0, 1),
           torch=lambda t, a, b: t.add(a, b)),
    OpSpec("subtract", dw.subtract, np.subtract, binary_broadcast(), grad_args=(0, 1),
           torch=lambda t, a, b: t.sub(a, b)),
    OpSpec("multiply", dw.multiply, np.multiply, binary_broadcast(), grad_args=(0, 1),
           torch=lambda t, a, b: t.mul(a, b)),
    OpSpec("divide", dw.divide, np.divide, binary_broadcast(low2=0.5, high2=2.0),
           grad_args=(0, 1), torch=lambda t, a, b: t.div(a, b)),
    OpSpec("power", dw.power, np.power, binary_broadcast(0.5, 2.0, -1.5, 2.5), grad_args=(0, 1),
           torch=lambda t, a, b: t.pow(a, b)),
    OpSpec("negative", dw.negative, np.negative, unary(), torch=lambda t, a: t.neg(a)),
    OpSpec("maximum", dw.maximum, np.maximum, binary_broadcast(avoid_equal=True),
           grad_args=(0, 1), torch=lambda t, a, b: t.maximum(a, b)),
    OpSpec("minimum", dw.minimum, np.minimum, binary_broadcast(avoid_equal=True),
           grad_args=(0, 1), torch=lambda t, a, b: t.minimum(a, b)),
]

COMPARISON = [
    OpSpec(name, getattr(dw, name), getattr(np, name), binary_broadcast(), grad_args=(),
           torch=lambda t, a, b, _n=tname: getattr(t, _n)(a, b))
    for name, tname in [("less", "lt"), ("less_equal", "le"), ("greater", "gt"),
                        ("greater_equal", "ge"), ("equal", "eq"), ("not_equal", "ne")]
] + [
    OpSpec("equal", dw.equal, np.equal, fixed(Sample((np.array([1.0, 2.0, 3.0]),
                                                      np.array([1.0, 0.0, 3.0])), name="ties")),
           variant="ties", grad_args=()),
]

# ----------------------------------------------------------------------------- rows: unary

UNARY = [
    OpSpec("exp", dw.exp, np.exp, unary(), torch=lambda t, x: t.exp(x)),
    OpSpec("log", dw.log, np.log, unary(0.1, 5.0), torch=lambda t, x: t.log(x)),
    OpSpec("log1p", dw.log1p, np.log1p, unary(-0.5, 3.0), torch=lambda t, x: t.log1p(x)),
    OpSpec("expm1", dw.expm1, np.expm1, unary(), torch=lambda t, x: t.expm1(x)),
    OpSpec("sqrt", dw.sqrt, np.sqrt, unary(0.1, 4.0), torch=lambda t, x: t.sqrt(x)),
    OpSpec("square", dw.square, np.square, unary(), torch=lambda t, x: t.square(x)),
    OpSpec("abs", dw.abs, np.abs, unary(avoid=(0.0,)), torch=lambda t, x: t.abs(x)),
    OpSpec("sign", dw.sign, np.sign, unary(avoid=(0.0,)), grad_args=(),
           torch=lambda t, x: t.sign(x)),
    OpSpec("sign", dw.sign, np.sign, fixed(Sample((np.array([-1.5, 0.0, 2.0]),), name="zero")),
           variant="zero", grad_args=()),
    OpSpec("tanh", dw.tanh, np.tanh, unary(-3.0, 3.0), torch=lambda t, x: t.tanh(x)),
    OpSpec("sin", dw.sin, np.sin, unary(-3.0, 3.0), torch=lambda t, x: t.sin(x)),
    OpSpec("cos", dw.cos, np.cos, unary(-3.0, 3.0), torch=lambda t, x: t.cos(x)),
    OpSpec("astype", lambda x: dw.astype(x, x.dtype), lambda x: x.astype(x.dtype), unary(),
           variant="same-dtype"),
    OpSpec("astype", lambda x: x.astype("float64"), lambda x: x.astype(np.float64), unary(),
           variant="to-float64"),  # float32 -> float64 -> float32 grads: tests/autograd
    OpSpec("astype", lambda x: dw.astype(x, "int64"), lambda x: x.astype(np.int64),
           unary(-5.0, 5.0), variant="to-int", grad_args=()),
]

# ----------------------------------------------------------------------------- rows: reduction

_AXIS_ERR = ErrorCase((np.ones((2, 3)),), dw.AxisError,
                      r"^sum: axis 3 is out of range for a tensor of ndim 2\.$", {"axis": 3})

REDUCTION = [
    OpSpec("sum", dw.sum, np.sum, reduction(), errors=(
        _AXIS_ERR,
        ErrorCase((np.ones((2, 3)),), dw.AxisError, r"sum: axis -3 is out of range",
                  {"axis": -3}),
        ErrorCase((np.ones((2, 3)),), ValueError, r"sum: repeated axis", {"axis": (0, -2)}),
    ), torch=lambda t, x, axis=None, keepdims=False: t.sum(x, dim=_all(axis, x), keepdim=keepdims)),
    OpSpec("sum", lambda x: x.sum(axis=1, keepdims=True), lambda x: x.sum(axis=1, keepdims=True),
           shaped(((2, 3), {})), variant="method"),
    OpSpec("mean", dw.mean, np.mean, reduction(), errors=(
        ErrorCase((np.ones((2, 0)),), ValueError, r"mean: cannot reduce an empty axis",
                  {"axis": 1}),
        ErrorCase((np.ones((2, 3)),), dw.AxisError, r"mean: axis 2 is out of range",
                  {"axis": 2}),
    ), torch=lambda t, x, axis=None, keepdims=False: t.mean(x, dim=_all(axis, x),
                                                            keepdim=keepdims)),
    OpSpec("var", dw.var, np.var, reduction(), variant="ddof0",
           torch=lambda t, x, axis=None, keepdims=False, ddof=0: t.var(
               x, dim=_all(axis, x), correction=ddof, keepdim=keepdims)),
    OpSpec("var", dw.var, np.var, reduction(extra={"ddof": 1}, min_count=2), variant="ddof1",
           errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                             r"var: ddof=3 leaves no degrees of freedom for 3 elements per "
                             r"reduction; expected ddof < 3\.", {"axis": 1, "ddof": 3}),),
           torch=lambda t, x, axis=None, keepdims=False, ddof=0: t.var(
               x, dim=_all(axis, x), correction=ddof, keepdim=keepdims)),
    OpSpec("var", lambda x: x.var(0, 1), lambda x: x.var(0, ddof=1), shaped(((3, 2), {})),
           variant="method-positional"),
    OpSpec("std", dw.std, np.std, reduction(min_count=2), variant="ddof0",
           torch=lambda t, x, axis=None, keepdims=False, ddof=0: t.std(
               x, dim=_all(axis, x), correction=ddof, keepdim=keepdims)),
    OpSpec("std", dw.std, np.std, reduction(axes=(None, -1), extra={"ddof": 1}, min_count=2),
           variant="ddof1", errors=(ErrorCase((np.ones(1),), ValueError, r"std: ddof=1 leaves",
                                              {"ddof": 1}),),
           torch=lambda t, x, axis=None, keepdims=False, ddof=0: t.std(
               x, dim=_all(axis, x), correction=ddof, keepdim=keepdims)),
    OpSpec("max", dw.max, np.max, reduction(), errors=(
        ErrorCase((np.ones((0, 3)),), ValueError, r"max: cannot reduce an empty axis", {}),),
        torch=lambda t, x, axis=None, keepdims=False: t.amax(x, dim=_all(axis, x),
                                                             keepdim=keepdims)),
    OpSpec("max", dw.max, np.max, fixed(Sample((_distinct(3, 4),), {"axis": 0}, "distinct")),
           variant="spread"),
    OpSpec("min", dw.min, np.min, reduction(),
           torch=lambda t, x, axis=None, keepdims=False: t.amin(x, dim=_all(axis, x),
                                                                keepdim=keepdims)),
    OpSpec("prod", dw.prod, np.prod, reduction(low=0.5, high=1.5), torch=_torch_prod),
    OpSpec("prod", dw.prod, np.prod, fixed(
        Sample((np.array([[2.0, 0.0, 3.0], [1.5, -1.0, 2.0]]),), {"axis": 1}, "one-zero"),
        Sample((np.array([[0.0, 0.0, 3.0], [1.5, 0.0, 2.0]]),), {}, "two-zeros"),
        Sample((np.array([0.0, 1.5, -2.0]),), {"axis": 0, "keepdims": True}, "zero-keepdims"),
    ), variant="zeros", torch=_torch_prod),
    OpSpec("logsumexp", dw.logsumexp, _logsumexp, reduction(low=-3.0, high=3.0),
           errors=(ErrorCase((np.ones((2, 3)),), dw.AxisError,
                             r"logsumexp: axis 5 is out of range", {"axis": 5}),),
           torch=lambda t, x, axis=None, keepdims=False: t.logsumexp(x, dim=_all(axis, x),
                                                                     keepdim=keepdims)),
    OpSpec("logsumexp", dw.logsumexp, _logsumexp, fixed(
        Sample((np.array([[1000.0, 1000.5], [-1000.0, -999.0]]),), {"axis": 1}, "large"),
    ), variant="stable", torch=lambda t, x, axis=None, keepdims=False: t.logsumexp(x, dim=axis)),
    OpSpec("cumsum", dw.cumsum, np.cumsum, with_kwargs(
        unary(shapes=[(), (1,), (4,), (2, 3), (2, 1, 3)]), {"axis": None}, {"axis": 0},
        {"axis": -1}), errors=(ErrorCase((np.ones((2, 3)),), dw.AxisError,
                                         r"cumsum: axis 2 is out of range", {"axis": 2}),),
           torch=lambda t, x, axis=None: t.cumsum(x.reshape(-1) if axis is None or x.ndim == 0
                                                  else x, dim=0 if axis is None else axis)),
    OpSpec("argmax", dw.argmax, np.argmax, reduction(axes=(None, 0, -1)), grad_args=(),
           torch=lambda t, x, axis=None, keepdims=False: t.argmax(x, dim=axis, keepdim=keepdims)
           if axis is not None or not keepdims else t.argmax(x).reshape((1,) * x.ndim)),
    OpSpec("argmin", dw.argmin, np.argmin, reduction(axes=(None, 0, -1)), grad_args=(),
           errors=(ErrorCase((np.ones((0,)),), ValueError, r"argmin: cannot reduce an empty"),),
           torch=lambda t, x, axis=None, keepdims=False: t.argmin(x, dim=axis, keepdim=keepdims)
           if axis is not None or not keepdims else t.argmin(x).reshape((1,) * x.ndim)),
]

# ----------------------------------------------------------------------------- rows: shape

SHAPE = [
    OpSpec("reshape", dw.reshape, np.reshape, shaped(
        ((2, 3), {"shape": (3, 2)}), ((2, 3), {"shape": (-1,)}), ((6,), {"shape": (2, 1, -1)}),
        ((), {"shape": (1, 1)}), ((1,), {"shape": ()}), ((2, 1, 3), {"shape": 6})),
        errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                          r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) "
                          r"into shape \(4,\)", {"shape": (4,)}),),
        torch=lambda t, x, shape: t.reshape(x, (shape,) if isinstance(shape, int) else shape)),
    OpSpec("reshape", lambda x: x.reshape(3, -1), lambda x: x.reshape(3, -1),
           shaped(((2, 3), {})), variant="method"),
    OpSpec("transpose", dw.transpose, np.transpose, shaped(
        ((2, 3), {}), ((3,), {}), ((), {}), ((2, 3, 4), {"axes": (1, 2, 0)}),
        ((2, 3, 4), {"axes": (-1, 0, 1)}), ((2, 1, 3), {"axes": None})),
        errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                          r"transpose: axes must be a permutation of range\(2\)",
                          {"axes": (0, 0)}),
                ErrorCase((np.ones((2, 3)),), dw.AxisError, r"transpose: axis 2 is out of range",
                          {"axes": (2, 0)})),
        torch=lambda t, x, axes=None: x.permute(tuple(axes) if axes is not None
                                                else tuple(range(x.ndim - 1, -1, -1)))),
    OpSpec("transpose", lambda x: x.T, lambda x: x.T, shaped(((2, 3), {})), variant="T"),
    OpSpec("transpose", lambda x: x.transpose(1, 0, 2), lambda x: x.transpose(1, 0, 2),
           shaped(((2, 3, 4), {})), variant="method"),
    OpSpec("swapaxes", dw.swapaxes, np.swapaxes, shaped(
        ((2, 3), {"axis1": 0, "axis2": 1}), ((2, 3, 4), {"axis1": -1, "axis2": 0}),
        ((3,), {"axis1": 0, "axis2": 0})),
        errors=(ErrorCase((np.ones((2, 3)),), dw.AxisError, r"swapaxes: axis 2 is out of range",
                          {"axis1": 2, "axis2": 0}),),
        torch=lambda t, x, axis1, axis2: t.swapaxes(x, axis1, axis2)),
    OpSpec("swapaxes", lambda x: x.swapaxes(0, 2), lambda x: x.swapaxes(0, 2),
           shaped(((2, 3, 4), {})), variant="method"),
    OpSpec("moveaxis", dw.moveaxis, np.moveaxis, shaped(
        ((2, 3, 4), {"source": 0, "destination": -1}),
        ((2, 3, 4), {"source": (0, 1), "destination": (2, 0)}),
        ((2, 3), {"source": -1, "destination": 0})),
        errors=(ErrorCase((np.ones((2, 3)),), ValueError, r"moveaxis: source and destination "
                          r"must have the same number of axes",
                          {"source": (0, 1), "destination": 0}),),
        torch=lambda t, x, source, destination: t.movedim(x, source, destination)),
    OpSpec("expand_dims", dw.expand_dims, np.expand_dims, shaped(
        ((3,), {"axis": 0}), ((2, 3), {"axis": -1}), ((), {"axis": 0}),
        ((2, 3), {"axis": (0, 3)}), ((2, 3), {"axis": 1})),
        errors=(ErrorCase((np.ones((2, 3)),), dw.AxisError,
                          r"expand_dims: axis 3 is out of range for a tensor of ndim 3",
                          {"axis": 3}),),
        torch=_torch_expand_dims),
    OpSpec("squeeze", dw.squeeze, np.squeeze, shaped(
        ((1, 3, 1), {}), ((1, 3, 1), {"axis": 0}), ((1, 3, 1), {"axis": -1}),
        ((1, 3, 1), {"axis": (0, 2)}), ((1,), {}), ((3,), {})),
        errors=(ErrorCase((np.ones((1, 3)),), ValueError,
                          r"squeeze: axis 1 has size 3; expected size 1", {"axis": 1}),),
        torch=_torch_squeeze),
    OpSpec("squeeze", lambda x: x.squeeze(0), lambda x: x.squeeze(0), shaped(((1, 3), {})),
           variant="method"),
    OpSpec("broadcast_to", dw.broadcast_to, np.broadcast_to, shaped(
        ((3,), {"shape": (2, 3)}), ((2, 1), {"shape": (2, 4)}), ((), {"shape": (3,)}),
        ((1,), {"shape": (2, 2, 3)}), ((2, 1, 3), {"shape": (4, 2, 5, 3)})),
        errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                          r"broadcast_to: cannot broadcast a tensor of shape \(2, 3\) to shape "
                          r"\(4,\)", {"shape": (4,)}),),
        torch=lambda t, x, shape: t.broadcast_to(x, shape)),
    OpSpec("concatenate", lambda *xs, axis=0: dw.concatenate(xs, axis=axis),
           lambda *xs, axis=0: np.concatenate(xs, axis=axis), arrays(
               ("axis0", [(2, 3), (1, 3)], {}), ("axis1", [(2, 3), (2, 1), (2, 2)], {"axis": 1}),
               ("axis-1", [(2, 1, 2), (2, 1, 3)], {"axis": -1}), ("1d", [(1,), (3,)], {}),
               ("single", [(2, 3)], {"axis": 1}), ("axisNone", [(2, 3), (4,)], {"axis": None})),
           grad_args=(0, 1, 2), errors=(
               ErrorCase((np.ones((2, 3)), np.ones((3, 2))), ValueError,
                         r"concatenate: input 1 has shape \(3, 2\) but input 0 has shape "
                         r"\(2, 3\); expected equal sizes on every axis except axis 0\."),
               ErrorCase((np.ones((2, 3)), np.ones((2, 3))), dw.AxisError,
                         r"concatenate: axis 2 is out of range", {"axis": 2}),
               ErrorCase((np.ones(()), np.ones(())), ValueError,
                         r"concatenate: 0-d tensors cannot be concatenated"),
           ), torch=lambda t, *xs, axis=0: t.cat([x.reshape(-1) for x in xs] if axis is None
                                                  else xs, dim=0 if axis is None else axis)),
    OpSpec("stack", lambda *xs, axis=0: dw.stack(xs, axis=axis),
           lambda *xs, axis=0: np.stack(xs, axis=axis), arrays(
               ("axis0", [(2, 3), (2, 3)], {}), ("axis-1", [(2, 3)] * 3, {"axis": -1}),
               ("scalars", [(), ()], {}), ("axis1", [(2,), (2,)], {"axis": 1})),
           grad_args=(0, 1, 2), errors=(
               ErrorCase((np.ones((2, 3)), np.ones((3, 2))), ValueError,
                         r"stack: input 1 has shape \(3, 2\) but input 0 has shape \(2, 3\)"),
               ErrorCase((np.ones(2), np.ones(2)), dw.AxisError, r"stack: axis 2 is out of range",
                         {"axis": 2}),
           ), torch=lambda t, *xs, axis=0: t.stack(xs, dim=axis)),
    OpSpec("split", _split_join(dw), _split_join(np), shaped(
        ((4, 3), {"indices_or_sections": 2}), ((4, 3), {"indices_or_sections": [1, 3]}),
        ((2, 6), {"indices_or_sections": 3, "axis": -1}),
        ((5,), {"indices_or_sections": [2, 2, 4]})),
        errors=(ErrorCase((np.ones((5, 2)),), ValueError,
                          r"split: axis 0 of size 5 does not divide into 2 equal sections",
                          {"indices_or_sections": 2}),),
        torch=_torch_split_join),
    OpSpec("split", lambda x: dw.split(x, 3, axis=1)[1], lambda x: np.split(x, 3, axis=1)[1],
           shaped(((2, 3), {})), variant="one-piece"),
    OpSpec("pad", dw.pad, np.pad, shaped(
        ((2, 3), {"pad_width": 1}), ((2, 3), {"pad_width": (1, 2)}),
        ((2, 3), {"pad_width": ((0, 1), (2, 0))}),
        ((3,), {"pad_width": 2, "constant_values": 1.5})),
        errors=(ErrorCase((np.ones((2, 3)),), ValueError, r"pad: pad_width must be non-negative",
                          {"pad_width": -1}),
                ErrorCase((np.ones((2, 3)),), ValueError, r"pad: unsupported mode 'mean'",
                          {"pad_width": 1, "mode": "mean"}),
                ErrorCase((np.ones((2, 3)),), ValueError, r"pad: pad_width must broadcast to",
                          {"pad_width": ((1, 2, 3),)}),
                ErrorCase((np.ones((2, 3)),), TypeError, r"pad: pad_width must hold ints",
                          {"pad_width": 1.5})),
        torch=_torch_pad),
    OpSpec("pad", dw.pad, np.pad, shaped(
        ((2, 3), {"pad_width": 1, "mode": "edge"}),
        ((3, 4), {"pad_width": ((1, 2), (2, 1)), "mode": "reflect"}),
        ((3,), {"pad_width": 2, "mode": "symmetric"}),
        ((2, 3), {"pad_width": ((1, 0), (4, 2)), "mode": "wrap"}), ((), {"pad_width": 1})),
        variant="copy-modes-and-0d"),
    OpSpec("flip", dw.flip, np.flip, shaped(
        ((4,), {}), ((2, 3), {"axis": 0}), ((2, 3), {"axis": -1}), ((2, 3, 2), {"axis": (0, 2)}),
        ((), {})), errors=(ErrorCase((np.ones((2, 3)),), dw.AxisError,
                                     r"flip: axis 2 is out of range", {"axis": 2}),),
        torch=lambda t, x, axis=None: t.flip(x, _all(axis, x) if not isinstance(axis, int)
                                              else (axis,))),
    OpSpec("tile", dw.tile, np.tile, shaped(
        ((3,), {"reps": 2}), ((2, 3), {"reps": (2, 1)}), ((2,), {"reps": (2, 1, 3)}),
        ((2, 1, 2), {"reps": 2}), ((), {"reps": 3})),
        errors=(ErrorCase((np.ones(2),), ValueError, r"tile: reps must be non-negative",
                          {"reps": -1}),),
        torch=lambda t, x, reps: t.tile(x, (reps,) if isinstance(reps, int) else reps)),
    OpSpec("repeat", dw.repeat, np.repeat, shaped(
        ((3,), {"repeats": 2}), ((2, 3), {"repeats": 2}), ((2, 3), {"repeats": 3, "axis": -1}),
        ((2, 3), {"repeats": [1, 0, 2], "axis": 1}), ((2, 3), {"repeats": [2, 1], "axis": 0}),
        ((), {"repeats": 3}), ((2, 3), {"repeats": [2], "axis": 1})),
        errors=(ErrorCase((np.ones(3),), ValueError, r"repeat: repeats must be a non-negative",
                          {"repeats": -1}),
                ErrorCase((np.ones((2, 3)),), ValueError,
                          r"repeat: got 2 repeat counts for axis 1 of size 3; expected 1 or 3",
                          {"repeats": [1, 2], "axis": 1})),
        torch=lambda t, x, repeats, axis=None: t.repeat_interleave(
            x, t.tensor(repeats) if isinstance(repeats, list) and len(repeats) > 1
            else repeats[0] if isinstance(repeats, list) else repeats, dim=axis)),
    OpSpec("repeat", lambda x: x.repeat(2, 0), lambda x: x.repeat(2, 0), shaped(((2, 3), {})),
           variant="method"),
]

# ----------------------------------------------------------------------------- rows: indexing


def _index_add_ref(values, index, shape, accumulate=True):
    out = np.zeros(shape, dtype=values.dtype)
    np.add.at(out, index, values)
    return out


def _index_rows():
    x43, x4, x234 = _u(4, 3), _u(4), _u(2, 3, 4)
    basic = [
        ("int", x43, 1), ("negative-int", x43, -1), ("slice", x43, slice(1, 3)),
        ("slice-step", x43, slice(None, None, 2)), ("tuple", x43, (2, slice(0, 2))),
        ("none-ellipsis", x234, (None, Ellipsis, 1)), ("ellipsis-slice", x234, (..., slice(1, 3))),
        ("int-int", x43, (1, 2)), ("scalar-of-0d", np.array(1.5), ()),
        ("list-repeated", x43, [0, 0, 2]), ("list-empty", x43, []),
    ]
    rows = [OpSpec("getitem", lambda x, index: x[index], lambda x, index: x[index],
                   fixed(*(Sample((x,), {"index": i}, n) for n, x, i in basic)),
                   variant="basic", errors=(
                       ErrorCase((np.ones((3, 2)),), IndexError,
                                 r"^getitem: index 5 is out of range for axis 0 of size 3; "
                                 r"expected an index in \[-3, 2\]\.$", {"index": 5}),
                       ErrorCase((np.ones((3, 2)),), IndexError,
                                 r"getitem: index -3 is out of range for axis 1 of size 2",
                                 {"index": (slice(None), -3)}),
                       ErrorCase((np.ones((3, 2)),), IndexError,
                                 r"getitem: index 7 is out of range for axis 1 of size 2",
                                 {"index": (Ellipsis, [0, 7])}),
                       ErrorCase((np.ones((3, 2)),), IndexError,
                                 r"getitem: too many indices for a tensor of ndim 2",
                                 {"index": (0, 0, 0)}),
                       ErrorCase((np.ones((3, 2)),), IndexError,
                                 r"getitem: boolean mask of shape \(2,\) does not match",
                                 {"index": np.array([True, False])}),
                       ErrorCase((np.ones((3, 2)),), IndexError, r"^getitem: only integers",
                                 {"index": 1.5}),
                   ), torch=lambda t, x, index: x[index])]
    rows.append(OpSpec("getitem", lambda x, index: x[index], lambda x, index: x[index],
                       fixed(Sample((x43,), {"index": slice(None, None, -1)}, "reverse"),
                             Sample((x234,), {"index": (slice(None), slice(3, 0, -2))}, "step-2")),
                       variant="negative-step"))  # torch has no negative steps
    arrays_ = [
        ("int-array-repeated", x43, (np.array([0, 2, 0, 0]),)),
        ("int-array-1d-repeated", x4, (np.array([3, 1, 3, -1, 0]),)),  # bincount path
        ("int-array-2d-on-1d", x4, (np.array([[0, 1], [1, 1]]),)),
        ("int-array-negative", x43, (np.array([-1, -4, -1]),)),
        ("int-array-2d", x43, (np.array([[0, 1], [3, 3]]),)),
        ("bool-mask", x43, (x43 > 0,)),
        ("bool-mask-rows", x43, (np.array([True, False, True, True]),)),
    ]
    rows.append(OpSpec("getitem", lambda x, i: x[i], lambda x, i: x[i],
                       fixed(*(Sample((x, *i), name=n) for n, x, i in arrays_)),
                       variant="advanced", torch=lambda t, x, i: x[i]))
    rows.append(OpSpec("getitem", lambda x, i: x[dw.tensor(i)], lambda x, i: x[i], fixed(
        Sample((x43, np.array([1, 1, 3])), name="int-tensor"),
        Sample((x43, np.array([True, False, False, True])), name="bool-tensor")),
        variant="tensor-index", torch=lambda t, x, i: x[i]))
    pairs = [
        ("rows-cols", x43, np.array([0, 3, 0]), np.array([1, 2, 1])),
        ("broadcast", x43, np.array([[0], [3]]), np.array([0, 2, 2])),
    ]
    rows.append(OpSpec("getitem", lambda x, i, j: x[i, j], lambda x, i, j: x[i, j],
                       fixed(*(Sample((x, i, j), name=n) for n, x, i, j in pairs)),
                       variant="int-array-pair", torch=lambda t, x, i, j: x[i, j]))
    rows.append(OpSpec("getitem", lambda x, i: x[:, i, 1:], lambda x, i: x[:, i, 1:],
                       fixed(Sample((x234, np.array([2, 2, 0])), name="slice-array-slice")),
                       variant="mixed", torch=lambda t, x, i: x[:, i, 1:]))
    rows.append(OpSpec("index_add", dw.ops.index_add, _index_add_ref, fixed(
        Sample((_u(5),), {"index": np.array([0, 2, 0, 3, 0]), "shape": (4,)}, "repeated"),
        Sample((_u(2, 3),), {"index": (slice(None), 1), "shape": (2, 4, 3)}, "basic"),
        Sample((_u(2, 3),), {"index": (slice(1, 3),), "shape": (4, 3), "accumulate": False},
               "assign"),
        Sample((_u(3, 2, 2),), {"index": (np.array([1, 1, 0]), slice(None)), "shape": (2, 2, 2)},
               "rows-repeated"))))
    rows.append(OpSpec("getitem", dw.getitem, lambda x, index: x[index],
                       fixed(Sample((x43,), {"index": (slice(None), 0)}, "function")),
                       variant="function"))
    return rows


INDEXING = _index_rows()

# ----------------------------------------------------------------------------- rows: linalg

MATMUL_CASES = [
    ("2dx2d", (2, 3), (3, 4)), ("1dx1d", (3,), (3,)), ("1dx2d", (3,), (3, 2)),
    ("2dx1d", (2, 3), (3,)), ("batched", (2, 2, 3), (2, 3, 4)), ("3dx2d", (2, 2, 3), (3, 2)),
    ("2dx3d", (2, 3), (2, 3, 2)), ("broadcast-batch", (2, 1, 2, 3), (3, 3, 2)),
    ("1dx3d", (3,), (2, 3, 2)), ("3dx1d", (2, 2, 3), (3,)), ("size1", (1, 1), (1, 1)),
    ("4dx2d", (2, 1, 2, 3), (3, 2)),   # stacked rows times a matrix: the one-GEMM path
]

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(3,), (3,)]), ("ij->ji", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
    ("ij,jk", [(2, 3), (3, 2)]), ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]),
    ("ij,j->i", [(2, 3), (3,)]), ("ijk,j->ik", [(2, 3, 2), (3,)]),  # k summed nowhere else
    ("ij,k->i", [(2, 3), (2,)]),  # j and k are summed out inside one operand each
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("iij,j->i", [(2, 2, 3), (3,)]), ("bi,bi->b", [(3, 4), (3, 4)]),
]

LINALG = [
    OpSpec("matmul", dw.matmul, np.matmul,
           fixed(*(Sample((_u(*a), _u(*b)), name=n) for n, a, b in MATMUL_CASES)),
           grad_args=(0, 1), errors=(
               ErrorCase((np.ones((32, 10)), np.ones((64, 1))), ValueError,
                         r"^matmul: shapes \(32, 10\) and \(64, 1\) do not align "
                         r"\(10 != 64\)\.$"),
               ErrorCase((np.ones(3), np.ones(4)), ValueError,
                         r"matmul: shapes \(3,\) and \(4,\) do not align \(3 != 4\)"),
               ErrorCase((np.ones(()), np.ones(3)), ValueError,
                         r"matmul: scalar operands are not supported"),
               ErrorCase((np.ones((2, 2, 3)), np.ones((3, 3, 2))), ValueError,
                         r"matmul: the batch axes of shapes \(2, 2, 3\) and \(3, 3, 2\) do not "
                         r"broadcast"),
           ), torch=lambda t, a, b: t.matmul(a, b)),
    OpSpec("matmul", lambda a, b: a @ b, lambda a, b: a @ b,
           fixed(Sample((_u(2, 3), _u(3, 2)), name="operator")), variant="operator",
           grad_args=(0, 1)),
    OpSpec("einsum", lambda *xs, subscripts: dw.einsum(subscripts, *xs),
           lambda *xs, subscripts: np.einsum(subscripts, *xs),
           fixed(*(Sample(tuple(_u(*s) for s in shapes), {"subscripts": sub}, sub)
                   for sub, shapes in EINSUM_CASES)),
           grad_args=(0, 1, 2), errors=(
               ErrorCase((np.ones((2, 3)), np.ones((4, 2))), ValueError, r"^einsum: ",
                         {"subscripts": "ij,jk->ik"}),
               ErrorCase((np.ones((2, 3)),), ValueError,
                         r"einsum: subscripts 'ij,jk->ik' name 2 operands; got 1",
                         {"subscripts": "ij,jk->ik"}),
               ErrorCase((np.ones((2, 3)),), ValueError,
                         r"einsum: term 'ijk' has 3 labels for an operand of shape \(2, 3\)",
                         {"subscripts": "ijk->i"}),
               ErrorCase((np.ones((2, 3)),), ValueError, r"einsum: invalid subscript characters",
                         {"subscripts": "i1->i"}),
           ), torch=lambda t, *xs, subscripts: t.einsum(subscripts, *xs)),
]

# ----------------------------------------------------------------------------- rows: selection


def _where_samples(rng):
    out = []
    for c, a, b in [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((3,), (2, 1), (2, 3)),
                    ((), (2,), (2,))]:
        out.append(Sample((np.asarray(rng.uniform(size=c) > 0.5), rng.uniform(-2, 2, a),
                           rng.uniform(-2, 2, b)), name=f"{c}-{a}-{b}"))
    return out


SELECTION = [
    OpSpec("where", dw.where, np.where, _where_samples, grad_args=(1, 2),
           torch=lambda t, c, a, b: t.where(c, a, b)),
    OpSpec("where", lambda c, a, b: dw.where(dw.tensor(c), a, 0.5),
           lambda c, a, b: np.where(c, a, 0.5), _where_samples, variant="tensor-cond-scalar",
           grad_args=(1,)),
    OpSpec("clip", dw.clip, np.clip, with_kwargs(
        unary(avoid=(-0.5, 1.0)), {"a_min": -0.5, "a_max": 1.0}, {"a_min": None, "a_max": 1.0},
        {"a_min": -0.5, "a_max": None}), torch=lambda t, x, a_min, a_max: t.clamp(x, a_min, a_max)),
    OpSpec("clip", lambda x: dw.clip(x, min=-1.0), lambda x: np.clip(x, -1.0, None),
           unary(avoid=(-1.0,)), variant="min-keyword"),
    OpSpec("clip", lambda x: x.clip(-1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0),
           unary(avoid=(-1.0, 1.0)), variant="method"),
    OpSpec("clip", lambda x, lo, hi: dw.clip(x, lo, hi), lambda x, lo, hi: np.clip(x, lo, hi),
           fixed(Sample((np.array([[-2.0, 0.3], [0.7, 2.0]]), np.array([-1.0, 0.5]),
                         np.array([1.0, 1.5])), name="array-bounds")), variant="array-bounds"),
]

ROWS = [*ARITHMETIC, *COMPARISON, *UNARY, *REDUCTION, *SHAPE, *INDEXING, *LINALG, *SELECTION]
