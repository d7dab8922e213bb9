"""keras.layers: the Layer base class, the layer families, and the one registry of layer classes.

`LAYERS` maps each class name to its class. Deserialization (`model_from_config`, `load_model`)
resolves a config's `class_name` through `custom_objects` and then this dict only: a config never
causes an import by name. A new layer family adds its classes to `_CLASSES` below.
"""

from deltaw.keras.layers.attention import Attention, MultiHeadAttention
from deltaw.keras.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from deltaw.keras.layers.core import Activation, Dense, Input, InputLayer
from deltaw.keras.layers.embedding import Embedding
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.layer_norm import GroupNormalization, LayerNormalization
from deltaw.keras.layers.masking import Masking
from deltaw.keras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from deltaw.keras.layers.normalization import BatchNormalization
from deltaw.keras.layers.operation_layer import OperationLayer
from deltaw.keras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from deltaw.keras.layers.preprocessing import (
    AugMix,
    AutoContrast,
    CategoryEncoding,
    CenterCrop,
    ContrastLimitedAdaptiveHistogramEqualization,
    CutMix,
    Discretization,
    Equalization,
    HashedCrossing,
    Hashing,
    IntegerLookup,
    MaxNumBoundingBoxes,
    MelSpectrogram,
    MixUp,
    Normalization,
    Pipeline,
    RandAugment,
    RandomBrightness,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomContrast,
    RandomCrop,
    RandomElasticTransform,
    RandomErasing,
    RandomFlip,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPerspective,
    RandomPosterization,
    RandomRotation,
    RandomSaturation,
    RandomSharpness,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    Solarization,
    STFTSpectrogram,
    StringLookup,
    TextVectorization,
)
from deltaw.keras.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN, TimeDistributed
from deltaw.keras.layers.regularization import Dropout
from deltaw.keras.layers.reshaping import Flatten, Reshape
from deltaw.keras.layers.reshaping_image import Cropping2D, UpSampling2D, ZeroPadding2D
from deltaw.keras.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D

_CLASSES = (
    Layer, InputLayer, Dense, Activation,
    Flatten, Reshape,
    Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract,
    BatchNormalization,
    Dropout,
    # vision layers
    Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D,
    MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
    UpSampling2D, ZeroPadding2D, Cropping2D, LayerNormalization, GroupNormalization,
    SpatialDropout1D, SpatialDropout2D,
    # sequence layers
    Embedding, Masking, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed,
    MultiHeadAttention, Attention,
    # preprocessing layers
    Normalization, Rescaling, Resizing, CenterCrop, RandomFlip, RandomRotation, RandomZoom,
    RandomTranslation, RandomCrop, RandomContrast, RandomBrightness, Discretization,
    CategoryEncoding, Hashing, StringLookup, IntegerLookup, TextVectorization, RandomGrayscale,
    RandomInvert, Solarization, AutoContrast, RandomHue, RandomSaturation, RandomSharpness,
    RandomErasing, MelSpectrogram, STFTSpectrogram, Pipeline, RandomColorDegeneration,
    RandomPosterization, RandomShear, Equalization, CutMix, MixUp, RandomGaussianBlur,
    RandomColorJitter, RandomPerspective, RandAugment, HashedCrossing, AugMix,
    RandomElasticTransform, MaxNumBoundingBoxes, ContrastLimitedAdaptiveHistogramEqualization,
    # operations recorded on KerasTensors (x + y, x[:, 0], keras.ops calls)
    OperationLayer,
)

LAYERS: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}

# Keras' alternative names of the vision layers (the same classes).
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, \
    AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D

__all__ = [
    "LAYERS", "Activation", "Add", "Average", "BatchNormalization", "Concatenate", "Dense",
    "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "KerasTensor", "Layer", "Maximum",
    "Minimum", "Multiply", "Reshape", "Subtract", "add", "average", "concatenate", "maximum",
    "minimum", "multiply", "subtract",
    # vision layers
    "AveragePooling1D", "AveragePooling2D", "Conv1D", "Conv2D", "Conv2DTranspose", "Cropping2D",
    "DepthwiseConv2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GroupNormalization", "LayerNormalization", "MaxPooling1D",
    "MaxPooling2D", "SeparableConv2D", "SpatialDropout1D", "SpatialDropout2D", "UpSampling2D",
    "ZeroPadding2D", "AvgPool1D", "AvgPool2D", "Convolution1D", "Convolution2D",
    "Convolution2DTranspose", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "MaxPool1D", "MaxPool2D", "SeparableConvolution2D",
    # sequence layers
    "Attention", "Bidirectional", "Embedding", "GRU", "LSTM", "Masking", "MultiHeadAttention",
    "SimpleRNN", "TimeDistributed",
    # preprocessing layers
    "CenterCrop", "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
    "CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "StringLookup",
    "TextVectorization", "AutoContrast", "RandomGrayscale", "RandomInvert", "Solarization",
    "RandomHue", "RandomSaturation", "RandomSharpness", "RandomErasing",
    "MelSpectrogram", "STFTSpectrogram", "Pipeline", "RandomColorDegeneration",
    "RandomPosterization", "RandomShear", "Equalization", "CutMix", "MixUp",
    "RandomGaussianBlur", "RandomColorJitter", "RandomPerspective", "RandAugment",
    "HashedCrossing", "AugMix", "RandomElasticTransform", "MaxNumBoundingBoxes",
    "ContrastLimitedAdaptiveHistogramEqualization",
]
