"""Loss functions: per-sample values, with Keras' argument order `(y_true, y_pred)`.

Each function reduces over the last axis (or `axis`) as the `keras.losses` functions do and returns
one value per sample; the Keras `Loss` classes (deltaw.keras.losses) apply sample weights and the
batch reduction. Every loss is a single primitive with its backward beside it, for stability and
speed: the cross entropies from logits work from log-softmax / log-sigmoid and never form
probabilities they then take the log of.

Shared conventions:

- `y_true` is cast to `y_pred`'s dtype (float32 in, float32 out); integer `y_pred` becomes float32.
- Like Keras, regression losses and binary cross entropy first bring `y_true` and `y_pred` to the
  same rank when they differ by one trailing size-1 axis (Keras' `squeeze_or_expand_to_same_rank`),
  so labels of shape `(n,)` against predictions of shape `(n, 1)` give `n` losses, not `n * n`.
- `y_true` gets a gradient too, where it is floating (soft targets, distillation); integer class ids
  of the sparse loss get none.
- `reduction="none"` (the default) returns the per-sample values; `reduction="mean"` returns
  their mean as a 0-d tensor inside the same primitive (with `ignore_class`, the mean over the
  entries not ignored; 0 when every entry is ignored). That is Keras' "sum_over_batch_size"
  reduction without sample weights, so the Keras Loss classes record one op instead of three
  (loss, sum, divide).
- From probabilities, deltaw does not clip p to [1e-7, 1 - 1e-7] as Keras does (which distorts
  every loss below 1e-7). It clamps log(p) and log(1 - p) at -100 as PyTorch's BCELoss does: a
  correct p = 1 costs exactly 0, a totally wrong p = 0 costs 100 per element, and both stay
  finite, gradients included.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from deltaw._checks import normalize_axis
from deltaw.autograd.engine import sum_to_shape
from deltaw.autograd.op import primitive
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.nn._kernels import loss_numba
from deltaw.nn.activations import _log1p_unit, _sigmoid_from

__all__ = [
    "binary_cross_entropy", "categorical_cross_entropy", "huber", "mae", "mean_absolute_error",
    "mean_squared_error", "mse", "sparse_categorical_cross_entropy",
]

_LOG_FLOOR = -100.0  # PyTorch BCELoss's clamp of log(p)
_LOG_FLOOR_AT = math.exp(_LOG_FLOOR)  # below this p, log(p) is clamped and its derivative is 0
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
# log(max(p, smallest subnormal)) is finite for p = 0 (no warning) and below -100 in float32
# and float64, so the clamp decides; float16's range only reaches log = -16.6.
_SUBNORMAL = {d: float(np.finfo(d).smallest_subnormal) for d in _FLOATS}
# 1 / max(p, smallest normal) stays finite, so gradients at p -> 0 are huge but never inf.
_TINY = {d: float(np.finfo(d).tiny) for d in _FLOATS}


# ---------------------------------------------------------------- shared helpers


def _prepare(y_true, y_pred):
    p = y_pred if y_pred.dtype.kind == "f" else y_pred.astype(DEFAULT_FLOAT)
    t = y_true if y_true.dtype == p.dtype else y_true.astype(p.dtype)
    return t, p


def _align(t, p):
    """Keras' squeeze_or_expand_to_same_rank(y_true, y_pred): ranks differing by a trailing 1."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        return (t, p[..., None]) if p.ndim == 1 else (t[..., 0], p)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        return (t[..., None], p) if t.ndim == 1 else (t, p[..., 0])
    return t, p


def _restore(g, aligned_shape, shape):
    # Undo _align's reshape. A reshape is not a broadcast, so the engine cannot undo it: sum any
    # broadcast first (as the engine would), then give the input its own shape back.
    if aligned_shape == shape:
        return g
    if g.shape != aligned_shape:
        g = sum_to_shape(g, aligned_shape)
    return g.reshape(shape)


def _last_axis(where, axis, ndim):
    """The reduced axis as a non-negative int, or None for a 0-d value (its own mean)."""
    if ndim == 0:
        return None
    return ndim - 1 if axis == -1 else normalize_axis(where, axis, ndim)


def _mean(v, ax):
    if ax is None:
        return v
    # a size-1 axis (binary labels of shape (batch, 1)) is a free squeeze, not a reduction
    return v.squeeze(ax) if v.shape[ax] == 1 else v.mean(axis=ax)


def _spread(xp, g, shape, ax):
    """The per-sample gradient, given back the averaged axis: g / n on each of its n entries."""
    if ax is None:
        return g
    g = g.reshape(g.shape[:ax] + (1,) + g.shape[ax:])
    return g if shape[ax] == 1 else g * (1.0 / shape[ax])


