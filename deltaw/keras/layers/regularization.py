"""Regularization layers: Dropout and ActivityRegularization."""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras import regularizers
from deltaw.keras.layers.layer import Layer
from deltaw.nn.dropout import dropout

__all__ = ["ActivityRegularization", "Dropout"]


class Dropout(Layer):
    """Randomly zeroes a fraction `rate` of the inputs in training, scaling the rest by 1/(1-rate).

    Active only when called with `training=True` (as inside `fit`); otherwise the input passes
    through unchanged. The math is `dw.nn.dropout` (inverted dropout).

    Args:
        rate: Fraction of the inputs to drop, in [0, 1).
        noise_shape: Optional shape of the dropout mask, broadcast over the input; None entries
            take the input's size (e.g. `(None, 1, features)` drops whole features over time).
        seed: Optional int. With a seed the layer draws its masks from its own generator, so a
            run is reproducible and each call still gets a fresh mask (as Keras 3's seeded
            Dropout); without one, from deltaw.random (reproducible via `dw.random.seed`).
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: Tensor of any shape.
        training: Whether to drop (True) or pass the input through (False/None).

    Example:
        >>> layer = Dropout(0.5, seed=1)
        >>> layer(np.ones((1, 4)), training=False).numpy()
        array([[1., 1., 1., 1.]], dtype=float32)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        where = f"Dropout '{self.name}'"
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"{where}: rate must be a float in [0, 1); got rate={rate!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"{where}: seed must be None or an int; got seed={seed!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True
        self._generator = None if seed is None else np.random.default_rng(int(seed))

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return dropout(inputs, self.rate, training=True, seed=self._generator,
                           noise_shape=self.noise_shape)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x**2)` (divided by the
    batch size, as Keras 3) to the layer's `losses`.

    Args:
        l1: Non-negative L1 factor. Default 0.
        l2: Non-negative L2 factor. Default 0.
        **kwargs: Base Layer arguments (not activity_regularizer: this layer sets it).

    Example:
        >>> layer = ActivityRegularization(l2=0.5)
        >>> _ = layer(np.ones((2, 2)))
        >>> float(layer.losses[0].numpy())        # 0.5 * 4 / 2
        1.0
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = self.activity_regularizer.l1, self.activity_regularizer.l2
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
