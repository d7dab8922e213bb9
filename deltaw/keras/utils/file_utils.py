"""`get_file`: download a file once, check its hash, cache it and optionally extract it.

Keras 3's signature and cache layout (`~/.keras/datasets/`, or `$KERAS_HOME/datasets/`), built on
`urllib` from the standard library. Three things are stricter than Keras, on purpose:

- A download goes to a temporary file beside the target and is renamed over it only once it is
  complete (its length matches the server's `Content-Length`) and its hash matches: an
  interrupted or corrupted download never becomes the cached file.
- Archives are extracted into a temporary folder that is renamed into place when done. A member
  whose path or link would land outside the extraction folder, a device or FIFO member, or an
  archive over `MAX_EXTRACT_BYTES` or `MAX_EXTRACT_MEMBERS` raises `ValueError` (Keras skips such
  members with a warning). Tar archives also go through Python's `tarfile` "data" filter.
- An archive is extracted when it is downloaded or when its extraction folder is missing; Keras
  extracts it again on every call.
- A `cache_dir` that does not exist is created; Keras falls back to `/tmp/.keras` instead.

A network failure raises `DownloadError` (an `OSError`) naming the URL and the path where the file
can be put by hand, for machines without internet access.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

__all__ = ["DownloadError", "get_file", "hash_file", "validate_file"]

# Bounds on what an archive may unpack to; tests lower them. CIFAR-100 unpacks to 180 MB.
MAX_EXTRACT_BYTES = 32 * 2**30
MAX_EXTRACT_MEMBERS = 1_000_000
# Seconds a connection may stay silent before the download fails.
TIMEOUT = 60
_CHUNK = 1 << 16


class DownloadError(OSError):
    """A file could not be downloaded (no network, HTTP error, or the connection broke off)."""


def keras_home() -> str:
    """Keras' folder: `$KERAS_HOME` when set, else `~/.keras`."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm: str, file_hash: str | None = None):
    # Keras' rule: 'auto' means sha256 for a 64-character hash and md5 otherwise.
    if algorithm == "sha256" or (algorithm == "auto" and file_hash and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"get_file: unknown hash_algorithm {algorithm!r}; expected 'auto', "
                     "'sha256' or 'md5'.")


def hash_file(fpath, algorithm="sha256", chunk_size=65535) -> str:
    """The hex digest of a file (`algorithm` 'sha256', 'md5', or a hashlib object)."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535) -> bool:
    """Whether the file's sha256 or md5 digest equals `file_hash`."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def _cache_folder(cache_dir, cache_subdir) -> str:
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):   # Keras' fallback for a read-only home
        base = os.path.join(tempfile.gettempdir(), ".keras")
    folder = os.path.join(base, cache_subdir)
    os.makedirs(folder, exist_ok=True)
    return folder


