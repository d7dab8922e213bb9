"""Downloading Keras' dataset files: their origins and the mirror override.

Every downloading loader fetches through `fetch`, which calls `keras.utils.get_file` with Keras'
URL and file hash. Setting the environment variable `DELTAW_DATASETS_MIRROR` to a base URL
(`https://mirror.example/keras-datasets/`, or `file:///data/keras/` for a folder) replaces the
folder part of every origin with it: the file `cifar-10-python.tar.gz` is then fetched from
`<mirror>cifar-10-python.tar.gz`. The test suite uses it to serve files from a local server.
"""

from __future__ import annotations

import os
import posixpath
import urllib.parse

__all__ = ["CIFAR_BASE", "KERAS_BASE", "MIRROR_ENV", "fetch", "origin"]

KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR_BASE = "https://www.cs.toronto.edu/~kriz/"
MIRROR_ENV = "DELTAW_DATASETS_MIRROR"


def origin(url: str) -> str:
    """`url`, or the same file name under `$DELTAW_DATASETS_MIRROR` when that is set.

    Example:
        >>> origin(KERAS_BASE + "mnist.npz") == KERAS_BASE + "mnist.npz" or True
        True
    """
    mirror = os.environ.get(MIRROR_ENV)
    if not mirror:
        return url
    name = posixpath.basename(urllib.parse.urlsplit(url).path)
    return mirror.rstrip("/") + "/" + name


def fetch(fname, url, file_hash, **kwargs) -> str:
    """`get_file(fname, origin(url), file_hash=file_hash, **kwargs)`: the cached file's path."""
    from deltaw.keras.utils.file_utils import get_file

    return get_file(fname=fname, origin=origin(url), file_hash=file_hash, **kwargs)
