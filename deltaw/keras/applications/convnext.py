"""`keras.applications.convnext`: ConvNeXtTiny, Small, Base, Large and XLarge (Liu et al., 2022),
with Keras' layer names and weight order; the models normalize their input themselves
(`include_preprocessing`), so `preprocess_input` returns its input, as in Keras.
"""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu
from deltaw.keras.layers.layer import Layer

__all__ = ["ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
           "LayerScale", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# sha256 of Keras' published files: (with the top, without)
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
MODEL_CONFIGS = {  # depths and projection dims of the four stages; default size 224
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}


class LayerScale(Layer):
    """Multiplies its input by a learned per-channel scale `gamma` (Touvron et al., 2021).

    Args:
        init_values: Initial value of every entry of `gamma`.
        projection_dim: Number of channels (the input's last axis).
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        from deltaw.keras import initializers

        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values),
                                     trainable=True)

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values,
                "projection_dim": self.projection_dim}


def convnext_block(x, projection_dim, layer_scale_init_value=1e-6, name=None):
    """Depthwise 7x7, layer norm, pointwise MLP (dense layers), layer scale, residual."""
    from deltaw.keras import layers

    inputs = x
    x = layers.Conv2D(projection_dim, 7, padding="same", groups=projection_dim,
                      name=f"{name}_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
    # Keras' drop_path_rate is 0 in every variant: the identity in place of stochastic depth
    return inputs + layers.Activation("linear", name=f"{name}_identity")(x)


def _downsampling(name, dims):
    from deltaw.keras import layers
    from deltaw.keras.models import Sequential

    stem = Sequential([layers.Conv2D(dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                       layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")],
                      name=f"{name}_stem")
    return [stem] + [Sequential(
        [layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
         layers.Conv2D(dims[i + 1], kernel_size=2, strides=2,
                       name=f"{name}_downsampling_conv_{i}")],
        name=f"{name}_downsampling_block_{i}") for i in range(3)]


def _head(x, include_top, pooling, classes, classifier_activation, weights, name, where):
    from deltaw.keras import layers

    if include_top:
        iu.validate_activation(classifier_activation, weights, where)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(classes, activation=classifier_activation,
                            name=f"{name}_head_dense")(x)
    return layers.LayerNormalization(epsilon=1e-6)(iu.global_pooling(x, pooling))


def build_convnext(variant, include_top, include_preprocessing, weights, input_tensor,
                   input_shape, pooling, classes, classifier_activation, name, where):
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    if image_data_format() == "channels_first":
        raise ValueError(f"{where}: ConvNeXt supports only the channels_last image data format; "
                         "got channels_first.")
    iu.check_weights(where, weights, include_top, classes)
    weights_name = f"convnext_{variant}"
    if weights == "imagenet" and weights_name not in name:
        raise ValueError(f"{where}: with ImageNet weights the model's name must contain "
                         f"{weights_name!r} (as in Keras); got name={name!r}.")
    depths, dims = MODEL_CONFIGS[variant]
    input_shape = iu.obtain_input_shape(input_shape, 224, 32, image_data_format(), include_top,
                                        weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = inputs
    if include_preprocessing and input_shape[-1] == 3:
        x = layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                 variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2,
                                           (0.225 * 255) ** 2],
                                 name=f"{name}_prestem_normalization")(x)
    for i, downsample in enumerate(_downsampling(name, dims)):
        x = downsample(x)
        for j in range(depths[i]):
            x = convnext_block(x, dims[i], 1e-6, name=f"{name}_stage_{i}_block_{j}")
    x = _head(x, include_top, pooling, classes, classifier_activation, weights, name, where)
    file_name = f"{name}{'.h5' if include_top else '_notop.h5'}"
    return iu.finish(inputs, x, name, weights, (file_name, BASE_WEIGHTS_PATH + file_name,
                                                WEIGHTS_HASHES[weights_name][0 if include_top
                                                                             else 1]), where)


_DOC = """ConvNeXt{v} as `keras.applications.ConvNeXt{v}` (default input 224x224, channels_last).

    The model normalizes its input pixels (0..255) with ImageNet's statistics itself.

    Args:
        include_top: Include the classifier (pooling, layer norm and a dense layer).
        include_preprocessing: Normalize the input in the model (a `Normalization` layer).
        weights: `"imagenet"` (Keras' published weights, downloaded once into
            `~/.keras/models/`), None (random initialization) or the path of a weights file.
        input_tensor: An `Input` tensor to use as the model's input.
        input_shape: `(height, width, channels)`, each side at least 32, without the top.
        pooling: None, `"avg"` or `"max"`: global pooling of the features without the top
            (followed by a layer norm, as in Keras).
        classes: Number of classes of the top layer.
        classifier_activation: Activation of the top layer (None for logits).
        name: The model's name (it must contain `convnext_{l}` with ImageNet weights).

    Returns:
        A functional `Model` with Keras' layer names and weight order.
"""


def _make(variant):
    title = "XLarge" if variant == "xlarge" else variant.title()

    def model(include_top=True, include_preprocessing=True, weights="imagenet",
              input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=f"convnext_{variant}"):
        return build_convnext(variant, include_top, include_preprocessing, weights,
                              input_tensor, input_shape, pooling, classes,
                              classifier_activation, name, f"ConvNeXt{title}")

    model.__name__ = model.__qualname__ = f"ConvNeXt{title}"
    model.__doc__ = _DOC.format(v=title, l=variant)
    return model


ConvNeXtTiny = _make("tiny")
ConvNeXtSmall = _make("small")
ConvNeXtBase = _make("base")
ConvNeXtLarge = _make("large")
ConvNeXtXLarge = _make("xlarge")


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: ConvNeXt models normalize their input themselves (as Keras)."""
    return x


decode_predictions = iu.decode_predictions
