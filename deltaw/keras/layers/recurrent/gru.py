"""GRU: gated recurrent unit, one fused `dw.nn.gru` node per call."""

from __future__ import annotations

from deltaw.keras.layers.recurrent.base_rnn import GatedRNN
from deltaw.nn.recurrent import gru

__all__ = ["GRU"]


class GRU(GatedRNN):
    """Gated recurrent unit (Cho et al., 2014) with Keras 3's math.

    Gates in Keras' order z, r, h (sigma = recurrent_activation). With reset_after=True (the
    default, as Keras 3 and cuDNN):
        x_z, x_r, x_h = x_t @ kernel + bias[0]
        i_z, i_r, i_h = h_{t-1} @ recurrent_kernel + bias[1]
        z = sigma(x_z + i_z);  r = sigma(x_r + i_r);  hh = activation(x_h + r * i_h)
    With reset_after=False: hh = activation(x_h + (r * h_{t-1}) @ recurrent_kernel_h).
    Then h_t = z * h_{t-1} + (1 - z) * hh.

    Weights: `kernel` (input_dim, 3 * units), `recurrent_kernel` (units, 3 * units), `bias`
    (2, 3 * units) with reset_after=True (input and recurrent biases) or (3 * units,).

    Args:
        units: Positive int, the size of the output and state.
        activation: Defaults to 'tanh'.
        recurrent_activation: Defaults to 'sigmoid'.
        reset_after: Apply the reset gate after the recurrent matmul (default True).
        use_cudnn: Accepted for Keras compatibility and ignored (deltaw has no cuDNN).
        **kwargs: The shared recurrent arguments (see `FusedRNN`) and base Layer arguments.

    Call arguments:
        sequences: (batch, timesteps, features).
        initial_state: Optional (batch, units) tensor or a one-element list of it.
        mask: Optional boolean (batch, timesteps); False steps carry the state forward.
        training: Enables `dropout`.

    Returns:
        (batch, units), or (batch, timesteps, units) with return_sequences; with return_state
        the tuple (output, final_state).

    Example:
        >>> GRU(4, return_sequences=True)(np.ones((2, 3, 5))).shape
        (2, 3, 4)
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, use_cudnn=use_cudnn, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _run(self, x, states, mask, last_only):
        outputs, h = gru(x, self.kernel, self.recurrent_kernel, self.bias, h0=states[0],
                         go_backwards=self.go_backwards, mask=mask, reset_after=self.reset_after,
                         activation=self._activation_name,
                         recurrent_activation=self._recurrent_activation_name,
                         return_sequences=not last_only)
        return outputs, [h]

    def _extra_config(self):
        return {**super()._extra_config(), "reset_after": self.reset_after}
