"""fit() against Keras 3 (PyTorch backend): same model, same initial weights, same data order.

Each case builds the model in both libraries, copies Keras' initial weights into deltaw with
`set_weights`, trains 3 epochs with `shuffle=False`, and requires the same loss (and metrics and
validation loss where given) epoch by epoch to float32 precision. Skipped without keras/torch.
"""

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as ref  # selects the torch backend; import before keras

with ref.quiet():
    keras = pytest.importorskip("keras", reason=ref.SKIP_REASON)
ref.require_torch_backend(keras)

RTOL = 1e-5


def _data(n=48, d=4, out="binary", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    score = x @ rng.normal(size=(d, 3)).astype(np.float32)
    if out == "binary":
        return x, (score[:, 0] > 0).astype(np.float32)
    if out == "sparse":
        return x, np.argmax(score, axis=1)
    if out == "onehot":
        return x, np.eye(3, dtype=np.float32)[np.argmax(score, axis=1)]
    return x, score[:, :2].astype(np.float32)


def _mlp(out_units, out_activation=None, extra=None):
    def build(lib):
        layers = [lib.Input((4,)), lib.layers.Dense(8, activation="relu")]
        if extra == "batchnorm":
            layers.append(lib.layers.BatchNormalization())
        elif extra == "dropout0":
            layers.append(lib.layers.Dropout(0.0))
        layers.append(lib.layers.Dense(out_units, activation=out_activation))
        return lib.Sequential(layers)
    return build


def _merge(kind):
    def build(lib):
        inp = lib.Input((4,))
        a = lib.layers.Dense(5, activation="relu")(inp)
        b = lib.layers.Dense(5, activation="tanh")(inp)
        merged = (lib.layers.Concatenate() if kind == "concat" else lib.layers.Add())([a, b])
        return lib.Model(inp, lib.layers.Dense(2)(merged))
    return build


def _two_outputs(lib):
    inp = lib.Input((4,))
    hidden = lib.layers.Dense(6, activation="relu")(inp)
    out_a = lib.layers.Dense(1, activation="sigmoid", name="out_a")(hidden)
    out_b = lib.layers.Dense(2, name="out_b")(hidden)
    return lib.Model(inp, [out_a, out_b])


def _fit_both(build, loss, optimizer, data, metrics=None, validation=False, epochs=3,
              loss_weights=None, **fit_kwargs):
    x, y = data
    if validation:
        fit_kwargs["validation_data"] = (x[:16], y[:16])
    kwargs = dict(epochs=epochs, batch_size=16, shuffle=False, verbose=0, **fit_kwargs)
    keras.utils.set_random_seed(0)
    k_model, d_model = ref.build_both(build)
    with ref.quiet():
        k_model.compile(optimizer=optimizer(keras), loss=loss(keras), metrics=metrics,
                        loss_weights=loss_weights)
        k_hist = k_model.fit(x, y, **kwargs).history
        k_final = k_model.get_weights()
        k_eval = k_model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
        k_pred = k_model.predict(x, batch_size=20, verbose=0)
    d_model.compile(optimizer=optimizer(dk), loss=loss(dk), metrics=metrics,
                    loss_weights=loss_weights)
    d_hist = d_model.fit(x, y, **kwargs).history
    assert set(d_hist) == set(k_hist)
    for key in k_hist:
        np.testing.assert_allclose(d_hist[key], k_hist[key], rtol=RTOL, atol=1e-6, err_msg=key)
    for got, want in zip(d_model.get_weights(), k_final, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    d_eval = d_model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    assert d_eval.keys() == k_eval.keys()
    np.testing.assert_allclose(list(d_eval.values()), list(k_eval.values()), rtol=1e-4,
                               atol=1e-5)
    d_pred = d_model.predict(x, batch_size=20, verbose=0)
    for got, want in zip(ref.as_list(d_pred), ref.as_list(k_pred), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def _opt(name, **kwargs):
    return lambda lib: getattr(lib.optimizers, name)(**kwargs)


def _loss(name, **kwargs):
    return (lambda lib: getattr(lib.losses, name)(**kwargs)) if kwargs or name[0].isupper() \
        else (lambda lib: name)


OPTIMIZERS = {
    "sgd": _opt("SGD", learning_rate=0.1),
    "sgd-momentum": _opt("SGD", learning_rate=0.05, momentum=0.9),
    "sgd-nesterov": _opt("SGD", learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam": _opt("Adam", learning_rate=0.01),
    "adamw": _opt("AdamW", learning_rate=0.01, weight_decay=0.05),
    "rmsprop": _opt("RMSprop", learning_rate=0.01),
    "adagrad": _opt("Adagrad", learning_rate=0.1),
    "adadelta": _opt("Adadelta", learning_rate=1.0),
    "nadam": _opt("Nadam", learning_rate=0.01),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_match_keras(name):
    _fit_both(_mlp(2), _loss("mse"), OPTIMIZERS[name], _data(out="regression"))


LOSSES = [
    ("bce-probs", _mlp(1, "sigmoid"), _loss("binary_crossentropy"), "binary", ["accuracy"]),
    ("bce-logits", _mlp(1), _loss("BinaryCrossentropy", from_logits=True), "binary", None),
    ("cce", _mlp(3, "softmax"), _loss("categorical_crossentropy"), "onehot", ["accuracy"]),
    ("scce", _mlp(3, "softmax"), _loss("sparse_categorical_crossentropy"), "sparse",
     ["accuracy"]),
    ("scce-logits", _mlp(3), _loss("SparseCategoricalCrossentropy", from_logits=True),
     "sparse", None),
    ("mse", _mlp(2), _loss("mse"), "regression", ["mae"]),
    ("mae", _mlp(2), _loss("mae"), "regression", None),
    ("huber", _mlp(2), _loss("Huber", delta=0.5), "regression", None),
]


@pytest.mark.parametrize("name, build, loss, out, metrics", LOSSES, ids=[c[0] for c in LOSSES])
def test_losses_match_keras(name, build, loss, out, metrics):
    _fit_both(build, loss, _opt("Adam", learning_rate=0.01), _data(out=out), metrics=metrics)


LAYERS = {
    "dense": _mlp(2),
    "batchnorm": _mlp(2, extra="batchnorm"),
    "dropout0": _mlp(2, extra="dropout0"),
    "concatenate": _merge("concat"),
    "add": _merge("add"),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_match_keras_with_validation(name):
    _fit_both(LAYERS[name], _loss("mse"), _opt("SGD", learning_rate=0.05, momentum=0.5),
              _data(out="regression"), validation=True)


def _weights_case(name):
    x, y = _data(out="binary")
    if name == "sample_weight":
        return {"sample_weight": np.linspace(0.2, 2.0, len(y)).astype(np.float32)}
    if name == "class_weight":
        return {"class_weight": {0: 0.5, 1: 2.0}}
    return {"validation_split": 0.25}


@pytest.mark.parametrize("name", ["sample_weight", "class_weight", "validation_split"])
def test_weights_and_validation_split_match_keras(name):
    _fit_both(_mlp(1, "sigmoid"), _loss("binary_crossentropy"), _opt("Adam", learning_rate=0.01),
              _data(out="binary"), metrics=["accuracy"], **_weights_case(name))


def test_multi_output_loss_weights_match_keras():
    x, y = _data(out="binary")
    targets = [y, x[:, :2] * 0.5]
    _fit_both(_two_outputs, lambda lib: ["binary_crossentropy", "mse"],
              _opt("Adam", learning_rate=0.01), (x, targets), loss_weights=[1.0, 0.3],
              metrics=[["accuracy"], ["mae"]])


@pytest.mark.parametrize("targets", ["single", "list"])
def test_output_without_loss_takes_no_target_as_keras(targets):
    """`loss=[fn, None]` (keras.io's miniature GPT): the targets name only the outputs with a loss;
    Keras accepts one array or a list of that length, and so does deltaw."""
    def build(lib):   # the second output has no weights of its own, as the GPT's hidden states
        inp = lib.Input((4,))
        hidden = lib.layers.Dense(6, activation="relu")(inp)
        out = lib.layers.Dense(1, activation="sigmoid", name="out")(hidden)
        return lib.Model(inp, [out, lib.layers.Activation("tanh", name="features")(hidden)])

    x, y = _data(out="binary")
    _fit_both(build, lambda lib: ["binary_crossentropy", None],
              _opt("Adam", learning_rate=0.01), (x, y if targets == "single" else [y]))
