"""Discretization, CategoryEncoding, Hashing, StringLookup, IntegerLookup and TextVectorization
without Keras.

Keras runs Hashing, the lookups and TextVectorization through TensorFlow, which the comparison
environment does not have, so their outputs are checked against the outputs Keras 3 documents
in its docstrings (the `DOC` cases), plus behaviour and error tests.
"""

import json

import numpy as np
import pytest

import deltaw.keras as dk
from deltaw.keras.layers.preprocessing import farmhash
from deltaw.keras.layers.preprocessing.discretization import compress, summarize

L = dk.layers
VOCAB = ["a", "b", "c", "d"]
IVOCAB = [12, 36, 1138, 42]
DATA = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
IDATA = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])

DOC = [  # (id, layer factory, input, Keras' documented output)
    ("string", lambda: L.StringLookup(vocabulary=VOCAB), [["a", "c", "d"], ["d", "z", "b"]],
     [[1, 3, 4], [4, 0, 2]]),
    ("string-2-oov", lambda: L.StringLookup(vocabulary=VOCAB, num_oov_indices=2),
     [["a", "c", "d"], ["m", "z", "b"]], [[2, 4, 5], [0, 1, 3]]),
    ("string-one-hot", lambda: L.StringLookup(vocabulary=VOCAB, output_mode="one_hot"),
     ["a", "b", "c", "d", "z"], np.eye(5)[[1, 2, 3, 4, 0]]),
    ("string-multi-hot", lambda: L.StringLookup(vocabulary=VOCAB, output_mode="multi_hot"),
     DATA, [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
    ("string-count", lambda: L.StringLookup(vocabulary=VOCAB, output_mode="count"), DATA,
     [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
    ("string-tf-idf", lambda: L.StringLookup(output_mode="tf_idf", vocabulary=VOCAB,
                                             idf_weights=[0.25, 0.75, 0.6, 0.4]), DATA,
     [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]),
    ("string-tf-idf-oov-weight", lambda: L.StringLookup(
        output_mode="tf_idf", vocabulary=["[UNK]", *VOCAB],
        idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4]), DATA,
     [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]]),
    ("string-invert", lambda: L.StringLookup(vocabulary=VOCAB, invert=True),
     [[1, 3, 4], [4, 0, 2]], [["a", "c", "d"], ["d", "[UNK]", "b"]]),
    ("integer", lambda: L.IntegerLookup(vocabulary=IVOCAB),
     np.array([[12, 1138, 42], [42, 1000, 36]]), [[1, 3, 4], [4, 0, 2]]),
    ("integer-2-oov", lambda: L.IntegerLookup(vocabulary=IVOCAB, num_oov_indices=2),
     np.array([[12, 1138, 42], [37, 1000, 36]]), [[2, 4, 5], [1, 0, 3]]),
    ("integer-floormod", lambda: L.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4),
     np.array([100, 300, 700, 1100, 1700, 2000]), [0, 0, 0, 0, 0, 0]),
    ("integer-farmhash", lambda: L.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4,
                                                 oov_method="farmhash"),
     np.array([100, 300, 700, 1100, 1700, 2000]), [3, 3, 2, 2, 0, 1]),
    ("integer-count", lambda: L.IntegerLookup(vocabulary=IVOCAB, output_mode="count"), IDATA,
     [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
    ("integer-tf-idf", lambda: L.IntegerLookup(output_mode="tf_idf", vocabulary=IVOCAB,
                                               idf_weights=[0.25, 0.75, 0.6, 0.4]), IDATA,
     [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]),
    ("integer-invert", lambda: L.IntegerLookup(vocabulary=IVOCAB, invert=True),
     np.array([[1, 3, 4], [4, 0, 2]]), [[12, 1138, 42], [42, -1, 36]]),
    ("hashing", lambda: L.Hashing(num_bins=3), [["A"], ["B"], ["C"], ["D"], ["E"]],
     [[1], [0], [1], [1], [2]]),
    ("hashing-mask", lambda: L.Hashing(num_bins=3, mask_value=""),
     [["A"], ["B"], [""], ["C"], ["D"]], [[1], [1], [0], [2], [2]]),
    ("hashing-salt", lambda: L.Hashing(num_bins=3, salt=133),
     [["A"], ["B"], ["C"], ["D"], ["E"]], [[0], [0], [2], [1], [0]]),
    ("hashed-crossing", lambda: L.HashedCrossing(num_bins=5),
     (np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])),
     [1, 4, 1, 1, 3]),
    ("hashed-crossing-one-hot", lambda: L.HashedCrossing(num_bins=5, output_mode="one_hot"),
     (np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])),
     np.eye(5)[[1, 4, 1, 1, 3]]),
]


