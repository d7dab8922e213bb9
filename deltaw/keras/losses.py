"""Keras losses (`keras.losses`): Loss classes around the dw.nn loss functions.

A Loss is called as `loss(y_true, y_pred, sample_weight=None)` and returns a scalar Tensor (or
per-sample values with `reduction="none"`). The per-sample math lives in `deltaw.nn.losses`
(gradchecked there); this module adds Keras 3's bookkeeping:

- conversion: `y_pred` becomes a float Tensor (float32 for arrays), `y_true` takes `y_pred`'s
  dtype (class ids of the sparse loss stay integers);
- `sample_weight`, brought to the rank of the per-sample values as Keras does (a trailing size-1
  axis is dropped or added), then broadcast; weights of shape `(batch,)` also weight every
  time step of `(batch, steps)` values;
- the reduction: "sum_over_batch_size" (default) and "mean" divide the weighted sum by the number
  of values, "sum" sums, "mean_with_sample_weight" divides by the sum of the weights, "none" or
  None returns the weighted values;
- `validate(y_true, y_pred)`: label checks the trainer runs once before training, with messages
  that name the loss.

Module-level functions (`binary_crossentropy`, `mse`, ...) return per-sample values, as in Keras.

The module passes 1000 lines because it holds every Keras loss class (24 classes) next to
the base class they share; each class is a short wrapper, so splitting it by family would only
spread the lookup tables over several files.
"""

from __future__ import annotations

import inspect

import numpy as np

from deltaw import nn, ops
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.keras.utils import _auto_name
from deltaw.tensor import Tensor

__all__ = [
    "CTC", "KLD", "MAE", "MAPE", "MSE", "MSLE", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "Circle", "CosineSimilarity",
    "Dice", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "Tversky", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_generalized_cross_entropy",
    "categorical_hinge", "circle", "cosine_similarity", "ctc", "deserialize", "dice", "get",
    "hinge", "huber", "kl_divergence", "kld", "kullback_leibler_divergence", "log_cosh",
    "logcosh", "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "mse", "msle", "poisson",
    "serialize", "sparse_categorical_crossentropy", "squared_hinge", "tversky",
]

_REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")
_MEAN_REDUCTIONS = ("sum_over_batch_size", "mean")  # without weights: the mean of the values


# ----------------------------------------------------------------------------- conversion
def _as_pred(y_pred, dtype=None) -> Tensor:
    if isinstance(y_pred, Tensor):
        return y_pred if y_pred.data.dtype.kind == "f" else y_pred.astype(dtype or DEFAULT_FLOAT)
    arr = np.asarray(y_pred)
    return Tensor(arr.astype(dtype or DEFAULT_FLOAT, copy=False))


def _as_true(y_true, like: Tensor):
    """Labels in the dtype of the predictions (a differentiable Tensor label stays a Tensor).

    An array of another dtype (integer labels) is cast by the astype op, so that fit's compiled
    step records the cast of the batch's labels, not its result as a constant."""
    if isinstance(y_true, Tensor):
        return y_true if y_true.data.dtype == like.data.dtype else y_true.astype(like.data.dtype)
    if isinstance(y_true, np.ndarray) and y_true.dtype != like.data.dtype:
        return ops.astype(y_true, like.data.dtype)
    return np.asarray(y_true, dtype=like.data.dtype)


def _as_ids(y_true):
    """Sparse labels: integer arrays stay as they are; float arrays are passed on for the nn
    function to check (it accepts integral floats, as Keras casts them)."""
    return y_true if isinstance(y_true, Tensor) else np.asarray(y_true)


