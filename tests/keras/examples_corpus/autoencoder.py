"""keras-io examples/vision/autoencoder.py ("Convolutional autoencoder for image denoising",
Santiago L. Valdarrama), Keras 3 version.

Changes: `keras` is an argument; MNIST is the shipped subset (600 train, 200 test); epochs
50 -> 2 and 100 -> 2; the matplotlib display is left out. Returns the denoising fit's validation
losses, the denoised test images and their mean squared error to the clean images, next to
that of the noisy ones.
"""

import numpy as np


def run(keras, data):
    layers = keras.layers  # was: from keras import layers
    Model = keras.Model  # was: from keras.models import Model

    def preprocess(array):
        """Normalizes the supplied array and reshapes it."""
        array = array.astype("float32") / 255.0
        array = np.reshape(array, (len(array), 28, 28, 1))
        return array

    def noise(array):
        """Adds random noise to each image in the supplied array."""
        noise_factor = 0.4
        noisy_array = array + noise_factor * np.random.normal(
            loc=0.0, scale=1.0, size=array.shape
        )
        return np.clip(noisy_array, 0.0, 1.0)

    # Since we only need images from the dataset to encode and decode, we
    # won't use the labels.
    (train_data, _), (test_data, _) = data.mnist(n_train=600, n_test=200)

    # Normalize and reshape the data
    train_data = preprocess(train_data)
    test_data = preprocess(test_data)

    # Create a copy of the data with added noise
    noisy_train_data = noise(train_data)
    noisy_test_data = noise(test_data)

    input = layers.Input(shape=(28, 28, 1))

    # Encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)

    # Decoder
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

    # Autoencoder
    autoencoder = Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    autoencoder.summary()

    autoencoder.fit(
        x=train_data,
        y=train_data,
        epochs=2,
        batch_size=128,
        shuffle=True,
        validation_data=(test_data, test_data),
    )

    predictions = autoencoder.predict(test_data)

    history = autoencoder.fit(
        x=noisy_train_data,
        y=train_data,
        epochs=2,
        batch_size=128,
        shuffle=True,
        validation_data=(noisy_test_data, test_data),
    )

    predictions = autoencoder.predict(noisy_test_data)
    return {"val_losses": history.history["val_loss"], "predictions": predictions,
            # added: how far the denoised and the noisy test images are from the clean ones
            "denoised_mse": float(np.mean((np.asarray(predictions) - test_data) ** 2)),
            "noisy_mse": float(np.mean((noisy_test_data - test_data) ** 2))}
