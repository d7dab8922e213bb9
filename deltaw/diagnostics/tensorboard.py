"""keras.callbacks.TensorBoard, written with tensorboardX; plus what Keras dropped: gradient
histograms (`write_grads=True`) and the doctor's findings as text (`monitor=`)."""

from __future__ import annotations

import os
import time

import numpy as np

from deltaw.keras.callbacks.callback import Callback

__all__ = ["TensorBoard"]


def _summary_writer(logdir):
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("TensorBoard needs tensorboardX, which is not installed; install it "
                          "with `pip install deltaw[tensorboard]` (or `pip install "
                          "tensorboardX`).") from None
    return SummaryWriter(logdir)


class TensorBoard(Callback):
    """Writes logs for TensorBoard (`tensorboard --logdir logs`), as Keras 3's callback.

    Scalars go to `log_dir/train` and `log_dir/validation` under Keras' tags: `epoch_loss`,
    `epoch_<metric>` and `epoch_learning_rate` per epoch, `batch_<name>` every `update_freq`
    batches, `evaluation_<name>_vs_iterations` after each validation. Weight histograms are
    tagged `<weight path>/histogram` every `histogram_freq` epochs (images `<path>/image` with
    `write_images`).

    Args (Keras 3's, same defaults):
        log_dir: Directory of the event files.
        histogram_freq: Epochs between weight histograms; 0 writes none.
        write_graph: Keras writes the model's graph; deltaw has no TensorFlow graph to show, so
            it writes the model's summary table as text under the tag `model` instead.
        write_images: Also write each 1-D and 2-D weight as a grayscale image.
        write_steps_per_second: Also write `epoch_steps_per_second` (and
            `batch_steps_per_second` with `update_freq`).
        update_freq: 'epoch', 'batch' or an int N: write `batch_*` scalars every N batches.
        profile_batch: Must stay 0: deltaw has no profiler trace to write.
        embeddings_freq, embeddings_metadata: Must stay 0 and None: the projector needs
            TensorFlow checkpoints.

    Args (deltaw):
        write_grads: Also write gradient histograms (`<weight path>/gradient`), computed on the
            first 256 training samples at every histogram epoch (needs `histogram_freq` > 0),
            as tf.keras 1 and 2 did before Keras 3 dropped it.
        monitor: A `TrainingMonitor` in the same `fit`; its findings are written as text under
            the tag `findings`, at the epoch they were found.

    Raises:
        ValueError: a bad `update_freq` or `histogram_freq`, `write_grads` without
            `histogram_freq`, or a profiling or embeddings argument that is not the default.
        ImportError: tensorboardX is not installed (`pip install deltaw[tensorboard]`).
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, *, write_grads=False,
                 monitor=None):
        super().__init__()
        _refuse("profile_batch", profile_batch, (0, None),
                "deltaw has no profiler trace to write")
        _refuse("embeddings_freq", embeddings_freq, (0, None),
                "the embedding projector reads TensorFlow checkpoints")
        _refuse("embeddings_metadata", embeddings_metadata, (None,),
                "the embedding projector reads TensorFlow checkpoints")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or \
                histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0; got "
                             f"histogram_freq={histogram_freq!r}.")
        if update_freq not in ("epoch", "batch") and (isinstance(update_freq, bool) or not
                                                       isinstance(update_freq, int)
                                                       or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"int; got update_freq={update_freq!r}.")
        if write_grads and not histogram_freq:
            raise ValueError("TensorBoard: write_grads=True needs histogram_freq > 0 (gradient "
                             "histograms are written at histogram epochs); got histogram_freq=0.")
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.profile_batch, self.embeddings_freq = profile_batch, embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self.write_grads = write_grads
        self.monitor = monitor
        self._writers = {}
        self._global_train_batch = 0
        self._written_findings = 0
        self._epoch_start = self._batch_start = 0.0
        self._epoch_steps = 0
        self._probe = None

    # ----- writers
    def _writer(self, which):
        if which not in self._writers:
            self._writers[which] = _summary_writer(os.path.join(self.log_dir, which))
        return self._writers[which]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ----- hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        train = self._writer("train")
        if self.write_graph:
            lines = []
            self.model.summary(print_fn=lambda line, *a, **k: lines.append(line))
            train.add_text("model", "```\n" + "\n".join(lines) + "\n```", 0)
        if self.write_grads:
            from deltaw.diagnostics.monitor import _first_samples

            self._probe = _first_samples(self.model)

    def on_train_end(self, logs=None):
        self._write_findings()
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._epoch_steps = time.time(), 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        self._epoch_steps += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        train, step = self._writer("train"), self._global_train_batch
        for name, value in _scalars(logs).items():
            train.add_scalar(f"batch_{name}", value, step)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start, 1e-9)
            train.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)

    def on_test_end(self, logs=None):
        opt = getattr(self.model, "optimizer", None)
        if opt is None:
            return
        step = int(np.asarray(opt.iterations.data))
        val = self._writer("validation")
        for name, value in _scalars(logs).items():
            val.add_scalar(f"evaluation_{name}_vs_iterations", value, step)

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
            if self.write_grads:
                self._log_gradients(epoch)
        self._write_findings()
        for writer in self._writers.values():
            writer.flush()

    # ----- what is written
    def _log_epoch_metrics(self, epoch, logs):
        train = {k: v for k, v in _scalars(logs).items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in _scalars(logs).items() if k.startswith("val_")}
        lr = _learning_rate(self.model)
        if lr is not None:
            train.setdefault("learning_rate", lr)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start, 1e-9)
            train["steps_per_second"] = self._epoch_steps / elapsed
        for which, values in (("train", train), ("validation", val)):
            if values:
                writer = self._writer(which)
                for name, value in values.items():
                    writer.add_scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch):
        train = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = _path(layer, weight)
                train.add_histogram(f"{name}/histogram", np.asarray(weight.data), epoch)
                if self.write_images:
                    image = _as_image(np.asarray(weight.data))
                    if image is not None:
                        train.add_image(f"{name}/image", image, epoch, dataformats="HW")

    def _log_gradients(self, epoch):
        if self._probe is None:
            return
        from deltaw.diagnostics.probe import weight_gradients
        from deltaw.keras.trainers.data_adapter import unpack_x_y_sample_weight

        x, y, sample_weight = unpack_x_y_sample_weight(self._probe)
        paths = {id(w): _path(layer, w) for layer in self.model.layers for w in layer.weights}
        train = self._writer("train")
        for variable, grad in weight_gradients(self.model, x, y, sample_weight):
            if grad is not None and np.isfinite(grad).all():
                name = paths.get(id(variable)) or _path(None, variable)
                train.add_histogram(f"{name}/gradient", grad, epoch)

    def _write_findings(self):
        if self.monitor is None or not self._writers:
            return
        new = self.monitor.findings[self._written_findings:]
        self._written_findings = len(self.monitor.findings)
        by_epoch = {}
        for f in new:
            by_epoch.setdefault(f.epoch or 0, []).append(f)
        train = self._writer("train")
        for epoch, found in sorted(by_epoch.items()):
            train.add_text("findings", "\n".join(f"- {f}" for f in found), epoch)


def _refuse(name, value, defaults, why):
    if value not in defaults:
        raise ValueError(f"TensorBoard: {name} is not supported by deltaw ({why}); expected "
                         f"the default {defaults[0]!r}, got {name}={value!r}.")


def _scalars(logs):
    out = {}
    for name, value in (logs or {}).items():
        value = np.asarray(getattr(value, "data", value))
        if value.size == 1 and value.dtype.kind in "fiub":
            out[name] = float(value.reshape(()))
    return out


def _learning_rate(model):
    opt = getattr(model, "optimizer", None)
    try:
        return None if opt is None else float(opt.learning_rate)
    except (TypeError, ValueError):
        return None


def _path(layer, weight):
    # Keras' weight.path, 'dense_1/kernel' (tags must differ between layers)
    path = getattr(weight, "path", None)
    if not path:
        name = weight.name or "weight"
        path = name if layer is None or "/" in name else f"{layer.name}/{name}"
    return path.replace(":", "_")


def _as_image(w):
    # Keras' write_images: a bias as one row, a kernel with its longer side horizontal
    w = np.squeeze(w)
    if w.ndim == 1:
        w = w[None, :]
    elif w.ndim == 2:
        w = w.T if w.shape[0] > w.shape[1] else w
    else:
        return None
    low, high = float(w.min()), float(w.max())
    return (w - low) / (high - low) if high > low else np.zeros_like(w, dtype=np.float64)
