"""keras.utils data helpers: PyDataset in fit/evaluate/predict, pad_sequences, time series,
split_dataset, directory datasets and image helpers (behaviour and errors, without keras)."""

import importlib.util
import os
import sys

import numpy as np
import pytest

import deltaw.keras as keras
from deltaw.keras import utils


# ----------------------------------------------------------------------------- PyDataset
class Lines(utils.PyDataset):
    """4 batches of 8 points on y = 2x + 1, recording what fit asked for."""

    def __init__(self, batches=4, **kwargs):
        super().__init__(**kwargs)
        self.batches, self.read, self.begins, self.ends = batches, [], 0, 0

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        self.read.append(index)
        x = np.linspace(-1, 1, 8, dtype=np.float32)[:, None] + index
        return x, 2 * x + 1

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


def _model():
    model = keras.Sequential([keras.layers.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def test_py_dataset_trains_evaluates_and_predicts():
    ds = Lines(workers=2, use_multiprocessing=True, max_queue_size=3)
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (2, True, 3)
    assert utils.Sequence is utils.PyDataset
    model = _model()
    history = model.fit(ds, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 3 and losses[2] < losses[0]
    assert ds.begins == ds.ends == 3
    # every epoch reads each batch once (the first read, index 0, builds the model)
    assert sorted(ds.read[1:]) == sorted(list(range(4)) * 3)
    assert ds.read[1:5] != [0, 1, 2, 3] or ds.read[5:9] != [0, 1, 2, 3]   # shuffled batch order
    mse = model.evaluate(ds, verbose=0)
    x_all = np.concatenate([ds[i][0] for i in range(4)])
    y_all = 2 * x_all + 1
    np.testing.assert_allclose(mse, np.mean((model.predict(x_all, verbose=0) - y_all) ** 2),
                               rtol=1e-5)
    assert model.predict(ds, verbose=0).shape == (32, 1)


def test_py_dataset_without_shuffle_and_with_steps_per_epoch():
    ds = Lines(batches=3)
    model = _model()
    model.fit(ds, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    assert ds.read == [0, 0, 1, 2, 0]   # the second epoch finishes the pass, then starts anew
    ds.read.clear()
    model.fit(ds, epochs=1, shuffle=False, verbose=0, validation_data=Lines(batches=2))
    assert ds.read == [0, 0, 1, 2]


def test_py_dataset_errors():
    with pytest.raises(ValueError, match="fit: y, sample_weight and class_weight must be None "
                                         "when x is a PyDataset"):
        _model().fit(Lines(), np.zeros(32), verbose=0)
    with pytest.raises(ValueError, match="PyDataset: workers must be a positive int; got "
                                         "workers=0"):
        Lines(workers=0)
    with pytest.raises(ValueError, match="fit: the PyDataset has 0 batches; expected at least 1"):
        _model().fit(Lines(batches=0), verbose=0)
    with pytest.raises(NotImplementedError, match="must implement __getitem__"):
        utils.PyDataset()[0]


# ----------------------------------------------------------------------------- pad_sequences
def test_pad_sequences_semantics():
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    np.testing.assert_array_equal(utils.pad_sequences(seqs),
                                  [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 0, 0], [0, 0, 6, 7]])
    out = utils.pad_sequences(seqs, maxlen=3, padding="post", truncating="post", value=-1)
    np.testing.assert_array_equal(out, [[1, 2, 3], [5, -1, -1], [-1, -1, -1], [6, 7, -1]])
    np.testing.assert_array_equal(utils.pad_sequences(seqs, maxlen=2)[0], [3, 4])  # pre-truncate
    assert utils.pad_sequences(seqs).dtype == np.int32
    assert utils.pad_sequences(seqs, dtype="float32", value=0.5)[1, 0] == 0.5
    steps = utils.pad_sequences([np.ones((2, 3)), np.ones((1, 3))])
    assert steps.shape == (2, 2, 3) and steps[1, 0].tolist() == [0, 0, 0]
    text = utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert text.tolist() == [["a", "b"], ["<pad>", "c"]]
    assert utils.pad_sequences([], maxlen=3).shape == (0, 3)


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="pad_sequences: padding must be 'pre' or 'post'; got "
                                         "padding='middle'"):
        utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="truncating must be 'pre' or 'post'"):
        utils.pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match="every element must be a sequence; got 3"):
        utils.pad_sequences([[1], 3])
    with pytest.raises(ValueError, match="a string value 'x' needs dtype=object"):
        utils.pad_sequences([[1]], value="x")
    with pytest.raises(ValueError, match=r"sequence 1 has steps of shape \(2,\); expected \(3,\)"):
        utils.pad_sequences([np.ones((1, 3)), np.ones((1, 2))])


