"""Loss functions composed of dw ops: Keras 3's regression, hinge, focal, overlap and metric losses.

Unlike the cross entropies in deltaw.nn.losses, these need no hand-written backward: each is a
short composition of differentiable dw ops, so its gradient comes from theirs. Every function
takes `(y_true, y_pred)` (Keras' order), casts `y_true` to `y_pred`'s dtype (float32 for integer
or list predictions) and returns per-sample values, reducing over the last axis (or `axis`) as
the `keras.losses` function of the same name does. Where Keras clips with `epsilon = 1e-7`
(`keras.backend.epsilon()`), these functions clip the same way, so values match Keras to float32
rounding; the clipped regions have a zero gradient, as in Keras.
"""

from __future__ import annotations

import math

import numpy as np

from deltaw import ops
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.nn.activations import sigmoid, softmax, softplus
from deltaw.tensor import Tensor

__all__ = [
    "binary_focal_cross_entropy", "categorical_focal_cross_entropy",
    "categorical_generalized_cross_entropy", "categorical_hinge", "circle", "cosine_similarity",
    "dice", "hinge", "kl_divergence", "log_cosh", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "poisson", "squared_hinge", "tversky",
]

EPSILON = 1e-7  # keras.backend.epsilon()
_LOG2 = math.log(2.0)


# ---------------------------------------------------------------- shared helpers
def _operands(y_true, y_pred, align=False):
    """(y_true, y_pred) as Tensors of one floating dtype; with `align`, Keras'
    squeeze_or_expand_to_same_rank (ranks differing by one trailing size-1 axis)."""
    p = y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)
    if p.dtype.kind != "f":
        p = p.astype(DEFAULT_FLOAT)
    if isinstance(y_true, Tensor):
        t = y_true if y_true.dtype == p.dtype else y_true.astype(p.dtype)
    else:
        t = Tensor(y_true, dtype=p.dtype)
    if align:
        t, p = _align(t, p)
    return t, p


def _as_float(x):
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x if x.dtype.kind == "f" else x.astype(DEFAULT_FLOAT)


def _align(t, p):
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        return (t, p.reshape(p.shape + (1,))) if p.ndim == 1 else (t.reshape(t.shape[:-1]), p)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        return (t.reshape(t.shape + (1,)), p) if t.ndim == 1 else (t, p.reshape(p.shape[:-1]))
    return t, p


def _last_mean(x, axis=-1):
    return ops.mean(x, axis=axis) if x.ndim else x


def _check_positive(where, name, value):
    if not value > 0:
        raise ValueError(f"{where}: {name} must be positive; expected {name} > 0, got {value}.")


def _check_smoothing(where, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1]; expected a value in "
                         f"[0, 1], got {label_smoothing}.")


# ---------------------------------------------------------------- regression
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)` per sample.

    Example:
        >>> dw.nn.mean_absolute_percentage_error([[1., 2.]], [[1.5, 1.]]).numpy()
        array([50.], dtype=float32)
    """
    t, p = _operands(y_true, y_pred, align=True)
    diff = ops.abs((t - p) / ops.maximum(ops.abs(t), EPSILON))
    return _last_mean(diff) * 100.0


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1))**2, axis=-1)`.

    Example:
        >>> dw.nn.mean_squared_logarithmic_error([[0., 1.]], [[1., 1.]]).numpy().round(4)
        array([0.2402], dtype=float32)
    """
    t, p = _operands(y_true, y_pred, align=True)
    diff = ops.log(ops.maximum(p, EPSILON) + 1.0) - ops.log(ops.maximum(t, EPSILON) + 1.0)
    return _last_mean(ops.square(diff))


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed as `x + softplus(-2x) - log 2`,
    which stays finite where cosh overflows (|x| > 89 in float32).

    Example:
        >>> dw.nn.log_cosh([[0., 1.]], [[1., 1.]]).numpy().round(4)
        array([0.2169], dtype=float32)
    """
    t, p = _operands(y_true, y_pred, align=True)
    x = p - t
    return _last_mean(x + softplus(x * -2.0) - _LOG2)


