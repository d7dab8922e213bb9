"""keras.ops.image: resizing, patches, geometric transforms, cropping, padding and colour spaces.

Keras 3's names, arguments and defaults over dw ops. Resizing is linear in the image, so each
axis is resized by one matrix product with an (out, in) interpolation matrix built here with
torch.nn.functional.interpolate's conventions (half-pixel centres; 'nearest' is torch's
'nearest-exact'; antialiasing widens the filter by the downscaling factor). Everything is
differentiable with respect to the images; sampling coordinates and transforms are not.

`scale_and_translate` is JAX's kernel resampler (triangle, Keys cubic, Lanczos): one weight
matrix per spatial axis, contracted with the images, so it too is differentiable in the images.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import deltaw as dw
from deltaw.keras.ops.nn import (
    data_format_of,
    depthwise_conv,
    floating,
    from_channels_last,
    tensor,
    to_channels_last,
)
from deltaw.tensor import Tensor

__all__ = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches",
    "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
    "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate",
    "sobel_edges", "ssim",
]


def _batched(where, images, data_format):
    """(images as a channels-last batch, data_format, whether a batch axis was added)."""
    fmt = data_format_of(where, data_format)
    x = tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"{where}: expected images of rank 3 (one image) or 4 (a batch); got "
                         f"shape {x.shape}.")
    single = x.ndim == 3
    if single:
        x = dw.expand_dims(x, 0)
    return to_channels_last(x, fmt), fmt, single


def _unbatched(x, fmt, single):
    x = from_channels_last(x, fmt)
    return dw.squeeze(x, 0) if single else x


# ---------------------------------------------------------------- resize


def _cubic(x, a):
    """Keys' cubic convolution kernel with parameter a."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _resize_matrix(n_in, n_out, interpolation, antialias):
    """(n_out, n_in) weights: out[i] = sum_j m[i, j] in[j], torch's interpolate conventions."""
    scale = n_in / n_out
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if interpolation == "nearest":
        m[rows, np.minimum(np.floor((rows + 0.5) * scale).astype(int), n_in - 1)] = 1
    elif antialias and scale > 1:
        # a separable filter stretched by the downscaling factor, weights normalized per output
        size = 2 if interpolation == "bilinear" else 4
        support = size / 2 * scale
        centers = scale * (rows + 0.5)
        for i, c in enumerate(centers):
            lo = max(int(c - support + 0.5), 0)
            hi = min(int(c + support + 0.5), n_in)
            arg = (np.arange(lo, hi) - c + 0.5) / scale
            w = (np.maximum(0.0, 1 - np.abs(arg)) if interpolation == "bilinear"
                 else _cubic(arg, -0.5))
            m[i, lo:hi] = w / w.sum()
    elif interpolation == "bilinear":
        src = np.maximum((rows + 0.5) * scale - 0.5, 0.0)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = src - lo
        np.add.at(m, (rows, lo), 1 - frac)
        np.add.at(m, (rows, hi), frac)
    else:  # bicubic, a = -0.75, borders clamped
        src = (rows + 0.5) * scale - 0.5
        base = np.floor(src).astype(int)
        t = src - base
        for k in range(-1, 3):
            np.add.at(m, (rows, np.clip(base + k, 0, n_in - 1)), _cubic(t - k, -0.75))
    return m


def _apply_along(x, m, axis):
    """Contract axis `axis` of x with the (out, in) matrix m."""
    moved = dw.moveaxis(x, axis, -1)
    out = dw.matmul(moved, Tensor(m.T.astype(x.dtype)))
    return dw.moveaxis(out, -1, axis)


def _aspect_crop(x, size):
    h, w = x.shape[1:3]
    th, tw = size
    ch = max(min(h, int(w * th / tw)), 1)
    cw = max(min(w, int(h * tw / th)), 1)
    top, left = int((h - ch) / 2), int((w - cw) / 2)
    return x[:, top:top + ch, left:left + cw]


