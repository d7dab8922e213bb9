"""Per-sample normalization layers: LayerNormalization, GroupNormalization, UnitNormalization
and RMSNormalization.

The math is the fused primitives `dw.nn.layer_norm` and `dw.nn.group_norm` (exact backward
passes); the layers hold gamma and beta. Unlike BatchNormalization they keep no moving
statistics and behave the same in training and inference. UnitNormalization and
RMSNormalization compose dw ops (a sum or mean of squares, a square root, a division).
"""

from __future__ import annotations

import numbers

from deltaw._checks import normalize_axes
from deltaw.keras import initializers, regularizers
from deltaw.keras.layers.conv_arguments import where_of
from deltaw.keras.layers.core import _serialize_regularizer, serialize_constraint
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.nn.normalization import group_norm, layer_norm
from deltaw.ops import divide, maximum, mean, multiply, reshape, sqrt, square
from deltaw.ops import sum as reduce_sum

__all__ = ["GroupNormalization", "LayerNormalization", "RMSNormalization", "UnitNormalization"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class _AffineNorm(Layer):
    """gamma/beta bookkeeping shared by LayerNormalization and GroupNormalization."""

    def _setup_affine(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                      beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint):
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.supports_masking = True
        self.gamma = self.beta = None

    def _build_affine(self, shape):
        """gamma then beta (Keras' order), each of `shape`."""
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        self.beta_regularizer, constraint=self.beta_constraint)

    def compute_output_shape(self, input_shape):
        return input_shape

    def _affine_config(self) -> dict:
        return {
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": serialize_constraint(self.beta_constraint),
            "gamma_constraint": serialize_constraint(self.gamma_constraint),
        }


class LayerNormalization(_AffineNorm):
    """Normalizes each sample over `axis`: (x - mean) / sqrt(var + epsilon) * gamma + beta.

    The mean and (biased) variance are taken over the axes in `axis`, separately for every
    index of the other axes (each sample, each timestep, ...), as Keras 3.

    Args:
        axis: Int or list of ints, the axes to normalize over. Default -1 (the features).
        epsilon: Added to the variance. Default 1e-3.
        center: Whether to learn the offset `beta`. Default True.
        scale: Whether to learn the scale `gamma`. Default True.
        beta_initializer, gamma_initializer: Default 'zeros' and 'ones'.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Applied by the optimizer after each update.
        **kwargs: Base Layer arguments. Keras' deprecated `rms_scaling` is accepted when False
            (as in saved configs); True raises.

    Weights (Keras order): gamma, beta, each shaped like the input along `axis` (e.g.
    (features,) for axis=-1; for several axes, in increasing axis order).

    Example:
        >>> LayerNormalization(epsilon=0.0)(np.array([[1.0, 3.0]])).numpy()
        array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        where = where_of(self)
        if rms_scaling:
            raise ValueError(f"{where}: rms_scaling=True is not supported by deltaw (Keras "
                             "deprecated it); expected rms_scaling=False, got True.")
        if _is_int(axis):
            self.axis = int(axis)
        elif isinstance(axis, list | tuple) and axis and all(_is_int(a) for a in axis):
            self.axis = [int(a) for a in axis]
        else:
            raise TypeError(f"{where}: axis must be an int or a list of ints; got axis={axis!r}.")
        self._setup_affine(epsilon, center, scale, beta_initializer, gamma_initializer,
                           beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)

    def _axes(self, rank) -> tuple:
        try:
            return normalize_axes(where_of(self), self.axis, rank)
        except ValueError:
            raise ValueError(f"{where_of(self)}: axis {self.axis} is out of range for an input "
                             f"of rank {rank}; expected axes in [{-rank}, {rank - 1}].") from None

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(f"{where_of(self)}: the normalized axes {self.axis} of the input "
                             f"must be known; got input shape {tuple(input_shape)}.")
        self._build_affine(shape)
        signed = [self.axis] if _is_int(self.axis) else self.axis
        sizes = {a: input_shape[a] for a in signed}
        self.input_spec = InputSpec(min_ndim=max(a + 1 if a >= 0 else -a for a in signed),
                                    axes=sizes)
        self.built = True

    def call(self, inputs):
        return layer_norm(inputs, self.gamma, self.beta, axis=self._axes(inputs.ndim),
                          epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "rms_scaling": False,
                **self._affine_config()}


class GroupNormalization(_AffineNorm):
    """Group normalization: per sample, normalize groups of channels over the spatial axes.

    The channels (along `axis`) are split into `groups` equal groups; each is normalized with
    its own mean and (biased) variance over its channels and every spatial position, then
    scaled and shifted per channel. groups=1 normalizes over all features (like
    LayerNormalization over every non-batch axis); groups=-1 (or the channel count) is instance
    normalization.

    Args:
        groups: Positive int dividing the channels, or -1 for one group per channel.
            Default 32.
        axis: The channel axis. Default -1.
        epsilon: Added to the variance. Default 1e-3.
        center, scale: Whether to learn beta and gamma. Default True.
        beta_initializer, gamma_initializer: Default 'zeros' and 'ones'.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Applied by the optimizer after each update.
        **kwargs: Base Layer arguments.

    Raises:
        ValueError: at build, when the channels are unknown, fewer than `groups` or not a
            multiple of it (naming the layer and the input shape).

    Weights (Keras order): gamma (channels,), beta (channels,).

    Example:
        >>> GroupNormalization(groups=2, epsilon=0.0)(np.array([[1.0, 3.0, 10.0, 30.0]])).numpy()
        array([[-1.,  1., -1.,  1.]], dtype=float32)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        where = where_of(self)
        if not _is_int(groups) or (groups <= 0 and groups != -1):
            raise ValueError(f"{where}: groups must be a positive int (or -1 for instance "
                             f"normalization); got groups={groups!r}.")
        if not _is_int(axis):
            raise TypeError(f"{where}: axis must be an int; got axis={axis!r}.")
        self.groups, self.axis = int(groups), int(axis)
        self._groups = None
        self._setup_affine(epsilon, center, scale, beta_initializer, gamma_initializer,
                           beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        where, rank = where_of(self), len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"{where}: axis {self.axis} is not a feature axis of the input; "
                             f"expected an axis in 1..{rank - 1} (or -1..{1 - rank}), got input "
                             f"shape {tuple(input_shape)}.")
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"{where}: axis {self.axis} of the input must be known; got input "
                             f"shape {tuple(input_shape)}.")
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(f"{where}: the channels must split into equal groups; expected "
                             f"a multiple of groups={groups} channels along axis {self.axis}, "
                             f"got input shape {tuple(input_shape)}.")
        self._groups = groups
        self._build_affine((channels,))
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: channels})
        self.built = True

    def call(self, inputs):
        return group_norm(inputs, groups=self._groups, gamma=self.gamma, beta=self.beta,
                          epsilon=self.epsilon, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                **self._affine_config()}


