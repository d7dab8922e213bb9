"""TextVectorization: strings to token indices or bag-of-words vectors.

Steps (Keras'): standardize (lowercase ASCII letters and/or strip ASCII punctuation, or a
callable on a NumPy array of `str`), split (on whitespace, into characters, or a callable
returning one list of tokens per string), form n-grams (joined by a space), then look the
tokens up in a StringLookup whose mask token is '' (index 0 pads 'int' outputs). Inputs are
NumPy arrays or lists of `str`, shape (batch,) or (batch, 1) (deltaw has no string tensors).
"""

from __future__ import annotations

import string

import numpy as np

from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing.index_lookup import _MASKED, StringLookup
from deltaw.keras.layers.preprocessing.tokens import ArrayInputs, as_string_array, output_spec
from deltaw.tensor import Tensor

__all__ = ["TextVectorization"]

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
# tf.strings.lower changes ASCII letters only; the punctuation is Keras' regex class, which is
# exactly ASCII string.punctuation
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_STRIP = str.maketrans("", "", string.punctuation)


def _ngrams(tokens, widths) -> list:
    out = []
    for width in widths:
        out.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
    return out


class TextVectorization(ArrayInputs, Layer):
    """Turns strings into sequences of token indices or into bag-of-words vectors.

    Args:
        max_tokens: Optional maximum vocabulary size, including the padding ('') and OOV
            ('[UNK]') tokens.
        standardize: 'lower_and_strip_punctuation' (default), 'lower', 'strip_punctuation',
            None, or a callable mapping a NumPy array of `str` to one.
        split: 'whitespace' (default), 'character', None (each string is one token), or a
            callable mapping one `str` to its list of tokens.
        ngrams: None, an int n (all 1..n-grams) or a tuple of widths.
        output_mode: 'int' (default), 'multi_hot', 'count', 'tf_idf' (or 'one_hot' with
            split=None).
        output_sequence_length: With 'int', pad or truncate every sequence to this length
            (otherwise to the batch's longest).
        pad_to_max_tokens: Bag-of-words outputs have `max_tokens` columns.
        vocabulary, idf_weights: Optional vocabulary (list of str) and, for 'tf_idf', weights.
        sparse, ragged: Only False (deltaw has no sparse or ragged tensors).
        encoding: The encoding of bytes inputs.
        **kwargs: Base Layer arguments.

    Example:
        >>> layer = TextVectorization(vocabulary=["the", "cat"], output_sequence_length=4)
        >>> layer(np.array(["The cat sat."])).numpy()
        array([[2, 3, 1, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, **kwargs):
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        super().__init__(name=name, **kwargs)
        where = f"TextVectorization '{self.name}'"
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"{where}: standardize must be one of {_STANDARDIZE}, None or a "
                             f"callable; got standardize={standardize!r}.")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"{where}: split must be one of {_SPLIT}, None or a callable; got "
                             f"split={split!r}.")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(f"{where}: output_mode must be one of {_OUTPUT_MODES}; got "
                             f"output_mode={output_mode!r}.")
        if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
                or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"{where}: ngrams must be None, an int or a tuple of ints; got "
                             f"ngrams={ngrams!r}.")
        if output_mode == "int" and not (output_sequence_length is None or
                                         isinstance(output_sequence_length, int)):
            raise ValueError(f"{where}: output_sequence_length must be None or an int; got "
                             f"output_sequence_length={output_sequence_length!r}.")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"{where}: output_sequence_length is used only with "
                             f"output_mode='int'; got output_mode={output_mode!r}.")
        if sparse or ragged:
            raise ValueError(f"{where}: sparse and ragged outputs are not supported by deltaw; "
                             "expected sparse=False and ragged=False.")
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size, name=f"{self.name}_lookup")

    # ----- vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Build the vocabulary from `data` (a list or array of strings, one document each,
        or an iterable of such batches; at most `steps` batches)."""
        self.reset_state()
        if isinstance(data, list | tuple | np.ndarray):
            self.update_state(data)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True) -> list:
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ----- preprocessing
    def _standardized(self, texts: np.ndarray) -> np.ndarray:
        if callable(self._standardize):
            return as_string_array(self._standardize(texts))
        flat = texts.ravel().tolist()
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [t.translate(_LOWER) for t in flat]
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [t.translate(_STRIP) for t in flat]
        return np.array(flat, dtype=str).reshape(texts.shape) if flat else texts

    def _preprocess(self, inputs):
        """Token lists, one per input string (or the standardized array when split=None)."""
        texts = as_string_array(inputs)
        texts = self._standardized(texts)
        if self._split is None:
            if self._ngrams is not None:
                raise ValueError(f"TextVectorization '{self.name}': ngrams need split; got "
                                 "split=None.")
            return texts
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(f"TextVectorization '{self.name}': to split strings the input "
                                 "must have rank 1 or a last axis of size 1; got input shape "
                                 f"{texts.shape}.")
            texts = texts[..., 0]
        if self._split == "whitespace":
            docs = [t.split() for t in texts.ravel().tolist()]
        elif self._split == "character":
            docs = [list(t) for t in texts.ravel().tolist()]
        else:
            docs = [[str(tok) for tok in self._split(t)] for t in texts.ravel().tolist()]
        if self._ngrams is not None:
            docs = [_ngrams(d, self._ngrams) for d in docs]
        return docs if texts.ndim == 1 else docs[0]

    def call(self, inputs):
        tokens = self._preprocess(inputs)
        lookup = self._lookup_layer
        if self._split is None:
            return lookup.encode(lookup._lookup(tokens))
        docs = tokens if tokens and isinstance(tokens[0], list) else [tokens]
        single = not (tokens and isinstance(tokens[0], list)) and \
            as_string_array(inputs).ndim == 0
        length = self._output_sequence_length if self._output_mode == "int" else None
        if length is None:
            length = max((len(d) for d in docs), default=0)
        pad = 0 if self._output_mode == "int" else _MASKED
        indices = np.full((len(docs), length), pad, dtype=np.int64)
        for row, doc in enumerate(docs):
            doc = doc[:length]
            if doc:
                indices[row, :len(doc)] = lookup._lookup(np.array(doc, dtype=str))
        out = lookup.encode(indices)
        return Tensor(out.data[0]) if single else out

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = (*input_shape, 1)
        else:
            input_shape = (*input_shape, None)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return output_spec(self, inputs, "int64" if self._output_mode == "int" else self.dtype)

    def get_config(self):
        lookup = self._lookup_layer
        return {**super().get_config(), "max_tokens": lookup.max_tokens,
                "standardize": self._standardize, "split": self._split,
                "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False,
                "ragged": False, "vocabulary": lookup.get_config()["vocabulary"],
                "idf_weights": lookup.get_config()["idf_weights"], "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)