def _targets(fname, origin, datadir, extract):
    """(download path, extraction folder or None), named as Keras names them."""
    provided = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if provided else ""
    if not provided:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot take a file name from origin {origin!r}; pass "
                             "fname.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(f"get_file: fname must be a file name, not a path; got fname={fname!r}. "
                         "Hint: choose the folder with cache_dir and cache_subdir.")
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL unless it is already cached, as `keras.utils.get_file`.

    The file is stored as `cache_dir/cache_subdir/fname` (by default `~/.keras/datasets/fname`,
    or under `$KERAS_HOME`). A cached file is used as it is, unless `file_hash` is given and does
    not match, in which case it is downloaded again.

    Args:
        fname: File name in the cache. None takes the last part of `origin`'s path. With
            `extract=True`, a name with a dot (`"data.tar.gz"`) is the archive and the files go
            to `"data_extracted"`; a name without one (`"data"`) is the extraction folder and the
            archive is saved as `"data_archive"`.
        origin: URL of the file (http, https or file).
        untar: Deprecated Keras argument; the same as `extract=True, archive_format="tar"`.
        md5_hash: Deprecated Keras argument; the same as `file_hash` with `hash_algorithm="md5"`.
        file_hash: Expected sha256 or md5 hex digest of the downloaded file; None skips the check.
        cache_subdir: Sub-folder of `cache_dir` to store the file in.
        hash_algorithm: `"sha256"`, `"md5"` or `"auto"` (sha256 for a 64-character hash).
        extract: Whether to extract the file as a tar or zip archive.
        archive_format: `"auto"` (tar, then zip), `"tar"`, `"zip"`, a list of these, or None.
        cache_dir: Folder of the cache; defaults to `$KERAS_HOME` or `~/.keras`.
        force_download: Download even when a cached file exists.

    Returns:
        The path of the downloaded file, or with `extract=True` the path of the folder the
        archive was extracted into.

    Raises:
        ValueError: no `origin`, `fname` is a path, the hash does not match after downloading,
            or an archive has a member outside its folder or is over the size limits.
        DownloadError: the download failed; the message names the URL and where to put the file
            by hand.

    Example:
        >>> import pathlib, tempfile
        >>> src = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
        >>> _ = src.write_text("hi")
        >>> path = get_file(origin=src.as_uri(), cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
        Downloading data from file://...hello.txt
        2/2 ━━━━━━━━━━━━━━━━━━━━ ...
        >>> pathlib.Path(path).read_text()
        'hi'
    """
    if origin is None:
        raise ValueError("get_file: origin is None; expected the URL of the file to download.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _hasher(hash_algorithm, file_hash)   # validates hash_algorithm before any download
    extract = bool(extract or untar)
    if untar:
        archive_format = "tar"
    datadir = _cache_folder(cache_dir, cache_subdir)
    target, extraction_dir = _targets(fname, origin, datadir, extract)
    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash,
                                                                    hash_algorithm):
        name = _hasher(hash_algorithm, file_hash).name
        print(f"A local file was found at {target}, but its {name} hash does not match "
              f"{file_hash}; downloading it again.")
        download = True
    if download:
        print(f"Downloading data from {origin}")
        _download(origin, target, file_hash, hash_algorithm)
    if not extract:
        return target
    if download or not os.path.isdir(extraction_dir):
        if not _extract_archive(target, extraction_dir, archive_format):
            warnings.warn(f"get_file: could not extract {target}: it is not a "
                          f"{archive_format} archive.", UserWarning, stacklevel=2)
    return extraction_dir


# ----------------------------------------------------------------------------- download
def _download(origin, target, file_hash, hash_algorithm):
    """Streams `origin` into a temporary file beside `target`, checks it, renames it over."""
    hasher = _hasher(hash_algorithm, file_hash)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part",
                               dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as out:
            received, expected = _stream(origin, target, out, hasher)
        if expected is not None and received != expected:
            raise DownloadError(_network_message(
                origin, target, f"the connection closed after {received} of {expected} bytes"))
        if file_hash is not None and hasher.hexdigest() != str(file_hash):
            raise ValueError(
                f"get_file: the file downloaded from {origin} is incomplete or corrupted: its "
                f"{hasher.name} hash is {hasher.hexdigest()}; expected {file_hash}. Nothing was "
                f"stored at {target}.")
        os.replace(tmp, target)
    except BaseException:
        # BaseException: a KeyboardInterrupt mid-download must not leave the partial file behind
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _stream(origin, target, out, hasher):
    """Copies the response to `out`, updating `hasher` and a progress bar; (received, expected)."""
    from deltaw.keras.callbacks.progbar import Progbar

    try:
        response = urllib.request.urlopen(origin, timeout=TIMEOUT)  # noqa: S310 (any scheme)
    except urllib.error.HTTPError as e:
        e.close()   # the error holds the open response
        raise DownloadError(_network_message(origin, target, f"HTTP {e.code} {e.reason}")) from e
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(_network_message(origin, target, str(reason))) from e
    with response:
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        bar = Progbar(expected, unit_name="byte")
        received = 0
        try:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                hasher.update(chunk)
                received += len(chunk)
                bar.update(received, finalize=False)
        except OSError as e:   # includes http.client.IncompleteRead's parent on a broken socket
            raise DownloadError(_network_message(origin, target, str(e))) from e
        except Exception as e:  # http.client.IncompleteRead and friends
            if type(e).__module__ != "http.client":
                raise
            raise DownloadError(_network_message(origin, target, repr(e))) from e
        if expected is None or received == expected:
            bar.update(received, finalize=True)
    return received, expected


def _network_message(origin, target, reason):
    return (f"get_file: could not download {origin} ({reason}). Hint: without network access, "
            f"download the file elsewhere and put it at {target}.")


# ----------------------------------------------------------------------------- extraction
def _extract_archive(file_path, path, archive_format="auto") -> bool:
    """Extracts a tar or zip archive into the folder `path`; False if it is neither."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(f"get_file: unknown archive_format {kind!r}; expected 'auto', "
                             "'tar', 'zip', a list of these, or None.")
        if (tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile)(file_path):
            _extract_into_place(file_path, path, kind)
            return True
    return False


