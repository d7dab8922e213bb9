"""keras.utils.get_file: download, cache, hashes, atomic replacement, safe extraction, errors.

Files come from a server on 127.0.0.1 (tests/keras/local_server.py); nothing touches the internet.
"""

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from deltaw.keras.utils import file_utils, get_file

PAYLOAD = bytes(range(256)) * 400          # 102,400 bytes: several read chunks
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


def _tar(members, links=()):
    """A .tar.gz with `{name: bytes}` files and `(name, target, symbolic)` links."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target, symbolic in links:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE if symbolic else tarfile.LNKTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _leftovers(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


def test_downloads_once_then_uses_the_cache(server, tmp_path, capsys):
    server.files["data.bin"] = PAYLOAD
    path = get_file("data.bin", server.url + "data.bin", file_hash=SHA256, cache_dir=tmp_path)
    assert path == os.path.join(tmp_path, "datasets", "data.bin")
    assert _read(path) == PAYLOAD
    assert f"Downloading data from {server.url}data.bin" in capsys.readouterr().out
    again = get_file("data.bin", server.url + "data.bin", file_hash=SHA256, cache_dir=tmp_path)
    assert again == path and server.hits["data.bin"] == 1
    get_file("data.bin", server.url + "data.bin", cache_dir=tmp_path, force_download=True)
    assert server.hits["data.bin"] == 2
    assert _leftovers(tmp_path / "datasets") == []


def test_fname_defaults_to_the_url_and_md5_is_accepted(server, tmp_path):
    server.files["x.txt"] = PAYLOAD
    path = get_file(origin=server.url + "x.txt", md5_hash=MD5, cache_dir=tmp_path,
                    cache_subdir="sub")
    assert path == os.path.join(tmp_path, "sub", "x.txt")
    assert get_file(origin=server.url + "x.txt", file_hash=MD5, hash_algorithm="md5",
                    cache_dir=tmp_path, cache_subdir="sub") == path


def test_keras_home_is_the_default_cache(server, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    server.files["a.bin"] = b"abc"
    assert get_file("a.bin", server.url + "a.bin") == str(tmp_path / "kh" / "datasets" / "a.bin")


def test_a_stale_cached_file_is_downloaded_again(server, tmp_path, capsys):
    server.files["data.bin"] = PAYLOAD
    cached = tmp_path / "datasets" / "data.bin"
    cached.parent.mkdir()
    cached.write_bytes(b"old")
    get_file("data.bin", server.url + "data.bin", file_hash=SHA256, cache_dir=tmp_path)
    assert cached.read_bytes() == PAYLOAD
    assert "hash does not match" in capsys.readouterr().out


def test_a_corrupted_download_is_refused_and_the_cache_kept(server, tmp_path):
    server.files["data.bin"] = PAYLOAD[:-1] + b"!"
    cached = tmp_path / "datasets" / "data.bin"
    cached.parent.mkdir()
    cached.write_bytes(b"previous")
    with pytest.raises(ValueError, match=rf"get_file: the file downloaded from {server.url}"
                                         rf"data.bin is incomplete or corrupted: its sha256 "
                                         rf"hash is \w+; expected {SHA256}\. Nothing was "
                                         rf"stored"):
        get_file("data.bin", server.url + "data.bin", file_hash=SHA256, cache_dir=tmp_path,
                 force_download=True)
    assert cached.read_bytes() == b"previous"
    assert _leftovers(tmp_path / "datasets") == []


def test_a_truncated_download_never_becomes_the_cached_file(server, tmp_path):
    server.files["data.bin"] = PAYLOAD
    server.truncate["data.bin"] = 5000
    with pytest.raises(file_utils.DownloadError, match=r"could not download .*data.bin \(the "
                                                       r"connection closed after 5000 of 102400 "
                                                       r"bytes\)"):
        get_file("data.bin", server.url + "data.bin", cache_dir=tmp_path)   # no hash given
    assert os.listdir(tmp_path / "datasets") == []


def test_network_errors_name_the_url_and_the_cache_path(server, tmp_path):
    with pytest.raises(file_utils.DownloadError) as info:
        get_file("missing.npz", server.url + "missing.npz", cache_dir=tmp_path)
    target = os.path.join(tmp_path, "datasets", "missing.npz")
    assert str(info.value) == (f"get_file: could not download {server.url}missing.npz (HTTP 404 "
                               f"Not Found). Hint: without network access, download the file "
                               f"elsewhere and put it at {target}.")
    assert isinstance(info.value, OSError)
    with pytest.raises(file_utils.DownloadError, match="could not download file:///nowhere/x"):
        get_file("x", "file:///nowhere/x", cache_dir=tmp_path)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="get_file: origin is None"):
        get_file("a")
    with pytest.raises(ValueError, match="fname must be a file name, not a path"):
        get_file("a/b", "http://127.0.0.1:1/b", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown hash_algorithm 'sha1'"):
        get_file("a", "http://127.0.0.1:1/a", hash_algorithm="sha1", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="cannot take a file name from origin"):
        get_file(origin="http://127.0.0.1:1/", cache_dir=tmp_path)


def test_extract_tar_as_keras_names_the_folders(server, tmp_path):
    server.files["arch.tar.gz"] = _tar({"top/a.txt": b"A", "top/sub/b.txt": b"B"})
    url = server.url + "arch.tar.gz"
    # a name with a dot is the archive; the folder is <stem>_extracted (Keras 3)
    out = get_file("arch.tar.gz", url, extract=True, cache_dir=tmp_path)
    assert out == os.path.join(tmp_path, "datasets", "arch_extracted")
    assert _read(os.path.join(out, "top", "sub", "b.txt")) == b"B"
    assert os.path.isfile(os.path.join(tmp_path, "datasets", "arch.tar.gz"))
    # a name without a dot is the folder; the archive is <name>_archive
    out = get_file("arch", url, untar=True, cache_dir=tmp_path)
    assert out == os.path.join(tmp_path, "datasets", "arch")
    assert os.path.isfile(os.path.join(tmp_path, "datasets", "arch_archive"))
    # no fname: the URL's name is the folder, as in Keras
    out = get_file(origin=url, extract=True, cache_dir=tmp_path, cache_subdir="c")
    assert out == os.path.join(tmp_path, "c", "arch.tar.gz")
    assert os.path.isfile(os.path.join(out, "top", "a.txt"))


def test_extract_zip(server, tmp_path):
    server.files["z.zip"] = _zip({"d/x.txt": b"xx"})
    out = get_file("z.zip", server.url + "z.zip", extract=True, archive_format="zip",
                   cache_dir=tmp_path)
    assert _read(os.path.join(out, "d", "x.txt")) == b"xx"


def test_not_an_archive_warns(server, tmp_path):
    server.files["plain.bin"] = b"plain bytes"
    with pytest.warns(UserWarning, match="could not extract .*plain.bin"):
        get_file("plain.bin", server.url + "plain.bin", extract=True, cache_dir=tmp_path)


@pytest.mark.parametrize("archive, why", [
    (_tar({"../evil.txt": b"x"}), "points outside"),
    (_tar({"/abs/evil.txt": b"x"}), "points outside"),
    (_tar({"ok.txt": b"x"}, links=[("link", "/etc/passwd", True)]), "links to '/etc/passwd'"),
    (_tar({"ok.txt": b"x"}, links=[("d/link", "../../out", True)]), "links to '../../out'"),
    (_tar({"ok.txt": b"x"}, links=[("hard", "../out", False)]), "links to '../out'"),
    (_zip({"../evil.txt": b"x"}), "points outside"),
], ids=["dotdot", "absolute", "symlink-abs", "symlink-up", "hardlink-up", "zip-dotdot"])
def test_hostile_archives_are_refused(server, tmp_path, archive, why):
    server.files["bad.tar.gz"] = archive
    with pytest.raises(ValueError, match=f"get_file: refusing to extract .*bad.tar.gz: member "
                                         f".* {why}"):
        get_file("bad.tar.gz", server.url + "bad.tar.gz", extract=True, cache_dir=tmp_path)
    assert sorted(os.listdir(tmp_path / "datasets")) == ["bad.tar.gz"]   # nothing extracted
    assert not (tmp_path / "evil.txt").exists()


def test_size_and_member_limits(server, tmp_path, monkeypatch):
    server.files["big.tar.gz"] = _tar({"a": b"x" * 600, "b": b"y" * 600})
    monkeypatch.setattr(file_utils, "MAX_EXTRACT_BYTES", 1000)
    with pytest.raises(ValueError, match="unpacks to more than 1000 bytes"):
        get_file("big.tar.gz", server.url + "big.tar.gz", extract=True, cache_dir=tmp_path)
    monkeypatch.setattr(file_utils, "MAX_EXTRACT_BYTES", 10**6)
    monkeypatch.setattr(file_utils, "MAX_EXTRACT_MEMBERS", 1)
    with pytest.raises(ValueError, match="has more than 1 members"):
        get_file("big.tar.gz", server.url + "big.tar.gz", extract=True, cache_dir=tmp_path)
    server.files["big.zip"] = _zip({"a": b"x" * 600, "b": b"y" * 600})
    with pytest.raises(ValueError, match="has more than 1 members"):
        get_file("big.zip", server.url + "big.zip", extract=True, cache_dir=tmp_path)


def test_hash_helpers(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(PAYLOAD)
    assert file_utils.hash_file(path) == SHA256
    assert file_utils.hash_file(path, "md5") == MD5
    assert file_utils.validate_file(path, SHA256) and file_utils.validate_file(path, MD5)
    assert not file_utils.validate_file(path, "0" * 64)
