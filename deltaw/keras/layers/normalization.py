"""Normalization layers: BatchNormalization.

The math is the fused primitives of `deltaw.nn.normalization` (batch statistics with an exact
training-mode backward, and the inference form with given statistics); the layer holds the
weights, and the training op updates its moving statistics in place (inside the op, so that
fit's compiled step replays the update).
"""

from __future__ import annotations

from deltaw.keras import initializers, regularizers
from deltaw.keras.distribution.distribution_lib import data_parallel
from deltaw.keras.layers.core import serialize_constraint
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.nn.normalization import batch_norm, batch_norm_train_update
from deltaw.nn.sync_batch_norm import sync_batch_norm_train_update

__all__ = ["BatchNormalization"]


def _serialize_regularizer(regularizer):
    return None if regularizer is None else regularizers.serialize(regularizer)


class BatchNormalization(Layer):
    """Normalizes each feature with batch statistics in training and moving averages otherwise.

    Training (`training=True` and the layer trainable): with the batch mean and biased variance
    over every axis except `axis`,

        out = gamma * (x - mean) / sqrt(var + epsilon) + beta
        moving_mean     <- moving_mean * momentum + mean * (1 - momentum)
        moving_variance <- moving_variance * momentum + var * (1 - momentum)

    (the moving variance takes the biased batch variance, as Keras 3; PyTorch uses the unbiased
    one). Inference (the default, or a frozen layer, as Keras 3): the moving statistics replace
    the batch's. The moving statistics are updated outside the graph and get no gradient.

    Args:
        axis: The feature axis (int), default -1 (channels last).
        momentum: Momentum of the moving averages, default 0.99.
        epsilon: Added to the variance, default 1e-3.
        center: Whether to learn the offset `beta`.
        scale: Whether to learn the scale `gamma`.
        beta_initializer, gamma_initializer: Default 'zeros' and 'ones'.
        moving_mean_initializer, moving_variance_initializer: Default 'zeros' and 'ones'.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Applied by the optimizer after each update.
        synchronized: Under a `keras.distribution.DataParallel` run over several ranks, True
            normalizes in training with the mean and variance of the global batch (summed over
            the ranks) and updates the moving statistics with them; False (Keras' default)
            uses each rank's own rows. No effect in one process.
        renorm: Batch renormalization is not supported (must be False).
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: Tensor of any rank; `inputs.shape[axis]` must be known at build time.
        training: Use batch statistics (and update the moving ones).
        mask: Accepted and passed through; it does not weight the statistics (Keras 3 does).

    Weights (Keras order): gamma, beta (trainable), moving_mean, moving_variance (not).

    Example:
        >>> bn = BatchNormalization()
        >>> bn(np.array([[1.0], [3.0]]), training=True).numpy().round(4).ravel()
        array([-0.9995,  0.9995], dtype=float32)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        where = f"BatchNormalization '{self.name}'"
        if isinstance(axis, bool) or not hasattr(axis, "__index__"):
            raise TypeError(f"{where}: axis must be an int; got axis={axis!r}.")
        if renorm:
            raise ValueError(f"{where}: batch renormalization is not supported by deltaw; "
                             "expected renorm=False, got renorm=True.")
        if not 0 <= momentum <= 1:
            raise ValueError(f"{where}: momentum must be in [0, 1]; got momentum={momentum!r}.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.synchronized = bool(synchronized)
        self.renorm_clipping, self.renorm_momentum = renorm_clipping, renorm_momentum
        self.supports_masking = True
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        rank = len(input_shape)
        where = f"BatchNormalization '{self.name}'"
        if not -rank <= self.axis < rank:
            raise ValueError(f"{where}: axis {self.axis} is out of range for an input of rank "
                             f"{rank}; got input shape {tuple(input_shape)}.")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"{where}: axis {self.axis} of the input must be known; got input "
                             f"shape {tuple(input_shape)}.")
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer, trainable=False)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable:
            if self.synchronized and data_parallel() is not None:
                return sync_batch_norm_train_update(
                    inputs, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                    momentum=self.momentum, axis=self.axis, epsilon=self.epsilon)
            return batch_norm_train_update(inputs, self.gamma, self.beta, self.moving_mean,
                                           self.moving_variance, momentum=self.momentum,
                                           axis=self.axis, epsilon=self.epsilon)
        return batch_norm(inputs, self.moving_mean, self.moving_variance, self.beta, self.gamma,
                          epsilon=self.epsilon, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": serialize_constraint(self.beta_constraint),
            "gamma_constraint": serialize_constraint(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": False,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
