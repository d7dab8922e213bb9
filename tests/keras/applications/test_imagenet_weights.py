"""weights="imagenet": Keras' published weight files (tf.keras legacy HDF5, written here from
real Keras models in that layout) served from 127.0.0.1, downloaded through get_file into
KERAS_HOME, loaded by position as Keras does, and the predictions compared with Keras' own on
the same file."""

import hashlib

import numpy as np
import pytest

from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)
h5py = pytest.importorskip("h5py")

import deltaw.keras as dk  # noqa: E402
from deltaw.io.errors import ModelFileError  # noqa: E402
from deltaw.keras.applications import mobilenet_v2, resnet  # noqa: E402


def write_published_layout(model, path):
    """The layout of Keras' published files (tf.keras 2's save_weights to '.h5'): root attrs
    layer_names (every layer), backend, keras_version; one group per layer with attr
    weight_names ('layer/kernel:0', ...) and each weight at group/<weight name>."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([layer.name.encode() for layer in model.layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in model.layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0" for w in layer.weights]
            group.attrs["weight_names"] = np.array([n.encode() for n in names])
            for n, w in zip(names, layer.weights):
                value = kr.to_numpy(w)
                if value.ndim == 1:  # batch-norm statistics and biases away from 0 and 1
                    value = np.abs(value + rng.normal(0, 0.1, value.shape)).astype(value.dtype)
                    value += 0.5
                group.create_dataset(n, data=value)
    return path.read_bytes()


def _serve(server, tmp_path, monkeypatch, kmodel, file_name):  # noqa: F811
    with kr.quiet():
        data = write_published_layout(kmodel, tmp_path / file_name)
    server.files[file_name] = data
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    with kr.quiet():
        kmodel.load_weights(str(tmp_path / file_name))   # Keras reads the file as published
    return hashlib.md5(data).hexdigest()


def _compare(ours, kmodel, shape):
    x = np.random.default_rng(1).random((2, *shape), dtype=np.float32) * 2 - 1
    with kr.quiet():
        expected = kr.to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


def test_resnet50_imagenet_predicts_what_keras_predicts(server, tmp_path,  # noqa: F811
                                                        monkeypatch):
    kwargs = {"include_top": False, "pooling": "avg", "input_shape": (64, 64, 3)}
    with kr.quiet():
        kmodel = keras.applications.ResNet50(weights=None, **kwargs)
    name = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    md5 = _serve(server, tmp_path, monkeypatch, kmodel, name)
    monkeypatch.setattr(resnet, "BASE_WEIGHTS_PATH", server.url)
    monkeypatch.setitem(resnet.WEIGHTS_HASHES, "resnet50", ("unused", md5))
    ours = dk.applications.ResNet50(weights="imagenet", **kwargs)
    _compare(ours, kmodel, (64, 64, 3))
    assert (tmp_path / "home" / "models" / name).is_file()
    dk.applications.ResNet50(weights="imagenet", **kwargs)   # from the cache
    assert server.hits[name] == 1


def test_mobilenet_v2_imagenet_with_and_without_top(server, tmp_path,  # noqa: F811
                                                     monkeypatch):
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", server.url)
    for top, suffix in ((False, "_no_top"), (True, "")):
        with kr.quiet():
            kmodel = keras.applications.MobileNetV2(weights=None, include_top=top,
                                                    input_shape=(96, 96, 3))
        name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96{suffix}.h5"
        _serve(server, tmp_path, monkeypatch, kmodel, name)
        ours = dk.applications.MobileNetV2(weights="imagenet", include_top=top,
                                           input_shape=(96, 96, 3))
        assert ours.name == kmodel.name == "mobilenetv2_1.00_96"
        _compare(ours, kmodel, (96, 96, 3))


def test_imagenet_weights_errors(server, tmp_path, monkeypatch):  # noqa: F811
    with kr.quiet():
        kmodel = keras.applications.MobileNetV2(weights=None, include_top=False, alpha=0.35,
                                                input_shape=(96, 96, 3))
    mobile = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    _serve(server, tmp_path, monkeypatch, kmodel, mobile)
    # the MobileNetV2 file served where ResNet50's should be
    resnet_name = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    server.files[resnet_name] = server.files[mobile]
    monkeypatch.setattr(resnet, "BASE_WEIGHTS_PATH", server.url)
    monkeypatch.setitem(resnet.WEIGHTS_HASHES, "resnet50",
                        ("unused", hashlib.md5(server.files[mobile]).hexdigest()))
    with pytest.raises(ModelFileError, match=r"ResNet50: ImageNet weights .* the file holds "
                                             r"weights for 104 layers but the model has 106 "
                                             r"layers with weights"):
        dk.applications.ResNet50(weights="imagenet", include_top=False,
                                 input_shape=(64, 64, 3))
    # a corrupted download fails get_file's md5 check and is not cached
    server.files[resnet_name] = server.files[mobile][:-10] + b"0" * 10
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "other"))
    with pytest.raises(ValueError, match="hash"):
        dk.applications.ResNet50(weights="imagenet", include_top=False,
                                 input_shape=(64, 64, 3))
    assert not (tmp_path / "other" / "models" / resnet_name).exists()
    with pytest.raises(ValueError, match=r"MobileNetV2: ImageNet weights exist for alpha in .* "
                                         r"got alpha=0.6"):
        dk.applications.MobileNetV2(alpha=0.6)
    with pytest.raises(ValueError, match="classifier_activation must be None or 'softmax'; got "
                                         "classifier_activation='relu'"):
        dk.applications.ResNet50(classifier_activation="relu")


def test_efficientnet_imagenet_matches_keras_imagenet_by_position(server, tmp_path,  # noqa: F811
                                                                   monkeypatch):
    """Keras' own EfficientNetB0(weights="imagenet") and deltaw's, both downloading the same
    served file. The file's unnamed Normalization layer is 'normalization_1' (written in a
    session that had made another), deltaw's 'normalization': weights go by position, as in
    Keras. The ImageNet variant also has the extra Rescaling that weights=None lacks."""
    from keras.src.applications import efficientnet as keras_efficientnet

    from deltaw.keras.applications import efficientnet

    kwargs = {"include_top": False, "pooling": "avg", "input_shape": (32, 32, 3)}
    keras.backend.clear_session()
    with kr.quiet():
        keras.layers.Normalization()   # shifts the writer's layer names
        writer = keras.applications.EfficientNetB0(weights=None, **kwargs)
    assert "normalization_1" in [layer.name for layer in writer.layers]
    name = "efficientnetb0_notop.h5"
    md5 = _serve(server, tmp_path, monkeypatch, writer, name)
    for module, base in ((keras_efficientnet, "BASE_WEIGHTS_PATH"),
                         (efficientnet, "BASE_WEIGHTS_PATH")):
        monkeypatch.setattr(module, base, server.url)
        monkeypatch.setitem(module.WEIGHTS_HASHES, "b0", ("unused", md5))
    monkeypatch.setattr("keras.src.backend.config._KERAS_DIR", str(tmp_path / "keras_home"))
    keras.backend.clear_session()
    with kr.quiet():
        theirs = keras.applications.EfficientNetB0(weights="imagenet", **kwargs)
    dk.backend.clear_session()
    ours = dk.applications.EfficientNetB0(weights="imagenet", **kwargs)
    assert "normalization" in [layer.name for layer in ours.layers]
    x = np.random.default_rng(2).random((2, 32, 32, 3), dtype=np.float32) * 255
    with kr.quiet():
        expected = kr.to_numpy(theirs(x, training=False))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


class _Requested(Exception):
    pass


def _requested_file(monkeypatch, module, attribute, build):
    """(file name, URL, hash, cache_subdir) that `build()` asks get_file for, stopped there."""
    def fake(fname, origin, **kwargs):
        raise _Requested(fname, origin, kwargs.get("file_hash"), kwargs.get("cache_subdir"))

    monkeypatch.setattr(module, attribute, fake)
    with pytest.raises(_Requested) as info, kr.quiet():
        build()
    monkeypatch.undo()
    return info.value.args


# one member of each family (the same code computes the others' files), with and without top
URL_CASES = [("VGG16", False), ("ResNet50", False), ("ResNet50V2", False), ("DenseNet121", True),
             ("MobileNet", True), ("MobileNetV2", False), ("MobileNetV3Small", True),
             ("EfficientNetB0", True), ("EfficientNetV2B0", False), ("InceptionV3", False),
             ("Xception", False), ("ConvNeXtTiny", False)]


@pytest.mark.parametrize("name, top", URL_CASES)
def test_keras_published_files_urls_and_hashes(monkeypatch, name, top):
    import keras.src.utils.file_utils as keras_file_utils

    from deltaw.keras.utils import file_utils

    kwargs = {"include_top": top, "weights": "imagenet"}
    if not top:
        kwargs["input_shape"] = (96, 96, 3) if name.startswith("MobileNet") else (75, 75, 3)
    theirs = _requested_file(monkeypatch, keras_file_utils, "get_file",
                             lambda: getattr(keras.applications, name)(**kwargs))
    ours = _requested_file(monkeypatch, file_utils, "get_file",
                           lambda: getattr(dk.applications, name)(**kwargs))
    assert ours == theirs
