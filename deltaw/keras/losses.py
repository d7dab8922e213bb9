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
"""

from __future__ import annotations

import inspect

import numpy as np

from deltaw import nn, ops
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.keras.utils import _auto_name
from deltaw.tensor import Tensor

__all__ = [
    "MAE", "MSE", "BinaryCrossentropy", "CategoricalCrossentropy", "Huber", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "MeanSquaredError",
    "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy",
    "deserialize", "get", "huber", "mae", "mean_absolute_error", "mean_squared_error", "mse",
    "serialize", "sparse_categorical_crossentropy",
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


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

# ----------------------------------------------------------------------------- lookup
_CLASSES = (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
            MeanSquaredError, MeanAbsoluteError, Huber)
_FUNCTIONS = {
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy":
    categorical_crossentropy, "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error, "mean_absolute_error": mean_absolute_error,
    "huber": huber,
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
})
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
