"""Keras' datasets (downloaded from Keras' origins) and small real datasets shipped inside deltaw.

Each module has a `load_data()` that returns `(x_train, y_train), (x_test, y_test)` as NumPy
arrays, in the manner of `keras.datasets`. Downloaded through `keras.utils.get_file` into
`~/.keras/datasets/` with Keras' URLs and hashes (`$DELTAW_DATASETS_MIRROR` replaces the base
URL; see `_remote.py`): `boston_housing`, `california_housing`, `cifar10`, `cifar100`,
`fashion_mnist`, `imdb`, `reuters`, and `mnist`. Shipped, with a fixed documented split:

- `breast_cancer`: Breast Cancer Wisconsin (Diagnostic), 569 x 30 raw features, labels 0/1.
- `iris`: Fisher's iris, 150 x 4, labels 0..2.
- `digits`: UCI optical handwritten digits, 1,797 images of 8x8 with pixels 0..16, labels 0..9.
- `mnist`: Keras' `mnist.npz` when it is on disk or can be downloaded, otherwise a shipped
  5,000-image subset of MNIST (28x28 uint8).

Parsed files are cached per process; every call returns fresh copies. Sources, citations and
licences of the data files are in `deltaw/keras/datasets/data/LICENSES.md`.
"""

from deltaw.keras.datasets import (
    boston_housing,
    breast_cancer,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    iris,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing", "breast_cancer", "california_housing", "cifar10", "cifar100", "digits",
    "fashion_mnist", "imdb", "iris", "mnist", "reuters",
]
