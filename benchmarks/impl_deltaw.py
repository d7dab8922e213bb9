"""The workloads in deltaw, through the Keras API exactly as a user writes them."""

from __future__ import annotations

import time

from deltaw.keras import layers, models


def _model(workload):
    if workload in ("W1", "W7"):
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
    elif workload == "W6":
        m = _transformer()
        m.compile(optimizer="adam", loss="binary_crossentropy")
    else:
        raise KeyError(workload)
    return m


def _transformer():
    """W6: one Transformer encoder block over 64 tokens, from built-in layers only."""
    tokens = layers.Input(shape=(64,), dtype="int32")
    e = layers.Embedding(5000, 128)(tokens)
    a = layers.MultiHeadAttention(num_heads=4, key_dim=32)(e, e)
    x = layers.LayerNormalization(epsilon=1e-3)(layers.Add()([e, a]))
    f = layers.Dense(128)(layers.Dense(256, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=1e-3)(layers.Add()([x, f]))
    x = layers.GlobalAveragePooling1D()(x)
    return models.Model(tokens, layers.Dense(1, activation="sigmoid")(x))


def _sparse_from_logits():
    from deltaw.keras.losses import SparseCategoricalCrossentropy

    return SparseCategoricalCrossentropy(from_logits=True)


def run(workload, x, y, batch, epochs):
    """Seconds per epoch for `epochs` timed epochs after one warm-up epoch."""
    return epoch_times(workload, x, y, batch, epochs + 1)[1:]


def epoch_times(workload, x, y, batch, epochs):
    """Seconds of each of `epochs` epochs, the first (compilation, kernel loading) included."""
    import deltaw as dw

    dw.random.seed(0)
    model = _model(workload)
    if workload == "W7":
        return _eager_loop(model, x, y, batch, epochs)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        if workload == "W5":
            model.predict(x, batch_size=batch, verbose=0)
        else:
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return times


def _eager_loop(model, x, y, batch, epochs):
    """W7: the custom training loop of a tf.keras user, step by step on the tape."""
    import numpy as np

    import deltaw as dw
    from deltaw.keras import losses, optimizers

    optimizer, loss_fn = optimizers.Adam(learning_rate=1e-3), losses.BinaryCrossentropy()
    rng, n, times = np.random.default_rng(0), len(x), []
    for _ in range(epochs):
        start = time.perf_counter()
        perm = rng.permutation(n)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            with dw.GradientTape() as tape:
                loss = loss_fn(y[idx], model(x[idx], training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        times.append(time.perf_counter() - start)
    return times
