"""A restricted reader for the pickles inside Keras' dataset files: data in, no code run.

CIFAR's batches are pickled dicts of bytes, lists of ints and one uint8 array; `imdb.npz` and
`reuters.npz` hold NumPy object arrays whose elements are lists of ints, which NumPy stores as a
pickle inside the `.npy` member. `pickle.load` on such a file would import and call whatever the
file names, so every loader here uses `load_pickle` instead. It runs Python's C unpickler with a
`find_class` that resolves exactly these names and nothing else:

- `numpy.ndarray` and `numpy.core.multiarray._reconstruct` (also `numpy._core...`), which
  rebuild an array from its shape, dtype and raw bytes (or list of elements);
- `numpy.dtype`, given a type string such as `'u1'` or `'O8'`;
- `numpy.core.multiarray.scalar` and `numpy.core.numeric._frombuffer` for NumPy scalars and
  arrays of plain (non-object) dtype;
- `_codecs.encode(text, 'latin1')`, with which protocols 0-2 store `bytes` in Python 3.

Each resolves to a small object with no `__dict__` that checks its arguments and builds the value
itself, so `REDUCE`, `NEWOBJ` and `BUILD` cannot reach any other callable or attribute. Anything
else, including persistent ids and out-of-band buffers, raises `RefusedPickleError`.
"""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

__all__ = ["RefusedPickleError", "load_npz", "load_pickle"]


class RefusedPickleError(pickle.UnpicklingError):
    """A pickle names something other than the NumPy array pieces a dataset file may contain."""


def _refuse(where: str, what: str):
    raise RefusedPickleError(
        f"{where}: refusing to unpickle {what}; expected only dicts, lists, strings, numbers and "
        "NumPy arrays. The file may be corrupted or malicious.")


class _Ndarray:
    """Stands for `numpy.ndarray` as `_reconstruct`'s first argument; cannot be called."""

    __slots__ = ()


class _Reconstruct:
    """`_reconstruct(ndarray, shape, dtype)`: an empty array that the next BUILD fills."""

    __slots__ = ("where",)

    def __init__(self, where):
        self.where = where

    def __call__(self, subtype, shape, dtype):
        if not isinstance(subtype, _Ndarray) or not isinstance(dtype, bytes | str):
            _refuse(self.where, f"_reconstruct({subtype!r}, ..., {dtype!r})")
        # the shape given here is a placeholder (0,): the array's real shape comes with its data
        return np.ndarray((0,), dtype=np.uint8)


class _Dtype:
    """`numpy.dtype(spec, align, copy)` for a type string only."""

    __slots__ = ("where",)

    def __init__(self, where):
        self.where = where

    def __call__(self, spec, align=False, copy=False):
        if not isinstance(spec, str | bytes) or not isinstance(align, bool):
            _refuse(self.where, f"numpy.dtype({spec!r}, {align!r})")
        try:
            return np.dtype(spec.decode("ascii") if isinstance(spec, bytes) else spec, align)
        except TypeError:
            _refuse(self.where, f"numpy.dtype({spec!r})")


class _Scalar:
    """`numpy...scalar(dtype, raw bytes)` for a plain dtype."""

    __slots__ = ("where",)

    def __init__(self, where):
        self.where = where

    def __call__(self, dtype, data=None):
        if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
            _refuse(self.where, f"numpy scalar({dtype!r}, {type(data).__name__})")
        return np.frombuffer(data, dtype=dtype, count=1)[0]


class _FromBuffer:
    """`numpy..._frombuffer(bytes, dtype, shape, order)` for a plain dtype."""

    __slots__ = ("where",)

    def __init__(self, where):
        self.where = where

    def __call__(self, buf, dtype, shape, order):
        if (not isinstance(buf, bytes | bytearray) or not isinstance(dtype, np.dtype)
                or dtype.hasobject or order not in ("C", "F")):
            _refuse(self.where, "numpy._frombuffer with these arguments")
        return np.frombuffer(bytes(buf), dtype=dtype).reshape(shape, order=order).copy()


class _Latin1:
    """`_codecs.encode(text, 'latin1')`: how protocol 2 and below store `bytes` in Python 3."""

    __slots__ = ("where",)

    def __init__(self, where):
        self.where = where

    def __call__(self, text, encoding="utf-8"):
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            _refuse(self.where, f"_codecs.encode({type(text).__name__}, {encoding!r})")
        return text.encode("latin1")


_ALLOWED = {
    ("_codecs", "encode"): _Latin1,
    ("numpy", "ndarray"): lambda where: _Ndarray(),
    ("numpy", "dtype"): _Dtype,
    ("numpy.core.multiarray", "_reconstruct"): _Reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _Reconstruct,
    ("numpy.core.multiarray", "scalar"): _Scalar,
    ("numpy._core.multiarray", "scalar"): _Scalar,
    ("numpy.core.numeric", "_frombuffer"): _FromBuffer,
    ("numpy._core.numeric", "_frombuffer"): _FromBuffer,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, where, encoding):
        super().__init__(file, encoding=encoding)
        self.where = where

    def find_class(self, module, name):
        make = _ALLOWED.get((module, name))
        if make is None:
            _refuse(self.where, f"the global {module}.{name}")
        return make(self.where)

    def persistent_load(self, pid):
        _refuse(self.where, f"a persistent id {pid!r}")


def load_pickle(file, where: str = "load_pickle", encoding: str = "ASCII"):
    """Unpickles data made of dicts, lists, tuples, bytes, str, numbers and NumPy arrays.

    Args:
        file: A binary file object, or the pickle's bytes.
        where: Name used in error messages (the loader's name).
        encoding: How Python 2 `str` objects are decoded (`'bytes'` keeps them bytes, as
            CIFAR's batches need).

    Returns:
        The unpickled object.

    Raises:
        RefusedPickleError: the pickle names any other global, or is malformed.

    Example:
        >>> import pickle
        >>> load_pickle(pickle.dumps({"x": np.arange(3, dtype=np.uint8), "y": [1, 2]}))
        {'x': array([0, 1, 2], dtype=uint8), 'y': [1, 2]}
    """
    if isinstance(file, bytes | bytearray):
        file = io.BytesIO(file)
    try:
        return _Unpickler(file, where, encoding).load()
    except RefusedPickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError) as e:
        raise RefusedPickleError(f"{where}: the pickle is malformed ({type(e).__name__}: {e}); "
                                 "expected a pickle of dataset arrays.") from None


def _read_npy(raw: bytes, where: str) -> np.ndarray:
    """One `.npy` member: plain arrays without pickle, object arrays through `load_pickle`."""
    fp = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(fp)
        header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = header(fp)
    except ValueError as e:
        raise ValueError(f"{where}: not a valid .npy member ({e}).") from None
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    array = load_pickle(fp, where, encoding="ASCII")
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise RefusedPickleError(f"{where}: the pickled member is not the object array its header "
                                 f"describes; expected shape {tuple(shape)}, got "
                                 f"{getattr(array, 'shape', type(array).__name__)}.")
    return array


def load_npz(path, where: str = "load_npz") -> dict[str, np.ndarray]:
    """Reads every array of an `.npz`, object arrays included, without running pickled code.

    Args:
        path: Path of the `.npz` file.
        where: Name used in error messages.

    Returns:
        `{name: array}` for each `.npy` member.

    Raises:
        RefusedPickleError: an object array's pickle names anything but NumPy array pieces.
        ValueError: the file is not an npz.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise ValueError(f"{where}: {path} is not an .npz (zip) file ({e}).") from None
    arrays = {}
    with archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_npy(archive.read(member), f"{where} ({member})")
    return arrays
