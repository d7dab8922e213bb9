"""Hashing: strings or integers to bins by FarmHash Fingerprint64 (SipHash-2-4 with a salt)."""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing import farmhash
from deltaw.keras.layers.preprocessing.category_encoding import (
    check_not_sparse,
    check_output_mode,
    encode_categorical,
)
from deltaw.keras.layers.preprocessing.tokens import ArrayInputs, as_string_array, output_spec
from deltaw.tensor import Tensor

__all__ = ["Hashing", "hash_to_buckets", "standardize_salt"]

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
