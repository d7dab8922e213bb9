"""Metrics that are the mean over samples of a per-sample value: the loss-valued metrics
(KLDivergence, Poisson, the hinges, MSLE, LogCoshError, CosineSimilarity) and the correlations
(PearsonCorrelation, ConcordanceCorrelation).

The loss-valued ones evaluate the deltaw.keras.losses functions under `no_grad`, so a metric and
the loss of the same name agree exactly; the correlations are NumPy functions written from
Keras 3's formulas.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras import losses as _losses
from deltaw.keras.metrics.metric import (
    MeanMetricWrapper,
    as_array,
    numpy_function,
    squeeze_or_expand,
)

__all__ = [
    "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity", "Hinge", "KLDivergence",
    "LogCoshError", "MeanSquaredLogarithmicError", "PearsonCorrelation", "Poisson",
    "SquaredHinge", "concordance_correlation", "cosine_similarity", "pearson_correlation",
]

_EPSILON = 1e-7  # keras.backend.epsilon()


def _pair(y_true, y_pred):
    y_pred = as_array(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    return squeeze_or_expand(as_array(y_true, y_pred.dtype), y_pred)


@numpy_function
def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample `sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)` (1 when aligned;
    the loss of the same name is its negative)."""
    y_true, y_pred = _pair(y_true, y_pred)

    def unit(x):
        squares = np.sum(np.square(x), axis=axis, keepdims=True)
        return x / np.sqrt(np.maximum(squares, _EPSILON * _EPSILON))
    return np.sum(unit(y_true) * unit(y_pred), axis=axis)


@numpy_function
def pearson_correlation(y_true, y_pred, axis=-1):
    """Per-sample Pearson correlation along `axis`:
    `mean(standardize(y_true) * standardize(y_pred), axis)` (population standard deviations).

    Example:
        >>> float(pearson_correlation([[1., 2., 3.]], [[2., 4., 7.]])[0])
        0.9933992677987827...
    """
    y_true, y_pred = _pair(y_true, y_pred)
    t = y_true - np.mean(y_true, axis=axis, keepdims=True)
    p = y_pred - np.mean(y_pred, axis=axis, keepdims=True)
    t = t / np.std(t, axis=axis, keepdims=True)
    p = p / np.std(p, axis=axis, keepdims=True)
    return np.mean(t * p, axis=axis)


@numpy_function
def concordance_correlation(y_true, y_pred, axis=-1):
    """Per-sample concordance correlation along `axis`, written as Keras 3 computes it:

        mean(2 * (y_true - mean(y_pred)) * (y_pred - mean(y_pred))
             / (var(y_true) + var(y_pred) + (mean(y_true) - mean(y_pred))**2 + 1e-7), axis)

    Keras centres `y_true` on the mean of `y_pred` in the covariance term (Lin's coefficient
    uses the mean of `y_true`); deltaw keeps Keras' formula so the two report the same number.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    t_mean = np.mean(y_true, axis=axis, keepdims=True)
    p_mean = np.mean(y_pred, axis=axis, keepdims=True)
    norm = (np.var(y_true - t_mean, axis=axis, keepdims=True)
            + np.var(y_pred - p_mean, axis=axis, keepdims=True) + np.square(t_mean - p_mean))
    covar = (y_true - p_mean) * (y_pred - p_mean)
    return np.mean(2 * covar / (norm + _EPSILON), axis=axis)


class _LossMean(MeanMetricWrapper):
    """The mean over samples of a per-sample function with no arguments of its own."""

    _fn = None

    def __init__(self, name=None, dtype=None):
        super().__init__(type(self)._fn, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class KLDivergence(_LossMean):
    """Mean of `keras.losses.kl_divergence` over samples."""

    _fn = staticmethod(_losses.kl_divergence)

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Poisson(_LossMean):
    """Mean of `keras.losses.poisson` over samples."""

    _fn = staticmethod(_losses.poisson)

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Hinge(_LossMean):
    """Mean of `keras.losses.hinge` over samples.

    Example:
        >>> m = Hinge()
        >>> m.update_state([[0., 1.]], [[0.6, 0.4]])
        >>> round(m.result(), 4)
        1.1
    """

    _fn = staticmethod(_losses.hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_LossMean):
    """Mean of `keras.losses.squared_hinge` over samples."""

    _fn = staticmethod(_losses.squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_LossMean):
    """Mean of `keras.losses.categorical_hinge` over samples."""

    _fn = staticmethod(_losses.categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """Mean of `keras.losses.mean_squared_logarithmic_error` over samples."""

    _fn = staticmethod(_losses.mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(_LossMean):
    """Mean of `keras.losses.log_cosh` over samples (Keras' default name is "logcosh")."""

    _fn = staticmethod(_losses.log_cosh)

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean over samples of the cosine similarity along `axis` (1 for aligned vectors).

    As in Keras, `axis` is not part of `get_config()`.
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class PearsonCorrelation(MeanMetricWrapper):
    """Mean over samples of the Pearson correlation along `axis` (see `pearson_correlation`)."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Mean over samples of the concordance correlation along `axis`
    (see `concordance_correlation`)."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
