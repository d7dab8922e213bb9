"""Reuters newswire topics, from Keras' origin.

11,228 newswires from Reuters labelled over 46 topics, each a list of word ranks. Keras'
`reuters.npz` stores them as NumPy object arrays, which deltaw reads with a restricted
unpickler (`deltaw.io.pickled_arrays`) that runs no code from the file.
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
from deltaw.keras.datasets._split import shuffled_indices

__all__ = ["get_label_names", "get_word_index", "load_data"]

ORIGIN = KERAS_BASE + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = KERAS_BASE + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
_LABELS = (
    "cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade reserves "
    "ship cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum oilseed gold tin "
    "strategic-metal livestock retail ipi iron-steel rubber heat jobs lei bop zinc orange "
    "pet-chem dlr gas silver wpi hog lead"
).split()


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Loads the Reuters newswires, as `keras.datasets.reuters.load_data`.

    Args:
        path: File name in the cache (`~/.keras/datasets/`).
        num_words: Keep only the ranks below this (after `index_from` is added); None keeps all.
        skip_top: Ranks below this count as out of vocabulary (the most frequent words).
        maxlen: Drop the newswires of `maxlen` or more words (counting `start_char`).
        test_split: Fraction of the newswires kept for testing (taken after the shuffle).
        seed: Seed of the shuffle.
        start_char: Index put at the start of every newswire; None puts none.
        oov_char: Index that replaces out-of-vocabulary words; None drops them.
        index_from: Added to every rank, so that the indices below it stay free.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` a 1-D object array of lists of ints, `y`
        the int64 topic indices 0..45 (names in `get_label_names()`).

    Raises:
        ValueError: a corrupted download.
        RefusedPickleError: the npz's object arrays hold anything but lists of numbers.
        DownloadError: the file is not cached and cannot be downloaded.
    """
    arrays = load_npz(fetch(path, ORIGIN, FILE_HASH), where="reuters.load_data")
    order = shuffled_indices(len(arrays["x"]), seed)
    xs, labels = shift(arrays["x"][order], start_char, index_from), arrays["y"][order]
    if maxlen:
        xs, labels = remove_long(maxlen, xs, labels)
    xs = filter_words(xs, num_words, skip_top, oov_char)
    at = int(len(xs) * (1 - test_split))
    return ((as_object_array(xs[:at]), np.array(labels[:at])),
            (as_object_array(xs[at:]), np.array(labels[at:])))


def get_word_index(path="reuters_word_index.json"):
    """The `{word: rank}` dict of the Reuters newswires (ranks before `index_from` is added)."""
    return read_word_index(fetch(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH))


def get_label_names():
    """The 46 topic names, indexed by label."""
    return tuple(_LABELS)
