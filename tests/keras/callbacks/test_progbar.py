import pytest

from deltaw.keras.callbacks import CallbackList, ProgbarLogger, TerminateOnNaN
from deltaw.keras.callbacks import progbar as progbar_module
from deltaw.keras.callbacks.progbar import Progbar
from tests.keras.callbacks.fakes import FakeModel, run_fit

BAR = "━" * 20


class FakeClock:
    """Returns t, then advances it by `step`: every read of the clock is one tick."""

    def __init__(self, step, start=100.0):
        self.t, self.step = start, step

    def __call__(self):
        t = self.t
        self.t += self.step
        return t


@pytest.fixture
def clock(monkeypatch):
    def install(step):
        fake = FakeClock(step)
        monkeypatch.setattr(progbar_module, "_now", fake)
        return fake
    return install


@pytest.fixture
def interactive(monkeypatch):
    monkeypatch.setattr(progbar_module, "_is_interactive", lambda: True)


def _epochs(n):
    return [{"loss": 0.5 / (e + 1), "accuracy": 0.8, "val_loss": 0.6} for e in range(n)]


def _batch_logs(epoch, step):
    return {"loss": 0.5 / (epoch + 1), "accuracy": 0.8}


def test_verbose1_prints_header_and_final_line_with_validation_metrics(capsys, clock):
    clock(0.5)
    run_fit([], FakeModel(), _epochs(2), steps=3, batch_logs=_batch_logs, verbose=1)
    out = capsys.readouterr().out
    # Per epoch: the Progbar is created at 100.0, steps 1-3 read the clock at 100.5..101.5
    # and the final update at 102.0: 2s elapsed, (102.0 - 100.5) / 2 = 750ms per step after
    # the first step.
    assert out == (
        "Epoch 1/2\n"
        f"3/3 {BAR} 2s 750ms/step - loss: 0.5000 - accuracy: 0.8000 - val_loss: 0.6000\n"
        "Epoch 2/2\n"
        f"3/3 {BAR} 2s 750ms/step - loss: 0.2500 - accuracy: 0.8000 - val_loss: 0.6000\n"
    )


def test_verbose1_single_epoch_has_no_header(capsys, clock):
    clock(0.5)
    run_fit([], FakeModel(), _epochs(1), steps=3, batch_logs=_batch_logs, verbose="auto")
    assert capsys.readouterr().out.startswith("3/3 ")


