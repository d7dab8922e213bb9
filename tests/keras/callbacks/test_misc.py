import csv

import numpy as np
import pytest

from deltaw.keras.callbacks import CSVLogger, LambdaCallback, TerminateOnNaN
from tests.keras.callbacks.fakes import FakeModel, run_fit


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys, bad):
    seen, ended = [], []
    model = FakeModel()
    spy = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch),
                         on_train_end=lambda logs: ended.append(True))
    _, ran = run_fit([TerminateOnNaN(), spy], model, [{"loss": 1.0}] * 3, steps=5,
                     batch_logs=lambda e, s: {"loss": bad if (e, s) == (1, 3) else 1.0})
    assert ran == 2 and seen == [0, 1, 2, 3, 4, 0, 1, 2, 3]
    assert model.stop_training and ended == [True]
    assert capsys.readouterr().out == "Batch 3: Invalid loss, terminating training\n"


def test_terminate_on_nan_ignores_finite_and_missing_loss():
    model = FakeModel()
    _, ran = run_fit([TerminateOnNaN()], model, [{"loss": 1.0}] * 2, steps=2,
                     batch_logs=lambda e, s: {"accuracy": float("nan")} if s else {"loss": 2.0})
    assert ran == 2 and not model.stop_training


def test_terminate_on_nan_raise_error():
    with pytest.raises(RuntimeError, match=r"TerminateOnNaN: NaN or Inf loss encountered at "
                                           r"batch 1; loss=nan\. Terminating training"):
        run_fit([TerminateOnNaN(raise_error=True)], FakeModel(), [{"loss": 1.0}], steps=3,
                batch_logs=lambda e, s: {"loss": float("nan") if s == 1 else 1.0})


def _read(path):
    with open(path, newline="") as f:
        return f.read()


def test_csv_logger_writes_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
            {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.25}]
    run_fit([CSVLogger(path)], FakeModel(), logs)
    assert _read(path) == ("epoch,accuracy,loss,val_accuracy,val_loss\r\n"
                           "0,0.25,0.5,0.125,0.75\r\n"
                           "1,0.5,0.25,0.25,0.5\r\n")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[1] == {"epoch": "1", "accuracy": "0.5", "loss": "0.25", "val_accuracy": "0.25",
                       "val_loss": "0.5"}


def test_csv_logger_adds_na_validation_columns_and_custom_separator(tmp_path):
    path = tmp_path / "log.tsv"
    run_fit([CSVLogger(str(path), separator="\t")], FakeModel(), [{"loss": 0.5}])
    assert _read(path) == "epoch\tloss\tval_loss\r\n0\t0.5\tNA\r\n"


def test_csv_logger_append_writes_no_second_header(tmp_path):
    path = tmp_path / "log.csv"
    run_fit([CSVLogger(path)], FakeModel(), [{"loss": 0.5, "val_loss": 1.0}])
    run_fit([CSVLogger(path, append=True)], FakeModel(), [{"loss": 0.25, "val_loss": 0.5}])
    assert _read(path) == "epoch,loss,val_loss\r\n0,0.5,1.0\r\n0,0.25,0.5\r\n"
    run_fit([CSVLogger(path)], FakeModel(), [{"loss": 0.125, "val_loss": 0.5}])
    assert _read(path) == "epoch,loss,val_loss\r\n0,0.125,0.5\r\n"  # overwritten


def test_csv_logger_append_to_a_new_file_writes_the_header(tmp_path):
    path = tmp_path / "new.csv"
    run_fit([CSVLogger(path, append=True)], FakeModel(), [{"loss": 0.5, "val_loss": 1.0}])
    assert _read(path).startswith("epoch,loss,val_loss\r\n")


def test_csv_logger_flushes_every_epoch(tmp_path):
    path = tmp_path / "log.csv"
    snapshots = []
    reader = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(_read(path)))
    run_fit([CSVLogger(path), reader], FakeModel(), [{"loss": 0.5, "val_loss": 1.0}] * 2)
    assert snapshots[0].count("\r\n") == 2 and snapshots[1].count("\r\n") == 3


def test_csv_logger_writes_arrays_as_one_cell(tmp_path):
    path = tmp_path / "log.csv"
    run_fit([CSVLogger(path)], FakeModel(),
            [{"loss": np.float32(0.5), "val_f1": np.array([0.25, 0.5])}])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"epoch": "0", "loss": "0.5", "val_f1": '"[0.25, 0.5]"'}]
