"""`python -m deltaw.examples vanishing`: the deep sigmoid network stays at chance and the doctor
says why; with the advice applied the same depth learns; both plots are saved."""

import pytest

from deltaw.examples import vanishing

pytestmark = pytest.mark.slow   # trains two deep networks for 10 epochs (~5 s)


def test_the_sigmoid_network_does_not_learn_and_the_fixed_one_does(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    results = vanishing.main(verbose=1, out_dir=str(tmp_path))
    out = capsys.readouterr().out
    assert "vanishing_gradient [dense_1]" in out and "loss_plateau" in out
    assert results["sigmoid"] < 0.2            # 10 classes: chance is 10%
    assert results["relu_he"] > 0.85           # 90.8% when written (360 held-out digits)
    for name in ("vanishing_sigmoid.png", "vanishing_relu_he.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_batchnorm_is_the_other_fix():
    # main(fix="batchnorm") reaches 89.7% test accuracy (when written); here: the gradient
    # flows through the same ten sigmoid layers once BatchNormalization precedes each
    (x, y), _ = vanishing.digits.load_data()
    model = vanishing.deep_network("batchnorm")
    assert [type(layer).__name__ for layer in model.layers[:3]] == \
           ["Dense", "BatchNormalization", "Activation"]
    assert model.diagnose(x.reshape(-1, 64) / 16.0, y).findings == []
    assert vanishing.deep_network().diagnose(x.reshape(-1, 64) / 16.0, y).findings[0].kind == \
        "vanishing_gradient"
