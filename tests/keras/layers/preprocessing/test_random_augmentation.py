"""The random augmentation layers and the warping sampler without Keras: training switch,
seeded reproducibility, the transforms' geometry, fill modes, shapes, configs and errors."""

import json

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
from deltaw.keras.layers.preprocessing import image_transform as it

L = dk.layers
RNG = np.random.default_rng(0)
X = RNG.uniform(0, 255, (4, 6, 7, 3)).astype(np.float32)

RANDOM_LAYERS = [
    (L.RandomFlip, {}), (L.RandomFlip, {"mode": "vertical"}),
    (L.RandomRotation, {"factor": 0.2}), (L.RandomZoom, {"height_factor": 0.3}),
    (L.RandomZoom, {"height_factor": (-0.2, 0.3), "width_factor": 0.1}),
    (L.RandomTranslation, {"height_factor": 0.2, "width_factor": (-0.1, 0.3)}),
    (L.RandomCrop, {"height": 4, "width": 5}), (L.RandomContrast, {"factor": 0.5}),
    (L.RandomBrightness, {"factor": 0.3}), (L.RandomGrayscale, {"factor": 0.5}),
    (L.RandomInvert, {"factor": 0.5}),
    (L.Solarization, {"addition_factor": 0.3, "threshold_factor": (0.2, 0.8)}),
    (L.RandomHue, {"factor": 0.5}), (L.RandomSaturation, {"factor": 0.5}),
    (L.RandomSharpness, {"factor": 0.5}), (L.RandomErasing, {}),
    (L.RandomErasing, {"fill_value": (1.0, 2.0, 3.0), "scale": (0.1, 0.5)}),
    (L.RandomShear, {"x_factor": 0.3, "y_factor": (0.1, 0.2)}),
    (L.RandomColorDegeneration, {"factor": 0.5}), (L.RandomPosterization, {"factor": (2, 6)}),
    (L.RandomGaussianBlur, {"factor": 0.8, "sigma": (0.3, 1.0)}),
    (L.RandomColorJitter, {"brightness_factor": 0.3, "contrast_factor": 0.3,
                           "saturation_factor": 0.5, "hue_factor": 0.2}),
    (L.RandomPerspective, {"scale": 0.5}), (L.RandAugment, {"num_ops": 3}),
    (L.AugMix, {"num_chains": 2, "chain_depth": 2}),
    (L.RandomElasticTransform, {"factor": (1.0, 1.0), "scale": 0.5}),
]
IDS = [f"{c.__name__}-{i}" for i, (c, _) in enumerate(RANDOM_LAYERS)]


@pytest.mark.parametrize("cls, kwargs", RANDOM_LAYERS, ids=IDS)
def test_seeded_layers_are_reproducible_and_fresh_per_call(cls, kwargs):
    a, b = cls(**kwargs, seed=7), cls(**kwargs, seed=7)
    first = a(X).numpy()
    np.testing.assert_array_equal(first, b(X).numpy())
    assert first.dtype == np.float32
    assert not np.array_equal(first, a(X).numpy())      # the next call draws again


@pytest.mark.parametrize("cls, kwargs", RANDOM_LAYERS, ids=IDS)
def test_global_seed_makes_unseeded_layers_reproducible(cls, kwargs):
    dw.random.seed(3)
    first = cls(**kwargs)(X).numpy()
    dw.random.seed(3)
    np.testing.assert_array_equal(cls(**kwargs)(X).numpy(), first)


@pytest.mark.parametrize("cls, kwargs", [c for c in RANDOM_LAYERS if c[0] is not L.RandomCrop],
                         ids=[i for i, c in zip(IDS, RANDOM_LAYERS, strict=True)
                              if c[0] is not L.RandomCrop])