@pytest.mark.parametrize("factory, x, expected", [c[1:] for c in DOC], ids=[c[0] for c in DOC])
def test_documented_keras_outputs(factory, x, expected):
    got = factory()(x)
    got = got if isinstance(got, np.ndarray) else got.numpy()
    if np.asarray(expected).dtype.kind in "US":
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_adapted_vocabularies_as_documented():
    layer = L.StringLookup()
    layer.adapt([["a", "c", "d"], ["d", "z", "b"]])
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(layer([["a", "c", "d"], ["d", "z", "b"]]).numpy(),
                                  [[5, 3, 1], [1, 2, 4]])
    ints = L.IntegerLookup()
    ints.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
    assert ints.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    text = L.TextVectorization(max_tokens=5000, output_sequence_length=4)
    text.adapt(["foo bar", "bar baz", "baz bada boom"])
    np.testing.assert_array_equal(text([["foo qux bar"], ["qux baz"]]).numpy(),
                                  [[4, 1, 3, 0], [1, 2, 0, 0]])


def test_farmhash_and_siphash_reference_values():
    # TensorFlow's documented to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3)
    assert [farmhash.fingerprint64(s.encode()) % 3 for s in ("Hello", "TensorFlow", "2.x")] \
        == [0, 2, 2]
    # SipHash-2-4 test vectors of its paper (key 00..0f; messages b"" and 00..0e)
    k0 = int.from_bytes(bytes(range(8)), "little")
    k1 = int.from_bytes(bytes(range(8, 16)), "little")
    assert farmhash.siphash24(k0, k1, b"") == 0x726FDB47DD0E0E31
    assert farmhash.siphash24(k0, k1, bytes(range(15))) == 0xA129CA6149BE45E5
    for n in (0, 3, 7, 12, 20, 40, 70, 200):            # every length branch runs
        assert 0 <= farmhash.fingerprint64(bytes(range(n))) < 2**64


def test_lookup_masking_and_special_tokens():
    layer = L.StringLookup(vocabulary=["a", "b"], mask_token="")
    np.testing.assert_array_equal(layer(np.array(["a", "", "q"])).numpy(), [2, 0, 1])
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "b"]
    assert layer.vocabulary_size() == 4
    hot = L.StringLookup(vocabulary=["a", "b"], mask_token="", output_mode="multi_hot")
    np.testing.assert_array_equal(hot([["", "a"]]).numpy(), [[0, 1, 0]])  # mask dropped
    with_specials = L.StringLookup(vocabulary=["[UNK]", "a", "b"])
    assert with_specials.get_vocabulary() == ["[UNK]", "a", "b"]
    capped = L.StringLookup(max_tokens=3)
    capped.adapt(np.array(["x", "y", "y", "z", "z", "z"]))
    assert capped.get_vocabulary() == ["[UNK]", "z", "y"]


def test_lookup_tf_idf_adapt_and_config_round_trip():
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "b"], ["a", "c"]])
    idf = np.log(1 + 2 / (1 + np.array([2.0, 1.0, 1.0])))
    np.testing.assert_allclose(layer.idf_weights, [idf.mean(), *idf], rtol=1e-6)
    fixed = L.StringLookup(vocabulary=["a", "b"], output_mode="count", pad_to_max_tokens=True,
                           max_tokens=5)
    assert fixed(["a", "a"]).shape == (5,)
    config = json.loads(json.dumps(fixed.get_config()))
    assert "vocabulary_dtype" not in config and config["encoding"] == "utf-8"
    np.testing.assert_array_equal(L.StringLookup.from_config(config)(["a", "a"]).numpy(),
                                  fixed(["a", "a"]).numpy())


