"""ConvLSTM1D, ConvLSTM2D, ConvLSTM3D: LSTMs whose matmuls are convolutions (Shi et al., 2015).

Each is an `RNN` over a convolutional LSTM cell, as in Keras 3. One step, with `*` a
convolution (the input's with the layer's strides, padding and dilation; the state's with
'same' padding and stride 1): z = x * kernel + h * recurrent_kernel + bias, split into the gates
i, f, c, o (Keras' order) along the channels; c = f c_prev + i act(z_c); h = o act(c). Each
step is one `dw.nn.conv{1,2,3}d` for the input and one for the state (all four gates at once:
the same sums as Keras' four convolutions each), then element-wise dw ops.
Inputs are channels-last: (batch, time, *spatial, channels).
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.layers.conv_arguments import (
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.recurrent.cells import LSTMCell, _columns
from deltaw.keras.layers.recurrent.rnn import RNN
from deltaw.nn.conv import conv1d, conv2d
from deltaw.nn.conv_nd import conv3d
from deltaw.ops import add, multiply
from deltaw.tensor import Tensor

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

_CONVS = {1: conv1d, 2: conv2d, 3: conv3d}


class _ConvLSTMCell(LSTMCell):
    """One ConvLSTM step; the LSTMCell arguments plus the convolution's (not a Keras export)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(filters, **kwargs)
        where = f"{type(self).__name__} '{self.name}'"
        self.rank = rank
        self.filters = self.units
        self.kernel_size = standardize_tuple(where, "kernel_size", kernel_size, rank)
        self.strides = standardize_tuple(where, "strides", strides, rank)
        self.padding = standardize_padding(where, padding)
        self.data_format = standardize_data_format(where, data_format)
        self.dilation_rate = standardize_tuple(where, "dilation_rate", dilation_rate, rank)
        self._spatial = None

    def build(self, input_shape):
        where = f"ConvLSTM{self.rank}D '{self.name}'"
        spatial, channels = tuple(input_shape[1:-1]), input_shape[-1]
        if len(spatial) != self.rank or None in spatial or channels is None:
            raise ValueError(f"{where}: expected steps of shape (batch, {self.rank} known "
                             f"spatial sizes, channels); got step shape {tuple(input_shape)}.")
        out = tuple(conv_output_length(n, k, s, d, self.padding) for n, k, s, d in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True))
        if any(n <= 0 for n in out):
            raise ValueError(f"{where}: the kernel is larger than the input with "
                             f"padding='valid'; got kernel_size {self.kernel_size} for step "
                             f"shape {tuple(input_shape)}.")
        self._spatial = out
        width = 4 * self.filters
        self.kernel = self.add_weight("kernel", (*self.kernel_size, channels, width),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (*self.kernel_size, self.filters, width),
            self.recurrent_initializer, self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (width,), self._bias_initializer(),
                                        self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def get_initial_state(self, batch_size=None):
        shape = (batch_size, *self._spatial, self.filters)
        return [Tensor(np.zeros(shape, self._np_dtype)), Tensor(np.zeros(shape, self._np_dtype))]

    def call(self, inputs, states, training=False):
        h_prev, c_prev = self._states(states, 2)
        x, h_in = self._step_inputs(inputs, h_prev, training)
        conv = _CONVS[self.rank]
        z = add(conv(x, self.kernel, strides=self.strides, padding=self.padding,
                     dilation_rate=self.dilation_rate),
                conv(h_in, self.recurrent_kernel, padding="same"))
        if self.bias is not None:
            z = add(z, self.bias)
        u, sigma = self.filters, self.recurrent_activation
        i, f, o = sigma(_columns(z, 0, u)), sigma(_columns(z, 1, u)), sigma(_columns(z, 3, u))
        c = add(multiply(f, c_prev), multiply(i, self.activation(_columns(z, 2, u))))
        h = multiply(o, self.activation(c))
        return h, [h, c]


class _ConvLSTM(RNN):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        unroll = kwargs.pop("unroll", False)
        zero_output_for_mask = kwargs.pop("zero_output_for_mask", False)
        cell = _ConvLSTMCell(
            self.rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != self.rank + 3:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected an input of rank "
                             f"{self.rank + 3} (batch, time, {self.rank} spatial axes, "
                             f"channels); got input shape {tuple(sequences_shape)}.")
        if not self.cell.built:
            self.cell._maybe_build((sequences_shape[0], *sequences_shape[2:]))
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if not self.cell.built:
            self.build(sequences_shape)
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = (batch, *self.cell._spatial, self.cell.filters)
        output = (batch, steps, *state[1:]) if self.return_sequences else state
        return (output, state, state) if self.return_state else output

    def __getattr__(self, name):
        # Keras exposes the cell's arguments on the layer (layer.filters, layer.kernel_size...)
        if name in _CELL_ATTRIBUTES:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self):
        cell = self.cell.get_config()
        config = super().get_config()
        del config["cell"]
        return {
            **config,
            "filters": cell["units"],
            "kernel_size": self.cell.kernel_size,
            "strides": self.cell.strides,
            "padding": self.cell.padding,
            "data_format": self.cell.data_format,
            "dilation_rate": self.cell.dilation_rate,
            **{k: v for k, v in cell.items()
               if k not in ("units", "name", "trainable", "dtype")},
            "activity_regularizer": config.get("activity_regularizer"),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return super(RNN, cls).from_config(config)


_CELL_ATTRIBUTES = frozenset((
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
    "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
    "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
    "bias_constraint", "dropout", "recurrent_dropout", "seed"))

_DOC = """{n}-D convolutional LSTM over a sequence of {what}, as Keras' ConvLSTM{n}D.

    Args:
        filters: Positive int, channels of the state and output.
        kernel_size, strides, dilation_rate: Int or {n} ints (the input convolution's; the
            state's convolution uses the same kernel size with 'same' padding, stride 1).
        padding: 'valid' (default) or 'same'.
        data_format: 'channels_last' or None only ('channels_first' raises ChannelsFirstError).
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: As LSTM (any activations).
        return_sequences, return_state, go_backwards, stateful: As RNN.
        **kwargs: Base Layer arguments.

    Input shape:
        (batch, time, {axes}, channels).

    Output shape:
        (batch, [time,] {out}, filters), the spatial sizes as Conv{n}D's.

    Weights (Keras order): kernel (*kernel_size, channels, 4 * filters), recurrent_kernel
    (*kernel_size, filters, 4 * filters), bias (4 * filters,).
    """


class ConvLSTM1D(_ConvLSTM):
    rank = 1


class ConvLSTM2D(_ConvLSTM):
    rank = 2


class ConvLSTM3D(_ConvLSTM):
    rank = 3


ConvLSTM1D.__doc__ = _DOC.format(n=1, what="sequences", axes="steps", out="new_steps")
ConvLSTM2D.__doc__ = _DOC.format(n=2, what="images", axes="height, width",
                                 out="new_height, new_width")
ConvLSTM3D.__doc__ = _DOC.format(n=3, what="volumes", axes="d1, d2, d3", out="o1, o2, o3")