def test_identity_unless_training_and_config_round_trip(cls, kwargs):
    layer = cls(**kwargs, seed=1)
    np.testing.assert_array_equal(layer(X, training=False).numpy(), X)
    np.testing.assert_array_equal(layer(X[0], training=False).numpy(), X[0])
    assert layer(X[0]).shape == X[0].shape                     # one image
    config = json.loads(json.dumps(layer.get_config()))
    clone = cls.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == {**config, "name": clone.name}
    assert layer.compute_output_shape((None, 6, 7, 3)) == (None, 6, 7, 3)


def test_augmentation_in_a_model_acts_in_fit_not_in_predict():
    seen = []

    class Spy(dk.layers.Layer):
        def call(self, inputs):
            seen.append(inputs.numpy().copy())
            return inputs

    model = dk.Sequential([dk.Input((6, 7, 3)), L.RandomBrightness(0.5, seed=0), Spy(),
                           L.Flatten(), L.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(X, np.zeros((4, 1)), epochs=1, batch_size=4, verbose=0)
    assert any(not np.allclose(s, X) for s in seen if s.shape == X.shape)
    seen.clear()
    model.predict(X, verbose=0)
    assert all(np.array_equal(s, X) for s in seen)


def test_random_flip_flips_whole_images():
    x = np.arange(6.0, dtype=np.float32).reshape(1, 2, 3, 1)
    out = L.RandomFlip("horizontal", seed=0)(np.repeat(x, 30, axis=0)).numpy()
    flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(flipped | np.all(out == x, axis=(1, 2, 3))) and 0 < flipped.sum() < 30


def test_random_crop_window_comes_from_the_image_and_inference_resizes():
    x = np.arange(8 * 9, dtype=np.float32).reshape(1, 8, 9, 1)
    out = L.RandomCrop(3, 4, seed=2)(x).numpy()[0, :, :, 0]
    top, left = divmod(int(out[0, 0]), 9)
    np.testing.assert_array_equal(out, x[0, top:top + 3, left:left + 4, 0])
    assert L.RandomCrop(3, 4)(x, training=False).shape == (1, 3, 4, 1)
    assert L.RandomCrop(3, 4).compute_output_shape((None, 8, 9, 1)) == (None, 3, 4, 1)


def test_contrast_and_brightness_stay_in_value_range():
    out = L.RandomBrightness((0.9, 1.0), seed=0)(X).numpy()
    assert out.max() <= 255 and out.min() >= 0.9 * 255 - 1e-3
    contrast = L.RandomContrast((0.5, 1.0), value_range=(0, 255), seed=0)(X).numpy()
    assert contrast.min() >= 0 and contrast.max() <= 255
    assert L.RandomContrast(0.3).factor == (0, 0.3)     # Keras 3: a number f gives (0, f)
    assert L.RandomBrightness(0.3).factor == (-0.3, 0.3)


def test_affine_identity_shift_and_fill_modes():
    img = np.arange(5.0).reshape(1, 1, 5, 1)
    identity = np.array([[1, 0, 0, 0, 1, 0, 0, 0]], float)
    np.testing.assert_array_equal(it.affine_transform(img, identity), img)
    shift = it.translation_matrices(np.array([2.0]), np.array([0.0]))   # move right by 2
    expected = {"constant": [9, 9, 0, 1, 2], "nearest": [0, 0, 0, 1, 2],
                "wrap": [3, 4, 0, 1, 2], "reflect": [1, 0, 0, 1, 2], "mirror": [2, 1, 0, 1, 2]}
    for mode, values in expected.items():
        got = it.affine_transform(img, shift, fill_mode=mode, fill_value=9.0).ravel()
        np.testing.assert_array_equal(got, values, err_msg=mode)
    half = it.translation_matrices(np.array([0.5]), np.array([0.0]))
    np.testing.assert_allclose(it.affine_transform(img, half, fill_mode="nearest").ravel(),
                               [0, 0.5, 1.5, 2.5, 3.5])


def test_affine_rotation_by_a_quarter_turn_and_integer_images():
    img = np.arange(9, dtype=np.int32).reshape(1, 3, 3, 1)
    turned = it.affine_transform(img, it.rotation_matrices(np.array([np.pi / 2]), 3, 3))
    np.testing.assert_array_equal(turned[0, :, :, 0], np.rot90(img[0, :, :, 0], k=1))
    assert turned.dtype == np.int32


def test_warping_layers_return_constants():
    x = dw.tensor(X, requires_grad=True)
    assert not L.RandomRotation(0.1, seed=0)(x).requires_grad
    assert L.RandomFlip(seed=0)(x).requires_grad        # flips are dw ops


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="RandomFlip 'f': mode must be one of"):
        L.RandomFlip("diagonal", name="f")
    with pytest.raises(ValueError, match=r"factor must be a number or a pair"):
        L.RandomRotation(2.0)
    with pytest.raises(NotImplementedError, match="unknown fill_mode"):
        L.RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="unknown interpolation"):
        L.RandomTranslation(0.1, 0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match=r"height_factor must be .* \(-1, 1\]"):
        L.RandomZoom(-1.0)
    with pytest.raises(TypeError, match="seed must be None or an int"):
        L.RandomFlip(seed=1.5)
    with pytest.raises(ValueError, match="value_range must be a pair"):
        L.RandomBrightness(0.1, value_range=5)
    with pytest.raises(ValueError, match="rank 4 or one image of rank 3"):
        L.RandomFlip()(np.ones((2, 3)))
    with pytest.raises(ValueError, match="transforms of shape"):
        it.affine_transform(np.ones((2, 3, 3, 1)), np.ones((3, 8)))
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        it.affine_transform(np.ones((1, 3, 3, 1)), np.ones((1, 8)), fill_mode="edge")