def test_lookup_errors():
    with pytest.raises(ValueError, match="repeats the tokens"):
        L.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="every input must be in the vocabulary"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(["b"])
    with pytest.raises(ValueError, match="invert=True needs output_mode='int'"):
        L.StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="more than max_tokens"):
        L.StringLookup(vocabulary=["a", "b", "c"], max_tokens=2)
    with pytest.raises(ValueError, match="cannot adapt a layer given a vocabulary"):
        L.StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(RuntimeError, match="set the vocabulary"):
        L.StringLookup(output_mode="count")(["a"])
    with pytest.raises(ValueError, match="max_tokens must be greater than 1"):
        L.IntegerLookup(max_tokens=1)
    with pytest.raises(ValueError, match="a vocabulary file path is not supported"):
        L.StringLookup(vocabulary="vocab.txt")
    with pytest.raises(ValueError, match="salt can only be used"):
        L.IntegerLookup(salt=3)


def test_text_vectorization_modes():
    text = L.TextVectorization(output_mode="multi_hot", ngrams=2)
    text.adapt(np.array(["The cat sat.", "the dog"]))
    vocab = text.get_vocabulary()
    assert vocab[0] == "[UNK]" and "the cat" in vocab and "sat" in vocab
    out = text(["The CAT!"]).numpy()
    assert out.shape == (1, len(vocab))
    assert out[0, vocab.index("the cat")] == 1 and out[0].sum() == 3
    counts = L.TextVectorization(output_mode="count", vocabulary=["a", "b"],
                                 standardize=None, split="character")
    np.testing.assert_array_equal(counts(["abaX"]).numpy(), [[1, 2, 1]])
    tfidf = L.TextVectorization(output_mode="tf_idf")
    tfidf.adapt(["a b", "a c"])
    assert tfidf(["a a c"]).shape == (1, 4)
    raw = L.TextVectorization(split=None, vocabulary=["new york", "paris"])
    np.testing.assert_array_equal(raw(np.array([["New York!"], ["Rome"]])).numpy(),
                                  [[2], [1]])
    custom = L.TextVectorization(standardize=lambda a: np.char.upper(a),
                                 split=lambda s: s.split("-"), vocabulary=["A", "B"])
    np.testing.assert_array_equal(custom(["a-b-c"]).numpy(), [[2, 3, 1]])
    truncated = L.TextVectorization(vocabulary=["x"], output_sequence_length=2)
    np.testing.assert_array_equal(truncated(["x y x"]).numpy(), [[2, 1]])


def test_text_vectorization_config_set_vocabulary_and_errors():
    text = L.TextVectorization(max_tokens=10, ngrams=(1, 2), output_sequence_length=3)
    text.set_vocabulary(["hello", "world"])
    config = json.loads(json.dumps(text.get_config()))
    assert config["vocabulary_size"] == 4 and config["ngrams"] == [1, 2]
    clone = L.TextVectorization.from_config(config)
    assert clone.compute_output_shape((None,)) == (None, 3)
    with pytest.raises(ValueError, match="output_sequence_length is used only"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="standardize must be one of"):
        L.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="sparse and ragged outputs are not supported"):
        L.TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="last axis of size 1"):
        L.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))


