"""keras.utils.FeatureSpace: preprocessing and encoding of structured (tabular) data, built from
the preprocessing layers (Normalization, Rescaling, Discretization, IntegerLookup, StringLookup,
Hashing, HashedCrossing, CategoryEncoding).

Keras runs it through tf.data and TensorFlow tensors; deltaw has neither. Here `adapt` takes a
dict of NumPy arrays or lists (columns), or an iterable of such dict batches (a `BatchDataset`,
a `PyDataset`, a list, a generator; `(x, y)` items give x), and calling the FeatureSpace on a
dict of arrays returns deltaw Tensors. The encodings, their order and sizes are Keras'.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras import backend
from deltaw.keras.layers.core import Input
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.merging import Concatenate
from deltaw.keras.layers.preprocessing import (
    CategoryEncoding,
    Discretization,
    HashedCrossing,
    Hashing,
    IntegerLookup,
    Normalization,
    Rescaling,
    StringLookup,
    TextVectorization,
)
from deltaw.keras.layers.preprocessing.index_lookup import IndexLookup
from deltaw.keras.layers.preprocessing.tokens import as_array_input
from deltaw.keras.utils.feature_space_specs import (
    FEATURE_TYPES,
    Cross,
    Feature,
    TFDIdentity,
    cardinality,
    check_mode,
    deserialize,
    has_vocabulary,
    serialize,
)
from deltaw.keras.utils.py_dataset import PyDataset
from deltaw.ops import squeeze
from deltaw.tensor import Tensor

__all__ = ["Cross", "Feature", "FeatureSpace", "TFDIdentity"]

_ADAPT_BATCH = 32  # Keras batches unbatched adapt data by 32 (feature_space.adapt)


def _dtype_of(value) -> str:
    if isinstance(value, KerasTensor):
        return value.dtype
    return backend.standardize_dtype(as_array_input(value).dtype)


def _column(where, name, value) -> np.ndarray:
    """One feature's raw values as an array (strings as str)."""
    if isinstance(value, KerasTensor):
        raise ValueError(f"{where}: feature '{name}' is symbolic; call the FeatureSpace on "
                         "data, or use get_inputs()/get_encoded_features() to build a model.")
    array = as_array_input(value)
    if array.dtype.kind not in "biufUSO":
        raise ValueError(f"{where}: feature '{name}' must hold numbers or strings; got dtype "
                         f"{array.dtype}.")
    return array


def _first_of_tuple(item):
    # a labelled dataset yields (x, y) or (x, y, sample_weight): adapt reads x
    return item[0] if isinstance(item, tuple) else item


def _iter_items(dataset):
    if isinstance(dataset, PyDataset) and not hasattr(dataset, "__iter__"):
        return (dataset[i] for i in range(len(dataset)))
    return iter(dataset)


class _Batcher:
    """Collects one feature's adapt batches: arrays of rank >= 1 as they come (a rank-1 batch
    gets a trailing axis), single values (rank 0) grouped by 32, as Keras batches them."""

    def __init__(self):
        self.batches, self._pending = [], []

    def add(self, array):
        if array.ndim == 0:
            self._pending.append(array)
            if len(self._pending) == _ADAPT_BATCH:
                self.flush()
            return
        self.flush()
        self.batches.append(array[:, None] if array.ndim == 1 else array)

    def flush(self):
        if self._pending:
            self.batches.append(np.stack(self._pending)[:, None])
            self._pending = []