def test_color_adjustments():
    rgb = RNG.uniform(0, 255, (3, 4, 5, 3)).astype(np.float32)
    gray = L.RandomGrayscale(1.0)(rgb).numpy()
    np.testing.assert_allclose(gray[..., 0], rgb @ [0.2989, 0.587, 0.114], rtol=1e-5)
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    np.testing.assert_allclose(L.RandomInvert((1.0, 1.0))(rgb).numpy(), 255 - rgb, rtol=1e-6)
    np.testing.assert_allclose(L.Solarization()(rgb).numpy(), 255 - rgb, rtol=1e-5)
    stretched = L.AutoContrast()(rgb * 0.5 + 10).numpy()
    np.testing.assert_allclose(stretched.min(axis=(1, 2)), 0, atol=1e-3)
    np.testing.assert_allclose(stretched.max(axis=(1, 2)), 255, rtol=1e-5)
    flat = np.full((1, 2, 2, 1), 9.0, np.float32)
    np.testing.assert_array_equal(L.AutoContrast()(flat).numpy(), flat)   # constant: unchanged
    np.testing.assert_array_equal(L.AutoContrast()(flat, training=False).numpy(), flat)
    with pytest.raises(ValueError, match="factor must be between 0 and 1"):
        L.RandomGrayscale(1.5)
    with pytest.raises(ValueError, match="expected 1 or 3 channels"):
        L.RandomGrayscale(1.0)(np.ones((1, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"threshold_factor must be .* in \[0, 1\]"):
        L.Solarization(threshold_factor=2.0)


def test_hsv_round_trip_and_hue_saturation_sharpness():
    from deltaw.keras.layers.preprocessing.random_color import hsv_to_rgb, rgb_to_hsv
    rgb = RNG.uniform(0, 1, (2, 3, 4, 3))
    rgb[0, 0, 0] = 0.25                                  # a grey: hue and saturation 0
    hsv = rgb_to_hsv(rgb)
    np.testing.assert_allclose(hsv_to_rgb(hsv), rgb, atol=1e-12)
    np.testing.assert_array_equal(hsv[0, 0, 0], [0, 0, 0.25])
    np.testing.assert_allclose(rgb_to_hsv(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])),
                               [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1]])
    images = (rgb * 255).astype(np.float32)
    half_turn = L.RandomHue((1.0, 1.0))(images).numpy()       # ±1/2 turn: complementary hue
    np.testing.assert_allclose(rgb_to_hsv(half_turn / 255.0)[..., 0] % 1,
                               (hsv[..., 0] + 0.5) % 1 * (hsv[..., 1] > 0), atol=1e-4)
    gray = L.RandomSaturation((0.0, 0.0), value_range=(0, 1))(rgb.astype(np.float32)).numpy()
    np.testing.assert_allclose(gray, np.repeat(rgb.max(-1, keepdims=True), 3, -1), rtol=1e-5)
    flat = np.full((1, 4, 4, 1), 100.0, np.float32)
    sharp = L.RandomSharpness((0.5, 0.5))(flat).numpy()       # 1 - 2s = 0: unchanged
    np.testing.assert_array_equal(sharp, flat)
    blurred = L.RandomSharpness((0.0, 0.0))(flat).numpy()[0, :, :, 0]
    np.testing.assert_allclose(blurred[1:3, 1:3], 100.0, rtol=1e-6)   # inside: no change
    np.testing.assert_allclose(blurred[0, 0], 100.0 * 8 / 13, rtol=1e-6)  # zero padding


