"""Normalization, Rescaling, Resizing and CenterCrop without Keras: harness rows (gradients flow
through them), adapt results, layouts and errors."""

import json

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
from deltaw.keras.layers.preprocessing import image_utils as iu
from tests.keras.harness import check_layer

L = dk.layers
RNG = np.random.default_rng(0)


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", [
    (L.Rescaling, {"scale": 0.5, "offset": 1.0}, (2, 3), (2, 3)),
    (L.Rescaling, {"scale": [1.0, 2.0, 3.0]}, (2, 2, 3), (2, 2, 3)),
    (L.Normalization, {"mean": [1.0, 2.0], "variance": [4.0, 0.25]}, (3, 2), (3, 2)),
    (L.Normalization, {"mean": 1.0, "variance": 4.0, "invert": True}, (3, 2), (3, 2)),
    (L.Resizing, {"height": 3, "width": 2}, (2, 4, 5, 1), (2, 3, 2, 1)),
    (L.Resizing, {"height": 5, "width": 4, "crop_to_aspect_ratio": True}, (1, 3, 4, 2),
     (1, 5, 4, 2)),
    (L.Resizing, {"height": 2, "width": 4, "pad_to_aspect_ratio": True}, (1, 3, 3, 1),
     (1, 2, 4, 1)),
    (L.CenterCrop, {"height": 2, "width": 3}, (2, 4, 5, 1), (2, 2, 3, 1)),
    (L.CenterCrop, {"height": 5, "width": 3}, (1, 4, 4, 1), (1, 5, 3, 1)),
], ids=["rescaling", "rescaling-per-channel", "normalization", "normalization-invert",
        "resizing", "resizing-crop", "resizing-pad", "center-crop", "center-crop-resize"])
def test_layer_harness(cls, kwargs, shape, out_shape):
    check_layer(cls, kwargs, input_shape=shape, expected_output_shape=out_shape, train=False)


def test_normalization_adapt_gives_mean_and_variance():
    data = RNG.normal(2.0, 3.0, (50, 4)).astype(np.float32)
    layer = L.Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), data.var(0), rtol=1e-5)
    out = layer(data).numpy()
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1, rtol=1e-4)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == [] and layer.count.numpy() == 0


