"""Sample-mixing augmentation: MixUp and CutMix.

Both mix each image of a batch with another image of the same batch (a random permutation)
and, given a dict `{"images": ..., "labels": ...}`, mix the labels with the same weights (the
other keys pass through). Computed on arrays: the outputs are constants.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.preprocessing.image_adjustment import _unit_factor
from deltaw.keras.layers.preprocessing.random_base import RandomImageLayer
from deltaw.tensor import Tensor

__all__ = ["CutMix", "MixUp"]


class _MixingLayer(RandomImageLayer):
    """The dict/array plumbing; subclasses give `_mix(images) -> (images, label weights,
    permutation)` on a channels-last batch."""

    def call(self, inputs, training=True):
        data = inputs if isinstance(inputs, dict) else {"images": inputs}
        images = self._float(data["images"])
        if not training or images.ndim != 4:
            return inputs if isinstance(inputs, dict) else images
        x = images.data
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, 3)
        mixed, weight, order = self._mix(x.astype(np.float64))
        if self.data_format == "channels_first":
            mixed = np.moveaxis(mixed, 3, 1)
        out = dict(data)
        out["images"] = Tensor(np.ascontiguousarray(mixed).astype(self._np_dtype))
        if "labels" in data and data["labels"] is not None:
            labels = data["labels"]
            labels = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
            w = weight.reshape((-1,) + (1,) * (labels.ndim - 1))
            out["labels"] = Tensor((w * labels + (1 - w) * labels[order]).astype(self._np_dtype))
        return out if isinstance(inputs, dict) else out["images"]


class MixUp(_MixingLayer):
    """MixUp (Zhang et al., 2018) in training: `w x_i + (1 - w) x_p(i)`, w ~ Beta(alpha,
    alpha) per image, p a random permutation of the batch; labels likewise.

    Args:
        alpha: The Beta distribution's parameter (default 0.2).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: Optional int for reproducible draws.
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: A batch of images, or a dict with 'images' and 'labels'.
        training: Mix (default True, as Keras) or pass through.
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha <= 0:
            raise ValueError(f"{self._where()}: alpha must be a positive number; got "
                             f"alpha={alpha!r}.")
        self.alpha = alpha

    def _mix(self, x):
        rng, n = self._rng(), x.shape[0]
        order = rng.permutation(n)
        weight = rng.beta(self.alpha, self.alpha, n)
        w = weight[:, None, None, None]
        return w * x + (1 - w) * x[order], weight, order

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_MixingLayer):
    """CutMix (Yun et al., 2019) in training: each image gets a rectangle pasted from another
    image of the batch; labels are mixed by the area kept.

    With lambda ~ Beta(a, a) per image (a drawn once per batch from `factor`'s range, a number
    f giving (0, f)), the rectangle's sides are sqrt(1 - lambda) of the image's, at a uniform
    position; the label weight is 1 - the rectangle's area fraction.

    Args:
        factor: A number in [0, 1] (default 1.0) or a pair.
        seed: Optional int for reproducible draws.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _unit_factor(self._where(), "factor", factor, lambda f: (0, f))

    def _mix(self, x):
        rng = self._rng()
        n, height, width, _ = x.shape
        alpha = rng.uniform(self.factor[0], self.factor[1]) + 1e-6
        ratio = np.sqrt(1.0 - rng.beta(alpha, alpha, n))
        corners = []
        for size in (width, height):
            length = ratio * size
            start = rng.uniform(size=n) * (size - length)
            corners.append((start, start + length))
        (x0, x1), (y0, y1) = corners
        cols = np.arange(width)[None, None, :, None]
        rows = np.arange(height)[None, :, None, None]
        inside = ((cols >= x0[:, None, None, None]) & (cols < x1[:, None, None, None]) &
                  (rows >= y0[:, None, None, None]) & (rows < y1[:, None, None, None]))
        order = rng.permutation(n)
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        return np.where(inside, x[order], x), weight, order

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
