"""Preprocessing layers against Keras 3 (PyTorch backend): outputs, adapt results and configs.

Deterministic layers are compared output to output. Random layers are compared with draws
made deterministic (a factor range of one value: a fixed zoom, shift, rotation, brightness)
and by behaviour; the warping sampler is compared with `keras.ops.image.affine_transform` on
fixed matrices. Hashing, the lookups and TextVectorization need TensorFlow in Keras, so they
are compared in test_text_and_lookup.py with the outputs Keras documents. Skipped without
keras/torch.
"""

import numpy as np
import pytest

import deltaw.keras as dk
from deltaw.keras.layers.preprocessing import image_transform as it
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (2, 7, 9, 3)).astype(np.float32)
IMAGES_WITH_FLAT_CHANNEL = IMAGES.copy()
IMAGES_WITH_FLAT_CHANNEL[1, :, :, 2] = 7.0     # AutoContrast leaves a constant channel as is


def _both(cls_name, kwargs, x, **call):
    k_layer = getattr(keras.layers, cls_name)(**kwargs)
    d_layer = getattr(dk.layers, cls_name)(**kwargs)
    with kr.quiet():
        expected = kr.to_numpy(k_layer(x, **call))
    return k_layer, d_layer, expected, d_layer(x, **call).numpy()


