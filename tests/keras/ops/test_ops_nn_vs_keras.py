"""keras.ops.nn, keras.ops.math and keras.ops.image against Keras 3 (PyTorch backend).

Each case calls `keras.ops.<name>` and `deltaw.keras.ops.<name>` on the same inputs and compares
the outputs to float32 rounding; differentiable cases also compare the gradients of
sum(output * weights) with respect to every float input (torch's autograd through Keras against
deltaw's). Skipped without keras/torch.
"""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import ops as dops
from tests.keras import keras_reference as kr  # selects the torch backend; import before keras

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)
torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _f(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def _away(x, points, margin=0.05):
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + np.sign(x[near] - p + 1e-9) * 2 * margin
    return x


X = _away(_f(2, 3, 4), (0.0, -1.0, 1.0, 0.5, -0.5))
IMG = _f(2, 5, 6, 3, low=0.0, high=1.0)
SEQ = _f(2, 7, 3)
SEQ_K = _f(3, 3, 4) * 0.5
IMG_K = _f(3, 3, 3, 4) * 0.5
VOL = _f(1, 4, 5, 5, 2)
IDS = np.array([[0, 2, 1], [3, 1, 1]])

# (id, name, args, kwargs, differentiable: True (every float input), False or the indices of
# the inputs to differentiate)
CASES = [
    *[(n, n, (X,), {}, True) for n in (
        "relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "swish", "log_sigmoid",
        "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu", "celu",
        "glu", "hard_tanh", "soft_shrink", "hard_shrink", "tanh_shrink", "squareplus",
        "sparse_plus", "sparse_sigmoid", "log_softmax", "softmax")],
    ("gelu-exact", "gelu", (X,), {"approximate": False}, True),
    ("elu-alpha", "elu", (X,), {"alpha": 0.5}, True),
    ("celu-alpha", "celu", (X,), {"alpha": 2.0}, True),
    ("leaky-slope", "leaky_relu", (X,), {"negative_slope": 0.1}, True),
    ("softmax-axis1", "softmax", (X,), {"axis": 1}, True),
    ("softmax-axes", "softmax", (X,), {"axis": (1, 2)}, True),
    ("log_softmax-axis0", "log_softmax", (X,), {"axis": 0}, True),
    # Keras 3.15 sums the cumulative sums over the support for tau, so its sparsemax is the
    # projection only when the support has one element; deltaw's is the projection always
    # (tests/keras/ops/test_nn_math_image.py checks it against the definition)
    ("sparsemax-support1", "sparsemax", (np.array([[-1.0, 0.2, 1.5], [3.0, 0.5, -2.0]],
                                                  np.float32),), {}, True),
    ("glu-axis1", "glu", (_f(2, 4, 3),), {"axis": 1}, True),
    ("threshold", "threshold", (X, 0.3, -1.0), {}, True),
    ("squareplus-b", "squareplus", (X,), {"b": 1.0}, True),
    ("shrink-t", "soft_shrink", (X,), {"threshold": 1.0}, True),
    # convolutions
    ("conv1d", "conv", (SEQ, SEQ_K), {}, True),
    ("conv1d-same-stride", "conv", (SEQ, SEQ_K), {"strides": 2, "padding": "same"}, True),
    ("conv1d-dilated", "conv", (SEQ, SEQ_K), {"dilation_rate": 2}, True),
    ("conv2d", "conv", (IMG, IMG_K), {}, True),
    ("conv2d-same", "conv", (IMG, IMG_K), {"padding": "same", "strides": (2, 1)}, True),
    ("conv2d-cf", "conv", (IMG.transpose(0, 3, 1, 2).copy(), IMG_K),
     {"data_format": "channels_first"}, True),
    ("conv2d-groups", "conv", (_f(1, 4, 4, 4), _f(2, 2, 2, 6)), {}, True),
    ("conv3d", "conv", (VOL, _f(2, 3, 2, 2, 3)), {}, True),
    ("conv3d-same", "conv", (VOL, _f(3, 2, 2, 2, 3)), {"padding": "same", "strides": 2}, True),
    ("depthwise1d", "depthwise_conv", (SEQ, _f(3, 3, 2)), {"padding": "same"}, True),
    ("depthwise2d", "depthwise_conv", (IMG, _f(2, 2, 3, 2)), {"strides": 2}, True),
    ("separable2d", "separable_conv", (IMG, _f(2, 2, 3, 2), _f(1, 1, 6, 4)), {}, True),
    ("separable1d", "separable_conv", (SEQ, _f(3, 3, 2), _f(1, 6, 4)), {"padding": "same"}, True),
    ("conv_transpose1d", "conv_transpose", (SEQ, _f(3, 4, 3)), {"strides": 2}, True),
    ("conv_transpose2d", "conv_transpose", (IMG, _f(3, 3, 4, 3)),
     {"strides": 2, "padding": "same"}, True),
    ("conv_transpose2d-outpad", "conv_transpose", (IMG, _f(3, 3, 4, 3)),
     {"strides": 2, "output_padding": 1}, True),
    ("conv_transpose3d", "conv_transpose", (VOL, _f(2, 3, 2, 3, 2)), {"strides": 2}, True),
    ("conv_transpose3d-same", "conv_transpose", (VOL, _f(3, 2, 2, 3, 2)),
     {"strides": (2, 1, 2), "padding": "same", "dilation_rate": 1}, True),
    ("conv_transpose3d-outpad", "conv_transpose", (VOL, _f(2, 2, 2, 3, 2)),
     {"strides": 3, "output_padding": (1, 2, 0)}, True),
    # pooling
    ("max_pool1d", "max_pool", (SEQ, 2), {}, True),
    ("max_pool2d", "max_pool", (IMG, 2), {"strides": 1, "padding": "same"}, True),
    ("avg_pool1d", "average_pool", (SEQ, 3), {"strides": 2, "padding": "same"}, True),
    ("avg_pool2d", "average_pool", (IMG, (2, 3)), {}, True),
    ("avg_pool2d-same", "average_pool", (IMG, 2), {"padding": "same"}, True),
    ("max_pool3d", "max_pool", (_f(2, 5, 4, 5, 2), 2), {}, True),
    ("max_pool3d-same", "max_pool", (_f(1, 5, 4, 5, 2), (3, 2, 2)),
     {"strides": (2, 1, 2), "padding": "same"}, True),
    ("avg_pool3d", "average_pool", (_f(2, 4, 4, 5, 2), (2, 2, 3)), {"strides": 1}, True),
    ("avg_pool3d-same", "average_pool", (_f(1, 5, 4, 5, 2), 2), {"padding": "same"}, True),
    ("adaptive_avg3d", "adaptive_average_pool", (VOL, (2, 3, 2)), {}, True),
    ("adaptive_avg", "adaptive_average_pool", (IMG, (2, 4)), {}, True),
    ("adaptive_max", "adaptive_max_pool", (IMG, (3, 4)), {}, True),
    ("adaptive_avg1d", "adaptive_average_pool", (SEQ, 3), {}, True),
    ("depth_to_space", "depth_to_space", (_f(1, 2, 3, 8), 2), {}, True),
    ("space_to_depth", "space_to_depth", (_f(1, 4, 6, 2), 2), {}, True),
    ("unfold", "unfold", (_f(2, 3, 5, 6), 2), {"stride": (1, 2), "padding": 1}, True),
    ("fold", "fold", (_f(2, 12, 9), (4, 4), 2), {"stride": 1}, True),
    ("fold-strided", "fold", (_f(1, 8, 12), (5, 7), 2), {"stride": 2, "padding": 1}, True),
    # encodings and losses
    ("one_hot", "one_hot", (IDS, 4), {}, False),
    ("one_hot-axis0", "one_hot", (np.array([0, 2, 1, 3]), 4), {"axis": 0}, False),
    ("multi_hot", "multi_hot", (IDS, 5), {}, False),
    ("bce", "binary_crossentropy", (_f(3, 4, low=0, high=1), _f(3, 4, low=0.05, high=0.95)),
     {}, True),
    ("bce-logits", "binary_crossentropy", (_f(3, 4, low=0, high=1), _f(3, 4)),
     {"from_logits": True}, True),
    ("cce", "categorical_crossentropy", (np.eye(4, dtype=np.float32)[[0, 2, 3]],
                                         _f(3, 4, low=0.1, high=1)), {}, True),
    ("cce-logits", "categorical_crossentropy", (np.eye(4, dtype=np.float32)[[0, 2, 3]],
                                                _f(3, 4)), {"from_logits": True}, True),
    ("scce", "sparse_categorical_crossentropy", (np.array([0, 2, 3]), _f(3, 4)),
     {"from_logits": True}, True),
    # normalization
    ("moments", "moments", (X, (0, 2)), {}, True),
    ("moments-keepdims", "moments", (X, [1]), {"keepdims": True}, True),
    ("batch_normalization", "batch_normalization",
     (X, _f(4), _f(4, low=0.5, high=2), -1), {"offset": _f(4), "scale": _f(4)}, True),
    ("normalize", "normalize", (X,), {}, True),
    ("normalize-l1", "normalize", (X,), {"order": 1, "axis": 1}, True),
    ("layer_normalization", "layer_normalization", (X, _f(4), _f(4)), {}, True),
    ("rms_normalization", "rms_normalization", (X, _f(4)), {}, True),
    ("psnr", "psnr", (IMG, _f(2, 5, 6, 3, low=0, high=1), 1.0), {}, True),
    ("attention", "dot_product_attention", (_f(2, 3, 2, 4), _f(2, 5, 2, 4), _f(2, 5, 2, 4)),
     {}, True),
    ("attention-causal", "dot_product_attention", (_f(2, 4, 2, 4), _f(2, 4, 2, 4),
                                                   _f(2, 4, 2, 4)), {"is_causal": True}, True),
    ("attention-bias", "dot_product_attention",
     (_f(2, 3, 2, 4), _f(2, 5, 2, 4), _f(2, 5, 2, 4), _f(2, 2, 3, 5)), {"scale": 0.7}, True),
    ("attention-mask", "dot_product_attention",
     (_f(2, 3, 2, 4), _f(2, 5, 2, 4), _f(2, 5, 2, 4)),
     {"mask": np.array([[[[1, 0, 1, 1, 0], [1, 1, 0, 1, 1], [1, 0, 0, 1, 1]]],
                        [[[1, 1, 0, 0, 1], [0, 1, 1, 1, 0], [1, 1, 1, 0, 1]]]], bool),
      "is_causal": True}, True),
    ("attention-gqa", "dot_product_attention", (_f(1, 3, 4, 4), _f(1, 5, 2, 4), _f(1, 5, 2, 4)),
     {}, True),
    ("ctc_loss", "ctc_loss", (np.array([[1, 2, 2], [3, 1, 0]]), _f(2, 8, 5), np.array([3, 2]),
                              np.array([8, 6])), {}, True),
    ("ctc_decode", "ctc_decode", (_f(2, 8, 5), np.array([8, 6])), {}, False),
    # math
    ("segment_sum", "segment_sum", (_f(5, 3), np.array([0, 0, 2, 1, 2])), {}, True),
    ("segment_sum-n", "segment_sum", (_f(5, 3), np.array([0, 0, 2, 1, 2])),
     {"num_segments": 4}, True),
    ("segment_max", "segment_max", (_f(5, 3), np.array([0, 0, 2, 1, 2])), {}, True),
    ("top_k", "top_k", (_f(3, 6), 3), {}, True),
    ("in_top_k", "in_top_k", (np.array([0, 3, 5]), _f(3, 6), 2), {}, False),
    ("logsumexp", "logsumexp", (X,), {"axis": 1}, True),
    ("logsumexp-all", "logsumexp", (X,), {}, True),
    ("erf", "erf", (X,), {}, True),
    ("erfinv", "erfinv", (_f(3, 4, low=-0.95, high=0.95),), {}, True),
    ("rsqrt", "rsqrt", (_f(3, 4, low=0.5, high=3),), {}, True),
    ("extract_sequences", "extract_sequences", (_f(2, 10), 4, 3), {}, True),
    ("fft", "fft", ((_f(2, 8), _f(2, 8)),), {}, True),
    ("fft2", "fft2", ((_f(2, 4, 6), _f(2, 4, 6)),), {}, True),
    ("ifft2", "ifft2", ((_f(2, 4, 6), _f(2, 4, 6)),), {}, True),
    ("rfft", "rfft", (_f(2, 9),), {}, True),
    ("rfft-len", "rfft", (_f(2, 9),), {"fft_length": 12}, True),
    ("irfft", "irfft", ((_f(2, 5), _f(2, 5)),), {}, True),
    ("irfft-len", "irfft", ((_f(2, 5), _f(2, 5)),), {"fft_length": 9}, True),
    ("stft", "stft", (_f(2, 32), 8, 4, 8), {}, True),
    ("stft-nocenter", "stft", (_f(32), 6, 3, 8), {"center": False, "window": "hamming"}, True),
    ("istft", "istft", ((_f(2, 9, 5), _f(2, 9, 5)), 8, 4, 8), {}, True),
    ("logdet", "logdet", (np.eye(3, dtype=np.float32) * 2 + 0.1 * _f(3, 3) @ _f(3, 3).T,),
     {}, True),
    ("cdist", "cdist", (_f(3, 2), _f(4, 2)), {}, True),
    # image
    ("resize-bilinear-up", "resize", (IMG, (8, 9)), {}, True),
    ("resize-bilinear-down", "resize", (_f(1, 9, 10, 2), (4, 3)), {}, True),
    ("resize-bilinear-aa", "resize", (_f(1, 9, 10, 2), (4, 3)), {"antialias": True}, True),
    ("resize-nearest", "resize", (IMG, (7, 4)), {"interpolation": "nearest"}, True),
    ("resize-bicubic", "resize", (IMG, (8, 4)), {"interpolation": "bicubic"}, True),
    ("resize-bicubic-aa", "resize", (_f(1, 9, 10, 2), (4, 3)),
     {"interpolation": "bicubic", "antialias": True}, True),
    ("resize-crop", "resize", (IMG, (4, 4)), {"crop_to_aspect_ratio": True}, True),
    ("resize-pad", "resize", (IMG, (4, 2)), {"pad_to_aspect_ratio": True}, True),
    ("resize-cf", "resize", (IMG[0].transpose(2, 0, 1).copy(), (3, 4)),
     {"data_format": "channels_first"}, True),
    ("extract_patches", "extract_patches", (IMG, 2), {}, True),
    ("extract_patches-same", "extract_patches", (IMG, (2, 3)), {"strides": 1,
                                                                "padding": "same"}, True),
    ("crop_images", "crop_images", (IMG,), {"top_cropping": 1, "left_cropping": 2,
                                            "target_height": 3, "target_width": 2}, True),
    ("pad_images", "pad_images", (IMG,), {"top_padding": 1, "bottom_padding": 2,
                                          "left_padding": 0, "target_width": 8}, True),
    ("rgb_to_grayscale", "rgb_to_grayscale", (IMG,), {}, True),
    ("rgb_to_hsv", "rgb_to_hsv", (IMG,), {}, True),
    ("hsv_to_rgb", "hsv_to_rgb", (IMG,), {}, True),
    ("affine", "affine_transform", (IMG[0], np.array([1.1, 0.2, -0.5, -0.1, 0.9, 0.7, 0, 0],
                                                     np.float32)), {}, (0,)),
    ("affine-nearest-wrap", "affine_transform",
     (IMG, np.array([[0.8, 0.1, 1.5, 0.1, 1.2, -0.7, 0, 0]] * 2, np.float32)),
     {"interpolation": "nearest", "fill_mode": "wrap"}, (0,)),
    ("affine-reflect", "affine_transform",
     (IMG, np.array([[1.3, 0.2, -1.5, 0.1, 1.2, -0.7, 0, 0]] * 2, np.float32)),
     {"fill_mode": "reflect"}, (0,)),
    ("affine-mirror", "affine_transform",
     (IMG, np.array([[1.3, 0.2, -1.5, 0.1, 1.2, -0.7, 0, 0],
                     [0.9, -0.1, 0.5, 0.2, 0.8, 1.1, 0, 0]], np.float32)),
     {"fill_mode": "mirror"}, (0,)),
    ("map_coordinates", "map_coordinates", (_f(4, 5), _f(2, 3, 3, low=-1, high=5), 1), {}, True),
    ("map_coordinates-nearest", "map_coordinates", (_f(4, 5), _f(2, 6, low=-1, high=5), 0),
     {"fill_mode": "nearest"}, True),
    # Keras 3.15 on torch treats data_format=None as channels_first in these two; pass it
    ("gaussian_blur", "gaussian_blur", (IMG,), {"data_format": "channels_last"}, True),
    ("gaussian_blur-5", "gaussian_blur", (IMG,), {"kernel_size": (5, 5), "sigma": (1.5, 1.5),
                                                  "data_format": "channels_last"}, True),
    ("sobel_edges", "sobel_edges", (IMG,), {"data_format": "channels_last"}, True),
    ("extract_patches_3d", "extract_patches_3d", (VOL, 2), {}, True),
    ("extract_patches_3d-same", "extract_patches_3d", (VOL, (2, 3, 2)),
     {"strides": (1, 2, 2), "padding": "same"}, True),
    ("perspective", "perspective_transform",
     (IMG, np.array([[0, 0], [5, 0], [0, 4], [5, 4]], np.float32),
      np.array([[0.5, 0.2], [4.6, 0.4], [0.3, 3.5], [4.8, 3.9]], np.float32)), {}, (0,)),
    ("ssim", "ssim", (_f(2, 12, 13, 2, low=0, high=1), _f(2, 12, 13, 2, low=0, high=1)),
     {}, True),
    ("ssim-small", "ssim", (IMG[0], IMG[1]), {"filter_size": 3, "max_val": 2.0}, True),
]


IMAGE = {"resize", "extract_patches", "crop_images", "pad_images", "rgb_to_grayscale",
         "rgb_to_hsv", "hsv_to_rgb", "affine_transform", "map_coordinates", "gaussian_blur",
         "sobel_edges", "extract_patches_3d", "perspective_transform", "ssim"}


def _flat(out):
    if isinstance(out, tuple | list):
        return [o for item in out for o in _flat(item)]
    return [out]


def _to_torch(a, grad):
    if isinstance(a, tuple):
        return tuple(_to_torch(x, grad) for x in a)
    if isinstance(a, np.ndarray):
        t = torch.tensor(a)
        return t.requires_grad_(grad and a.dtype.kind == "f") if a.dtype.kind == "f" else t
    return a


def _to_dw(a, grad):
    if isinstance(a, tuple):
        return tuple(_to_dw(x, grad) for x in a)
    if isinstance(a, np.ndarray):
        return dw.tensor(a, requires_grad=grad and a.dtype.kind == "f")
    return a


def _leaves(args):
    out = []
    for a in args:
        if isinstance(a, tuple):
            out.extend(_leaves(a))
        elif getattr(a, "requires_grad", False):
            out.append(a)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(case):
    _, name, args, kwargs, differentiable = case
    grad_at = range(len(args)) if differentiable is True else differentiable or ()
    k_args = [_to_torch(a, i in grad_at) for i, a in enumerate(args)]
    k_kwargs = {k: _to_torch(v, False) for k, v in kwargs.items()}
    k_ops, d_ops = (keras.ops.image, dops.image) if name in IMAGE else (keras.ops, dops)
    with kr.quiet():
        k_out = _flat(getattr(k_ops, name)(*k_args, **k_kwargs))
    d_args = [_to_dw(a, i in grad_at) for i, a in enumerate(args)]
    d_out = _flat(getattr(d_ops, name)(*d_args, **kwargs))
    assert len(d_out) == len(k_out)
    weights = []
    for k, d in zip(k_out, d_out, strict=True):
        k_np = kr.to_numpy(k)
        assert d.shape == k_np.shape, name
        if k_np.dtype.kind == "f":
            np.testing.assert_allclose(d.numpy(), k_np, rtol=2e-5, atol=2e-5)
            weights.append(RNG.uniform(-1, 1, k_np.shape).astype(np.float32))
        else:
            np.testing.assert_array_equal(d.numpy(), k_np)
            weights.append(None)
    if not differentiable:
        return
    k_terms = [(k * torch.tensor(w)).sum() for k, w in zip(k_out, weights, strict=True)
               if w is not None and k.requires_grad]
    d_terms = [(d * w).sum() for d, w in zip(d_out, weights, strict=True) if w is not None]
    k_leaves, d_leaves = _leaves(k_args), _leaves(d_args)
    torch.stack(k_terms).sum().backward()
    total = d_terms[0]
    for term in d_terms[1:]:
        total = total + term
    total.backward()
    for k, d in zip(k_leaves, d_leaves, strict=True):
        k_grad = np.zeros(k.shape, np.float32) if k.grad is None else k.grad.numpy()
        d_grad = np.zeros(d.shape, np.float32) if d.grad is None else d.grad.numpy()
        np.testing.assert_allclose(d_grad, k_grad, rtol=1e-4, atol=1e-4)


def _keras_names(module_name):
    if module_name == "image":
        return {n for n in dir(keras.ops.image) if not n.startswith("_")}
    source = f"keras.src.ops.{module_name}"
    return {n for n in dir(keras.ops) if not n.startswith("_")
            and getattr(getattr(keras.ops, n), "__module__", "") == source}


@pytest.mark.parametrize("module_name", ["nn", "math", "image"])
def test_every_keras_name_is_provided_or_listed(module_name):
    ours = set(getattr(dops, module_name).__all__)
    listed = {k.split(".", 1)[1] for k in dops.UNSUPPORTED if k.startswith(module_name + ".")}
    keras_names = _keras_names(module_name)
    assert keras_names, module_name
    assert not keras_names - ours - listed, sorted(keras_names - ours - listed)
    assert not ours - keras_names, sorted(ours - keras_names)
    assert not listed & ours


def test_fully_masked_query_averages_values_as_keras():
    # values only: Keras' gradient there comes from its masked logits rounding to one value
    # (the softmax Jacobian of a constant row), while the output does not depend on the query
    q, k, v = _f(1, 2, 1, 3), _f(1, 3, 1, 3), _f(1, 3, 1, 3)
    mask = np.array([[[[False, False, False], [True, False, True]]]])
    with kr.quiet():
        expected = kr.to_numpy(keras.ops.dot_product_attention(
            *(torch.tensor(a) for a in (q, k, v)), mask=torch.tensor(mask)))
    out = dops.dot_product_attention(q, k, v, mask=mask).numpy()
    np.testing.assert_allclose(out, expected, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(out[0, 0, 0], v[0, :, 0].mean(0), rtol=1e-5)
