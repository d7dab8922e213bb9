"""Recurrent cells: SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells, as Keras 3's.

A cell computes ONE time step, `cell(inputs, states) -> (output, new_states)`, from dw ops (a
matmul per weight, the gates' activations); `RNN` runs it over a sequence, one recorded step at
a time. Their weights are Keras 3's (kernel, recurrent_kernel, bias, same shapes and gate order)
and match the fused SimpleRNN/LSTM/GRU layers', which run the same math as one primitive.

Dropout, as Keras: in training, the step input is multiplied by a dropout mask (`dropout`) and
the previous hidden state by another (`recurrent_dropout`); each mask is drawn on a cell's
first training step and reused until `reset_dropout_mask()` / `reset_recurrent_dropout_mask()`
(RNN resets them around every sequence), so a sequence sees the same masks at every step.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw import random as dw_random
from deltaw.keras import activations, initializers, regularizers
from deltaw.keras.layers.core import _serialize_regularizer, serialize_constraint
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.recurrent.wrappers import _deserialize, _serialize
from deltaw.ops import add, getitem, matmul, multiply, subtract
from deltaw.tensor import Tensor

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells"]


def _fraction(where, name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{where}: {name} must be a float in [0, 1); got {name}={value!r}.")
    return float(value)


def _columns(x, index, units):
    """Gate `index` of a (batch, k * units) pre-activation: columns [index * units, +units)."""
    return getitem(x, (Ellipsis, slice(index * units, (index + 1) * units)))


class _Cell(Layer):
    """Arguments, weights, dropout masks and config shared by the three cells."""

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        where = f"{type(self).__name__} '{self.name}'"
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"{where}: units must be a positive integer; got units={units!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"{where}: seed must be None or an int; got seed={seed!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
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
        self.dropout = _fraction(where, "dropout", dropout)
        self.recurrent_dropout = _fraction(where, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(int(seed))
        self._masks = {}
        self.state_size = self.units
        self.output_size = self.units
        self.kernel = self.recurrent_kernel = self.bias = None

    # ----- weights
    def _bias_shape(self) -> tuple:
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        where = f"{type(self).__name__} '{self.name}'"
        if input_shape[-1] is None:
            raise ValueError(f"{where}: the input's last axis (features) must be known; got "
                             f"input shape {tuple(input_shape)}.")
        width = self._gates * self.units
        self.kernel = self.add_weight("kernel", (input_shape[-1], width), self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, width), self.recurrent_initializer,
            self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                        self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    # ----- dropout
    def _masked(self, key, x, rate, training):
        """`x` times this sequence's dropout mask `key` (scaled by 1 / (1 - rate))."""
        if not training or rate == 0:
            return x
        mask = self._masks.get(key)
        if mask is None or mask.shape != x.shape:
            rng = self._generator if self._generator is not None else dw_random.generator()
            keep = rng.random(x.shape) >= rate
            mask = self._masks[key] = Tensor((keep / (1.0 - rate)).astype(x.dtype))
        return multiply(x, mask)

    def reset_dropout_mask(self):
        self._masks.pop("input", None)

    def reset_recurrent_dropout_mask(self):
        self._masks.pop("recurrent", None)

    def _step_inputs(self, inputs, h, training):
        return (self._masked("input", inputs, self.dropout, training),
                self._masked("recurrent", h, self.recurrent_dropout, training))

    # ----- states
    def get_initial_state(self, batch_size=None):
        """Zero states: a list with one (batch_size, units) array per state."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [Tensor(np.zeros((batch_size, n), self._np_dtype)) for n in sizes]

    def _states(self, states, count):
        states = list(states) if isinstance(states, list | tuple) else [states]
        if len(states) != count:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected {count} state "
                             f"tensor(s); got {len(states)}.")
        return [self._convert_one(s) for s in states]

    # ----- configuration
    def get_config(self):
        return {
            **super().get_config(),
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
            "kernel_constraint": serialize_constraint(self.kernel_constraint),
            "recurrent_constraint": serialize_constraint(self.recurrent_constraint),
            "bias_constraint": serialize_constraint(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def _extra_config(self) -> dict:
        return {}


class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: `h = activation(x @ kernel + h_prev @ recurrent_kernel
    + bias)`; the output is `h`.

    Args:
        units: Positive int, the size of the state.
        activation: Default 'tanh' (any activation).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint: As SimpleRNN (constraints are stored only).
        dropout, recurrent_dropout: Fractions in [0, 1) (see the module docstring).
        seed: Optional int seed of the dropout masks.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: (batch, features). states: [h] or h, (batch, units). training: dropout on.

    Example:
        >>> cell = SimpleRNNCell(4)
        >>> out, states = cell(np.ones((2, 3)), [np.zeros((2, 4))])
        >>> out.shape, len(states)
        ((2, 4), 1)
    """

    def call(self, inputs, states, training=False):
        nested = isinstance(states, list | tuple)
        (h_prev,) = self._states(states, 1)
        x, h_in = self._step_inputs(inputs, h_prev, training)
        z = matmul(x, self.kernel)
        if self.bias is not None:
            z = add(z, self.bias)
        h = self.activation(add(z, matmul(h_in, self.recurrent_kernel)))
        return h, ([h] if nested else h)


