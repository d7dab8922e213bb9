"""Discretization: buckets continuous values by boundaries, given or adapted from quantiles."""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing.category_encoding import (
    as_index_array,
    check_not_sparse,
    check_output_mode,
    encode_categorical,
    encoded_shape,
)
from deltaw.keras.layers.preprocessing.normalization import adapt_batches
from deltaw.keras.layers.preprocessing.tokens import output_spec
from deltaw.tensor import Tensor

__all__ = ["Discretization"]

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def summarize(values, epsilon) -> np.ndarray:
    """A (2, m) summary of `values`: every `step`-th sorted value and the weight it stands for.

    `step` is len(values) * epsilon (at least 1), so about 1 / epsilon points are kept.
    """
    values = np.sort(np.ravel(values))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full_like(kept, step)])


def compress(summary, epsilon) -> np.ndarray:
    """`summary` reduced to about 1 / epsilon points at the cumulative-weight fractions
    epsilon, 2 epsilon, ..., 1 (linear interpolation of the values and the weights)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = np.cumsum(summary[1])
    at = cumulative / cumulative[-1]
    values = np.interp(fractions, at, summary[0])
    weights = np.diff(np.interp(fractions, at, cumulative), prepend=0.0)
    return np.stack([values, weights]).astype("float32")


def merge(first, second, epsilon) -> np.ndarray:
    merged = np.concatenate([first, second], axis=1)
    return compress(merged[:, np.argsort(merged[0], kind="stable")], epsilon)


class Discretization(Layer):
    """Maps each value to the index of its bucket: `i` for `boundaries[i-1] <= x <
    boundaries[i]` (0 below the first boundary, `len(boundaries)` from the last on).

    Args:
        bin_boundaries: Sorted list of boundaries; or None with `num_bins` and `adapt`.
        num_bins: Number of buckets `adapt` finds (approximate quantiles, as Keras': the
            boundaries for the same data are the same).
        epsilon: The quantiles' approximation error (default 0.01).
        output_mode: 'int' (default, int32 indices), 'one_hot', 'multi_hot' or 'count'.
        sparse: Only False.
        dtype, name: Base Layer arguments.

    Example:
        >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-1.0, 0.5, 2.0]])).numpy()
        array([[0, 1, 2]], dtype=int32)
    """

    # computes on arrays or draws outside dw ops: a recorded train step cannot stand for later
    # ones (see keras/trainers/compiled_step.py)
    _computes_outside_ops = True

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        where = self._where()
        check_output_mode(where, output_mode, _OUTPUT_MODES)
        check_not_sparse(where, sparse)
        if num_bins is not None and (isinstance(num_bins, bool) or
                                     not isinstance(num_bins, numbers.Integral) or num_bins < 0):
            raise ValueError(f"{where}: num_bins must be an int >= 0; got num_bins={num_bins!r}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{where}: set either num_bins or bin_boundaries, not both; got "
                             f"num_bins={num_bins!r} and bin_boundaries={bin_boundaries!r}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{where}: set either num_bins or bin_boundaries; got neither.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if self.bin_boundaries else np.zeros((2, 0), "float32")

    def _where(self) -> str:
        return f"Discretization '{self.name}'"

    def adapt(self, data, steps=None):
        """Find `num_bins` buckets holding about equal shares of `data` (an array, a Tensor or
        an iterable of batches; at most `steps` batches)."""
        if self.num_bins is None:
            raise ValueError(f"{self._where()}: adapt needs num_bins; this layer was given "
                             "bin_boundaries.")
        self.reset_state()
        for i, batch in enumerate(adapt_batches(self._where(), data)):
            if steps is not None and i >= steps:
                break
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        data = as_index_array(data).astype("float32")
        self.summary = merge(summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is not None:
            self.bin_boundaries = compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.zeros((2, 0), "float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"{self._where()}: no bin boundaries; pass bin_boundaries or call "
                             "adapt(data) before using the layer.")
        indices = np.digitize(as_index_array(inputs), self.bin_boundaries)
        dtype = "int32" if self.output_mode == "int" else self._np_dtype
        return Tensor(encode_categorical(indices, self.output_mode,
                                         len(self.bin_boundaries) + 1, dtype))

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        if self.output_mode in ("multi_hot", "count") and len(input_shape) >= 2:
            return (input_shape[0], *input_shape[2:], depth)
        return encoded_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return output_spec(self, inputs, "int32" if self.output_mode == "int" else self.dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = {k: v for k, v in config.items() if k != "trainable"}
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # an adapted layer's config holds both: rebuild with num_bins, then set them
            layer = super().from_config({**config, "bin_boundaries": None})
            layer.bin_boundaries = list(boundaries)
            return layer
        return super().from_config(config)
