"""fit()'s compiled step (compiled_step.py, autograd/replay.py) against the eager train step.

Each model is trained twice from the same seed, once with `run_eagerly=True` and once with the
default; the weights and the History must agree bit for bit, whether the compiled step replayed
the recording (asserted where it must) or refused it and stayed eager (asserted where it must).
"""

import threading
import tracemalloc

import numpy as np
import pytest

import deltaw as dw
from deltaw.autograd import replay
from deltaw.autograd.replay import Program
from deltaw.keras import Model, Sequential, layers
from deltaw.keras.callbacks import Callback
from deltaw.keras.trainers import compiled_step
from deltaw.keras.trainers.compiled_step import CompiledStep, replayable

RNG = np.random.default_rng(7)
X_VEC = RNG.normal(size=(100, 6)).astype(np.float32)
Y_BIN = (X_VEC[:, :1] + X_VEC[:, 1:2] > 0).astype(np.float32)
Y_IDS = RNG.integers(0, 3, size=100)
X_IMG = RNG.normal(size=(40, 8, 8, 1)).astype(np.float32)
X_SEQ = RNG.integers(0, 20, size=(60, 7))
X_SEQ[::3, 4:] = 0   # padded sequences, for the masks


def mlp():
    return Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                       layers.Dense(1, activation="sigmoid")])


def regularized():
    return Sequential([layers.Dense(8, activation="tanh", input_shape=(6,),
                                    kernel_regularizer="l2", activity_regularizer="l1"),
                       layers.Dense(3, activation="softmax")])


def cnn():
    return Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
                       layers.MaxPooling2D(2), layers.Flatten(),
                       layers.Dense(3, activation="softmax")])


def masked_lstm():
    return Sequential([layers.Embedding(20, 5, mask_zero=True, input_shape=(7,)),
                       layers.LSTM(6), layers.Dense(1, activation="sigmoid")])


def gru_sequences():
    return Sequential([layers.Embedding(20, 5, input_shape=(7,)),
                       layers.GRU(4, return_sequences=True), layers.GlobalAveragePooling1D(),
                       layers.Dense(3, activation="softmax")])


def dropout():
    return Sequential([layers.Dense(8, activation="relu", input_shape=(6,)), layers.Dropout(0.3),
                       layers.Dense(1, activation="sigmoid")])


def seeded_dropout():
    return Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                       layers.Dropout(0.3, seed=11), layers.Dense(1, activation="sigmoid")])


def batch_norm():
    return Sequential([layers.Dense(8, input_shape=(6,)), layers.BatchNormalization(),
                       layers.Activation("relu"), layers.Dense(1, activation="sigmoid")])


