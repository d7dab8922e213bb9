"""Keras 3 files against real Keras 3 (torch backend), both ways, per layer family.

Keras writes a `.keras` / `.weights.h5` file, deltaw reads it: same predictions, same optimizer
state, and training continues alike. deltaw writes, Keras reads it with `keras.saving.load_model`
(safe mode on): same predictions and optimizer state. Skipped without keras/torch.
"""

from tests.keras import keras_reference as kr  # noqa: I001 (selects the torch backend; import before keras)

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import deltaw.keras as dk  # noqa: E402

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

ATOL = 2e-5
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:keras"),
              pytest.mark.filterwarnings("ignore::UserWarning:keras")]


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()
    dk.backend.clear_session()


def dense(L):
    return L.Sequential([L.Input((5,)), L.layers.Dense(8, activation="relu"),
                         L.layers.Dropout(0.0), L.layers.Activation("tanh"),
                         L.layers.Dense(3, activation="softmax")])


def vision(L):
    return L.Sequential([
        L.Input((8, 8, 2)), L.layers.Conv2D(3, 3, padding="same", activation="relu"),
        L.layers.BatchNormalization(), L.layers.MaxPooling2D(), L.layers.ZeroPadding2D(1),
        L.layers.DepthwiseConv2D(2), L.layers.SeparableConv2D(4, 2),
        L.layers.Conv2DTranspose(2, 2, strides=2), L.layers.AveragePooling2D(2),
        L.layers.UpSampling2D(), L.layers.Cropping2D(1), L.layers.GlobalAveragePooling2D(),
        L.layers.Dense(3)])


def sequence_1d(L):
    return L.Sequential([
        L.Input((10, 3)), L.layers.Conv1D(4, 3, activation="relu"), L.layers.MaxPooling1D(),
        L.layers.AveragePooling1D(1), L.layers.LayerNormalization(),
        L.layers.GlobalMaxPooling1D(), L.layers.Dense(2)])


def recurrent(L):
    return L.Sequential([
        L.Input((6,), dtype="int32"), L.layers.Embedding(12, 4),
        L.layers.LSTM(5, return_sequences=True),
        L.layers.Bidirectional(L.layers.GRU(3, return_sequences=True)),
        L.layers.TimeDistributed(L.layers.Dense(3)), L.layers.SimpleRNN(4), L.layers.Dense(2)])


def attention(L):
    x = L.Input((5, 6), name="seq")
    h = L.layers.MultiHeadAttention(2, 3)(x, x)
    h = L.layers.LayerNormalization()(L.layers.Add()([x, h]))
    h = L.layers.GroupNormalization(2)(h)
    return L.Model(x, L.layers.Dense(2)(L.layers.Flatten()(h)))


def merging(L):
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    inner = L.Sequential([L.Input((4,)), L.layers.Dense(4, name="hid")], name="inner")
    ha, hb = inner(a), L.layers.Dense(4)(b)
    merged = L.layers.Concatenate()([L.layers.Add()([ha, hb]), L.layers.Multiply()([ha, hb]),
                                     L.layers.Average()([ha, hb]), L.layers.Subtract()([ha, hb])])
    out1 = L.layers.Dense(2, name="out1")(merged)
    out2 = L.layers.Reshape((2, 2))(L.layers.Dense(4, name="out2")(L.layers.Maximum()([ha, hb])))
    return L.Model([a, b], [out1, out2])


def misc(L):
    x = L.Input((6, 4), name="seq")
    h = L.layers.SpatialDropout1D(0.0)(x)
    h = L.layers.Attention()([h, h])
    pooled = L.layers.GlobalAveragePooling1D()(h)
    out = L.layers.Minimum()([L.layers.Dense(2)(pooled), L.layers.Dense(2)(pooled)])
    return L.Model(x, out)


def masked(L):  # Sequential: Keras 3.15 records keras.ops calls of Masking in functional graphs
    return L.Sequential([L.Input((6, 4)), L.layers.Masking(0.0), L.layers.LSTM(3),
                         L.layers.Dense(2)])


FAMILIES = {"dense": (dense, [(5,)], [(3,)]), "vision": (vision, [(8, 8, 2)], [(3,)]),
            "sequence_1d": (sequence_1d, [(10, 3)], [(2,)]),
            "recurrent": (recurrent, [(6,)], [(2,)]), "attention": (attention, [(5, 6)], [(2,)]),
            "merging": (merging, [(4,), (4,)], [(2,), (2, 2)]),
            "misc": (misc, [(6, 4)], [(2,)]), "masked": (masked, [(6, 4)], [(2,)])}


def batch(shapes, seed, n=6):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 12, (n, *s)).astype("int32") if s == (6,) and len(shapes) == 1
            and s == FAMILIES["recurrent"][1][0] else rng.standard_normal((n, *s)).astype("float32")
            for s in shapes]


