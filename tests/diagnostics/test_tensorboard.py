"""keras.callbacks.TensorBoard: event files written by tensorboardX, read back by TensorBoard's
own reader; Keras 3's signature and tags; gradient histograms and findings."""

import sys

import numpy as np
import pytest

from deltaw.keras.callbacks import TensorBoard, TrainingMonitor
from tests.diagnostics import corpus

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _read(path):
    reader = event_accumulator.EventAccumulator(
        str(path), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0, "images": 0})
    reader.Reload()
    return reader


def _scalars(reader, tag):
    return [(e.step, e.value) for e in reader.Scalars(tag)]


def test_scalars_histograms_gradients_and_findings_read_back(tmp_path):
    model, x, y = corpus.dead_mlp()
    monitor = TrainingMonitor(on_finding="ignore")
    board = TensorBoard(tmp_path, histogram_freq=1, update_freq=3, write_images=True,
                        write_grads=True, monitor=monitor)
    history = model.fit(x, y, epochs=2, batch_size=64, validation_split=0.2,
                        callbacks=[monitor, board], verbose=0)
    train, val = _read(tmp_path / "train"), _read(tmp_path / "validation")
    for tag in ("loss", "accuracy"):
        steps, values = zip(*_scalars(train, f"epoch_{tag}"))
        assert steps == (0, 1)
        np.testing.assert_allclose(values, history.history[tag], rtol=1e-6)
        steps, values = zip(*_scalars(val, f"epoch_{tag}"))
        np.testing.assert_allclose(values, history.history[f"val_{tag}"], rtol=1e-6)
    assert [v for _, v in _scalars(train, "epoch_learning_rate")] == pytest.approx([1e-3] * 2)
    batch_steps = [s for s, _ in _scalars(train, "batch_loss")]
    assert batch_steps and all(s % 3 == 0 for s in batch_steps)    # 6 batches per epoch
    assert [s for s, _ in _scalars(val, "evaluation_loss_vs_iterations")] == [6, 12]
    histograms = train.Tags()["histograms"]
    for layer in ("dense_1", "dense_2", "output"):
        assert f"{layer}/kernel/histogram" in histograms
        assert f"{layer}/kernel/gradient" in histograms
    kernel = train.Histograms("dense_1/kernel/histogram")[-1].histogram_value
    assert kernel.num == model.get_layer("dense_1").kernel.data.size
    assert "dense_1/kernel/image" in train.Tags()["images"]
    text = train.Tensors("findings/text_summary")
    assert [e.step for e in text] == [0, 1]
    assert b"dead_units [dense_2]" in text[0].tensor_proto.string_val[0]
    assert b"dense_2" in train.Tensors("model/text_summary")[0].tensor_proto.string_val[0]


def test_batch_update_freq_and_steps_per_second(tmp_path):
    model, x, y = corpus.healthy_cancer_mlp()
    board = TensorBoard(str(tmp_path), update_freq="batch", write_steps_per_second=True,
                        write_graph=False)
    model.fit(x[:256], y[:256], epochs=1, batch_size=64, callbacks=[board], verbose=0)
    train = _read(tmp_path / "train")
    assert [s for s, _ in _scalars(train, "batch_loss")] == [1, 2, 3, 4]
    assert all(v > 0 for _, v in _scalars(train, "epoch_steps_per_second"))
    assert "model/text_summary" not in train.Tags()["tensors"]


@pytest.mark.parametrize("kwargs, match", [
    ({"profile_batch": (2, 4)}, r"profile_batch is not supported by deltaw .*expected the "
                                r"default 0, got profile_batch=\(2, 4\)"),
    ({"embeddings_freq": 1}, "embeddings_freq is not supported"),
    ({"embeddings_metadata": "meta.tsv"}, "embeddings_metadata is not supported"),
    ({"update_freq": "sometimes"}, "update_freq must be 'epoch', 'batch' or a positive int"),
    ({"write_grads": True}, "write_grads=True needs histogram_freq > 0"),
    ({"histogram_freq": -1}, "histogram_freq must be an int >= 0"),
])
def test_what_deltaw_cannot_write_is_refused_clearly(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard(**kwargs)


def test_without_tensorboardx_the_message_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    model, x, y = corpus.healthy_cancer_mlp()
    with pytest.raises(ImportError, match=r"pip install deltaw\[tensorboard\]"):
        model.fit(x, y, epochs=1, callbacks=[TensorBoard(tmp_path)], verbose=0)
