"""deltaw.io.safetensors: round trips, both writers, mutual readability, every parser message."""

import json
import struct

import numpy as np
import pytest

from deltaw.io import ModelFileError
from deltaw.io import safetensors as st

has_package = st.has_safetensors_package()
needs_package = pytest.mark.skipif(not has_package, reason="no safetensors package")
BACKENDS = ["deltaw", pytest.param("safetensors", marks=needs_package)]


def sample_tensors():
    rng = np.random.default_rng(0)
    return {
        "weights/0000": rng.standard_normal((3, 4)).astype(np.float32),
        "weights/0001": rng.standard_normal(4).astype(np.float32),
        "scalar": np.float64(2.5),
        "empty": np.zeros((2, 0, 3), np.float32),
        "half": rng.standard_normal(5).astype(np.float16),
        "steps": np.array([7], np.int64),
        "bytes": np.arange(6, dtype=np.uint8).reshape(2, 3),
        "i8": np.array([-3, 4], np.int8),
        "i16": np.array([-300], np.int16),
        "u16": np.array([60000], np.uint16),
        "i32": np.array([[1, -2]], np.int32),
        "u32": np.array([4_000_000_000], np.uint32),
        "u64": np.array([2**63 + 1], np.uint64),
        "mask": np.array([True, False, True]),
        "naïve\n\"name\"\x1f": np.ones(1, np.float32),
    }


def make_file(tensors=None, metadata=None, backend="deltaw"):
    return st.serialize(sample_tensors() if tensors is None else tensors, metadata, backend=backend)


def assert_same(got, want):
    assert list(sorted(got)) == list(sorted(want))
    for name, value in want.items():
        value = np.asarray(value)
        assert got[name].dtype == value.dtype, name
        assert got[name].shape == value.shape, name
        np.testing.assert_array_equal(got[name], value)


def forge(header: dict, data: bytes = b"", pad=True) -> bytes:
    """A file with exactly this header (no validation) and data section."""
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


# ---------------------------------------------------------------------------------------------
# Round trips and the two writers


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("metadata", [None, {}, {"deltaw": '{"a": "é\\n"}', "k": ""}])
def test_round_trip_every_dtype_and_shape(backend, metadata, tmp_path):
    path = tmp_path / "file"
    st.save_file(sample_tensors(), path, metadata, backend=backend)
    tensors, meta = st.load_file(path)
    assert_same(tensors, sample_tensors())
    assert meta == metadata
    assert all(a.flags.writeable for a in tensors.values())


@needs_package
@pytest.mark.parametrize("metadata", [None, {}, {"deltaw": json.dumps({"x": [1, "é\x01"]})}])
def test_writers_produce_identical_bytes(metadata):
    assert make_file(metadata=metadata) == make_file(metadata=metadata, backend="safetensors")


@needs_package
def test_package_reads_deltaw_files_and_deltaw_reads_package_files():
    import safetensors.numpy

    assert_same(safetensors.numpy.load(make_file(backend="deltaw")), sample_tensors())
    arrays = {k: np.asarray(v) for k, v in sample_tensors().items()}
    blob = safetensors.numpy.save(arrays, metadata={"m": "v"})
    tensors, meta = st.deserialize(blob)
    assert_same(tensors, sample_tensors())
    assert meta == {"m": "v"}


def test_default_backend_follows_the_package(monkeypatch):
    monkeypatch.setattr(st, "has_safetensors_package", lambda: False)
    assert st.serialize({"a": np.ones(2, np.float32)}) == make_file({"a": np.ones(2, np.float32)})


def test_writer_layout_is_the_specified_one():
    blob = make_file({"b": np.ones(1, np.int8), "a": np.ones(2, np.float32),
                      "c": np.ones(1, np.float64)}, {"k": "v"})
    n = struct.unpack("<Q", blob[:8])[0]
    assert n % 8 == 0
    header = json.loads(blob[8:8 + n])
    # widest dtype first, then by name; contiguous offsets from 0
    assert list(header) == ["__metadata__", "c", "a", "b"]
    assert [header[k]["data_offsets"] for k in "cab"] == [[0, 8], [8, 16], [16, 17]]
    assert len(blob) == 8 + n + 17


def test_big_endian_and_strided_input_is_written_little_endian_contiguous():
    x = np.arange(12, dtype=">f4").reshape(3, 4)[:, ::2]
    tensors, _ = st.deserialize(make_file({"x": x}))
    assert tensors["x"].dtype == np.float32
    np.testing.assert_array_equal(tensors["x"], x)


def test_loaded_arrays_are_native_and_writable():
    tensors, _ = st.deserialize(make_file())
    for a in tensors.values():
        a[...] = 0  # would raise on a read-only view of the file's bytes
        assert a.dtype.isnative


def test_empty_file_round_trip():
    assert st.deserialize(make_file({})) == ({}, None)


