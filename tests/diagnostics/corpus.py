"""The doctor's corpus: buggy programs (pathology x architecture, with the finding each must
get: kind and layer) and healthy programs on the shipped datasets (which must get none).

Each program is a function returning `(model, x, y)`, compiled and seeded; the data are the
shipped datasets (breast cancer, digits, iris, the MNIST subset). Run the whole corpus and print
the detection and false-alarm rates with `python -m tests.diagnostics.corpus`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from deltaw.keras import initializers, layers, optimizers
from deltaw.keras.datasets import breast_cancer, digits, iris
from deltaw.keras.datasets._data import load_xy
from deltaw.keras.models import Sequential
from deltaw.keras.utils import set_random_seed


# ----------------------------------------------------------------------------- data
def _standardize(x_train):
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-8
    return ((x_train - mean) / std).astype("float32")


@cache
def _cancer():
    (x, y), _ = breast_cancer.load_data()
    return x.astype("float32"), y.astype("float32")


def cancer(scaled=True):
    x, y = _cancer()
    return (_standardize(x) if scaled else x.copy()), y


@cache
def _digits():
    (x, y), _ = digits.load_data()
    return x.astype("float32") / 16.0, y


def digits_images():
    x, y = _digits()
    return x[..., None].copy(), y


def digits_flat():
    x, y = _digits()
    return x.reshape(len(x), -1).copy(), y


@cache
def _iris():
    (x, y), _ = iris.load_data()
    return _standardize(x.astype("float32")), y


@cache
def _mnist():
    x, y = load_xy("mnist_5k.csv.gz", skiprows=0, x_dtype=np.uint8, y_dtype=np.uint8,
                   x_shape=(28, 28))
    return x[:2000, ..., None], y[:2000]


def mnist_images(scaled=True):
    x, y = _mnist()
    return (x / 255.0 if scaled else x).astype("float32"), y


# ----------------------------------------------------------------------------- models
def _mlp(sizes, activation, inputs, outputs, out_activation, per_layer=None):
    return Sequential([layers.Input((inputs,))]
                      + [layers.Dense(n, activation=activation, name=f"dense_{i + 1}",
                                      **(per_layer or {}).get(i, {}))
                         for i, n in enumerate(sizes)]
                      + [layers.Dense(outputs, activation=out_activation, name="output")])


def _cnn(filters, activation, shape, outputs, pool=True, per_layer=None):
    stack = [layers.Input(shape)]
    for i, n in enumerate(filters):
        stack.append(layers.Conv2D(n, 3, padding="same", activation=activation,
                                   name=f"conv_{i + 1}", **(per_layer or {}).get(i, {})))
        if pool and i == 1:
            stack.append(layers.MaxPooling2D(name="pool"))
    stack += [layers.Flatten(name="flatten"), layers.Dense(32, activation="relu", name="dense"),
              layers.Dense(outputs, activation="softmax", name="output")]
    return Sequential(stack)


def _compiled(model, optimizer="adam", loss="sparse_categorical_crossentropy"):
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


# ----------------------------------------------------------------------------- buggy programs
@dataclass(frozen=True)
class Bug:
    name: str
    build: callable
    kind: str          # the finding it must get
    layer: str | None  # the layer it must name (None: the whole model)


def vanishing_mlp():
    set_random_seed(1)
    x, y = digits_flat()
    return _compiled(_mlp([32] * 10, "sigmoid", 64, 10, "softmax")), x, y


def vanishing_cnn():
    set_random_seed(2)
    x, y = digits_images()
    return _compiled(_cnn([8] * 8, "sigmoid", (8, 8, 1), 10, pool=False)), x, y


def exploding_mlp_init():
    set_random_seed(3)
    x, y = cancer()
    big = {i: {"kernel_initializer": initializers.RandomNormal(stddev=1.0)} for i in range(6)}
    model = _mlp([64] * 6, "relu", 30, 1, "sigmoid", per_layer=big)
    return _compiled(model, loss="binary_crossentropy"), x, y


def exploding_cnn_lr():
    set_random_seed(4)
    x, y = digits_images()
    return _compiled(_cnn([16, 16], "relu", (8, 8, 1), 10), optimizers.SGD(100.0)), x, y


def exploding_cnn_init():
    set_random_seed(14)
    x, y = digits_images()
    big = {i: {"kernel_initializer": initializers.RandomNormal(stddev=1.0)} for i in range(4)}
    return _compiled(_cnn([16] * 4, "relu", (8, 8, 1), 10, per_layer=big)), x, y


def dead_mlp():
    set_random_seed(5)
    x, y = cancer()
    model = _mlp([64, 64, 32], "relu", 30, 1, "sigmoid",
                 per_layer={1: {"bias_initializer": initializers.Constant(-5.0)}})
    return _compiled(model, loss="binary_crossentropy"), x, y


def dead_cnn():
    set_random_seed(6)
    x, y = digits_images()
    model = _cnn([16, 16, 16], "relu", (8, 8, 1), 10,
                 per_layer={1: {"bias_initializer": initializers.Constant(-3.0)}})
    return _compiled(model), x, y


def saturated_mlp():
    set_random_seed(7)
    x, y = cancer(scaled=False)        # raw measurements up to ~4000 into sigmoid units
    model = _mlp([32, 16], "sigmoid", 30, 1, "sigmoid")
    return _compiled(model, loss="binary_crossentropy"), x, y


def saturated_cnn():
    set_random_seed(8)
    x, y = mnist_images(scaled=False)
    x = x[:256] - 128.0                # centred, but the division by 128 was forgotten
    return _compiled(_cnn([8, 8], "tanh", (28, 28, 1), 10)), x, y[:256]


def nonfinite_mlp():
    model, x, y = _mlp_digits(9)
    kernel = model.get_layer("dense_2").kernel
    kernel.data[3, 5] = np.nan         # a NaN weight, as a bad checkpoint leaves it
    return model, x, y


def nonfinite_cnn():
    set_random_seed(10)
    x, y = digits_images()
    x[17, 3, 4, 0] = np.nan            # a missing pixel read as NaN
    return _compiled(_cnn([16, 16], "relu", (8, 8, 1), 10)), x, y


def update_large_mlp():
    set_random_seed(11)
    x, y = digits_flat()
    # Adam moves every weight by about lr per step: the layer with the smallest weights
    # (dense_2, Glorot over fan-in + fan-out = 1024) moves the most relative to its size
    model = _mlp([512, 512], "relu", 64, 10, "softmax")
    return _compiled(model, optimizers.Adam(0.02)), x, y


def update_small_cnn():
    set_random_seed(12)
    x, y = digits_images()
    return _compiled(_cnn([16, 16], "relu", (8, 8, 1), 10), optimizers.SGD(1e-6)), x, y


def update_small_mlp():
    set_random_seed(13)
    x, y = cancer()
    model = _mlp([32, 16], "relu", 30, 1, "sigmoid")
    return _compiled(model, optimizers.SGD(1e-6), loss="binary_crossentropy"), x, y


def _mlp_digits(seed, optimizer="adam"):
    set_random_seed(seed)
    x, y = digits_flat()
    return _compiled(_mlp([64, 32], "relu", 64, 10, "softmax"), optimizer), x, y


BUGS = [
    Bug("vanishing_mlp", vanishing_mlp, "vanishing_gradient", "dense_1"),
    Bug("vanishing_cnn", vanishing_cnn, "vanishing_gradient", "conv_1"),
    Bug("exploding_mlp_init", exploding_mlp_init, "exploding_gradient", "dense_1"),
    Bug("exploding_cnn_init", exploding_cnn_init, "exploding_gradient", "conv_1"),
    Bug("exploding_cnn_lr", exploding_cnn_lr, "exploding_gradient", "conv_1"),
    Bug("dead_mlp", dead_mlp, "dead_units", "dense_2"),
    Bug("dead_cnn", dead_cnn, "dead_units", "conv_2"),
    Bug("saturated_mlp", saturated_mlp, "saturated_units", "dense_1"),
    Bug("saturated_cnn", saturated_cnn, "saturated_units", "conv_1"),
    Bug("nonfinite_mlp", nonfinite_mlp, "nonfinite", "dense_2"),
    Bug("nonfinite_cnn", nonfinite_cnn, "nonfinite", "conv_1"),
    Bug("update_large_mlp", update_large_mlp, "update_ratio", "dense_2"),
    Bug("update_small_cnn", update_small_cnn, "update_ratio", None),
    Bug("update_small_mlp", update_small_mlp, "update_ratio", None),
]


# ----------------------------------------------------------------------------- healthy programs
def healthy_cancer_mlp():
    set_random_seed(21)
    x, y = cancer()
    model = _mlp([64, 32], "relu", 30, 1, "sigmoid")
    return _compiled(model, loss="binary_crossentropy"), x, y


def healthy_digits_mlp():
    return _mlp_digits(22)


def healthy_digits_cnn():
    set_random_seed(23)
    x, y = digits_images()
    model = Sequential([layers.Input((8, 8, 1)),
                        layers.Conv2D(16, 3, padding="same", activation="relu"),
                        layers.Conv2D(16, 3, padding="same", activation="relu"),
                        layers.MaxPooling2D(), layers.Dropout(0.25), layers.Flatten(),
                        layers.Dense(64, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    return _compiled(model), x, y


def healthy_iris_tanh():
    set_random_seed(24)
    x, y = _iris()
    model = _mlp([16, 16], "tanh", 4, 3, "softmax")
    return _compiled(model, optimizers.Adam(0.01)), x, y


def healthy_deep_sigmoid_batchnorm():
    set_random_seed(25)
    x, y = digits_flat()
    stack = [layers.Input((64,))]
    for _ in range(6):
        stack += [layers.Dense(32), layers.BatchNormalization(), layers.Activation("sigmoid")]
    model = Sequential(stack + [layers.Dense(10, activation="softmax")])
    return _compiled(model), x, y


def healthy_deep_relu_he():
    set_random_seed(26)
    x, y = digits_flat()
    model = _mlp([32] * 10, "relu", 64, 10, "softmax",
                 per_layer={i: {"kernel_initializer": "he_normal"} for i in range(10)})
    return _compiled(model), x, y


def healthy_mnist_cnn():
    set_random_seed(27)
    x, y = mnist_images()
    model = Sequential([layers.Input((28, 28, 1)),
                        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(),
                        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                        layers.Flatten(), layers.Dense(64, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    return _compiled(model), x, y


def healthy_cancer_sgd():
    set_random_seed(28)
    x, y = cancer()
    model = _mlp([32, 16], "relu", 30, 1, "sigmoid")
    return _compiled(model, optimizers.SGD(0.01, momentum=0.9), loss="binary_crossentropy"), x, y


def _sequences():
    from deltaw.examples import _sequence_task

    return _sequence_task.make_data(1000, seed=1)   # the order task the sequence examples ship


def healthy_sequence_transformer():
    from deltaw.examples import sequence_order_transformer

    set_random_seed(29)
    model = sequence_order_transformer.build_model()
    return _compiled(model, optimizers.Adam(3e-3), loss="binary_crossentropy"), *_sequences()


def healthy_sequence_lstm():
    set_random_seed(30)
    model = Sequential([layers.Input((20,), dtype="int32"), layers.Embedding(20, 16),
                        layers.LSTM(32), layers.Dense(1, activation="sigmoid")])
    return _compiled(model, optimizers.Adam(3e-3), loss="binary_crossentropy"), *_sequences()


HEALTHY = {
    "cancer_mlp": healthy_cancer_mlp,
    "digits_mlp": healthy_digits_mlp,
    "digits_cnn": healthy_digits_cnn,
    "iris_tanh": healthy_iris_tanh,
    "deep_sigmoid_batchnorm": healthy_deep_sigmoid_batchnorm,
    "deep_relu_he": healthy_deep_relu_he,
    "mnist_cnn": healthy_mnist_cnn,
    "cancer_sgd": healthy_cancer_sgd,
    "sequence_transformer": healthy_sequence_transformer,
    "sequence_lstm": healthy_sequence_lstm,
}
HEALTHY_EPOCHS = 3


# ----------------------------------------------------------------------------- rates
def detected(bug, diagnosis) -> bool:
    return any(f.kind == bug.kind and f.layer == bug.layer for f in diagnosis.findings)


def rates(verbose=True):
    """(detection rate over BUGS, false-alarm rate over HEALTHY at init and after training)."""
    hits = 0
    for bug in BUGS:
        model, x, y = bug.build()
        d = model.diagnose(x, y)
        hit = detected(bug, d)
        hits += hit
        if verbose:
            print(f"{'ok  ' if hit else 'MISS'} {bug.name:<20} {[str(f) for f in d.findings]}")
    alarms = checks = 0
    for name, build in HEALTHY.items():
        model, x, y = build()
        for stage in ("init", "trained"):
            if stage == "trained":
                model.fit(x, y, epochs=HEALTHY_EPOCHS, batch_size=32, verbose=0)
            d = model.diagnose(x, y)
            checks += 1
            alarms += bool(d.findings)
            if verbose:
                print(f"{'ALARM' if d.findings else 'ok   '} {name:<24} {stage:<8} "
                      f"{[str(f) for f in d.findings]}")
    return hits / len(BUGS), alarms / checks


if __name__ == "__main__":
    detection, false_alarms = rates()
    print(f"detection rate {detection:.0%} ({len(BUGS)} buggy programs), false-alarm rate "
          f"{false_alarms:.0%} ({len(HEALTHY)} healthy programs, at init and after "
          f"{HEALTHY_EPOCHS} epochs)")