def _aspect_pad(x, size, fill_value):
    h, w = x.shape[1:3]
    th, tw = size
    ph, pw = max(h, int(w * th / tw)), max(w, int(h * tw / th))
    top, left = int((ph - h) / 2), int((pw - w) / 2)
    # as Keras: the same margin on both sides (so an odd difference loses one row or column)
    return dw.pad(x, ((0, 0), (top, top), (left, left), (0, 0)), constant_values=fill_value)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize images to `size` = (height, width).

    Args:
        images: (height, width, channels) or a batch of them (channels_last), or channels first.
        size: (height, width).
        interpolation: 'bilinear', 'nearest' or 'bicubic' (the lanczos and area filters are
            not provided).
        antialias: Widen the filter when downscaling (bilinear and bicubic only).
        crop_to_aspect_ratio / pad_to_aspect_ratio: First crop (centrally) or pad (with
            fill_value) the image to the target aspect ratio.
        fill_mode: 'constant' only.

    Returns:
        The resized images, float (integer images come back rounded to their dtype).
    """
    if interpolation not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"resize: unknown interpolation {interpolation!r}; expected "
                         "'bilinear', 'nearest' or 'bicubic'.")
    if fill_mode != "constant":
        raise ValueError(f"resize: expected fill_mode='constant'; got {fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: expected at most one of crop_to_aspect_ratio and "
                         "pad_to_aspect_ratio; got both True.")
    if len(tuple(size)) != 2:
        raise ValueError(f"resize: size must be (height, width); got {size!r}.")
    x, fmt, single = _batched("resize", images, data_format)
    in_dtype = x.dtype
    if in_dtype.kind != "f":
        x = dw.astype(x, np.float32)
    if crop_to_aspect_ratio:
        x = _aspect_crop(x, size)
    elif pad_to_aspect_ratio:
        x = _aspect_pad(x, size, fill_value)
    for axis, n_out in zip((1, 2), size, strict=True):
        x = _apply_along(x, _resize_matrix(x.shape[axis], int(n_out), interpolation,
                                           antialias), axis)
    if in_dtype.kind != "f":
        x = Tensor(np.round(x.data).clip(*_limits(in_dtype)).astype(in_dtype))
    return _unbatched(x, fmt, single)


def _limits(dtype):
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    return (info.min, info.max) if info else (0, 1)


# ---------------------------------------------------------------- patches


def _same_pads(size, k_eff, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of `size` = (ph, pw) flattened into the channel axis: (batch, out_h, out_w,
    ph * pw * channels), ordered (row, column, channel) within a patch."""
    if isinstance(size, int):
        size = (size, size)
    x, fmt, single = _batched("extract_patches", images, data_format)
    ph, pw = size
    sh, sw = (ph, pw) if strides is None else ((strides,) * 2 if isinstance(strides, int)
                                               else tuple(strides))
    dh, dwid = (dilation_rate,) * 2 if isinstance(dilation_rate, int) else dilation_rate
    keh, kew = (ph - 1) * dh + 1, (pw - 1) * dwid + 1
    if padding.lower() == "same":
        x = dw.pad(x, ((0, 0), _same_pads(x.shape[1], keh, sh), _same_pads(x.shape[2], kew, sw),
                       (0, 0)))
    oh, ow = (x.shape[1] - keh) // sh + 1, (x.shape[2] - kew) // sw + 1
    taps = [x[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dwid:j * dwid + (ow - 1) * sw + 1:sw]
            for i in range(ph) for j in range(pw)]
    out = dw.stack(taps, axis=3)  # (n, oh, ow, ph * pw, c)
    out = dw.reshape(out, (*out.shape[:3], -1))
    return _unbatched(out, fmt, single)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """3-D patches of `size` = (pd, ph, pw) flattened into the channel axis: (batch, out_d,
    out_h, out_w, pd * ph * pw * channels), ordered (depth, row, column, channel)."""
    fmt = data_format_of("extract_patches_3d", data_format)
    x = tensor(volumes)
    if x.ndim not in (4, 5):
        raise ValueError(f"extract_patches_3d: expected volumes of rank 4 (one volume) or 5 (a "
                         f"batch); got shape {x.shape}.")
    single = x.ndim == 4
    if single:
        x = dw.expand_dims(x, 0)
    x = to_channels_last(x, fmt)
    k = (size,) * 3 if isinstance(size, int) else tuple(size)
    st = k if strides is None else ((strides,) * 3 if isinstance(strides, int)
                                     else tuple(strides))
    dil = (dilation_rate,) * 3 if isinstance(dilation_rate, int) else tuple(dilation_rate)
    eff = [(kk - 1) * d + 1 for kk, d in zip(k, dil, strict=True)]
    if padding.lower() == "same":
        x = dw.pad(x, ((0, 0), *(_same_pads(x.shape[i + 1], eff[i], st[i]) for i in range(3)),
                       (0, 0)))
    outs = [(x.shape[i + 1] - eff[i]) // st[i] + 1 for i in range(3)]
    taps = []
    for offsets in itertools.product(*(range(kk) for kk in k)):
        index = (slice(None),) + tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s)
            for o, d, n, s in zip(offsets, dil, outs, st, strict=True))
        taps.append(x[index])
    out = dw.stack(taps, axis=4)
    out = dw.reshape(out, (*out.shape[:4], -1))
    out = from_channels_last(out, fmt)
    return dw.squeeze(out, 0) if single else out