def test_bool_bytes_other_than_one_read_as_true():
    blob = forge({"m": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}}, b"\x00\x02\xff")
    np.testing.assert_array_equal(st.deserialize(blob)[0]["m"], [False, True, True])


def test_unpadded_headers_from_other_writers_are_read():
    entry = {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}
    blob = forge({"a": entry}, b"\x01\x02", pad=False)
    np.testing.assert_array_equal(st.deserialize(blob)[0]["a"], [1, 2])


# ---------------------------------------------------------------------------------------------
# Writer errors


@pytest.mark.parametrize("tensors, metadata, exc, match", [
    ([np.ones(2)], None, TypeError, r"serialize: tensors must be a dict of name -> array; got "
                                    r"list"),
    ({"a": np.ones(2)}, {"k": 1}, TypeError, r"serialize: metadata must be a dict of str -> str"),
    ({1: np.ones(2)}, None, ValueError, r"serialize: tensor names must be strings .*got 1"),
    ({"__metadata__": np.ones(2)}, None, ValueError, r"other than '__metadata__'"),
    ({"o": np.array([None])}, None, ValueError,
     r"serialize: tensor 'o' has dtype object, which deltaw cannot store; expected one of BOOL"),
    ({"c": np.ones(2, np.complex64)}, None, ValueError, r"tensor 'c' has dtype complex64"),
])
def test_writer_errors(tensors, metadata, exc, match):
    with pytest.raises(exc, match=match):
        st.serialize(tensors, metadata, backend="deltaw")


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"serialize: unknown backend 'torch'; expected None"):
        st.serialize({}, backend="torch")


# ---------------------------------------------------------------------------------------------
# Parser errors: one case per message

F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
EIGHT = b"\x00" * 8


@pytest.mark.parametrize("blob, match", [
    (b"\x01\x00", r"the file is 2 bytes long, too short for a safetensors header; expected at "
                   r"least"),
    (struct.pack("<Q", 2**40) + b"{}", r"the header claims 1099511627776 bytes; expected at most "
                                       r"100000000"),
    (struct.pack("<Q", 64) + b"{}", r"the header claims 64 bytes but only 2 follow the length"),
    (b"PK\x03\x04" + b"\x00" * 40, r"Hint: this looks like a zip archive"),
    (b"\x89HDF\r\n\x1a\n" + b"\x00" * 40, r"Hint: this looks like an HDF5 file"),
    (struct.pack("<Q", 2) + b"\xff{", r"the header is not valid UTF-8"),
    (struct.pack("<Q", 3) + b"{x}", r"the header is not valid JSON"),
    (forge([1, 2]), r"the header must be a JSON object; got list"),
    (forge({"a": F32, "__metadata__": {"k": 1}}, EIGHT), r"'__metadata__' must map strings to "
                                                         r"strings"),
    (forge({"__metadata__": "x"}), r"'__metadata__' must map strings to strings; got x"),
    (forge({"a": [1]}), r"tensor 'a' must be an object with keys data_offsets, dtype, shape; got "
                        r"list"),
    (forge({"a": {**F32, "x": 1}}, EIGHT), r"tensor 'a' must be an object with keys .*got "
                                           r"\['data_offsets', 'dtype', 'shape', 'x'\]"),
    (forge({"a": {**F32, "dtype": "BF16"}}, EIGHT), r"tensor 'a' has unsupported dtype 'BF16'; "
                                                    r"expected one of BOOL, U8"),
    (forge({"a": {**F32, "shape": [-2]}}, EIGHT), r"tensor 'a' has an invalid shape \[-2\]; "
                                                  r"expected a list of at most 32 non-negative"),
    (forge({"a": {**F32, "shape": [2.0]}}, EIGHT), r"invalid shape \[2.0\]"),
    (forge({"a": {**F32, "shape": [True, 2]}}, EIGHT), r"invalid shape \[True, 2\]"),
    (forge({"a": {**F32, "shape": [1] * 33}}, EIGHT), r"invalid shape"),
    (forge({"a": {**F32, "data_offsets": [8, 0]}}, EIGHT), r"tensor 'a' has invalid data_offsets "
                                                           r"\[8, 0\]; expected \[begin, end\]"),
    (forge({"a": {**F32, "data_offsets": [-8, 0]}}, EIGHT), r"invalid data_offsets \[-8, 0\]"),
    (forge({"a": {**F32, "data_offsets": [0]}}, EIGHT), r"invalid data_offsets \[0\]"),
    (forge({"a": {**F32, "shape": [3]}}, EIGHT),
     r"tensor 'a' needs 12 bytes for shape \(3,\) and dtype F32, but its data_offsets \[0, 8\] "
     r"span 8"),
    (forge({"a": {**F32, "shape": [2**62, 0, 2**62]}, "b": F32}, EIGHT),
     r"tensor 'a' needs 0 bytes"),
    (forge({"a": {**F32, "shape": [2**62, 0, 2**62], "data_offsets": [0, 0]}, "b": F32}, EIGHT),
     r"tensor 'a' has shape .* too large for an array"),
    (forge({"a": F32, "b": F32}, EIGHT), r"tensor 'b' overlaps the previous tensor: it starts at "
                                         r"data byte 0; expected 8 \(right after tensor 'a'\)"),
    (forge({"a": {**F32, "data_offsets": [8, 16]}}, EIGHT * 2),
     r"tensor 'a' leaves a hole: it starts at data byte 8; expected 0 \(at the data start\)"),
    (forge({"a": F32}, EIGHT + b"\x00"), r"the tensors cover 8 bytes of data but the file holds 9"),
    (forge({"a": F32}, b"\x00" * 4), r"the tensors cover 8 bytes of data but the file holds 4"),
])
def test_parser_errors(blob, match):
    with pytest.raises(ModelFileError, match=match):
        st.deserialize(blob)


