"""keras-io examples/keras_recipes/subclassing_conv_layers.py ("Customizing the convolution
operation of a Conv2D layer", lukewood), Keras 3 version (keras.ops).

Changes: `keras` is an argument; MNIST is the shipped subset (2,000 train, 500 test); epochs
5 -> 2.
"""

import numpy as np


def run(keras, data):
    layers, ops = keras.layers, keras.ops  # was: from keras import layers; from keras import ops

    class StandardizedConv2DWithOverride(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean, var = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return ops.conv(
                inputs,
                (kernel - mean) / ops.sqrt(var + 1e-10),
                padding="valid",
                strides=list(self.strides),
                dilation_rate=list(self.dilation_rate),
            )

    class StandardizedConv2DWithCall(layers.Conv2D):
        def call(self, inputs):
            mean, var = ops.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            result = ops.conv(
                inputs,
                (self.kernel - mean) / ops.sqrt(var + 1e-10),
                padding="valid",
                strides=list(self.strides),
                dilation_rate=list(self.dilation_rate),
            )
            if self.use_bias:
                result = result + self.bias
            return result

    num_classes = 10
    input_shape = (28, 28, 1)

    (x_train, y_train), (x_test, y_test) = data.mnist()

    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential(
        [
            keras.layers.InputLayer(shape=input_shape),
            StandardizedConv2DWithCall(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            StandardizedConv2DWithOverride(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )

    model.summary()

    batch_size = 128
    epochs = 2

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {"accuracy": accuracy}
