"""Reader and writer of the safetensors layout, with one validating parser for every read.

The layout (https://github.com/huggingface/safetensors) is

    8 bytes    N, the header length, unsigned little-endian
    N bytes    UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [2, 3],
               "data_offsets": [begin, end]}, ...}, padded with spaces to a multiple of 8
    the rest   the data section: each tensor's raw little-endian bytes at [begin, end)

Writing uses the `safetensors` package's NumPy API when it is installed, else deltaw's own writer;
both produce the same bytes (tensors ordered by dtype, widest first, then by name; compact JSON;
space padding), and a test checks it. Reading always goes through `deserialize`, deltaw's own
parser, because it is the security boundary: it never executes anything from the file (no pickle,
no eval, no import, no path from the file is opened) and it checks every claim before it trusts it:

- the header length against the real file size and a hard cap (`MAX_HEADER_BYTES`), so a header
  claiming gigabytes is refused before anything is allocated;
- the JSON against a size and a nesting limit (`MAX_JSON_DEPTH`) *before* parsing it, since
  Python's `json` recurses and would raise RecursionError on 10,000 nested brackets;
- duplicate keys (two parsers could disagree on which one wins);
- every tensor entry: a dtype from a closed set, a shape of non-negative ints whose byte size equals
  `end - begin`, and offsets that tile the data section exactly: sorted, contiguous, no overlap,
  no hole, nothing left over (the safetensors specification requires all of this).

Any violation raises `ModelFileError` naming the problem, in time proportional to the header, not to
any size the file claims.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

import numpy as np

from deltaw.io.atomic import atomic_write
from deltaw.io.errors import ModelFileError

__all__ = [
    "DTYPES", "MAX_HEADER_BYTES", "MAX_JSON_DEPTH", "MAX_NDIM", "Header", "TensorEntry",
    "deserialize", "has_safetensors_package", "load_file", "loads_json", "parse_header",
    "save_file", "serialize",
]

MAX_HEADER_BYTES = 100_000_000  # the safetensors package's own limit
MAX_JSON_DEPTH = 64
MAX_NDIM = 32

# The closed set of dtypes deltaw reads and writes, in the safetensors package's dtype order: its
# writer sorts tensors by this rank, widest first, so deltaw's writer uses it too. BF16 and the F8
# formats have no NumPy dtype and are refused.
DTYPES = {
    "BOOL": np.dtype("?"), "U8": np.dtype("<u1"), "I8": np.dtype("<i1"), "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"), "F16": np.dtype("<f2"), "I32": np.dtype("<i4"), "U32": np.dtype("<u4"),
    "F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
}
_RANK = {code: rank for rank, code in enumerate(DTYPES)}
_CODE = {(dt.kind, dt.itemsize): code for code, dt in DTYPES.items()}
_KNOWN = ", ".join(DTYPES)
_TENSOR_KEYS = {"dtype", "shape", "data_offsets"}
_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


class TensorEntry(NamedTuple):
    """One validated header entry: where a tensor's bytes are and how to view them."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


class Header(NamedTuple):
    """A validated header: entries by name (file order), the metadata, the data section start."""

    tensors: dict[str, TensorEntry]
    metadata: dict[str, str] | None
    data_start: int


def has_safetensors_package() -> bool:
    """Whether the `safetensors` package (and its NumPy API) can be imported."""
    try:
        import safetensors.numpy  # noqa: F401
    except Exception:  # ImportError, or a broken install raising anything else
        return False
    return True


# ----------------------------------------------------------------------------------------------
# JSON


def _reject_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"duplicate key {dup[:80]!r}")
    return dict(pairs)