DETERMINISTIC = [
    ("rescaling", "Rescaling", {"scale": 1 / 255, "offset": -0.5}, IMAGES),
    ("rescaling-per-channel", "Rescaling", {"scale": [0.5, 1.0, 2.0]}, IMAGES),
    ("resizing-down", "Resizing", {"height": 4, "width": 5}, IMAGES),
    ("resizing-up", "Resizing", {"height": 11, "width": 13}, IMAGES),
    ("resizing-nearest", "Resizing", {"height": 5, "width": 12, "interpolation": "nearest"},
     IMAGES),
    ("resizing-crop", "Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True},
     IMAGES),
    ("resizing-pad", "Resizing", {"height": 6, "width": 3, "pad_to_aspect_ratio": True,
                                  "fill_value": 7.0}, IMAGES),
    ("resizing-unbatched", "Resizing", {"height": 3, "width": 4}, IMAGES[0]),
    ("resizing-channels-first", "Resizing", {"height": 3, "width": 4,
                                             "data_format": "channels_first"},
     IMAGES.transpose(0, 3, 1, 2)),
    ("center-crop", "CenterCrop", {"height": 4, "width": 5}, IMAGES),
    ("center-crop-upscale", "CenterCrop", {"height": 9, "width": 4}, IMAGES),
    ("normalization-given", "Normalization", {"mean": [1.0, 2.0, 3.0],
                                              "variance": [4.0, 0.0, 9.0]}, IMAGES),
    ("normalization-invert", "Normalization", {"mean": 3.0, "variance": 2.0, "invert": True},
     IMAGES),
    ("discretization", "Discretization", {"bin_boundaries": [50.0, 100.0, 200.0]}, IMAGES[0]),
    ("discretization-one-hot", "Discretization",
     {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}, np.array([-1.0, 0.5, 3.0])),
    ("discretization-count", "Discretization",
     {"bin_boundaries": [0.0, 1.0], "output_mode": "count"},
     np.array([[-1.0, 0.5, 3.0, 0.2]])),
    ("category-multi-hot", "CategoryEncoding", {"num_tokens": 5},
     np.array([[0, 1, 1, 4], [3, 3, 3, 3]])),
    ("category-count", "CategoryEncoding", {"num_tokens": 5, "output_mode": "count"},
     np.array([[0, 1, 1, 4], [3, 3, 3, 3]])),
    ("category-one-hot", "CategoryEncoding", {"num_tokens": 4, "output_mode": "one_hot"},
     np.array([[0], [3], [2]])),
    ("category-one-hot-rank1", "CategoryEncoding", {"num_tokens": 4, "output_mode": "one_hot"},
     np.array([1, 3])),
    ("category-multi-hot-rank1", "CategoryEncoding", {"num_tokens": 4},
     np.array([1, 3, 3])),
    # random layers with a one-value range: deterministic draws
    ("zoom-fixed", "RandomZoom", {"height_factor": (0.25, 0.25), "width_factor": (-0.2, -0.2),
                                  "fill_mode": "constant", "fill_value": 3.0}, IMAGES),
    ("zoom-fixed-reflect", "RandomZoom", {"height_factor": (0.5, 0.5)}, IMAGES),
    ("zoom-fixed-nearest-wrap", "RandomZoom", {"height_factor": (0.4, 0.4), "fill_mode": "wrap",
                                               "interpolation": "nearest"}, IMAGES),
    ("translation-fixed", "RandomTranslation", {"height_factor": (0.3, 0.3),
                                                "width_factor": (-0.2, -0.2),
                                                "fill_mode": "nearest"}, IMAGES),
    ("rotation-fixed", "RandomRotation", {"factor": (0.1, 0.1)}, IMAGES),
    ("rotation-fixed-constant", "RandomRotation", {"factor": (-0.3, -0.3),
                                                   "fill_mode": "constant"}, IMAGES),
    ("brightness-fixed", "RandomBrightness", {"factor": (0.2, 0.2)}, IMAGES),
    ("brightness-fixed-range", "RandomBrightness", {"factor": (-0.5, -0.5),
                                                    "value_range": (0, 1)}, IMAGES / 255),
    ("crop-smaller-input", "RandomCrop", {"height": 9, "width": 9}, IMAGES),
    ("grayscale-always", "RandomGrayscale", {"factor": 1.0}, IMAGES),
    ("invert-always", "RandomInvert", {"factor": (1.0, 1.0)}, IMAGES),
    ("solarization-threshold-0", "Solarization", {}, IMAGES),   # every pixel inverted
    ("auto-contrast", "AutoContrast", {}, IMAGES_WITH_FLAT_CHANNEL),
    ("auto-contrast-unit-range", "AutoContrast", {"value_range": (0, 1)}, IMAGES / 255),
    # a hue shift of ±1/2 turn: the same whichever sign is drawn
    ("hue-half-turn", "RandomHue", {"factor": (1.0, 1.0)}, IMAGES),
    ("saturation-fixed", "RandomSaturation", {"factor": (0.3, 0.3), "value_range": (0, 1)},
     IMAGES / 255),
    ("saturation-fixed-255", "RandomSaturation", {"factor": (-0.5, -0.5)}, IMAGES),
    ("sharpness-fixed", "RandomSharpness", {"factor": (0.9, 0.9)}, IMAGES),
    ("sharpness-fixed-blur", "RandomSharpness", {"factor": (0.1, 0.1)}, IMAGES[0]),
    ("erasing-everything", "RandomErasing", {"factor": (1.0, 1.0), "scale": (1.0, 1.0),
                                             "fill_value": 300.0}, IMAGES),
    ("color-degeneration-fixed", "RandomColorDegeneration", {"factor": (0.4, 0.4)}, IMAGES),
    ("color-degeneration-saturate", "RandomColorDegeneration", {"factor": (-0.6, -0.6)},
     IMAGES),
    ("posterization-3-bits", "RandomPosterization", {"factor": (3, 3)}, IMAGES),
    ("posterization-unit-range", "RandomPosterization", {"factor": (2, 2),
                                                         "value_range": (0, 1)}, IMAGES / 255),
    ("equalization", "Equalization", {}, IMAGES_WITH_FLAT_CHANNEL),
    ("equalization-16-bins", "Equalization", {"bins": 16}, IMAGES),
    ("equalization-unit-range", "Equalization", {"value_range": (0, 1)}, IMAGES[0] / 255),
    ("gaussian-blur-fixed", "RandomGaussianBlur", {"factor": (1.0, 1.0), "sigma": (0.7, 0.7)},
     IMAGES),
    ("gaussian-blur-5", "RandomGaussianBlur", {"factor": (1.0, 1.0), "kernel_size": 5,
                                               "sigma": (0.3, 0.3), "value_range": (0, 200)},
     IMAGES[0]),
    ("clahe", "ContrastLimitedAdaptiveHistogramEqualization", {}, IMAGES),
    ("clahe-grid-clip", "ContrastLimitedAdaptiveHistogramEqualization",
     {"clip_limit": 2.0, "tile_grid_size": (3, 4)}, IMAGES_WITH_FLAT_CHANNEL),
    ("clahe-unclipped-unit-range", "ContrastLimitedAdaptiveHistogramEqualization",
     {"clip_limit": 0, "tile_grid_size": (2, 2), "value_range": (0, 1)}, IMAGES[0] / 255),
    ("color-jitter-fixed", "RandomColorJitter", {"value_range": (0, 1),
                                                 "brightness_factor": (0.1, 0.1),
                                                 "saturation_factor": (0.3, 0.3),
                                                 "hue_factor": (1.0, 1.0)}, IMAGES / 255),
]