def cosine_similarity(y_true, y_pred, axis=-1):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`: -1 for parallel vectors,
    0 for orthogonal ones or a zero vector.

    Normalization is Keras': `x / sqrt(max(sum(x**2), 1e-14))`, i.e. the inverse norm is capped
    at 1e7, so a zero vector stays zero.

    Example:
        >>> dw.nn.cosine_similarity([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]).numpy().round(4)
        array([-0., -1.], dtype=float32)
    """
    t, p = _operands(y_true, y_pred, align=True)
    return -ops.sum(_l2_normalize(t, axis) * _l2_normalize(p, axis), axis=axis)


def _l2_normalize(x, axis):
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(squares, EPSILON * EPSILON))


# ---------------------------------------------------------------- probabilistic
def kl_divergence(y_true, y_pred):
    """`sum(t * log(t / p), axis=-1)` with t and p clipped to [1e-7, 1].

    Example:
        >>> dw.nn.kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]).numpy().round(4)
        array([0.1438], dtype=float32)
    """
    t, p = _operands(y_true, y_pred)
    t, p = ops.clip(t, EPSILON, 1.0), ops.clip(p, EPSILON, 1.0)
    values = t * ops.log(t / p)
    return ops.sum(values, axis=-1) if values.ndim else values


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`.

    Example:
        >>> dw.nn.poisson([[1., 0.]], [[1., 2.]]).numpy().round(4)
        array([1.5], dtype=float32)
    """
    t, p = _operands(y_true, y_pred)
    return _last_mean(p - t * ops.log(p + EPSILON))


def binary_focal_cross_entropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                               gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross entropy scaled by the focal factor `(1 - p_t)**gamma`, averaged over `axis`.

    `p_t = t * p + (1 - t) * (1 - p)`; with `apply_class_balancing`, each element is also
    weighted by `alpha` (t = 1) or `1 - alpha` (t = 0). Labels are smoothed towards 0.5 first.
    As Keras, the probabilities are clipped to [1e-7, 1 - 1e-7] before the logarithms (with
    `from_logits`, after the sigmoid).

    Example:
        >>> y_true, y_pred = [[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]]
        >>> dw.nn.binary_focal_cross_entropy(y_true, y_pred, gamma=2.0).numpy().round(3)
        array([0.33 , 0.206], dtype=float32)
    """
    _check_smoothing("binary_focal_cross_entropy", label_smoothing)
    t, p = _operands(y_true, y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = sigmoid(p)
    clipped = ops.clip(p, EPSILON, 1.0 - EPSILON)
    bce = -(t * ops.log(clipped) + (1.0 - t) * ops.log(1.0 - clipped))
    p_t = t * p + (1.0 - t) * (1.0 - p)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (t * alpha + (1.0 - t) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis) if focal.ndim else focal


def categorical_focal_cross_entropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                    label_smoothing=0.0, axis=-1):
    """Categorical cross entropy scaled per class by `alpha * (1 - p)**gamma`, summed over
    `axis`.

    The probabilities are renormalized to sum to 1 along `axis` and clipped to
    [1e-7, 1 - 1e-7] (Keras' order); `alpha` may be a float or one value per class.

    Example:
        >>> y_true, y_pred = [[0., 1., 0.], [0., 0., 1.]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> dw.nn.categorical_focal_cross_entropy(y_true, y_pred).numpy().round(4)
        array([0.    , 0.4663], dtype=float32)
    """
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise ValueError("categorical_focal_cross_entropy: axis must be an int; expected an "
                         f"int, got {axis!r}.")
    _check_smoothing("categorical_focal_cross_entropy", label_smoothing)
    t, p = _operands(y_true, y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        p = softmax(p, axis=axis)
    p = ops.clip(p / ops.sum(p, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON)
    alpha = alpha if np.ndim(alpha) == 0 else np.asarray(alpha, dtype=p.dtype)
    focal = ops.power(1.0 - p, gamma) * alpha * (-t * ops.log(p))
    return ops.sum(focal, axis=axis)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """`(1 - p[y_true]**q) / q` for integer class ids `y_true` (shape `(n,)` or `(n, 1)`) and
    probabilities `y_pred` of shape `(n, classes)`; q in (0, 1) moves it from cross entropy
    (q -> 0) to mean absolute error (q = 1).

    Example:
        >>> dw.nn.categorical_generalized_cross_entropy([1], [[0.2, 0.8]], q=0.5).numpy().round(4)
        array([0.2111], dtype=float32)
    """
    if not 0.0 < q <= 1.0:
        raise ValueError("categorical_generalized_cross_entropy: q must be in (0, 1]; expected "
                         f"0 < q <= 1, got {q}.")
    p = y_pred if isinstance(y_pred, Tensor) else _as_float(y_pred)
    ids = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true).astype(np.int64)
    one_hot = (ids.reshape(ids.shape + (1,)) == np.arange(p.shape[-1])).astype(p.dtype)
    if one_hot.ndim == p.ndim + 1:      # ids of shape (n, 1)
        one_hot = one_hot.reshape(one_hot.shape[:-2] + one_hot.shape[-1:])
    chosen = ops.sum(p * one_hot, axis=-1)
    return (1.0 - ops.power(chosen, q)) / q


# ---------------------------------------------------------------- hinge
def _hinge_labels(t):
    """Keras' convert_binary_labels_to_hinge: labels all in {0, 1} become {-1, 1}."""
    data = t.data
    return t * 2.0 - 1.0 if np.all((data == 0) | (data == 1)) else t


def hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`; labels in {0, 1} are first mapped to
    {-1, 1}.

    Gradient: 0 at the kink `y_true * y_pred == 1` (maximum's convention).

    Example:
        >>> dw.nn.hinge([[0., 1.]], [[0.6, 0.4]]).numpy()
        array([1.1], dtype=float32)
    """
    t, p = _operands(y_true, y_pred)
    return _last_mean(ops.maximum(1.0 - _hinge_labels(t) * p, 0.0))


def squared_hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0)**2, axis=-1)`; labels in {0, 1} become {-1, 1}.

    Example:
        >>> dw.nn.squared_hinge([[0., 1.]], [[0.6, 0.4]]).numpy()
        array([1.46], dtype=float32)
    """
    t, p = _operands(y_true, y_pred)
    return _last_mean(ops.square(ops.maximum(1.0 - _hinge_labels(t) * p, 0.0)))


def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)` with `pos = sum(t * p)` and `neg = max((1 - t) * p)` over the
    last axis.

    Example:
        >>> dw.nn.categorical_hinge([[0., 1.]], [[0.6, 0.4]]).numpy()
        array([1.2], dtype=float32)
    """
    t, p = _operands(y_true, y_pred)
    pos = ops.sum(t * p, axis=-1)
    neg = ops.max((1.0 - t) * p, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


# ---------------------------------------------------------------- overlap (segmentation)
def dice(y_true, y_pred, axis=None):
    """`1 - 2 * sum(t * p) / (sum(t) + sum(p) + 1e-7)`, summed over `axis` (None: every axis,
    one value).

    Example:
        >>> float(dw.nn.dice([[1., 0.], [1., 1.]], [[1., 0.], [0., 1.]]))
        0.19999998...
    """
    t, p = _operands(y_true, y_pred)
    intersection = ops.sum(t * p, axis=axis)
    return 1.0 - 2.0 * intersection / (ops.sum(t, axis=axis) + ops.sum(p, axis=axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """`1 - TP / (TP + alpha * FP + beta * FN + 1e-7)` with soft counts `TP = sum(t * p)`,
    `FP = sum((1 - p) * t)`, `FN = sum(p * (1 - t))` over `axis` (Keras' definitions, in which
    alpha weighs the missed positives). alpha = beta = 0.5 is the Dice loss.

    Example:
        >>> round(float(dw.nn.tversky([[1., 0.], [1., 1.]], [[1., 0.], [0., 1.]])), 4)
        0.2
    """
    t, p = _operands(y_true, y_pred)
    tp = ops.sum(t * p, axis=axis)
    fp = ops.sum((1.0 - p) * t, axis=axis)
    fn = ops.sum(p * (1.0 - t), axis=axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + EPSILON)


# ---------------------------------------------------------------- metric learning
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80.0, margin=0.4):
    """Circle loss (Sun et al., 2020) of L2-normalized embeddings `y_pred` (n, d) with integer
    labels `y_true` (n,), against reference embeddings and labels (default: the batch).

    With cosine distances `d = max(1 - y_pred @ ref.T, 0)`, positives (same label; the
    diagonal left out when `remove_diagonal`) and negatives (different label):

        p_loss = logsumexp over positives of -gamma * max(margin + d, 0) * (margin - d)
        n_loss = logsumexp over negatives of  gamma * max(1 + margin - d, 0) * (1 - margin - d)
        loss = softplus(p_loss + n_loss)

    A row without positives or negatives has loss 0 (Keras' logsumexp of -inf). The Keras
    `Circle` loss leaves such zero rows out of its mean.

    Example:
        >>> emb = [[1., 0.], [0.6, 0.8], [0., 1.]]
        >>> dw.nn.circle([0, 0, 1], emb).numpy().round(3)
        array([ 0. , 38.4,  0. ], dtype=float32)
    """
    p = y_pred if isinstance(y_pred, Tensor) else _as_float(y_pred)
    ref = p if ref_embeddings is None else ref_embeddings
    labels = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true).astype(np.int64)
    ref_ids = labels if ref_labels is None else np.asarray(
        ref_labels.data if isinstance(ref_labels, Tensor) else ref_labels).astype(np.int64)
    labels, ref_ids = labels.reshape(-1, 1), ref_ids.reshape(-1, 1)
    positive = labels == ref_ids.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~np.eye(positive.shape[0], positive.shape[1], dtype=bool)
    dist = ops.maximum(1.0 - ops.matmul(p, ops.transpose(ref)), 0.0)
    pos_weights = ops.maximum((margin + dist) * positive.astype(p.dtype), 0.0)
    neg_weights = ops.maximum((1.0 + margin - dist) * negative.astype(p.dtype), 0.0)
    pos_terms = pos_weights * (margin - dist) * -gamma
    neg_terms = neg_weights * (1.0 - margin - dist) * gamma
    return softplus(_masked_logsumexp(pos_terms, positive) +
                    _masked_logsumexp(neg_terms, negative))


def _masked_logsumexp(x, mask):
    """logsumexp over axis 1 of the entries in `mask`; an empty row gives a very negative number
    (softplus of it is 0, as Keras' -inf) with zero gradient, and no inf/nan anywhere."""
    empty = ~mask.any(axis=1)
    # a finite stand-in for -inf that still dominates every real term in float32
    x = ops.where(mask | empty[:, None], x, -1e30)
    return ops.where(empty, -1e30, ops.logsumexp(x, axis=1))