_REDUCTIONS = ("none", "mean")


def _check_reduction(where, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'none' or 'mean'; got {reduction!r}.")


def _reduce(values, reduction, valid=None):
    """(output, what backward needs to undo it): the per-sample values themselves, or their mean
    over the entries in `valid` (all when None) as a 0-d array."""
    if reduction == "none":
        return values, None
    count = values.size if valid is None else int(valid.sum())
    total = np.add.reduce(values, axis=None)   # values.sum() without its Python wrapper
    mean = total / count if count else total * 0  # 0 when nothing counts
    return np.asarray(mean, dtype=values.dtype), (values.shape, count or math.inf)


def _unreduce(xp, g, reduced):
    """The gradient of each per-sample value from the gradient of `_reduce`'s output."""
    if reduced is None:
        return g
    shape, count = reduced
    if xp is not np:  # create_graph: the same spread as an op
        return xp.broadcast_to(g / count, shape)
    out = xp.empty(shape, dtype=g.dtype)  # empty + fill: np.broadcast_to is slow Python code
    out.fill(g / count)  # d mean / d v_i = 1 / count (ignored entries are masked later)
    return out


def _safe_log(xp, p):
    """max(log(p), -100) with no warning at p = 0 (or for p < 0, treated as 0)."""
    return xp.maximum(xp.log(xp.maximum(p, _SUBNORMAL.get(p.dtype, 0.0))), _LOG_FLOOR)


def _dlog(xp, p):
    """Derivative of _safe_log: 1/p where the log is not clamped, else 0; finite for tiny p."""
    return (p > _LOG_FLOOR_AT) / xp.maximum(p, _TINY.get(p.dtype, 0.0))


def _check_smoothing(where, label_smoothing):
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1]; expected a value in [0, 1], "
                         f"got {label_smoothing!r}.")


# ---------------------------------------------------------------- regression


def _difference(where, y_true, y_pred):
    t, p = _prepare(y_true, y_pred)
    ta, pa = _align(t, p)
    try:
        d = pa - ta
    except ValueError:
        raise ValueError(f"{where}: y_true and y_pred must have broadcastable shapes; expected "
                         f"y_true of shape {y_pred.shape}, got {y_true.shape}.") from None
    return d, (t.shape, ta.shape, p.shape, pa.shape)


def _rebuilt_difference(xp, d, y_true, y_pred):
    """The saved difference, or under create_graph (xp is not numpy) the same difference rebuilt
    from the input Tensors, so that it is differentiated again."""
    if xp is np:
        return d
    t, p = _prepare(y_true, y_pred)
    ta, pa = _align(t, p)
    return pa - ta


def _difference_grads(gd, shapes, needs):
    """Gradients of both inputs from dL/d(y_pred - y_true)."""
    t_shape, ta_shape, p_shape, pa_shape = shapes
    return (_restore(-gd, ta_shape, t_shape) if needs[0] else None,
            _restore(gd, pa_shape, p_shape) if needs[1] else None)


@primitive("mean_squared_error")
def mean_squared_error(xp, y_true, y_pred, reduction="none"):
    """Mean squared error per sample: mean((y_pred - y_true)^2, axis=-1). `mse` is an alias.

    Gradient: 2 (y_pred - y_true) / n for y_pred, the negative for y_true.

    Args:
        y_true: Targets, broadcastable to `y_pred` (after Keras' rank alignment).
        y_pred: Predictions.
        reduction: "none" (per-sample values) or "mean" (their mean, a 0-d tensor). The other
            losses take the same argument.

    Returns:
        Tensor of shape `y_pred.shape[:-1]` (after rank alignment), or 0-d for "mean".

    Example:
        >>> dw.nn.mse(dw.tensor([[0.0, 1.0]]), dw.tensor([[1.0, 1.0]]))
        tensor([0.5])
    """
    _check_reduction("mean_squared_error", reduction)
    d, shapes = _difference("mean_squared_error", y_true, y_pred)
    ax = d.ndim - 1 if d.ndim else None
    out, reduced = _reduce(_mean(d * d, ax), reduction)
    return out, (d, ax, shapes, reduced, y_true, y_pred)


@mean_squared_error.backward
def _mean_squared_error_backward(xp, g, saved, needs):
    d, ax, shapes, reduced, y_true, y_pred = saved
    d = _rebuilt_difference(xp, d, y_true, y_pred)
    g = _unreduce(xp, g, reduced)
    return _difference_grads(_spread(xp, g, d.shape, ax) * (2 * d), shapes, needs)  # 2 d / n