def test_models_with_array_computing_layers_are_never_replayed():
    # their outputs enter the recorded ops as constants: a recording on one batch cannot stand
    # for the next, even if two batches happened to give the same constants
    from deltaw.keras.trainers.compiled_step import replayable

    def model(*layers):
        m = dk.Sequential([dk.Input((6, 7, 3)), *layers, L.Flatten(), L.Dense(1)])
        m.compile("sgd", "mse")
        return m

    assert replayable(model(L.Rescaling(0.5), L.Resizing(4, 4)))
    for layer in (L.RandomFlip(), L.RandomCrop(4, 4), L.AutoContrast(),
                  L.Discretization(bin_boundaries=[0.5])):
        assert not replayable(model(layer)), type(layer).__name__


def test_pipeline_passes_training_on_and_round_trips():
    pipe = L.Pipeline([L.RandomBrightness((0.1, 0.1)), L.RandomCrop(3, 3, seed=0)])
    out = pipe(X).numpy()
    assert out.shape == (4, 3, 3, 3) and pipe.compute_output_shape((None, 6, 7, 3)) == \
        (None, 3, 3, 3)
    assert out.min() >= 0.1 * 255 - 1e-3                      # brightened: training on
    inference = pipe(X, training=False).numpy()                # no brightness, resized crop
    assert inference.shape == (4, 3, 3, 3) and inference.min() < 0.1 * 255
    clone = L.Pipeline.from_config(json.loads(json.dumps(pipe.get_config())))
    assert [type(x) for x in clone.layers] == [L.RandomBrightness, L.RandomCrop]
    with pytest.raises(ValueError, match="layers must be a list of layers"):
        L.Pipeline([lambda x: x])


def test_posterization_and_color_degeneration_values():
    x = np.array([[[[200.0, 100.0, 37.0]]]], np.float32)
    np.testing.assert_array_equal(L.RandomPosterization((2, 2))(x).numpy(),
                                  [[[[192.0, 64.0, 0.0]]]])       # top 2 bits kept
    gray = 0.2989 * 200 + 0.587 * 100 + 0.114 * 37
    np.testing.assert_allclose(L.RandomColorDegeneration((1.0, 1.0))(x).numpy(),
                               np.full((1, 1, 1, 3), gray), rtol=1e-5)
    with pytest.raises(ValueError, match=r"x_factor must be a number in \[0, 1\]"):
        L.RandomShear(x_factor=-0.5)


def test_equalization_spreads_a_narrow_histogram():
    x = np.linspace(100, 110, 4 * 4 * 2).reshape(1, 4, 4, 2).astype(np.float32)
    out = L.Equalization()(x).numpy()
    assert out.min() == 0 and out.max() == 255
    assert np.all(np.diff(np.sort(out[..., 0].ravel())) >= 0)    # order kept
    np.testing.assert_array_equal(L.Equalization()(x, training=False).numpy(), x)
    flat = np.full((1, 2, 2, 1), 7.0, np.float32)
    np.testing.assert_array_equal(L.Equalization()(flat).numpy(), flat)
    with pytest.raises(ValueError, match="bins must be a positive int"):
        L.Equalization(bins=0)