def _json_depth(text: str) -> int:
    """Maximum bracket nesting of `text`, ignoring brackets inside string literals.

    Vectorized and linear in the length (a regex that skips string literals goes quadratic on an
    unterminated string with many escaped quotes). A quote is escaped when an odd number of
    backslashes precedes it; brackets count only outside strings. On invalid JSON the count may
    be off, which is harmless: json.loads then rejects the text (and its own RecursionError is
    caught too).
    """
    raw = np.frombuffer(text.encode("utf-8", "surrogatepass"), np.uint8)
    # Work on the positions of the few special bytes rather than on every byte.
    slashes = np.flatnonzero(raw == ord("\\"))
    quotes = np.flatnonzero(raw == ord('"'))
    if slashes.size and quotes.size:
        # start of the run of consecutive backslashes each backslash belongs to
        new_run = np.ones(slashes.size, bool)
        new_run[1:] = np.diff(slashes) != 1
        run_start = slashes[new_run][np.cumsum(new_run) - 1]
        k = np.searchsorted(slashes, quotes - 1)
        k_ok = np.minimum(k, slashes.size - 1)
        after_slash = slashes[k_ok] == quotes - 1
        run = np.where(after_slash, quotes - run_start[k_ok], 0)  # backslashes before the quote
        quotes = quotes[run % 2 == 0]
    brackets = np.flatnonzero(_OPEN[raw])
    if brackets.size == 0:
        return 0
    outside = np.searchsorted(quotes, brackets) % 2 == 0  # an even number of quotes before it
    steps = _OPEN[raw[brackets]].astype(np.int64) * outside
    return int(np.cumsum(steps).max(initial=0))


def loads_json(text: str, *, where: str, what: str = "the header", max_depth: int = MAX_JSON_DEPTH,
               max_chars: int = MAX_HEADER_BYTES):
    """Parse untrusted JSON with size, depth and duplicate-key limits.

    Args:
        text: The JSON text.
        where: Prefix of error messages (the API and file).
        what: What the text is, for messages ("the header", "the deltaw metadata").
        max_depth: Largest allowed nesting of objects and arrays.
        max_chars: Largest allowed length of `text`.

    Returns:
        The parsed value (dicts, lists, str, int, float, bool, None).

    Raises:
        ModelFileError: The text is too long, too deeply nested, not JSON, or repeats a key.
    """
    if len(text) > max_chars:
        raise ModelFileError(f"{where}: {what} is {len(text)} characters long; expected at most "
                             f"{max_chars}.")
    depth = _json_depth(text)
    if depth > max_depth:
        raise ModelFileError(f"{where}: {what} nests JSON {depth} levels deep; expected at most "
                             f"{max_depth}.")
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge ints, duplicate keys
        raise ModelFileError(f"{where}: {what} is not valid JSON ({str(exc)[:200]}).") from None


# ----------------------------------------------------------------------------------------------
# Reading


def _looks_like(data) -> str:
    head = bytes(data[:8])
    if head.startswith(b"PK\x03\x04"):
        return " Hint: this looks like a zip archive (a Keras .keras file?); deltaw reads only " \
               "its own safetensors-layout files."
    if head.startswith(b"\x89HDF"):
        return " Hint: this looks like an HDF5 file (a Keras .h5 file?); deltaw reads only its " \
               "own safetensors-layout files."
    return ""


def _is_int(value) -> bool:
    return type(value) is int  # bool is an int subclass, and JSON floats like 2.0 are not ints


def _check_entry(name: str, info, where: str) -> TensorEntry:
    label = f"{where}: tensor {name[:80]!r}"
    if not isinstance(info, dict) or set(info) != _TENSOR_KEYS:
        got = sorted(info)[:10] if isinstance(info, dict) else type(info).__name__
        raise ModelFileError(f"{label} must be an object with keys data_offsets, dtype, shape; "
                             f"got {got}.")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ModelFileError(f"{label} has unsupported dtype {str(dtype)[:40]!r}; expected one of "
                             f"{_KNOWN}.")
    if (not isinstance(shape, list) or len(shape) > MAX_NDIM
            or not all(_is_int(d) and d >= 0 for d in shape)):
        raise ModelFileError(f"{label} has an invalid shape {str(shape)[:80]}; expected a list of "
                             f"at most {MAX_NDIM} non-negative integers.")
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_int, offsets))
            or not 0 <= offsets[0] <= offsets[1]):
        raise ModelFileError(f"{label} has invalid data_offsets {str(offsets)[:80]}; expected "
                             "[begin, end] with 0 <= begin <= end.")
    begin, end = offsets
    # Python ints cannot overflow, so a forged shape cannot wrap around to a small byte count.
    numel, nonzero = 1, 1
    for d in shape:
        numel *= d
        nonzero *= max(d, 1)
    nbytes = numel * DTYPES[dtype].itemsize
    if nbytes != end - begin:
        raise ModelFileError(f"{label} needs {nbytes} bytes for shape {tuple(shape)} and dtype "
                             f"{dtype}, but its data_offsets [{begin}, {end}] span {end - begin} "
                             "bytes.")
    if nonzero > 2**62:  # an empty tensor whose other axes NumPy could not even describe
        raise ModelFileError(f"{label} has shape {tuple(shape)}, too large for an array.")
    return TensorEntry(dtype, tuple(shape), begin, end)


