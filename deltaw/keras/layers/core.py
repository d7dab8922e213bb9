"""Core layers: Dense, Activation, and InputLayer / Input (the start of a functional model)."""

from __future__ import annotations

from deltaw.keras import activations, initializers, regularizers
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.keras_tensor import KerasTensor, Node
from deltaw.keras.layers.layer import Layer
from deltaw.nn.dense import FUSED_ACTIVATIONS, dense
from deltaw.ops import add, astype, matmul

__all__ = ["Activation", "Dense", "Input", "InputLayer"]

_UNFUSED = object()  # FUSED_ACTIVATIONS' answer for an activation dense() cannot fuse


def serialize_constraint(constraint):
    """A JSON-safe form of a constraint: None, its name, or {'class_name', 'config'}."""
    if constraint is None or isinstance(constraint, str):
        return constraint
    if hasattr(constraint, "get_config"):
        return {"class_name": type(constraint).__name__, "config": constraint.get_config()}
    return None


def _is_linear(fn) -> bool:
    try:
        return activations.serialize(fn) == "linear"
    except (TypeError, ValueError):
        return False


class Dense(Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`.

    Applies to the last axis of an N-D input: `(batch, ..., input_dim)` -> `(batch, ..., units)`.
    With a linear, relu, sigmoid or tanh activation this is one fused op (`dw.nn.dense`, one
    recorded op instead of three); any other activation is applied after matmul and add.

    Args:
        units: Positive int, the size of the output's last axis.
        activation: Activation name or callable; None means linear (no op is recorded).
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the `(input_dim, units)` kernel ('glorot_uniform').
        bias_initializer: Initializer of the `(units,)` bias ('zeros').
        kernel_regularizer, bias_regularizer: Optional regularizers; their penalties join
            `losses`.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint, bias_constraint: Optional constraints (keras.constraints); the
            optimizer projects the weight with them after each update.
        **kwargs: Base Layer arguments (name, dtype, trainable, input_shape, input_dim).

    Call arguments:
        inputs: Tensor of shape `(batch, ..., input_dim)`; non-float inputs are cast to the
            layer dtype.

    Input shape:
        N-D tensor `(batch_size, ..., input_dim)`, N >= 2.

    Output shape:
        N-D tensor `(batch_size, ..., units)`.

    Example:
        >>> layer = Dense(3, activation="relu")
        >>> layer(np.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not hasattr(units, "__index__") or int(units) <= 0:
            raise ValueError(f"Dense '{self.name}': units must be a positive integer; "
                             f"got units={units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self._linear = _is_linear(self.activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        self.kernel = self.bias = None

    def build(self, input_shape):
        in_dim = input_shape[-1] if input_shape else None
        if in_dim is None:
            raise ValueError(f"Dense '{self.name}': the input's last axis must be known; "
                             f"got input shape {tuple(input_shape or ())}.")
        self.kernel = self.add_weight("kernel", (in_dim, self.units), self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        self.built = True

    def call(self, inputs):
        if inputs.data.dtype.kind != "f":
            inputs = astype(inputs, self._np_dtype)
        fused = FUSED_ACTIVATIONS.get(id(self.activation), _UNFUSED)
        if fused is not _UNFUSED:
            return dense(inputs, self.kernel, self.bias, fused)
        out = matmul(inputs, self.kernel)
        if self.bias is not None:
            out = add(out, self.bias)
        return out if self._linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "kernel_constraint": serialize_constraint(self.kernel_constraint),
            "bias_constraint": serialize_constraint(self.bias_constraint),
        }


def _serialize_regularizer(regularizer):
    return None if regularizer is None else regularizers.serialize(regularizer)


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: Activation name ('relu', 'softmax', ...) or callable.
        **kwargs: Base Layer arguments.

    Example:
        >>> Activation("relu")(np.array([[-1.0, 2.0]])).numpy()
        array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


def _standardize_shape(where: str, shape) -> tuple:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        out = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: shape must be a tuple of ints or None; "
                         f"got {shape!r}.") from None
    if any(d is not None and d < 0 for d in out):
        raise ValueError(f"{where}: shape must not have negative sizes; got {shape!r}.")
    return out


class InputLayer(Layer):
    """The entry point of a model: holds the symbolic input tensor `Input(...)` returns.

    Args:
        shape: Shape of one sample, without the batch axis (e.g. `(30,)`).
        batch_size: Optional fixed batch size.
        dtype: Input dtype; defaults to floatx(). Use an integer dtype for Embedding inputs.
        batch_shape: Full shape including the batch axis (instead of shape and batch_size).
        name: Optional name ('input_layer', 'input_layer_1', ...).
        sparse, ragged: Only False/None (deltaw has no sparse or ragged tensors).
        input_tensor: Not supported; must be None.
        optional: Whether the input may be None.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, ragged=None, **kwargs):
        shape = kwargs.pop("input_shape", shape)
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        super().__init__(name=name, dtype=dtype, **kwargs)
        where = f"InputLayer '{self.name}'"
        if sparse or ragged or input_tensor is not None:
            raise ValueError(f"{where}: sparse, ragged and input_tensor inputs are not supported "
                             "by deltaw; expected sparse=None, ragged=None, input_tensor=None.")
        if shape is not None and batch_shape is not None:
            raise ValueError(f"{where}: pass shape or batch_shape, not both; got shape={shape}, "
                             f"batch_shape={batch_shape}.")
        if shape is None and batch_shape is None:
            raise ValueError(f"{where}: an input needs a shape; expected shape=(...) or "
                             "batch_shape=(...), got neither.")
        if batch_shape is None:
            batch_shape = (batch_size, *_standardize_shape(where, shape))
        self.batch_shape = _standardize_shape(where, batch_shape)
        self.optional = bool(optional)
        self.sparse = False
        self._input_tensor = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        Node(self, (), {}, self._input_tensor)
        self.built = True

    @property
    def output(self):
        return self._input_tensor

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,  # noqa: N802
          tensor=None, optional=False):
    """A symbolic input tensor: the start of a functional model.

    Args:
        shape: Shape of one sample without the batch axis, e.g. `(30,)`; None entries are
            unknown sizes.
        batch_size: Optional fixed batch size.
        dtype: Dtype name; defaults to floatx() ('float32').
        sparse: Not supported (None or False).
        batch_shape: Full shape with the batch axis, instead of shape and batch_size.
        name: Optional name (unique within a model).
        tensor: Not supported (None).
        optional: Whether the input may be None.

    Returns:
        A KerasTensor with `.shape` `(batch_size, *shape)` and `.dtype`.

    Example:
        >>> x = Input(shape=(30,))
        >>> x.shape, x.dtype
        ((None, 30), 'float32')
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor, optional=optional)
    return layer.output
