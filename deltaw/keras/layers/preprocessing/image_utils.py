"""Shared plumbing of the image preprocessing layers: layouts, crop boxes and resizing.

Every image layer accepts a batch `(batch, height, width, channels)` or one image `(height,
width, channels)` (channels-first with `data_format='channels_first'`), as Keras 3 does. The
layers bring inputs to the batched channels-last layout with `to_batched_nhwc`, work there, and
return the caller's layout with `from_batched_nhwc`. Resizing is composed of dw ops (`getitem`,
arithmetic), so gradients flow through it as through Keras' Resizing.
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras import backend
from deltaw.ops import add, expand_dims, getitem, moveaxis, multiply, squeeze, subtract

__all__ = ["check_image_rank", "check_positive_int", "crop_box", "from_batched_nhwc", "pad_box",
           "resize_images", "spatial_axes", "standardize_image_data_format", "to_batched_nhwc"]

INTERPOLATIONS = ("bilinear", "nearest")


def standardize_image_data_format(where, data_format) -> str:
    """'channels_last' or 'channels_first' (None means `backend.image_data_format()`)."""
    value = backend.image_data_format() if data_format is None else data_format
    mode = value.lower() if isinstance(value, str) else value
    if mode not in ("channels_last", "channels_first"):
        raise ValueError(f"{where}: data_format must be 'channels_last' or 'channels_first'; "
                         f"got data_format={data_format!r}.")
    return mode


def check_image_rank(where, shape) -> None:
    if len(shape) not in (3, 4):
        raise ValueError(f"{where}: expected an image batch of rank 4 or one image of rank 3; "
                         f"got input shape {tuple(shape)}.")


def spatial_axes(shape, data_format) -> tuple:
    """The (height, width) axes of an image or batch of `shape`."""
    first = 1 if len(shape) == 4 else 0
    return (first + 1, first + 2) if data_format == "channels_first" else (first, first + 1)


def to_batched_nhwc(x, data_format):
    """`x` as (batch, height, width, channels); also whether a batch axis was added."""
    unbatched = x.ndim == 3
    if unbatched:
        x = expand_dims(x, 0)
    if data_format == "channels_first":
        x = moveaxis(x, 1, 3)
    return x, unbatched


def from_batched_nhwc(x, data_format, unbatched):
    """Undo `to_batched_nhwc`."""
    if data_format == "channels_first":
        x = moveaxis(x, 3, 1)
    return squeeze(x, 0) if unbatched else x


def crop_box(height, width, target_height, target_width) -> tuple:
    """(top, left, crop_height, crop_width) of the centred crop with the target aspect ratio.

    The same integer arithmetic as Keras' `crop_to_aspect_ratio` and `smart_resize`.
    """
    crop_h = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_w = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def pad_box(height, width, target_height, target_width) -> tuple:
    """(rows, columns) of padding on each side that give the target aspect ratio (Keras'
    `pad_to_aspect_ratio`: the same amount on both sides)."""
    pad_h = max(height, int(float(width * target_height) / target_width))
    pad_w = max(width, int(float(height * target_width) / target_height))
    return int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)


def _source_positions(n_in, n_out):
    """Half-pixel-centre source coordinates of `n_out` outputs on an axis of `n_in` inputs."""
    return (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5


def _take(x, axis, index):
    return getitem(x, (slice(None),) * axis + (index,))


def _resize_axis(x, axis, n_out, interpolation):
    n_in = x.shape[axis]
    if n_in == n_out:
        return x
    if interpolation == "nearest":
        # floor of the half-pixel source coordinate: torch's 'nearest-exact' (Keras' torch
        # backend), tf.image.resize's 'nearest' with half-pixel centres
        index = np.minimum(np.floor((np.arange(n_out) + 0.5) * (n_in / n_out)), n_in - 1)
        return _take(x, axis, index.astype(np.int64))
    src = np.clip(_source_positions(n_in, n_out), 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    shape = [1] * x.ndim
    shape[axis] = n_out
    frac = (src - lo).astype(x.data.dtype).reshape(shape)
    low = _take(x, axis, lo)
    return add(low, multiply(subtract(_take(x, axis, hi), low), frac))


def resize_images(x, height, width, interpolation="bilinear"):
    """Resize a (batch, height, width, channels) Tensor, differentiably.

    'bilinear' samples at half-pixel centres without antialiasing (Keras 3 `ops.image.resize`
    with `antialias=False`, its default): source coordinate (o + 0.5) * in / out - 0.5, clamped
    to the edges. 'nearest' takes pixel floor((o + 0.5) * in / out).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"resize_images: interpolation must be one of {INTERPOLATIONS}; got "
                         f"interpolation={interpolation!r}.")
    return _resize_axis(_resize_axis(x, 1, height, interpolation), 2, width, interpolation)


def check_positive_int(where, name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer; got {name}={value!r}.")
    return int(value)
