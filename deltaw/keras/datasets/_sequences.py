"""Keras' word-index preparation shared by `imdb` and `reuters`.

Both files store each text as a list of word ranks (1 = most frequent word). Keras then, in this
order: prefixes `start_char` and adds `index_from` to every rank, drops sequences of `maxlen` or
more words, and replaces ranks outside `[skip_top, num_words)` by `oov_char` (or drops them when
`oov_char` is None).
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["as_object_array", "filter_words", "read_word_index", "remove_long", "shift"]


def shift(sequences, start_char, index_from) -> list[list[int]]:
    """`[start_char] + [w + index_from ...]` per sequence (no prefix when start_char is None)."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in seq] for seq in sequences]


def remove_long(maxlen, sequences, labels):
    """Keeps the sequences shorter than `maxlen` (Keras' `remove_long_seq`: strictly shorter)."""
    keep = [i for i, seq in enumerate(sequences) if len(seq) < maxlen]
    return [sequences[i] for i in keep], np.asarray(labels)[keep]


def filter_words(sequences, num_words, skip_top, oov_char) -> list[list[int]]:
    """Ranks outside `[skip_top, num_words)` become `oov_char`, or are dropped if it is None."""
    if not num_words:
        num_words = max(max(seq) for seq in sequences if seq)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]


def as_object_array(sequences) -> np.ndarray:
    """A 1-D object array of lists, as Keras returns.

    Keras' `np.array(xs, dtype="object")` would make a 2-D array if every list had the same
    length; this is 1-D always.
    """
    out = np.empty(len(sequences), dtype=object)
    for i, seq in enumerate(sequences):
        out[i] = seq
    return out


def read_word_index(path) -> dict[str, int]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