mse = mean_squared_error


@primitive("mean_absolute_error")
def mean_absolute_error(xp, y_true, y_pred, reduction="none"):
    """Mean absolute error per sample: mean(|y_pred - y_true|, axis=-1). `mae` is an alias.

    Gradient: sign(y_pred - y_true) / n, so 0 where y_pred == y_true (as TensorFlow's abs).
    """
    _check_reduction("mean_absolute_error", reduction)
    d, shapes = _difference("mean_absolute_error", y_true, y_pred)
    ax = d.ndim - 1 if d.ndim else None
    out, reduced = _reduce(_mean(xp.abs(d), ax), reduction)
    return out, (d, ax, shapes, reduced, y_true, y_pred)


@mean_absolute_error.backward
def _mean_absolute_error_backward(xp, g, saved, needs):
    d, ax, shapes, reduced, y_true, y_pred = saved
    d = _rebuilt_difference(xp, d, y_true, y_pred)
    g = _unreduce(xp, g, reduced)
    return _difference_grads(_spread(xp, g, d.shape, ax) * xp.sign(d), shapes, needs)


mae = mean_absolute_error


@primitive("huber")
def huber(xp, y_true, y_pred, delta=1.0, reduction="none"):
    """Huber loss per sample (Keras): mean of 0.5 d^2 where |d| <= delta, else
    delta * |d| - 0.5 delta^2, with d = y_pred - y_true, over the last axis.

    Gradient: clip(d, -delta, delta) / n (continuous at |d| = delta).

    Raises:
        ValueError: `delta` is not positive.

    Example:
        >>> dw.nn.huber(dw.tensor([[0.0, 0.0]]), dw.tensor([[0.5, 3.0]]))
        tensor([1.3125])
    """
    if not delta > 0:
        raise ValueError(f"huber: delta must be positive; expected delta > 0, got {delta!r}.")
    _check_reduction("huber", reduction)
    d, shapes = _difference("huber", y_true, y_pred)
    ax = d.ndim - 1 if d.ndim else None
    a = xp.abs(d)
    c = xp.minimum(a, delta)
    elem = c * (a - 0.5 * c)  # 0.5 a^2 for a <= delta, delta a - 0.5 delta^2 beyond: no np.where
    out, reduced = _reduce(_mean(elem, ax), reduction)
    return out, (d, ax, delta, shapes, reduced, y_true, y_pred)


@huber.backward
def _huber_backward(xp, g, saved, needs):
    d, ax, delta, shapes, reduced, y_true, y_pred = saved
    d = _rebuilt_difference(xp, d, y_true, y_pred)
    g = _unreduce(xp, g, reduced)
    gd = _spread(xp, g, d.shape, ax) * xp.minimum(xp.maximum(d, -delta), delta)
    return _difference_grads(gd, shapes, needs)


# ---------------------------------------------------------------- binary cross entropy


def _full(xp, g, like):
    """g broadcast to `like`'s shape and dtype, as a contiguous array (a kernel reads it flat)."""
    if g.shape == like.shape and g.dtype == like.dtype and g.flags.c_contiguous:
        return g
    out = xp.empty(like.shape, like.dtype)
    out[...] = g
    return out


def _bce_kernels(xp, t, p):
    """The compiled binary cross-entropy (numba, deltaw's `fast` extra) for contiguous float32
    arrays; None for the NumPy path (also the reference the kernel tests compare against)."""
    if (xp is not np or p.dtype != np.float32 or t.dtype != np.float32
            or not (p.flags.c_contiguous and t.flags.c_contiguous)):
        return None
    return loss_numba.load()


def _binary_inputs(where, y_true, y_pred, label_smoothing, axis):
    t, p = _prepare(y_true, y_pred)
    ta, pa = _align(t, p)
    if ta.shape != pa.shape:
        raise ValueError(f"{where}: y_true and y_pred must have the same shape; expected y_true "
                         f"of shape {y_pred.shape}, got {y_true.shape}.")
    if label_smoothing:
        ta = ta * (1 - label_smoothing) + 0.5 * label_smoothing
    ax = _last_axis(where, axis, pa.ndim)
    return ta, pa, ax, (t.shape, ta.shape, p.shape, pa.shape)


def _binary_grads(gt, gp, shapes):
    t_shape, ta_shape, p_shape, pa_shape = shapes
    return (None if gt is None else _restore(gt, ta_shape, t_shape),
            None if gp is None else _restore(gp, pa_shape, p_shape))


