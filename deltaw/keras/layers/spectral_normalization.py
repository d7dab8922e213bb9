"""SpectralNormalization: keeps a wrapped layer's kernel at spectral norm 1 (Miyato et al., 2018).

As Keras 3: in training, each call first runs `power_iterations` steps of power iteration on the
kernel (reshaped to (-1, units)) from the stored estimate `vector_u`, then divides the kernel *in
place* by its estimated largest singular value sigma = v W u^T, and calls the wrapped layer.
The update runs outside gradient recording (`dw.no_grad`), so gradients reach the kernel through
the wrapped layer's own call, as with Keras' `assign`. Outside training the layer is the wrapped
layer unchanged.
"""

from __future__ import annotations

import numbers

from deltaw.autograd.mode import no_grad
from deltaw.keras import initializers
from deltaw.keras.layers.conv_arguments import where_of
from deltaw.keras.layers.recurrent.wrappers import Wrapper
from deltaw.ops import divide, matmul, maximum, reshape, sqrt, square, transpose
from deltaw.ops import sum as reduce_sum

__all__ = ["SpectralNormalization"]

_NORM_FLOOR = 1e-14
"""Floor of a vector's squared norm: Keras' `normalize` divides by max(norm, 1e-7)."""


def _unit(v):
    return divide(v, sqrt(maximum(reduce_sum(square(v)), _NORM_FLOOR)))


class SpectralNormalization(Wrapper):
    """Spectral normalization of a wrapped layer's `kernel` (or `embeddings`).

    Args:
        layer: A layer with a `kernel` or `embeddings` weight (Dense, Conv2D, Embedding, ...).
        power_iterations: Positive int, power-iteration steps per training call. Default 1.
        **kwargs: Base Layer arguments.

    Weights: the wrapped layer's, then vector_u (1, units), non-trainable, drawn from
    TruncatedNormal(stddev=0.02).

    Example:
        >>> from deltaw.keras.layers import Dense
        >>> sn = SpectralNormalization(Dense(4))
        >>> sn(np.ones((2, 3)), training=True).shape
        (2, 4)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(
                power_iterations, numbers.Integral) or power_iterations <= 0:
            raise ValueError(f"{where_of(self)}: power_iterations must be a positive integer; "
                             f"got power_iterations={power_iterations!r}.")
        self.power_iterations = int(power_iterations)
        self.vector_u = None

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"{where_of(self)}: the wrapped {type(self.layer).__name__} has no "
                             "'kernel' or 'embeddings' weight to normalize; expected a layer "
                             "such as Dense, Conv2D or Embedding.")
        self._kernel = kernel
        self.vector_u = self.add_weight("vector_u", (1, kernel.shape[-1]),
                                        initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False)
        self.built = True

    def call(self, inputs, training=False):
        if training and self._kernel.data.any():  # an all-zero kernel is left alone (as Keras)
            with no_grad():
                vector_u, kernel = self.normalized_weights()
                self.vector_u.assign(vector_u.data)
                self._kernel.assign(kernel.data)
        return self.layer(inputs)

    def normalized_weights(self):
        """(new vector_u, the kernel divided by its estimated spectral norm), as Tensors."""
        weights = reshape(self._kernel, (-1, self._kernel.shape[-1]))
        vector_u = self.vector_u
        for _ in range(self.power_iterations):
            vector_v = _unit(matmul(vector_u, transpose(weights)))
            vector_u = _unit(matmul(vector_v, weights))
        sigma = matmul(matmul(vector_v, weights), transpose(vector_u))     # (1, 1)
        return vector_u, reshape(divide(weights, sigma), self._kernel.shape)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