@pytest.mark.parametrize("cls_name, kwargs, x", [c[1:] for c in DETERMINISTIC],
                         ids=[c[0] for c in DETERMINISTIC])
def test_output_matches_keras(cls_name, kwargs, x):
    k_layer, d_layer, expected, got = _both(cls_name, kwargs, x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    shape = (None, *x.shape[1:])
    assert tuple(d_layer.compute_output_shape(shape)) == tuple(k_layer.compute_output_shape(shape))


CONFIGS = [
    ("Normalization", {"axis": (1, 2)}), ("Normalization", {"mean": [1.0], "variance": [2.0]}),
    ("Rescaling", {"scale": 0.5, "offset": 1.0}),
    ("Resizing", {"height": 3, "width": 4, "interpolation": "nearest"}),
    ("CenterCrop", {"height": 3, "width": 4}), ("RandomFlip", {"mode": "vertical", "seed": 3}),
    ("RandomRotation", {"factor": 0.2, "fill_mode": "constant"}),
    ("RandomRotation", {"factor": (-0.1, 0.3)}),
    ("RandomZoom", {"height_factor": 0.2, "width_factor": (-0.1, 0.1)}),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": (0.0, 0.2)}),
    ("RandomCrop", {"height": 3, "width": 4, "seed": 5}),
    ("RandomContrast", {"factor": 0.3}), ("RandomContrast", {"factor": (0.1, 0.4)}),
    ("RandomBrightness", {"factor": 0.2, "value_range": (0, 1)}),
    ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "count"}),
    ("Discretization", {"num_bins": 4, "epsilon": 0.05}),
    ("CategoryEncoding", {"num_tokens": 3, "output_mode": "one_hot"}),
    ("RandomGrayscale", {"factor": 0.3, "seed": 2}), ("AutoContrast", {"value_range": (0, 1)}),
    ("RandomInvert", {"factor": 0.4, "value_range": (0, 1)}),
    ("Solarization", {"addition_factor": 0.2, "threshold_factor": (0.1, 0.6)}),
    ("RandomHue", {"factor": 0.2, "seed": 1}), ("RandomSaturation", {"factor": 0.4}),
    ("RandomSharpness", {"factor": (0.2, 0.7), "value_range": (0, 1)}),
    ("RandomErasing", {"factor": 0.5, "scale": (0.1, 0.2), "fill_value": 3.0}),
    ("RandomShear", {"x_factor": 0.2}), ("RandomShear", {"x_factor": (0.1, 0.3),
                                                         "y_factor": 0.4, "fill_mode": "wrap"}),
    ("RandomColorDegeneration", {"factor": 0.3}), ("RandomPosterization", {"factor": 4}),
    ("Equalization", {"bins": 64, "value_range": (0, 1)}),
    ("RandomGaussianBlur", {"factor": 0.4, "kernel_size": 5, "sigma": (0.2, 0.9)}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "hue_factor": (0.1, 0.3), "seed": 4}),
    ("RandomPerspective", {"factor": 0.5, "scale": 0.3, "fill_value": 1.0}),
    ("RandAugment", {"num_ops": 3, "factor": (0.2, 0.6), "value_range": (0, 1)}),
    ("AugMix", {"num_chains": 2, "chain_depth": 4, "alpha": 0.5, "all_ops": False}),
    ("RandomElasticTransform", {"factor": 0.7, "scale": (0.2, 0.5), "fill_mode": "wrap"}),
    ("MaxNumBoundingBoxes", {"max_number": 4, "bounding_box_format": "xyxy"}),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"clip_limit": 3.0,
                                                      "tile_grid_size": (4, 2)}),
]