# ---------------------------------------------------------------- sampling


def _fix_index(mode, index, size):
    """Map integer indices into [0, size) as scipy.ndimage's boundary modes do."""
    if mode in ("constant", "nearest"):
        return np.clip(index, 0, size - 1)
    if mode == "wrap":
        return index % size
    if mode == "mirror":  # ... 2 1 | 0 1 2 | 1 0 ...
        period = 2 * (size - 1)
        if period == 0:
            return np.zeros_like(index)
        r = index % period
        return np.where(r >= size, period - r, r)
    # reflect: ... 1 0 | 0 1 2 | 2 1 ...
    r = index % (2 * size)
    return np.where(r >= size, 2 * size - 1 - r, r)


_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Sample `inputs` at `coordinates` (one array per input axis) with nearest (order=0) or
    linear (order=1) interpolation, scipy.ndimage.map_coordinates' conventions.

    Out-of-range points: fill_mode 'constant' uses fill_value for every out-of-range corner;
    'nearest', 'wrap', 'mirror' and 'reflect' fold the indices back. Differentiable in `inputs`
    and, for order=1, in `coordinates` (through the interpolation weights).
    """
    x = tensor(inputs)
    coords = [floating(c) for c in coordinates]
    if len(coords) != x.ndim:
        raise ValueError(f"map_coordinates: expected one coordinate array per input axis "
                         f"({x.ndim}); got {len(coords)}.")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"map_coordinates: unknown fill_mode {fill_mode!r}; expected one of "
                         f"{', '.join(_FILL_MODES)}.")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: expected order 0 or 1; got {order!r}.")
    per_axis = []
    for c, size in zip(coords, x.shape, strict=True):
        if order == 0:
            nodes = [(np.round(c.data).astype(np.int64), None)]
        else:
            lo = np.floor(c.data)
            frac = c - lo.astype(c.dtype)
            nodes = [(lo.astype(np.int64), 1.0 - frac), (lo.astype(np.int64) + 1, frac)]
        per_axis.append([(_fix_index(fill_mode, i, size), (i >= 0) & (i < size), w)
                         for i, w in nodes])
    out = None
    for corner in itertools.product(*per_axis):
        idx, valid, weights = zip(*corner, strict=True)
        value = x[tuple(idx)]
        if fill_mode == "constant":
            ok = np.logical_and.reduce(np.broadcast_arrays(*valid))
            value = dw.where(ok, value, np.asarray(fill_value, dtype=x.dtype))
        term = value * math.prod(weights) if order else value
        out = term if out is None else out + term
    return out


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Apply projective transforms [a0, a1, a2, b0, b1, b2, c0, c1]: output pixel (x, y) takes the
    input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"affine_transform: unknown interpolation {interpolation!r}; expected "
                         "'nearest' or 'bilinear'.")
    x, fmt, single = _batched("affine_transform", images, data_format)
    t = floating(transform).data  # coordinates in the transform's dtype, as Keras
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != 8:
        raise ValueError(f"affine_transform: expected transforms of shape (8,) or (batch, 8); "
                         f"got {t.shape}.")
    n, h, w, c = x.shape
    t = np.broadcast_to(t, (n, 8))
    rows, cols, chans = np.meshgrid(*(np.arange(n, dtype=t.dtype) for n in (h, w, c)),
                                    indexing="ij")
    order = 0 if interpolation == "nearest" else 1
    outs = []
    for i in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = t[i]
        k = c0 * cols + c1 * rows + 1
        src_x = (a0 * cols + a1 * rows + a2) / k
        src_y = (b0 * cols + b1 * rows + b2) / k
        outs.append(map_coordinates(x[i], [src_y, src_x, chans], order, fill_mode, fill_value))
    return _unbatched(dw.stack(outs, axis=0), fmt, single)


def _homography(start, end):
    """The 8 projective coefficients mapping each end (output) point onto its start (input)
    point, per batch entry: solve the 8 x 8 system of the four correspondences."""
    rows = []
    for i in range(4):
        (sx, sy), (ex, ey) = start[:, i].T, end[:, i].T
        one, zero = np.ones_like(ex), np.zeros_like(ex)
        rows.append(np.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(np.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
    target = np.stack([c for i in range(4) for c in (start[:, i, 0], start[:, i, 1])], -1)
    return np.linalg.solve(np.stack(rows, axis=1), target[..., None])[..., 0]


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warp images so that `start_points` (four (x, y) corners per image) land on
    `end_points`: each output pixel samples the input at the homography of its position."""
    start = np.asarray(floating(start_points).data, dtype=np.float64)
    end = np.asarray(floating(end_points).data, dtype=np.float64)
    if start.shape != end.shape or start.shape[-2:] != (4, 2) or start.ndim not in (2, 3):
        raise ValueError(f"perspective_transform: start_points and end_points must both have "
                         f"shape (4, 2) or (batch, 4, 2); got {start.shape} and {end.shape}.")
    if start.ndim == 2:
        start, end = start[None], end[None]
    coeffs = _homography(start, end).astype(tensor(images).dtype if tensor(images).dtype.kind
                                             == "f" else np.float32)
    return affine_transform(images, coeffs, interpolation, "constant", fill_value, data_format)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displace every pixel by alpha * (Gaussian-smoothed N(0, sigma^2) noise), one field per
    image shared by its channels (kernel size int(6 sigma) | 1); seed as keras.random."""
    from deltaw.keras.random import _generator

    if fill_mode not in _FILL_MODES:
        raise ValueError(f"elastic_transform: unknown fill_mode {fill_mode!r}; expected one of "
                         f"{', '.join(_FILL_MODES)}.")
    x, fmt, single = _batched("elastic_transform", floating(images), data_format)
    n, h, w, c = x.shape
    size = int(6 * sigma) | 1
    gen = _generator("elastic_transform", seed)
    fields = []
    for _ in range(2):  # dx, then dy
        noise = (gen.standard_normal((n, h, w, 1)) * sigma).astype(x.dtype)
        fields.append(gaussian_blur(noise, (size, size), (sigma, sigma),
                                    "channels_last").data[..., 0])
    dx, dy = fields
    rows, cols, chans = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    order = 0 if interpolation == "nearest" else 1
    outs = [map_coordinates(x[i], [rows + alpha * dy[i][..., None],
                                   cols + alpha * dx[i][..., None], chans],
                            order, fill_mode, fill_value) for i in range(n)]
    return _unbatched(dw.stack(outs, axis=0), fmt, single)


# ---------------------------------------------------------------- cropping and padding


def _hw(where, images, data_format):
    fmt = data_format_of(where, data_format)
    x = tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"{where}: expected images of rank 3 or 4; got shape {x.shape}.")
    h_axis = x.ndim - 3 if fmt == "channels_last" else x.ndim - 2
    return x, h_axis


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Zero-pad images; a missing side is derived from target_height / target_width."""
    x, h_axis = _hw("pad_images", images, data_format)
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    try:
        top = target_height - bottom_padding - height if top_padding is None else top_padding
        bottom = target_height - top - height if bottom_padding is None else bottom_padding
        left = target_width - right_padding - width if left_padding is None else left_padding
        right = target_width - left - width if right_padding is None else right_padding
    except TypeError:
        raise ValueError("pad_images: each axis needs two of its paddings and target size; got "
                         f"top={top_padding}, bottom={bottom_padding}, target_height="
                         f"{target_height}, left={left_padding}, right={right_padding}, "
                         f"target_width={target_width}.") from None
    for name, v in (("top_padding", top), ("bottom_padding", bottom), ("left_padding", left),
                    ("right_padding", right)):
        if v < 0:
            raise ValueError(f"pad_images: {name} must be >= 0; got {v}.")
    widths = [(0, 0)] * x.ndim
    widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
    return dw.pad(x, widths)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop images; a missing side is derived from target_height / target_width."""
    x, h_axis = _hw("crop_images", images, data_format)
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    try:
        top = height - target_height - bottom_cropping if top_cropping is None else top_cropping
        th = height - bottom_cropping - top if target_height is None else target_height
        left = width - target_width - right_cropping if left_cropping is None else left_cropping
        tw = width - right_cropping - left if target_width is None else target_width
    except TypeError:
        raise ValueError("crop_images: each axis needs two of its croppings and target size; "
                         f"got top={top_cropping}, bottom={bottom_cropping}, target_height="
                         f"{target_height}, left={left_cropping}, right={right_cropping}, "
                         f"target_width={target_width}.") from None
    for name, v in (("top_cropping", top), ("target_height", th), ("left_cropping", left),
                    ("target_width", tw)):
        if v < 0:
            raise ValueError(f"crop_images: {name} must be >= 0; got {v}.")
    if top + th > height or left + tw > width:
        raise ValueError(f"crop_images: the crop exceeds the image; expected top + "
                         f"target_height <= {height} and left + target_width <= {width}, got "
                         f"{top + th} and {left + tw}.")
    index = [slice(None)] * x.ndim
    index[h_axis], index[h_axis + 1] = slice(top, top + th), slice(left, left + tw)
    return x[tuple(index)]


# ---------------------------------------------------------------- colour


def _channels(where, images, data_format):
    fmt = data_format_of(where, data_format)
    x = floating(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"{where}: expected images of rank 3 or 4; got shape {x.shape}.")
    axis = -1 if fmt == "channels_last" else -3
    if x.shape[axis] != 3:
        raise ValueError(f"{where}: expected 3 channels; got {x.shape[axis]} (shape "
                         f"{x.shape}, data_format {fmt!r}).")
    return x, axis


def _split3(x, axis):
    return [dw.squeeze(p, axis) for p in dw.split(x, 3, axis=axis)]


def rgb_to_grayscale(images, data_format=None):
    """0.2989 R + 0.587 G + 0.114 B, keeping a channel axis of size 1."""
    x, axis = _channels("rgb_to_grayscale", images, data_format)
    r, g, b = _split3(x, axis)
    return dw.expand_dims(r * 0.2989 + g * 0.587 + b * 0.114, axis)


def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to HSV, each in [0, 1] (TensorFlow's formulas; hue 0 for greys)."""
    x, axis = _channels("rgb_to_hsv", images, data_format)
    r, g, b = _split3(x, axis)
    value = dw.max(x, axis=axis)
    delta = value - dw.min(x, axis=axis)
    grey = delta.data == 0
    safe_delta = dw.where(grey, 1.0, delta)
    saturation = dw.where(value.data > 0, delta / dw.where(value.data > 0, value, 1.0), 0.0)
    hue = dw.where(r.data == value.data, (g - b) / safe_delta,
                   dw.where(g.data == value.data, (b - r) / safe_delta + 2.0,
                            (r - g) / safe_delta + 4.0))
    hue = hue / 6.0
    hue = dw.where(hue.data < 0, hue + 1.0, hue)
    hue = dw.where(grey, 0.0, hue)
    return dw.stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, data_format=None):
    """HSV in [0, 1] to RGB (TensorFlow's formulas)."""
    x, axis = _channels("hsv_to_rgb", images, data_format)
    h, s, v = _split3(x, axis)
    dh = h * 6.0
    dr = dw.clip(dw.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = dw.clip(2.0 - dw.abs(dh - 2.0), 0.0, 1.0)
    db = dw.clip(2.0 - dw.abs(dh - 4.0), 0.0, 1.0)
    return dw.stack([((d - 1.0) * s + 1.0) * v for d in (dr, dg, db)], axis=axis)


# ---------------------------------------------------------------- filters


def _pair(v):
    return (v, v) if isinstance(v, int | float) else tuple(v)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur each channel with a normalized Gaussian kernel ('same' size, zero padding at the
    borders, as Keras on torch)."""
    x, fmt, single = _batched("gaussian_blur", floating(images), data_format)
    (kh, kw), (sy, sx) = _pair(kernel_size), _pair(sigma)

    def kernel1d(k, s):
        t = np.arange(k) - (k - 1) / 2
        g = np.exp(-(t * t) / (2 * s * s))
        return g / g.sum()

    k2 = np.outer(kernel1d(kh, sy), kernel1d(kw, sx))
    c = x.shape[-1]
    kernel = np.repeat(k2[:, :, None, None], c, axis=2).astype(x.dtype)
    return _unbatched(depthwise_conv(x, kernel, padding="same", data_format="channels_last"),
                      fmt, single)


def sobel_edges(images, data_format=None):
    """Sobel gradients per channel: (..., channels, 2) = (dy, dx), zero padding at the borders
    (as Keras on torch)."""
    x, fmt, single = _batched("sobel_edges", floating(images), data_format)
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=x.dtype)
    c = x.shape[-1]
    outs = [depthwise_conv(x, np.repeat(k[:, :, None, None], c, axis=2), padding="same",
                           data_format="channels_last") for k in (ky, ky.T.copy())]
    out = dw.stack(outs, axis=-1)
    if fmt == "channels_first":
        out = dw.moveaxis(out, 3, 1)
    return dw.squeeze(out, 0) if single else out


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Structural similarity per image: the mean over 'valid' Gaussian windows and over
    channels of ((2 mu1 mu2 + c1)(2 s12 + c2)) / ((mu1^2 + mu2^2 + c1)(s1^2 + s2^2 + c2)),
    c1 = (k1 max_val)^2, c2 = (k2 max_val)^2. Differentiable in both images."""
    a, fmt, single = _batched("ssim", floating(image1), data_format)
    b, _, _ = _batched("ssim", floating(image2), data_format)
    if a.shape != b.shape:
        raise ValueError(f"ssim: the images must have the same shape; got {a.shape} and "
                         f"{b.shape}.")
    t = np.arange(filter_size) - (filter_size - 1) / 2
    g = np.exp(-(t * t) / (2 * filter_sigma ** 2))
    g /= g.sum()
    kernel = np.repeat(np.outer(g, g)[:, :, None, None], a.shape[-1], axis=2).astype(a.dtype)

    def blur(v):
        return depthwise_conv(v, kernel, data_format="channels_last")

    mu1, mu2 = blur(a), blur(b)
    s1, s2, s12 = blur(a * a) - mu1 * mu1, blur(b * b) - mu2 * mu2, blur(a * b) - mu1 * mu2
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    value = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1)
                                                        * (s1 + s2 + c2))
    out = dw.mean(value, axis=(1, 2, 3))
    return dw.squeeze(out, 0) if single else out