@primitive("binary_cross_entropy")
def _binary_from_probs(xp, y_true, y_pred, label_smoothing=0.0, axis=-1, reduction="none"):
    t, p, ax, shapes = _binary_inputs("binary_cross_entropy", y_true, y_pred, label_smoothing, axis)
    kernels = _bce_kernels(xp, t, p)
    if kernels is not None:                    # one compiled pass, NumPy's formulas and clamps
        f32 = np.float32
        elem = xp.empty(p.shape, p.dtype)
        plain = kernels.bce_forward(t.reshape(-1), p.reshape(-1), f32(_LOG_FLOOR),
                                    f32(_LOG_FLOOR_AT), f32(_SUBNORMAL[p.dtype]),
                                    elem.reshape(-1))
        out, reduced = _reduce(_mean(elem, ax), reduction)
        return out, (t, p, None, plain, ax, label_smoothing, shapes, reduced,
                     (y_true, y_pred, axis))
    q = 1 - p
    # p (1 - p) > e^-100 exactly when both p and 1 - p are (each is at most 1): then no log is
    # clamped and the plain formulas below give the same values in fewer NumPy calls, and
    # backward can use the product. Any p at or beyond the clamp (or outside [0, 1]) fails the
    # test and takes the guarded path.
    pq = p * q
    if pq.size and pq.min() > _LOG_FLOOR_AT:
        elem = -(t * xp.log(p)) - (1 - t) * xp.log(q)  # +0.0, not -0.0, if exact
    else:
        pq = None
        elem = -(t * _safe_log(xp, p)) - (1 - t) * _safe_log(xp, q)
    out, reduced = _reduce(_mean(elem, ax), reduction)
    return out, (t, p, q, pq, ax, label_smoothing, shapes, reduced, (y_true, y_pred, axis))


@_binary_from_probs.backward
def _binary_from_probs_backward(xp, g, saved, needs):
    t, p, q, pq, ax, label_smoothing, shapes, reduced, inputs = saved
    gs = _spread(xp, _unreduce(xp, g, reduced), p.shape, ax)
    gp = None
    if xp is not np:  # create_graph: labels and p rebuilt from the inputs; the guarded formulas
        y_true, y_pred, axis = inputs
        t, p, ax, shapes = _binary_inputs("binary_cross_entropy", y_true, y_pred,
                                          label_smoothing, axis)
        q, pq = 1 - p, None
    if q is None:                              # the compiled forward ran; pq is its `plain`
        if needs[1]:
            gp = xp.empty(p.shape, p.dtype)
            _bce_kernels(xp, t, p).bce_backward(
                t.reshape(-1), p.reshape(-1), _full(xp, gs, p).reshape(-1),
                pq, np.float32(_LOG_FLOOR_AT), np.float32(_TINY[p.dtype]), gp.reshape(-1))
    elif needs[1] and pq is not None and xp is np:
        # dL/dp = -y / p + (1 - y) / (1 - p) = (p - y) / (p (1 - p)), no log clamped
        gp = (p - t) / pq
        gp *= gs
    elif needs[1]:
        # the same, each term 0 where its log is clamped
        gp = gs * ((1 - t) * _dlog(xp, q) - t * _dlog(xp, p))
    # dL/dy = -(log p - log(1 - p)) * (1 - label_smoothing)
    gt = (gs * (_safe_log(xp, 1 - p if q is None else q) - _safe_log(xp, p))
          * (1 - label_smoothing) if needs[0] else None)
    return _binary_grads(gt, gp, shapes)


@primitive("binary_cross_entropy_from_logits")
def _binary_from_logits(xp, y_true, y_pred, label_smoothing=0.0, axis=-1, reduction="none"):
    # Fused rather than sigmoid + log for stability: exp only ever sees -|x|, so logits of +-100
    # (or +-1e30) give exact, finite losses and gradients.
    t, x, ax, shapes = _binary_inputs("binary_cross_entropy", y_true, y_pred, label_smoothing,
                                      axis)
    e = xp.exp(-xp.abs(x))
    elem = xp.maximum(x, 0) - x * t + _log1p_unit(xp, e)  # -(y log s(x) + (1-y) log(1-s(x)))
    out, reduced = _reduce(_mean(elem, ax), reduction)
    return out, (t, x, e, ax, label_smoothing, shapes, reduced, (y_true, y_pred, axis))


