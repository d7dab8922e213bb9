"""keras.applications: Keras' ImageNet architectures with Keras' layer names and weight order.

VGG16, VGG19, ResNet50/101/152, ResNet50V2/101V2/152V2 and DenseNet121/169/201, built with
`weights=None` (or a weights file saved by deltaw), each with its module's `preprocess_input` and
`decode_predictions` (`keras.applications.resnet.preprocess_input`, ...). `weights="imagenet"`
raises NotImplementedError until deltaw reads Keras' HDF5 weight files. Submodules load on
first use.
"""

import importlib

_SUBMODULES = ("densenet", "imagenet_utils", "resnet", "resnet_v2", "vgg16", "vgg19")
_NAMES = {"VGG16": "vgg16", "VGG19": "vgg19", "ResNet50": "resnet", "ResNet101": "resnet",
          "ResNet152": "resnet", "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2",
          "ResNet152V2": "resnet_v2", "DenseNet121": "densenet", "DenseNet169": "densenet",
          "DenseNet201": "densenet"}

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
