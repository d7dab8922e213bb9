"""keras.ops.nn, keras.ops.math and keras.ops.image without Keras: behaviour, gradients and
errors (tests/keras/ops/test_ops_nn_vs_keras.py compares the same functions with Keras 3)."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import ops

RNG = np.random.default_rng(0)


def _f(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def test_namespaces_match_keras_layout():
    # the top-level names wrap the submodules' functions (they record calls on KerasTensors)
    assert ops.relu.__wrapped__ is ops.nn.relu
    assert ops.segment_sum.__wrapped__ is ops.math.segment_sum
    assert not hasattr(ops, "resize") and callable(ops.image.resize)
    assert set(ops.nn.__all__) <= set(ops.__all__)
    for module in (ops.nn, ops.math, ops.image):
        assert all(callable(getattr(module, n)) for n in module.__all__)


def test_activations_take_arrays_lists_and_ints():
    assert ops.relu([-1.0, 2.0]).tolist() == [0.0, 2.0]
    assert ops.relu(np.array([-1, 2])).dtype == np.float32  # ints become floatx
    np.testing.assert_allclose(ops.gelu(np.array([1.0], np.float32)).numpy(), [0.841192],
                               rtol=1e-5)  # keras.ops.gelu: tanh form by default
    np.testing.assert_allclose(ops.gelu(np.array([1.0], np.float32), approximate=False).numpy(),
                               [0.841345], rtol=1e-5)


def test_sparsemax_is_the_simplex_projection():
    x = dw.tensor(_f(4, 5), requires_grad=True)
    out = ops.sparsemax(x)
    np.testing.assert_allclose(out.numpy().sum(-1), 1.0, rtol=1e-6)
    assert (out.numpy() >= 0).all()
    np.testing.assert_allclose(ops.sparsemax([0.3, 0.5, -1.0]).numpy(), [0.4, 0.6, 0.0],
                               atol=1e-7)


def test_softmax_over_all_axes():
    out = ops.softmax(_f(2, 3), axis=None)
    assert out.numpy().sum() == pytest.approx(1.0)


def test_conv3d_equals_stacked_conv2d_for_depth_one_kernel():
    x, k = _f(1, 3, 4, 4, 2), _f(1, 2, 2, 2, 3)
    out = ops.conv(x, k)
    ref = np.stack([dw.nn.conv2d(x[:, d], k[0]).numpy() for d in range(3)], axis=1)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_conv_gradcheck_3d_and_channels_first():
    x = dw.tensor(_f(1, 3, 3, 3, 1).astype(np.float64), requires_grad=True)
    k = dw.tensor(_f(2, 2, 2, 1, 2).astype(np.float64), requires_grad=True)
    assert dw.gradcheck(lambda a, b: ops.conv(a, b, padding="same", strides=2), [x, k])
    xc = dw.tensor(_f(1, 2, 4, 4).astype(np.float64), requires_grad=True)
    kc = dw.tensor(_f(2, 2, 2, 3).astype(np.float64), requires_grad=True)
    assert dw.gradcheck(lambda a, b: ops.conv(a, b, data_format="channels_first"), [xc, kc])


def test_fold_is_the_adjoint_of_unfold():
    x = _f(1, 2, 4, 5)
    cols = ops.unfold(x, 2, padding=1, stride=(2, 1))
    assert cols.shape == (1, 8, 3 * 6)  # 2 * 2 * 2 values per window, 3 x 6 windows
    y = _f(*cols.shape)
    back = ops.fold(y, (4, 5), 2, padding=1, stride=(2, 1))
    assert float((cols.numpy() * y).sum()) == pytest.approx(float((x * back.numpy()).sum()),
                                                            rel=1e-5)


def test_one_hot_and_multi_hot():
    np.testing.assert_array_equal(ops.one_hot([0, 2, -1, 5], 3).numpy(),
                                  [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert ops.one_hot([1], 3, dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(ops.multi_hot([[0, 2, 2], [1, 1, 1]], 3).numpy(),
                                  [[1, 0, 1], [0, 1, 0]])
    with pytest.raises(ValueError, match="one_hot: deltaw has no sparse tensors"):
        ops.one_hot([1], 3, sparse=True)


def test_ctc_loss_gradcheck_and_decode():
    logits = dw.tensor(_f(2, 5, 4).astype(np.float64), requires_grad=True)
    labels, ll, il = np.array([[1, 2], [3, 3]]), np.array([2, 2]), np.array([5, 4])
    assert dw.gradcheck(lambda z: ops.ctc_loss(labels, z, ll, il), [logits])
    scores = np.full((1, 5, 3), -5.0, np.float32)
    scores[0, np.arange(5), [1, 1, 0, 2, 2]] = 0.0
    decoded, logp = ops.ctc_decode(scores, np.array([5]))
    assert decoded.numpy().tolist() == [[[1, 2, -1, -1, -1]]]
    assert logp.numpy().item() == 0.0
    with pytest.raises(ValueError, match="ctc_decode: only strategy='greedy'"):
        ops.ctc_decode(scores, np.array([5]), strategy="beam_search")


def test_attention_matches_written_out_softmax():
    q, k, v = _f(1, 2, 1, 3), _f(1, 4, 1, 3), _f(1, 4, 1, 3)
    out = ops.dot_product_attention(q, k, v).numpy()[:, :, 0]
    s = q[:, :, 0] @ k[:, :, 0].transpose(0, 2, 1) / np.sqrt(3)
    w = np.exp(s - s.max(-1, keepdims=True))
    np.testing.assert_allclose(out, (w / w.sum(-1, keepdims=True)) @ v[:, :, 0], rtol=1e-5)
    with pytest.raises(ValueError, match="dot_product_attention: expected query, key and value"):
        ops.dot_product_attention(q[0, 0], k[0, 0], v[0, 0])


def test_normalizations():
    x = _f(3, 4)
    np.testing.assert_allclose(np.linalg.norm(ops.normalize(x).numpy(), axis=-1), 1, rtol=1e-6)
    rms = ops.rms_normalization(x).numpy()
    np.testing.assert_allclose((rms ** 2).mean(-1), 1, rtol=1e-5)
    mean, var = ops.moments(x, axes=[0])
    np.testing.assert_allclose(mean.numpy(), x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(var.numpy(), x.var(0), rtol=1e-5)
    assert ops.psnr(x, x + 0.1, 1.0).item() == pytest.approx(20.0, rel=1e-4)


def test_segments_top_k_in_top_k():
    data = dw.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    out = ops.segment_sum(data, [1, 1, 0], num_segments=3)
    np.testing.assert_array_equal(out.numpy(), [[4, 5], [2, 4], [0, 0]])
    out.sum().backward()
    np.testing.assert_array_equal(data.grad.numpy(), np.ones((3, 2)))
    np.testing.assert_array_equal(ops.segment_max(data, [1, 1, 0]).numpy(), [[4, 5], [2, 3]])
    values, idx = ops.top_k([[1.0, 3.0, 2.0]], 2)
    assert values.tolist() == [[3.0, 2.0]] and idx.tolist() == [[1, 2]]
    assert ops.in_top_k([2, 0], [[1.0, 3.0, 2.0], [1.0, 3.0, 2.0]], 2).tolist() == [True, False]
    with pytest.raises(ValueError, match="top_k: k must be in"):
        ops.top_k([1.0], 3)
    with pytest.raises(ValueError, match="segment_sum: segment_ids must be 1-D"):
        ops.segment_sum(np.ones((3, 2)), [0, 1])


def test_fft_family_against_numpy():
    re, im = _f(2, 8).astype(np.float64), _f(2, 8).astype(np.float64)
    r, i = ops.fft((re, im))
    np.testing.assert_allclose(r.numpy() + 1j * i.numpy(), np.fft.fft(re + 1j * im), atol=1e-12)
    r, i = ops.rfft(re, fft_length=10)
    np.testing.assert_allclose(r.numpy() + 1j * i.numpy(), np.fft.rfft(re, 10), atol=1e-12)
    spec = np.fft.rfft(re)
    back = ops.irfft((spec.real, spec.imag), 8).numpy()
    np.testing.assert_allclose(back, re, atol=1e-12)
    x = _f(64).astype(np.float64)
    rec = ops.istft(ops.stft(x, 16, 4, 16), 16, 4, 16, length=64).numpy()
    np.testing.assert_allclose(rec, x, atol=1e-10)
    with pytest.raises(ValueError, match="fft: expected a \\(real, imag\\) tuple"):
        ops.fft(re)


def test_special_functions():
    x = np.array([-0.9, -0.2, 0.0, 0.5, 0.99])
    np.testing.assert_allclose(ops.erf(ops.erfinv(x)).numpy(), x, rtol=1e-12, atol=1e-14)
    assert np.isinf(ops.erfinv(np.array([1.0])).numpy()).all()
    assert ops.logdet(np.diag([2.0, 3.0])).item() == pytest.approx(np.log(6.0))
    assert np.isnan(ops.logdet(np.diag([-2.0, 3.0])).item())
    np.testing.assert_allclose(ops.rsqrt([4.0]).numpy(), [0.5])


def test_resize_identity_and_gradcheck():
    img = _f(1, 4, 5, 2)
    np.testing.assert_allclose(ops.image.resize(img, (4, 5)).numpy(), img, rtol=1e-6)
    x = dw.tensor(img.astype(np.float64), requires_grad=True)
    assert dw.gradcheck(lambda a: ops.image.resize(a, (3, 7), interpolation="bicubic"), [x])
    u8 = (RNG.random((4, 4, 3)) * 255).astype(np.uint8)
    out = ops.image.resize(u8, (2, 2))
    assert out.dtype == np.uint8 and out.shape == (2, 2, 3)
    with pytest.raises(ValueError, match="resize: unknown interpolation 'lanczos3'"):
        ops.image.resize(img, (2, 2), interpolation="lanczos3")


def test_colour_round_trip_and_grayscale():
    img = _f(2, 3, 4, 3, low=0.0, high=1.0)
    back = ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(img)).numpy()
    np.testing.assert_allclose(back, img, atol=1e-6)
    grey = ops.image.rgb_to_grayscale(img.transpose(0, 3, 1, 2), data_format="channels_first")
    assert grey.shape == (2, 1, 3, 4)
    with pytest.raises(ValueError, match="rgb_to_hsv: expected 3 channels; got 4"):
        ops.image.rgb_to_hsv(_f(2, 2, 4))


def test_crop_pad_patches_and_sampling():
    img = _f(5, 6, 2)
    padded = ops.image.pad_images(img, 1, 2, target_height=8, target_width=9)
    assert padded.shape == (8, 9, 2)
    cropped = ops.image.crop_images(padded, 1, 2, target_height=5, target_width=6)
    np.testing.assert_array_equal(cropped.numpy(), img)
    with pytest.raises(ValueError, match="pad_images: bottom_padding must be >= 0"):
        ops.image.pad_images(img, 4, 0, target_height=6, target_width=6)
    patches = ops.image.extract_patches(img[None], 2)
    assert patches.shape == (1, 2, 3, 8)
    np.testing.assert_array_equal(patches.numpy()[0, 0, 0], img[:2, :2].reshape(-1))
    grid = np.array([[0.0, 1.5], [2.0, 0.5]])
    out = ops.image.map_coordinates(np.arange(9.0).reshape(3, 3), grid, 1)
    np.testing.assert_allclose(out.numpy(), [2.0, 5.0])  # 3 * row + col
    identity = [1, 0, 0, 0, 1, 0, 0, 0]
    np.testing.assert_allclose(ops.image.affine_transform(img, identity).numpy(), img)
    with pytest.raises(ValueError, match="map_coordinates: unknown fill_mode 'edge'"):
        ops.image.map_coordinates(img, [grid[0]] * 3, 1, fill_mode="edge")


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="conv: kernel shape"):
        ops.conv(_f(1, 4, 4, 3), _f(2, 2, 2, 4))
    with pytest.raises(ValueError, match="max_pool: expected an input of rank 3 to 5"):
        ops.max_pool(_f(4, 4), 2)
    with pytest.raises(ValueError, match="conv: unknown data_format 'nhwc'"):
        ops.conv(_f(1, 4, 4, 3), _f(2, 2, 3, 4), data_format="nhwc")
    with pytest.raises(ValueError, match="glu: the size of axis -?\\d+ must be even"):
        ops.glu(_f(2, 3))
    with pytest.raises(ValueError, match="depth_to_space: channels must be divisible"):
        ops.depth_to_space(_f(1, 2, 2, 3), 2)


def test_elastic_transform_seeded_and_identity_at_alpha_zero():
    img = _f(2, 6, 7, 3, low=0.0, high=1.0)
    a = ops.image.elastic_transform(img, alpha=3.0, sigma=1.0, seed=4)
    b = ops.image.elastic_transform(img, alpha=3.0, sigma=1.0, seed=4)
    assert a.shape == img.shape
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), img)
    np.testing.assert_allclose(ops.image.elastic_transform(img, alpha=0.0, seed=1).numpy(), img,
                               rtol=1e-6)


def test_ssim_of_identical_images_is_one():
    img = _f(12, 12, 2, low=0.0, high=1.0)
    assert ops.image.ssim(img, img).item() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="ssim: the images must have the same shape"):
        ops.image.ssim(img, img[:11])
