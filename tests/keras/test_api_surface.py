"""The tf.keras names deltaw promises: each one is importable the way a Keras program imports it."""

from __future__ import annotations

import importlib

import pytest

import deltaw

PROMISED = {
    "layers": ["Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten",
               "Reshape", "BatchNormalization", "Concatenate", "Add", "Multiply", "Conv1D",
               "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling1D",
               "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
               "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
               "UpSampling2D", "ZeroPadding2D", "Cropping2D", "LayerNormalization",
               "GroupNormalization", "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional",
               "TimeDistributed", "MultiHeadAttention", "Attention", "Masking",
               "SpatialDropout1D", "SpatialDropout2D"],
    "models": ["Model", "Sequential", "load_model", "save_model", "model_from_json"],
    "optimizers": ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Nadam", "get"],
    "optimizers.schedules": ["ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay"],
    "losses": ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
               "MeanSquaredError", "MeanAbsoluteError", "Huber", "binary_crossentropy", "mse"],
    "metrics": ["BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
                "TopKCategoricalAccuracy", "Precision", "Recall", "AUC", "MeanSquaredError",
                "MeanAbsoluteError", "Mean"],
    "callbacks": ["Callback", "History", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau",
                  "LearningRateScheduler", "TerminateOnNaN", "CSVLogger", "LambdaCallback",
                  "BackupAndRestore", "ProgbarLogger"],
    "initializers": ["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                     "LecunNormal", "RandomNormal", "RandomUniform", "TruncatedNormal", "Zeros",
                     "Ones", "Constant", "Orthogonal"],
    "regularizers": ["L1", "L2", "L1L2"],
    "activations": ["relu", "sigmoid", "softmax", "tanh", "gelu", "get"],
    "utils": ["to_categorical", "set_random_seed",
              "get_file", "PyDataset", "Sequence", "pad_sequences", "normalize", "Progbar",
              "timeseries_dataset_from_array", "image_dataset_from_directory",
              "text_dataset_from_directory", "split_dataset", "load_img", "img_to_array",
              "array_to_img", "save_img", "plot_model"],
    "datasets": ["mnist", "breast_cancer", "digits", "iris",
                 "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                 "california_housing"],
    "saving": ["load_model", "save_model"],
    "applications": ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2",
                     "ResNet101V2", "ResNet152V2", "vgg16", "vgg19", "resnet", "resnet_v2",
                     "imagenet_utils", "DenseNet121", "DenseNet169", "DenseNet201", "densenet",
                     # issue 13's remaining architectures
                     "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large",
                     *(f"EfficientNetB{i}" for i in range(8)),
                     *(f"EfficientNetV2{s}" for s in ("B0", "B1", "B2", "B3", "S", "M", "L")),
                     "InceptionV3", "Xception", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase",
                     "ConvNeXtLarge", "ConvNeXtXLarge", "mobilenet", "mobilenet_v2",
                     "mobilenet_v3", "efficientnet", "efficientnet_v2", "inception_v3",
                     "xception", "convnext", "resnet50", "InceptionResNetV2",
                     "inception_resnet_v2", "NASNetMobile", "NASNetLarge", "nasnet"],
    "backend": ["floatx", "epsilon", "clear_session"],
}
# the layers added for issue 11 (activation, reshaping, noise, 1-D/3-D vision, attention, RNN)
PROMISED["layers"] += [
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Identity", "Lambda", "Permute",
    "RepeatVector", "Dot", "Cropping1D", "Cropping3D", "ZeroPadding1D", "ZeroPadding3D",
    "UpSampling1D", "UpSampling3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization", "UnitNormalization", "RMSNormalization", "SpatialDropout3D",
    "Conv1DTranspose", "Conv3D", "Conv3DTranspose", "DepthwiseConv1D", "SeparableConv1D",
    "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D",
    "AdaptiveAveragePooling2D", "AdaptiveMaxPooling2D", "EinsumDense", "AdditiveAttention",
    "GroupQueryAttention", "SpectralNormalization", "Wrapper", "RNN", "SimpleRNNCell",
    "LSTMCell", "GRUCell", "StackedRNNCells", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "ReversibleEmbedding"]
CASES = [(module, name) for module, names in PROMISED.items() for name in names]


@pytest.mark.parametrize("module, name", CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_promised_name_is_importable(module, name):
    assert hasattr(importlib.import_module(f"deltaw.keras.{module}"), name)


def test_import_deltaw_as_tf_reaches_keras():
    import deltaw as tf

    assert tf.keras.layers.Dense is importlib.import_module("deltaw.keras.layers").Dense
    assert tf.keras.Sequential is tf.keras.models.Sequential
    assert tf.GradientTape is deltaw.GradientTape


def test_import_deltaw_does_not_load_keras():
    import subprocess
    import sys

    code = "import sys, deltaw; print('deltaw.keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
