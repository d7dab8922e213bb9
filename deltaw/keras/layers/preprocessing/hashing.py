"""Hashing (strings or integers to bins by FarmHash Fingerprint64, SipHash-2-4 with a salt) and
HashedCrossing (feature crosses hashed to bins, as tf.sparse.cross_hashed)."""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing import farmhash
from deltaw.keras.layers.preprocessing.category_encoding import (
    check_not_sparse,
    check_output_mode,
    encode_categorical,
)
from deltaw.keras.layers.preprocessing.tokens import ArrayInputs, as_string_array, output_spec
from deltaw.tensor import Tensor

__all__ = ["HashedCrossing", "Hashing", "hash_to_buckets", "standardize_salt"]

_CROSS_KEY = 0xDECAFCAFFE   # tf.sparse.cross_hashed's default hash key

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def standardize_salt(where, salt):
    """Keras' salt: None, or a pair [k0, k1] (an int k gives [k, k])."""
    if salt is None:
        return None
    if isinstance(salt, tuple | list) and len(salt) == 2 and \
            all(isinstance(s, numbers.Integral) for s in salt):
        return [int(salt[0]), int(salt[1])]
    if isinstance(salt, numbers.Integral) and not isinstance(salt, bool):
        return [int(salt), int(salt)]
    raise ValueError(f"{where}: salt must be an int or a pair of ints; got salt={salt!r}.")


def hash_to_buckets(values, num_buckets, salt=None) -> np.ndarray:
    """Each value's bucket in [0, num_buckets), as TensorFlow's `to_hash_bucket_fast` (no salt:
    Fingerprint64) or `to_hash_bucket_strong` (SipHash-2-4 keyed by `salt`). Integers are
    hashed as their decimal strings, floats are truncated to integers first (as Keras)."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = values.astype(np.int64)
    strings = as_string_array(values)
    if salt is None:
        codes = [farmhash.fingerprint64(s.encode("utf-8")) % num_buckets
                 for s in strings.ravel().tolist()]
    else:
        k0, k1 = (s & ((1 << 64) - 1) for s in salt)
        codes = [farmhash.siphash24(k0, k1, s.encode("utf-8")) % num_buckets
                 for s in strings.ravel().tolist()]
    return np.array(codes, dtype=np.int64).reshape(values.shape)


class Hashing(ArrayInputs, Layer):
    """Hashes strings or integers into `num_bins` bins.

    Bin = Fingerprint64(value) % num_bins (FarmHash, what Keras' TensorFlow op computes, so the
    bins are the same); with a `salt`, SipHash-2-4 keyed by it. With `mask_value`, that value
    maps to bin 0 and the others to 1 + hash % (num_bins - 1).

    Args:
        num_bins: Positive int, the number of bins (including the mask bin).
        mask_value: Optional value mapped to 0.
        salt: Optional int or pair of ints: use the keyed (strong) hash.
        output_mode: 'int' (default, int64 bins), 'one_hot', 'multi_hot' or 'count'.
        sparse: Only False.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: A NumPy array or list of `str`, or integers (hashed as decimal strings).

    Example:
        >>> Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"]])).numpy().ravel()
        array([1, 0, 1])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        where = f"Hashing '{self.name}'"
        if isinstance(num_bins, bool) or not isinstance(num_bins, numbers.Integral) or \
                num_bins <= 0:
            raise ValueError(f"{where}: num_bins must be a positive int; got "
                             f"num_bins={num_bins!r}.")
        check_output_mode(where, output_mode, _OUTPUT_MODES)
        check_not_sparse(where, sparse)
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"{where}: with output_mode='int' the dtype must be 'int32' or "
                             f"'int64'; got dtype={self.dtype!r}.")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = standardize_salt(where, salt)
        self.strong_hash = self.salt is not None
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs):
        values = inputs
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        bins = self.num_bins
        if self.mask_value is not None and bins > 1:
            mask = values == self.mask_value
            indices = np.where(mask, 0, hash_to_buckets(values, bins - 1, self.salt) + 1)
        else:
            indices = hash_to_buckets(values, bins, self.salt)
        return Tensor(encode_categorical(indices, self.output_mode, self.num_bins, self.dtype))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return (*input_shape[:-1], self.num_bins)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return output_spec(self, inputs, self.dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}


class HashedCrossing(ArrayInputs, Layer):
    """Crosses categorical features and hashes each combination into `num_bins` bins.

    The bin of a combination is what `tf.sparse.cross_hashed` (Keras' implementation) gives:
    starting from its key, each feature's fingerprint (FarmHash Fingerprint64 of a string,
    the integer itself otherwise) is combined with FingerprintCat64, and the result taken
    modulo num_bins.

    Args:
        num_bins: Positive int.
        output_mode: 'int' (default, int64 bins) or 'one_hot'.
        sparse: Only False.
        name, dtype: Base Layer arguments.

    Call arguments:
        inputs: A tuple or list of at least two features of equal shape `()`, `(batch,)` or
            `(batch, 1)`: NumPy arrays of str or of integers.

    Example:
        >>> layer = HashedCrossing(num_bins=5)
        >>> layer((np.array(["A", "B", "A"]), np.array([101, 101, 102]))).numpy()
        array([1, 4, 3])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        where = f"HashedCrossing '{self.name}'"
        if isinstance(num_bins, bool) or not isinstance(num_bins, numbers.Integral) or \
                num_bins <= 0:
            raise ValueError(f"{where}: num_bins must be a positive int; got "
                             f"num_bins={num_bins!r}.")
        check_output_mode(where, output_mode, ("int", "one_hot"))
        check_not_sparse(where, sparse)
        self.num_bins = int(num_bins)
        self.output_mode = output_mode
        self.sparse = False

    def _convert_inputs(self, inputs):
        if not isinstance(inputs, list | tuple) or len(inputs) < 2:
            raise ValueError(f"HashedCrossing '{self.name}': expected a tuple or list of at "
                             f"least two features; got {type(inputs).__name__}.")
        return [x.data if isinstance(x, Tensor) else np.asarray(x) for x in inputs]

    @staticmethod
    def _fingerprints(feature) -> list:
        if feature.dtype.kind in "iu":
            return [int(v) & ((1 << 64) - 1) for v in feature.ravel().tolist()]
        if feature.dtype.kind not in "USO":
            raise ValueError(f"HashedCrossing: features must be strings or integers; got "
                             f"dtype {feature.dtype}.")
        return [farmhash.fingerprint64(s.encode("utf-8"))
                for s in as_string_array(feature).ravel().tolist()]

    def call(self, inputs):
        shape = inputs[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1) or \
                any(x.shape != shape for x in inputs[1:]):
            raise ValueError(f"HashedCrossing '{self.name}': every feature must have the same "
                             "shape (), (batch,) or (batch, 1); got shapes "
                             f"{[x.shape for x in inputs]}.")
        columns = [self._fingerprints(x) for x in inputs]
        bins = []
        for row in zip(*columns, strict=True):
            value = _CROSS_KEY
            for fp in row:
                value = farmhash.fingerprint_cat64(value, fp)
            bins.append(value % self.num_bins)
        indices = np.array(bins, dtype=np.int64).reshape(shape)
        return Tensor(encode_categorical(indices, self.output_mode, self.num_bins, self.dtype))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if not shape:
            return (self.num_bins,)
        if shape[-1] != 1:
            return (*shape, self.num_bins)
        return (*shape[:-1], self.num_bins)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return KerasTensor(self.compute_output_shape([tuple(x.shape) for x in inputs]),
                           self.dtype)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}
