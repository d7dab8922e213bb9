"""Masking: marks the time steps whose features all equal `mask_value` as padding."""

from __future__ import annotations

from deltaw.keras.layers.layer import Layer
from deltaw.ops import greater, not_equal, where
from deltaw.ops import sum as reduce_sum

__all__ = ["Masking"]


class Masking(Layer):
    """Masks the time steps whose features all equal `mask_value`, for the layers after it.

    A step (axis 1) is kept when any of its features differs from `mask_value`. The layer
    outputs its input with the masked steps set to 0 and produces the mask (batch, timesteps),
    which Sequential and functional models pass on: a following LSTM/GRU/SimpleRNN carries its
    state across the masked steps.

    Args:
        mask_value: The padding value. Defaults to 0.0.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: (batch, timesteps, features) (any rank >= 2; the last axis holds the features).

    Example:
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0]]])
        >>> Masking().compute_mask(x).numpy()
        array([[ True, False]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs, keepdims):
        # "any feature differs" as a count of differing features > 0 (dw has no `any` op)
        differs = not_equal(inputs, self.mask_value)
        return greater(reduce_sum(differs, axis=-1, keepdims=keepdims), 0)

    def call(self, inputs):
        return where(self._keep(inputs, keepdims=True), inputs, 0)

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs, keepdims=False)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