@pytest.mark.parametrize("cls_name, kwargs", CONFIGS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
def test_config_matches_keras(cls_name, kwargs):
    with kr.quiet():
        k_config = getattr(keras.layers, cls_name)(**kwargs).get_config()
    d_config = getattr(dk.layers, cls_name)(**kwargs).get_config()
    assert set(d_config) == set(k_config)
    for key, value in k_config.items():
        if key not in ("name", "dtype"):
            assert d_config[key] == (list(value) if isinstance(value, tuple) and
                                     isinstance(d_config[key], list) else value), key
    restored = getattr(dk.layers, cls_name).from_config(k_config)  # Keras' config loads
    # (RandomShear: even where Keras itself cannot load it back)
    assert {k: v for k, v in restored.get_config().items() if k != "name"} == \
        {k: v for k, v in d_config.items() if k != "name"}


@pytest.mark.parametrize("axis", [-1, (1, 2), None])
def test_normalization_adapt_matches_keras(axis):
    data = RNG.normal(3.0, 2.0, (20, 4, 3)).astype(np.float32)
    k_layer, d_layer = keras.layers.Normalization(axis=axis), dk.layers.Normalization(axis=axis)
    k_layer.adapt(data)
    d_layer.adapt(data)
    kr.copy_weights(k_layer, d_layer)     # same names, shapes and order
    d_fresh = dk.layers.Normalization(axis=axis)
    d_fresh.adapt(data)
    for got, expected in zip(d_fresh.get_weights(), k_layer.get_weights(), strict=True):
        np.testing.assert_allclose(got, kr.to_numpy(expected), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d_fresh(data).numpy(), kr.to_numpy(k_layer(data)), rtol=1e-5,
                               atol=1e-5)


def test_normalization_adapt_on_batches_matches_keras():
    batches = [RNG.normal(size=(n, 3)).astype(np.float32) for n in (5, 8, 3)]
    # Keras' adapt on an iterable needs TensorFlow; its pooled statistics are those of the
    # whole data, which Keras computes from the concatenated array
    k_layer, d_layer = keras.layers.Normalization(), dk.layers.Normalization()
    k_layer.adapt(np.concatenate(batches))
    d_layer.adapt(iter(batches))
    for got, expected in zip(d_layer.get_weights(), k_layer.get_weights(), strict=True):
        np.testing.assert_allclose(got, kr.to_numpy(expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("num_bins, epsilon, sizes", [(4, 0.01, (50,)), (3, 0.1, (40, 25)),
                                                      (5, 0.01, (300, 7))])
def test_discretization_adapt_matches_keras(num_bins, epsilon, sizes):
    # Keras' adapt needs tf.data; its update_state/finalize_state (what adapt calls per
    # batch) are NumPy and run here
    batches = [RNG.gamma(2.0, size=n).astype(np.float32) for n in sizes]
    k_layer = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    for batch in batches:
        k_layer.update_state(batch)
    k_layer.finalize_state()
    d_layer = dk.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    d_layer.adapt(batches)
    np.testing.assert_allclose(d_layer.bin_boundaries, k_layer.bin_boundaries, rtol=1e-6)
    x = np.concatenate(batches)
    np.testing.assert_array_equal(d_layer(x).numpy(), kr.to_numpy(k_layer(x)))


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_transform_matches_keras_ops(fill_mode, interpolation):
    images = RNG.uniform(0, 1, (3, 6, 7, 2)).astype(np.float32)
    # (no point lands exactly half-way between pixels, where "nearest" rounding is a tie)
    transforms = np.array([
        [1.3137, 0.2291, -1.4719, -0.2877, 0.9143, 2.1731, 0.0, 0.0],  # shear, scale, shift
        [np.cos(0.7), -np.sin(0.7), 2.0, np.sin(0.7), np.cos(0.7), -1.0, 0.0, 0.0],
        [1.0, 0.0, 4.61, 0.0, 1.0, -3.33, 0.0, 0.0],        # far outside: exercises fill_mode
    ], dtype=np.float32)
    expected = kr.to_numpy(keras.ops.image.affine_transform(
        images, transforms, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5))
    got = it.affine_transform(images, transforms, interpolation, fill_mode, fill_value=0.5)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_flips_as_keras(mode):
    # each output image is the input or its flip along the mode's axes (both axes at once for
    # 'horizontal_and_vertical', as Keras), and a large batch gets both
    x = RNG.uniform(size=(40, 3, 4, 1)).astype(np.float32)
    axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[mode]
    flipped = np.flip(x, axis=axes)
    for out in (dk.layers.RandomFlip(mode, seed=1)(x).numpy(),
                kr.to_numpy(keras.layers.RandomFlip(mode, seed=1)(x))):
        same = np.all(out == x, axis=(1, 2, 3))
        flip = np.all(out == flipped, axis=(1, 2, 3))
        assert np.all(same | flip) and same.any() and flip.any()


@pytest.mark.parametrize("cls_name, kwargs", [
    ("RandomFlip", {}), ("RandomRotation", {"factor": 0.2}), ("RandomZoom", {"height_factor": 0.2}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}),
    ("RandomContrast", {"factor": 0.5}), ("RandomBrightness", {"factor": 0.5})])
def test_inference_is_identity_as_keras(cls_name, kwargs):
    _, _, expected, got = _both(cls_name, kwargs, IMAGES, training=False)
    np.testing.assert_array_equal(expected, IMAGES)
    np.testing.assert_array_equal(got, IMAGES)


def test_random_contrast_range_as_keras():
    # Keras 3 stores factor=f as (0, f): the contrast factor is drawn from [1, 1 + f]
    x = RNG.uniform(0, 1, (60, 4, 4, 1)).astype(np.float32)
    for layer in (dk.layers.RandomContrast(0.5, value_range=(-10, 10), seed=2),
                  keras.layers.RandomContrast(0.5, value_range=(-10, 10), seed=2)):
        out = kr.to_numpy(layer(x)) if not isinstance(layer, dk.layers.Layer) else \
            layer(x).numpy()
        mean = x.mean(axis=(1, 2), keepdims=True)
        factor = ((out - mean) / (x - mean)).reshape(60, -1)
        np.testing.assert_allclose(factor, factor[:, :1] * np.ones_like(factor), rtol=1e-3)
        assert factor.min() >= 1 - 1e-4 and factor.max() <= 1.5 + 1e-4


def test_preprocessing_model_fit_matches_keras():
    x = RNG.uniform(0, 255, (32, 6, 6, 1)).astype(np.float32)
    y = RNG.uniform(size=(32, 1)).astype(np.float32)

    def build(lib):
        return lib.Sequential([lib.Input((6, 6, 1)), lib.layers.Rescaling(1 / 255),
                               lib.layers.Resizing(4, 4), lib.layers.CenterCrop(3, 3),
                               lib.layers.Flatten(), lib.layers.Dense(1)])

    k_model, d_model = kr.build_both(build)
    with kr.quiet():
        k_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    d_model.compile(optimizer=dk.optimizers.SGD(0.1), loss="mse")
    kwargs = dict(epochs=2, batch_size=16, shuffle=False, verbose=0)
    with kr.quiet():
        k_hist = k_model.fit(x, y, **kwargs).history
    d_hist = d_model.fit(x, y, **kwargs).history
    np.testing.assert_allclose(d_hist["loss"], k_hist["loss"], rtol=1e-5)


def test_random_erasing_erases_a_rectangle_as_keras():
    # sides sqrt(0.25) = 1/2 of 4 rows and 5 columns at a random place: 2 rows, 2 or 3 columns
    x = RNG.uniform(0, 255, (6, 4, 5, 3)).astype(np.float32)
    kwargs = {"factor": (1.0, 1.0), "scale": (0.25, 0.25), "fill_value": -1.0,
              "value_range": (-1, 255)}
    for out in (kr.to_numpy(keras.layers.RandomErasing(**kwargs, seed=3)(x)),
                dk.layers.RandomErasing(**kwargs, seed=3)(x).numpy()):
        erased = np.all(out == -1, axis=-1)
        for mask in erased:
            rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
            assert len(rows) == 2 and len(cols) in (2, 3)
            assert mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()


WAVES = RNG.normal(size=(2, 1500)).astype(np.float32)


@pytest.mark.parametrize("kwargs, x", [
    ({"fft_length": 256, "sequence_stride": 128, "num_mel_bins": 20}, WAVES),
    ({"fft_length": 512, "sequence_length": 300, "sequence_stride": 100, "window": "hamming",
      "num_mel_bins": 16, "power_to_db": False, "mag_exp": 1.0}, WAVES),
    ({"fft_length": 128, "sequence_stride": 64, "num_mel_bins": 8, "sampling_rate": 8000,
      "max_freq": 3000, "top_db": 20.0, "ref_power": 2.0}, WAVES[0]),
], ids=["default-db", "magnitude-hamming", "unbatched-top-db"])
def test_mel_spectrogram_matches_keras(kwargs, x):
    k_layer, d_layer = keras.layers.MelSpectrogram(**kwargs), dk.layers.MelSpectrogram(**kwargs)
    expected = kr.to_numpy(k_layer(x))
    np.testing.assert_allclose(d_layer(x).numpy(), expected, rtol=2e-5,
                               atol=2e-5 * np.abs(expected).max())
    assert tuple(d_layer.compute_output_shape(x.shape)) == \
        tuple(k_layer.compute_output_shape(x.shape))
    assert set(d_layer.get_config()) == set(k_layer.get_config())


SIGNALS = RNG.normal(size=(2, 300, 2)).astype(np.float32)


# Keras needs SciPy for a window given by name, so the windows are passed as arrays here
# (test_scaling_and_resizing checks deltaw's named windows against NumPy's)
@pytest.mark.parametrize("kwargs", [
    {"window": np.hanning(256)},
    {"mode": "magnitude", "frame_length": 64, "frame_step": 16, "window": np.hamming(64)},
    {"mode": "psd", "frame_length": 50, "fft_length": 64, "scaling": "spectrum",
     "padding": "same", "window": np.blackman(50)},
    {"mode": "stft", "frame_length": 32, "expand_dims": True, "window": None},
    {"mode": "real", "frame_length": 32, "window": None, "scaling": None},
    {"mode": "imag", "frame_length": 32, "data_format": "channels_first",
     "window": np.hanning(32)},
    {"mode": "log", "frame_length": 32, "window": None, "expand_dims": True,
     "data_format": "channels_first"},
    {"mode": "angle", "frame_length": 32, "window": np.hanning(32)},
], ids=["log", "magnitude", "psd-same", "stft-expand", "real", "imag-channels-first",
        "log-expand-channels-first", "angle"])
def test_stft_spectrogram_matches_keras(kwargs):
    x = SIGNALS.transpose(0, 2, 1) if kwargs.get("data_format") == "channels_first" \
        else SIGNALS
    k_layer = keras.layers.STFTSpectrogram(**kwargs)
    d_layer = dk.layers.STFTSpectrogram(**kwargs)
    expected = kr.to_numpy(k_layer(x))
    d_layer(x)
    # Keras builds its kernels in float32 (angles up to 2 pi * frame_length lose ~1e-5 to
    # rounding); deltaw in float64. Same kernels up to that, then the same outputs from Keras'
    for dw_kernel, k_kernel in zip(d_layer.get_weights(), k_layer.get_weights(), strict=True):
        np.testing.assert_allclose(dw_kernel, kr.to_numpy(k_kernel), atol=2e-5)
    kr.copy_weights(k_layer, d_layer)
    got = d_layer(x).numpy()
    if kwargs.get("mode") == "angle":
        # the DC and Nyquist bins have an imaginary part of exactly +-0: arctan2 of it is +-pi
        # depending on the sign of the zero; compare the other bins
        expected, got = expected[..., 1:-1], got[..., 1:-1]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert d_layer.compute_output_shape(x.shape) == tuple(k_layer.compute_output_shape(x.shape))
    assert set(d_layer.get_config()) == set(k_layer.get_config())


def test_pipeline_matches_keras_and_loads_its_config():
    def build(lib):
        return lib.layers.Pipeline([lib.layers.Rescaling(1 / 255), lib.layers.CenterCrop(4, 5),
                                    lib.layers.RandomFlip(seed=1)])

    k_pipe, d_pipe = build(keras), build(dk)
    np.testing.assert_allclose(d_pipe(IMAGES, training=False).numpy(),
                               kr.to_numpy(k_pipe(IMAGES, training=False)), rtol=1e-6)
    k_config = k_pipe.get_config()
    assert set(d_pipe.get_config()) == set(k_config)
    restored = dk.layers.Pipeline.from_config(k_config)
    assert [type(x).__name__ for x in restored.layers] == \
        ["Rescaling", "CenterCrop", "RandomFlip"]
    np.testing.assert_allclose(restored(IMAGES, training=False).numpy(),
                               d_pipe(IMAGES, training=False).numpy())


def test_random_shear_is_one_of_the_two_keras_shears():
    # Keras draws the shear's sign at random: each image is the +s or the -s shear of
    # keras.ops.image.affine_transform
    x = RNG.uniform(0, 1, (8, 6, 7, 2)).astype(np.float32)
    out = dk.layers.RandomShear(x_factor=(0.3, 0.3), y_factor=(0.2, 0.2), seed=4)(x).numpy()
    shears = [kr.to_numpy(keras.ops.image.affine_transform(
        x, np.array([[1, s * 0.3, 0, s * 0.2, 1, 0, 0, 0]] * 8, np.float32),
        fill_mode="reflect")) for s in (1, -1)]
    plus = np.isclose(out, shears[0], atol=1e-5).all(axis=(1, 2, 3))
    minus = np.isclose(out, shears[1], atol=1e-5).all(axis=(1, 2, 3))
    assert np.all(plus | minus) and plus.any() and minus.any()


@pytest.mark.parametrize("cls_name, cut", [("MixUp", False), ("CutMix", True)])
def test_mixing_behaves_as_keras(cls_name, cut):
    from tests.keras.layers.preprocessing.test_random_augmentation import check_mixed_batch

    images = RNG.uniform(0, 1, (6, 5, 6, 3)).astype(np.float32)
    labels = np.eye(6, dtype=np.float32)
    k_out = getattr(keras.layers, cls_name)(seed=2)({"images": images, "labels": labels})
    d_out = getattr(dk.layers, cls_name)(seed=2)({"images": images, "labels": labels})
    check_mixed_batch(images, labels, kr.to_numpy(k_out["images"]),
                      kr.to_numpy(k_out["labels"]), cut)
    check_mixed_batch(images, labels, d_out["images"].numpy(), d_out["labels"].numpy(), cut)
    assert set(getattr(dk.layers, cls_name)().get_config()) == \
        set(getattr(keras.layers, cls_name)().get_config())


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_homography_warp_matches_keras_perspective_transform(interpolation):
    x = RNG.uniform(0, 1, (2, 6, 7, 3)).astype(np.float32)
    start = np.array([[[0, 0], [6, 0], [0, 5], [6, 5]]] * 2, np.float32)
    end = start + np.array([[[0.31, -0.42], [0.17, 0.53], [-0.61, 0.27], [0.44, -0.36]],
                            [[-0.23, 0.14], [0.58, -0.19], [0.12, -0.47], [-0.33, 0.62]]],
                           np.float32)
    expected = kr.to_numpy(keras.ops.image.perspective_transform(
        x, start, end, interpolation=interpolation, fill_value=0.3))
    got = it.affine_transform(x, it.homography_matrices(start, end), interpolation,
                              "constant", 0.3)
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "mirror"])
@pytest.mark.parametrize("order, interpolation", [(1, "bilinear"), (0, "nearest")])
def test_map_coordinates_matches_keras(fill_mode, order, interpolation):
    # the sampler behind RandomElasticTransform, at random points inside and outside
    image = RNG.uniform(0, 1, (5, 6)).astype(np.float32)
    rows = RNG.uniform(-2.3, 6.7, (4, 7)).astype(np.float32)
    cols = RNG.uniform(-2.1, 7.9, (4, 7)).astype(np.float32)
    expected = kr.to_numpy(keras.ops.image.map_coordinates(
        image, [rows, cols], order, fill_mode=fill_mode, fill_value=0.25))
    got = it.map_coordinates(image[None, :, :, None], rows[None], cols[None], interpolation,
                             fill_mode, 0.25)[0, :, :, 0]
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("max_number", [2, 5])
def test_max_num_bounding_boxes_matches_keras(max_number):
    data = {"images": IMAGES, "bounding_boxes": {
        "boxes": RNG.uniform(0, 5, (2, 3, 4)).astype(np.float32),
        "labels": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)}}
    k_out = keras.layers.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")(data)
    d_out = dk.layers.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")(data)
    for key in ("boxes", "labels"):
        np.testing.assert_array_equal(d_out["bounding_boxes"][key].numpy(),
                                      kr.to_numpy(k_out["bounding_boxes"][key]))
    np.testing.assert_array_equal(d_out["images"].numpy(), IMAGES)