def test_parser_error_names_the_file(tmp_path):
    path = tmp_path / "bad.keras"
    path.write_bytes(b"\x00" * 4)
    with pytest.raises(ModelFileError, match=r"^load_file: '.*bad.keras': the file is 4 bytes"):
        st.load_file(path)


def test_missing_file_is_not_a_corrupted_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        st.load_file(tmp_path / "nope")


def test_model_file_error_is_a_value_error_and_exported():
    import deltaw as dw

    assert dw.ModelFileError is ModelFileError
    assert issubclass(ModelFileError, ValueError)


# ---------------------------------------------------------------------------------------------
# The JSON guard


def test_loads_json_depth_limit_counts_brackets_outside_strings_only():
    assert st.loads_json('{"a": "[[[[[[[[[["}', where="w", max_depth=1) == {"a": "[[[[[[[[[["}
    assert st.loads_json('["\\"[[["]', where="w", max_depth=1) == ['"[[[']
    with pytest.raises(ModelFileError, match=r"w: the header nests JSON 3 levels deep; expected at "
                                             r"most 2"):
        st.loads_json("[[[]]]", where="w", max_depth=2)


def test_loads_json_survives_ten_thousand_levels_without_recursion():
    with pytest.raises(ModelFileError, match=r"nests JSON 10000 levels deep; expected at most 64"):
        st.loads_json("[" * 10_000 + "]" * 10_000, where="w")
    with pytest.raises(ModelFileError, match=r"nests JSON"):
        st.deserialize(struct.pack("<Q", 20_000) + b"[" * 10_000 + b"]" * 10_000)


@pytest.mark.parametrize("text, match", [
    ('{"a": 1, "a": 2}', r"w: the deltaw metadata is not valid JSON \(duplicate key 'a'\)"),
    ("1" * 5000, r"is not valid JSON \(Exceeds the limit"),
    ("{'a': 1}", r"is not valid JSON \(Expecting property name"),
])
def test_loads_json_errors(text, match):
    with pytest.raises(ModelFileError, match=match):
        st.loads_json(text, where="w", what="the deltaw metadata")


def test_loads_json_size_limit():
    with pytest.raises(ModelFileError,
                       match=r"w: the header is 12 characters long; expected at most 10"):
        st.loads_json('"0123456789"', where="w", max_chars=10)


def test_duplicate_tensor_names_are_refused():
    text = b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' \
           b'"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}'
    with pytest.raises(ModelFileError, match=r"duplicate key 'a'"):
        st.deserialize(struct.pack("<Q", len(text)) + text + b"\x01\x02")


FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "importlib", "joblib"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "getattr", "load", "loads"}


def forbidden_code(module) -> list[str]:
    """Imports of code-loading modules and calls of eval-like builtins in a module's source.

    `json.loads`/`np.frombuffer` are fine; bare `load`/`loads` names or `np.load` are not.
    """
    import ast
    import inspect

    found = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            found += [n for n in names if n.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.Call):
            f = node.func
            constant_attr = (isinstance(f, ast.Name) and f.id == "getattr" and len(node.args) > 1
                             and isinstance(node.args[1], ast.Constant))  # getattr(os, "O_BINARY")
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS and not constant_attr:
                found.append(f.id)
            elif isinstance(f, ast.Attribute) and f.attr in {"load", "loads"}:
                owner = f.value.id if isinstance(f.value, ast.Name) else ""
                if owner != "json":
                    found.append(f"{owner}.{f.attr}")
            elif isinstance(f, ast.Attribute) and f.attr in {"import_module", "system", "popen"}:
                found.append(f.attr)
    return found


def test_no_code_execution_primitives_in_the_readers():
    """Static guard: no pickle/marshal/importlib, eval/exec, dynamic getattr or np.load."""
    import deltaw.io.atomic
    import deltaw.io.errors
    import deltaw.io.limits
    import deltaw.keras.models.config
    import deltaw.keras.models.saving

    for module in (st, deltaw.io.atomic, deltaw.io.errors, deltaw.io.limits,
                   deltaw.keras.models.saving, deltaw.keras.models.config):
        assert forbidden_code(module) == [], module.__name__
