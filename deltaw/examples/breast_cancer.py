"""The seed program: a Keras MLP on the UCI breast cancer set, trained by backprop (the main job).

This is the tf.keras program from the guide deltaw started from, with `tensorflow` replaced by
`deltaw` in the imports and nothing else changed except the input width (30 features).
"""

from __future__ import annotations

from deltaw.keras.datasets import breast_cancer
from deltaw.keras.layers import Dense
from deltaw.keras.models import Sequential
from deltaw.keras.utils import set_random_seed


def main(epochs: int = 50, verbose: int = 1) -> float:
    set_random_seed(42)
    (X_train, y_train), (X_test, y_test) = breast_cancer.load_data()
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std

    model = Sequential([Dense(64, activation="relu", input_shape=(30,)),
                        Dense(32, activation="relu"),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=verbose)
    loss, accuracy = model.evaluate(X_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f} ({len(X_test)} held-out samples)")
    return accuracy


if __name__ == "__main__":
    main()