def trained(L, family, seed=0, objects=False):
    """`family`'s model after one epoch; compiled with names ("mse"), or with loss and metric
    objects where `objects` (Keras 3.15's legacy .h5 loader fails on a loss given by name)."""
    build, in_shapes, out_shapes = FAMILIES[family]
    with kr.quiet():
        model = build(L)
        metrics = ([L.metrics.MeanAbsoluteError()] if objects else ["mae"]) \
            if len(out_shapes) == 1 else None
        loss = L.losses.MeanSquaredError() if objects else "mse"
        model.compile(optimizer=L.optimizers.Adam(0.01), loss=loss, metrics=metrics)
        x, y = batch(in_shapes, seed), batch(out_shapes, seed + 1)
        model.fit(x if len(x) > 1 else x[0], y if len(y) > 1 else y[0], batch_size=3, epochs=1,
                  shuffle=False, verbose=0)
    return model, (x if len(x) > 1 else x[0])


def predictions(model, x):
    with kr.quiet():
        return [kr.to_numpy(p) for p in kr.as_list(model.predict(x, verbose=0))]


def assert_close_outputs(a, b):
    for p, q in zip(a, b, strict=True):
        np.testing.assert_allclose(p, q, atol=ATOL, rtol=1e-5)


def assert_same_optimizer(k_model, d_model):
    k_vars, d_vars = k_model.optimizer.variables, d_model.optimizer.variables
    assert len(k_vars) == len(d_vars)
    for k, d in zip(k_vars, d_vars, strict=True):
        np.testing.assert_allclose(kr.to_numpy(k.value), np.asarray(d.data), atol=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_keras_writes_deltaw_reads(family, tmp_path):
    k_model, x = trained(keras, family)
    with kr.quiet():
        k_model.save(tmp_path / "k.keras")
    d_model = dk.models.load_model(tmp_path / "k.keras")
    assert type(d_model).__name__ == type(k_model).__name__
    assert [w.shape for w in d_model.weights] == [tuple(w.shape) for w in k_model.weights]
    assert_close_outputs(predictions(d_model, x), predictions(k_model, x))
    assert_same_optimizer(k_model, d_model)
    assert d_model.compiled and type(d_model.optimizer).__name__ == "Adam"
    assert d_model.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)


@pytest.mark.parametrize("family", FAMILIES)
def test_deltaw_writes_keras_reads(family, tmp_path):
    d_model, x = trained(dk, family)
    d_model.save(tmp_path / "d.keras")
    with kr.quiet():
        k_model = keras.saving.load_model(tmp_path / "d.keras")  # safe_mode=True
    assert_close_outputs(predictions(k_model, x), predictions(d_model, x))
    assert_same_optimizer(k_model, d_model)
    assert int(kr.to_numpy(k_model.optimizer.iterations.value)) == 2


def test_training_continues_alike_after_loading_a_keras_file(tmp_path):
    k_model, x = trained(keras, "dense")
    with kr.quiet():
        k_model.save(tmp_path / "k.keras")
    d_model = dk.models.load_model(tmp_path / "k.keras")
    y = batch([(3,)], 5)[0]
    with kr.quiet():
        k_loss = [k_model.train_on_batch(x, y) for _ in range(3)]
    d_loss = [d_model.train_on_batch(x, y) for _ in range(3)]
    np.testing.assert_allclose(np.ravel(d_loss), np.ravel(k_loss), rtol=1e-5, atol=1e-6)
    assert_close_outputs(predictions(d_model, x), predictions(k_model, x))


@pytest.mark.parametrize("family", ["dense", "recurrent", "attention"])
def test_weights_h5_both_ways(family, tmp_path):
    k_model, x = trained(keras, family)
    d_model, _ = trained(dk, family, seed=3)
    with kr.quiet():
        k_model.save_weights(tmp_path / "k.weights.h5")
    d_model.save_weights(tmp_path / "d.weights.h5")
    d_fresh = FAMILIES[family][0](dk)
    d_fresh.load_weights(tmp_path / "k.weights.h5")
    assert_close_outputs(predictions(d_fresh, x), predictions(k_model, x))
    with kr.quiet():
        k_fresh = FAMILIES[family][0](keras)
        k_fresh.load_weights(tmp_path / "d.weights.h5")
    assert_close_outputs(predictions(k_fresh, x), predictions(d_model, x))


