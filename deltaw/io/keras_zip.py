"""The zip container of Keras 3's `.keras` files, read in memory and never extracted.

A `.keras` file is a zip archive holding `metadata.json`, `config.json` and `model.weights.h5`
(and sometimes an `assets/` folder). `read_archive` returns the members' bytes by name after
checking every claim of the central directory before anything is inflated:

- at most `MAX_MEMBERS` members, names that are plain strings (no path is ever opened: the
  names are dictionary keys only), no duplicates;
- declared sizes: each member and the total at most `MAX_TOTAL_BYTES` uncompressed, and a
  compression ratio at most `MAX_RATIO`, so a zip bomb fails before it inflates;
- real sizes: each member is inflated with a read limit of its declared size plus one byte, so
  a member that inflates beyond what it declares is refused too; the CRC is checked by zipfile.

Any violation raises `ModelFileError` naming the file and the problem.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from deltaw.io.errors import ModelFileError

__all__ = ["MAX_MEMBERS", "MAX_RATIO", "MAX_TOTAL_BYTES", "ZIP_SIGNATURE", "read_archive",
           "write_archive"]

ZIP_SIGNATURE = b"PK\x03\x04"
MAX_MEMBERS = 1_000
MAX_TOTAL_BYTES = 8 << 30  # 8 GiB of uncompressed members
MAX_RATIO = 200  # Keras stores members uncompressed; deflated JSON and weights stay far below
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def _fail(where: str, what: str):
    raise ModelFileError(f"{where}: {what}")


def _check_directory(infos, where: str) -> None:
    if len(infos) > MAX_MEMBERS:
        _fail(where, f"the archive has {len(infos)} members; expected at most {MAX_MEMBERS}.")
    total, seen = 0, set()
    for info in infos:
        if info.filename in seen:
            _fail(where, f"the archive holds the member {info.filename[:80]!r} twice; expected "
                         "unique names.")
        seen.add(info.filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _fail(where, f"member {info.filename[:80]!r} uses compression method "
                         f"{info.compress_type}; expected stored (0) or deflated (8).")
        if info.flag_bits & 0x1:
            _fail(where, f"member {info.filename[:80]!r} is encrypted; expected a plain archive.")
        size, packed = info.file_size, info.compress_size
        if size > packed * MAX_RATIO + 1024:
            _fail(where, f"member {info.filename[:80]!r} declares {size} bytes from {packed} "
                         f"compressed (ratio above {MAX_RATIO}); refusing a possible zip bomb.")
        total += size
        if total > MAX_TOTAL_BYTES:
            _fail(where, f"the archive's members declare more than {MAX_TOTAL_BYTES} bytes in "
                         "all; expected a smaller model file.")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        _fail(where, f"member {info.filename[:80]!r} holds {len(data)} bytes but declares "
                     f"{info.file_size}; expected the declared size.")
    return data


def read_archive(data, *, where: str, wanted=None) -> dict[str, bytes]:
    """The members of a zip archive held in `data` (bytes), checked and inflated in memory.

    Args:
        data: The whole file's bytes.
        where: Prefix of error messages (the API and file name).
        wanted: Names of the members to inflate (default: all); the others are only checked.

    Returns:
        Member name -> bytes, for the wanted members that exist.

    Raises:
        ModelFileError: The archive is corrupted, hostile or beyond the limits above.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{where}: the file is not a readable zip archive "
                             f"({str(exc)[:200]}).") from None
    with archive:
        try:
            infos = archive.infolist()
            _check_directory(infos, where)
            return {info.filename: _read_member(archive, info, where) for info in infos
                    if wanted is None or info.filename in wanted}
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, OSError,
                EOFError, RuntimeError, OverflowError) as exc:
            raise ModelFileError(f"{where}: the zip archive is corrupted "
                                 f"({type(exc).__name__}: {str(exc)[:200]}).") from None


def write_archive(members: dict[str, bytes]) -> bytes:
    """A zip archive (stored, not compressed, as Keras writes it) of `members`, as bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, payload in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_DATE), payload)
    return buffer.getvalue()
