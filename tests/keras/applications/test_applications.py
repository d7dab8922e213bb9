"""keras.applications without keras: structure, arguments, errors, weights files, preprocessing
and decode_predictions (the class index served from 127.0.0.1)."""

import json

import numpy as np
import pytest

import deltaw.keras as keras
from deltaw.keras.applications import imagenet_utils

A = keras.applications


def test_vgg16_structure_and_heads():
    model = A.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    names = [layer.name for layer in model.layers]
    assert names[:4] == [names[0], "block1_conv1", "block1_conv2", "block1_pool"]
    assert names[-1] == "block5_pool" and len(names) == 19
    assert model.output_shape == (None, 1, 1, 512)
    # each 3x3 convolution: 9 * c_in * c_out + c_out weights
    convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
             (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
    assert model.count_params() == sum(9 * a * b + b for a, b in convs)
    pooled = A.VGG19(weights=None, include_top=False, pooling="max", input_shape=(40, 48, 3))
    assert pooled.output_shape == (None, 512) and pooled.name == "vgg19"
    assert sum("conv" in layer.name for layer in pooled.layers) == 16


def test_resnet_structure():
    model = A.ResNet50(weights=None, classes=10, classifier_activation=None)
    assert model.input_shape == (None, 224, 224, 3) and model.output_shape == (None, 10)
    names = [layer.name for layer in model.layers]
    for name in ("conv1_pad", "conv1_conv", "conv1_bn", "pool1_pool", "conv2_block1_0_conv",
                 "conv4_block6_out", "conv5_block3_add", "avg_pool", "predictions"):
        assert name in names
    assert sum(n.endswith("_add") for n in names) == 3 + 4 + 6 + 3
    v2 = A.ResNet50V2(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
    v2_names = [layer.name for layer in v2.layers]
    assert "post_bn" in v2_names and "conv5_block3_out" in v2_names
    assert v2.output_shape == (None, 2048)
    out = v2.predict(np.random.default_rng(0).random((2, 64, 64, 3), dtype=np.float32),
                     verbose=0)
    assert out.shape == (2, 2048) and np.isfinite(out).all()


def test_application_errors(tmp_path):
    with pytest.raises(ValueError, match="ResNet50: weights must be None .* got "
                                         "weights='nowhere.h5'"):
        A.ResNet50(weights="nowhere.h5")
    with pytest.raises(ValueError, match="classes must be 1000; got classes=10"):
        A.ResNet101(classes=10)
    with pytest.raises(ValueError, match=r"input size must be at least 32x32; got "
                                         r"input_shape=\(16, 16, 3\)"):
        A.VGG19(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="input_shape must be a tuple of three integers"):
        A.ResNet152(weights=None, include_top=False, input_shape=(64, 64))
    with pytest.warns(UserWarning, match="usually expects 1 or 3 input channels"):
        A.VGG16(weights=None, include_top=False, input_shape=(32, 32, 5))


def test_weights_file_round_trip(tmp_path):
    model = A.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = tmp_path / "vgg.weights.safetensors"
    model.save_weights(path)
    again = A.VGG16(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_preprocess_input_modes():
    rgb = np.array([[[[10.0, 20.0, 30.0]]]])
    np.testing.assert_allclose(A.resnet.preprocess_input(rgb.copy()),
                               [[[[30 - 103.939, 20 - 116.779, 10 - 123.68]]]])
    np.testing.assert_allclose(A.resnet_v2.preprocess_input(rgb.copy()),
                               rgb / 127.5 - 1)
    torch_mode = imagenet_utils.preprocess_input(rgb.copy(), mode="torch")
    np.testing.assert_allclose(torch_mode[0, 0, 0], (rgb[0, 0, 0] / 255 - [0.485, 0.456, 0.406])
                               / [0.229, 0.224, 0.225])
    first = A.vgg16.preprocess_input(np.array([[[10.0]], [[20.0]], [[30.0]]]),
                                     data_format="channels_first")
    np.testing.assert_allclose(first[:, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68])
    assert A.vgg19.preprocess_input(np.zeros((1, 2, 2, 3), np.uint8)).dtype == np.float32
    with pytest.raises(ValueError, match="preprocess_input: mode must be 'caffe', 'tf' or "
                                         "'torch'; got mode='keras'"):
        imagenet_utils.preprocess_input(rgb, mode="keras")


def test_decode_predictions(server, tmp_path, monkeypatch):  # noqa: F811
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    raw = json.dumps(index).encode()
    server.files["imagenet_class_index.json"] = raw
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH",
                        server.url + "imagenet_class_index.json")
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH",
                        __import__("hashlib").md5(raw).hexdigest())
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", None)
    preds = np.zeros((2, 1000), np.float32)
    preds[0, [5, 7, 9]] = [0.2, 0.5, 0.3]
    preds[1, 999] = 1.0
    decoded = A.resnet.decode_predictions(preds, top=3)
    assert [row[1] for row in decoded[0]] == ["class_7", "class_9", "class_5"]
    assert decoded[1][0][:2] == ("n00000999", "class_999")
    assert (tmp_path / "models" / "imagenet_class_index.json").is_file()
    with pytest.raises(ValueError, match=r"decode_predictions: expected a batch of predictions "
                                         r"of shape \(samples, 1000\); got shape \(2, 10\)"):
        A.vgg16.decode_predictions(np.zeros((2, 10)))


def test_densenet_structure():
    model = A.DenseNet121(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    names = [layer.name for layer in model.layers]
    assert sum(n.endswith("_concat") for n in names) == 6 + 12 + 24 + 16
    assert {"pool2_pool", "pool4_conv", "conv5_block16_concat", "bn", "avg_pool"} <= set(names)
    # each transition halves the channels: 64 + 6*32 = 256 -> 128, 128 + 12*32 = 512 -> 256, ...
    assert model.get_layer("pool2_conv").kernel.shape == (1, 1, 256, 128)
    assert model.output_shape == (None, 1024)