class FeatureSpace(Layer):
    """One-stop preprocessing and encoding of structured data (`keras.utils.FeatureSpace`).

    Args:
        features: Dict mapping each feature's name to its type: a string (one of
            `FEATURE_TYPES`, with default arguments) or a `Feature` made by the class methods
            (`FeatureSpace.float()`, `.float_rescaled(scale, offset)`, `.float_normalized()`,
            `.float_discretized(num_bins, bin_boundaries, output_mode)`,
            `.integer_categorical(max_tokens, num_oov_indices, output_mode)`,
            `.string_categorical(...)`, `.integer_hashed(num_bins, output_mode)`,
            `.string_hashed(...)`, `.feature(dtype, preprocessor, output_mode)`).
        output_mode: 'concat' (one float32 vector per sample: the features sorted by name,
            then the crosses sorted by name) or 'dict' (each encoded feature by name).
        crosses: Optional list of feature-name tuples (or `FeatureSpace.cross(...)`) whose
            value combinations are hashed into `crossing_dim` bins.
        crossing_dim: Default number of bins of a cross (32).
        hashing_dim: Bins of 'integer_hashed' and 'string_hashed' given by name (32).
        num_discretization_bins: Bins of 'float_discretized' given by name (32).
        name: Optional name.

    Attributes:
        preprocessors: Feature name -> its preprocessing layer.
        crossers: Cross name ('a_X_b') -> its HashedCrossing layer.
        one_hot_encoders: Feature or cross name -> the CategoryEncoding that one-hot encodes it
            (made when the FeatureSpace is first built: adapt, get_inputs, a call).

    Use: `adapt(data)`, then call it on a dict of raw values (a batch of arrays or lists, or
    one sample of scalars), or build a model on `get_inputs()` / `get_encoded_features()`.
    `save(path)` writes a Keras `.keras` file that `keras.saving.load_model` reads back.

    Differences from Keras: data are NumPy arrays and lists, not tf.data datasets or tf
    tensors (see the module docstring); a call returns deltaw Tensors; a 'float' feature
    given integers returns them as float32; a 'float_discretized' feature given
    bin_boundaries (and num_bins=None) is one-hot encoded with len(bin_boundaries) + 1
    columns, where Keras leaves it unencoded; adapt skips preprocessors with nothing to learn
    (a Discretization given boundaries, a lookup given a vocabulary).

    Example:
        >>> space = FeatureSpace({"x": "float_normalized", "c": "string_categorical"})
        >>> space.adapt({"x": [0.0, 2.0], "c": ["a", "b"]})
        >>> space({"x": [2.0], "c": ["b"]}).numpy()   # c: [OOV, 'b', 'a'], then x
        array([[0., 1., 0., 1.]], dtype=float32)
    """

    _keras_module = "keras.utils"  # where Keras' files say the class lives

    # ----- feature types (Keras' class methods)
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or backend.unique_name("float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or backend.unique_name("float_rescaled")
        layer = Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or backend.unique_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot",
                          name=None):
        name = name or backend.unique_name("float_discretized")
        layer = Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                               name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        name = name or backend.unique_name("integer_categorical")
        layer = IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                              num_oov_indices=num_oov_indices)
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        name = name or backend.unique_name("string_categorical")
        layer = StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                             num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or backend.unique_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or backend.unique_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    # ----- construction
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features or not isinstance(features, dict):
            raise ValueError(f"FeatureSpace: features must be a non-empty dict of feature name "
                             f"-> type; got features={features!r}.")
        check_mode("FeatureSpace", output_mode, {"concat", "dict"})
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {name: self._standardize_feature(name, value)
                         for name, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or ()]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.inputs = {name: Input(shape=(1,), dtype=feature.dtype, name=name)
                       for name, feature in self.features.items()}
        self.preprocessors = {name: feature.preprocessor
                              for name, feature in self.features.items()}
        self.crossers = {cross.name: HashedCrossing(cross.crossing_dim, name=cross.name)
                         for cross in self.crosses}
        self.one_hot_encoders = {}
        self.encoded_features = None
        self.concat = None
        self._is_adapted = False
        self._sublayers_built = False
        self._encoders_made = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return deserialize(feature, Feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                num_bins=self.num_discretization_bins, name=name),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(f"FeatureSpace: invalid feature type for feature '{name}'; "
                             f"expected one of {list(FEATURE_TYPES)} or a FeatureSpace."
                             f"<type>(...) Feature, got {feature!r}.")
        return makers[feature]()

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = deserialize(cross, Cross)
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError("FeatureSpace: with crosses, crossing_dim (the size of the "
                                 f"crossing space) must be set; got crossing_dim="
                                 f"{self.crossing_dim!r}.")
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [n for n in cross.feature_names if n not in self.features]
        if unknown:
            raise ValueError(f"FeatureSpace: the cross {cross.feature_names} names unknown "
                             f"features {unknown}; expected names among the features "
                             f"{list(self.features)}.")
        return cross

    # ----- adapt
    def _list_adaptable_preprocessors(self) -> list:
        names = []
        for name, preprocessor in self.preprocessors.items():
            if isinstance(preprocessor, Normalization) and preprocessor.input_mean is not None:
                continue  # given mean and variance: nothing to learn
            if isinstance(preprocessor, IndexLookup | TextVectorization) and \
                    has_vocabulary(preprocessor):
                continue
            if isinstance(preprocessor, Discretization) and preprocessor.num_bins is None:
                continue  # given bin boundaries
            if hasattr(preprocessor, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Learn each preprocessor's state from `dataset`: vocabularies, means and variances,
        bin boundaries.

        Args:
            dataset: A dict of columns (feature name -> array or list of values, all of one
                length; read in batches of 32, as Keras reads it), or an iterable of dicts: dict
                batches (a `BatchDataset`, a `PyDataset`, a list, a generator), or single
                samples of scalars (grouped by 32). Items `(x, y)` give x.
        """
        names = self._list_adaptable_preprocessors()
        columns = self._adapt_batches(dataset, names)
        for name in names:
            self.preprocessors[name].adapt(iter(columns[name]))
        self._is_adapted = True
        self.get_encoded_features()  # finish building, as Keras
        self.built = True
        self._sublayers_built = True

    def _adapt_batches(self, dataset, names) -> dict:
        """Feature name -> list of 2-D batches of its values."""
        where = "FeatureSpace.adapt"
        if isinstance(dataset, dict):
            columns = {name: self._adapt_column(where, dataset, name) for name in names}
            lengths = {name: len(c) for name, c in columns.items()}
            if len(set(lengths.values())) > 1:
                raise ValueError(f"{where}: every column must have the same length; got "
                                 f"lengths {lengths}.")
            return {name: [c[i:i + _ADAPT_BATCH] for i in range(0, len(c), _ADAPT_BATCH)]
                    for name, c in columns.items()}
        if isinstance(dataset, str | bytes | np.ndarray | Tensor) or \
                not hasattr(dataset, "__iter__") and not isinstance(dataset, PyDataset):
            raise ValueError(f"{where}: expected a dict of arrays or lists, or an iterable of "
                             f"such dicts; got {type(dataset).__name__}.")
        batchers = {name: _Batcher() for name in names}
        for item in _iter_items(dataset):
            item = _first_of_tuple(item)
            if not isinstance(item, dict):
                raise ValueError(f"{where}: every item of the dataset must be a dict of feature "
                                 f"values; got {type(item).__name__}.")
            for name in names:
                batchers[name].add(self._adapt_value(where, item, name))
        for batcher in batchers.values():
            batcher.flush()
        if names and not batchers[names[0]].batches:
            raise ValueError(f"{where}: the dataset is empty; expected at least one batch.")
        return {name: batcher.batches for name, batcher in batchers.items()}

    def _adapt_value(self, where, data, name) -> np.ndarray:
        if name not in data:
            raise ValueError(f"{where}: feature '{name}' is missing from the data; expected "
                             f"the features {list(self.features)}, got keys {list(data)}.")
        return _column(where, name, data[name])

    def _adapt_column(self, where, data, name) -> np.ndarray:
        column = self._adapt_value(where, data, name)
        if column.ndim == 0:
            raise ValueError(f"{where}: feature '{name}' must be a column of values (one per "
                             f"sample); got the single value {column!r}.")
        return column[:, None] if column.ndim == 1 else column

    # ----- building (symbolic)
    def get_inputs(self) -> dict:
        """The Input of each feature (shape (1,), the feature's dtype), by name."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The symbolic encoding of `get_inputs()`: one KerasTensor (concat) or a dict."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self.encoded_features = self._merge_features(preprocessed, crossed)
        return self.encoded_features

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError("FeatureSpace: call adapt(data) before using it (the features "
                                 f"{self._list_adaptable_preprocessors()} learn their "
                                 "preprocessing from data).")
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    def _preprocess_features(self, features) -> dict:
        return {name: self.preprocessors[name](features[name]) for name in self.features}

    def _cross_features(self, features) -> dict:
        return {cross.name: self.crossers[cross.name](
            [features[name] for name in cross.feature_names]) for cross in self.crosses}

    def _merge_features(self, preprocessed, crossed):
        names = sorted(preprocessed) + sorted(crossed)
        values = {**preprocessed, **crossed}
        if not self._encoders_made:  # the first (symbolic) merge makes them
            self._make_encoders(names, values)
            self._encoders_made = True
        encoded = {}
        for name in names:
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(values[name]) if encoder is not None else values[name]
        if self.output_mode == "dict":
            return encoded
        return self.concat([encoded[name] for name in names])

    def _make_encoders(self, names, values):
        """The one-hot encoders and the checks Keras makes when it builds (on KerasTensors)."""
        for name in names:
            spec = self.features.get(name) or self.crosses_by_name[name]
            dtype = _dtype_of(values[name])
            if spec.output_mode == "one_hot":
                if not dtype.startswith(("int", "uint")):
                    raise ValueError(f"FeatureSpace: feature '{name}' has output_mode='one_hot', "
                                     "so its preprocessor must return integers; it returns "
                                     f"{dtype}.")
                preprocessor = self.preprocessors.get(name) or self.crossers[name]
                self.one_hot_encoders[name] = CategoryEncoding(
                    num_tokens=cardinality(name, preprocessor), output_mode="multi_hot")
            elif self.output_mode == "concat" and (dtype.startswith(("int", "uint")) or
                                                   dtype == "string"):
                raise ValueError(f"FeatureSpace: cannot concatenate the features: '{name}' is "
                                 f"not encoded (dtype {dtype}). Hint: use output_mode='dict'.")
        if self.output_mode == "concat":
            self.concat = Concatenate(axis=-1)

    # ----- calling on data
    def __call__(self, data):
        """Encode `data`: a dict of feature name -> values, a batch (arrays or lists of one
        value per sample) or one sample (scalars). Returns a Tensor (output_mode='concat',
        shape (batch, size), or (size,) for one sample) or a dict of Tensors."""
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"FeatureSpace '{self.name}': expected a dict of feature name -> "
                             f"values; got {type(data).__name__}.")
        data, single = self._standardize_call_data(data)
        preprocessed = self._preprocess_features(data)
        merged = self._merge_features(preprocessed, self._cross_features(preprocessed))
        if not single:
            return merged
        if self.output_mode == "concat":
            return squeeze(merged, axis=0)
        return {name: squeeze(x, axis=0) if x.ndim == 2 and x.shape[0] == 1 else x
                for name, x in merged.items()}

    def _standardize_call_data(self, data):
        """The data as arrays of shape (batch, 1) (or (batch, k)), and whether it was one
        sample of scalars."""
        where = f"FeatureSpace '{self.name}'"
        missing = [name for name in self.features if name not in data]
        unknown = [name for name in data if name not in self.features]
        if missing or unknown:
            raise ValueError(f"{where}: the data must hold exactly the features "
                             f"{list(self.features)}; missing {missing}, unknown {unknown}.")
        arrays, single = {}, False
        for name in self.features:
            array = _column(where, name, data[name])
            if array.ndim == 0:
                array, single = array.reshape(1, 1), True
            elif array.ndim == 1:
                array = array[:, None]
            arrays[name] = array
        sizes = {name: len(a) for name, a in arrays.items()}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"{where}: every feature must have the same number of samples; "
                             f"got {sizes}.")
        return arrays, single

    # ----- configuration and files
    def get_config(self):
        return {"name": self.name,
                "features": {name: serialize(f) for name, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [serialize(cross) for cross in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {name: feature.preprocessor.get_build_config()
                for name, feature in self.features.items()}

    def build_from_config(self, config):
        """Build the preprocessors for their saved shapes (load_model then assigns the
        Normalization statistics); the FeatureSpace then counts as adapted, as in Keras."""
        for name, build_config in (config or {}).items():
            preprocessor = self.features[name].preprocessor
            if not preprocessor.built:
                preprocessor.build_from_config(build_config)
        self._is_adapted = True

    def save(self, filepath):
        """Write the FeatureSpace to a Keras `.keras` file (its config and the adapted
        Normalization statistics); `keras.saving.load_model(filepath)` reads it back."""
        from deltaw.keras.saving import keras_format

        keras_format.save_keras(self, str(filepath), include_optimizer=False, overwrite=True)