@_binary_from_logits.backward
def _binary_from_logits_backward(xp, g, saved, needs):
    t, x, e, ax, label_smoothing, shapes, reduced, inputs = saved
    if xp is not np:  # create_graph: labels, logits and e rebuilt from the input Tensors
        y_true, y_pred, axis = inputs
        t, x, ax, shapes = _binary_inputs("binary_cross_entropy", y_true, y_pred,
                                          label_smoothing, axis)
        e = xp.exp(-xp.abs(x))
    gs = _spread(xp, _unreduce(xp, g, reduced), x.shape, ax)
    # dL/dx = sigmoid(x) - y, sigmoid rebuilt from the saved e = exp(-|x|); dL/dy = -x (1 - ls)
    gp = gs * (_sigmoid_from(xp, x, e) - t) if needs[1] else None
    gt = gs * x * (label_smoothing - 1) if needs[0] else None
    return _binary_grads(gt, gp, shapes)


def binary_cross_entropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1,
                         reduction="none"):
    """Binary cross entropy per sample (Keras' `binary_crossentropy`), the mean over `axis` of
    -(y log p + (1 - y) log(1 - p)).

    From logits (a fused primitive): max(x, 0) - x * y + log1p(exp(-|x|)), exact and finite for any
    logit. From probabilities: log(p) and log(1 - p) are clamped at -100 (PyTorch's BCELoss) rather
    than p being clipped to [1e-7, 1 - 1e-7] (Keras); p of exactly 0 or 1 gives finite values.
    Labels are not range-checked here (the Keras loss class validates them).

    Gradient: sigmoid(x) - y from logits; -y / p + (1 - y) / (1 - p) from probabilities, each
    term 0 where its log is clamped.

    Args:
        y_true: Labels in [0, 1], the shape of `y_pred` (a missing or extra trailing size-1 axis is
            aligned as Keras does).
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: In [0, 1]; labels become y * (1 - label_smoothing) + 0.5 * label_smoothing.
        axis: The axis averaged over. Defaults to -1.
        reduction: "none" (per-sample values) or "mean" (their mean, a 0-d tensor).

    Returns:
        Tensor of `y_pred`'s shape without `axis` (0-d for "mean").

    Raises:
        ValueError: shapes differ, label_smoothing is outside [0, 1], or an unknown reduction.

    Example:
        >>> y = dw.tensor([[0.0], [1.0]])
        >>> dw.nn.binary_cross_entropy(y, dw.tensor([[100.0], [0.0]]), from_logits=True).numpy()
        array([100.       ,   0.6931472], dtype=float32)
    """
    _check_smoothing("binary_cross_entropy", label_smoothing)
    _check_reduction("binary_cross_entropy", reduction)
    if from_logits:
        return _binary_from_logits(y_true, y_pred, label_smoothing, axis, reduction)
    return _binary_from_probs(y_true, y_pred, label_smoothing, axis, reduction)


# ---------------------------------------------------------------- categorical cross entropy


def _log_softmax_graph(xp, x, ax):
    """log_softmax along `ax` from dw ops (create_graph's form of the fused rules' saved value)."""
    shifted = x - xp.max(x, ax, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=ax, keepdims=True))


def _categorical_inputs(y_true, y_pred, label_smoothing, axis):
    where = "categorical_cross_entropy"
    t, p = _prepare(y_true, y_pred)
    if t.shape != p.shape:
        raise ValueError(f"{where}: y_true must have the shape of y_pred; expected {p.shape}, got "
                         f"{t.shape}. Hint: for integer class ids use "
                         "sparse_categorical_cross_entropy.")
    if p.ndim == 0:
        raise ValueError(f"{where}: y_pred must have a class axis; expected ndim >= 1, got a "
                         "scalar.")
    ax = _last_axis(where, axis, p.ndim)
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / p.shape[ax]
    return t, p, ax


@primitive("categorical_cross_entropy")
def _categorical_from_probs(xp, y_true, y_pred, label_smoothing=0.0, axis=-1, reduction="none"):
    t, p, ax = _categorical_inputs(y_true, y_pred, label_smoothing, axis)
    # Keras renormalizes p along the class axis; then log is clamped at -100 (no 1e-7 clipping).
    s = xp.maximum(p.sum(axis=ax, keepdims=True), _TINY.get(p.dtype, 0.0))
    q = p / s
    out, reduced = _reduce(0 - (t * _safe_log(xp, q)).sum(axis=ax), reduction)
    return out, (t, q, s, ax, label_smoothing, reduced, (y_true, y_pred))


