"""MaxNumBoundingBoxes: pads or truncates the bounding boxes of a batch to a fixed number.

deltaw's image layers take images (and, for MixUp/CutMix, labels); this is the one layer that
handles Keras' `{"images", "bounding_boxes": {"boxes", "labels"}}` dicts.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing import image_utils as iu
from deltaw.tensor import Tensor

__all__ = ["MaxNumBoundingBoxes"]


def _array(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class MaxNumBoundingBoxes(Layer):
    """Makes every image's box list `max_number` long: extra boxes are dropped, missing ones
    filled with `fill_value` (boxes and labels alike). Images and other keys pass unchanged.

    Args:
        max_number: Positive int.
        fill_value: The padding value (default -1).
        bounding_box_format: The boxes' format ('xyxy', ...), which Keras requires with
            boxes; padding does not depend on it.
        data_format: 'channels_last' (default) or 'channels_first' (kept in the config).
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: A dict with 'bounding_boxes': {'boxes': (batch, n, 4), 'labels': (batch, n)}
            (and e.g. 'images'), or images alone (returned unchanged).

    Example:
        >>> layer = MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
        >>> out = layer({"bounding_boxes": {"boxes": np.ones((1, 2, 4)),
        ...                                 "labels": np.ones((1, 2))}})
        >>> out["bounding_boxes"]["labels"].numpy()
        array([[ 1.,  1., -1.]], dtype=float32)
    """

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = iu.standardize_image_data_format(
            f"MaxNumBoundingBoxes '{self.name}'", data_format)
        if isinstance(max_number, bool) or not isinstance(max_number, numbers.Integral) or \
                max_number < 1:
            raise ValueError(f"MaxNumBoundingBoxes '{self.name}': max_number must be a "
                             f"positive int; got max_number={max_number!r}.")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def _fit(self, array, trailing):
        array = array[:, :self.max_number]
        missing = self.max_number - array.shape[1]
        pad = [(0, 0), (0, missing)] + [(0, 0)] * trailing
        return np.pad(array, pad, constant_values=self.fill_value) if missing else array

    def call(self, inputs):
        if not isinstance(inputs, dict) or "bounding_boxes" not in inputs:
            return inputs
        boxes = dict(inputs["bounding_boxes"])
        extra = set(boxes) - {"boxes", "labels"}
        if extra:
            raise KeyError(f"MaxNumBoundingBoxes '{self.name}': unsupported keys in "
                           f"bounding_boxes: {sorted(extra)}; expected 'boxes' and 'labels'.")
        boxes["boxes"] = Tensor(self._fit(_array(boxes["boxes"]), 1))
        boxes["labels"] = Tensor(self._fit(_array(boxes["labels"]), 0))
        return {**inputs, "bounding_boxes": boxes}

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shapes = dict(input_shape["bounding_boxes"])
            shapes["boxes"] = (shapes["boxes"][0], self.max_number, *shapes["boxes"][2:])
            shapes["labels"] = (shapes["labels"][0], self.max_number)
            return {**input_shape, "bounding_boxes": shapes}
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "bounding_box_format": self.bounding_box_format, "max_number": self.max_number}
