"""EpochIterator: batch order, shuffling with deltaw's generator, steps_per_epoch semantics."""

import warnings

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras.trainers.data_adapter import adapt
from deltaw.keras.trainers.epoch_iterator import EpochIterator


def _labels(it):
    return [batch[1].tolist() for _, batch in it]


def _data(n=10):
    return adapt("fit", np.arange(n, dtype=np.float32)[:, None], np.arange(n))


def test_unshuffled_batches_are_in_order_with_a_remainder():
    it = EpochIterator(_data(), batch_size=4)
    assert it.num_batches == 3
    assert _labels(it) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert _labels(it) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]      # every epoch the same
    steps = [step for step, _ in it]
    assert steps == [0, 1, 2]


def test_unshuffled_batches_are_views():
    data = _data()
    _, (xb, _) = next(iter(EpochIterator(data, batch_size=4)))
    assert np.shares_memory(xb, data.x)


def test_default_batch_size_is_32_or_derived_from_steps():
    assert EpochIterator(_data(100)).batch_size == 32
    assert EpochIterator(_data(100), steps_per_epoch=3).batch_size == 34    # ceil(100 / 3)


def test_shuffle_draws_one_permutation_per_epoch_from_deltaw_generator():
    dw.random.seed(3)
    it = EpochIterator(_data(), batch_size=4, shuffle=True)
    epoch1, epoch2 = sum(_labels(it), []), sum(_labels(it), [])
    dw.random.seed(3)
    gen = dw.random.generator()
    assert epoch1 == gen.permutation(10).tolist()
    assert epoch2 == gen.permutation(10).tolist()
    assert epoch1 != epoch2 and sorted(epoch1) == list(range(10))


def test_shuffle_batch_mode_keeps_batches_together():
    labels = _labels(EpochIterator(_data(), batch_size=4, shuffle="batch"))
    assert sorted(sorted(b) for b in labels) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_steps_per_epoch_continues_across_epochs_and_warns_when_data_runs_out():
    """Keras 3: the pass goes on across epochs; an epoch cut short by the end of the data warns."""
    it = EpochIterator(_data(), batch_size=2, steps_per_epoch=2)   # 5 batches per pass
    assert _labels(it) == [[0, 1], [2, 3]]
    assert _labels(it) == [[4, 5], [6, 7]]
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        assert _labels(it) == [[8, 9]]
    assert _labels(it) == [[0, 1], [2, 3]]                          # a fresh pass


def test_steps_per_epoch_dividing_the_data_restarts_silently():
    it = EpochIterator(_data(), batch_size=5, steps_per_epoch=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _labels(it) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
        assert _labels(it) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def _gen(n):
    for i in range(n):
        yield np.full((2, 1), i, np.float32), np.full(2, i)


def test_generator_with_steps_per_epoch():
    it = EpochIterator(adapt("fit", _gen(5)), steps_per_epoch=2)
    assert it.num_batches == 2
    assert _labels(it) == [[0, 0], [1, 1]]
    assert _labels(it) == [[2, 2], [3, 3]]
    with pytest.warns(UserWarning, match="ran out of data"):
        assert _labels(it) == [[4, 4]]
    assert it.ran_out
    with pytest.warns(UserWarning, match="ran out of data"):
        assert not it.has_data()


def test_generator_without_steps_runs_one_pass():
    it = EpochIterator(adapt("fit", _gen(3)))
    assert it.num_batches is None and it.has_data()
    assert _labels(it) == [[0, 0], [1, 1], [2, 2]]
    assert it.ran_out


@pytest.mark.parametrize("name, kwargs", [
    ("batch_size", {"batch_size": 0}), ("batch_size", {"batch_size": -3}),
    ("batch_size", {"batch_size": 2.5}), ("steps_per_epoch", {"steps_per_epoch": 0}),
])
def test_bad_sizes_raise(name, kwargs):
    value = kwargs[name]
    with pytest.raises(ValueError, match=rf"fit: {name} must be a positive integer; "
                                         rf"got {name}={value!r}\."):
        EpochIterator(_data(), **kwargs)