def _axis_arg(where, axis):
    """Keras' axis argument: an int, or a list of ints (a tuple becomes a list)."""
    if isinstance(axis, list | tuple) and all(_is_int(a) for a in axis):
        return [int(a) for a in axis]
    if _is_int(axis):
        return int(axis)
    raise TypeError(f"{where}: axis must be an int or a list of ints; got axis={axis!r}.")


_UNIT_NORM_FLOOR = 1e-24
"""Floor of the sum of squares: Keras divides by max(norm, 1e-12); 1e-24 = (1e-12) ** 2."""


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along `axis`: `x / max(||x||, 1e-12)`.

    Args:
        axis: Int or list of ints, the axes the norm is taken over. Default -1.
        **kwargs: Base Layer arguments.

    Example:
        >>> UnitNormalization()(np.array([[3.0, 4.0]])).numpy()
        array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg(where_of(self), axis)
        self.supports_masking = True

    def call(self, inputs):
        axes = normalize_axes(where_of(self), self.axis, inputs.ndim)
        squares = reduce_sum(square(inputs), axis=axes, keepdims=True)
        return divide(inputs, sqrt(maximum(squares, _UNIT_NORM_FLOOR)))

    def compute_output_shape(self, input_shape):
        normalize_axes(where_of(self), self.axis, len(input_shape))
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Root-mean-square normalization: `x / sqrt(mean(x**2, axis) + epsilon) * scale`.

    Args:
        axis: Int or list of ints, the axes normalised over (and that `scale` spans).
            Default -1.
        epsilon: Small float added to the mean square. Default 1e-6.
        **kwargs: Base Layer arguments.

    Weights: scale, of the input's sizes along `axis`, initialised to ones.

    Example:
        >>> RMSNormalization()(np.array([[3.0, 3.0]])).numpy().round(4)
        array([[1., 1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg(where_of(self), axis)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or epsilon < 0:
            raise ValueError(f"{where_of(self)}: epsilon must be a non-negative number; got "
                             f"epsilon={epsilon!r}.")
        self.epsilon = float(epsilon)
        self.scale = None

    def build(self, input_shape):
        axes = normalize_axes(where_of(self), self.axis, len(input_shape))
        if any(input_shape[a] is None for a in axes):
            raise ValueError(f"{where_of(self)}: the normalised axes must have known sizes; got "
                             f"input shape {tuple(input_shape)} and axis={self.axis}.")
        self.scale = self.add_weight("scale", tuple(input_shape[a] for a in axes), "ones")
        self.built = True

    def call(self, inputs):
        axes = normalize_axes(where_of(self), self.axis, inputs.ndim)
        mean_square = mean(square(inputs), axis=axes, keepdims=True)
        shape = [inputs.shape[a] if a in axes else 1 for a in range(inputs.ndim)]
        return multiply(divide(inputs, sqrt(mean_square + self.epsilon)),
                        reshape(self.scale, tuple(shape)))

    def compute_output_shape(self, input_shape):
        normalize_axes(where_of(self), self.axis, len(input_shape))
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
