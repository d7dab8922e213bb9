"""LSTM: long short-term memory, one fused `dw.nn.lstm` node per call."""

from __future__ import annotations

import numpy as np

from deltaw.keras import initializers
from deltaw.keras.layers.recurrent.base_rnn import GatedRNN
from deltaw.nn.recurrent import lstm

__all__ = ["LSTM"]


class _UnitForgetBias(initializers.Initializer):
    """Keras' LSTM bias with unit_forget_bias: the forget gate's quarter is ones, the rest comes
    from the bias initializer (called per quarter block, as Keras does)."""

    def __init__(self, base, units):
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None):
        u = self.units
        parts = [self.base((u,), dtype=dtype), np.ones((u,), dtype=dtype),
                 self.base((2 * u,), dtype=dtype)]
        return np.concatenate([np.asarray(getattr(p, "data", p)) for p in parts])


class LSTM(GatedRNN):
    """Long short-term memory layer (Hochreiter & Schmidhuber, 1997) with Keras 3's math.

    Gates in Keras' order i, f, c, o (sigma = recurrent_activation):
        z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias
        c_t = sigma(z_f) * c_{t-1} + sigma(z_i) * activation(z_c)
        h_t = sigma(z_o) * activation(c_t)

    Weights: `kernel` (input_dim, 4 * units), `recurrent_kernel` (units, 4 * units), `bias`
    (4 * units,): Keras' arrays copied in with `set_weights` give Keras' outputs.

    Args:
        units: Positive int, the size of the output and of both states.
        activation: Defaults to 'tanh'.
        recurrent_activation: Defaults to 'sigmoid'.
        unit_forget_bias: Initialize the forget gate's bias to 1 (Keras' default True).
        use_cudnn: Accepted for Keras compatibility and ignored (deltaw has no cuDNN).
        **kwargs: The shared recurrent arguments (see `FusedRNN`: use_bias, initializers,
            regularizers, dropout, recurrent_dropout (0 only), return_sequences, return_state,
            go_backwards, stateful (False only), unroll (ignored), seed) and base Layer
            arguments.

    Call arguments:
        sequences: (batch, timesteps, features).
        initial_state: Optional list [h0, c0] of (batch, units) tensors.
        mask: Optional boolean (batch, timesteps); False steps carry both states forward
            (an upstream Embedding(mask_zero=True) or Masking layer supplies it).
        training: Enables `dropout`.

    Returns:
        (batch, units), or (batch, timesteps, units) with return_sequences; with return_state
        the tuple (output, h, c).

    Example:
        >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(np.ones((2, 3, 5)))
        >>> out.shape, h.shape, c.shape
        ((2, 3, 4), (2, 4), (2, 4))
    """

    _gates = 4
    _state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, use_cudnn=use_cudnn, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def _run(self, x, states, mask, last_only):
        outputs, h, c = lstm(x, self.kernel, self.recurrent_kernel, self.bias, h0=states[0],
                             c0=states[1], go_backwards=self.go_backwards, mask=mask,
                             activation=self._activation_name,
                             recurrent_activation=self._recurrent_activation_name,
                             return_sequences=not last_only)
        return outputs, [h, c]

    def _extra_config(self):
        return {**super()._extra_config(), "unit_forget_bias": self.unit_forget_bias}
