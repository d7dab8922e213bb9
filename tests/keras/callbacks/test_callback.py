import pytest

from deltaw.keras.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    LambdaCallback,
    ProgbarLogger,
)
from tests.keras.callbacks.fakes import ALL_HOOKS, FakeModel, Recorder, fit_calls, run_fit


def test_base_callback_has_the_keras_hooks_and_attributes():
    cb = Callback()
    for name in ALL_HOOKS:
        assert callable(getattr(cb, name))
    assert cb.params is None and cb.model is None
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    assert cb.model is model
    assert cb.params == {"verbose": 1, "epochs": 2, "steps": 3}
    assert cb.get_state() == {}
    cb.set_state({})


def test_base_set_state_rejects_unknown_keys():
    with pytest.raises(ValueError, match=r"Callback.set_state: .*expected keys \[\], got \['x'\]"):
        Callback().set_state({"x": 1})


def test_model_property_works_without_super_init():
    class Lazy(Callback):
        def __init__(self):
            pass

    assert Lazy().model is None


def test_hooks_run_in_keras_fit_order():
    rec = Recorder()
    run_fit([rec], FakeModel(), [{"loss": 1.0}, {"loss": 0.5}], steps=2,
            val=lambda epoch: {"loss": 0.7})
    assert rec.calls == fit_calls(epochs=2, steps=2)


def test_predict_hooks_are_dispatched():
    rec = Recorder()
    cbs = CallbackList([rec])
    cbs.on_predict_begin()
    cbs.on_predict_batch_begin(0)
    cbs.on_predict_batch_end(0, {"outputs": None})
    cbs.on_predict_end()
    assert rec.calls == [("on_predict_begin",), ("on_predict_batch_begin", 0),
                         ("on_predict_batch_end", 0), ("on_predict_end",)]


def test_callback_list_adds_history_and_progbar_last_in_keras_order():
    user = Callback()
    cbs = CallbackList([user], add_history=True, add_progbar=True)
    assert cbs.callbacks[0] is user
    assert isinstance(cbs.callbacks[1], History)
    assert isinstance(cbs.callbacks[2], ProgbarLogger)


def test_callback_list_does_not_duplicate_given_history_or_progbar():
    history, progbar = History(), ProgbarLogger()
    cbs = CallbackList([progbar, history], add_history=True, add_progbar=True)
    assert cbs.callbacks == [progbar, history]


def test_callback_list_without_defaults_is_empty():
    assert CallbackList().callbacks == []
    assert CallbackList(None, add_history=False).callbacks == []


def test_callback_list_accepts_a_single_callback():
    cb = Callback()
    assert CallbackList(cb).callbacks == [cb]


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match=r"CallbackList: every callback must be a .*Callback; "
                                        r"got str at index 1\."):
        CallbackList([Callback(), "early_stopping"])


def test_callback_list_sets_model_params_and_model_history():
    model = FakeModel()
    user = Callback()
    cbs = CallbackList([user], add_history=True, model=model, verbose=1, epochs=3, steps=4)
    assert user.model is model
    assert user.params == {"verbose": 1, "epochs": 3, "steps": 4}
    assert model.history is cbs.callbacks[1]


def test_history_records_epochs_and_is_model_history():
    model = FakeModel()
    cbs, _ = run_fit([], model, [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5}])
    history = model.history
    assert isinstance(history, History)
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.5]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 3}


def test_logs_dict_is_shared_so_additions_reach_later_callbacks():
    adder = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(extra=epoch * 10.0))
    model = FakeModel()
    run_fit([adder], model, [{"loss": 1.0}, {"loss": 0.5}])
    assert model.history.history["extra"] == [0.0, 10.0]


def test_none_logs_become_an_empty_dict():
    seen = []
    cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs),
                        on_train_begin=lambda logs: seen.append(logs))
    cbs = CallbackList([cb])
    cbs.on_train_begin()
    cbs.on_epoch_end(0)
    assert seen == [{}, {}]


def test_batch_hooks_reach_only_callbacks_that_use_them():
    class OnlyAlias(Callback):
        def __init__(self):
            super().__init__()
            self.ends = []

        def on_batch_end(self, batch, logs=None):
            self.ends.append(batch)

    alias, plain = OnlyAlias(), Callback()
    cbs = CallbackList([alias, plain, EarlyStopping()])
    assert cbs._batch_callbacks["on_train_batch_end"] == [alias]
    assert cbs._batch_callbacks["on_test_batch_end"] == []
    cbs.on_train_batch_end(4, {"loss": 1.0})
    assert alias.ends == [4]


def test_callbacks_added_later_get_batch_hooks():
    cbs = CallbackList([])
    late = Recorder()
    cbs.callbacks.append(late)  # direct mutation: seen from the next phase
    cbs.on_train_begin()
    cbs.on_train_batch_end(0, {})
    appended = Recorder()
    cbs.append(appended)
    cbs.on_train_batch_end(1, {})
    assert ("on_train_batch_end", 0) in late.calls
    assert appended.calls == [("on_train_batch_end", 1), ("on_batch_end", 1)]


def test_lambda_callback_calls_its_functions_with_keras_arguments():
    calls = []
    cb = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("eb", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("ee", epoch, logs["loss"])),
        on_train_begin=lambda logs: calls.append(("tb",)),
        on_train_end=lambda logs: calls.append(("te",)),
        on_train_batch_begin=lambda batch, logs: calls.append(("bb", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("be", batch, logs["loss"])),
        on_test_end=lambda logs: calls.append(("test_end", logs["loss"])),
    )
    run_fit([cb], FakeModel(), [{"loss": 1.0}], steps=2, val=lambda epoch: {"loss": 3.0})
    assert calls == [("tb",), ("eb", 0), ("bb", 0), ("be", 0, 1.0), ("bb", 1), ("be", 1, 1.0),
                     ("test_end", 3.0), ("ee", 0, 1.0), ("te",)]


def test_lambda_callback_legacy_batch_alias():
    ends = []
    cb = LambdaCallback(on_batch_end=lambda batch, logs: ends.append(batch))
    run_fit([cb], FakeModel(), [{"loss": 1.0}], steps=3)
    assert ends == [0, 1, 2]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match=r"LambdaCallback: unexpected argument 'on_epoch_ended'; "
                                        r"expected one of the callback hooks"):
        LambdaCallback(on_epoch_ended=print)