def test_verbose2_prints_one_line_per_epoch(capsys, clock):
    clock(0.5)
    run_fit([], FakeModel(), _epochs(3), steps=12, batch_logs=_batch_logs, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/3"
    # No per-batch clock reads: 0.5s over 12 steps = 42ms/step; 0.5s elapsed rounds to 0s.
    assert lines[1] == ("12/12 - 0s - 42ms/step - loss: 0.5000 - accuracy: 0.8000 - "
                        "val_loss: 0.6000")
    assert lines[2::2] == ["Epoch 2/3", "Epoch 3/3"]
    assert len(lines) == 6


def test_verbose0_is_silent(capsys):
    run_fit([], FakeModel(), _epochs(2), verbose=0)
    run_fit([ProgbarLogger()], FakeModel(), _epochs(2), verbose=0)
    assert capsys.readouterr().out == ""


def test_non_interactive_output_formats_once_per_epoch(capsys, clock, monkeypatch):
    clock(0.001)
    count = []
    original = Progbar._format_live
    monkeypatch.setattr(Progbar, "_format_live", lambda self, *a: count.append(1) or
                        original(self, *a))
    run_fit([], FakeModel(), _epochs(2), steps=500, batch_logs=_batch_logs, verbose=1)
    assert len(count) == 2
    assert "\r" not in capsys.readouterr().out


def test_interactive_redraws_are_throttled(capsys, clock, interactive, monkeypatch):
    clock(0.001)  # 1000 batches take 1 s of fake time: about 20 redraws at interval=0.05
    formats = []
    original = Progbar._format_metrics
    monkeypatch.setattr(Progbar, "_format_metrics", lambda self: formats.append(1) or
                        original(self))
    run_fit([], FakeModel(), _epochs(1), steps=1000, batch_logs=_batch_logs, verbose=1)
    out = capsys.readouterr().out
    assert 15 <= len(formats) <= 23
    assert out.count("\r") == len(formats)
    assert out.endswith("\n") and out.count("\n") == 1


def test_interactive_line_has_keras_colours_eta_and_erases_longer_lines(capsys, clock,
                                                                        interactive):
    clock(0.5)
    bar = Progbar(10)
    bar.update(1, [("loss", 1.23456)])
    first = capsys.readouterr().out
    # 0.5 s per step, 9 steps left: ETA 4s.
    assert first == ("\r\x1b[1m 1/10\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m" + "━" * 18 + "\x1b[0m"
                     " \x1b[1m4s\x1b[0m 500ms/step - loss: 1.2346")
    bar._values.clear()  # a shorter line must erase what is left of the previous one
    bar.update(2)
    second = capsys.readouterr().out
    visible = progbar_module._ANSI.sub("", second)
    assert len(visible) == len(progbar_module._ANSI.sub("", first))
    assert visible.endswith(" " * len(" - loss: 1.2346"))
    bar.update(10)
    assert capsys.readouterr().out.endswith("\n")


def test_unknown_target_shows_count_then_learns_it(capsys, clock, interactive):
    clock(0.5)
    bar = Progbar(None)
    bar.update(5)
    assert "      5/Unknown" in capsys.readouterr().out
    logger = ProgbarLogger()
    logger.set_params({"verbose": 2, "epochs": 1, "steps": None})
    logger.on_train_begin()
    logger.on_epoch_begin(0)
    for step in range(4):
        logger.on_train_batch_end(step, {"loss": 1.0})
    logger.on_epoch_end(0, {"loss": 1.0})
    assert capsys.readouterr().out.startswith("4/4 - ")
    assert logger.target == 4


def test_epoch_cut_short_ends_at_the_steps_run(capsys, clock):
    clock(0.5)
    run_fit([TerminateOnNaN()], FakeModel(), [{"loss": float("nan")}], steps=3,
            batch_logs=lambda e, s: {"loss": 1.0 if s == 0 else float("nan")}, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Batch 1: Invalid loss, terminating training"
    assert lines[1].startswith("2/3 " + "━" * 13 + "─" * 7 + " ")
    assert lines[1].endswith(" - loss: nan")


def test_evaluate_and_predict_bars_but_silent_validation_inside_fit(capsys, clock):
    clock(0.25)  # created at 100, steps at 100.25 and 100.5, final at 100.75
    logger = ProgbarLogger()
    cbs = CallbackList([logger], verbose=1, epochs=1, steps=2)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 2.0})
    cbs.on_test_batch_end(1, {"loss": 1.5})
    cbs.on_test_end({"loss": 1.5, "accuracy": 0.25})
    cbs.on_predict_begin()
    cbs.on_predict_batch_end(0, {"outputs": [1, 2]})
    cbs.on_predict_batch_end(1, {"outputs": [1, 2]})
    cbs.on_predict_end()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"2/2 {BAR} 1s 500ms/step - loss: 1.5000 - accuracy: 0.2500"
    assert lines[1] == f"2/2 {BAR} 1s 500ms/step"
    run_fit([], FakeModel(), _epochs(1), steps=2, batch_logs=_batch_logs, verbose=1,
            val=lambda e: {"loss": 9.0})
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "9.0000" not in out


@pytest.mark.parametrize("value, text", [
    (0.39641, "0.3964"), (-0.5, "-0.5000"), (1e-4, "1.0000e-04"), (0.0, "0.0000e+00"),
    (-2e-4, "-2.0000e-04"), (12345.678, "12345.6780"),
])
def test_values_use_four_decimals_or_scientific_notation(value, text):
    assert progbar_module._format_value(value, 1) == text


def test_array_values_show_their_mean():
    import numpy as np

    assert progbar_module._format_value(np.array([0.25, 0.75], np.float32), 1) == "0.5000"


@pytest.mark.parametrize("seconds, text", [
    (2.0, " 2s/step"), (0.0, " 0s/step"), (0.003, " 3ms/step"), (0.0005, " 500us/step"),
])
def test_time_per_step_units(seconds, text):
    assert progbar_module._format_time(seconds, "step") == text


@pytest.mark.parametrize("eta, text", [(5.7, "5s"), (125.0, "2:05"), (3725.0, "1:02:05")])
def test_eta_formats(eta, text):
    assert progbar_module._format_eta(eta) == text


def test_progbar_averages_stateless_values_and_keeps_stateful_ones(capsys, clock):
    clock(0.5)
    bar = Progbar(4, verbose=2, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.update(3, [("loss", 2.0), ("acc", 0.2)])  # 2 steps at once weigh twice
    bar.add(1, [("loss", 4.0), ("acc", 0.3)])
    assert capsys.readouterr().out.endswith(" - loss: 2.2500 - acc: 0.3000\n")
    only = Progbar(2, verbose=2, stateless_metrics=["loss"])
    only.update(1, {"loss": 1.0, "acc": 0.5})
    only.update(2, {"loss": 3.0, "acc": 0.7})
    assert capsys.readouterr().out.endswith(" - loss: 2.0000 - acc: 0.7000\n")


def test_progbar_rejects_both_metric_lists():
    with pytest.raises(ValueError, match=r"Progbar: pass stateful_metrics or stateless_metrics, "
                                         r"not both; got stateful_metrics=\['a'\]"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_progbar_verbose0_prints_nothing(capsys):
    bar = Progbar(2, verbose=0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
