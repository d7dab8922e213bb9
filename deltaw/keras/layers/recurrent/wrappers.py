"""Layer wrappers: Bidirectional (a recurrent layer run both ways) and TimeDistributed."""

from __future__ import annotations

import copy

from deltaw.keras.layers.layer import Layer
from deltaw.ops import add, concatenate, flip, multiply, reshape

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _serialize(layer) -> dict:
    from deltaw.keras.models.config import serialize_layer  # models import layers: lazy

    return serialize_layer(layer)


def _deserialize(config, custom_objects=None):
    from deltaw.keras.models.config import deserialize_layer

    return deserialize_layer(config, custom_objects)


def _clone(layer, **changes):
    """A new layer (new weights) from `layer`'s config updated by `changes`, built for the same
    input shape when `layer` is built (Keras clones this way)."""
    data = _serialize(layer)
    data["config"] = {**data["config"], **changes}
    return _deserialize(data)


def _require_layer(where: str, argument: str, value) -> None:
    if not isinstance(value, Layer):
        raise ValueError(f"{where}: {argument} must be a keras Layer instance; got "
                         f"{type(value).__name__} {value!r}.")


class Wrapper(Layer):
    """Base of the layers that wrap another layer (Keras' `Wrapper`).

    Args:
        layer: The wrapped Layer.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        _require_layer(f"{type(self).__name__} '{self.name}'", "layer", layer)
        self.layer = layer

    def build(self, input_shape=None):
        """Builds the wrapped layer for `input_shape` (subclasses that change the shape the
        inner layer sees override this)."""
        if not self.layer.built:
            self.layer._maybe_build(input_shape)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        layer = _deserialize(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the two outputs.

    As Keras 3: the forward layer is a copy of `layer` named 'forward_<name>'; the backward
    layer is `backward_layer`, or a copy of `layer` with `go_backwards=True` named
    'backward_<name>'. With return_sequences the backward outputs are flipped back into input
    order before merging, and both layers output zeros at masked steps (Keras forces
    `zero_output_for_mask` there). Weights: the forward layer's, then the backward layer's.

    Args:
        layer: A recurrent layer instance (LSTM, GRU, SimpleRNN).
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (a list of both outputs).
        weights: Optional initial weights (forward then backward), set when the layer builds.
        backward_layer: Optional recurrent layer for the backward direction; it must have
            go_backwards different from the forward layer's, and the same return_sequences,
            return_state and stateful.
        **kwargs: Base Layer arguments.

    Call arguments:
        sequences: (batch, timesteps, features).
        initial_state: Optional list: the forward layer's states, then the backward layer's.
        mask: Optional boolean (batch, timesteps), passed to both layers.
        training: Passed to both layers.

    Returns:
        The merged output; with merge_mode=None a list [forward, backward]; with return_state
        also the forward then the backward final states.

    Example:
        >>> from deltaw.keras.layers import LSTM, Bidirectional
        >>> Bidirectional(LSTM(4))(np.ones((2, 3, 5))).shape
        (2, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        Layer.__init__(self, **kwargs)
        where = f"Bidirectional '{self.name}'"
        _require_layer(where, "layer", layer)
        if backward_layer is not None:
            _require_layer(where, "backward_layer", backward_layer)
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"{where}: invalid merge_mode {merge_mode!r}; expected one of "
                             "'sum', 'mul', 'ave', 'concat' or None.")
        name = layer.name.removeprefix("forward_")
        self.forward_layer = _clone(layer, name=f"forward_{name}")
        if backward_layer is None:
            name = layer.name.removeprefix("backward_")
            backward_layer = _clone(layer, name=f"backward_{name}", go_backwards=True)
        self.backward_layer = backward_layer
        self._check_pair(where)
        for rnn in (self.forward_layer, self.backward_layer):
            if hasattr(rnn, "zero_output_for_mask"):
                rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = getattr(layer, "return_sequences", False)
        self.return_state = getattr(layer, "return_state", False)
        self.supports_masking = True
        self.input_spec = layer.input_spec

    @property
    def layer(self):
        return self.forward_layer

    def _check_pair(self, where: str) -> None:
        fwd, bwd = self.forward_layer, self.backward_layer
        if getattr(fwd, "go_backwards", None) == getattr(bwd, "go_backwards", None):
            raise ValueError(f"{where}: the forward and backward layers must have different "
                             f"go_backwards; got {getattr(fwd, 'go_backwards', None)} for both.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr, None) != getattr(bwd, attr, None):
                raise ValueError(f"{where}: the forward and backward layers must have the same "
                                 f"{attr}; got {getattr(fwd, attr, None)} for the forward layer "
                                 f"and {getattr(bwd, attr, None)} for the backward layer.")

    def build(self, sequences_shape, initial_state_shape=None):
        for rnn in (self.forward_layer, self.backward_layer):
            if not rnn.built:
                rnn._maybe_build(sequences_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs = {} if mask is None else {"mask": mask}
        if training is not None:
            kwargs["training"] = training
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = flip(y_rev, axis=1)          # back into input order
        output = self._merge(y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return add(y, y_rev)
        if self.merge_mode == "ave":
            return multiply(add(y, y_rev), 0.5)
        if self.merge_mode == "mul":
            return multiply(y, y_rev)
        return [y, y_rev]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*output_shape[:-1], output_shape[-1] * 2)
        elif self.merge_mode is None:
            output_shape = [output_shape, output_shape]
        if self.return_state:
            if self.merge_mode is None:
                return (*output_shape, *state_shapes, *state_shapes)
            return (output_shape, *state_shapes, *state_shapes)
        return output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        if self.return_sequences:
            output_mask = mask if self.merge_mode else [mask, mask]
        else:
            output_mask = None if self.merge_mode else [None, None]
        if self.return_state:
            n_states = 2 * len(getattr(self.forward_layer, "_state_names", ()))
            head = output_mask if isinstance(output_mask, list) else [output_mask]
            return head + [None] * n_states
        return output_mask

    def get_config(self):
        return {**Layer.get_config(self), "merge_mode": self.merge_mode,
                "layer": _serialize(self.forward_layer),
                "backward_layer": _serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        layer = _deserialize(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = _deserialize(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)


class TimeDistributed(Wrapper):
    """Applies a layer to every temporal slice of its input: (batch, time, ...) -> (batch, time,
    ...).

    The wrapped layer sees the batch and time axes folded into one, `(batch * time, ...)`, in
    ONE call (Keras 3 calls it once per time step; the results agree for every layer that
    treats samples independently, such as Dense, Conv2D, Flatten or Dropout. A layer that mixes
    samples, such as BatchNormalization in training mode, computes its statistics over all
    batch * time slices at once instead of per step).

    Args:
        layer: The layer to apply at every time step (it builds for one step's shape).
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: (batch, time, ...) with at least 3 axes.
        training: Passed to the wrapped layer.
        mask: Optional boolean (batch, time); passed (folded) to a layer that takes a mask.

    Example:
        >>> from deltaw.keras.layers import Dense, TimeDistributed
        >>> TimeDistributed(Dense(4))(np.ones((2, 3, 5))).shape
        (2, 3, 4)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_shape(self, input_shape):
        shape = tuple(input_shape) if isinstance(input_shape, list | tuple) else ()
        if len(shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}': expected an input of rank >= 3 "
                             f"(batch, time, ...); got input shape {input_shape}.")
        return (None if shape[0] is None or shape[1] is None else shape[0] * shape[1],
                *shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._maybe_build(self._child_shape(input_shape))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._child_shape(shape)
        kwargs = {} if training is None else {"training": training}
        if mask is not None:
            mask = getattr(mask, "data", mask)
            if tuple(mask.shape[:2]) != shape[:2]:
                raise ValueError(f"TimeDistributed '{self.name}': the mask must start with the "
                                 f"input's (batch, time) = {shape[:2]}; got mask shape "
                                 f"{tuple(mask.shape)} for input shape {shape}.")
            kwargs["mask"] = mask.reshape((shape[0] * shape[1], *mask.shape[2:]))
        out = self.layer(reshape(inputs, (shape[0] * shape[1], *shape[2:])), **kwargs)
        return reshape(out, (shape[0], shape[1], *out.shape[1:]))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (input_shape[0], input_shape[1], *child[1:])
