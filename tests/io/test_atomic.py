"""deltaw.io.atomic_write: whole-or-nothing replacement, cleanup, permissions, durability calls."""

import os

import pytest

from deltaw.io import atomic
from deltaw.io.atomic import atomic_write, is_temporary_file


def test_writes_bytes_and_replaces_an_existing_file(tmp_path):
    target = tmp_path / "model"
    atomic_write(target, b"old")
    atomic_write(str(target), bytearray(b"new contents"))
    assert target.read_bytes() == b"new contents"
    assert os.listdir(tmp_path) == ["model"]


def test_writer_callback(tmp_path):
    target = tmp_path / "w.keras"
    atomic_write(target, lambda f: (f.write(b"a"), f.write(b"bc")))
    assert target.read_bytes() == b"abc"


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path, error):
    target = tmp_path / "model.h5"
    target.write_bytes(b"old")

    def writer(f):
        f.write(b"partial")
        raise error("boom")

    with pytest.raises(error, match="boom"):
        atomic_write(target, writer)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.h5"]


def test_a_failing_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "model"
    target.write_bytes(b"old")

    def fail(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model"]


def test_missing_folder_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "no" / "such" / "file", b"x")


def test_file_and_folder_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(atomic.os, "replace",
                        lambda a, b: (events.append("replace"), real_replace(a, b)))
    atomic_write(tmp_path / "f", b"x")
    expected = ["fsync", "replace", "fsync"] if os.name != "nt" else ["fsync", "replace"]
    assert events == expected


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_permissions_follow_the_umask_like_a_plain_open(tmp_path):
    atomic_write(tmp_path / "a", b"x")
    with open(tmp_path / "b", "wb") as f:
        f.write(b"x")
    assert (tmp_path / "a").stat().st_mode == (tmp_path / "b").stat().st_mode


def test_temporary_names_are_recognised_and_never_collide_with_the_target(tmp_path):
    target = tmp_path / "model.keras"
    names = {atomic._temporary_name(str(target)) for _ in range(50)}
    assert len(names) == 50
    assert all(is_temporary_file(n, target) for n in names)
    assert all(os.path.dirname(n) == str(tmp_path) for n in names)
    assert not is_temporary_file("model.keras", target)
    assert not is_temporary_file(".model.keras.zzzzzzzzzzzz.tmp", target)
    assert not is_temporary_file(".other.1a2b3c4d5e6f.tmp", target)
