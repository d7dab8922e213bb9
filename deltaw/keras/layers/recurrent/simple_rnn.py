"""SimpleRNN: the fully connected recurrent layer, one fused `dw.nn.simple_rnn` node per call."""

from __future__ import annotations

from deltaw.keras.layers.recurrent.base_rnn import FusedRNN
from deltaw.nn.recurrent import simple_rnn

__all__ = ["SimpleRNN"]


class SimpleRNN(FusedRNN):
    """Fully connected RNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

    Keras 3's arguments and defaults (see `FusedRNN` for the shared ones). Weights: `kernel`
    (input_dim, units), `recurrent_kernel` (units, units), `bias` (units,).

    Args:
        units: Positive int, the size of the output and state.
        activation: Defaults to 'tanh'.
        **kwargs: The shared recurrent arguments (use_bias, initializers, regularizers, dropout,
            return_sequences, return_state, go_backwards, ...) and base Layer arguments.

    Call arguments:
        sequences: (batch, timesteps, features).
        initial_state: Optional (batch, units) tensor or a one-element list of it.
        mask: Optional boolean (batch, timesteps); False steps carry the state forward.
        training: Enables `dropout`.

    Returns:
        (batch, units), or (batch, timesteps, units) with return_sequences; with return_state
        the tuple (output, final_state).

    Example:
        >>> SimpleRNN(4)(np.ones((2, 3, 5))).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)

    def _run(self, x, states, mask, last_only):
        outputs, h = simple_rnn(x, self.kernel, self.recurrent_kernel, self.bias, h0=states[0],
                                go_backwards=self.go_backwards, mask=mask,
                                activation=self._activation_name,
                                return_sequences=not last_only)
        return outputs, [h]
