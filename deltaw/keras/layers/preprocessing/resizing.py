"""Image resizing layers: Resizing and CenterCrop.

Both are compositions of dw ops (slicing, `getitem` gathers and arithmetic), so gradients flow
through them to their inputs, as through Keras'.
"""

from __future__ import annotations

import numbers

from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.preprocessing import image_utils as iu
from deltaw.ops import astype, pad

__all__ = ["CenterCrop", "Resizing"]


def _where(layer) -> str:
    return f"{type(layer).__name__} '{layer.name}'"


def _as_float(layer, inputs):
    return inputs if inputs.data.dtype.kind == "f" else astype(inputs, layer._np_dtype)


def _resized_shape(input_shape, data_format, height, width) -> tuple:
    shape = list(input_shape)
    h_axis, w_axis = iu.spatial_axes(shape, data_format)
    shape[h_axis], shape[w_axis] = height, width
    return tuple(shape)


class Resizing(Layer):
    """Resizes images to `(height, width)`.

    Args:
        height, width: Positive ints, the output size.
        interpolation: 'bilinear' (default) or 'nearest'. Keras' 'bicubic', 'area',
            'lanczos3' and 'lanczos5' are not available in deltaw.
        crop_to_aspect_ratio: Crop the largest centred window with the target aspect ratio
            before resizing, so the image is not distorted.
        pad_to_aspect_ratio: Pad the image (equally on both sides, with `fill_value`) to the
            target aspect ratio before resizing.
        fill_mode: Only 'constant' (as Keras).
        fill_value: The value of the padding.
        antialias: Only False: deltaw resizes without an antialiasing filter (Keras' default).
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.

    Input shape:
        `(batch, height, width, channels)` or one image `(height, width, channels)`
        (channels first with `data_format='channels_first'`). Integer images are cast to the
        layer dtype.

    Output shape:
        The same with `height` and `width` replaced.

    Example:
        >>> Resizing(2, 2)(np.ones((1, 4, 4, 3))).shape
        (1, 2, 2, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = _where(self)
        self.height = iu.check_positive_int(where, "height", height)
        self.width = iu.check_positive_int(where, "width", width)
        if interpolation not in iu.INTERPOLATIONS:
            raise ValueError(f"{where}: interpolation must be one of {iu.INTERPOLATIONS} in "
                             f"deltaw; got interpolation={interpolation!r}.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"{where}: only one of crop_to_aspect_ratio and "
                             "pad_to_aspect_ratio can be True; got both True.")
        if fill_mode != "constant":
            raise ValueError(f"{where}: fill_mode must be 'constant'; got "
                             f"fill_mode={fill_mode!r}.")
        if antialias:
            raise ValueError(f"{where}: antialias=True is not supported by deltaw; expected "
                             "antialias=False.")
        if not isinstance(fill_value, numbers.Real):
            raise ValueError(f"{where}: fill_value must be a number; got {fill_value!r}.")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = False
        self.data_format = iu.standardize_image_data_format(where, data_format)

    def call(self, inputs):
        iu.check_image_rank(_where(self), inputs.shape)
        x, unbatched = iu.to_batched_nhwc(_as_float(self, inputs), self.data_format)
        height, width = x.shape[1:3]
        if self.crop_to_aspect_ratio:
            top, left, crop_h, crop_w = iu.crop_box(height, width, self.height, self.width)
            x = x[:, top:top + crop_h, left:left + crop_w, :]
        elif self.pad_to_aspect_ratio:
            rows, cols = iu.pad_box(height, width, self.height, self.width)
            x = pad(x, ((0, 0), (rows, rows), (cols, cols), (0, 0)),
                    constant_values=self.fill_value)
        x = iu.resize_images(x, self.height, self.width, self.interpolation)
        return iu.from_batched_nhwc(x, self.data_format, unbatched)

    def compute_output_shape(self, input_shape):
        iu.check_image_rank(_where(self), input_shape)
        return _resized_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height,
                "width": self.width, "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(Layer):
    """Crops the central `(height, width)` window of images.

    An image smaller than the target along either side is instead resized to it (bilinear,
    after cropping to the target aspect ratio), as Keras' `smart_resize`.

    Args:
        height, width: Positive ints, the output size.
        data_format: 'channels_last' (default) or 'channels_first'.
        **kwargs: Base Layer arguments.

    Input shape:
        `(batch, height, width, channels)` or one image `(height, width, channels)`.

    Output shape:
        The same with `height` and `width` replaced.

    Example:
        >>> CenterCrop(2, 2)(np.arange(16.0).reshape(1, 4, 4, 1)).numpy().ravel()
        array([ 5.,  6.,  9., 10.], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = _where(self)
        self.height = iu.check_positive_int(where, "height", height)
        self.width = iu.check_positive_int(where, "width", width)
        self.data_format = iu.standardize_image_data_format(where, data_format)

    def call(self, inputs):
        iu.check_image_rank(_where(self), inputs.shape)
        x, unbatched = iu.to_batched_nhwc(_as_float(self, inputs), self.data_format)
        height, width = x.shape[1:3]
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            x = x[:, top:top + self.height, left:left + self.width, :]
        else:
            top, left, crop_h, crop_w = iu.crop_box(height, width, self.height, self.width)
            x = iu.resize_images(x[:, top:top + crop_h, left:left + crop_w, :], self.height,
                                 self.width)
        return iu.from_batched_nhwc(x, self.data_format, unbatched)

    def compute_output_shape(self, input_shape):
        iu.check_image_rank(_where(self), input_shape)
        return _resized_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height,
                "width": self.width}
