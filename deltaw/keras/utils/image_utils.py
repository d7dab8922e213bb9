"""Images as arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img`, as Keras 3 has them.

They use Pillow, imported when one of them is first called (`pip install Pillow`, or deltaw's
`image` extra); importing deltaw never needs it. Arrays follow `image_data_format()` (channels
last by default) unless `data_format` is given.
"""

from __future__ import annotations

import io
import os
import pathlib

import numpy as np

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]

_CHANNELS = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
# Pillow's filters by Keras' names; the tf.image names that image_dataset_from_directory accepts
# map to the nearest Pillow filter (results are close to, not equal to, TensorFlow's).
_FILTERS = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC",
            "hamming": "HAMMING", "box": "BOX", "lanczos": "LANCZOS", "area": "BOX",
            "lanczos3": "LANCZOS", "lanczos5": "LANCZOS", "gaussian": "BICUBIC",
            "mitchellcubic": "BICUBIC"}


def _pil(where):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{where}: this function needs Pillow, which is not installed. Hint: "
                          "pip install Pillow.") from None
    return Image


def _data_format(where, data_format):
    if data_format is None:
        from deltaw.keras.backend import image_data_format

        data_format = image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{where}: data_format must be 'channels_last' or 'channels_first'; got "
                         f"data_format={data_format!r}.")
    return data_format


def _filter(where, image_module, interpolation):
    if interpolation not in _FILTERS:
        raise ValueError(f"{where}: unknown interpolation {interpolation!r}; expected one of "
                         f"{', '.join(sorted(_FILTERS))}.")
    resampling = getattr(image_module, "Resampling", image_module)
    return getattr(resampling, _FILTERS[interpolation])


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Loads an image file as a PIL image, as `keras.utils.load_img`.

    Args:
        path: Path of the image (str or path-like), or an `io.BytesIO` of its bytes.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`.
        target_size: `(height, width)` to resize to, or None to keep the size.
        interpolation: Pillow filter for resizing: `"nearest"`, `"bilinear"`, `"bicubic"`,
            `"hamming"`, `"box"` or `"lanczos"`.
        keep_aspect_ratio: Crop the centre of the image to the target's aspect ratio first.

    Returns:
        A `PIL.Image.Image`.

    Raises:
        ImportError: Pillow is not installed.
        ValueError: unknown `color_mode` or `interpolation`.
    """
    image_module = _pil("load_img")
    if color_mode not in _CHANNELS:
        raise ValueError(f"load_img: color_mode must be 'grayscale', 'rgb' or 'rgba'; got "
                         f"color_mode={color_mode!r}.")
    if isinstance(path, io.BytesIO):
        img = image_module.open(path)
    elif isinstance(path, str | bytes | os.PathLike):
        with open(pathlib.Path(os.fsdecode(path)).resolve(), "rb") as f:
            img = image_module.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: path must be a path or an io.BytesIO; got "
                        f"{type(path).__name__}.")
    mode = _CHANNELS[color_mode]
    if img.mode != mode and not (mode == "L" and img.mode in ("I;16", "I")):
        img = img.convert(mode)
    if target_size is None:
        return img
    return _resize(img, target_size, _filter("load_img", image_module, interpolation),
                   crop=keep_aspect_ratio)


def _resize(img, target_size, resample, crop=False, pad=False):
    """Resizes to `(height, width)`, optionally cropping or padding to its aspect ratio first."""
    height, width = int(target_size[0]), int(target_size[1])
    if (img.width, img.height) == (width, height):
        return img
    if crop:
        crop_h = min(img.height, img.width * height // width)
        crop_w = min(img.width, img.height * width // height)
        top, left = (img.height - crop_h) // 2, (img.width - crop_w) // 2
        return img.resize((width, height), resample, box=(left, top, left + crop_w, top + crop_h))
    if pad:
        scale = min(width / img.width, height / img.height)
        inner = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        canvas = _pil("load_img").new(img.mode, (width, height))   # black bars, as Keras pads
        canvas.paste(img.resize(inner, resample),
                     ((width - inner[0]) // 2, (height - inner[1]) // 2))
        return canvas
    return img.resize((width, height), resample)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a NumPy array of shape `(height, width, channels)`, as Keras.

    Args:
        img: A PIL image.
        data_format: `"channels_last"` or `"channels_first"`; default `image_data_format()`.
        dtype: Dtype of the result; default float32.

    Returns:
        A 3-D array (grayscale images get a channel axis of 1).
    """
    data_format = _data_format("img_to_array", data_format)
    x = np.asarray(img, dtype=dtype or np.float32)
    if x.ndim == 2:
        x = x[..., None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: expected an image of 2 or 3 dimensions; got shape "
                         f"{x.shape}.")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a PIL image, as `keras.utils.array_to_img`.

    Args:
        x: Array of shape `(height, width, channels)` (or channels first) with 1, 3 or 4
            channels.
        data_format: Layout of `x`; default `image_data_format()`.
        scale: Rescale the values to 0..255 (`(x - min) / max * 255`, Keras' rule).
        dtype: Ignored (Keras' argument); the image holds 8-bit values, or 32-bit integers for a
            single channel whose values exceed 255.

    Returns:
        A `PIL.Image.Image` in mode `"L"`, `"RGB"`, `"RGBA"` or `"I"`.
    """
    image_module = _pil("array_to_img")
    data_format = _data_format("array_to_img", data_format)
    x = np.array(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected an image array of rank 3; got shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x = x / x_max
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image_module.fromarray(x.astype(np.uint8), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype(np.int32), "I")
        return image_module.fromarray(x[:, :, 0].astype(np.uint8), "L")
    raise ValueError(f"array_to_img: expected 1, 3 or 4 channels; got {channels} (shape "
                     f"{x.shape}).")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image array to a file, as `keras.utils.save_img`.

    Args:
        path: File path or file object.
        x: Image array, as for `array_to_img`.
        data_format: Layout of `x`; default `image_data_format()`.
        file_format: Pillow format name (`"png"`, `"jpeg"`); default from the file name.
        scale: Rescale the values to 0..255.
        **kwargs: Passed to `PIL.Image.Image.save`.
    """
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format == "jpg" or file_format == "jpeg" or (
            file_format is None and str(path).lower().endswith((".jpg", ".jpeg")))):
        img = img.convert("RGB")   # JPEG has no alpha channel (Keras drops it too, with a warning)
    img.save(path, format=file_format, **kwargs)
