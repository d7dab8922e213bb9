"""A residual CNN (functional API, BatchNormalization, Add skips) on the 8x8 digits (~97.5%).

Built with the functional API as in the Keras ResNet guides: a 3x3 stem, two residual blocks
(Conv2D-BN-ReLU-Conv2D-BN, added to the block's input, then ReLU), global average pooling and a
softmax classifier. Adam with a cosine-decaying learning rate. The stated accuracy is at least
96% on the 360 held-out digits; with the default seed it is about 97.5%.
"""

from __future__ import annotations

from deltaw.keras import layers
from deltaw.keras.datasets import digits
from deltaw.keras.models import Model
from deltaw.keras.optimizers import Adam
from deltaw.keras.optimizers.schedules import CosineDecay
from deltaw.keras.utils import set_random_seed

BATCH_SIZE = 32


def conv_bn(x, filters, relu=True):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)  # BN's beta is the bias
    # momentum 0.9 rather than Keras' 0.99: with 45 steps per epoch the moving statistics
    # used at test time must settle within a few epochs
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.Activation("relu")(x) if relu else x


def residual_block(x, filters):
    y = conv_bn(x, filters)
    y = conv_bn(y, filters, relu=False)
    return layers.Activation("relu")(layers.Add()([x, y]))


def build_model(filters=16, blocks=2):
    inputs = layers.Input(shape=(8, 8, 1))
    x = conv_bn(inputs, filters)
    for _ in range(blocks):
        x = residual_block(x, filters)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return Model(inputs, outputs, name="residual_cnn")


def main(epochs: int = 12, verbose: int = 1) -> float:
    set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = x_train[..., None] / 16.0, x_test[..., None] / 16.0

    model = build_model()
    steps = epochs * -(-len(x_train) // BATCH_SIZE)
    model.compile(optimizer=Adam(CosineDecay(0.003, decay_steps=steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if verbose:
        model.summary()
    model.fit(x_train, y_train, epochs=epochs, batch_size=BATCH_SIZE, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f} ({len(x_test)} held-out digits)")
    return accuracy


if __name__ == "__main__":
    main()
