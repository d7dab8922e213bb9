"""What Keras' ImageNet models share: input preprocessing, prediction decoding, input shapes and
the `weights` argument.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

__all__ = ["correct_pad", "decode_predictions", "load_imagenet_weights", "obtain_input_shape",
           "preprocess_input", "validate_activation"]

CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                    "imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
_CLASS_INDEX = None
_CAFFE_MEAN = (103.939, 116.779, 123.68)          # BGR means of ImageNet, Keras' constants
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scales a batch of RGB images (values 0..255) the way a model's ImageNet weights expect.

    Args:
        x: Array of shape `(..., height, width, 3)` (or channels first), values in [0, 255].
            A float array is modified in place, as in Keras; pass a copy to keep it.
        data_format: `"channels_last"` or `"channels_first"`; default `image_data_format()`.
        mode: `"caffe"` (RGB to BGR, then minus ImageNet's channel means), `"tf"` (to [-1, 1])
            or `"torch"` (to [0, 1], then ImageNet's mean and std per channel).

    Returns:
        The preprocessed float array.

    Example:
        >>> preprocess_input(np.full((1, 1, 3), 255.0), mode="tf")
        array([[[1., 1., 1.]]])
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: mode must be 'caffe', 'tf' or 'torch'; got "
                         f"mode={mode!r}.")
    if data_format is None:
        from deltaw.keras.backend import image_data_format

        data_format = image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"preprocess_input: data_format must be 'channels_first' or "
                         f"'channels_last'; got data_format={data_format!r}.")
    x = x.numpy() if hasattr(x, "numpy") else x
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = (-3 if x.ndim >= 3 else 0) if data_format == "channels_first" else -1
    shape = [1] * x.ndim
    shape[axis] = 3
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(_TORCH_MEAN, shape).astype(x.dtype)
        x /= np.reshape(_TORCH_STD, shape).astype(x.dtype)
        return x
    x = np.flip(x, axis=axis)                              # RGB -> BGR
    return x - np.reshape(_CAFFE_MEAN, shape).astype(x.dtype)


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction: `[(class_id, name, score), ...]` per row.

    The class index (`imagenet_class_index.json`) is downloaded once with `get_file` into
    `~/.keras/models/`.

    Raises:
        ValueError: `preds` is not of shape `(samples, 1000)`.
    """
    global _CLASS_INDEX
    preds = np.asarray(preds.numpy() if hasattr(preds, "numpy") else preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions: expected a batch of predictions of shape "
                         f"(samples, 1000); got shape {preds.shape}.")
    if _CLASS_INDEX is None:
        from deltaw.keras.utils.file_utils import get_file

        path = get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                        file_hash=CLASS_INDEX_HASH)
        with open(path, encoding="utf-8") as f:
            _CLASS_INDEX = json.load(f)
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        results.append(sorted((tuple(_CLASS_INDEX[str(i)]) + (pred[i],) for i in best),
                              key=lambda row: row[2], reverse=True))
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None, where="applications"):
    """The model's input shape from `input_shape` and `include_top`, with Keras' checks."""
    channels_first = data_format == "channels_first"
    default = (3, default_size, default_size) if channels_first else (default_size,
                                                                       default_size, 3)
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(f"{where}: this model usually expects 1 or 3 input channels; got "
                          f"input_shape={input_shape}.", UserWarning, stacklevel=3)
        default = ((channels, default_size, default_size) if channels_first
                   else (default_size, default_size, channels))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default:
            raise ValueError(f"{where}: with include_top=True and ImageNet weights, input_shape "
                             f"must be {default}; got input_shape={input_shape}.")
        return default
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(f"{where}: input_shape must be a tuple of three integers; got "
                             f"input_shape={input_shape}.")
        sizes = input_shape[1:] if channels_first else input_shape[:2]
        if any(s is not None and s < min_size for s in sizes):
            raise ValueError(f"{where}: input size must be at least {min_size}x{min_size}; got "
                             f"input_shape={input_shape}.")
        input_shape = tuple(input_shape)
    elif require_flatten:
        input_shape = default
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(f"{where}: include_top=True needs a static input_shape; got "
                         f"input_shape={input_shape}.")
    return input_shape