@pytest.mark.parametrize("family", ["dense", "vision", "recurrent", "merging"])
def test_keras_legacy_h5_writer_deltaw_reads(family, tmp_path):
    k_model, x = trained(keras, family)
    with kr.quiet():
        k_model.save(tmp_path / "k.h5")  # Keras 3's legacy HDF5 writer
        from keras.src.legacy.saving import legacy_h5_format

        with h5py.File(tmp_path / "w.h5", "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    d_model = dk.models.load_model(tmp_path / "k.h5")
    assert_close_outputs(predictions(d_model, x), predictions(k_model, x))
    assert_same_optimizer(k_model, d_model)
    d_fresh = FAMILIES[family][0](dk)
    d_fresh.load_weights(tmp_path / "w.h5")
    assert_close_outputs(predictions(d_fresh, x), predictions(k_model, x))


def compiled_with_objects(L):
    model = L.Sequential([L.Input((4,)), L.layers.Dense(3)])
    schedule = L.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.9)
    model.compile(optimizer=L.optimizers.SGD(schedule, momentum=0.9, nesterov=True),
                  loss=L.losses.MeanSquaredError(),
                  metrics=[L.metrics.MeanAbsoluteError(), "mse",
                           L.metrics.RootMeanSquaredError(name="rmse")])
    return model


@pytest.mark.parametrize("writer", ["keras", "deltaw"])
def test_compile_objects_schedules_and_metrics_cross_over(writer, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((6, 4), np.float32), rng.random((6, 3), np.float32)
    source = compiled_with_objects(keras if writer == "keras" else dk)
    with kr.quiet():
        source.fit(x, y, batch_size=3, verbose=0)
        source.save(tmp_path / "m.keras")
        loaded = (dk.models.load_model if writer == "keras" else keras.saving.load_model)(
            tmp_path / "m.keras")
        logs = [m.evaluate(x, y, verbose=0, return_dict=True) for m in (source, loaded)]
        steps = [np.ravel(m.train_on_batch(x, y)) for m in (source, loaded)]
    assert logs[0].keys() == logs[1].keys() == {"loss", "mean_absolute_error", "mse", "rmse"}
    for key in logs[0]:
        assert logs[1][key] == pytest.approx(logs[0][key], rel=1e-5)
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-5)
    assert loaded.optimizer.get_config()["learning_rate"]["class_name"] == "ExponentialDecay"


LAYER_ARGS = {"Dense": (2,), "Conv1D": (2, 2), "Conv2D": (2, 2), "Conv2DTranspose": (2, 2),
              "DepthwiseConv2D": (2,), "SeparableConv2D": (2, 2), "Embedding": (4, 2),
              "LSTM": (2,), "GRU": (2,), "SimpleRNN": (2,), "MultiHeadAttention": (2, 2),
              "Activation": ("relu",), "Dropout": (0.1,), "SpatialDropout1D": (0.1,),
              "SpatialDropout2D": (0.1,), "Reshape": ((2,),), "GroupNormalization": (1,),
              "AveragePooling1D": (2,), "AveragePooling2D": (2,), "AveragePooling3D": (2,),
              "AdaptiveAveragePooling1D": (2,), "AdaptiveAveragePooling2D": (2,),
              "AdaptiveAveragePooling3D": (2,), "AdaptiveMaxPooling1D": (2,),
              "AdaptiveMaxPooling2D": (2,), "AdaptiveMaxPooling3D": (2,), "AlphaDropout": (0.1,),
              "GaussianDropout": (0.1,), "GaussianNoise": (0.1,), "SpatialDropout3D": (0.1,),
              "CategoryEncoding": (3,), "CenterCrop": (2, 2), "Resizing": (2, 2),
              "RandomCrop": (2, 2), "Conv1DTranspose": (2, 2), "Conv3D": (2, 2),
              "Conv3DTranspose": (2, 2), "SeparableConv1D": (2, 2), "DepthwiseConv1D": (2,),
              "ConvLSTM1D": (2, 2), "ConvLSTM2D": (2, 2), "ConvLSTM3D": (2, 2),
              "Discretization": ([0.0, 1.0],), "Dot": (1,), "EinsumDense": ("ab,bc->ac", 2),
              "GRUCell": (2,), "LSTMCell": (2,), "SimpleRNNCell": (2,),
              "GroupedQueryAttention": (2, 2, 1), "GroupQueryAttention": (2, 2, 1),
              "HashedCrossing": (3,), "Hashing": (3,), "MaxNumBoundingBoxes": (3,),
              "Permute": ((2, 1),), "RandomBrightness": (0.1,), "RandomColorDegeneration": (0.1,),
              "RandomContrast": (0.1,), "RandomHue": (0.1,), "RandomPosterization": (2,),
              "RandomRotation": (0.1,), "RandomSaturation": (0.1,), "RandomSharpness": (0.1,),
              "RandomTranslation": (0.1, 0.1), "RandomZoom": (0.1,), "RepeatVector": (2,),
              "Rescaling": (0.5,), "ReversibleEmbedding": (4, 2)}