def _data(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _shape_of(x) -> tuple:
    """The shape of an array/Tensor, or `x` itself when it is already a shape tuple."""
    if isinstance(x, tuple | list) and all(d is None or isinstance(d, int | np.integer)
                                           for d in x):
        return tuple(x)
    return tuple(np.shape(_data(x)))


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras' rule: when the ranks differ by one and the longer has a trailing 1, drop it (or,
    when the shorter is 1-D and `expand_rank_1`, add one to the shorter)."""
    r1, r2 = len(np.shape(_data(x1))), len(np.shape(_data(x2)))
    if r1 == r2 + 1 and np.shape(_data(x1))[-1] == 1:
        return (x1, _expand(x2)) if r2 == 1 and expand_rank_1 else (_squeeze(x1), x2)
    if r2 == r1 + 1 and np.shape(_data(x2))[-1] == 1:
        return (_expand(x1), x2) if r1 == 1 and expand_rank_1 else (x1, _squeeze(x2))
    return x1, x2


def _expand(x):
    return x.reshape(x.shape + (1,))


def _squeeze(x):
    return x.reshape(x.shape[:-1])


# ----------------------------------------------------------------------------- reduction
def _weigh(values: Tensor, sample_weight):
    """(values, weights) brought to the same rank as Keras does, then checked to broadcast."""
    sw = np.asarray(_data(sample_weight), dtype=values.data.dtype)
    values, sw = squeeze_or_expand_to_same_rank(values, sw)
    vshape = values.shape
    if 0 < sw.ndim < len(vshape) and sw.shape == vshape[:sw.ndim]:
        # (batch,) weights on (batch, steps) values weight every step of a sample (Keras would
        # try to broadcast (batch,) against the last axis)
        sw = sw.reshape(sw.shape + (1,) * (len(vshape) - sw.ndim))
    try:
        np.broadcast_shapes(sw.shape, vshape)
    except ValueError:
        raise ValueError(f"loss: sample_weight of shape {sw.shape} does not broadcast to the "
                         f"per-sample losses of shape {vshape}; expected shape {vshape[:1]} or "
                         f"{vshape}.") from None
    return values, sw


def reduce_weighted_values(values: Tensor, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size") -> Tensor:
    """Weight per-sample `values` and reduce them as Keras 3's `reduce_weighted_values`.

    `mask` (bool array of `values`' shape, from `ignore_class`) removes entries: for the mean
    reductions they are left out of the count as well.
    """
    sw = None
    if sample_weight is not None:
        values, sw = _weigh(values, sample_weight)
    if mask is not None:
        valid = mask.astype(values.data.dtype).reshape(values.shape)
        if reduction in ("sum_over_batch_size", "mean") and mask.size:
            count = float(valid.sum())
            valid = valid * (mask.size / count if count else 0.0)
        sw = valid if sw is None else sw * valid
    if sw is not None:
        values = values * sw
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sw is not None:
        divisor = float(np.broadcast_to(sw, values.shape).sum())
    else:
        divisor = float(values.size)
    return total / divisor if divisor else total * 0.0   # divide_no_nan


# ----------------------------------------------------------------------------- base classes
class Loss:
    """Base class of the Keras losses: subclasses implement `call(y_true, y_pred)` returning
    per-sample values; `__call__` converts, weights and reduces.

    Args:
        name: Defaults to the snake-case class name.
        reduction: "sum_over_batch_size" (default), "sum", "mean", "mean_with_sample_weight",
            "none" or None.
        dtype: Dtype for array inputs. Defaults to float32.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: invalid reduction {reduction!r}; expected "
                             "one of 'sum_over_batch_size', 'sum', 'mean', "
                             "'mean_with_sample_weight', 'none' or None.")
        self.name = name or _auto_name(type(self).__name__)
        self.reduction = reduction
        self.dtype = np.dtype(dtype).name if dtype is not None else DEFAULT_FLOAT.name

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_pred(y_pred, self.dtype)
        if sample_weight is None and self.reduction in _MEAN_REDUCTIONS and y_pred.data.size:
            mean = self._fused_mean(y_true, y_pred)
            if mean is not None:
                return mean
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.compute_mask(y_true, y_pred),
                                      self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__}: call is not implemented.")

    def compute_mask(self, y_true, y_pred):
        """Bool array of the per-sample values' shape marking entries to keep, or None."""
        return None

    def _fused_mean(self, y_true, y_pred):
        """The unweighted mean reduction as one recorded op, or None where this loss has none
        (then `call` and `reduce_weighted_values` run)."""
        return None

    def validate(self, y_true, y_pred) -> None:
        """Raise ValueError when `y_true` cannot be labels for `y_pred` (default: no check)."""

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name='{self.name}'>"


