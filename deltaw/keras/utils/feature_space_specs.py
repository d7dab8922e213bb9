"""The pieces of keras.utils.FeatureSpace's configuration: Feature (a feature's dtype,
preprocessing layer and encoding), Cross (a hashed feature cross), TFDIdentity (the 'float'
preprocessor), their Keras-format serialization, and the size of a feature's index space.
"""

from __future__ import annotations

from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing import (
    CategoryEncoding,
    Discretization,
    HashedCrossing,
    Hashing,
    TextVectorization,
)
from deltaw.keras.layers.preprocessing.index_lookup import IndexLookup
from deltaw.ops import astype

__all__ = ["FEATURE_TYPES", "Cross", "Feature", "TFDIdentity", "cardinality", "check_mode",
           "deserialize", "has_vocabulary", "serialize"]

FEATURE_TYPES = ("float", "float_rescaled", "float_normalized", "float_discretized",
                 "integer_categorical", "string_categorical", "integer_hashed", "string_hashed")
_KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"  # where Keras' Feature lives


def check_mode(where, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(f"{where}: invalid output_mode; expected one of {sorted(allowed)}, got "
                         f"output_mode={output_mode!r}.")


class TFDIdentity(Layer):
    """The preprocessor of a 'float' feature: its values, as floats (Keras' class name, so
    configs written by either library load in the other)."""

    def call(self, inputs):
        return inputs if inputs.data.dtype == self._np_dtype else astype(inputs, self._np_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


def _serialize_preprocessor(layer) -> dict:
    from deltaw.keras.models.config import serialize_layer

    data = serialize_layer(layer)
    if isinstance(layer, TFDIdentity):
        data.update(module=_KERAS_MODULE, registered_name="TFDIdentity")
    return data


def _deserialize_preprocessor(data):
    if not isinstance(data, dict):
        return data
    from deltaw.keras.models.config import deserialize_layer

    return deserialize_layer(data, custom_objects={"TFDIdentity": TFDIdentity})


class Cross:
    """A feature cross: `feature_names` hashed together into `crossing_dim` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        check_mode("FeatureSpace.cross", output_mode, {"int", "one_hot"})
        if isinstance(feature_names, str) or len(feature_names) < 2:
            raise ValueError(f"FeatureSpace.cross: feature_names must name at least two "
                             f"features; got feature_names={feature_names!r}.")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One feature: the dtype of its raw values ('float32', 'int32' or 'string'), the layer
    that preprocesses it, and how its output is encoded ('float', 'int' or 'one_hot')."""

    def __init__(self, dtype, preprocessor, output_mode):
        check_mode("FeatureSpace.feature", output_mode, {"int", "one_hot", "float"})
        self.dtype = dtype
        self.preprocessor = _deserialize_preprocessor(preprocessor)
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": _serialize_preprocessor(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def serialize(obj) -> dict:
    """Keras' serialized form of a Feature or Cross."""
    name = type(obj).__name__
    return {"module": _KERAS_MODULE, "class_name": name, "config": obj.get_config(),
            "registered_name": name}


def deserialize(value, cls):
    """A Feature or Cross from its serialized dict (only these two classes: a closed set)."""
    if not isinstance(value, dict):
        return value
    if value.get("class_name") != cls.__name__ or not isinstance(value.get("config"), dict):
        raise ValueError(f"FeatureSpace: expected a serialized {cls.__name__} ({{'class_name': "
                         f"'{cls.__name__}', 'config': {{...}}}}); got {str(value)[:80]!r}.")
    return cls.from_config(value["config"])


def cardinality(name, preprocessor) -> int:
    """The number of indices a one-hot encoded feature's preprocessor produces."""
    if isinstance(preprocessor, IndexLookup):
        return preprocessor.vocabulary_size()
    if isinstance(preprocessor, CategoryEncoding):
        return preprocessor.num_tokens
    if isinstance(preprocessor, Discretization):
        # Keras reads num_bins only, so given bin_boundaries leave the feature unencoded there
        if preprocessor.num_bins is not None:
            return preprocessor.num_bins
        return len(preprocessor.bin_boundaries) + 1
    if isinstance(preprocessor, HashedCrossing | Hashing):
        return preprocessor.num_bins
    raise ValueError(f"FeatureSpace: feature '{name}' has output_mode='one_hot', but its "
                     f"preprocessor ({type(preprocessor).__name__}) is not a standard one, so "
                     "the size of its output space is unknown and it cannot be one-hot "
                     "encoded. Hint: use output_mode='int'.")


def has_vocabulary(layer) -> bool:
    lookup = layer._lookup_layer if isinstance(layer, TextVectorization) else layer
    return lookup._has_input_vocabulary