def _extract_into_place(file_path, path, kind):
    """Extracts into a temporary sibling folder, then swaps it in for `path`."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=parent)
    try:
        if kind == "tar":
            with tarfile.open(file_path) as archive:
                _extract_tar(archive, tmp, file_path)
        else:
            with zipfile.ZipFile(file_path) as archive:
                _extract_zip(archive, tmp, file_path)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _inside(base, name) -> bool:
    """Whether `base/name` resolves to a path inside the folder `base`."""
    full = os.path.realpath(os.path.join(base, name))
    return os.path.commonpath([full, base]) == base


def _check_limits(where, count, total):
    if count > MAX_EXTRACT_MEMBERS:
        raise ValueError(f"get_file: {where} has more than {MAX_EXTRACT_MEMBERS} members; "
                         "expected at most that many (deltaw.keras.utils.file_utils."
                         "MAX_EXTRACT_MEMBERS).")
    if total > MAX_EXTRACT_BYTES:
        raise ValueError(f"get_file: {where} unpacks to more than {MAX_EXTRACT_BYTES} bytes; "
                         "expected at most that (deltaw.keras.utils.file_utils."
                         "MAX_EXTRACT_BYTES).")


def _refuse(where, name, why):
    raise ValueError(f"get_file: refusing to extract {where}: member {name!r} {why}; expected "
                     "every member to stay inside the extraction folder.")


def _extract_tar(archive, base, where):
    base = os.path.realpath(base)
    members, total = [], 0
    for info in archive:
        if not _inside(base, info.name) or os.path.isabs(info.name):
            _refuse(where, info.name, "points outside the extraction folder")
        if info.issym() or info.islnk():
            link = (os.path.join(os.path.dirname(info.name), info.linkname) if info.issym()
                    else info.linkname)
            if os.path.isabs(info.linkname) or not _inside(base, link):
                _refuse(where, info.name, f"links to {info.linkname!r}, outside the folder")
        elif not (info.isfile() or info.isdir()):
            _refuse(where, info.name, "is a device or FIFO")
        total += info.size
        members.append(info)
        _check_limits(where, len(members), total)
    kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    archive.extractall(base, members=members, **kwargs)


def _extract_zip(archive, base, where):
    base = os.path.realpath(base)
    infos = archive.infolist()
    for info in infos:
        if os.path.isabs(info.filename) or not _inside(base, info.filename):
            _refuse(where, info.filename, "points outside the extraction folder")
    # zipfile stops reading a member at its declared size, so the declared sizes bound the output
    _check_limits(where, len(infos), sum(info.file_size for info in infos))
    archive.extractall(base, members=infos)
