"""keras.applications: Keras' ImageNet architectures with Keras' layer names and weight order.

Each architecture takes Keras' arguments (`include_top`, `weights`, `input_tensor`,
`input_shape`, `pooling`, `classes`, `classifier_activation`, `name`) and its module has
`preprocess_input` and `decode_predictions` (`keras.applications.resnet.preprocess_input`, ...).
`weights="imagenet"` downloads Keras' published weight file with `keras.utils.get_file` (Keras'
URL and md5, cached under `~/.keras/models/` or `$KERAS_HOME/models/`) and loads it by layer
name with the legacy-HDF5 reader; `weights=None` initializes randomly; a path loads that file.
Submodules load on first use.
"""

import importlib

_SUBMODULES = ("densenet", "imagenet_utils", "mobilenet_v2", "resnet", "resnet_v2", "vgg16",
               "vgg19")
_NAMES = {"VGG16": "vgg16", "VGG19": "vgg19", "ResNet50": "resnet", "ResNet101": "resnet",
          "ResNet152": "resnet", "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2",
          "ResNet152V2": "resnet_v2", "DenseNet121": "densenet", "DenseNet169": "densenet",
          "DenseNet201": "densenet", "MobileNetV2": "mobilenet_v2"}

__all__ = [*_SUBMODULES, *_NAMES]


def __getattr__(name):
    if name in _SUBMODULES:
        value = importlib.import_module(f"deltaw.keras.applications.{name}")
    elif name in _NAMES:
        value = getattr(importlib.import_module(f"deltaw.keras.applications.{_NAMES[name]}"),
                        name)
    else:
        raise AttributeError(f"module 'deltaw.keras.applications' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