def two_outputs():
    inputs = layers.Input((6,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    return Model(inputs, [layers.Dense(1, activation="sigmoid", name="a")(hidden),
                          layers.Dense(3, activation="softmax", name="b")(hidden)])


def shared_layer_two_inputs():
    a, b = layers.Input((6,), name="a"), layers.Input((6,), name="b")
    shared = layers.Dense(5, activation="tanh")
    merged = layers.Concatenate()([shared(a), shared(b), a])
    return Model({"a": a, "b": b}, layers.Dense(1, activation="sigmoid")(merged))


# builder, loss, data, fit kwargs, whether the compiled step must replay
CASES = {
    "mlp": (mlp, "binary_crossentropy", (X_VEC, Y_BIN), {}, True),
    "mlp-int-labels": (mlp, "binary_crossentropy", (X_VEC, Y_BIN.astype(np.int64)), {}, True),
    "mlp-sample-weights": (mlp, "binary_crossentropy", (X_VEC, Y_BIN),
                           {"sample_weight": np.linspace(0.5, 2, 100)}, True),
    "mlp-class-weights": (mlp, "binary_crossentropy", (X_VEC, Y_BIN),
                          {"class_weight": {0: 1.0, 1: 3.0}}, True),
    "regularized": (regularized, "sparse_categorical_crossentropy", (X_VEC, Y_IDS), {}, True),
    "cnn": (cnn, "sparse_categorical_crossentropy", (X_IMG, Y_IDS[:40]), {}, True),
    # the mask reaches the LSTM op as a parameter computed by an earlier op: read at each replay
    "lstm-mask": (masked_lstm, "binary_crossentropy", (X_SEQ, Y_BIN[:60]), {}, True),
    "gru": (gru_sequences, "sparse_categorical_crossentropy", (X_SEQ, Y_IDS[:60]), {}, True),
    "shared-two-inputs": (shared_layer_two_inputs, "binary_crossentropy",
                          ({"a": X_VEC, "b": X_VEC[::-1].copy()}, Y_BIN), {}, True),
    "dropout": (dropout, "binary_crossentropy", (X_VEC, Y_BIN), {}, True),
    "seeded-dropout": (seeded_dropout, "binary_crossentropy", (X_VEC, Y_BIN), {}, True),
    "batch-norm": (batch_norm, "binary_crossentropy", (X_VEC, Y_BIN), {}, True),
    "two-outputs": (two_outputs, ["binary_crossentropy", "sparse_categorical_crossentropy"],
                    (X_VEC, [Y_BIN, Y_IDS]), {}, True),
    "two-outputs-one-loss": (two_outputs, ["binary_crossentropy", None], (X_VEC, [Y_BIN, Y_IDS]),
                             {}, True),
}


def train(case, run_eagerly, callbacks=None, epochs=3):
    """fit with validation on the last fifth (so the test step runs too), then evaluate."""
    build, loss, (x, y), kwargs, _ = CASES[case]
    dw.random.seed(3)
    model = build()
    model.compile(optimizer="adam", loss=loss, metrics=["mae"] if case == "mlp" else None,
                  run_eagerly=run_eagerly)
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, callbacks=callbacks,
                        validation_split=0.2, **kwargs)
    scores = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    return model, {**history.history, **{f"evaluate_{k}": v for k, v in scores.items()}}


def assert_same_training(a, b):
    (model_a, history_a), (model_b, history_b) = a, b
    assert history_a == history_b
    for va, vb in zip(model_a.variables, model_b.variables, strict=True):
        np.testing.assert_array_equal(va.data, vb.data, err_msg=va.name)


def compiled_mlp(**compile_kwargs):
    """The mlp, seeded and compiled with Adam and binary cross-entropy."""
    dw.random.seed(3)
    model = mlp()
    model.compile(optimizer="adam", loss="binary_crossentropy", **compile_kwargs)
    return model


def has_program(step):
    return any(type(p) is Program for p in step._programs.values())


def replayed(model):
    """Whether the train step replayed a program (and then the test step too, whose
    recordings are the train step's forward pass)."""
    train = has_program(model.make_train_function())
    assert has_program(model.make_test_function()) or not train
    return train


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.filterwarnings("ignore:.*gradients do not exist")  # the output without a loss
def test_compiled_step_trains_bit_for_bit_as_the_eager_step(case):
    eager, compiled = train(case, True), train(case, False)
    assert_same_training(eager, compiled)
    must_replay = CASES[case][4]
    if must_replay is not None:
        assert replayed(compiled[0]) is must_replay


def test_a_replayed_step_peaks_no_higher_than_an_eager_step():
    # the first convolution's backward allocates late in the sweep: the replay must have let go
    # of the later layers' saved values by then, as the eager engine does
    x = np.random.default_rng(0).normal(size=(32, 24, 24, 2)).astype(np.float32)
    y = np.arange(32) % 3
    model = Sequential([layers.Conv2D(16, 3, activation="relu", input_shape=(24, 24, 2)),
                        layers.MaxPooling2D(2), layers.Conv2D(16, 3, activation="relu"),
                        layers.Flatten(), layers.Dense(64, activation="relu"),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    step = model.make_train_function()
    for _ in range(3):   # two recordings, then the program
        step((x, y))
    assert has_program(step)

    def peak(run):
        tracemalloc.start()
        run((x, y))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    eager, replay_peak = peak(model.train_step), peak(step)
    assert replay_peak <= eager


def test_batches_from_a_generator_train_as_eagerly():
    def fit(run_eagerly):
        def batches():
            for _ in range(3):
                for i in range(0, 100, 16):
                    yield X_VEC[i:i + 16], Y_BIN[i:i + 16]

        model = compiled_mlp(run_eagerly=run_eagerly)
        return model, model.fit(batches(), epochs=3, steps_per_epoch=7, verbose=0).history

    eager, traced = fit(True), fit(False)
    assert_same_training(eager, traced)
    assert has_program(traced[0].make_train_function())


def test_the_partial_last_batch_gets_its_own_program():
    model = compiled_mlp()
    model.fit(X_VEC, Y_BIN, batch_size=16, epochs=3, verbose=0)  # six batches of 16, one of 4
    signatures = [s for s, p in model.make_train_function()._programs.items()
                  if type(p) is Program]
    assert sorted(s[0][0][0] for s in signatures) == [4, 16]


def test_signatures_past_the_limit_run_eagerly(monkeypatch):
    monkeypatch.setattr(compiled_step, "MAX_SIGNATURES", 2)
    model = compiled_mlp()
    step = model.make_train_function()
    for n in (5, 6, 7, 8):   # a new batch size, hence a new signature, at every step
        step((X_VEC[:n], Y_BIN[:n]))
    assert len(step._programs) + len(step._first) == 2


def test_a_step_whose_programs_keep_being_dropped_stops_recording(monkeypatch):
    monkeypatch.setattr(compiled_step, "MAX_RESETS", 2)
    model = compiled_mlp()
    step = model.make_train_function()
    for i in range(8):   # the first layer frozen and thawed at every step
        model.layers[0].trainable = not i % 2
        step((X_VEC[:16], Y_BIN[:16]))
    assert step._resets == 3 and not step._first and not step._programs


class Freeze(Callback):
    """Freezes the first layer after the first epoch: the program must be recorded again."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.model.layers[0].trainable = False


def test_changing_trainable_weights_records_again():
    eager = train("mlp", True, [Freeze()])
    compiled = train("mlp", False, [Freeze()])
    assert_same_training(eager, compiled)
    assert replayed(compiled[0])


def test_fit_on_nonfinite_runs_eagerly():
    def fit(**kwargs):
        model = compiled_mlp(**kwargs)
        return model, model.fit(X_VEC, Y_BIN, batch_size=16, epochs=3, verbose=0,
                                on_nonfinite="raise").history

    eager, traced = fit(run_eagerly=True), fit()
    assert_same_training(eager, traced)
    assert not has_program(traced[0].make_train_function())


class Custom(layers.Dense):
    pass


class CustomModel(Model):
    def call(self, inputs):
        return self.dense(inputs)

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)


def custom_loss(y_true, y_pred):
    return dw.mean(dw.square(y_pred - y_true), axis=-1)


def user_activation(x):
    return dw.tanh(x)


@pytest.mark.parametrize("make, loss, run_eagerly, expected", [
    (mlp, "mse", False, True),
    (lambda: Sequential([layers.Dense(1, input_shape=(6,),
                                      kernel_initializer=lambda shape, dtype: np.ones(shape))]),
     "mse", False, True),
    (lambda: Sequential([layers.Dense(1, input_shape=(6,), activation=user_activation)]), "mse",
     False, False),
    (lambda: Sequential([layers.Dense(1, input_shape=(6,)), layers.Activation(user_activation)]),
     "mse", False, False),
    (lambda: Sequential([layers.Dense(1, input_shape=(6,),
                                      kernel_regularizer=lambda w: dw.sum(w * w))]),
     "mse", False, False),
    (mlp, "mse", True, False),
    (mlp, custom_loss, False, False),
    (lambda: Sequential([Custom(1, input_shape=(6,))]), "mse", False, False),
    (CustomModel, "mse", False, False),
])
def test_only_deltaw_own_pieces_are_replayed(make, loss, run_eagerly, expected):
    model = make()
    model.compile(optimizer="sgd", loss=loss, run_eagerly=run_eagerly)
    assert replayable(model) is expected
    step = model.make_train_function()
    assert isinstance(step, CompiledStep) is expected
    assert isinstance(model.make_test_function(), CompiledStep) is expected


def test_recompiling_drops_the_programs():
    model, _ = train("mlp", False)
    step = model.make_train_function()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert model.make_train_function() is not step
    assert model.make_train_function(force=True) is not model.make_train_function(force=True)


def test_recordings_do_not_nest():
    with replay.recording(), pytest.raises(RuntimeError, match="recordings do not nest"):
        with replay.recording():
            pass


def test_a_recording_holds_only_its_own_thread_ops():
    x = dw.tensor(np.ones(3, np.float32))
    inside, outside, seen = threading.Event(), threading.Event(), []

    def other_thread():
        inside.wait()
        with replay.recording() as own:   # another thread may record at the same time
            dw.exp(x)
        seen.extend(r[0].name for r in own)
        outside.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with replay.recording() as records:
        dw.tanh(x)
        inside.set()
        outside.wait()
    worker.join()
    assert [r[0].name for r in records] == ["tanh"]
    assert seen == ["exp"]


def test_a_program_depending_on_a_constant_of_the_data_is_refused():
    # the labels copied outside any op: the two recordings hold different constants
    w = dw.Variable(np.ones((2, 1), np.float32))
    programs = []
    for batch in (np.ones((3, 2), np.float32), np.full((3, 2), 2.0, np.float32)):
        with replay.recording() as records:
            loss = dw.mean(dw.matmul(dw.tensor(batch.copy()), w))
        programs.append(Program.build(records, [batch], [loss], loss, [w]))
    assert not programs[0].same_as(programs[1])


def test_a_replayed_program_reads_new_inputs_and_current_weights():
    w = dw.Variable(np.ones((2, 1), np.float32))
    x = np.ones((3, 2), np.float32)
    with replay.recording() as records:
        out = dw.matmul(dw.tensor(x), w)
        loss = dw.mean(dw.square(out))
    program = Program.build(records, [x], [out], loss, [w])
    w.assign(np.full((2, 1), 0.5, np.float32))
    x2 = np.arange(6, dtype=np.float32).reshape(3, 2)
    outputs, value, grads = program.run([x2])
    wt, xt = dw.Variable(w.data.copy()), dw.tensor(x2)
    expected = dw.mean(dw.square(dw.matmul(xt, wt)))
    np.testing.assert_array_equal(outputs[0], x2 @ w.data)
    np.testing.assert_array_equal(value, expected.data)
    np.testing.assert_array_equal(grads[0], dw.grad(expected, [wt])[0].data)