# ----------------------------------------------------------------------------- time series
def test_timeseries_windows_targets_and_bounds():
    data, targets = np.arange(20), np.arange(20) * 10
    ds = utils.timeseries_dataset_from_array(data, targets, sequence_length=3, sampling_rate=2,
                                             sequence_stride=4, batch_size=2, start_index=1,
                                             end_index=15)
    batches = list(ds)
    windows = np.concatenate([x for x, _ in batches])
    np.testing.assert_array_equal(windows, [[1, 3, 5], [5, 7, 9], [9, 11, 13]])
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), [10, 50, 90])
    assert len(ds) == 2 and batches[1][0].shape == (1, 3)
    features = np.arange(30, dtype=np.float32).reshape(10, 3)
    single = utils.timeseries_dataset_from_array(features, None, 4, batch_size=None)
    assert len(single) == 7 and single[6].shape == (4, 3)
    np.testing.assert_array_equal(single[6], features[6:10])
    shuffled = utils.timeseries_dataset_from_array(data, None, 2, batch_size=None, shuffle=True,
                                                   seed=5)
    starts = np.arange(19)
    np.random.RandomState(5).shuffle(starts)
    np.testing.assert_array_equal([w[0] for w in shuffled], starts)


@pytest.mark.parametrize("kwargs, message", [
    ({"start_index": -1}, "start_index must be 0 or greater"),
    ({"start_index": 10}, r"start_index must be lower than the length of the data \(10\)"),
    ({"start_index": 5, "end_index": 4}, "end_index must be higher than start_index"),
    ({"sampling_rate": 0}, "sampling_rate must be higher than 0"),
    ({"sequence_stride": 10}, "sequence_stride must be lower than the length"),
])
def test_timeseries_errors(kwargs, message):
    with pytest.raises(ValueError, match=f"timeseries_dataset_from_array: {message}"):
        utils.timeseries_dataset_from_array(np.arange(10), None, 2, **kwargs)


