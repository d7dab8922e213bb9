"""Vocabulary lookups: StringLookup and IntegerLookup (and their shared base, IndexLookup).

Index layout (Keras'): with output_mode='int', index 0 is the mask token when there is one;
then come `num_oov_indices` out-of-vocabulary indices, then the vocabulary. In the other output
modes the mask token has no index (masked tokens encode to nothing). String tokens are `str`
in NumPy arrays or lists (deltaw has no string tensors); inverted StringLookup returns a NumPy
array of `str`.
"""

from __future__ import annotations

import collections
import numbers

import numpy as np

from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing.category_encoding import (
    check_not_sparse,
    check_output_mode,
    encode_categorical,
)
from deltaw.keras.layers.preprocessing.hashing import hash_to_buckets, standardize_salt
from deltaw.keras.layers.preprocessing.tokens import ArrayInputs, as_array_input, output_spec
from deltaw.tensor import Tensor

__all__ = ["IndexLookup", "IntegerLookup", "StringLookup"]

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_MASKED = np.iinfo(np.int64).max  # a masked token's index outside 'int' mode: encodes to zeros


def _listify(value):
    if value is None or isinstance(value, str):
        return value
    return np.asarray(value).tolist()


class IndexLookup(ArrayInputs, Layer):
    """Maps tokens to indices (or back, with `invert`) through a vocabulary.

    Subclasses fix the token type: StringLookup (str) and IntegerLookup (int64). See their
    docstrings for the arguments.
    """

    _token_kind = "str"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False,
                 sparse=False, oov_method="farmhash", salt=None, vocabulary_size=None,
                 has_input_vocabulary=None, **kwargs):
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(**kwargs)
        where = self._where()
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        check_output_mode(where, output_mode, _OUTPUT_MODES)
        check_not_sparse(where, sparse)
        if max_tokens is not None and (isinstance(max_tokens, bool) or
                                       not isinstance(max_tokens, numbers.Integral)):
            raise ValueError(f"{where}: max_tokens must be None or an int; got "
                             f"max_tokens={max_tokens!r}.")
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, numbers.Integral) \
                or num_oov_indices < 0:
            raise ValueError(f"{where}: num_oov_indices must be an int >= 0; got "
                             f"num_oov_indices={num_oov_indices!r}.")
        if invert and output_mode != "int":
            raise ValueError(f"{where}: invert=True needs output_mode='int'; got "
                             f"output_mode={output_mode!r}.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{where}: idf_weights is used only with output_mode='tf_idf'; "
                             f"got output_mode={output_mode!r}.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{where}: oov_method must be 'floormod' or 'farmhash'; got "
                             f"oov_method={oov_method!r}.")
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.sparse = False
        self.oov_method = oov_method
        self.salt = standardize_salt(where, salt)
        self.input_vocabulary = vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = vocabulary is not None if has_input_vocabulary is None \
            else bool(has_input_vocabulary)
        self._tokens: list = []
        self._index: dict = {}
        self.idf_weights = None
        self._frozen_vocab_size = vocabulary_size
        self.reset_state()
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{where}: with output_mode='tf_idf' a vocabulary needs "
                             "idf_weights too; got idf_weights=None.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    def _where(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    # ----- layout
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices, special tokens included."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The token of every index (the mask and OOV tokens first, unless excluded)."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def _convert_token(self, token):
        return str(token) if self._token_kind == "str" else int(token)

    # ----- vocabulary
    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and, for 'tf_idf', the inverse document frequencies).

        A vocabulary may start with the special tokens in layout order (they are then
        recognised and skipped). A path to a vocabulary file is not supported.
        """
        where = self._where()
        if isinstance(vocabulary, str):
            raise ValueError(f"{where}: a vocabulary file path is not supported by deltaw; "
                             "expected a list or array of tokens.")
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{where}: idf_weights must be set with output_mode='tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{where}: idf_weights is used only with output_mode='tf_idf'; "
                             f"got output_mode={self.output_mode!r}.")
        tokens = [self._convert_token(t) for t in as_array_input(vocabulary).ravel().tolist()]
        if not tokens:
            raise ValueError(f"{where}: cannot set an empty vocabulary.")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        found_special = tokens[:start] == special
        if found_special:
            tokens = tokens[start:]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{where}: the vocabulary repeats the tokens {repeated}; expected "
                             "unique tokens.")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{where}: the mask token {self.mask_token!r} is in the vocabulary "
                             f"at an unexpected place; expected only the special tokens "
                             f"{special} at its start.")
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(f"{where}: the OOV token {self.oov_token!r} is in the vocabulary "
                             f"at an unexpected place; expected only the special tokens "
                             f"{special} at its start.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{where}: the vocabulary has {start + len(tokens)} entries, more "
                             f"than max_tokens={self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = np.asarray(idf_weights, dtype=np.float64)
            if idf.ndim != 1 or len(idf) != len(tokens) + (start if found_special else 0):
                raise ValueError(f"{where}: idf_weights must be 1-D with one weight per "
                                 f"vocabulary entry; got shape {idf.shape}.")
            front = 0 if found_special else start
            self._set_idf(idf, front, idf.mean() if front else 0.0)

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._frozen_vocab_size = self.vocabulary_size()

    def _set_idf(self, idf, front, front_value):
        back = self.max_tokens - front - len(idf) \
            if self.pad_to_max_tokens and self.max_tokens is not None else 0
        self.idf_weights = np.pad(idf, (front, back), constant_values=(front_value, 0.0)) \
            .astype(self._np_dtype)

    # ----- adapt
    def adapt(self, data, steps=None):
        """Build the vocabulary from `data`: tokens sorted by count (ties: the larger token
        first), truncated to `max_tokens`; with 'tf_idf', also the document frequencies.

        Args:
            data: An array or list (a 1-D one holds one token per document), or an iterable of
                batches (each batch's rows are documents).
            steps: At most this many batches of an iterable.
        """
        self.reset_state()
        if isinstance(data, list | tuple | np.ndarray | Tensor):
            array = as_array_input(data)
            self.update_state(array[:, None] if array.ndim == 1 else array)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        self.finalize_state()

    def _documents(self, data) -> list:
        if isinstance(data, list) and data and isinstance(data[0], list):
            return data  # already split into documents (TextVectorization's tokens)
        array = as_array_input(data)
        if array.ndim <= 1:
            return [array.reshape(-1).tolist()]
        return [row.reshape(-1).tolist() for row in array]

    def update_state(self, data):
        if self._has_input_vocabulary:
            raise ValueError(f"{self._where()}: cannot adapt a layer given a vocabulary (by "
                             "the vocabulary argument or set_vocabulary).")
        for doc in self._documents(data):
            doc = [self._convert_token(t) for t in doc]
            self._counts.update(doc)
            if self.output_mode == "tf_idf":
                self._doc_counts.update(set(doc))
                self._num_documents += 1

    def finalize_state(self):
        if self._has_input_vocabulary or not self._counts:
            return
        for special in (self.mask_token, self.oov_token):
            self._counts.pop(special, None)
        # by count, then by token, both descending (Keras' order)
        tokens = sorted(self._counts, key=lambda t: (self._counts[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            docs = np.array([self._doc_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + docs))
            self._set_idf(idf, self._token_start_index(), idf.mean())
        self.reset_state()

    def reset_state(self):
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_documents = 0

    # ----- call
    def _lookup(self, tokens: np.ndarray) -> np.ndarray:
        where, flat = self._where(), tokens.ravel().tolist()
        indices = np.array([self._index.get(self._convert_token(t), -1) for t in flat],
                           dtype=np.int64).reshape(tokens.shape)
        oov = indices == -1
        if self.mask_token is not None:
            masked = tokens == self.mask_token
            oov &= ~masked
            indices[masked] = 0 if self.output_mode == "int" else _MASKED
        if not oov.any():
            return indices
        if self.num_oov_indices == 0:
            raise ValueError(f"{where}: with num_oov_indices=0 every input must be in the "
                             f"vocabulary; got {sorted(set(tokens[oov].tolist()))[:5]}. Hint: "
                             "set num_oov_indices=1.")
        if self.num_oov_indices == 1:
            indices[oov] = self._oov_start_index()
        elif self._token_kind == "int" and self.oov_method == "floormod":
            indices[oov] = np.mod(tokens[oov].astype(np.int64), self.num_oov_indices) + \
                self._oov_start_index()
        else:
            indices[oov] = hash_to_buckets(tokens[oov], self.num_oov_indices, self.salt) + \
                self._oov_start_index()
        return indices

    def _invert_lookup(self, indices: np.ndarray) -> np.ndarray:
        vocab = self.get_vocabulary()
        start = self._token_start_index()
        flat = [vocab[i] if start <= i < len(vocab) else self.oov_token
                for i in indices.astype(np.int64).ravel().tolist()]
        if self.mask_token is not None:
            flat = [self.mask_token if i == 0 else t
                    for i, t in zip(indices.ravel().tolist(), flat, strict=True)]
        dtype = str if self._token_kind == "str" else np.int64
        return np.array(flat, dtype=dtype).reshape(indices.shape)

    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._frozen_vocab_size is None or not self._tokens:
            raise RuntimeError(f"{self._where()}: with output_mode={self.output_mode!r} and "
                               "pad_to_max_tokens=False, set the vocabulary (vocabulary= or "
                               "adapt) before calling the layer.")
        return self._frozen_vocab_size

    def call(self, inputs):
        inputs = as_array_input(inputs)
        if self.invert:
            return self._invert_lookup(inputs)
        return self.encode(self._lookup(inputs))

    def encode(self, indices):
        """Looked-up `indices` in the layer's output mode (a Tensor)."""
        if self.output_mode == "int":
            return Tensor(indices)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode_categorical(indices, mode, self._depth(), self._np_dtype)
        if self.output_mode == "tf_idf":
            out = out * self.idf_weights
        return Tensor(out)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        input_shape = tuple(input_shape)
        if self.output_mode == "one_hot" and not (len(input_shape) > 1 and input_shape[-1] == 1):
            return (*input_shape, depth)
        return (*input_shape[:-1], depth)

    # deltaw keeps an adapted vocabulary in the config (Keras writes it to the file's assets,
    # which deltaw's format has not), so saving and loading a model keeps it
    def _config_vocabulary(self):
        if self.input_vocabulary is not None or not self._tokens:
            return self.input_vocabulary
        return self.get_vocabulary()

    def _config_idf_weights(self):
        if self.input_vocabulary is not None or not self._tokens or self.idf_weights is None:
            return self.input_idf_weights
        return self.idf_weights[:self.vocabulary_size()]

    def compute_output_spec(self, inputs, *args, **kwargs):
        if self.invert:
            dtype = "string" if self._token_kind == "str" else "int64"
        else:
            dtype = "int64" if self.output_mode == "int" else self.dtype
        return output_spec(self, inputs, dtype)

    def get_config(self):
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": "string" if self._token_kind == "str" else "int64",
                "idf_weights": _listify(self._config_idf_weights()),
                "vocabulary": _listify(self._config_vocabulary()),
                "vocabulary_size": self._frozen_vocab_size, "oov_method": self.oov_method,
                "salt": self.salt}


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary (or indices to strings).

    Args:
        max_tokens: Optional maximum vocabulary size, special tokens included.
        num_oov_indices: Indices for out-of-vocabulary strings (default 1); with several, a
            string's OOV index is its FarmHash Fingerprint64 modulo their number (as Keras).
        mask_token: Optional token mapped to index 0 (None: no mask).
        oov_token: The token `invert` returns for OOV indices (default '[UNK]').
        vocabulary: Optional list or array of strings.
        idf_weights: Inverse document frequencies, with output_mode='tf_idf'.
        invert: Map indices to strings instead.
        output_mode: 'int' (default, int64 indices), 'one_hot', 'multi_hot', 'count' or
            'tf_idf'.
        pad_to_max_tokens: Encode to `max_tokens` columns rather than the vocabulary size.
        sparse: Only False.
        encoding: The encoding of bytes inputs ('utf-8').
        salt: Optional int or pair: keyed (SipHash) OOV hashing.
        **kwargs: Base Layer arguments.

    Inputs are NumPy arrays or lists of `str` (deltaw has no string tensors).

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b"])
        >>> layer(np.array([["a", "c", "b"]])).numpy()
        array([[1, 0, 2]])
    """

    _token_kind = "str"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token,
                         vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                         sparse=sparse, salt=salt, name=name, **kwargs)

    def get_config(self):
        config = {**super().get_config(), "encoding": self.encoding}
        del config["vocabulary_dtype"]
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (or back, with `invert`).

    Args:
        max_tokens: Optional maximum vocabulary size (> 1), special tokens included.
        num_oov_indices: Indices for out-of-vocabulary values (default 1); with several, a
            value's OOV index is the value modulo their number (oov_method='floormod', the
            default) or its hash ('farmhash').
        mask_token: Optional value mapped to index 0.
        oov_token: The value `invert` returns for OOV indices (default -1).
        vocabulary: Optional list or array of ints.
        vocabulary_dtype: Only 'int64'.
        idf_weights, invert, output_mode, sparse, pad_to_max_tokens, salt: As StringLookup.
        oov_method: 'floormod' (default) or 'farmhash'.
        **kwargs: Base Layer arguments.

    Example:
        >>> IntegerLookup(vocabulary=[12, 36])(np.array([[12, 1, 36]])).numpy()
        array([[1, 0, 2]])
    """

    _token_kind = "int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        where = f"IntegerLookup '{name or 'integer_lookup'}'"
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{where}: max_tokens must be greater than 1; got "
                             f"max_tokens={max_tokens!r}.")
        if vocabulary_dtype != "int64":
            raise ValueError(f"{where}: only vocabulary_dtype='int64' is supported; got "
                             f"vocabulary_dtype={vocabulary_dtype!r}.")
        if salt is not None and oov_method != "farmhash":
            raise ValueError(f"{where}: salt can only be used with oov_method='farmhash'; got "
                             f"oov_method={oov_method!r}.")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token,
                         vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                         sparse=sparse, oov_method=oov_method, salt=salt, name=name, **kwargs)
