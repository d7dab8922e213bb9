import json
import os
import pathlib

import pytest

from deltaw.keras.callbacks import ModelCheckpoint
from tests.keras.callbacks.fakes import FakeModel, run_fit

VAL = [0.5, 0.4, 0.45, 0.3]


def _logs(values, key="val_loss"):
    return [{"loss": 1.0, key: v} for v in values]


def test_saves_every_epoch_with_formatted_names(tmp_path):
    model = FakeModel()
    pattern = tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras"
    run_fit([ModelCheckpoint(pattern)], model, _logs(VAL))
    names = [os.path.basename(p) for _, p in model.saved]
    assert names == ["ckpt-01-0.50.keras", "ckpt-02-0.40.keras", "ckpt-03-0.45.keras",
                     "ckpt-04-0.30.keras"]
    assert all(method == "save" for method, _ in model.saved)
    assert sorted(os.listdir(tmp_path)) == sorted(names)


def test_any_file_name_is_accepted_and_folders_are_created(tmp_path):
    model = FakeModel()
    path = tmp_path / "a" / "b" / "weights_{epoch}"
    run_fit([ModelCheckpoint(str(path), save_weights_only=True)], model, _logs([0.1]))
    assert model.saved == [("save_weights", str(tmp_path / "a" / "b" / "weights_1"))]
    assert (tmp_path / "a" / "b" / "weights_1").read_text() == "weights"


def test_save_best_only_min_mode(tmp_path, capsys):
    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "e{epoch}.keras", save_best_only=True, verbose=1)
    run_fit([cb], model, _logs(VAL))
    assert [os.path.basename(p) for _, p in model.saved] == ["e1.keras", "e2.keras", "e4.keras"]
    assert cb.best == 0.3
    out = capsys.readouterr().out
    assert (f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to "
            f"{tmp_path / 'e1.keras'}\n") in out
    assert "\nEpoch 3: val_loss did not improve from 0.40000\n" in out


def test_save_best_only_max_mode_inferred_from_accuracy(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "best.keras", monitor="val_accuracy", save_best_only=True)
    run_fit([cb], model, _logs([0.5, 0.7, 0.6, 0.8], key="val_accuracy"))
    assert len(model.saved) == 3 and cb.best == 0.8
    assert os.listdir(tmp_path) == ["best.keras"]  # one file, overwritten by each new best


def test_save_best_only_explicit_mode(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "m.keras", save_best_only=True, mode="max")
    run_fit([cb], model, _logs(VAL))
    assert len(model.saved) == 1  # 0.5 then never higher


def test_initial_value_threshold_must_be_beaten(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "m.keras", save_best_only=True,
                         initial_value_threshold=0.42)
    run_fit([cb], model, _logs(VAL))
    assert len(model.saved) == 2  # 0.4 and 0.3


def test_save_best_only_without_monitor_warns_and_saves(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "m.keras", save_best_only=True)
    with pytest.warns(UserWarning, match=r"Can save best model only with val_loss available\."):
        run_fit([cb], model, [{"loss": 1.0}])
    assert len(model.saved) == 1


def test_save_best_only_non_scalar_monitor_warns_and_saves(tmp_path):
    import numpy as np

    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "m.keras", monitor="val_f1", save_best_only=True)
    with pytest.warns(UserWarning, match=r"Can save best model only when `monitor` is a scalar"):
        run_fit([cb], model, [{"loss": 1.0, "val_f1": np.array([0.1, 0.2])}])
    assert len(model.saved) == 1


def test_unknown_monitor_is_fine_without_save_best_only(tmp_path):
    model = FakeModel()
    run_fit([ModelCheckpoint(tmp_path / "m.keras", monitor="mystery")], model, _logs([0.1]))
    assert len(model.saved) == 1


def test_save_freq_counts_batches_across_epochs(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "e{epoch}-b{batch}.keras", save_freq=2)
    run_fit([cb], model, _logs([0.5, 0.4, 0.3]), steps=3)
    # 9 batches in epochs of 3: saves after batches 2, 4, 6, 8 (1-based, counted across epochs).
    assert [os.path.basename(p) for _, p in model.saved] == [
        "e1-b2.keras", "e2-b1.keras", "e2-b3.keras", "e3-b2.keras"]


@pytest.mark.parametrize("save_freq", ["batch", 0, -3, 2.5, True])
def test_invalid_save_freq(save_freq):
    with pytest.raises(ValueError, match=r"ModelCheckpoint: save_freq must be 'epoch' or a "
                                         r"positive integer; got "):
        ModelCheckpoint("m.keras", save_freq=save_freq)


def test_unknown_format_field_raises_key_error(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match=r"ModelCheckpoint: cannot format filepath .*; expected "
                                       r"its fields among \['epoch', 'loss', 'val_loss'\], got "
                                       r"the unknown field 'val_acc'\."):
        run_fit([cb], FakeModel(), _logs([0.1]))


def test_existing_directory_as_path_raises(tmp_path):
    (tmp_path / "ckpt").mkdir()
    cb = ModelCheckpoint(tmp_path / "ckpt")
    with pytest.raises(IsADirectoryError, match=r"ModelCheckpoint: filepath must name a file; "
                                                r"got the existing directory"):
        run_fit([cb], FakeModel(), _logs([0.1]))


def test_filepath_accepts_pathlike(tmp_path):
    cb = ModelCheckpoint(pathlib.Path(tmp_path) / "x.keras")
    assert isinstance(cb.filepath, str)


def test_state_round_trip(tmp_path):
    cb = ModelCheckpoint(tmp_path / "m.keras", monitor="loss", save_best_only=True, save_freq=2)
    run_fit([cb], FakeModel(), _logs([0.5, 0.25]), steps=3,
            batch_logs=lambda epoch, step: {"loss": 1.0 - 0.125 * (3 * epoch + step)})
    state = json.loads(json.dumps(cb.get_state(), allow_nan=False))
    other = ModelCheckpoint(tmp_path / "m.keras", monitor="loss", save_best_only=True)
    other.set_state(state)
    assert other.get_state() == state == {"best": 0.375, "current_epoch": 1,
                                          "batches_seen_since_last_saving": 0,
                                          "last_batch_seen": 2}
    with pytest.raises(ValueError, match=r"ModelCheckpoint.set_state: state must be a dict"):
        other.set_state({})