# Built from other layers or functions (tested with their owners), or needing TensorFlow in Keras.
NOT_STANDALONE = {"Layer", "InputLayer", "Bidirectional", "TimeDistributed", "RNN",
                  "StackedRNNCells", "Wrapper", "SpectralNormalization", "Pipeline", "Lambda",
                  "OperationLayer", "IntegerLookup", "StringLookup", "TextVectorization",
                  "STFTSpectrogram", "Hashing", "HashedCrossing"}


@pytest.mark.parametrize("name", sorted(n for n in set(dk.layers.LAYERS) - NOT_STANDALONE
                                         if hasattr(keras.layers, n)))
def test_keras_builds_every_layer_from_the_config_deltaw_writes(name):
    from deltaw.keras.saving import keras_layout

    args = LAYER_ARGS.get(name, ())
    record = keras_layout._keras_keys({"class_name": name,
                                       "config": getattr(dk.layers, name)(*args).get_config()})
    with kr.quiet():
        layer = getattr(keras.layers, name).from_config(record["config"])
        expected = getattr(keras.layers, name)(*args).get_config()
    got = layer.get_config()
    own = ("name", "seed")  # a random layer without a seed draws one for its config
    assert {k: got[k] for k in expected if k not in own} == \
        {k: v for k, v in expected.items() if k not in own}, name


def patch_encoder_class(L):
    """keras.io's ViT PatchEncoder, plus a list of sublayers: weights held by sublayers that the
    custom layer keeps under attributes (Keras files them under the attribute's name)."""
    class PatchEncoder(L.layers.Layer):
        def __init__(self, num_patches, projection_dim, **kwargs):
            super().__init__(**kwargs)
            self.num_patches = num_patches
            self.projection = L.layers.Dense(projection_dim)
            self.position_embedding = L.layers.Embedding(num_patches, projection_dim)
            self.heads = [L.layers.Dense(projection_dim), L.layers.Dense(projection_dim)]

        def call(self, patch):
            positions = L.ops.expand_dims(L.ops.arange(0, self.num_patches), axis=0)
            encoded = self.projection(patch) + self.position_embedding(positions)
            return self.heads[1](self.heads[0](encoded))

    return PatchEncoder


def patch_model(L, cls):
    inputs = L.Input((4, 3))
    return L.Model(inputs, L.layers.Dense(2)(cls(4, 5)(inputs)))


def test_custom_layer_sublayers_weights_h5_both_ways(tmp_path):
    x = batch([(4, 3)], 0)[0]
    k_cls, d_cls = patch_encoder_class(keras), patch_encoder_class(dk)
    with kr.quiet():
        k_model = patch_model(keras, k_cls)
        k_model.save_weights(tmp_path / "k.weights.h5")
    with h5py.File(tmp_path / "k.weights.h5") as f:
        assert "layers/patch_encoder/position_embedding/vars/0" in f
        assert "layers/patch_encoder/heads/dense_1/vars/0" in f
    d_model = patch_model(dk, d_cls)
    d_model.load_weights(tmp_path / "k.weights.h5")
    assert_close_outputs(predictions(d_model, x), predictions(k_model, x))
    d_model.set_weights([w * 0.5 for w in d_model.get_weights()])
    d_model.save_weights(tmp_path / "d.weights.h5")
    with kr.quiet():
        k_fresh = patch_model(keras, k_cls)
        k_fresh.load_weights(tmp_path / "d.weights.h5")
    assert_close_outputs(predictions(k_fresh, x), predictions(d_model, x))


@pytest.mark.parametrize("family", ["dense", "vision", "recurrent", "merging", "attention"])
def test_deltaw_legacy_h5_writer_keras_reads(family, tmp_path):
    """`model.save("m.h5")` writes the legacy HDF5 file; Keras 3's legacy loader reads it with the
    compile state, and deltaw reads it back."""
    d_model, x = trained(dk, family, objects=True)
    d_model.save(tmp_path / "d.h5")
    with h5py.File(tmp_path / "d.h5") as f:
        assert {"model_config", "training_config", "keras_version"} <= set(f.attrs)
        assert {"model_weights", "optimizer_weights"} <= set(f)
    with kr.quiet():
        k_model = keras.models.load_model(tmp_path / "d.h5")
    assert_close_outputs(predictions(k_model, x), predictions(d_model, x))
    # Keras 3.15's legacy loader keeps only the iteration count and learning rate of an
    # optimizer, from its own files as from these (it builds the optimizer on no variables)
    k_state = [float(kr.to_numpy(v.value)) for v in k_model.optimizer.variables]
    assert k_state == pytest.approx([2, 0.01])
    again = dk.models.load_model(tmp_path / "d.h5")
    assert_close_outputs(predictions(again, x), predictions(d_model, x))
    for got, want in zip(again.optimizer.variables, d_model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(got.data), np.asarray(want.data))
