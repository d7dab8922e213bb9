"""Policy augmentation: RandAugment (Cubuk et al., 2020), `num_ops` augmentations drawn from a
fixed list, and AugMix (Hendrycks et al., 2020), a blend of random augmentation chains."""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.preprocessing.image_adjustment import (
    AutoContrast,
    Equalization,
    RandomColorDegeneration,
    RandomPosterization,
    Solarization,
    _unit_factor,
)
from deltaw.keras.layers.preprocessing.random_base import RandomImageLayer
from deltaw.keras.layers.preprocessing.random_color import (
    RandomBrightness,
    RandomContrast,
    RandomSharpness,
)
from deltaw.keras.layers.preprocessing.random_geometric import (
    RandomRotation,
    RandomShear,
    RandomTranslation,
)
from deltaw.tensor import Tensor

__all__ = ["AugMix", "RandAugment"]


def augmentation_ops(factor, value_range, interpolation, data_format, generator) -> dict:
    """Keras' augmentation operations of strength `factor`, by name, all drawing from
    `generator` (None: deltaw.random)."""
    colour = {"value_range": value_range, "data_format": data_format}
    geometric = {"interpolation": interpolation, "data_format": data_format}
    ops = {
        "random_shear": RandomShear(x_factor=factor, y_factor=factor, **geometric),
        "random_translation": RandomTranslation(height_factor=factor, width_factor=factor,
                                                **geometric),
        "random_rotation": RandomRotation(factor=factor, **geometric),
        "random_brightness": RandomBrightness(factor=factor, **colour),
        "random_color_degeneration": RandomColorDegeneration(factor=factor, **colour),
        "random_contrast": RandomContrast(factor=factor, **colour),
        "random_sharpness": RandomSharpness(factor=factor, **colour),
        "random_posterization": RandomPosterization(factor=max(1, int(8 * factor[1])),
                                                    **colour),
        "solarization": Solarization(addition_factor=factor, threshold_factor=factor,
                                     **colour),
        "auto_contrast": AutoContrast(**colour),
        "equalization": Equalization(**colour),
    }
    for op in ops.values():
        op._generator = generator
    return ops


class RandAugment(RandomImageLayer):
    """Applies `num_ops` augmentations in a row in training, each drawn (for the whole batch)
    from Keras' eleven: shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization, all of
    strength `factor`.

    Args:
        value_range: (low, high) of the pixel values (default (0, 255)).
        num_ops: How many augmentations to apply (default 2).
        factor: A number in [0, 1] (default 0.5; f gives (0, f)) or a pair: each
            augmentation's factor (posterization keeps max(1, int(8 upper)) bits at most).
        interpolation: 'bilinear' (default) or 'nearest', for the geometric ones.
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        where = self._where()
        if isinstance(num_ops, bool) or not isinstance(num_ops, numbers.Integral) or \
                num_ops < 0:
            raise ValueError(f"{where}: num_ops must be an int >= 0; got num_ops={num_ops!r}.")
        self.value_range = value_range
        self.num_ops = int(num_ops)
        self.factor = _unit_factor(where, "factor", factor, lambda f: (0, f))
        self.interpolation = interpolation
        ops = augmentation_ops(self.factor, value_range, interpolation, self.data_format,
                               self._generator)
        self._ops = list(ops.values())

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training:
            return x
        for index in self._rng().integers(0, len(self._ops), self.num_ops):
            x = self._ops[int(index)](x, training=True)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation}


# AugMix's operations (Keras' order); without all_ops, the first seven
_AUGMIX_OPS = ["random_shear", "random_translation", "random_rotation", "random_posterization",
               "solarization", "auto_contrast", "equalization", "random_brightness",
               "random_color_degeneration", "random_contrast", "random_sharpness"]


class AugMix(RandomImageLayer):
    """AugMix in training: `num_chains` chains of up to `chain_depth` random augmentations,
    blended with Dirichlet(alpha) weights, then mixed with the input by a Beta(alpha, alpha)
    weight w: `clip(w x + (1 - w) sum_c m_c chain_c(x), *value_range)`.

    Each step of a chain is one of the operations (all eleven of RandAugment's with all_ops,
    else the seven that change no colour balance: shear, translation, rotation,
    posterization, solarization, auto-contrast, equalization) or nothing, uniformly.

    Args:
        value_range: (low, high) of the pixel values (default (0, 255)).
        num_chains: Chains to blend (default 3).
        chain_depth: Steps per chain (default 3).
        factor: A number in [0, 1] (default 0.3; f gives (0, f)) or a pair: the strength.
        alpha: The Dirichlet and Beta parameter (default 1.0).
        all_ops: Use all eleven operations (default True).
        interpolation: 'bilinear' (default) or 'nearest'.
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        where = self._where()
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{where}: {name} must be a positive int; got "
                                 f"{name}={value!r}.")
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha <= 0:
            raise ValueError(f"{where}: alpha must be a positive number; got alpha={alpha!r}.")
        self.value_range = value_range
        self.num_chains = int(num_chains)
        self.chain_depth = int(chain_depth)
        self.factor = _unit_factor(where, "factor", factor, lambda f: (0, f))
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        self.interpolation = interpolation
        ops = augmentation_ops(self.factor, value_range, interpolation, self.data_format,
                               self._generator)
        self._ops = [ops[name] for name in _AUGMIX_OPS[:None if self.all_ops else 7]]

    def call(self, inputs, training=True):
        x = self._float(inputs)
        if not training:
            return x
        rng = self._rng()
        gamma = rng.gamma(self.alpha, size=self.num_chains)
        chain_weights = gamma / gamma.sum()
        weight = rng.beta(self.alpha, self.alpha)
        blend = np.zeros(x.shape)
        for chain_weight in chain_weights:
            y = x
            for choice in rng.integers(0, len(self._ops) + 1, self.chain_depth):
                if choice < len(self._ops):           # the last choice: skip this step
                    y = self._ops[int(choice)](y, training=True)
            blend = blend + chain_weight * y.data
        low, high = sorted(self.value_range)
        out = np.clip(weight * x.data + (1 - weight) * blend, low, high)
        return Tensor(out.astype(self._np_dtype))

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}
