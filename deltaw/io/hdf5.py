"""HDF5 files (Keras' weight files) through h5py, read from bytes with every claim checked.

`H5Reader` opens a file held in memory (never a path: HDF5 links to other files are refused) and
walks it once, recording every dataset's shape and dtype without reading any data. The caller
compares those with the model and only then calls `read(path)`. The walk refuses:

- soft and external links, external raw storage and virtual datasets (they name other files);
- dtypes other than booleans, integers and floats (no references, compound or object data);
- more than `MAX_OBJECTS` groups and datasets, more than `MAX_NDIM` dimensions;
- datasets whose bytes exceed what the file itself could hold uncompressed (`MAX_RATIO`).

`write_h5` builds a file in memory from {path: array} and {group path: attributes}. h5py is
imported lazily, only when an HDF5 file is read or written.
"""

from __future__ import annotations

import io

import numpy as np

from deltaw.io.errors import ModelFileError

__all__ = ["HDF5_SIGNATURE", "MAX_OBJECTS", "H5Reader", "import_h5py", "write_h5"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_OBJECTS = 100_000
MAX_NDIM = 32
MAX_RATIO = 1_000  # dataset bytes per file byte (chunked, compressed data could inflate)
_MAX_ATTR_BYTES = 1 << 20
_H5_ERRORS = (OSError, ValueError, KeyError, RuntimeError, TypeError, AttributeError,
              IndexError, OverflowError, SystemError)


def import_h5py(where: str):
    """The h5py module, or an ImportError that says what to install."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency of deltaw
        raise ImportError(f"{where}: reading or writing Keras' HDF5 files needs h5py; expected "
                          "it installed. Hint: pip install h5py.") from None
    return h5py


class H5Reader:
    """An HDF5 file held in memory: its dataset shapes and dtypes, then checked reads.

    Attributes:
        datasets: Path -> (shape, dtype) of every dataset, from the walk (no data read).
        groups: Paths of every group ("" is the root).
    """

    def __init__(self, data, *, where: str):
        self.where = where
        h5py = import_h5py(where)
        self._limit = max(len(data), 1 << 16) * MAX_RATIO
        try:
            self._file = h5py.File(io.BytesIO(bytes(data)), "r")
        except _H5_ERRORS as exc:
            raise ModelFileError(f"{where}: the file is not a readable HDF5 file "
                                 f"({str(exc)[:200]}).") from None
        self.datasets: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        self.groups: set[str] = {""}
        try:
            self._walk(h5py)
        except ModelFileError:
            self.close()
            raise
        except _H5_ERRORS as exc:
            self.close()
            raise ModelFileError(f"{where}: the HDF5 file is corrupted ({type(exc).__name__}: "
                                 f"{str(exc)[:200]}).") from None

    def _fail(self, what: str):
        raise ModelFileError(f"{self.where}: {what}")

    def _walk(self, h5py) -> None:
        # Visit the links with the low-level API (a tenth of the high-level cost per object);
        # H5Lvisit never follows soft or external links, and it stops when the callback returns
        # non-None, which is how the object count is capped.
        links = []

        def visit(name: bytes, info):
            links.append((name, info.type))
            return True if len(links) > MAX_OBJECTS else None

        self._file.id.links.visit(visit, info=True)
        if len(links) > MAX_OBJECTS:
            self._fail(f"the HDF5 file holds more than {MAX_OBJECTS} objects.")
        for raw, kind in links:
            if kind != h5py.h5l.TYPE_HARD:
                self._fail(f"HDF5 object {raw.decode('utf-8', 'replace')[:80]!r} is a soft or "
                           "external link; expected plain groups and datasets (a link could "
                           "name another file).")
        objects = []  # H5Ovisit: every object once, through hard links only, with its type
        h5py.h5o.visit(self._file.id, lambda name, info: objects.append((name, info.type)),
                       info=True)
        for raw, kind in objects:
            path = raw.decode("utf-8", "replace")
            if path == ".":
                continue
            if kind == h5py.h5o.TYPE_GROUP:
                self.groups.add(path)
            elif kind == h5py.h5o.TYPE_DATASET:
                self.datasets[path] = self._check_dataset(self._file[path], path)
            else:
                self._fail(f"HDF5 object {path[:80]!r} is a named datatype; expected groups and "
                           "datasets.")

    def _check_dataset(self, dataset, path: str):
        if dataset.external or dataset.is_virtual:
            self._fail(f"dataset {path[:80]!r} stores its data in another file; expected data "
                       "inside this file.")
        dtype = dataset.dtype
        if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
            self._fail(f"dataset {path[:80]!r} has dtype {str(dtype)[:40]}; expected booleans, "
                       "integers or floats.")
        shape = dataset.shape
        if shape is None or len(shape) > MAX_NDIM:
            self._fail(f"dataset {path[:80]!r} has shape {shape}; expected at most {MAX_NDIM} "
                       "dimensions.")
        nbytes = dtype.itemsize
        for d in shape:
            nbytes *= int(d)
        if nbytes > self._limit:
            self._fail(f"dataset {path[:80]!r} declares {nbytes} bytes, beyond what a file of "
                       "this size can hold.")
        return tuple(int(d) for d in shape), np.dtype(dtype.newbyteorder("="))

    def attr(self, path: str, name: str):
        """A string or number attribute of the group or dataset at `path` (None when absent)."""
        if path not in self.groups and path not in self.datasets:
            return None
        try:
            attrs = (self._file[path] if path else self._file).attrs
            if name not in attrs:
                return None
            value = attrs[name]
        except _H5_ERRORS as exc:
            self._fail(f"attribute {name!r} of {path[:80]!r} is unreadable ({str(exc)[:100]}).")
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, np.ndarray) and value.dtype.kind in "OSU" and value.size < 100_000:
            value = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                     for v in value.reshape(-1)]
        if isinstance(value, str) and len(value) > _MAX_ATTR_BYTES * 64:
            self._fail(f"attribute {name!r} of {path[:80]!r} is too large.")
        return value

    def read(self, path: str) -> np.ndarray:
        """The data of a walked dataset, as a native-endian NumPy array."""
        if path not in self.datasets:
            self._fail(f"the HDF5 file has no dataset {path[:80]!r}.")
        shape, dtype = self.datasets[path]
        try:
            array = np.asarray(self._file[path][()], dtype=dtype)
        except _H5_ERRORS as exc:
            raise ModelFileError(f"{self.where}: dataset {path[:80]!r} is unreadable "
                                 f"({type(exc).__name__}: {str(exc)[:200]}).") from None
        if array.shape != shape:  # pragma: no cover - h5py returns the walked shape
            self._fail(f"dataset {path[:80]!r} read as shape {array.shape}; expected {shape}.")
        return array

    def close(self) -> None:
        """Release the file."""
        try:
            self._file.close()
        except _H5_ERRORS:  # pragma: no cover
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def write_h5(datasets: dict[str, np.ndarray], group_attrs: dict[str, dict], *,
             where: str) -> bytes:
    """An HDF5 file, as bytes, with the given datasets and groups (with their attributes).

    Args:
        datasets: Path ("layers/dense/vars/0") -> array.
        group_attrs: Group path -> {attribute: value}; the group is created even when it
            holds nothing ("" is the root).
        where: Prefix of error messages.
    """
    h5py = import_h5py(where)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, attrs in group_attrs.items():
            group = f.require_group(path) if path else f
            for key, value in attrs.items():
                group.attrs[key] = value
        for path, array in datasets.items():
            f.create_dataset(path, data=np.asarray(array))
    return buffer.getvalue()
