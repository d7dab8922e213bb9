"""The metrics added for the full Keras 3 set, without Keras: values by hand, lookups, state
handling and argument errors (comparisons with Keras are in test_metrics_added_vs_keras.py)."""

import numpy as np
import pytest

from deltaw.keras import metrics


def test_loss_valued_metric_is_the_mean_of_the_loss():
    m = metrics.Poisson()
    m.update_state([[1.0, 0.0]], [[1.0, 2.0]])
    m.update_state([[2.0, 2.0]], [[1.0, 1.0]])
    expected = np.mean([(1 - np.log(1 + 1e-7) + 2) / 2, (1 - 2 * np.log(1 + 1e-7)) * 2 / 2])
    assert m.result() == pytest.approx(expected, rel=1e-6)


def test_cosine_similarity_metric_is_positive_for_aligned_vectors():
    m = metrics.CosineSimilarity()
    m.update_state([[1.0, 1.0], [1.0, 0.0]], [[2.0, 2.0], [0.0, 3.0]])
    assert m.result() == pytest.approx(0.5, rel=1e-6)


def test_pearson_of_a_linear_relation_is_one():
    values = metrics.pearson_correlation([[1.0, 2.0, 3.0, 4.0]], [[3.0, 5.0, 7.0, 9.0]])
    np.testing.assert_allclose(values, [1.0], rtol=1e-6)


def test_f1_score_by_hand():
    m = metrics.F1Score(average="micro", threshold=0.5)
    m.update_state(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.8], [0.2, 0.7]]))
    tp, fp, fn = 2, 1, 1
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert m.result() == pytest.approx(2 * precision * recall / (precision + recall), rel=1e-5)


def test_f_score_arguments_are_checked():
    with pytest.raises(ValueError, match=r"FBetaScore: invalid average 'mean'"):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match=r"FBetaScore: beta must be a positive Python float"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match=r"F1Score: threshold must be a Python float"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match=r"F1Score: expected 2-D inputs"):
        metrics.F1Score().update_state(np.ones(3), np.ones(3))


def test_r2_score_by_hand_and_constant_column():
    m = metrics.R2Score(class_aggregation=None)
    y = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    m.update_state(y, y + [[0.5, 0.5], [0.0, 0.0], [-0.5, 0.0]])  # SS_tot = 0: -inf -> 0
    np.testing.assert_allclose(m.result(), [1 - 0.5 / 2.0, 0.0])


def test_r2_adjusted_falls_back_with_a_warning():
    m = metrics.R2Score(num_regressors=5)
    m.update_state([[1.0], [2.0]], [[1.0], [2.5]])
    with pytest.warns(UserWarning, match="Falling back to the standard R2 score"):
        m.result()


def test_iou_by_hand_ignores_out_of_range_and_ignore_class():
    m = metrics.MeanIoU(num_classes=2, ignore_class=-1)
    m.update_state([0, 0, 1, 1, -1, 5], [0, 1, 0, 1, 1, 1])
    assert m.result() == pytest.approx((1 / 3 + 1 / 3) / 2, rel=1e-5)
    m.reset_state()
    assert m.total_cm.numpy().sum() == 0


def test_iou_with_float_weights_and_int_dtype_warns():
    m = metrics.IoU(num_classes=2, target_class_ids=[0])
    with pytest.warns(UserWarning, match=r"weights are truncated to integers"):
        m.update_state([0, 1], [0, 1], sample_weight=[0.5, 1.5])


def test_iou_target_ids_are_checked():
    with pytest.raises(ValueError, match=r"IoU: target class id 3 is out of range"):
        metrics.IoU(num_classes=3, target_class_ids=[3])


def test_operating_point_by_hand():
    m = metrics.SensitivityAtSpecificity(0.5, num_thresholds=3)
    m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    assert m.result() == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"PrecisionAtRecall: recall must be in \[0, 1\]"):
        metrics.PrecisionAtRecall(1.5)


@pytest.mark.parametrize("name, cls", [("kld", "KLDivergence"),
                                       ("msle", "MeanSquaredLogarithmicError"),
                                       ("logcosh", "LogCoshError"), ("f1_score", "F1Score"),
                                       ("r2_score", "R2Score"), ("hinge", "Hinge"),
                                       ("PearsonCorrelation", "PearsonCorrelation")])
def test_get_by_name(name, cls):
    assert type(metrics.get(name)).__name__ == cls


def test_serialize_round_trip():
    m = metrics.FBetaScore(average="macro", beta=0.5, threshold=0.3, name="fb")
    again = metrics.deserialize(metrics.serialize(m))
    assert type(again) is metrics.FBetaScore and again.get_config() == m.get_config()
