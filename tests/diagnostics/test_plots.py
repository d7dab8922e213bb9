"""The pictures: gradient flow of a Diagnosis and History.plot, rendered with Agg."""

import sys

import pytest

from tests.diagnostics import corpus

pytest.importorskip("matplotlib")


def _png(fig, path):
    fig.savefig(path)           # a Figure made without pyplot renders with the Agg canvas
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gradient_flow_figure_marks_the_dead_layer(tmp_path):
    model, x, y = corpus.dead_mlp()
    fig = model.diagnose(x, y).plot(title="dead ReLUs")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dense_1", "dense_2", "dense_3",
                                                            "output"]
    marks = [t.get_text() for t in ax.texts]
    assert len(marks) == 2 and marks[0].startswith("dead 9")   # dense_2 and the dense_3 it starves
    assert "dead_units [dense_2]" in ax.get_title()
    assert _png(fig, tmp_path / "flow.png")


def test_gradient_flow_of_a_vanishing_network_spans_orders_of_magnitude(tmp_path):
    model, x, y = corpus.vanishing_mlp()
    fig = model.diagnose(x, y).plot()
    bars = [p.get_height() for p in fig.axes[0].patches]
    assert len(bars) == 11 and max(bars) / min(bars) > 1e3
    assert _png(fig, tmp_path / "vanishing.png")


def test_history_plot_draws_training_and_validation(tmp_path):
    model, x, y = corpus.healthy_cancer_mlp()
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    fig = history.plot()
    assert [ax.get_title() for ax in fig.axes] == ["accuracy", "loss"] or \
           [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax in fig.axes:
        assert [line.get_label() for line in ax.lines] == ["training", "validation"]
        assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert _png(fig, tmp_path / "history.png")
    only = history.plot(keys=["loss"])
    assert len(only.axes) == 1
    with pytest.raises(ValueError, match=r"no record of \['auc'\]"):
        history.plot(keys=["auc"])


def test_without_matplotlib_the_message_says_what_to_install(monkeypatch):
    model, x, y = corpus.healthy_cancer_mlp()
    d = model.diagnose(x, y)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install deltaw\[plot\]"):
        d.plot()