def _check_tiling(entries: dict[str, TensorEntry], data_len: int, where: str) -> None:
    position, previous = 0, None
    for name, e in sorted(entries.items(), key=lambda item: (item[1].begin, item[1].end)):
        if e.begin != position:
            after = f"right after tensor {previous[:80]!r}" if previous else "at the data start"
            problem = "overlaps the previous tensor" if e.begin < position else "leaves a hole"
            raise ModelFileError(f"{where}: tensor {name[:80]!r} {problem}: it starts at data "
                                 f"byte {e.begin}; expected {position} ({after}).")
        position, previous = e.end, name
    if position != data_len:
        raise ModelFileError(f"{where}: the tensors cover {position} bytes of data but the file "
                             f"holds {data_len}; expected them to cover the data section exactly "
                             "(the file is truncated, padded or forged).")


def parse_header(data, *, where: str = "deserialize") -> Header:
    """Validate the header of a safetensors buffer without touching the tensor data.

    Args:
        data: The whole file as bytes, bytearray, memoryview or mmap.
        where: Prefix of error messages.

    Returns:
        A `Header`.

    Raises:
        ModelFileError: Anything in the header is malformed or inconsistent with the file size.
    """
    size = len(data)
    if size < 8:
        raise ModelFileError(f"{where}: the file is {size} bytes long, too short for a "
                             f"safetensors header; expected at least 8 bytes.{_looks_like(data)}")
    n = int.from_bytes(bytes(data[:8]), "little")
    if n > MAX_HEADER_BYTES:
        raise ModelFileError(f"{where}: the header claims {n} bytes; expected at most "
                             f"{MAX_HEADER_BYTES}.{_looks_like(data)}")
    if 8 + n > size:
        raise ModelFileError(f"{where}: the header claims {n} bytes but only {size - 8} follow the "
                             f"length field; the file is truncated or not a safetensors file."
                             f"{_looks_like(data)}")
    try:
        text = bytes(data[8:8 + n]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{where}: the header is not valid UTF-8 ({exc.reason} at header "
                             f"byte {exc.start}).") from None
    header = loads_json(text, where=where)
    if not isinstance(header, dict):
        raise ModelFileError(f"{where}: the header must be a JSON object; got "
                             f"{type(header).__name__}.")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
            isinstance(metadata, dict)
            and all(isinstance(v, str) for v in metadata.values())):
        raise ModelFileError(f"{where}: '__metadata__' must map strings to strings; got "
                             f"{str(metadata)[:80]}.")
    entries = {name: _check_entry(name, info, where) for name, info in header.items()}
    _check_tiling(entries, size - 8 - n, where)
    return Header(entries, metadata, 8 + n)


def deserialize(data, *, where: str = "deserialize") -> tuple[dict[str, np.ndarray],
                                                              dict[str, str] | None]:
    """Read every tensor and the metadata from a safetensors buffer.

    Args:
        data: The whole file as bytes, bytearray, memoryview or mmap.
        where: Prefix of error messages.

    Returns:
        `(tensors, metadata)`: a dict of name -> NumPy array (native byte order, owned, writable)
        in file order, and the `__metadata__` dict or None.

    Raises:
        ModelFileError: See `parse_header`.

    Example:
        >>> blob = serialize({"w": np.arange(3, dtype=np.float32)}, {"note": "hi"})
        >>> deserialize(blob)
        ({'w': array([0., 1., 2.], dtype=float32)}, {'note': 'hi'})
    """
    header = parse_header(data, where=where)
    tensors = {}
    for name, e in header.tensors.items():
        numel = (e.end - e.begin) // DTYPES[e.dtype].itemsize
        if e.dtype == "BOOL":  # any non-zero byte is True, as NumPy's own bool cast
            raw = np.frombuffer(data, np.uint8, numel, header.data_start + e.begin)
            array = (raw != 0).reshape(e.shape)
        else:
            raw = np.frombuffer(data, DTYPES[e.dtype], numel, header.data_start + e.begin)
            array = raw.reshape(e.shape).astype(DTYPES[e.dtype].newbyteorder("="))  # a copy
        tensors[name] = array
    return tensors, header.metadata


