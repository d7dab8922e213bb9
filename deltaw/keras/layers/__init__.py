"""keras.layers: the Layer base class, the layer families, and the one registry of layer classes.

`LAYERS` maps each class name to its class. Deserialization (`model_from_config`, `load_model`)
resolves a config's `class_name` through `custom_objects` and then this dict only: a config never
causes an import by name. A new layer family adds its classes to `_CLASSES` below.
"""

from deltaw.keras.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from deltaw.keras.layers.attention import Attention, MultiHeadAttention
from deltaw.keras.layers.attention_variants import AdditiveAttention, GroupedQueryAttention
from deltaw.keras.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from deltaw.keras.layers.convolutional_nd import (
    Conv1DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    SeparableConv1D,
)
from deltaw.keras.layers.core import Activation, Dense, Input, InputLayer
from deltaw.keras.layers.einsum_dense import EinsumDense
from deltaw.keras.layers.embedding import Embedding, ReversibleEmbedding
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.lambda_layer import Identity, Lambda
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.layer_norm import (
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from deltaw.keras.layers.masking import Masking
from deltaw.keras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from deltaw.keras.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from deltaw.keras.layers.normalization import BatchNormalization
from deltaw.keras.layers.operation_layer import OperationLayer
from deltaw.keras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from deltaw.keras.layers.pooling_adaptive import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
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
from deltaw.keras.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    ConvLSTM1D,
    ConvLSTM2D,
    ConvLSTM3D,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
    Wrapper,
)
from deltaw.keras.layers.regularization import ActivityRegularization, Dropout
from deltaw.keras.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from deltaw.keras.layers.reshaping_image import Cropping2D, UpSampling2D, ZeroPadding2D
from deltaw.keras.layers.reshaping_nd import (
    Cropping1D,
    Cropping3D,
    UpSampling1D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding3D,
)
from deltaw.keras.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from deltaw.keras.layers.spectral_normalization import SpectralNormalization

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
    # activation, core, reshaping, merging, noise and normalization layers (issue 11)
    ReLU, LeakyReLU, PReLU, ELU, Softmax, Identity, Lambda, Permute, RepeatVector, Dot,
    Cropping1D, Cropping3D, ZeroPadding1D, ZeroPadding3D, UpSampling1D, UpSampling3D,
    GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization, UnitNormalization,
    RMSNormalization, SpatialDropout3D,
    Conv1DTranspose, Conv3D, Conv3DTranspose, DepthwiseConv1D, SeparableConv1D, MaxPooling3D,
    AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D, AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D, AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D, AdaptiveMaxPooling3D,
    EinsumDense, AdditiveAttention, GroupedQueryAttention, Wrapper, SpectralNormalization,
    RNN, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, ReversibleEmbedding, ConvLSTM1D,
    ConvLSTM2D, ConvLSTM3D,
)

LAYERS: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}
GroupQueryAttention = GroupedQueryAttention  # Keras 3 exports it under both names
LAYERS["GroupQueryAttention"] = GroupedQueryAttention

# Keras' alternative names of the vision layers (the same classes).
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, \
    AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
Convolution3D, Convolution1DTranspose, Convolution3DTranspose = Conv3D, Conv1DTranspose, \
    Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalAvgPool3D, GlobalMaxPool3D = GlobalAveragePooling3D, GlobalMaxPooling3D

__all__ = [
    "LAYERS", "serialize", "deserialize",
    "Activation", "Add", "Average", "BatchNormalization", "Concatenate", "Dense",
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
    # activation, core, reshaping, merging, noise and normalization layers (issue 11)
    "ActivityRegularization", "AlphaDropout", "Cropping1D", "Cropping3D", "Dot", "ELU",
    "GaussianDropout", "GaussianNoise", "Identity", "Lambda", "LeakyReLU", "PReLU", "Permute",
    "RMSNormalization", "ReLU", "RepeatVector", "Softmax", "SpatialDropout3D",
    "UnitNormalization", "UpSampling1D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding3D", "dot",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "AveragePooling3D",
    "AvgPool3D", "Conv1DTranspose", "Conv3D", "Conv3DTranspose", "Convolution1DTranspose",
    "Convolution3D", "Convolution3DTranspose", "DepthwiseConv1D", "GlobalAvgPool3D",
    "GlobalAveragePooling3D", "GlobalMaxPool3D", "GlobalMaxPooling3D", "MaxPool3D",
    "MaxPooling3D", "SeparableConv1D", "SeparableConvolution1D",
    "AdditiveAttention", "EinsumDense", "GroupQueryAttention", "GroupedQueryAttention",
    "SpectralNormalization", "Wrapper", "GRUCell", "LSTMCell", "RNN", "SimpleRNNCell",
    "StackedRNNCells", "ReversibleEmbedding", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
]


def serialize(layer) -> dict:
    """keras.layers.serialize: a layer as Keras 3's `{'module', 'class_name', 'config', ...}`."""
    from deltaw.keras.models.config import serialize_layer  # models import this package

    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """keras.layers.deserialize: the layer that `serialize` (or Keras) wrote."""
    from deltaw.keras.models.config import deserialize_layer

    return deserialize_layer(config, custom_objects)