def test_text_vectorization_feeds_a_model():
    text = L.TextVectorization(output_sequence_length=5)
    docs = ["good movie", "bad movie", "very good film", "very bad film"]
    text.adapt(docs)
    x = text(docs).numpy()
    model = dk.Sequential([dk.Input((5,), dtype="int64"),
                           L.Embedding(text.vocabulary_size(), 4), L.GlobalAveragePooling1D(),
                           L.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(x, np.array([1, 0, 1, 0]), epochs=2, verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 1)


def test_discretization_and_category_encoding():
    layer = L.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    np.testing.assert_array_equal(layer(np.array([[-1.0, 0.0, 0.5, 1.0, 2.5]])).numpy(),
                                  [[0, 1, 1, 2, 3]])
    assert layer(np.array([0.5])).dtype == np.int32
    adapted = L.Discretization(num_bins=4, epsilon=0.01)
    adapted.adapt(np.arange(100.0))
    # approximate quartiles (Keras' summary interpolates, test_preprocessing_keras_parity
    # compares the exact values)
    np.testing.assert_allclose(adapted.bin_boundaries, [24.5, 49.5, 74.5], atol=1.0)
    buckets = adapted(np.arange(100.0)).numpy()
    assert np.bincount(buckets).tolist() == [24, 25, 25, 26]
    summary = summarize(np.arange(10.0), 0.5)
    np.testing.assert_array_equal(summary, [[4, 9], [5, 5]])
    assert compress(summary, 0.5).shape == (2, 2)
    restored = L.Discretization.from_config(json.loads(json.dumps(adapted.get_config())))
    assert restored.bin_boundaries == adapted.bin_boundaries
    enc = L.CategoryEncoding(num_tokens=3, output_mode="count")
    np.testing.assert_array_equal(
        enc(np.array([[0, 2, 2]]), count_weights=np.array([[0.5, 1.0, 2.0]])).numpy(),
        [[0.5, 0.0, 3.0]])
    assert L.CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"
    assert L.CategoryEncoding(3).compute_output_shape((None, 4)) == (None, 3)


def test_discretization_and_category_encoding_errors():
    with pytest.raises(ValueError, match="set either num_bins or bin_boundaries"):
        L.Discretization()
    with pytest.raises(ValueError, match="not both"):
        L.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="adapt needs num_bins"):
        L.Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    with pytest.raises(ValueError, match="no bin boundaries"):
        L.Discretization(num_bins=3)(np.ones(2))
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        L.Discretization(bin_boundaries=[0.0], output_mode="count", sparse=True)
    with pytest.raises(ValueError, match=r"every index must be in \[0, 3\)"):
        L.CategoryEncoding(3)(np.array([[3]]))
    with pytest.raises(ValueError, match="num_tokens must be set"):
        L.CategoryEncoding()
    with pytest.raises(ValueError, match="count_weights is used only"):
        L.CategoryEncoding(3)(np.array([[1]]), count_weights=np.array([[1.0]]))
    with pytest.raises(ValueError, match="num_bins must be a positive int"):
        L.Hashing(0)
    with pytest.raises(ValueError, match="salt must be an int or a pair"):
        L.Hashing(3, salt="x")
    with pytest.raises(ValueError, match="dtype must be 'int32' or 'int64'"):
        L.Hashing(3, dtype="float32")


def test_hashing_output_modes_and_integers():
    one_hot = L.Hashing(3, output_mode="one_hot")(np.array([["A"], ["B"]])).numpy()
    np.testing.assert_array_equal(one_hot, [[0, 1, 0], [1, 0, 0]])
    ints = L.Hashing(5)(np.array([1, 12, 345]))
    strs = L.Hashing(5)(np.array(["1", "12", "345"]))     # integers hash as decimal strings
    np.testing.assert_array_equal(ints.numpy(), strs.numpy())
    assert L.Hashing(5, output_mode="count").compute_output_shape((None, 4)) == (None, 5)


def test_adapted_vocabulary_survives_the_config():
    # Keras saves an adapted vocabulary as a file asset; deltaw keeps it in the config
    text = L.TextVectorization(output_mode="tf_idf")
    text.adapt(["a b", "a c", "c d d"])
    clone = L.TextVectorization.from_config(json.loads(json.dumps(text.get_config())))
    assert clone.get_vocabulary() == text.get_vocabulary()
    np.testing.assert_allclose(clone(["a d x"]).numpy(), text(["a d x"]).numpy(), rtol=1e-6)
    ints = L.IntegerLookup(mask_token=0)
    ints.adapt(np.array([[5, 5, 7], [0, 9, 9]]))
    restored = L.IntegerLookup.from_config(ints.get_config())
    np.testing.assert_array_equal(restored(np.array([5, 0, 8])).numpy(),
                                  ints(np.array([5, 0, 8])).numpy())


def test_string_input_model_called_on_strings():
    assert dk.backend.standardize_dtype("string") == "string"
    assert dk.backend.standardize_dtype(np.dtype("<U3")) == "string"
    text = L.TextVectorization(output_sequence_length=3)
    text.adapt(["a b", "b c"])
    inputs = dk.Input(shape=(1,), dtype="string")
    outputs = L.Embedding(5, 2)(text(inputs))
    model = dk.Model(inputs, outputs)
    assert model.output.shape == (None, 3, 2)
    out = model(np.array([["a b"], ["c"]]))
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out.numpy()[1, 1:], np.zeros((2, 2)) + out.numpy()[1, 1:2])


