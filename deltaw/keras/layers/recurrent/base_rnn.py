"""The shared machinery of SimpleRNN, LSTM and GRU: arguments, weights, masks, outputs.

Each layer call is ONE graph node: the whole sequence goes through the fused primitive of
`deltaw.nn.recurrent` (`simple_rnn`, `lstm`, `gru`), which holds the time loop and its
backpropagation through time. The layer only prepares the arguments (initial states, mask,
input dropout) and picks the outputs Keras returns (`return_sequences`, `return_state`).

Weights are Keras 3's, held directly by the layer (Keras keeps them on a `cell` sublayer; the
arrays, their order and their shapes are the same, so `get_weights`/`set_weights` exchange
weights with Keras): `kernel (input_dim, k * units)`, `recurrent_kernel (units, k * units)`,
`bias`.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras import activations, initializers, regularizers
from deltaw.keras.layers.core import _serialize_regularizer, serialize_constraint
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.nn.dropout import dropout as _dropout
from deltaw.ops import getitem, where
from deltaw.tensor import Tensor

__all__ = ["FusedRNN", "GatedRNN"]

# The activations the fused primitives implement (deltaw.nn.recurrent._ACTIVATIONS).
FUSED_ACTIVATIONS = ("hard_sigmoid", "linear", "relu", "sigmoid", "tanh")


def _activation_name(where: str, argument: str, value) -> str:
    """The Keras name of `value` if the fused primitives implement it; else a ValueError."""
    fn = activations.get(value)
    try:
        name = activations.serialize(fn)
    except ValueError:
        name = None
    if name not in FUSED_ACTIVATIONS or activations.get(name) is not fn:
        raise ValueError(f"{where}: {argument} {value!r} is not supported by deltaw's fused "
                         f"recurrent layers; expected one of {', '.join(FUSED_ACTIVATIONS)}.")
    return name


def _as_bool_mask(mask):
    """A Keras mask (Tensor, array, or a list whose first entry is the sequence's mask) as a
    NumPy boolean array, or None."""
    if isinstance(mask, list | tuple):
        mask = mask[0] if mask else None
    if mask is None:
        return None
    mask = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    return mask if mask.dtype == bool else mask.astype(bool)


class FusedRNN(Layer):
    """Base class of the fused recurrent layers (not a Keras class: Keras' `RNN(cell)` runs any
    cell step by step; deltaw's layers run one fused primitive per call instead).

    Subclasses set `_gates` (k in the weight shapes), `_state_names`, and implement
    `_run(x, states, mask, last_only)` -> (outputs (batch, timesteps, units), final states
    list); with `last_only` just the last output (batch, units) instead: the op then neither
    packs nor backpropagates the others.

    Args:
        units: Positive int, the size of the hidden state.
        activation: 'tanh' (default), 'relu', 'sigmoid', 'hard_sigmoid' or 'linear' (the ones
            the fused primitives implement; others raise ValueError).
        use_bias: Whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras' defaults
            'glorot_uniform', 'orthogonal', 'zeros'.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints,
            applied by the optimizer after each update.
        dropout: Fraction of the input features dropped in training, the same features at
            every time step (Keras' mask is drawn once per call).
        recurrent_dropout: Must be 0: dropout on the recurrent state would need a mask inside
            the fused time loop, which deltaw does not have (NotImplementedError otherwise).
        seed: Optional int seed of the dropout masks.
        return_sequences: Return the whole output sequence (batch, timesteps, units) instead
            of the last output (batch, units).
        return_state: Also return the final states: `[output, *states]`.
        go_backwards: Process the sequence in reverse; with return_sequences the outputs come
            in processing order (reversed), as Keras returns them.
        stateful: Must be False (NotImplementedError otherwise).
        unroll: Accepted and ignored (the fused loop is already a single node).
        zero_output_for_mask: With a mask, output zeros at masked steps instead of repeating
            the previous output (Bidirectional sets it when it returns sequences, as Keras).
        **kwargs: Base Layer arguments.
    """

    _gates = 1
    _state_names = ("h",)

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 **kwargs):
        kwargs.pop("implementation", None)  # tf.keras 2 configs carry it; one implementation here
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        where = f"{type(self).__name__} '{self.name}'"
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"{where}: units must be a positive integer; got units={units!r}.")
        for argument, value in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not 0 <= value < 1:
                raise ValueError(f"{where}: {argument} must be a float in [0, 1); got "
                                 f"{argument}={value!r}.")
        if recurrent_dropout > 0:
            raise NotImplementedError(
                f"{where}: recurrent_dropout is not supported by deltaw's fused recurrent layers; "
                f"expected recurrent_dropout=0.0, got {recurrent_dropout!r}. Hint: use dropout= "
                "(input dropout) or a Dropout layer after the recurrent layer.")
        if stateful:
            raise NotImplementedError(f"{where}: stateful recurrent layers are not supported by "
                                      "deltaw; expected stateful=False, got True.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"{where}: seed must be None or an int; got seed={seed!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self._activation_name = _activation_name(where, "activation", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(int(seed))
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        self.kernel = self.recurrent_kernel = self.bias = None

    # ----- weights
    def _bias_shape(self) -> tuple:
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape or ())
        where = f"{type(self).__name__} '{self.name}'"
        if len(shape) != 3:
            raise ValueError(f"{where}: expected an input of rank 3 (batch, timesteps, features); "
                             f"got input shape {shape}.")
        if shape[-1] is None:
            raise ValueError(f"{where}: the input's last axis (features) must be known; got "
                             f"input shape {shape}.")
        width = self._gates * self.units
        self.kernel = self.add_weight("kernel", (shape[-1], width), self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, width), self.recurrent_initializer,
            self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                        self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=3, axes={-1: shape[-1]})
        self.built = True

    # ----- call
    def _initial_states(self, initial_state):
        """The initial states as a list (one per state), or Nones for zeros."""
        n = len(self._state_names)
        if initial_state is None:
            return [None] * n
        states = list(initial_state) if isinstance(initial_state, list | tuple) \
            else [initial_state]
        if len(states) != n:
            raise ValueError(f"{type(self).__name__} '{self.name}': initial_state must hold {n} "
                             f"tensor(s) ({', '.join(self._state_names)}); got {len(states)}.")
        return [self._convert_one(s) for s in states]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if sequences.shape[1] == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': the input sequence is empty; "
                             f"expected at least 1 timestep, got input shape "
                             f"{tuple(sequences.shape)}.")
        mask = _as_bool_mask(mask)
        x = sequences
        if training and self.dropout > 0:
            # one mask per sample and feature, reused at every step (Keras' input dropout)
            x = _dropout(x, self.dropout, seed=self._generator,
                         noise_shape=(x.shape[0], 1, x.shape[2]))
        # zero_output_for_mask changes the last output of a masked last step: all outputs then
        last_only = not self.return_sequences and (mask is None or not self.zero_output_for_mask)
        output, states = self._run(x, self._initial_states(initial_state), mask, last_only)
        if not last_only:
            if mask is not None and self.zero_output_for_mask:
                order = mask[:, ::-1] if self.go_backwards else mask   # outputs in step order
                output = where(order[:, :, None], output, 0)
            if not self.return_sequences:
                output = getitem(output, (slice(None), -1))
        if self.return_state:
            return (output, *states)
        return output

    def _run(self, x, states, mask, last_only):
        raise NotImplementedError

    # ----- shapes and masks
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return (output, *((batch, self.units) for _ in self._state_names))
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_names)
        return output_mask

    # ----- configuration
    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **self._extra_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "recurrent_regularizer": _serialize_regularizer(self.recurrent_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": serialize_constraint(self.kernel_constraint),
            "recurrent_constraint": serialize_constraint(self.recurrent_constraint),
            "bias_constraint": serialize_constraint(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def _extra_config(self) -> dict:
        return {}


class GatedRNN(FusedRNN):
    """Base class of LSTM and GRU: the gates' `recurrent_activation` and Keras' `use_cudnn`.

    Args:
        units: Positive int, the size of the hidden state.
        recurrent_activation: The gates' activation (sigma), one of the fused activations.
        use_cudnn: 'auto', True or False: checked as Keras does, then ignored (deltaw has no
            cuDNN).
        **kwargs: The `FusedRNN` arguments.
    """

    def __init__(self, units, recurrent_activation="sigmoid", use_cudnn="auto", **kwargs):
        super().__init__(units, **kwargs)
        where = f"{type(self).__name__} '{self.name}'"
        self.recurrent_activation = activations.get(recurrent_activation)
        self._recurrent_activation_name = _activation_name(where, "recurrent_activation",
                                                           recurrent_activation)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{where}: invalid use_cudnn {use_cudnn!r}; expected one of 'auto', "
                             "True, False.")
        self.use_cudnn = use_cudnn

    def _extra_config(self) -> dict:
        return {"recurrent_activation": activations.serialize(self.recurrent_activation)}