@_categorical_from_probs.backward
def _categorical_from_probs_backward(xp, g, saved, needs):
    t, q, s, ax, label_smoothing, reduced, inputs = saved
    if xp is not np:  # create_graph: labels and the renormalized p rebuilt from the inputs
        t, p, ax = _categorical_inputs(*inputs, label_smoothing, ax)
        s = xp.maximum(p.sum(axis=ax, keepdims=True), _TINY.get(p.dtype, 0.0))
        q = p / s
    g = xp.expand_dims(_unreduce(xp, g, reduced), ax)
    gp = gt = None
    if needs[1]:
        # L = -sum_i y_i log(p_i / S): dL/dp_j = (sum_i y_i m_i - y_j m_j / q_j) / S, m = unclamped
        ym = t * (q > _LOG_FLOOR_AT)
        gp = g * (ym.sum(axis=ax, keepdims=True) - ym / xp.maximum(q, _TINY.get(q.dtype, 0.0))) / s
    if needs[0]:
        gt = g * _safe_log(xp, q) * (label_smoothing - 1)
    return gt, gp


@primitive("categorical_cross_entropy_from_logits")
def _categorical_from_logits(xp, y_true, y_pred, label_smoothing=0.0, axis=-1, reduction="none"):
    # Fused rather than log_softmax + multiply + sum for speed and memory: one saved array
    # (log-softmax) serves both gradients.
    t, x, ax = _categorical_inputs(y_true, y_pred, label_smoothing, axis)
    logsm = x - x.max(axis=ax, keepdims=True)
    logsm -= xp.log(xp.exp(logsm).sum(axis=ax, keepdims=True))
    out, reduced = _reduce(0 - (t * logsm).sum(axis=ax), reduction)
    return out, (t, logsm, ax, label_smoothing, reduced, (y_true, y_pred))


@_categorical_from_logits.backward
def _categorical_from_logits_backward(xp, g, saved, needs):
    t, logsm, ax, label_smoothing, reduced, inputs = saved
    if xp is not np:  # create_graph: labels and log-softmax rebuilt from the input Tensors
        t, x, ax = _categorical_inputs(*inputs, label_smoothing, ax)
        logsm = _log_softmax_graph(xp, x, ax)
    g = xp.expand_dims(_unreduce(xp, g, reduced), ax)
    # dL/dx = softmax * sum(y) - y (softmax - y for one-hot y); dL/dy = -log_softmax (1 - ls)
    gp = g * (xp.exp(logsm) * t.sum(axis=ax, keepdims=True) - t) if needs[1] else None
    gt = g * logsm * (label_smoothing - 1) if needs[0] else None
    return gt, gp


def categorical_cross_entropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1,
                              reduction="none"):
    """Categorical cross entropy per sample (Keras' `categorical_crossentropy`):
    -sum(y * log(p), axis).

    From logits (a fused primitive): -sum(y * log_softmax(x)), stable for any logit. From
    probabilities: as Keras, p is first renormalized to sum to 1 along `axis`; log is then clamped
    at -100 (PyTorch) instead of clipping p to [1e-7, 1 - 1e-7] (Keras).

    Gradient: softmax(x) * sum(y) - y from logits; from probabilities the derivative of the
    renormalized, clamped form.

    Args:
        y_true: One-hot or soft targets, the shape of `y_pred`.
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: In [0, 1]; y becomes y * (1 - label_smoothing) + label_smoothing / C, C
            the size of `axis`.
        axis: The class axis. Defaults to -1.
        reduction: "none" (per-sample values) or "mean" (their mean, a 0-d tensor).

    Returns:
        Tensor of `y_pred`'s shape without `axis` (0-d for "mean").

    Raises:
        ValueError: shapes differ, y_pred is a scalar, label_smoothing is outside [0, 1], or an
            unknown reduction.

    Example:
        >>> y, logits = dw.tensor([[0.0, 0.0, 1.0]]), dw.tensor([[1000.0, 0.0, -1000.0]])
        >>> dw.nn.categorical_cross_entropy(y, logits, from_logits=True)
        tensor([2000.])
    """
    where = "categorical_cross_entropy"
    _check_smoothing(where, label_smoothing)
    _check_reduction(where, reduction)
    shape = y_pred.shape if hasattr(y_pred, "shape") else np.shape(y_pred)
    if len(shape) and shape[-1] == 1:
        warnings.warn(f"{where}: expected y_pred of shape (batch_size, num_classes) with "
                      f"num_classes > 1, got y_pred.shape={tuple(shape)}; the loss is always 0. "
                      "Hint: use binary_cross_entropy for 2 classes.", SyntaxWarning, stacklevel=2)
    if from_logits:
        return _categorical_from_logits(y_true, y_pred, label_smoothing, axis, reduction)
    return _categorical_from_probs(y_true, y_pred, label_smoothing, axis, reduction)


