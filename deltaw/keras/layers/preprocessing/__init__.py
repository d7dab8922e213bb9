"""Keras 3's preprocessing layers usable inside models, one family per module.

Feature scaling (`normalization`), image resizing (`resizing`), random augmentation
(`random_geometric`, `random_color`, `image_adjustment`, `mixing`, `rand_augment`; the
warping sampler is `image_transform`), `pipeline`, bucketing and encoding (`discretization`,
`category_encoding`, `hashing`), vocabularies (`index_lookup`, `text_vectorization`), audio
(`audio`). String inputs are NumPy arrays or lists of `str` (see `tokens`).

Random layers act only in training (`training=True`, their call's default as in Keras) and draw
from their own generator when given a seed, else from deltaw.random. Layers that compute on
arrays (`_computes_outside_ops`) keep `fit` eager; Normalization, Rescaling, Resizing,
CenterCrop, RandomFlip/Crop/Contrast/Brightness and STFTSpectrogram are dw ops, so gradients
flow through them.
"""

from deltaw.keras.layers.preprocessing.audio import MelSpectrogram, STFTSpectrogram
from deltaw.keras.layers.preprocessing.bounding_boxes import MaxNumBoundingBoxes
from deltaw.keras.layers.preprocessing.category_encoding import CategoryEncoding
from deltaw.keras.layers.preprocessing.discretization import Discretization
from deltaw.keras.layers.preprocessing.hashing import HashedCrossing, Hashing
from deltaw.keras.layers.preprocessing.image_adjustment import (
    AutoContrast,
    ContrastLimitedAdaptiveHistogramEqualization,
    Equalization,
    RandomColorDegeneration,
    RandomErasing,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    Solarization,
)
from deltaw.keras.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from deltaw.keras.layers.preprocessing.mixing import CutMix, MixUp
from deltaw.keras.layers.preprocessing.normalization import Normalization, Rescaling
from deltaw.keras.layers.preprocessing.pipeline import Pipeline
from deltaw.keras.layers.preprocessing.rand_augment import AugMix, RandAugment
from deltaw.keras.layers.preprocessing.random_color import (
    RandomBrightness,
    RandomColorJitter,
    RandomContrast,
    RandomHue,
    RandomSaturation,
    RandomSharpness,
)
from deltaw.keras.layers.preprocessing.random_geometric import (
    RandomCrop,
    RandomElasticTransform,
    RandomFlip,
    RandomPerspective,
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
)
from deltaw.keras.layers.preprocessing.resizing import CenterCrop, Resizing
from deltaw.keras.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "IntegerLookup",
           "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
           "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
           "StringLookup", "TextVectorization", "AutoContrast", "RandomGrayscale",
           "RandomInvert", "Solarization", "RandomHue", "RandomSaturation", "RandomSharpness",
           "RandomErasing", "MelSpectrogram", "STFTSpectrogram",
           "Pipeline", "RandomColorDegeneration", "RandomPosterization", "RandomShear",
           "Equalization", "CutMix", "MixUp",
           "RandomGaussianBlur", "RandomColorJitter", "RandomPerspective",
           "RandAugment", "HashedCrossing", "AugMix", "RandomElasticTransform",
           "MaxNumBoundingBoxes", "ContrastLimitedAdaptiveHistogramEqualization"]
