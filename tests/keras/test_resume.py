"""Exact resume: a fit SIGKILLed at any step and resumed with BackupAndRestore ends bit for bit
where an uninterrupted fit ends.

The main test runs a small script in fresh interpreters (sys.executable): once straight through,
then as a chain of runs that each SIGKILL themselves (os.kill(getpid(), SIGKILL), so no Python
cleanup runs) at a chosen global step, mid-epoch and at an epoch boundary, each resumed by the
next run from the backup folder. The model has Dropout (draws from dw.random), a Dropout with its
own seed (a layer generator), BatchNormalization (non-trainable moving statistics) and Adam
(slots); the data is shuffled every epoch. The other tests crash in-process (an exception from a
callback), which is enough to check the variants (shuffle modes, steps_per_epoch, save_freq,
learning-rate callbacks) and the error paths quickly.
"""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import deltaw
import deltaw as dw
from deltaw.io import ModelFileError
from deltaw.io import safetensors as st
from deltaw.keras import callbacks, layers, losses, models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(deltaw.__file__)))

SCRIPT = """
import json, os, signal, sys
import numpy as np
import deltaw as dw
from deltaw.keras import callbacks, layers, losses, models

backup_dir, out, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
dw.random.seed(7)
model = models.Sequential([
    layers.Input((5,)), layers.Dense(8, activation="relu"), layers.Dropout(0.4),
    layers.BatchNormalization(), layers.Dropout(0.2, seed=3), layers.Dense(3)])
model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
data = np.random.default_rng(0)
x, y = data.normal(size=(30, 5)).astype(np.float32), data.integers(0, 3, size=30)


class Kill(callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


cbs = [callbacks.EarlyStopping(monitor="loss", patience=10), Kill()]
if backup_dir != "-":
    cbs.append(callbacks.BackupAndRestore(backup_dir, save_freq=2))
history = model.fit(x, y, batch_size=8, epochs=4, shuffle=True, verbose=0, callbacks=cbs)
np.savez(out, *model.get_weights())
with open(out + ".json", "w") as f:
    json.dump(history.history, f)
"""


def _run(tmp_path, backup, tag, kill_at=-1):
    out = str(tmp_path / f"{tag}.npz")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, backup, out, str(kill_at)], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return proc, out


def _load(out):
    with np.load(out, allow_pickle=False) as f:
        weights = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    with open(out + ".json") as f:
        return weights, json.load(f)


def _assert_bitwise_equal(a_list, b_list):
    assert len(a_list) == len(b_list)
    for a, b in zip(a_list, b_list, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b)
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8))  # the float bits, -0.0 too


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkilled_fit_resumes_bit_for_bit(tmp_path):
    proc, straight = _run(tmp_path, "-", "straight")
    assert proc.returncode == 0, proc.stderr
    backup = str(tmp_path / "backup")
    # 4 steps per epoch, 16 in all; a backup every 2 steps. Killed after 3 steps (mid-epoch 0;
    # the backup is from step 2, so step 3 is replayed), after 8 (the end of epoch 1, just after
    # a backup: the resumed run starts with that epoch's end) and after 11 (mid-epoch 2, replaying
    # step 11).
    for kill_at in (3, 8, 11):
        proc, _ = _run(tmp_path, backup, f"killed_{kill_at}", kill_at)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert os.path.exists(os.path.join(backup, "latest.safetensors"))
    proc, resumed = _run(tmp_path, backup, "resumed")
    assert proc.returncode == 0, proc.stderr
    weights, history = _load(resumed)
    ref_weights, ref_history = _load(straight)
    _assert_bitwise_equal(weights, ref_weights)
    assert history == ref_history and len(history["loss"]) == 4
    assert not os.path.exists(backup)  # delete_checkpoint=True after a completed fit


# ----------------------------------------------------------------------------- in-process
class Crashed(Exception):
    pass


