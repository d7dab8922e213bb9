"""The order task shared by the sequence examples: does token A come before token B?

Every sequence holds 20 random tokens from a vocabulary of 20, with the two marker tokens A and B
placed once each at random positions; the label is 1 when A comes first. Both markers are in
every sequence and all other tokens are noise, so the counts of tokens carry no information: a
bag-of-words model (Embedding + GlobalAveragePooling1D + Dense) stays at chance.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras import layers
from deltaw.keras.models import Sequential
from deltaw.keras.utils import set_random_seed

LENGTH, VOCAB, A, B = 20, 20, 1, 2      # id 0 is left free (padding); noise tokens are 3..19


def make_data(n: int, seed: int = 0, length: int = LENGTH, vocab: int = VOCAB):
    """`n` sequences (int32, (n, length)) and labels (float32, 1 where A comes before B)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(3, vocab, size=(n, length)).astype(np.int32)
    places = np.argsort(rng.random((n, length)), axis=1)[:, :2]   # two distinct positions
    rows = np.arange(n)
    x[rows, places[:, 0]] = A
    x[rows, places[:, 1]] = B
    return x, (places[:, 0] < places[:, 1]).astype(np.float32)


def load_data(n_train: int = 4000, n_test: int = 1000):
    """((x_train, y_train), (x_test, y_test)) of the order task, fixed seeds."""
    return make_data(n_train, seed=1), make_data(n_test, seed=2)


def bag_of_words_baseline(epochs: int = 8, verbose: int = 0, data=None) -> float:
    """Test accuracy of Embedding + GlobalAveragePooling1D + Dense: the order-blind baseline."""
    set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = data or load_data()
    model = Sequential([layers.Input((LENGTH,), dtype="int32"),
                        layers.Embedding(VOCAB, 16),
                        layers.GlobalAveragePooling1D(),
                        layers.Dense(16, activation="relu"),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=verbose)
    return float(model.evaluate(x_test, y_test, verbose=0)[1])


def print_baseline(data) -> None:
    """Trains the bag-of-words baseline on `data` and prints its test accuracy."""
    chance = bag_of_words_baseline(data=data)
    print(f"bag-of-words baseline (Embedding + GlobalAveragePooling1D + Dense): test "
          f"accuracy {chance:.4f} (chance is 0.5: the order is what matters)")
