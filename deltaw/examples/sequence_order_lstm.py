"""Sequence order with an LSTM: does token A come before token B? (a bag of words cannot tell)

Every sequence holds 20 random tokens from a vocabulary of 20, with the two marker tokens A and B
placed once each at random positions; the label is 1 when A comes first (the task and its
baseline are in `_sequence_task`). Both markers are in every sequence and all other tokens are
noise, so the counts of tokens carry no information: a bag-of-words model (Embedding +
GlobalAveragePooling1D + Dense) stays at chance, while an Embedding + LSTM classifier, which
reads the tokens in order, learns the task (>= 95% test accuracy). Written as a tf.keras
program: only the imports name deltaw.
"""

from __future__ import annotations

import time

from deltaw.examples._sequence_task import LENGTH, VOCAB, load_data, print_baseline
from deltaw.keras import layers
from deltaw.keras.models import Sequential
from deltaw.keras.optimizers import Adam
from deltaw.keras.utils import set_random_seed


def main(epochs: int = 4, verbose: int = 1, baseline: bool = True) -> float:
    set_random_seed(0)
    data = load_data()
    (x_train, y_train), (x_test, y_test) = data
    model = Sequential([layers.Input((LENGTH,), dtype="int32"),
                        layers.Embedding(VOCAB, 16),
                        layers.LSTM(32),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(learning_rate=5e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, validation_split=0.1,
              verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"LSTM: test loss {loss:.4f} - test accuracy {accuracy:.4f} ({len(x_test)} held-out "
          f"sequences, trained in {time.perf_counter() - start:.1f} s)")
    if baseline:
        print_baseline(data)
    return float(accuracy)


if __name__ == "__main__":
    main()
