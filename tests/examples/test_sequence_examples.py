"""The sequence examples reach their stated accuracy; the order-blind baseline stays at chance."""

import pytest

from deltaw.examples import _sequence_task as task
from deltaw.examples import sequence_order_lstm, sequence_order_transformer


@pytest.mark.slow
def test_lstm_learns_the_order_task():
    assert sequence_order_lstm.main(verbose=0, baseline=False) >= 0.95


@pytest.mark.slow
def test_transformer_learns_the_order_task():
    assert sequence_order_transformer.main(verbose=0, baseline=False) >= 0.95


@pytest.mark.slow
def test_bag_of_words_baseline_stays_near_chance():
    # both markers occur once in every sequence, so token counts say nothing about the label
    assert task.bag_of_words_baseline() < 0.7


def test_order_task_data_is_balanced_and_has_both_markers_once():
    x, y = task.make_data(500, seed=3)
    assert x.shape == (500, task.LENGTH) and x.dtype.name == "int32"
    assert ((x == task.A).sum(axis=1) == 1).all()
    assert ((x == task.B).sum(axis=1) == 1).all()
    first_a = (x == task.A).argmax(axis=1)
    first_b = (x == task.B).argmax(axis=1)
    assert (y == (first_a < first_b)).all()
    assert 0.4 < y.mean() < 0.6
