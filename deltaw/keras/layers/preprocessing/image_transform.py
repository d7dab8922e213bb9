"""Warping of image batches on arrays: the sampler behind RandomRotation, RandomZoom,
RandomTranslation, RandomShear, RandomPerspective (Keras 3 `ops.image.affine_transform`'s
semantics) and RandomElasticTransform (`map_coordinates`).

Works on NumPy arrays and records nothing: Keras' augmentation layers are not differentiated
(they sit before the trainable layers), so deltaw's warping layers return constants.

Each transform is 8 numbers `[a0, a1, a2, b0, b1, b2, c0, c1]` mapping an OUTPUT pixel (x, y)
(x the column, y the row) to the INPUT point
    x_in = (a0 x + a1 y + a2) / k,  y_in = (b0 x + b1 y + b2) / k,  k = c0 x + c1 y + 1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FILL_MODES", "INTERPOLATIONS", "affine_transform", "fix_indices",
           "homography_matrices", "map_coordinates", "rotation_matrices",
           "translation_matrices", "zoom_matrices"]

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
INTERPOLATIONS = ("nearest", "bilinear")


def fix_indices(index, size, fill_mode):
    """Integer indices outside [0, size) brought inside as `fill_mode` extends the image.

    'reflect' mirrors about the edge, repeating the edge pixel (d c b a | a b c d | d c b a);
    'mirror' mirrors about the edge pixel (d c b | a b c d | c b a); 'wrap' tiles the image;
    'nearest' and 'constant' clamp (constant's outside points are replaced by the fill value
    afterwards).
    """
    if fill_mode == "wrap":
        return np.mod(index, size)
    if fill_mode == "mirror":
        if size == 1:
            return np.zeros_like(index)
        period = 2 * (size - 1)
        return (size - 1) - np.abs(np.mod(index, period) - (size - 1))
    if fill_mode == "reflect":
        folded = np.mod(index, 2 * size)
        return np.where(folded < size, folded, 2 * size - 1 - folded)
    return np.clip(index, 0, size - 1)


def _check(transforms, images, interpolation, fill_mode):
    if images.ndim != 4:
        raise ValueError("affine_transform: expected images of shape (batch, height, width, "
                         f"channels); got shape {images.shape}.")
    if transforms.ndim != 2 or transforms.shape[1] != 8 or \
            transforms.shape[0] not in (1, images.shape[0]):
        raise ValueError("affine_transform: expected transforms of shape (batch, 8) or (1, 8); "
                         f"got shape {transforms.shape} for {images.shape[0]} images.")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"affine_transform: interpolation must be one of {INTERPOLATIONS}; "
                         f"got {interpolation!r}.")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"affine_transform: fill_mode must be one of {FILL_MODES}; got "
                         f"{fill_mode!r}.")


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Warp `images` (batch, height, width, channels) by one transform per image.

    Args:
        images: Array of shape (batch, height, width, channels).
        transforms: Array (batch, 8) or (1, 8) (the same transform for every image); see the
            module docstring.
        interpolation: 'bilinear' (the four neighbours, weighted) or 'nearest' (the point
            rounded half to even).
        fill_mode: How points outside the image are read: 'constant' (`fill_value`),
            'nearest', 'wrap', 'mirror' or 'reflect' (see `fix_indices`).
        fill_value: The value of outside points for 'constant'.

    Returns:
        An array of the images' shape and dtype (integer images are rounded).
    """
    images = np.asarray(images)
    transforms = np.asarray(transforms, dtype=np.float64)
    _check(transforms, images, interpolation, fill_mode)
    n, height, width, _ = images.shape
    t = np.broadcast_to(transforms, (n, 8))[:, :, None, None]
    y, x = np.meshgrid(np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64),
                       indexing="ij")
    k = t[:, 6] * x + t[:, 7] * y + 1.0
    x_in = (t[:, 0] * x + t[:, 1] * y + t[:, 2]) / k
    y_in = (t[:, 3] * x + t[:, 4] * y + t[:, 5]) / k
    return map_coordinates(images, y_in, x_in, interpolation, fill_mode, fill_value)


def map_coordinates(images, rows, cols, interpolation="bilinear", fill_mode="constant",
                    fill_value=0.0):
    """Sample each image of (batch, height, width, channels) `images` at the (fractional)
    points `rows`, `cols` (arrays of shape (batch, out_height, out_width)).

    Returns:
        (batch, out_height, out_width, channels), the images' dtype (integers rounded).
    """
    images = np.asarray(images)
    n, height, width, _ = images.shape
    batch = np.arange(n)[:, None, None]
    work = images.astype(np.float64)

    def sample(r, c):
        value = work[batch, fix_indices(r, height, fill_mode), fix_indices(c, width, fill_mode)]
        if fill_mode != "constant":
            return value
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        return np.where(inside[..., None], value, fill_value)

    if interpolation == "nearest":
        out = sample(np.rint(rows).astype(np.int64), np.rint(cols).astype(np.int64))
    else:
        r0, c0 = np.floor(rows), np.floor(cols)
        wr, wc = (rows - r0)[..., None], (cols - c0)[..., None]
        r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
        out = ((1 - wr) * ((1 - wc) * sample(r0, c0) + wc * sample(r0, c0 + 1))
               + wr * ((1 - wc) * sample(r0 + 1, c0) + wc * sample(r0 + 1, c0 + 1)))
    if images.dtype.kind in "iub":
        out = np.rint(out)
    return out.astype(images.dtype)


def rotation_matrices(angles, height, width):
    """Transforms rotating images by `angles` (radians, one per image) about their centre."""
    cos, sin = np.cos(angles), np.sin(angles)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    zeros = np.zeros_like(angles)
    return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos,
                     zeros, zeros], axis=1)


def zoom_matrices(width_zoom, height_zoom, height, width):
    """Transforms zooming images about their centre (a factor > 1 shows more of the image,
    i.e. zooms out)."""
    zeros = np.zeros_like(width_zoom)
    return np.stack([width_zoom, zeros, (width - 1) / 2 * (1 - width_zoom), zeros, height_zoom,
                     (height - 1) / 2 * (1 - height_zoom), zeros, zeros], axis=1)


def translation_matrices(dx, dy):
    """Transforms shifting images by `dx` columns right and `dy` rows down."""
    ones, zeros = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)


def homography_matrices(start_points, end_points):
    """Projective transforms taking each image's four `end_points` to its `start_points`.

    Each transform (8 numbers, as above) maps an output point (x, y) to the input point, so
    warping with it moves the content at `start_points` to `end_points`. Solved exactly from
    the four (x, y) correspondences of each image (arrays (batch, 4, 2)).
    """
    start = np.asarray(start_points, dtype=np.float64)
    end = np.asarray(end_points, dtype=np.float64)
    n = start.shape[0]
    system = np.zeros((n, 8, 8))
    target = np.zeros((n, 8))
    for k in range(4):
        ex, ey = end[:, k, 0], end[:, k, 1]
        sx, sy = start[:, k, 0], start[:, k, 1]
        system[:, 2 * k, 0:3] = np.stack([ex, ey, np.ones(n)], axis=1)
        system[:, 2 * k, 6:8] = np.stack([-sx * ex, -sx * ey], axis=1)
        system[:, 2 * k + 1, 3:6] = np.stack([ex, ey, np.ones(n)], axis=1)
        system[:, 2 * k + 1, 6:8] = np.stack([-sy * ex, -sy * ey], axis=1)
        target[:, 2 * k], target[:, 2 * k + 1] = sx, sy
    return np.linalg.solve(system, target[..., None])[..., 0]
