"""Small real datasets shipped inside deltaw, loaded without any network access.

Each module has a `load_data()` that returns `(x_train, y_train), (x_test, y_test)` as NumPy
arrays with a fixed, documented split, in the manner of `tf.keras.datasets`:

- `breast_cancer`: Breast Cancer Wisconsin (Diagnostic), 569 x 30 raw features, labels 0/1.
- `iris`: Fisher's iris, 150 x 4, labels 0..2.
- `digits`: UCI optical handwritten digits, 1,797 images of 8x8 with pixels 0..16, labels 0..9.
- `mnist`: Keras' `mnist.npz` when one is available locally, otherwise a shipped 5,000-image
  subset of MNIST (28x28 uint8).

Parsed files are cached per process; every call returns fresh copies. Sources, citations and
licences of the data files are in `deltaw/keras/datasets/data/LICENSES.md`.
"""

from deltaw.keras.datasets import breast_cancer, digits, iris, mnist

__all__ = ["breast_cancer", "digits", "iris", "mnist"]