class LossFunctionWrapper(Loss):
    """A Loss around `fn(y_true, y_pred, **kwargs)` returning per-sample values.

    `y_true` is converted to `y_pred`'s dtype and both are brought to the same rank (a trailing
    size-1 axis) before `fn` is called, as Keras does.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(_as_true(y_true, y_pred), y_pred)
        values = self.fn(y_true, y_pred, **self._fn_kwargs)
        return values if isinstance(values, Tensor) else Tensor(np.asarray(values))

    def _fused_mean(self, y_true, y_pred):
        # The dw.nn losses take reduction="mean" and align ranks themselves (Keras' rule), so the
        # loss, the sum and the division are one primitive. Only for the built-in classes as they
        # are: a subclass that overrides call() or compute_mask() keeps the generic path.
        labels = _FUSED_LABELS.get(type(self))
        if labels is None:
            labels = _FUSED_LABELS[type(self)] = _fused_labels(type(self))
        if not labels or id(self.fn) not in _MEAN_FUNCTIONS:
            return None
        y_true = _as_ids(y_true) if labels == "ids" else _as_true(y_true, y_pred)
        return self.fn(y_true, y_pred, reduction="mean", **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config.update(fn=getattr(self.fn, "__name__", repr(self.fn)), **self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper and isinstance(config.get("fn"), str):
            config["fn"] = _FUNCTIONS[config["fn"]]
        return cls(**config)


# The dw.nn losses that accept reduction="mean"; and per Loss class, how its labels are converted
# for the fused mean ("values", "ids") or "" when the class must take the generic path.
_MEAN_FUNCTIONS = {id(f) for f in (nn.mean_squared_error, nn.mean_absolute_error, nn.huber,
                                   nn.binary_cross_entropy, nn.categorical_cross_entropy,
                                   nn.sparse_categorical_cross_entropy)}
_FUSED_LABELS: dict = {}


def _fused_labels(cls) -> str:
    if cls.call is LossFunctionWrapper.call and cls.compute_mask is Loss.compute_mask:
        return "values"
    if cls.call is SparseCategoricalCrossentropy.call and \
            cls.compute_mask is SparseCategoricalCrossentropy.compute_mask:
        return "ids"  # ignore_class: the nn mean leaves ignored entries out, as Keras' mask
    return ""


# ----------------------------------------------------------------------------- validation
def _loss_error(loss, what, expected, got, hint=""):
    hint = f" Hint: {hint}" if hint else ""
    return ValueError(f"{type(loss).__name__}: {what}; expected {expected}, got {got}.{hint}")


def _check_finite_labels(loss, t):
    if t.dtype.kind == "f" and not np.all(np.isfinite(t)):
        raise _loss_error(loss, "labels contain NaN or Inf", "finite labels",
                          "a non-finite value")


# ----------------------------------------------------------------------------- the losses
class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors over the last axis, `mean((y_true - y_pred)**2, axis=-1)`, then
    reduced over the batch.

    Example:
        >>> float(MeanSquaredError()([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]]))
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(nn.mean_squared_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors over the last axis, `mean(abs(y_true - y_pred), axis=-1)`.

    Example:
        >>> float(MeanAbsoluteError()([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]]))
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(nn.mean_absolute_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Huber(LossFunctionWrapper):
    """Huber loss: `0.5 * e**2` where `|e| <= delta`, else `delta * |e| - 0.5 * delta**2`,
    averaged over the last axis (e = y_pred - y_true).

    Args:
        delta: Where the loss turns from quadratic to linear. Defaults to 1.0.
        reduction, name, dtype: As `Loss` (name defaults to "huber_loss").

    Example:
        >>> round(float(Huber()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 3)
        0.155
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(nn.huber, reduction=reduction, name=name, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self):
        return {**Loss.get_config(self), "delta": self.delta}


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross entropy, averaged over the last axis, for labels in [0, 1].

    Args:
        from_logits: Whether `y_pred` holds logits (recommended) rather than probabilities.
        label_smoothing: In [0, 1]; labels become `y * (1 - ls) + 0.5 * ls`.
        axis: The axis averaged over. Defaults to -1.
        reduction, name, dtype: As `Loss` (name defaults to "binary_crossentropy").

    From probabilities, deltaw clamps log(p) at -100 (as PyTorch) where Keras clips p to
    [1e-7, 1 - 1e-7]; the two agree except for predictions within 1e-7 of 0 or 1.

    Example (Keras' documented example):
        >>> y_true, y_pred = [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]
        >>> round(float(BinaryCrossentropy(from_logits=True)(y_true, y_pred)), 3)
        0.865
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(nn.binary_cross_entropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def validate(self, y_true, y_pred):
        t = _data(y_true)
        _check_finite_labels(self, t)
        if t.size and t.dtype.kind in "fiu" and (t.min() < 0 or t.max() > 1):
            raise _loss_error(
                self, "labels must be in [0, 1]", "values in [0, 1]",
                f"values in [{_num(t.min())}, {_num(t.max())}]",
                "for integer class ids use sparse_categorical_crossentropy with one output "
                "per class.")

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross entropy with one-hot (or soft) labels: `-sum(y_true * log(p), axis=-1)`.

    Args:
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In [0, 1]; labels become `y * (1 - ls) + ls / num_classes`.
        axis: The class axis. Defaults to -1.
        reduction, name, dtype: As `Loss` (name defaults to "categorical_crossentropy").

    Example (Keras' documented example):
        >>> y_true = [[0, 1, 0], [0, 0, 1]]
        >>> y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> round(float(CategoricalCrossentropy()(y_true, y_pred)), 3)
        1.177
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(nn.categorical_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def validate(self, y_true, y_pred):
        t, shape = _data(y_true), _shape_of(y_pred)
        _check_finite_labels(self, t)
        width = shape[-1] if shape else None
        if t.ndim < len(shape) or (t.ndim == len(shape) and t.shape[-1] == 1 and width != 1):
            raise _loss_error(self, "labels look like class ids, not one-hot vectors",
                              f"one-hot labels of width {width}", f"shape {t.shape}",
                              "use sparse_categorical_crossentropy for integer labels, or "
                              "keras.utils.to_categorical(y).")
        if width is not None and t.shape[-1] != width:
            raise _loss_error(self, "the one-hot width does not match the model's output",
                              f"labels of width {width} (the output's last axis)",
                              f"width {t.shape[-1]} (labels of shape {t.shape})",
                              f"the output layer should have {t.shape[-1]} units, or "
                              f"to_categorical(y, {width}).")

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross entropy with integer class ids: `-log(p[y_true])`.

    Args:
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        ignore_class: Optional label to leave out: its entries get no loss and are not counted
            in the mean (Keras' mask semantics).
        reduction, axis, name, dtype: As `Loss` (name defaults to
            "sparse_categorical_crossentropy").

    Example (Keras' documented example):
        >>> y_true, y_pred = [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> round(float(SparseCategoricalCrossentropy()(y_true, y_pred)), 3)
        1.177
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(nn.sparse_categorical_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def call(self, y_true, y_pred):
        return self.fn(_as_ids(y_true), y_pred, **self._fn_kwargs)

    def compute_mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        labels = _data(y_true)
        if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
            labels = labels[..., 0]
        return labels != self.ignore_class

    def validate(self, y_true, y_pred):
        t, shape = _data(y_true), _shape_of(y_pred)
        num_classes = shape[self.axis] if shape else None
        if t.ndim == len(shape) and t.ndim and t.shape[-1] == num_classes and num_classes != 1:
            raise _loss_error(self, "labels look one-hot, not like class ids",
                              f"integer class ids of shape {shape[:-1]}", f"shape {t.shape}",
                              "use categorical_crossentropy for one-hot labels.")
        if t.dtype.kind not in "fiub":
            raise _loss_error(self, "labels must be integer class ids", "an integer dtype",
                              f"dtype {t.dtype}")
        keep = t if self.ignore_class is None else t[t != self.ignore_class]
        if keep.dtype.kind == "f":
            bad = keep[~np.isfinite(keep) | (keep != np.floor(np.nan_to_num(keep)))]
            if bad.size:
                raise _loss_error(self, "labels must be integer class ids", "integral values",
                                  f"{_num(bad.flat[0])}", "cast the labels with .astype(int).")
        if keep.size and num_classes is not None and (keep.min() < 0 or keep.max() >= num_classes):
            bad = keep.min() if keep.min() < 0 else keep.max()
            raise _loss_error(
                self, f"label {_num(bad)} is out of range for {num_classes} classes",
                f"labels in [0, {num_classes})", _num(bad),
                f"the output layer needs at least {int(keep.max()) + 1} units (one per class)"
                if bad >= 0 else "labels must be non-negative class ids.")

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class}


# ----------------------------------------------------------------------------- composed losses
# These wrap the functions of deltaw/nn/composed_losses.py (their math and examples live there);
# each stores its arguments and reports them under Keras' config keys.

class _Simple(LossFunctionWrapper):
    """A loss with no arguments of its own: `fn` per sample, then the reduction."""

    _fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanAbsolutePercentageError(_Simple):
    """`100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)`, then reduced.

    Example:
        >>> float(MeanAbsolutePercentageError()([[1., 2.]], [[1.5, 1.]]))
        50.0
    """

    _fn = staticmethod(nn.mean_absolute_percentage_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_Simple):
    """`mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1))**2, axis=-1)`."""

    _fn = staticmethod(nn.mean_squared_logarithmic_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class LogCosh(_Simple):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`: quadratic for small errors, linear for
    large ones."""

    _fn = staticmethod(nn.log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_Simple):
    """Kullback-Leibler divergence `sum(t * log(t / p), axis=-1)`, t and p clipped to
    [1e-7, 1]."""

    _fn = staticmethod(nn.kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Poisson(_Simple):
    """`mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`."""

    _fn = staticmethod(nn.poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Hinge(_Simple):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`; labels in {0, 1} become {-1, 1}."""

    _fn = staticmethod(nn.hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_Simple):
    """`mean(max(1 - y_true * y_pred, 0)**2, axis=-1)`; labels in {0, 1} become {-1, 1}."""

    _fn = staticmethod(nn.squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_Simple):
    """`max(max((1 - t) * p) - sum(t * p) + 1, 0)` over the last axis (one-hot labels)."""

    _fn = staticmethod(nn.categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`: -1 when aligned.

    Args:
        axis: The axis of the vectors. Defaults to -1.
        reduction, name, dtype: As `Loss` (name defaults to "cosine_similarity").

    As in Keras, `axis` is not part of `get_config()`.

    Example:
        >>> round(float(CosineSimilarity()([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]])), 4)
        -0.5
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(nn.cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)
        self.axis = axis

    def get_config(self):
        return Loss.get_config(self)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross entropy times the focal factor `(1 - p_t)**gamma` (Lin et al., 2018).

    Args:
        apply_class_balancing: Weight positives by `alpha` and negatives by `1 - alpha`.
        alpha: Class-balancing weight. Defaults to 0.25.
        gamma: Focusing parameter; 0 gives binary cross entropy. Defaults to 2.0.
        from_logits, label_smoothing, axis: As `BinaryCrossentropy`.
        reduction, name, dtype: As `Loss` (name defaults to "binary_focal_crossentropy").

    Example:
        >>> y_true, y_pred = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
        >>> round(float(BinaryFocalCrossentropy(gamma=2.0)(y_true, y_pred)), 3)
        0.268
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(nn.binary_focal_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, apply_class_balancing=apply_class_balancing, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross entropy weighted per class by `alpha * (1 - p)**gamma`.

    Args:
        alpha: A float or one weight per class. Defaults to 0.25.
        gamma: Focusing parameter. Defaults to 2.0.
        from_logits, label_smoothing, axis: As `CategoricalCrossentropy`.
        reduction, name, dtype: As `Loss` (name defaults to "categorical_focal_crossentropy").
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(nn.categorical_focal_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "alpha": self.alpha, "gamma": self.gamma}


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross entropy `(1 - p[y_true]**q) / q` (Zhang & Sabuncu, 2018) for integer
    labels, robust to label noise.

    Args:
        q: In (0, 1]: towards 0 it approaches cross entropy, at 1 mean absolute error.
            Defaults to 0.5.
        reduction, name, dtype: As `Loss`.
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q <= 1:
            raise ValueError("CategoricalGeneralizedCrossEntropy: q must be in (0, 1]; "
                             f"expected 0 < q <= 1, got {q}.")
        super().__init__(nn.categorical_generalized_cross_entropy, reduction=reduction,
                         name=name, dtype=dtype, q=q)
        self.q = q

    def call(self, y_true, y_pred):
        return self.fn(_as_ids(y_true), y_pred, q=self.q)

    def get_config(self):
        return {**Loss.get_config(self), "q": self.q}


class Dice(LossFunctionWrapper):
    """Dice loss `1 - 2 * sum(t * p) / (sum(t) + sum(p) + 1e-7)` over `axis`.

    Args:
        reduction, name: As `Loss` (name defaults to "dice").
        axis: Axes summed over; None (default) sums everything into one value.
        dtype: As `Loss`.
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(nn.dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "axis": self.axis}


class Tversky(LossFunctionWrapper):
    """Tversky loss `1 - TP / (TP + alpha * FP + beta * FN + 1e-7)` over `axis` (soft counts,
    Keras' definitions); alpha = beta = 0.5 is the Dice loss.

    Args:
        alpha: Weight of the false positives term. Defaults to 0.5.
        beta: Weight of the false negatives term. Defaults to 0.5.
        reduction, name, axis, dtype: As `Dice` (name defaults to "tversky").
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(nn.tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.alpha = alpha
        self.beta = beta
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "alpha": self.alpha, "beta": self.beta,
                "axis": self.axis}


class Circle(LossFunctionWrapper):
    """Circle loss (Sun et al., 2020) of L2-normalized embeddings `y_pred` (batch, dim) with
    integer labels `y_true` (batch,); see `dw.nn.circle` for the formula.

    Rows whose loss is 0 (no positive or no negative pair) are masked out of the mean, as
    Keras' mask on the per-sample losses does.

    Args:
        gamma: Scale. Defaults to 80.0.
        margin: Relaxation margin. Defaults to 0.4.
        remove_diagonal: Leave each sample's pairing with itself out of its positives.
        reduction, name, dtype: As `Loss` (name defaults to "circle").
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(nn.circle, reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal
        self._positive = None

    def call(self, y_true, y_pred):
        values = self.fn(_as_ids(y_true), y_pred, **self._fn_kwargs)
        self._positive = values.data > 0
        return values

    def compute_mask(self, y_true, y_pred):
        mask, self._positive = self._positive, None
        return mask

    def get_config(self):
        return {**Loss.get_config(self), "gamma": self.gamma, "margin": self.margin,
                "remove_diagonal": self.remove_diagonal}



class CTC(LossFunctionWrapper):
    """Connectionist temporal classification loss (see `ctc`): integer labels `y_true` of
    shape (batch, max_length) with 0 as padding/blank, logits `y_pred` of shape
    (batch, frames, classes).

    Args:
        reduction, name, dtype: As `Loss` (name defaults to "ctc").
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        return ctc(_as_ids(y_true), y_pred)

    def get_config(self):
        return Loss.get_config(self)


def _num(v):
    v = v.item() if hasattr(v, "item") else v
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


# ----------------------------------------------------------------------------- functions
def _pair(y_true, y_pred):
    y_pred = _as_pred(y_pred)
    return _as_true(y_true, y_pred), y_pred


def mean_squared_error(y_true, y_pred):
    """Per-sample `mean((y_true - y_pred)**2, axis=-1)`."""
    return nn.mean_squared_error(*_pair(y_true, y_pred))


def mean_absolute_error(y_true, y_pred):
    """Per-sample `mean(abs(y_true - y_pred), axis=-1)`."""
    return nn.mean_absolute_error(*_pair(y_true, y_pred))


def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss averaged over the last axis."""
    return nn.huber(*_pair(y_true, y_pred), delta=delta)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross entropy, averaged over `axis`."""
    return nn.binary_cross_entropy(*_pair(y_true, y_pred), from_logits=from_logits,
                                   label_smoothing=label_smoothing, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample categorical cross entropy along `axis`."""
    return nn.categorical_cross_entropy(*_pair(y_true, y_pred), from_logits=from_logits,
                                        label_smoothing=label_smoothing, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Per-sample cross entropy with integer class ids (0 where `ignore_class`)."""
    return nn.sparse_categorical_cross_entropy(_as_ids(y_true), _as_pred(y_pred),
                                               from_logits=from_logits,
                                               ignore_class=ignore_class, axis=axis)


def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample `100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)`."""
    return nn.mean_absolute_percentage_error(*_pair(y_true, y_pred))


def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample mean squared difference of `log(max(., 1e-7) + 1)`."""
    return nn.mean_squared_logarithmic_error(*_pair(y_true, y_pred))


def log_cosh(y_true, y_pred):
    """Per-sample `mean(log(cosh(y_pred - y_true)), axis=-1)`."""
    return nn.log_cosh(*_pair(y_true, y_pred))


def kl_divergence(y_true, y_pred):
    """Per-sample `sum(t * log(t / p), axis=-1)`, t and p clipped to [1e-7, 1]."""
    return nn.kl_divergence(*_pair(y_true, y_pred))


def poisson(y_true, y_pred):
    """Per-sample `mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`."""
    return nn.poisson(*_pair(y_true, y_pred))


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample `-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`."""
    return nn.cosine_similarity(*_pair(y_true, y_pred), axis=axis)


def hinge(y_true, y_pred):
    """Per-sample `mean(max(1 - y_true * y_pred, 0), axis=-1)` ({0, 1} labels -> {-1, 1})."""
    return nn.hinge(*_pair(y_true, y_pred))


def squared_hinge(y_true, y_pred):
    """Per-sample `mean(max(1 - y_true * y_pred, 0)**2, axis=-1)`."""
    return nn.squared_hinge(*_pair(y_true, y_pred))


def categorical_hinge(y_true, y_pred):
    """Per-sample `max(max((1 - t) * p) - sum(t * p) + 1, 0)`."""
    return nn.categorical_hinge(*_pair(y_true, y_pred))


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary focal cross entropy, averaged over `axis`."""
    return nn.binary_focal_cross_entropy(
        *_pair(y_true, y_pred), apply_class_balancing=apply_class_balancing, alpha=alpha,
        gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Per-sample categorical focal cross entropy along `axis`."""
    return nn.categorical_focal_cross_entropy(
        *_pair(y_true, y_pred), alpha=alpha, gamma=gamma, from_logits=from_logits,
        label_smoothing=label_smoothing, axis=axis)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Per-sample `(1 - p[y_true]**q) / q` for integer labels."""
    return nn.categorical_generalized_cross_entropy(_as_ids(y_true), _as_pred(y_pred), q=q)


def dice(y_true, y_pred, axis=None):
    """Dice loss over `axis` (None: one value for everything)."""
    return nn.dice(*_pair(y_true, y_pred), axis=axis)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss over `axis` (None: one value for everything)."""
    return nn.tversky(*_pair(y_true, y_pred), alpha=alpha, beta=beta, axis=axis)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Per-sample circle loss of normalized embeddings with integer labels."""
    return nn.circle(_as_ids(y_true), _as_pred(y_pred), ref_labels=ref_labels,
                     ref_embeddings=ref_embeddings, remove_diagonal=remove_diagonal,
                     gamma=gamma, margin=margin)

def ctc(y_true, y_pred):
    """Per-sample CTC loss as Keras' `losses.ctc`: blank/padding index 0, label lengths
    counted as the non-zero entries of `y_true`, every frame of `y_pred` used.

    Raises:
        ValueError: when `y_true` is not (batch, max_length) or `y_pred` not
            (batch, frames, classes).
    """
    labels = np.asarray(_data(y_true))
    logits = _as_pred(y_pred)
    if labels.ndim != 2:
        raise ValueError("ctc: y_true must be integer labels of shape (batch_size, max_length); "
                         f"got shape {labels.shape}.")
    if logits.ndim != 3:
        raise ValueError("ctc: y_pred must be logits of shape (batch_size, max_length, "
                         f"num_classes); got shape {logits.shape}.")
    frames = np.full(logits.shape[0], logits.shape[1], dtype=np.int64)
    return nn.ctc_loss(labels, logits, (labels != 0).sum(axis=-1), frames, mask_index=0)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

# ----------------------------------------------------------------------------- lookup
_CLASSES = (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
            MeanSquaredError, MeanAbsoluteError, Huber, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, LogCosh, KLDivergence, Poisson, Hinge, SquaredHinge,
            CategoricalHinge, CosineSimilarity, BinaryFocalCrossentropy,
            CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, Dice, Tversky,
            Circle, CTC)
_FUNCTIONS = {
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy":
    categorical_crossentropy, "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error, "mean_absolute_error": mean_absolute_error,
    "huber": huber,
    **{fn.__name__: fn for fn in (
        mean_absolute_percentage_error, mean_squared_logarithmic_error, log_cosh, kl_divergence,
        poisson, cosine_similarity, hinge, squared_hinge, categorical_hinge,
        binary_focal_crossentropy, categorical_focal_crossentropy,
        categorical_generalized_cross_entropy, dice, tversky, circle, ctc)},
}
# name -> Loss class; get() of any of these names returns an instance of the class
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError, "huber": Huber, "huber_loss": Huber,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "kld": KLDivergence, "KLD": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "logcosh": LogCosh,
})
# each function's name gives its class, as "mean_squared_error" does
_BY_NAME.update({name: cls for name, cls in (
    ("mean_absolute_percentage_error", MeanAbsolutePercentageError),
    ("mean_squared_logarithmic_error", MeanSquaredLogarithmicError), ("log_cosh", LogCosh),
    ("kl_divergence", KLDivergence), ("poisson", Poisson), ("hinge", Hinge),
    ("squared_hinge", SquaredHinge), ("categorical_hinge", CategoricalHinge),
    ("cosine_similarity", CosineSimilarity), ("binary_focal_crossentropy", BinaryFocalCrossentropy),
    ("categorical_focal_crossentropy", CategoricalFocalCrossentropy),
    ("categorical_generalized_cross_entropy", CategoricalGeneralizedCrossEntropy),
    ("dice", Dice), ("tversky", Tversky), ("circle", Circle), ("ctc", CTC))})
_CLASS_OF_FUNCTION = {id(fn): _BY_NAME[name] for name, fn in _FUNCTIONS.items()}


def serialize(loss) -> dict | str:
    """A Loss as Keras 3's {'module', 'class_name', 'config', 'registered_name'}; a function
    as its name."""
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    return getattr(loss, "__name__", repr(loss))


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"losses.deserialize: unknown loss {name!r}. Known: "
                         f"{', '.join(sorted(_BY_NAME))}.")
    return cls.from_config(config.get("config", {})) if inspect.isclass(cls) else cls


def get(identifier):
    """Resolve a loss to a callable Loss: a name ('mse', 'binary_crossentropy',
    'CategoricalCrossentropy', ...), a config dict, a Loss (or class), or a function
    (a built-in function gives its class; another callable is wrapped).

    Raises:
        ValueError: for an unknown name, listing the known names.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"unknown loss {identifier!r}. Known: "
                             f"{', '.join(sorted(_BY_NAME, key=str.lower))}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if id(identifier) in _CLASS_OF_FUNCTION:
        return _CLASS_OF_FUNCTION[id(identifier)]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise ValueError(f"losses.get: could not interpret loss identifier {identifier!r}; expected "
                     "a name, a config dict, a Loss or a function.")
