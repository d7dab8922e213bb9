"""The workloads in deltaw, through the Keras API exactly as a user writes them."""

from __future__ import annotations

import time

from deltaw.keras import layers, models


def _model(workload):
    if workload == "W1":
        m = models.Sequential([layers.Dense(64, activation="relu", input_shape=(10,)),
                               layers.Dense(32, activation="relu"),
                               layers.Dense(1, activation="sigmoid")])
        m.compile(optimizer="adam", loss="binary_crossentropy")
    elif workload in ("W2", "W5"):
        m = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                               layers.Dense(256, activation="relu"), layers.Dense(10)])
        m.compile(optimizer="adam",
                  loss=_sparse_from_logits())
    elif workload == "W3":
        m = models.Sequential([layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
                               layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
                               layers.MaxPooling2D(2), layers.Flatten(),
                               layers.Dense(128, activation="relu"), layers.Dense(10)])
        m.compile(optimizer="adam", loss=_sparse_from_logits())
    elif workload == "W4":
        m = models.Sequential([layers.Embedding(5000, 64, input_shape=(64,)), layers.LSTM(128),
                               layers.Dense(1, activation="sigmoid")])
        m.compile(optimizer="adam", loss="binary_crossentropy")
    else:
        raise KeyError(workload)
    return m


def _sparse_from_logits():
    from deltaw.keras.losses import SparseCategoricalCrossentropy

    return SparseCategoricalCrossentropy(from_logits=True)


def run(workload, x, y, batch, epochs):
    """Seconds per epoch for `epochs` timed epochs after one warm-up epoch."""
    import deltaw as dw

    dw.random.seed(0)
    model = _model(workload)
    times = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        if workload == "W5":
            model.predict(x, batch_size=batch, verbose=0)
        else:
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return times[1:]
