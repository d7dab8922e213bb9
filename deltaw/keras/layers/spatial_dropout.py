"""Spatial dropout: SpatialDropout1D, SpatialDropout2D and SpatialDropout3D drop whole feature
maps.

Each is `Dropout` with a mask broadcast over the steps (1-D), over height and width (2-D) or
over the three axes of a volume (3-D): one draw per sample and channel, so neighbouring,
strongly correlated positions are dropped together (Tompson et al., 2014).
"""

from __future__ import annotations

from deltaw.keras.layers.conv_arguments import standardize_data_format, where_of
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.regularization import Dropout

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]


class SpatialDropout1D(Dropout):
    """Drops entire channels of a sequence: the mask has shape (batch, 1, channels).

    Active only with `training=True`; each kept channel is scaled by 1 / (1 - rate).

    Args:
        rate: Fraction of the channels to drop, in [0, 1).
        seed: Optional int, for reproducible masks (as Dropout).
        **kwargs: Base Layer arguments (name, dtype, ...).

    Call arguments:
        inputs: (batch, steps, channels).
        training: Whether to drop (True) or pass the input through.

    Example:
        >>> y = SpatialDropout1D(0.5, seed=0)(np.ones((2, 4, 3)), training=True).numpy()
        >>> bool((y == y[:, :1, :]).all())           # the same mask at every step
        True
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, noise_shape=(None, 1, None), seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        return {**Layer.get_config(self), "rate": self.rate, "seed": self.seed}


class SpatialDropout2D(Dropout):
    """Drops entire channels of an image: the mask has shape (batch, 1, 1, channels).

    Active only with `training=True`; each kept channel is scaled by 1 / (1 - rate).

    Args:
        rate: Fraction of the channels to drop, in [0, 1).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        seed: Optional int, for reproducible masks (as Dropout).
        **kwargs: Base Layer arguments (name, dtype, ...).

    Call arguments:
        inputs: (batch, height, width, channels).
        training: Whether to drop (True) or pass the input through.

    Example:
        >>> y = SpatialDropout2D(0.5, seed=0)(np.ones((2, 3, 3, 4)), training=True).numpy()
        >>> bool((y == y[:, :1, :1, :]).all())       # the same mask at every pixel
        True
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, noise_shape=(None, 1, 1, None), seed=seed, **kwargs)
        self.data_format = standardize_data_format(where_of(self), data_format)
        self.input_spec = InputSpec(ndim=4)

    def get_config(self):
        return {**Layer.get_config(self), "rate": self.rate, "seed": self.seed,
                "data_format": self.data_format}


class SpatialDropout3D(Dropout):
    """Drops entire channels of a volume: the mask has shape (batch, 1, 1, 1, channels).

    Active only with `training=True`; each kept channel is scaled by 1 / (1 - rate).

    Args:
        rate: Fraction of the channels to drop, in [0, 1).
        data_format: 'channels_last' or None only; 'channels_first' raises ChannelsFirstError
            (a NotImplementedError and ValueError).
        seed: Optional int, for reproducible masks (as Dropout).
        **kwargs: Base Layer arguments (name, dtype, ...).

    Example:
        >>> y = SpatialDropout3D(0.5, seed=0)(np.ones((2, 2, 2, 2, 4)), training=True).numpy()
        >>> bool((y == y[:, :1, :1, :1, :]).all())     # the same mask at every voxel
        True
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, noise_shape=(None, 1, 1, 1, None), seed=seed, **kwargs)
        self.data_format = standardize_data_format(where_of(self), data_format)
        self.input_spec = InputSpec(ndim=5)

    def get_config(self):
        return {**Layer.get_config(self), "rate": self.rate, "seed": self.seed,
                "data_format": self.data_format}
