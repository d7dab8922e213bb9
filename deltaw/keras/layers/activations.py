"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax.

Each wraps one `dw.nn` activation (PReLU composes `relu` twice with its learned slope). They
keep the input's shape and pass its mask through.
"""

from __future__ import annotations

import numbers

from deltaw.keras.layers.conv_arguments import set_weight_args, weight_args_config, where_of
from deltaw.keras.layers.layer import Layer
from deltaw.nn.activations import elu, leaky_relu, relu, softmax
from deltaw.ops import add as add_op
from deltaw.ops import astype, exp, logsumexp, multiply, negative, subtract
from deltaw.tensor import Tensor

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


def _non_negative(where, name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative number; got {name}={value!r}.")
    return float(value)


class _Elementwise(Layer):
    """Shape-preserving activation layer that supports masking."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """Rectified linear unit with Keras' options.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold <= x < max_value`,
    `negative_slope * (x - threshold)` otherwise (the math is `dw.nn.relu`).

    Args:
        max_value: Upper bound of the output (None: no bound); must be >= 0.
        negative_slope: Slope below the threshold; >= 0. Default 0.
        threshold: Where the unit switches on; >= 0. Default 0.
        **kwargs: Base Layer arguments.

    Example:
        >>> ReLU(max_value=1.0)(np.array([-1.0, 0.5, 3.0])).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        self.max_value = None if max_value is None else _non_negative(where, "max_value",
                                                                       max_value)
        self.negative_slope = _non_negative(where, "negative_slope", negative_slope)
        self.threshold = _non_negative(where, "threshold", threshold)

    def call(self, inputs):
        return relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                    threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """Leaky ReLU: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Args:
        negative_slope: Slope for negative inputs; >= 0. Default 0.3 (Keras' default; the
            `dw.nn.leaky_relu` function's default is 0.2). `alpha=` (tf.keras 2's name) is
            accepted too.
        **kwargs: Base Layer arguments.

    Example:
        >>> LeakyReLU()(np.array([-1.0, 2.0])).numpy()
        array([-0.3,  2. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(where_of(self), "negative_slope", negative_slope)

    def call(self, inputs):
        return leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with `alpha` learned.

    Computed as `relu(x) - alpha * relu(-x)`, as Keras does.

    Args:
        alpha_initializer: Initializer of the slopes. Default 'zeros'.
        alpha_regularizer: Optional regularizer of the slopes.
        alpha_constraint: Accepted and kept in the config, not applied.
        shared_axes: Axes (1-based, the batch axis excluded) along which one slope is shared,
            e.g. `[1, 2]` for one slope per channel of an image.
        **kwargs: Base Layer arguments.

    Weights: alpha, of the input's shape without the batch axis (size 1 on the shared axes).

    Example:
        >>> PReLU(alpha_initializer="ones", shared_axes=[1])(np.ones((2, 3, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        set_weight_args(self, "alpha", alpha_initializer, alpha_regularizer, alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, numbers.Integral) else shared_axes
            try:
                self.shared_axes = [int(a) for a in axes]
            except (TypeError, ValueError):
                raise ValueError(f"{where_of(self)}: shared_axes must be None, an int or a list "
                                 f"of ints; got shared_axes={shared_axes!r}.") from None
        self.alpha = None

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis <= len(shape):
                raise ValueError(f"{where_of(self)}: shared_axes must name axes 1..{len(shape)} "
                                 f"of the input; got shared_axes={self.shared_axes} for input "
                                 f"shape {tuple(input_shape)}.")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"{where_of(self)}: every non-shared axis of the input must be "
                             f"known; got input shape {tuple(input_shape)} with shared_axes="
                             f"{self.shared_axes}.")
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer,
                                     self.alpha_regularizer, constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        return subtract(relu(inputs), multiply(self.alpha, relu(negative(inputs))))

    def get_config(self):
        config = weight_args_config(self, "alpha")
        return {**super().get_config(), **config, "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: Scale of the negative part. Default 1.0.
        **kwargs: Base Layer arguments.

    Example:
        >>> ELU()(np.array([0.0, 1.0])).numpy()
        array([0., 1.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise ValueError(f"{where_of(self)}: alpha must be a number; got alpha={alpha!r}.")
        self.alpha = float(alpha)

    def call(self, inputs):
        return elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


_MASKED_LOGIT = -1e9
"""Added to masked-out logits (Keras' large negative number for float32 and float64)."""


class Softmax(_Elementwise):
    """Softmax over `axis`; masked-out entries get probability 0.

    Args:
        axis: Int or list of ints, the axes normalised over. Default -1.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: Logits of any shape.
        mask: Optional booleans broadcastable to `inputs`; False entries get -1e9 added to their
            logits and a probability of exactly 0 (as Keras).

    Example:
        >>> Softmax()(np.array([[1.0, 1.0]])).numpy()
        array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, list | tuple):
            axis = [int(a) for a in axis]
        elif isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
            axis = int(axis)
        else:
            raise ValueError(f"{where_of(self)}: axis must be an int or a list of ints; got "
                             f"axis={axis!r}.")
        self.axis = axis

    def call(self, inputs, mask=None):
        weights = None
        if mask is not None:
            mask = mask if isinstance(mask, Tensor) else Tensor(mask)
            weights = astype(mask, inputs.dtype)
            inputs = add_op(inputs, multiply(subtract(1.0, weights), _MASKED_LOGIT))
        if isinstance(self.axis, list) and len(self.axis) > 1:
            axes = tuple(self.axis)
            out = exp(subtract(inputs, logsumexp(inputs, axis=axes, keepdims=True)))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            out = softmax(inputs, axis=axis)
        return out if weights is None else multiply(out, weights)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