class LSTMCell(_Cell):
    """One step of a long short-term memory (Hochreiter & Schmidhuber, 1997), Keras' gate order
    i, f, c, o:

    z = x @ kernel + h_prev @ recurrent_kernel + bias; i, f, o = recurrent_activation(z_i,
    z_f, z_o); c = f * c_prev + i * activation(z_c); h = o * activation(c). States [h, c].

    Args:
        units: Positive int, the size of the states.
        activation: Default 'tanh'. recurrent_activation: Default 'sigmoid'.
        unit_forget_bias: Initialise the forget gate's bias to ones (Keras' default True).
        The other arguments: as SimpleRNNCell.

    Example:
        >>> cell = LSTMCell(4)
        >>> out, (h, c) = cell(np.ones((2, 3)), [np.zeros((2, 4)), np.zeros((2, 4))])
        >>> c.shape
        (2, 4)
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def forget_ones(shape, dtype=None):
            parts = [np.asarray(base((units,), dtype=dtype)), np.ones((units,), dtype),
                     np.asarray(base((2 * units,), dtype=dtype))]
            return np.concatenate([p.data if isinstance(p, Tensor) else p for p in parts])

        return forget_ones

    def call(self, inputs, states, training=False):
        h_prev, c_prev = self._states(states, 2)
        x, h_in = self._step_inputs(inputs, h_prev, training)
        z = add(matmul(x, self.kernel), matmul(h_in, self.recurrent_kernel))
        if self.bias is not None:
            z = add(z, self.bias)
        u, sigma = self.units, self.recurrent_activation
        i, f, o = sigma(_columns(z, 0, u)), sigma(_columns(z, 1, u)), sigma(_columns(z, 3, u))
        c = add(multiply(f, c_prev), multiply(i, self.activation(_columns(z, 2, u))))
        h = multiply(o, self.activation(c))
        return h, [h, c]

    def _extra_config(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_Cell):
    """One step of a gated recurrent unit (Cho et al., 2014), Keras' gate order z, r, h:

    z = sigma(x W_z + h_prev U_z + b_z), r = sigma(x W_r + h_prev U_r + b_r); with
    reset_after=True (Keras 3's default; bias of shape (2, 3 * units), input and recurrent)
    hh = activation(x W_h + b_h + r * (h_prev U_h + b'_h)), otherwise
    hh = activation(x W_h + (r * h_prev) U_h + b_h); h = z * h_prev + (1 - z) * hh.

    Args:
        units: Positive int, the size of the state.
        activation: Default 'tanh'. recurrent_activation: Default 'sigmoid'.
        reset_after: Apply the reset gate after the recurrent matmul. Default True.
        The other arguments: as SimpleRNNCell.

    Example:
        >>> cell = GRUCell(4)
        >>> cell(np.ones((2, 3)), np.zeros((2, 4)))[0].shape
        (2, 4)
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        nested = isinstance(states, list | tuple)
        (h_prev,) = self._states(states, 1)
        x, h_in = self._step_inputs(inputs, h_prev, training)
        u, sigma = self.units, self.recurrent_activation
        bias_in = bias_rec = None
        if self.bias is not None:
            bias_in, bias_rec = ((getitem(self.bias, 0), getitem(self.bias, 1))
                                 if self.reset_after else (self.bias, None))
        xz = matmul(x, self.kernel)
        if bias_in is not None:
            xz = add(xz, bias_in)
        if self.reset_after:
            hz = matmul(h_in, self.recurrent_kernel)
            if bias_rec is not None:
                hz = add(hz, bias_rec)
            z = sigma(add(_columns(xz, 0, u), _columns(hz, 0, u)))
            r = sigma(add(_columns(xz, 1, u), _columns(hz, 1, u)))
            hh = self.activation(add(_columns(xz, 2, u), multiply(r, _columns(hz, 2, u))))
        else:
            hz = matmul(h_in, _columns(self.recurrent_kernel, 0, 2 * u))
            z = sigma(add(_columns(xz, 0, u), _columns(hz, 0, u)))
            r = sigma(add(_columns(xz, 1, u), _columns(hz, 1, u)))
            candidate = matmul(multiply(r, h_in), _columns(self.recurrent_kernel, 2, u))
            hh = self.activation(add(_columns(xz, 2, u), candidate))
        h = add(multiply(z, h_prev), multiply(subtract(1.0, z), hh))
        return h, ([h] if nested else h)

    def _extra_config(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Cells applied one after another within each time step: cell k's output is cell k+1's
    input. Its states are the cells' states, one entry per cell.

    Args:
        cells: List of cells (anything with `state_size` and `call(inputs, states)`).
        **kwargs: Base Layer arguments.

    Example:
        >>> cells = StackedRNNCells([SimpleRNNCell(4), SimpleRNNCell(2)])
        >>> cells.state_size, cells.output_size
        ([4, 2], 2)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        where = f"StackedRNNCells '{self.name}'"
        cells = list(cells) if isinstance(cells, list | tuple) else None
        if not cells or not all(hasattr(c, "state_size") and hasattr(c, "call") for c in cells):
            raise ValueError(f"{where}: cells must be a non-empty list of RNN cells (with "
                             "state_size and call(inputs, states)); got " + repr(cells) + ".")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return last.state_size[0] if isinstance(last.state_size, list | tuple) \
            else last.state_size

    def get_initial_state(self, batch_size=None):
        return [c.get_initial_state(batch_size) for c in self.cells]

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(tuple(input_shape))
            size = getattr(cell, "output_size", None) or (
                cell.state_size[0] if isinstance(cell.state_size, list | tuple)
                else cell.state_size)
            input_shape = (input_shape[0], size)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states, strict=True):
            nested = isinstance(cell_states, list | tuple)
            inputs, cell_states = cell(inputs, list(cell_states) if nested else [cell_states],
                                       training=training)
            if not nested and len(cell_states) == 1:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        return inputs, (new_states[0] if len(new_states) == 1 else new_states)

    def reset_dropout_mask(self):
        for cell in self.cells:
            getattr(cell, "reset_dropout_mask", lambda: None)()

    def reset_recurrent_dropout_mask(self):
        for cell in self.cells:
            getattr(cell, "reset_recurrent_dropout_mask", lambda: None)()

    def get_config(self):
        return {**super().get_config(), "cells": [_serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
