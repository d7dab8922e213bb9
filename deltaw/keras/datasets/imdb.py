"""IMDB movie reviews for sentiment classification (Maas et al., 2011), from Keras' origin.

25,000 training and 25,000 test reviews labelled positive (1) or negative (0), each a list of
word ranks. Keras' `imdb.npz` stores them as NumPy object arrays, which deltaw reads with a
restricted unpickler (`deltaw.io.pickled_arrays`) that runs no code from the file.
"""

from __future__ import annotations

import numpy as np

from deltaw.io.pickled_arrays import load_npz
from deltaw.keras.datasets._remote import KERAS_BASE, fetch
from deltaw.keras.datasets._sequences import (
    as_object_array,
    filter_words,
    read_word_index,
    remove_long,
    shift,
)

__all__ = ["get_word_index", "load_data"]

ORIGIN = KERAS_BASE + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = KERAS_BASE + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3, **kwargs):
    """Loads the IMDB reviews, as `keras.datasets.imdb.load_data`.

    Args:
        path: File name in the cache (`~/.keras/datasets/`).
        num_words: Keep only the ranks below this (after `index_from` is added); None keeps all.
        skip_top: Ranks below this count as out of vocabulary (the most frequent words).
        maxlen: Drop the reviews of `maxlen` or more words (counting `start_char`).
        seed: Seed of the shuffles of the training and of the test reviews.
        start_char: Index put at the start of every review; None puts none.
        oov_char: Index that replaces out-of-vocabulary words; None drops them.
        index_from: Added to every rank, so that the indices below it stay free.
        **kwargs: Refused, as Keras 3 refuses `nb_words` and other removed arguments.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` a 1-D object array of lists of ints, `y`
        the int64 labels 0 or 1.

    Raises:
        ValueError: `maxlen` keeps no review, an unknown argument, or a corrupted download.
        RefusedPickleError: the npz's object arrays hold anything but lists of numbers.
        DownloadError: the file is not cached and cannot be downloaded.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unrecognised arguments {sorted(kwargs)}.")
    arrays = load_npz(fetch(path, ORIGIN, FILE_HASH), where="imdb.load_data")
    rng = np.random.RandomState(seed)
    parts = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        order = np.arange(len(x))
        rng.shuffle(order)      # one generator for both shuffles, in this order, as Keras
        parts.append((shift(x[order], start_char, index_from), y[order]))
    if maxlen:
        parts = [remove_long(maxlen, x, y) for x, y in parts]
        if not parts[0][0] or not parts[1][0]:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; "
                             "expected a larger maxlen.")
    (x_train, y_train), (x_test, y_test) = parts
    xs = filter_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    at = len(x_train)
    return ((as_object_array(xs[:at]), labels[:at]), (as_object_array(xs[at:]), labels[at:]))


def get_word_index(path="imdb_word_index.json"):
    """The `{word: rank}` dict of the IMDB reviews (ranks before `index_from` is added)."""
    return read_word_index(fetch(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH))