def test_normalization_adapt_on_batches_pools_exactly():
    data = RNG.normal(size=(30, 2, 3)).astype(np.float32)
    whole, pooled = L.Normalization(axis=(1, 2)), L.Normalization(axis=(1, 2))
    whole.adapt(data)
    pooled.adapt((data[i:i + 7], None) for i in range(0, 30, 7))  # (x, y) batches
    for a, b in zip(whole.get_weights(), pooled.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_normalization_axis_none_and_constant_feature():
    layer = L.Normalization(axis=None)
    layer.adapt(np.array([[1.0, 3.0], [1.0, 3.0]]))
    assert layer.adapt_mean.shape == ()
    np.testing.assert_allclose(layer(np.array([[3.0]])).numpy(), [[1.0]])
    constant = L.Normalization()
    constant.adapt(np.ones((4, 1)))
    assert np.isfinite(constant(np.ones((2, 1))).numpy()).all()   # max(sqrt(0), epsilon)


def test_normalization_in_model_saves_and_loads(tmp_path):
    x = RNG.normal(5.0, 2.0, (16, 3)).astype(np.float32)
    norm = L.Normalization()
    norm.adapt(x)
    model = dk.Sequential([dk.Input((3,)), norm, L.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = dk.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        L.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match=r"axis must be in|every axis"):
        L.Normalization(axis=3)(np.ones((2, 2)))
    with pytest.raises(ValueError, match="adapt got a batch of shape"):
        layer = L.Normalization()
        layer.adapt([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="empty iterable"):
        L.Normalization().adapt([])
    with pytest.raises(TypeError, match="adapt expects"):
        L.Normalization().adapt(3.0)
    with pytest.raises(ValueError, match="cannot change a mean"):
        L.Normalization(mean=0.0, variance=1.0).adapt(np.ones((2, 1)))


def test_rescaling_casts_integer_images_and_config_round_trips():
    out = L.Rescaling(1 / 255)(np.array([[0, 255]], dtype=np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[0.0, 1.0]])
    layer = L.Rescaling(np.array([1.0, 2.0]), offset=0.5)
    config = json.loads(json.dumps(layer.get_config()))
    np.testing.assert_allclose(L.Rescaling.from_config(config)(np.ones((1, 2))).numpy(),
                               [[1.5, 2.5]])
    keras_numpy = {"class_name": "__numpy__", "config": {"value": [2.0], "dtype": "float32"}}
    assert L.Rescaling.from_config({"scale": keras_numpy, "offset": 0.0})(
        np.ones((1, 1))).numpy()[0, 0] == 2.0
    with pytest.raises(ValueError, match="scale must be a number"):
        L.Rescaling("big")


def test_resize_values_half_pixel_centres():
    x = dw.tensor(np.arange(4.0).reshape(1, 1, 4, 1))
    np.testing.assert_allclose(iu.resize_images(x, 1, 2).numpy().ravel(), [0.5, 2.5])
    np.testing.assert_allclose(iu.resize_images(x, 1, 8).numpy().ravel(),
                               [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
    np.testing.assert_allclose(iu.resize_images(x, 1, 2, "nearest").numpy().ravel(), [1, 3])
    with pytest.raises(ValueError, match="interpolation must be one of"):
        iu.resize_images(x, 1, 2, "bicubic")


def test_resizing_layouts_and_unbatched():
    x = RNG.uniform(size=(2, 5, 6, 3)).astype(np.float32)
    last = L.Resizing(3, 4)(x).numpy()
    first = L.Resizing(3, 4, data_format="channels_first")(x.transpose(0, 3, 1, 2)).numpy()
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, rtol=1e-6)
    np.testing.assert_allclose(L.Resizing(3, 4)(x[0]).numpy(), last[0], rtol=1e-6)
    assert L.CenterCrop(2, 2, data_format="channels_first").compute_output_shape(
        (None, 3, 5, 6)) == (None, 3, 2, 2)


def test_resizing_and_center_crop_errors():
    with pytest.raises(ValueError, match="height must be a positive integer"):
        L.Resizing(0, 3)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        L.Resizing(2, 2, interpolation="lanczos3")
    with pytest.raises(ValueError, match="only one of crop_to_aspect_ratio"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="antialias=True is not supported"):
        L.Resizing(2, 2, antialias=True)
    with pytest.raises(ValueError, match="data_format must be"):
        L.CenterCrop(2, 2, data_format="nhwc")
    with pytest.raises(ValueError, match="rank 4 or one image of rank 3"):
        L.CenterCrop(2, 2)(np.ones((2, 3)))


def test_mel_spectrogram_of_a_tone_peaks_at_its_band():
    from deltaw.keras.layers.preprocessing.audio import linear_to_mel_weight_matrix, stft
    rate = 8000
    t = np.arange(4000) / rate
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    layer = L.MelSpectrogram(fft_length=256, sequence_stride=128, sampling_rate=rate,
                             num_mel_bins=20, power_to_db=False)
    out = layer(tone[None]).numpy()
    assert out.shape == (1, 20, 32) == layer.compute_output_shape((1, 4000))
    weights = linear_to_mel_weight_matrix(20, 129, rate, 20.0, 4000)
    assert out[0].mean(axis=1).argmax() == weights[32].argmax()   # bin 32 = 1000 Hz
    spectrum = np.abs(stft(tone, 256, 128, 256))
    assert spectrum.shape == (32, 129) and spectrum[5].argmax() == 32
    np.testing.assert_allclose(weights.max(axis=0), 1.0, atol=0.2)      # triangles peak near 1
    db = L.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=20, top_db=30.0)
    out_db = db(tone[None]).numpy()
    assert out_db.max() - out_db.min() <= 30.0 + 1e-4


def test_mel_spectrogram_errors():
    with pytest.raises(ValueError, match="fft_length must be at least sequence_length"):
        L.MelSpectrogram(fft_length=64, sequence_length=128)
    with pytest.raises(ValueError, match="window must be"):
        L.MelSpectrogram(window="blackman")
    with pytest.raises(ValueError, match="longer than fft_length // 2"):
        L.MelSpectrogram(fft_length=256)(np.zeros((1, 100)))


def test_stft_spectrogram_windows_gradients_and_a_tone():
    from deltaw.keras.layers.preprocessing.audio import _named_window
    for name, reference in (("hann", np.hanning), ("hamming", np.hamming),
                            ("blackman", np.blackman)):
        np.testing.assert_allclose(_named_window("w", name, 9, False), reference(9), atol=1e-12)
        np.testing.assert_allclose(_named_window("w", name, 8, True), reference(9)[:8],
                                   atol=1e-12)     # periodic: the symmetric one of n + 1
    check_layer(L.STFTSpectrogram, {"mode": "magnitude", "frame_length": 8, "frame_step": 4},
                input_shape=(2, 16, 1), expected_output_shape=(2, 3, 5),
                expected_num_trainable_weights=2, train=False)
    tone = np.sin(2 * np.pi * 8 * np.arange(64) / 64)[None, :, None].astype(np.float32)
    out = L.STFTSpectrogram(mode="magnitude", frame_length=32, frame_step=16,
                            window="boxcar", scaling=None)(tone).numpy()
    assert out.shape == (1, 3, 17)
    assert (out.argmax(axis=-1) == 4).all()     # 8 cycles in 64 samples: bin 32 * 8 / 64
    np.testing.assert_allclose(out[0, :, 4], 16.0, rtol=1e-4)


def test_stft_spectrogram_errors():
    with pytest.raises(ValueError, match="frame_step must be a positive int not greater"):
        L.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="fft_length must be at least"):
        L.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match="mode must be one of"):
        L.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="window must be one of"):
        L.STFTSpectrogram(window="kaiser")