def load_file(path, *, where: str = "load_file") -> tuple[dict[str, np.ndarray],
                                                          dict[str, str] | None]:
    """Read a safetensors file: `deserialize` on its bytes (read once; nothing else is opened).

    Raises:
        FileNotFoundError: `path` does not exist.
        ModelFileError: The file is malformed (see `parse_header`).
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    return deserialize(data, where=f"{where}: {path!r}")


# ----------------------------------------------------------------------------------------------
# Writing


def _prepare(tensors, metadata, where: str) -> dict[str, np.ndarray]:
    if not isinstance(tensors, dict):
        raise TypeError(f"{where}: tensors must be a dict of name -> array; got "
                        f"{type(tensors).__name__}.")
    if metadata is not None and not (
            isinstance(metadata, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError(f"{where}: metadata must be a dict of str -> str or None; got "
                        f"{str(metadata)[:80]}.")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"{where}: tensor names must be strings other than '__metadata__'; "
                             f"got {name!r}.")
        array = np.asarray(value)
        code = _CODE.get((array.dtype.kind, array.dtype.itemsize))
        if code is None:
            raise ValueError(f"{where}: tensor {name!r} has dtype {array.dtype}, which deltaw "
                             f"cannot store; expected one of {_KNOWN} (as NumPy dtypes).")
        arrays[name] = np.asarray(array, DTYPES[code], order="C")  # little-endian, C order
    return arrays


def _serialize_deltaw(arrays: dict[str, np.ndarray], metadata: dict[str, str] | None) -> bytes:
    code = {name: _CODE[a.dtype.kind, a.dtype.itemsize] for name, a in arrays.items()}
    order = sorted(arrays, key=lambda name: (-_RANK[code[name]], name))
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in order:
        nbytes = arrays[name].nbytes
        header[name] = {"dtype": code[name], "shape": list(arrays[name].shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned
    return b"".join([len(text).to_bytes(8, "little"), text,
                     *(arrays[name].tobytes() for name in order)])


def serialize(tensors: dict, metadata: dict[str, str] | None = None, *,
              backend: str | None = None) -> bytes:
    """Encode named arrays and string metadata in the safetensors layout.

    Args:
        tensors: Dict of name -> array-like of a dtype in `DTYPES` (bool, (u)int8-64, float16-64).
        metadata: Optional dict of str -> str, stored as `__metadata__`.
        backend: "safetensors" (the package), "deltaw" (the NumPy-only writer), or None for the
            package when it is importable and deltaw's writer otherwise.

    Returns:
        The file's bytes.

    Raises:
        TypeError: `tensors` is not a dict or `metadata` is not str -> str.
        ValueError: A name is not a string or an array has an unsupported dtype.
        ImportError: `backend="safetensors"` without the package.
    """
    if backend not in (None, "deltaw", "safetensors"):
        raise ValueError(f"serialize: unknown backend {backend!r}; expected None, 'deltaw' or "
                         "'safetensors'.")
    arrays = _prepare(tensors, metadata, "serialize")
    if backend == "safetensors" or (backend is None and has_safetensors_package()):
        import safetensors.numpy

        return bytes(safetensors.numpy.save(arrays, metadata=metadata))
    return _serialize_deltaw(arrays, metadata)


def save_file(tensors: dict, path, metadata: dict[str, str] | None = None, *,
              backend: str | None = None) -> None:
    """`serialize` and write the bytes atomically to `path` (see `deltaw.io.atomic_write`)."""
    atomic_write(path, serialize(tensors, metadata, backend=backend))