# ----- scale_and_translate: JAX's kernel resampler (jax.image.scale_and_translate)
def _lanczos(radius, x):
    y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > 1e-3, y / np.where(x != 0, np.pi ** 2 * x ** 2, 1), 1)
    return np.where(x > radius, 0.0, out)


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


_SCALE_KERNELS = {
    "linear": lambda x: np.maximum(0, 1 - np.abs(x)), "cubic": _keys_cubic,
    "lanczos3": lambda x: _lanczos(3.0, x), "lanczos5": lambda x: _lanczos(5.0, x),
}
_SCALE_METHODS = {"linear": "linear", "bilinear": "linear", "trilinear": "linear",
                  "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic",
                  "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _scale_weights(n_in, n_out, scale, translation, kernel, antialias, dtype):
    """(n_in, n_out) weights: output pixel j samples input position (j + 0.5 - t) / s - 0.5."""
    inv_scale = 1.0 / scale
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(n_out, dtype=dtype) + 0.5) * inv_scale - translation * inv_scale - 0.5
    w = kernel(np.abs(sample[None, :] - np.arange(n_in, dtype=dtype)[:, None]) / kernel_scale)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                 w / np.where(total != 0, total, 1), 0)
    inside = (sample >= -0.5) & (sample <= n_in - 0.5)      # outside the image: zero
    return np.where(inside[None, :], w, 0)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample `images` to `output_shape`, mapping input position x to `x * scale + translation`
    along each axis of `spatial_dims` (half-pixel centres; outside the input: zero).

    Args:
        images: Array of any rank.
        output_shape: The full output shape (the axes not in `spatial_dims` keep their size).
        scale, translation: One number per axis of `spatial_dims`.
        spatial_dims: The axes to resample.
        method: 'linear' ('bilinear', 'trilinear'), 'cubic' ('bicubic', 'tricubic'),
            'lanczos3' or 'lanczos5'.
        antialias: Widen the kernel by 1/scale when downsampling. Defaults to True.

    Differentiable with respect to `images`; `scale` and `translation` are constants here
    (JAX also differentiates them). Integer images are rounded and clipped to their range.
    """
    if method not in _SCALE_METHODS:
        raise ValueError("Invalid value for argument `method`. Expected of one "
                         f"{set(_SCALE_METHODS)}. Received: method={method}")
    x = tensor(images)
    scale = np.atleast_1d(np.asarray(getattr(scale, "data", scale)))
    translation = np.atleast_1d(np.asarray(getattr(translation, "data", translation)))
    dims = tuple(spatial_dims)
    if not (len(dims) == scale.size == translation.size):
        raise ValueError(f"scale_and_translate: spatial_dims {dims}, scale {scale.tolist()} and "
                         f"translation {translation.tolist()} must have the same length.")
    if not dims:
        return x
    integer = x.dtype.kind != "f"
    out = dw.astype(x, "float32") if integer else x
    dtype = np.result_type(scale.dtype, translation.dtype)
    for i, d in enumerate(dims):
        d = d % x.ndim
        w = _scale_weights(x.shape[d], int(output_shape[d]), scale[i], translation[i],
                           _SCALE_KERNELS[_SCALE_METHODS[method]], antialias, dtype)
        out = _apply_along(out, w.T, d)
    if integer:
        lo, hi = x.data.min(), x.data.max()
        out = Tensor(np.clip(np.round(out.data), lo, hi).astype(x.dtype))
    return out