def check_weights(where, weights, include_top, classes):
    """Keras' checks of `weights`: None, 'imagenet' or an existing file, and 1000 classes."""
    if not (weights in ("imagenet", None) or os.path.exists(os.fspath(weights))):
        raise ValueError(f"{where}: weights must be None (random initialization), 'imagenet' or "
                         f"the path of a weights file; got weights={weights!r}.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{where}: with ImageNet weights and include_top=True, classes must be "
                         f"1000; got classes={classes}.")


def validate_activation(classifier_activation, weights, where="applications"):
    """Keras' rule: pretrained weights allow only a softmax or linear (None) classifier."""
    if weights is None:
        return
    from deltaw.keras import activations

    if activations.get(classifier_activation) not in (activations.get("softmax"),
                                                      activations.get(None)):
        raise ValueError(f"{where}: with pretrained weights and include_top=True, "
                         "classifier_activation must be None or 'softmax'; got "
                         f"classifier_activation={classifier_activation!r}.")


def correct_pad(inputs, kernel_size):
    """Keras' zero padding before a strided 'valid' convolution: ((top, bottom), (left, right))."""
    from deltaw.keras.backend import image_data_format

    axis = 2 if image_data_format() == "channels_first" else 1
    size = inputs.shape[axis:axis + 2]
    kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def load_imagenet_weights(model, file_name, origin, file_hash=None, where="applications"):
    """Downloads Keras' published weight file (cached under `models/`) and loads it as Keras does.

    The published files are tf.keras legacy HDF5 weight files (`layer_names` / `weight_names`
    attributes). Like Keras' `load_weights`, the weights go by position among the layers that
    have weights, not by name: the files of architectures whose layers Keras leaves unnamed
    (InceptionV3, Xception's batch norms) carry the names of another session's counters. The
    number of layers, of weights per layer and every shape must match, or nothing is loaded.
    """
    from deltaw.io.hdf5 import H5Reader
    from deltaw.keras.saving import legacy_h5
    from deltaw.keras.utils.file_utils import get_file

    path = get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
    label = f"{where}: ImageNet weights {path!r}"
    with open(path, "rb") as f:
        data = f.read()
    with H5Reader(data, where=label) as reader:
        legacy_h5.load_weights(reader, model, label)


def input_layer(input_tensor, input_shape):
    from deltaw.keras.layers import Input
    from deltaw.keras.layers.keras_tensor import is_keras_tensor

    if input_tensor is None:
        return Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        raise ValueError(f"applications: input_tensor must be a Keras tensor (from Input); got "
                         f"{type(input_tensor).__name__}.")
    return input_tensor


def global_pooling(x, pooling, named=False):
    """`pooling="avg"` / `"max"` of the features without the top (any other value: `x`), the
    layers named "avg_pool" / "max_pool" where Keras names them, else left to the counter."""
    from deltaw.keras import layers

    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool" if named else None)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool" if named else None)(x)
    return x


def classifier_head(x, include_top, pooling, classes, classifier_activation, weights, where,
                    top_pool="avg_pool", named_pooling=False):
    """Keras' common head: global average pooling (named `top_pool`) and the "predictions" layer
    with the top, else `global_pooling(x, pooling, named_pooling)`."""
    from deltaw.keras import layers

    if not include_top:
        return global_pooling(x, pooling, named_pooling)
    x = layers.GlobalAveragePooling2D(name=top_pool)(x)
    validate_activation(classifier_activation, weights, where)
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def finish(inputs, x, name, weights, imagenet_file=None, where="applications"):
    """The functional model, with its weights loaded: `imagenet_file` is the published file's
    `(file_name, origin, file_hash)` when `weights="imagenet"`, else `weights` is a path."""
    from deltaw.keras.models import Model

    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        load_imagenet_weights(model, *imagenet_file, where=where)
    elif weights is not None:
        model.load_weights(weights)
    return model


def square_size(input_shape, input_tensor, sizes, default=224):
    """MobileNet's default input size: the given square side if it is one of `sizes`."""
    from deltaw.keras.backend import image_data_format

    if input_shape is not None:
        shape = tuple(input_shape)
    elif input_tensor is not None:
        shape = tuple(input_tensor.shape[1:])
    else:
        return default
    if len(shape) != 3:
        return default
    rows, cols = shape[1:] if image_data_format() == "channels_first" else shape[:2]
    return rows if rows == cols and rows in sizes else default


def channel_axis():
    """The channel axis of a 4-D image batch: -1 (channels_last) or 1."""
    from deltaw.keras.backend import image_data_format

    return 1 if image_data_format() == "channels_first" else -1