def check_mixed_batch(images, labels, out_images, out_labels, cut):
    """Each output is image i mixed with image p(i) as its one-hot label row says: a blend
    w x_i + (1 - w) x_p(i) (MixUp), or pixels of x_i and a rectangle of x_p(i) (CutMix)."""
    n = len(images)
    for i in range(n):
        row = out_labels[i]
        others = [j for j in range(n) if j != i and row[j] > 1e-6]
        assert len(others) <= 1 and abs(row.sum() - 1) < 1e-5
        j = others[0] if others else i
        w = row[i] if others else 1.0
        if not cut:
            np.testing.assert_allclose(out_images[i], w * images[i] + (1 - w) * images[j],
                                       atol=1e-4)
            continue
        from_j = np.all(np.isclose(out_images[i], images[j]), axis=-1)
        from_i = np.all(np.isclose(out_images[i], images[i]), axis=-1)
        assert np.all(from_i | from_j)
        pasted = from_j & ~from_i
        if pasted.any():
            rows, cols = np.nonzero(pasted.any(axis=1))[0], np.nonzero(pasted.any(axis=0))[0]
            assert from_j[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()


@pytest.mark.parametrize("cls, cut", [(L.MixUp, False), (L.CutMix, True)])
def test_mixing_layers_mix_images_and_labels_alike(cls, cut):
    images = RNG.uniform(0, 1, (6, 5, 6, 3)).astype(np.float32)
    labels = np.eye(6, dtype=np.float32)
    for seed in range(3):
        out = cls(seed=seed)({"images": images, "labels": labels})
        check_mixed_batch(images, labels, out["images"].numpy(), out["labels"].numpy(), cut)
    assert cls(seed=0)(images).shape == images.shape                    # images only
    passed = cls(seed=0)({"images": images, "labels": labels}, training=False)
    np.testing.assert_array_equal(passed["images"], images)
    with pytest.raises(ValueError, match="must be a positive number|must be a number"):
        cls(-1.0)


def test_gaussian_blur_keeps_flat_insides_and_errors():
    flat = np.full((1, 5, 5, 1), 50.0, np.float32)
    out = L.RandomGaussianBlur((1.0, 1.0), sigma=(0.5, 0.5))(flat).numpy()[0, :, :, 0]
    np.testing.assert_allclose(out[1:4, 1:4], 50.0, rtol=1e-5)    # interior: weights sum to 1
    assert out[0, 0] < 50.0                                          # zero padding at edges
    with pytest.raises(ValueError, match="kernel_size must be an odd positive int"):
        L.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="kernel_size must be an odd positive int"):
        L.RandomGaussianBlur(kernel_size=(3, 5))