def test_symbolic_outputs_have_the_dtype_the_layers_return():
    ints = dk.Input((3,), dtype="int64")
    assert L.IntegerLookup(vocabulary=[1, 2])(ints).dtype == "int64"
    assert L.IntegerLookup(vocabulary=[1, 2], output_mode="count")(ints).dtype == "float32"
    assert L.StringLookup(vocabulary=["a"], invert=True)(ints).dtype == "string"
    strings = dk.Input((1,), dtype="string")
    assert L.Hashing(4)(strings).dtype == "int64"
    assert L.TextVectorization(vocabulary=["a"], output_sequence_length=2)(strings).dtype == \
        "int64"
    assert L.Discretization(bin_boundaries=[0.0])(dk.Input((2,))).dtype == "int32"


def test_hashed_crossing_shapes_config_and_errors():
    layer = L.HashedCrossing(num_bins=7)
    column = layer((np.array([["a"], ["b"]]), np.array([[1], [2]]), np.array([["x"], ["y"]])))
    assert column.shape == (2, 1) and column.dtype == np.int64
    assert L.HashedCrossing(4, output_mode="one_hot").compute_output_shape(
        [(None, 1), (None, 1)]) == (None, 4)
    config = layer.get_config()
    assert config["num_bins"] == 7 and L.HashedCrossing.from_config(config).num_bins == 7
    with pytest.raises(ValueError, match="at least two features"):
        layer(np.array(["a"]))
    with pytest.raises(ValueError, match="the same shape"):
        layer((np.array(["a", "b"]), np.array([1])))
    with pytest.raises(ValueError, match="strings or integers"):
        layer((np.array([0.5]), np.array([1])))
    with pytest.raises(ValueError, match="output_mode must be one of"):
        L.HashedCrossing(3, output_mode="count")


def test_max_num_bounding_boxes_pads_and_truncates():
    data = {"bounding_boxes": {"boxes": np.ones((1, 3, 4)), "labels": np.array([[1, 2, 3]])}}
    short = L.MaxNumBoundingBoxes(2)(data)["bounding_boxes"]
    np.testing.assert_array_equal(short["labels"].numpy(), [[1, 2]])
    long = L.MaxNumBoundingBoxes(5, fill_value=-7)(data)["bounding_boxes"]
    np.testing.assert_array_equal(long["labels"].numpy(), [[1, 2, 3, -7, -7]])
    assert long["boxes"].shape == (1, 5, 4)
    assert L.MaxNumBoundingBoxes(4).compute_output_shape(
        {"bounding_boxes": {"boxes": (None, 9, 4), "labels": (None, 9)}}) == \
        {"bounding_boxes": {"boxes": (None, 4, 4), "labels": (None, 4)}}
    with pytest.raises(KeyError, match="unsupported keys"):
        L.MaxNumBoundingBoxes(2)({"bounding_boxes": {"boxes": np.ones((1, 1, 4)),
                                                     "labels": np.ones((1, 1)),
                                                     "scores": np.ones((1, 1))}})
    with pytest.raises(ValueError, match="max_number must be a positive int"):
        L.MaxNumBoundingBoxes(0)