def test_timeseries_dataset_trains():
    data = np.sin(np.arange(64, dtype=np.float32) / 4)[:, None]
    ds = utils.timeseries_dataset_from_array(data[:-4], data[4:, 0], sequence_length=4,
                                             batch_size=16)
    model = keras.Sequential([keras.layers.Input((4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2


# ----------------------------------------------------------------------------- split_dataset
def test_split_dataset_sizes_and_order():
    x, y = np.arange(10), np.arange(10) * 2
    left, right = utils.split_dataset((x, y), left_size=0.8)
    assert (len(left), len(right)) == (8, 2)
    assert [int(a) for a, _ in right] == [8, 9]
    left, right = utils.split_dataset(x, right_size=3, shuffle=True, seed=0)
    values = sorted(int(v) for v in list(left) + list(right))
    assert values == list(range(10)) and len(right) == 3
    batch_x, batch_y = utils.split_dataset((x, y), left_size=6)[0].batch(4)[1]
    np.testing.assert_array_equal(batch_y, 2 * batch_x)
    assert batch_x.tolist() == [4, 5]


def test_split_dataset_errors():
    with pytest.raises(ValueError, match="at least one of left_size and right_size"):
        utils.split_dataset(np.arange(4))
    with pytest.raises(ValueError, match="left_size must be a positive int below 4"):
        utils.split_dataset(np.arange(4), left_size=4)
    with pytest.raises(TypeError, match="right_size must be an int, a float or None"):
        utils.split_dataset(np.arange(4), right_size="2")
    with pytest.raises(ValueError, match="left_size \\+ right_size must be at most 1"):
        utils.split_dataset(np.arange(4), left_size=0.7, right_size=0.5)
    with pytest.raises(ValueError, match=r"the arrays must have the same length; got lengths "
                                         r"\[4, 3\]"):
        utils.split_dataset((np.arange(4), np.arange(3)), left_size=2)


# ----------------------------------------------------------------------------- directories
@pytest.fixture
def image_folder(tmp_path):
    image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for name, count in (("cats", 5), ("dogs", 3), ("zebras", 2)):
        (tmp_path / name / "more").mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (12 + i, 10, 3), dtype=np.uint8)
            image.fromarray(pixels).save(tmp_path / name / f"{i}.png")
        image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).save(
            tmp_path / name / "more" / "x.JPG")
        (tmp_path / name / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden").mkdir()
    return tmp_path


def test_image_dataset_labels_and_shapes(image_folder, capsys):
    ds = utils.image_dataset_from_directory(image_folder, image_size=(8, 6), batch_size=4,
                                            shuffle=False)
    assert capsys.readouterr().out == "Found 13 files belonging to 3 classes.\n"
    assert ds.class_names == ["cats", "dogs", "zebras"] and len(ds) == 4
    x, y = ds[0]
    assert x.shape == (4, 8, 6, 3) and x.dtype == np.float32 and y.dtype == np.int32
    labels = np.concatenate([b[1] for b in ds])
    assert labels.tolist() == [0] * 6 + [1] * 4 + [2] * 3
    assert ds.file_paths[0] == os.path.join(image_folder, "cats", "0.png")
    assert ds.file_paths[5] == os.path.join(image_folder, "cats", "more", "x.JPG")
    gray = utils.image_dataset_from_directory(image_folder, color_mode="grayscale",
                                              image_size=5, label_mode="categorical",
                                              class_names=["zebras", "cats"], verbose=False)
    x, y = gray[0]
    assert x.shape == (9, 5, 5, 1) and y.shape == (9, 2) and y.dtype == np.float32
    assert sorted(y.argmax(1).tolist()) == [0] * 3 + [1] * 6
    only_images = utils.image_dataset_from_directory(image_folder, labels=None, image_size=4,
                                                     batch_size=None, verbose=False)
    assert only_images[0].shape == (4, 4, 3)


def test_image_dataset_validation_split_and_fit(image_folder):
    train, val = utils.image_dataset_from_directory(
        image_folder, image_size=(8, 8), batch_size=4, validation_split=0.3, subset="both",
        seed=7, class_names=["cats", "dogs"], label_mode="binary", verbose=False)
    assert len(train.file_paths) == 7 and len(val.file_paths) == 3   # int(0.3 * 10) = 3
    assert not set(train.file_paths) & set(val.file_paths)
    again = utils.image_dataset_from_directory(
        image_folder, image_size=(8, 8), validation_split=0.3, subset="validation", seed=7,
        class_names=["cats", "dogs"], verbose=False)
    assert again.file_paths == val.file_paths
    assert train[0][1].shape == (4, 1) and train[0][1].dtype == np.float32
    mapped = train.map(lambda images, labels: (images / 255.0, labels))
    assert mapped[0][0].max() <= 1.0 and mapped.class_names == ["cats", "dogs"]
    model = keras.Sequential([keras.layers.Input((8, 8, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(mapped.prefetch(2).cache(), validation_data=val, epochs=2, verbose=0)
    assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert len(train.take(1)) == 1


@pytest.mark.parametrize("kwargs, error, message", [
    ({"label_mode": "sparse"}, ValueError, "label_mode must be 'int', 'categorical', 'binary'"),
    ({"color_mode": "cmyk"}, ValueError, "color_mode must be 'rgb', 'rgba' or 'grayscale'"),
    ({"validation_split": 0.2}, ValueError, "subset and validation_split must be given together"),
    ({"validation_split": 0.2, "subset": "training"}, ValueError,
     "validation_split with shuffle=True needs a seed"),
    ({"label_mode": "binary"}, ValueError, "label_mode='binary' needs exactly 2 classes"),
    ({"class_names": ["cats", "horses"]}, ValueError, r"class_names \['cats', 'horses'\] do not "
                                                      "match the sub-folders"),
    ({"labels": [0, 1]}, ValueError, "labels has 2 entries; expected one per file, 13 files"),
    ({"interpolation": "cubic"}, ValueError, "interpolation must be one of bilinear"),
    ({"image_size": (3, 3, 3)}, ValueError, "image_size must be a tuple of 2 ints"),
])
def test_image_dataset_errors(image_folder, kwargs, error, message):
    with pytest.raises(error, match=f"image_dataset_from_directory: {message}"):
        utils.image_dataset_from_directory(image_folder, verbose=False, **kwargs)


def test_image_dataset_empty_folder(tmp_path):
    pytest.importorskip("PIL")
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="no images found in .*; expected files ending in .bmp"):
        utils.image_dataset_from_directory(tmp_path, verbose=False)


def test_text_dataset(tmp_path):
    texts = {"neg": ["bad film", "awful"], "pos": ["great", "loved it", "superb ✓"]}
    for label, items in texts.items():
        (tmp_path / label).mkdir()
        for i, text in enumerate(items):
            (tmp_path / label / f"{i}.txt").write_text(text, encoding="utf-8")
        (tmp_path / label / "skip.md").write_text("ignored")
    ds = utils.text_dataset_from_directory(tmp_path, batch_size=2, shuffle=False, max_length=5,
                                           verbose=False)
    x, y = ds[0]
    assert x.tolist() == ["bad f", "awful"] and y.tolist() == [0, 0]
    assert ds[2][0].tolist() == ["super"] and ds.class_names == ["neg", "pos"]
    train = utils.text_dataset_from_directory(tmp_path, validation_split=0.4, subset="training",
                                              seed=1, verbose=False, label_mode="categorical")
    assert len(train.file_paths) == 3 and train[0][1].shape == (3, 2)


# ----------------------------------------------------------------------------- images
def test_image_round_trip(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (6, 8, 3)).astype(np.float32)
    utils.save_img(tmp_path / "a.png", pixels, scale=False)
    img = utils.load_img(tmp_path / "a.png")
    assert img.size == (8, 6) and img.mode == "RGB"
    np.testing.assert_array_equal(utils.img_to_array(img), pixels)
    assert utils.img_to_array(img, data_format="channels_first").shape == (3, 6, 8)
    gray = utils.load_img(tmp_path / "a.png", color_mode="grayscale", target_size=(3, 4))
    assert utils.img_to_array(gray).shape == (3, 4, 1)
    rgba = utils.load_img(str(tmp_path / "a.png"), color_mode="rgba", target_size=(4, 4),
                          keep_aspect_ratio=True)
    assert rgba.mode == "RGBA" and rgba.size == (4, 4)
    scaled = utils.img_to_array(utils.array_to_img(np.array([[[0.0], [0.5], [1.0]]])))
    np.testing.assert_array_equal(scaled[0, :, 0], [0, 127, 255])
    assert utils.array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"
    utils.save_img(tmp_path / "b.jpg", rng.random((4, 4, 4)))   # alpha dropped for JPEG
    assert utils.load_img(tmp_path / "b.jpg").size == (4, 4)


def test_image_errors(tmp_path, monkeypatch):
    pytest.importorskip("PIL")
    with pytest.raises(ValueError, match="load_img: color_mode must be 'grayscale', 'rgb' or "
                                         "'rgba'; got color_mode='hsv'"):
        utils.load_img(tmp_path / "x.png", color_mode="hsv")
    with pytest.raises(ValueError, match=r"array_to_img: expected 1, 3 or 4 channels; got 2"):
        utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="array_to_img: expected an image array of rank 3"):
        utils.array_to_img(np.zeros((2, 2)))
    monkeypatch.setitem(sys.modules, "PIL", None)     # as if Pillow were not installed
    with pytest.raises(ImportError, match="load_img: this function needs Pillow, which is not "
                                          "installed. Hint: pip install Pillow."):
        utils.load_img(tmp_path / "x.png")


def test_progbar_and_normalize_are_exported():
    from deltaw.keras.callbacks.progbar import Progbar

    assert utils.Progbar is Progbar
    np.testing.assert_allclose(utils.normalize([[3.0, 4.0]]), [[0.6, 0.8]])


# ----------------------------------------------------------------------------- plot_model
def _branching_model():
    layers = keras.layers
    inp = layers.Input((8,), name="features")
    left = layers.Dense(4, activation="relu", name="left")(inp)
    right = layers.Dense(4, name="right")(inp)
    out = layers.Dense(1, name="out")(layers.Concatenate(name="cat")([left, right]))
    return keras.Model(inp, out)


def test_plot_model_layout_and_file(tmp_path):
    image = pytest.importorskip("PIL.Image")
    from deltaw.keras.utils.model_visualization import layout

    model = _branching_model()
    boxes, edges, size = layout(model, show_shapes=True, show_layer_names=True)
    names = [lines[0] for lines, _ in boxes]
    assert names == ["features (InputLayer)", "left (Dense)", "right (Dense)",
                     "cat (Concatenate)", "out (Dense)"]
    assert sorted(edges) == [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)]
    assert boxes[3][0][1:] == ["Input shape: [(None, 4), (None, 4)]", "Output shape: (None, 8)"]
    tops = [box[1] for _, box in boxes]
    assert tops[1] == tops[2] and tops[0] < tops[1] < tops[3] < tops[4]   # ranked by depth
    assert all(0 <= b[0] < b[2] <= size[0] and 0 <= b[1] < b[3] <= size[1] for _, b in boxes)
    shown = utils.plot_model(model, tmp_path / "m.png", show_shapes=True)
    assert (shown is None) == (importlib.util.find_spec("IPython") is None)
    with image.open(tmp_path / "m.png") as img:
        assert img.format == "PNG" and img.size[0] > 100 and img.size[1] > 100
    sequential = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(2),
                                   keras.layers.Dense(1)])
    boxes, edges, _ = layout(sequential, rankdir="LR")
    assert edges == [(0, 1)] and boxes[0][1][2] < boxes[1][1][0]   # left to right
    utils.plot_model(sequential, tmp_path / "s.jpg", rankdir="LR", dpi=100)
    with image.open(tmp_path / "s.jpg") as img:
        assert img.format == "JPEG"


def test_plot_model_errors(tmp_path):
    pytest.importorskip("PIL")
    with pytest.raises(ValueError, match="plot_model: rankdir must be 'TB' or 'LR'; got "
                                         "rankdir='BT'"):
        utils.plot_model(_branching_model(), tmp_path / "x.png", rankdir="BT")
    with pytest.raises(ValueError, match="plot_model: the model has no layers to plot"):
        utils.plot_model(keras.Sequential(), tmp_path / "x.png")
