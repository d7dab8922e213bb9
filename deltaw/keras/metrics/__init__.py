"""Keras metrics (`keras.metrics`): stateful Metric classes, their functions, and `get()`.

`get('accuracy')` is refused on purpose: which accuracy it means (binary, categorical or sparse)
depends on the loss and the shapes, so `compile()` resolves it (trainers/compile_utils.py), as
Keras 3 does. The plain exact-match metric is available as `get('Accuracy')` or `Accuracy()`.
"""

import inspect

from deltaw.keras.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from deltaw.keras.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from deltaw.keras.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from deltaw.keras.metrics.f_score import F1Score, FBetaScore
from deltaw.keras.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from deltaw.keras.metrics.loss_valued import (
    CategoricalHinge,
    ConcordanceCorrelation,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanSquaredLogarithmicError,
    PearsonCorrelation,
    Poisson,
    SquaredHinge,
    concordance_correlation,
    pearson_correlation,
)
from deltaw.keras.metrics.metric import Mean, MeanMetricWrapper, Metric, Sum
from deltaw.keras.metrics.operating_point import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from deltaw.keras.metrics.regression import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
)
from deltaw.keras.utils import _to_snake_case

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

__all__ = [
    "AUC", "MAE", "MAPE", "MSE", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy",
    "CategoricalAccuracy", "CategoricalCrossentropy", "FalseNegatives", "FalsePositives", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError",
    "Metric", "Precision", "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy", "binary_accuracy",
    "binary_crossentropy", "categorical_accuracy", "categorical_crossentropy", "deserialize",
    "get", "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mse", "serialize", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
    # added with the full Keras 3 set
    "KLD", "MSLE", "BinaryIoU", "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity",
    "F1Score", "FBetaScore", "Hinge", "IoU", "KLDivergence", "LogCoshError", "MeanIoU",
    "MeanSquaredLogarithmicError", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation",
    "Poisson", "PrecisionAtRecall", "R2Score", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "SquaredHinge", "binary_focal_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "concordance_correlation", "hinge",
    "huber", "kl_divergence", "kld", "kullback_leibler_divergence", "log_cosh", "logcosh",
    "mean_squared_logarithmic_error", "msle", "pearson_correlation", "poisson", "squared_hinge",
]

_CLASSES = (
    AUC, Accuracy, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy,
    CategoricalCrossentropy, FalseNegatives, FalsePositives, Mean, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, Precision, Recall, RootMeanSquaredError,
    SparseCategoricalAccuracy, SparseCategoricalCrossentropy, SparseTopKCategoricalAccuracy, Sum,
    TopKCategoricalAccuracy, TrueNegatives, TruePositives,
    BinaryIoU, CategoricalHinge, ConcordanceCorrelation, CosineSimilarity, F1Score, FBetaScore,
    Hinge, IoU, KLDivergence, LogCoshError, MeanIoU, MeanSquaredLogarithmicError, OneHotIoU,
    OneHotMeanIoU, PearsonCorrelation, Poisson, PrecisionAtRecall, R2Score, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, SquaredHinge,
)
# Keras 3's lookup table: class names, their snake-case names, and a few abbreviations.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError,
                 "MSE": MeanSquaredError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                 "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
                 "kld": KLDivergence, "KLD": KLDivergence, "logcosh": LogCoshError,
                 "log_cosh": LogCoshError, "kullback_leibler_divergence": KLDivergence})
# 'accuracy' is resolved by compile() from the shapes; see the module docstring.
del _BY_NAME["accuracy"]
_SHAPE_DEPENDENT = ("accuracy", "acc", "crossentropy", "ce")

_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, binary_focal_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
    mean_squared_logarithmic_error, poisson, squared_hinge, pearson_correlation,
    concordance_correlation)}


def serialize(metric) -> dict | str:
    """A Metric as Keras 3's {'module', 'class_name', 'config', 'registered_name'}; a function
    as its name."""
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": type(metric).__name__,
                "config": metric.get_config(), "registered_name": None}
    return getattr(metric, "__name__", repr(metric))


def deserialize(config, custom_objects=None):
    """A metric (or metric function) from `serialize`'s output or a name."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        if config in _FUNCTIONS and config not in _BY_NAME:
            return _FUNCTIONS[config]
        return get(config)
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name) or (
        Accuracy if name == "accuracy" else None)
    if cls is None:
        raise ValueError(f"metrics.deserialize: unknown metric {name!r}. Known: "
                         f"{', '.join(sorted(_BY_NAME, key=str.lower))}.")
    return cls.from_config(config.get("config", {})) if inspect.isclass(cls) else cls


def get(identifier):
    """Resolve a metric: a name ('mse', 'binary_accuracy', 'AUC'/'auc', 'precision', ...), a
    config dict, a Metric (or class), or a function (returned unchanged).

    Raises:
        ValueError: for an unknown name (listing the known ones), and for 'accuracy'/'acc',
            which `compile()` resolves from the loss and the shapes.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            if identifier.lower() in _SHAPE_DEPENDENT:
                raise ValueError(
                    f"metrics.get: {identifier!r} depends on the loss and the output shape, so "
                    "compile(metrics=[...]) resolves it; expected a specific metric here, got "
                    f"{identifier!r}. Hint: use 'binary_accuracy', 'categorical_accuracy', "
                    "'sparse_categorical_accuracy', or 'Accuracy' for exact matches.")
            raise ValueError(f"unknown metric {identifier!r}. Known: "
                             f"{', '.join(sorted(_BY_NAME, key=str.lower))}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"metrics.get: could not interpret metric identifier {identifier!r}; "
                     "expected a name, a config dict, a Metric or a function.")
