"""Atomic file replacement: readers see the old file or the new one, never a torn mix.

Every model, weights and checkpoint file deltaw writes goes through `atomic_write`. The bytes go to
a temporary file in the target's own folder (so the final rename never crosses a file system), are
flushed and fsync'ed, and `os.replace` swaps the temporary file over the target in one step; then
the folder itself is fsync'ed so the rename survives a power cut. A process killed at any instant
leaves the target untouched or fully replaced, plus at worst a stray temporary file named
`.<target name>.<random>.tmp` beside it, which no deltaw reader ever opens in the target's place.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import BinaryIO

__all__ = ["atomic_write", "is_temporary_file"]

_TMP_SUFFIX = ".tmp"


def _temporary_name(path: str) -> str:
    folder, base = os.path.split(path)
    return os.path.join(folder, f".{base}.{secrets.token_hex(6)}{_TMP_SUFFIX}")


def is_temporary_file(name: str, target: str) -> bool:
    """Whether `name` (a file name or path) is one of `atomic_write`'s temporaries for `target`.

    Example:
        >>> is_temporary_file(".model.keras.1a2b3c4d5e6f.tmp", "ckpt/model.keras")
        True
    """
    base = os.path.basename(os.fspath(target))
    name = os.path.basename(os.fspath(name))
    prefix = f".{base}."
    middle = name[len(prefix):-len(_TMP_SUFFIX)]
    return (name.startswith(prefix) and name.endswith(_TMP_SUFFIX) and len(middle) == 12
            and all(c in "0123456789abcdef" for c in middle))


def _fsync_folder(folder: str) -> None:
    # Makes the rename itself durable. Folders cannot be opened for fsync on Windows; there the
    # rename is already journaled by NTFS.
    if os.name == "nt":
        return
    fd = os.open(folder or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path, data: bytes | bytearray | memoryview | Callable[[BinaryIO], None]) -> None:
    """Write a file so that it is replaced whole or not at all.

    Args:
        path: Target file path (str or os.PathLike). Its folder must exist.
        data: The file's bytes, or a callback `writer(fileobj)` that writes them to a binary file
            object (for large files built piece by piece).

    Raises:
        OSError: The folder is missing or not writable, or the disk is full. The target is then
            left as it was and the temporary file is removed.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "weights.bin"
        >>> atomic_write(target, b"new bytes")
        >>> target.read_bytes()
        b'new bytes'
    """
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    while True:
        tmp = _temporary_name(path)
        try:
            # 0o666 filtered by the umask gives the same permissions as a plain open(path, "wb").
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:  # a 48-bit random name collided; draw another
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # BaseException: a KeyboardInterrupt mid-write must not leave the temporary file behind.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)