class Crash(callbacks.Callback):
    """Raise before global step `at` runs (the run dies with whatever was last backed up)."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_batch_begin(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == self.at:
            raise Crashed


X = np.random.default_rng(1).normal(size=(27, 4)).astype(np.float32)
Y = np.random.default_rng(2).integers(0, 3, size=27)


def _model():
    dw.random.seed(11)
    model = models.Sequential([
        layers.Input((4,)), layers.Dense(6, activation="tanh"), layers.Dropout(0.3),
        layers.BatchNormalization(), layers.Dropout(0.25, seed=9), layers.Dense(3)])
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def _fit(extra, epochs=3, **kwargs):
    model = _model()
    kwargs = {"batch_size": 8, "shuffle": True, **kwargs}
    history = model.fit(X, Y, epochs=epochs, verbose=0, callbacks=extra(), **kwargs)
    return model.get_weights(), history.history


def _crash_then_resume(backup, extra, crash_at, save_freq, epochs=3, **kwargs):
    model = _model()
    kwargs = {"batch_size": 8, "shuffle": True, **kwargs}
    with pytest.raises(Crashed):
        model.fit(X, Y, epochs=epochs, verbose=0,
                  callbacks=[*extra(), Crash(crash_at),
                             callbacks.BackupAndRestore(backup, save_freq=save_freq)], **kwargs)
    dw.random.seed(12345)  # the resumed run must not depend on the new process's seed
    model = _model()
    dw.random.seed(54321)
    history = model.fit(X, Y, epochs=epochs, verbose=0,
                        callbacks=[*extra(), callbacks.BackupAndRestore(backup,
                                                                        save_freq=save_freq)],
                        **kwargs)
    return model.get_weights(), history.history


def _halving(epoch, lr):
    return lr * 0.5 if epoch else lr   # multiplicative: wrong if applied twice in one epoch


@pytest.mark.parametrize("shuffle, steps_per_epoch, save_freq, crash_at", [
    (True, None, 1, 6),             # mid-epoch 1 (4 batches per epoch)
    (True, None, "epoch", 6),       # epoch backups: epoch 1 is replayed from its start
    ("batch", None, 3, 7),          # Keras' batch shuffling: per-batch draws stay in step
    (False, None, 2, 9),
    (True, 2, 2, 5),                # steps_per_epoch: a pass (4 batches) spans 2 epochs
    (True, 2, 1, 3),
])
def test_resume_variants_are_exact(tmp_path, shuffle, steps_per_epoch, save_freq, crash_at):
    def extra():
        return [callbacks.LearningRateScheduler(_halving),
                callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5),
                callbacks.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)]

    kwargs = {"shuffle": shuffle, "steps_per_epoch": steps_per_epoch}
    if steps_per_epoch is not None:
        kwargs["epochs"] = 4
    ref = _fit(extra, **kwargs)
    got = _crash_then_resume(str(tmp_path / "b"), extra, crash_at, save_freq, **kwargs)
    _assert_bitwise_equal(got[0], ref[0])
    assert got[1] == ref[1]


def test_backup_holds_everything_training_depends_on(tmp_path):
    backup = tmp_path / "b"
    model = _model()
    with pytest.raises(Crashed):
        model.fit(X, Y, batch_size=8, epochs=2, verbose=0,
                  callbacks=[Crash(6), callbacks.BackupAndRestore(backup, save_freq=1)])
    tensors, metadata = st.load_file(backup / "latest.safetensors")
    info = json.loads(metadata["deltaw_backup"])
    n_weights = len(model.weights)   # BatchNormalization's moving statistics included
    assert sum(k.startswith("weights/") for k in tensors) == n_weights == 8
    assert sum(k.startswith("optimizer/") for k in tensors) == len(model.optimizer.variables)
    assert info["optimizer_variables"][:2] == ["iteration", "learning_rate"]
    assert int(tensors["optimizer/0000"]) == 6
    assert sorted(tensors["iterator/order"]) == list(range(27))   # epoch 1's permutation
    assert info["position"]["epoch"] == 1 and info["position"]["step"] == 2
    assert info["iterator"] == {"position": 2, "order": "iterator/order"}
    assert set(info["random"]) == {"deltaw", "layers", "numpy", "python"}
    assert list(info["random"]["layers"]) == ["5:Dropout._generator"]
    assert tensors["random/numpy_keys"].shape == (624,)
    assert [c["class_name"] for c in info["callbacks"]] == ["History"]
    assert any(k.startswith("metrics/") for k in tensors)


def test_completed_fit_deletes_only_its_files(tmp_path):
    backup = tmp_path / "b"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0,
              callbacks=[callbacks.BackupAndRestore(backup, save_freq=1, double_checkpoint=True)])
    assert sorted(os.listdir(backup)) == ["notes.txt"]
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0,
              callbacks=[callbacks.BackupAndRestore(tmp_path / "c", delete_checkpoint=False)])
    assert os.listdir(tmp_path / "c") == ["latest.safetensors"]


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    backup = tmp_path / "b"
    model = _model()
    with pytest.raises(Crashed):
        model.fit(X, Y, batch_size=8, epochs=3, verbose=0,
                  callbacks=[Crash(6), callbacks.BackupAndRestore(backup, save_freq=1,
                                                                  double_checkpoint=True)])
    latest = backup / "latest.safetensors"
    latest.write_bytes(latest.read_bytes()[:100])   # torn by a failing disk
    model = _model()
    with pytest.warns(UserWarning, match="Restoring the previous backup instead"):
        history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0,
                            callbacks=[callbacks.BackupAndRestore(backup, save_freq=1,
                                                                  double_checkpoint=True)])
    ref = _fit(list)
    _assert_bitwise_equal(model.get_weights(), ref[0])   # replayed step 5 deterministically
    assert history.history == ref[1]


def test_corrupted_backup_raises_model_file_error(tmp_path):
    backup = tmp_path / "b"
    backup.mkdir()
    (backup / "latest.safetensors").write_bytes(b"\x08" + b"\0" * 7 + b"not json")
    model = _model()
    with pytest.raises(ModelFileError, match=r"BackupAndRestore: .*latest.safetensors"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(backup)])


def _crashed_backup(tmp_path, **kwargs):
    backup = tmp_path / "b"
    with pytest.raises(Crashed):
        _model().fit(X, Y, batch_size=8, epochs=2, verbose=0,
                     callbacks=[Crash(3), callbacks.BackupAndRestore(backup, save_freq=1)],
                     **kwargs)
    return backup


def test_resume_with_other_data_or_batch_size_raises(tmp_path):
    backup = _crashed_backup(tmp_path)
    with pytest.raises(ValueError, match=r"written by fit with num_samples=27, batch_size=8, "
                                         r"shuffle=True.*this fit has num_samples=27, "
                                         r"batch_size=4.*delete the backup folder"):
        _model().fit(X, Y, batch_size=4, epochs=2, verbose=0,
                     callbacks=[callbacks.BackupAndRestore(backup, save_freq=1)])


def test_resume_with_other_callbacks_raises(tmp_path):
    backup = _crashed_backup(tmp_path)
    with pytest.raises(ValueError, match=r"holds the state of the callbacks \[History\] but this "
                                         r"fit has \[EarlyStopping, History\]"):
        _model().fit(X, Y, batch_size=8, epochs=2, verbose=0,
                     callbacks=[callbacks.EarlyStopping(), callbacks.BackupAndRestore(backup)])


def test_resume_into_another_architecture_raises(tmp_path):
    backup = _crashed_backup(tmp_path)
    dw.random.seed(0)
    other = models.Sequential([layers.Input((4,)), layers.Dense(3)])
    other.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ModelFileError, match=r"the file holds 8 weights but the model has 2"):
        other.fit(X, Y, batch_size=8, epochs=2, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(backup)])


@pytest.mark.parametrize("kwargs, match", [
    ({"backup_dir": ""}, r"BackupAndRestore: backup_dir must be a folder path; got ''"),
    ({"backup_dir": "b", "save_freq": 0},
     r"BackupAndRestore: save_freq must be 'epoch' or a positive integer; got 0"),
    ({"backup_dir": "b", "save_freq": "batch"},
     r"save_freq must be 'epoch' or a positive integer; got 'batch'"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        callbacks.BackupAndRestore(**kwargs)


def test_backup_runs_after_every_other_callback(tmp_path):
    backup = callbacks.BackupAndRestore(tmp_path)
    stop = callbacks.EarlyStopping()
    cbs = callbacks.CallbackList([backup, stop], add_history=True, add_progbar=True)
    assert [type(c).__name__ for c in cbs.callbacks] == [
        "EarlyStopping", "History", "ProgbarLogger", "BackupAndRestore"]
