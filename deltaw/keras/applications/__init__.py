"""keras.applications: Keras' ImageNet architectures with Keras' layer names and weight order.

Each architecture takes Keras' arguments (`include_top`, `weights`, `input_tensor`,
`input_shape`, `pooling`, `classes`, `classifier_activation`, `name`) and its module has
`preprocess_input` and `decode_predictions` (`keras.applications.resnet.preprocess_input`, ...).
`weights="imagenet"` downloads Keras' published weight file with `keras.utils.get_file` (Keras'
URL and md5, cached under `~/.keras/models/` or `$KERAS_HOME/models/`) and loads it with the
legacy-HDF5 reader, by position among the layers with weights as Keras does; `weights=None`
initializes randomly; a path loads that file. Submodules load on first use.
"""

import importlib

_SUBMODULES = ("convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils",
               "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2",
               "mobilenet_v3", "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19",
               "xception")
_NAMES = {"VGG16": "vgg16", "VGG19": "vgg19", "ResNet50": "resnet", "ResNet101": "resnet",
          "ResNet152": "resnet", "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2",
          "ResNet152V2": "resnet_v2", "DenseNet121": "densenet", "DenseNet169": "densenet",
          "DenseNet201": "densenet", "MobileNet": "mobilenet", "MobileNetV2": "mobilenet_v2",
          "MobileNetV3Small": "mobilenet_v3", "MobileNetV3Large": "mobilenet_v3",
          "InceptionV3": "inception_v3", "InceptionResNetV2": "inception_resnet_v2",
          "Xception": "xception", "NASNetMobile": "nasnet", "NASNetLarge": "nasnet",
          **{f"EfficientNetB{i}": "efficientnet" for i in range(8)},
          **{f"EfficientNetV2{s}": "efficientnet_v2" for s in ("B0", "B1", "B2", "B3", "S", "M",
                                                                "L")},
          **{f"ConvNeXt{s}": "convnext" for s in ("Tiny", "Small", "Base", "Large", "XLarge")}}

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
