"""The Keras loss classes over deltaw/nn/composed_losses.py: lookup, configs, reductions, edge
cases and errors (the values against real Keras are in test_composed_losses_vs_keras.py)."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import losses

NEW = ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
       "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "Circle", "CosineSimilarity",
       "Dice", "Hinge", "KLDivergence", "LogCosh", "MeanAbsolutePercentageError",
       "MeanSquaredLogarithmicError", "Poisson", "SquaredHinge", "Tversky"]


@pytest.mark.parametrize("name", NEW)
def test_config_round_trip_and_get_by_class_name(name):
    loss = getattr(losses, name)(reduction="sum", name="custom")
    config = loss.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    assert type(loss).from_config(config).get_config() == config
    assert isinstance(losses.get(name), getattr(losses, name))


@pytest.mark.parametrize("alias, cls", [("kld", "KLDivergence"), ("KLD", "KLDivergence"),
                                        ("mape", "MeanAbsolutePercentageError"),
                                        ("msle", "MeanSquaredLogarithmicError"),
                                        ("logcosh", "LogCosh"), ("hinge", "Hinge"),
                                        ("binary_focal_crossentropy", "BinaryFocalCrossentropy")])
def test_aliases(alias, cls):
    assert type(losses.get(alias)).__name__ == cls


def test_functions_give_their_class():
    assert isinstance(losses.get(losses.poisson), losses.Poisson)
    assert losses.kld is losses.kl_divergence and losses.msle is losses.MSLE


def test_hinge_maps_binary_labels_to_signs():
    pred = np.array([[0.3, -0.8]], dtype="float32")
    np.testing.assert_allclose(losses.hinge([[1.0, 0.0]], pred).numpy(),
                               losses.hinge([[1.0, -1.0]], pred).numpy())
    np.testing.assert_allclose(losses.hinge([[1.0, 0.0]], pred).numpy(), [(0.7 + 0.2) / 2])


def test_log_cosh_stays_finite_for_huge_errors():
    value = losses.log_cosh([[0.0]], [[1000.0]]).numpy()
    np.testing.assert_allclose(value, [1000.0 - np.log(2.0)], rtol=1e-6)


def test_focal_from_extreme_logits_has_finite_gradients():
    logits = dw.tensor([[-200.0, 0.0, 200.0]], requires_grad=True)
    loss = losses.BinaryFocalCrossentropy(from_logits=True)([[1.0, 0.0, 1.0]], logits)
    loss.backward()
    assert np.isfinite(loss.numpy()) and np.all(np.isfinite(logits.grad.numpy()))


def test_cosine_similarity_of_a_zero_vector_is_zero():
    values = losses.cosine_similarity([[0.0, 0.0], [1.0, 0.0]], [[1.0, 1.0], [2.0, 0.0]])
    np.testing.assert_allclose(values.numpy(), [0.0, -1.0], atol=1e-6)


def test_circle_mean_leaves_out_rows_without_pairs():
    emb = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype="float32")
    values = losses.circle([0, 0, 1], emb, gamma=4.0).numpy()
    assert values[2] == 0.0 and np.all(values[:2] > 0)
    mean = float(losses.Circle(gamma=4.0)([0, 0, 1], emb))
    np.testing.assert_allclose(mean, values[:2].mean(), rtol=1e-6)


def test_circle_gradient_is_finite_with_empty_rows():
    emb = dw.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], requires_grad=True)
    losses.Circle()([0, 0, 1], emb).backward()
    assert np.all(np.isfinite(emb.grad.numpy()))


def test_dice_without_axis_is_one_value():
    loss = losses.Dice(reduction=None)(np.ones((2, 3)), np.full((2, 3), 0.5))
    assert loss.shape == ()
    np.testing.assert_allclose(float(loss), 1 - 2 * 3 / (6 + 3 + 1e-7), rtol=1e-6)


def test_generalized_cross_entropy_q_is_checked():
    with pytest.raises(ValueError, match=r"CategoricalGeneralizedCrossEntropy: q must be in "
                                         r"\(0, 1\]; expected 0 < q <= 1, got 0"):
        losses.CategoricalGeneralizedCrossEntropy(q=0)


def test_focal_label_smoothing_is_checked():
    with pytest.raises(ValueError, match=r"binary_focal_cross_entropy: label_smoothing must be "
                                         r"in \[0, 1\]"):
        losses.BinaryFocalCrossentropy(label_smoothing=1.5)([[1.0]], [[0.5]])


def test_losses_train_a_weight():
    w = dw.tensor(np.full((1, 3), 0.1, dtype="float32"), requires_grad=True)
    for cls in (losses.KLDivergence, losses.Poisson, losses.LogCosh, losses.SquaredHinge):
        before = float(cls()([[0.2, 0.3, 0.5]], w * 1.0))
        g = dw.grad(cls()([[0.2, 0.3, 0.5]], w * 1.0), [w])[0]
        after = float(cls()([[0.2, 0.3, 0.5]], w - 0.05 * g))
        assert after < before, cls.__name__


def test_ctc_uniform_logits_by_hand():
    # two frames, classes {blank, 1}, label [1]: paths 1-1, 1-blank, blank-1 each of prob 1/4
    loss = losses.ctc(np.array([[1]]), np.zeros((1, 2, 2), dtype="float32"))
    np.testing.assert_allclose(loss.numpy(), [-np.log(0.75)], rtol=1e-6)
    assert isinstance(losses.get("ctc"), losses.CTC)


def test_ctc_impossible_alignment_is_inf_with_zero_gradient():
    logits = dw.tensor(np.zeros((2, 2, 3), dtype="float32"), requires_grad=True)
    values = dw.nn.ctc_loss(np.array([[1, 1, 2], [1, 0, 0]]), logits, [3, 1], [2, 2])
    assert np.isinf(values.numpy()[0]) and np.isfinite(values.numpy()[1])
    values[1].backward()
    assert np.all(np.isfinite(logits.grad.numpy()))
    np.testing.assert_array_equal(logits.grad.numpy()[0], 0.0)


def test_ctc_checks_ranks():
    with pytest.raises(ValueError, match=r"ctc: y_true must be integer labels of shape"):
        losses.ctc(np.ones(3), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"ctc: y_pred must be logits of shape"):
        losses.ctc(np.ones((1, 3)), np.zeros((2, 2)))