# ---------------------------------------------------------------- sparse categorical


def _label_text(v):
    v = v.item()
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _class_ids(xp, where, labels, num_classes, ignore_class):
    """Validate integer class ids (integral floats accepted, as Keras casts them) and return
    (ids as intp with ignored entries set to 0, mask of valid entries or None)."""
    kind = labels.dtype.kind
    if kind == "f":
        bad = labels != xp.floor(labels)  # NaN is non-integer too
        if bad.any():
            raise TypeError(f"{where}: labels must be integer class ids; expected integral values, "
                            f"got {_label_text(labels[bad].reshape(-1)[0])}.")
    elif kind == "b":
        labels = labels.astype(np.intp)
    elif kind not in "iu":
        raise TypeError(f"{where}: labels must be integer class ids; expected an integer dtype, "
                        f"got {labels.dtype}.")
    valid = None if ignore_class is None else labels != ignore_class
    checked = labels if valid is None else labels[valid]
    if checked.size:
        lo, hi = checked.min(), checked.max()
        if lo < 0 or hi >= num_classes:
            bad = _label_text(lo if lo < 0 else hi)
            raise ValueError(f"{where}: label {bad} is out of range for {num_classes} classes; "
                             f"expected 0 <= label < {num_classes}, got {bad}.")
    ids = labels if labels.dtype == np.intp else labels.astype(np.intp)
    return (ids if valid is None else xp.where(valid, ids, 0)), valid


def _sparse_inputs(xp, y_true, y_pred, ignore_class, axis):
    where = "sparse_categorical_cross_entropy"
    p = y_pred if y_pred.dtype.kind == "f" else y_pred.astype(DEFAULT_FLOAT)
    if p.ndim == 0:
        raise ValueError(f"{where}: y_pred must have a class axis; expected ndim >= 1, got a "
                         "scalar.")
    ax = p.ndim - 1 if axis == -1 else normalize_axis(where, axis, p.ndim)
    labels = y_true
    if labels.ndim == p.ndim and labels.shape[ax] == 1:
        labels = labels.squeeze(ax)  # Keras accepts labels of shape (batch, 1)
    expected = p.shape[:ax] + p.shape[ax + 1:]
    if labels.shape != expected:
        raise ValueError(f"{where}: y_true must have y_pred's shape without the class axis; "
                         f"expected {expected}, got {y_true.shape}. Hint: for one-hot labels use "
                         "categorical_cross_entropy.")
    ids, valid = _class_ids(xp, where, labels, p.shape[ax], ignore_class)
    return p, ax, ids.reshape(ids.shape[:ax] + (1,) + ids.shape[ax:]), valid


def _rows(xp, a, idx, ax):
    """Index arrays picking each row's labelled entry of a 2-D `a` (class axis last), or None
    for other layouts. Plain fancy indexing: np.take_along_axis costs more on small batches."""
    if a.ndim != 2 or ax != 1:
        return None
    return xp.arange(a.shape[0]), idx.reshape(-1)


def _one_hot(xp, idx, shape, ax):
    classes = xp.arange(shape[ax]).reshape([n if i == ax else 1 for i, n in enumerate(shape)])
    return idx == classes


def _masked(xp, loss, valid):
    return loss if valid is None else xp.where(valid, loss, 0)


@primitive("sparse_categorical_cross_entropy")
def _sparse_from_probs(xp, y_true, y_pred, ignore_class=None, axis=-1, reduction="none"):
    p, ax, idx, valid = _sparse_inputs(xp, y_true, y_pred, ignore_class, axis)
    s = xp.maximum(p.sum(axis=ax, keepdims=True), _TINY.get(p.dtype, 0.0))
    picked = xp.take_along_axis(p, idx, axis=ax)
    q = picked / s  # Keras renormalizes p; only the labelled class's log is needed
    loss = 0 - _safe_log(xp, q).squeeze(ax)
    out, reduced = _reduce(_masked(xp, loss, valid), reduction, valid)
    return out, (picked, q, s, idx, valid, ax, p.shape, reduced, y_pred)


