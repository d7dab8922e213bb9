"""model.diagnose: the corpus (right kind, right layer; no finding on healthy programs), the
numbers it reports, and that it changes nothing."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.diagnostics import Diagnosis, Finding
from deltaw.keras import layers, optimizers
from deltaw.keras.models import Sequential
from tests.diagnostics import corpus


@pytest.mark.parametrize("bug", corpus.BUGS, ids=lambda b: b.name)
def test_each_buggy_program_gets_its_finding_on_the_right_layer(bug):
    model, x, y = bug.build()
    d = model.diagnose(x, y)
    found = [(f.kind, f.layer) for f in d.findings]
    assert (bug.kind, bug.layer) in found, f"{bug.name}: expected {(bug.kind, bug.layer)}, " \
                                          f"got {found}"
    finding = next(f for f in d.findings if f.kind == bug.kind)
    assert finding.message.endswith(".") and finding.evidence


@pytest.mark.parametrize("name", sorted(corpus.HEALTHY))
def test_healthy_programs_get_no_finding_at_init_and_after_training(name):
    model, x, y = corpus.HEALTHY[name]()
    assert model.diagnose(x, y).findings == []
    history = model.fit(x, y, epochs=corpus.HEALTHY_EPOCHS, batch_size=32, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < loss[0], f"{name} did not train: losses {loss}"
    assert model.diagnose(x, y).findings == []


def _small_model(optimizer):
    dw.keras.utils.set_random_seed(0)
    model = Sequential([layers.Input((30,)), layers.Dense(16, activation="relu"),
                        layers.Dropout(0.5), layers.BatchNormalization(),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_diagnose_changes_no_weight_optimizer_state_or_random_stream():
    x, y = corpus.cancer()
    trained = _small_model("adam")
    trained.fit(x, y, epochs=1, batch_size=64, verbose=0)
    weights = [w.copy() for w in trained.get_weights()]
    opt_state = [v.data.copy() for v in trained.optimizer.variables]
    rng = dw.random.get_state()
    legacy = np.random.get_state()[1].copy()
    trained.diagnose(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(weights, trained.get_weights()))
    assert all(np.array_equal(a, v.data) for a, v in zip(opt_state, trained.optimizer.variables))
    assert dw.random.get_state() == rng
    assert np.array_equal(np.random.get_state()[1], legacy)


def test_training_after_diagnose_is_the_training_without_it():
    x, y = corpus.cancer()
    plain, probed = _small_model("adam"), _small_model("adam")
    dw.keras.utils.set_random_seed(5)
    plain.fit(x, y, epochs=2, batch_size=64, verbose=0)
    dw.keras.utils.set_random_seed(5)
    probed.diagnose(x, y)
    probed.fit(x, y, epochs=2, batch_size=64, verbose=0)
    for a, b in zip(plain.get_weights(), probed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_update_ratio_is_one_sgd_step_and_gradients_are_the_losses():
    x, y = corpus.cancer()
    x, y = x[:100], y[:100]
    model = _small_model(optimizers.SGD(0.05))
    model.layers[1].rate = 0.0                       # no dropout: a deterministic gradient
    d = model.diagnose(x, y, batch_size=50)
    variables = model.trainable_variables
    grads = []
    for part in (slice(0, 50), slice(50, 100)):
        loss = model.compute_loss(x[part], y[part], model(x[part], training=True))
        grads.append([g.data for g in dw.grad(loss, variables)])
    mean = [(a + b) / 2 for a, b in zip(*grads)]
    first = d.layers[0]
    assert first.name == model.layers[0].name and len(d.layers) == 4
    kernel = first.weights[0]
    np.testing.assert_allclose(kernel.grad_norm, np.linalg.norm(mean[0]), rtol=1e-5)
    np.testing.assert_allclose(kernel.update_norm, 0.05 * kernel.grad_norm, rtol=1e-5)
    np.testing.assert_allclose(kernel.update_ratio,
                               kernel.update_norm / np.linalg.norm(variables[0].data), rtol=1e-6)
    assert d.samples == 100 and np.isfinite(d.loss)


def test_activation_statistics_dead_and_saturated_fractions():
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(32, 2)
    model = Sequential([layers.Input((2,)), layers.Dense(4, activation="relu", name="r"),
                        layers.Dense(3, activation="sigmoid", name="s"),
                        layers.Dense(1, name="out")])
    model.compile("sgd", "mse")
    model.build((None, 2))
    r, s = model.get_layer("r"), model.get_layer("s")
    r.kernel.data[...] = [[1, 0, 0, 1], [0, 1, 0, 1]]
    r.bias.data[...] = [0, 0, -10, 0]               # unit 2 is zero on every sample
    s.kernel.data[...] = 0
    s.bias.data[...] = [10, -10, 0]                 # two of three outputs beyond ±5
    d = model.diagnose(x, np.zeros((32, 1), "float32"))
    assert d.layer("r").dead_fraction == pytest.approx(0.25)
    assert d.layer("s").saturated_fraction == pytest.approx(2 / 3)
    assert d.layer("r").activation == "relu" and d.layer("out").dead_fraction is None


def test_table_and_findings_read_at_a_glance():
    model, x, y = corpus.dead_mlp()
    d = model.diagnose(x, y)
    assert isinstance(d, Diagnosis) and not d.healthy
    text = str(d)
    for r in d.layers:
        assert r.name in text
    assert "dead_units [dense_2]" in text and "LeakyReLU" in text
    assert str(Finding("loss_plateau", None, "Stuck.", epoch=3)) == "loss_plateau (epoch 4): Stuck."


def test_bad_calls_say_what_is_wrong():
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="diagnose: the model must be compiled"):
        model.diagnose(np.ones((4, 3)), np.ones((4, 1)))
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="diagnose: batch_size must be a positive int"):
        model.diagnose(np.ones((4, 3)), np.ones((4, 1)), batch_size=0)
    with pytest.raises(KeyError, match="no layer named 'nope'"):
        model.diagnose(np.ones((4, 3)), np.ones((4, 1))).layer("nope")
