"""RNN: runs any recurrent cell over a sequence, one time step at a time (Keras 3's `RNN`).

Each step is the cell's own call (a few recorded dw ops), so any cell works, built-in or
written by the user; the fused SimpleRNN/LSTM/GRU layers are the fast path for the built-in
ones. Masked steps keep the previous states and repeat the previous output (zeros with
`zero_output_for_mask`), as Keras' `backend.rnn`.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.layers import nest
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.recurrent.base_rnn import _as_bool_mask
from deltaw.keras.layers.recurrent.cells import StackedRNNCells
from deltaw.keras.layers.recurrent.wrappers import _deserialize, _serialize
from deltaw.ops import getitem, stack, where
from deltaw.tensor import Tensor

__all__ = ["RNN"]


def _sizes(state_size) -> list:
    """`state_size` as a list with one entry per state (each an int or a nested list)."""
    return list(state_size) if isinstance(state_size, list | tuple) else [state_size]


def _zeros_like_sizes(batch, sizes, dtype):
    return [_zeros_like_sizes(batch, s, dtype) if isinstance(s, list | tuple)
            else Tensor(np.zeros((batch, s), dtype)) for s in sizes]


class RNN(Layer):
    """Base class for recurrent layers: applies `cell` to every step of a sequence.

    Args:
        cell: An RNN cell (SimpleRNNCell, LSTMCell, GRUCell or any layer with `state_size` and
            `call(inputs, states) -> (output, new_states)`), or a list of cells (stacked with
            StackedRNNCells).
        return_sequences: Return every step's output (batch, timesteps, output_size) instead
            of the last one.
        return_state: Also return the final states: `[output, *states]`.
        go_backwards: Process the sequence in reverse (outputs in processing order).
        stateful: Only False (NotImplementedError otherwise).
        unroll: Accepted and ignored (deltaw always loops in Python).
        zero_output_for_mask: Output zeros at masked steps instead of the previous output.
        **kwargs: Base Layer arguments.

    Call arguments:
        sequences: (batch, timesteps, features). initial_state: optional list of states
            (default zeros, or `cell.get_initial_state`). mask: optional (batch, timesteps)
            booleans. training: passed to the cell (its dropout).

    Weights: the cell's (kernel, recurrent_kernel, bias for the built-in cells).

    Example:
        >>> from deltaw.keras.layers import LSTMCell
        >>> RNN(LSTMCell(4), return_sequences=True)(np.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        where_ = f"RNN '{self.name}'"
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "state_size") or not hasattr(cell, "call"):
            raise ValueError(f"{where_}: cell must have a state_size attribute and a "
                             f"call(inputs, states) method; got {cell!r}.")
        if stateful:
            raise NotImplementedError(f"{where_}: stateful recurrent layers are not supported "
                                      "by deltaw; expected stateful=False, got True.")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True

    @property
    def state_size(self) -> list:
        return _sizes(self.cell.state_size)

    def _output_size(self):
        size = getattr(self.cell, "output_size", None)
        return size if size is not None else nest.flatten(self.state_size)[0]

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != 3:
            raise ValueError(f"RNN '{self.name}': expected an input of rank 3 (batch, "
                             f"timesteps, features); got input shape {tuple(sequences_shape)}.")
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build((sequences_shape[0], sequences_shape[-1]))
        self.built = True

    def _initial_state(self, batch, initial_state):
        if initial_state is None:
            make = getattr(self.cell, "get_initial_state", None)
            states = make(batch) if make else _zeros_like_sizes(batch, self.state_size,
                                                                self._np_dtype)
            return list(states) if isinstance(states, list | tuple) else [states]
        states = list(initial_state) if isinstance(initial_state, list | tuple) \
            else [initial_state]
        if len(states) != len(self.state_size):
            raise ValueError(f"RNN '{self.name}': initial_state must hold "
                             f"{len(self.state_size)} state(s); got {len(states)}.")
        return nest.map_structure(self._convert_one, states)

    def _reset_masks(self):
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            getattr(self.cell, reset, lambda: None)()

    def call(self, sequences, initial_state=None, mask=None, training=False):
        steps = sequences.shape[1]
        if steps == 0:
            raise ValueError(f"RNN '{self.name}': the input sequence is empty; expected at "
                             f"least 1 timestep, got input shape {tuple(sequences.shape)}.")
        mask = _as_bool_mask(mask)
        states = self._initial_state(sequences.shape[0], initial_state)
        kwargs = {"training": training} if training is not None else {}
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        self._reset_masks()
        outputs, output = [], None
        try:
            for t in order:
                new_output, new_states = self.cell(getitem(sequences, (slice(None), t)), states,
                                                   **kwargs)
                if not isinstance(new_states, list | tuple):
                    new_states = [new_states]
                new_states = list(new_states)
                if mask is not None:
                    new_output, new_states = self._apply_mask(mask[:, t], new_output, output,
                                                              new_states, states)
                output, states = new_output, new_states
                outputs.append(output)
        finally:
            self._reset_masks()
        result = stack(outputs, axis=1) if self.return_sequences else output
        return (result, *states) if self.return_state else result

    def _apply_mask(self, keep, new_output, output, new_states, states):
        """Masked samples keep their states and repeat the previous output (or zeros)."""
        keep = keep[:, None]
        if self.zero_output_for_mask or output is None:
            new_output = where(keep, new_output, 0.0)
        else:
            new_output = where(keep, new_output, output)
        flat_new, flat_old = nest.flatten(new_states), nest.flatten(states)
        kept = [where(keep, n, o) for n, o in zip(flat_new, flat_old, strict=True)]
        return new_output, nest.pack_sequence_as(new_states, kept)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        size = self._output_size()
        output = (batch, steps, size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return output
        states = nest.map_structure(lambda n: (batch, n), self.state_size)
        return (output, *states)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(nest.flatten(self.state_size))
        return output_mask

    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": _serialize(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = config.pop("cell")
        cell = [_deserialize(c, custom_objects) for c in cell] if isinstance(cell, list) \
            else _deserialize(cell, custom_objects)
        return cls(cell, **config)