def test_models_with_preprocessing_layers_save_and_load(tmp_path):
    lookup = L.IntegerLookup(output_mode="multi_hot")
    lookup.adapt(np.array([[3, 5, 5], [7, 3, 9]]))
    tabular = dk.Sequential([dk.Input((3,), dtype="int64"), lookup, L.Dense(2)])
    images = dk.Sequential([
        dk.Input((8, 8, 3)), L.Rescaling(1 / 255), L.RandomFlip(seed=1),
        L.RandomRotation(0.1), L.Resizing(6, 6), L.CenterCrop(4, 4),
        L.RandomColorJitter(brightness_factor=0.1),
        L.Pipeline([L.RandomGrayscale(0.5), L.RandomErasing()]), L.Flatten(), L.Dense(1)])
    pictures = RNG.uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    for model, x in ((tabular, np.array([[3, 5, 1], [9, 9, 9]])), (images, pictures)):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = dk.models.load_model(path)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_homography_maps_the_start_points_to_the_end_points():
    start = np.array([[[0.0, 0.0], [6.0, 0.0], [0.0, 5.0], [6.0, 5.0]]])
    end = start + np.array([[[0.5, 0.2], [-0.3, 0.4], [0.2, -0.6], [-0.4, -0.1]]])
    t = it.homography_matrices(start, end)[0]
    for (sx, sy), (ex, ey) in zip(start[0], end[0], strict=True):
        k = t[6] * ex + t[7] * ey + 1
        np.testing.assert_allclose([(t[0] * ex + t[1] * ey + t[2]) / k,
                                    (t[3] * ex + t[4] * ey + t[5]) / k], [sx, sy], atol=1e-9)
    unchanged = L.RandomPerspective(scale=0.0)(X).numpy()
    np.testing.assert_allclose(unchanged, X, atol=1e-4)
    with pytest.raises(ValueError, match="scale must be a number in"):
        L.RandomPerspective(scale=2.0)


def test_rand_augment_draws_from_its_eleven_operations():
    layer = L.RandAugment(num_ops=1, factor=0.3, seed=0)
    assert [type(op).__name__ for op in layer._ops] == [
        "RandomShear", "RandomTranslation", "RandomRotation", "RandomBrightness",
        "RandomColorDegeneration", "RandomContrast", "RandomSharpness", "RandomPosterization",
        "Solarization", "AutoContrast", "Equalization"]
    assert layer._ops[7].factor == (1, 2)            # max(1, int(8 * 0.3)) bits
    np.testing.assert_array_equal(L.RandAugment(num_ops=0)(X).numpy(), X)
    with pytest.raises(ValueError, match="num_ops must be an int >= 0"):
        L.RandAugment(num_ops=-1)


def test_aug_mix_operations_and_range():
    assert len(L.AugMix()._ops) == 11 and len(L.AugMix(all_ops=False)._ops) == 7
    assert [type(op).__name__ for op in L.AugMix(all_ops=False)._ops] == [
        "RandomShear", "RandomTranslation", "RandomRotation", "RandomPosterization",
        "Solarization", "AutoContrast", "Equalization"]
    out = L.AugMix(seed=3)(X).numpy()
    assert out.shape == X.shape and out.min() >= 0 and out.max() <= 255
    with pytest.raises(ValueError, match="num_chains must be a positive int"):
        L.AugMix(num_chains=0)
    with pytest.raises(ValueError, match="alpha must be a positive number"):
        L.AugMix(alpha=0.0)


def test_elastic_transform_moves_pixels_locally():
    x = RNG.uniform(0, 255, (2, 16, 16, 3)).astype(np.float32)
    out = L.RandomElasticTransform(factor=(1.0, 1.0), scale=(1.0, 1.0), seed=0)(x).numpy()
    assert out.shape == x.shape and 0 < np.abs(out - x).mean() < 255
    np.testing.assert_array_equal(L.RandomElasticTransform(scale=0.0)(x).numpy(), x)
    np.testing.assert_array_equal(
        L.RandomElasticTransform(factor=(0.0, 0.0), seed=0)(x).numpy(), x)
    with pytest.raises(NotImplementedError, match="unknown fill_mode"):
        L.RandomElasticTransform(fill_mode="edge")


def test_clahe_equalizes_tiles_and_validates():
    left = np.linspace(10, 20, 64).reshape(8, 8)
    x = np.concatenate([left, left + 190], axis=1)[None, :, :, None].astype(np.float32)
    layer = L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=0, tile_grid_size=(1, 2))
    out = layer(x).numpy()
    assert out.shape == x.shape
    for half in (out[0, :, :8, 0], out[0, :, 8:, 0]):      # a spread of 10 stretched
        assert half.max() - half.min() > 100
    np.testing.assert_array_equal(layer(x, training=False).numpy(), out)  # always applied
    with pytest.raises(ValueError, match="tile_grid_size must be two positive ints"):
        L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 2))