@_sparse_from_probs.backward
def _sparse_from_probs_backward(xp, g, saved, needs):
    picked, q, s, idx, valid, ax, shape, reduced, y_pred = saved
    if xp is not np:  # create_graph: the picked probability rebuilt from y_pred
        p = y_pred if y_pred.dtype.kind == "f" else y_pred.astype(DEFAULT_FLOAT)
        s = xp.maximum(p.sum(axis=ax, keepdims=True), _TINY.get(p.dtype, 0.0))
        picked = (p * _one_hot(np, idx, shape, ax)).sum(axis=ax, keepdims=True)
        q = picked / s
    g = _unreduce(xp, g, reduced)
    g = g if valid is None else g * valid
    c = xp.expand_dims(g, ax) * (q > _LOG_FLOOR_AT)
    # L = -log(p_l / S): dL/dp_j = 1/S - [j == l] / p_l (0 where the log is clamped)
    tiny = _TINY.get(picked.dtype, 0.0)
    return None, c / s - _one_hot(np, idx, shape, ax) * (c / xp.maximum(picked, tiny))


@primitive("sparse_categorical_cross_entropy_from_logits")
def _sparse_from_logits(xp, y_true, y_pred, ignore_class=None, axis=-1, reduction="none"):
    # Fused for stability and speed: log-softmax is computed once and the labelled entry gathered;
    # no one-hot matrix is built in the forward pass.
    x, ax, idx, valid = _sparse_inputs(xp, y_true, y_pred, ignore_class, axis)
    logsm = x - x.max(axis=ax, keepdims=True)
    logsm -= xp.log(xp.exp(logsm).sum(axis=ax, keepdims=True))
    rows = _rows(xp, logsm, idx, ax)
    picked = xp.take_along_axis(logsm, idx, axis=ax).squeeze(ax) if rows is None else logsm[rows]
    out, reduced = _reduce(_masked(xp, 0 - picked, valid), reduction, valid)
    return out, (logsm, idx, rows, valid, ax, reduced, y_pred)


@_sparse_from_logits.backward
def _sparse_from_logits_backward(xp, g, saved, needs):
    logsm, idx, rows, valid, ax, reduced, y_pred = saved
    if xp is not np:  # create_graph: log-softmax rebuilt from the logits Tensor, no in-place
        x = y_pred if y_pred.dtype.kind == "f" else y_pred.astype(DEFAULT_FLOAT)
        logsm, rows = _log_softmax_graph(xp, x, ax), None
    g = _unreduce(xp, g, reduced)
    g = g if valid is None else g * valid
    g = g.reshape(g.shape[:ax] + (1,) + g.shape[ax:])
    # dL/dx = softmax(x) - onehot(label)
    if rows is None:
        return None, g * (xp.exp(logsm) - _one_hot(np, idx, logsm.shape, ax))  # a constant
    gx = xp.exp(logsm)
    gx[rows] -= 1  # the one-hot term, without building the one-hot matrix
    gx *= g
    return None, gx


def sparse_categorical_cross_entropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                     axis=-1, reduction="none"):
    """Cross entropy per sample with integer class ids (Keras' `sparse_categorical_crossentropy`):
    -log p[label].

    From logits (a fused primitive): log-softmax is computed once and the label's entry gathered;
    the gradient is softmax - onehot. From probabilities: p is renormalized along `axis` as in
    Keras, and log is clamped at -100 (PyTorch) rather than p clipped to [1e-7, 1 - 1e-7].

    Labels are checked: out of range raises ValueError, non-integer raises TypeError (a silent
    NaN or wrong gather is never produced). Float labels with integral values are accepted, as
    Keras casts them.

    Args:
        y_true: Integer class ids of `y_pred`'s shape without `axis`; a trailing size-1 axis
            (shape `(batch, 1)`) is accepted as in Keras. Not differentiable.
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits.
        ignore_class: Optional label whose entries get loss 0 and gradient 0 (and are not
            range-checked), as Keras' `ignore_class`. The Keras loss class excludes them from the
            mean.
        axis: The class axis. Defaults to -1.
        reduction: "none" (per-sample values) or "mean" (their mean over the entries not
            ignored, a 0-d tensor; 0 when all are ignored, as Keras' masked mean).

    Returns:
        Tensor of `y_pred`'s shape without `axis` (0-d for "mean").

    Raises:
        ValueError: a label is out of range, the shapes do not match, or an unknown reduction.
        TypeError: labels are not integers.

    Example:
        >>> logits = dw.tensor([[1000.0, 0.0, -1000.0]])
        >>> dw.nn.sparse_categorical_cross_entropy([2], logits, from_logits=True)
        tensor([2000.])
    """
    _check_reduction("sparse_categorical_cross_entropy", reduction)
    if from_logits:
        return _sparse_from_logits(y_true, y_pred, ignore_class, axis, reduction)
    return _sparse_from_probs(y_true, y_pred, ignore_class, axis, reduction)
