"""VGG16 and VGG19 (Simonyan and Zisserman, 2015), with Keras' layer names and weight order."""

from __future__ import annotations

from deltaw.keras.applications import imagenet_utils as iu

__all__ = ["build_vgg"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/"
# md5 of Keras' published files: (with the top, without)
WEIGHTS_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}


def build_vgg(convs_per_block, include_top, weights, input_tensor, input_shape, pooling,
              classes, classifier_activation, name, where):
    """The VGG network with `convs_per_block` 3x3 convolutions in each of its 5 blocks."""
    from deltaw.keras import layers
    from deltaw.keras.backend import image_data_format

    iu.check_weights(where, weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 224, 32, image_data_format(), include_top,
                                        weights, where)
    inputs = iu.input_layer(input_tensor, input_shape)
    x = inputs
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        iu.validate_activation(classifier_activation, weights, where)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.global_pooling(x, pooling)
    key = where.lower()
    file_name = f"{key}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return iu.finish(inputs, x, name, weights, (file_name, f"{BASE_WEIGHTS_PATH}{key}/{file_name}",
                                                WEIGHTS_HASHES[key][0 if include_top else 1]),
                     where)
