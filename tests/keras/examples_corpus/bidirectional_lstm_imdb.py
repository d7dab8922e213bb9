"""keras-io examples/nlp/bidirectional_lstm_imdb.py ("Bidirectional LSTM on IMDB", fchollet),
Keras 3 version.

Changes: `keras` is an argument; IMDB is an offline stand-in of the same layout (600 train, 200
validation reviews); epochs 2 stays 2.
"""

import numpy as np


def run(keras, data):
    layers = keras.layers  # was: from keras import layers

    max_features = 20000  # Only consider the top 20k words
    maxlen = 200  # Only consider the first 200 words of each movie review

    # Input for variable-length sequences of integers
    inputs = keras.Input(shape=(None,), dtype="int32")
    # Embed each integer in a 128-dimensional vector
    x = layers.Embedding(max_features, 128)(inputs)
    # Add 2 bidirectional LSTMs
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    # Add a classifier
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.summary()

    (x_train, y_train), (x_val, y_val) = data.imdb(
        num_words=max_features, n_train=600, n_test=200
    )
    print(len(x_train), "Training sequences")
    print(len(x_val), "Validation sequences")
    # Use pad_sequence to standardize sequence length:
    # this will truncate sequences longer than 200 words and zero-pad sequences shorter than 200
    # words.
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val))
    return {"accuracy": float(np.asarray(history.history["val_accuracy"][-1]))}
