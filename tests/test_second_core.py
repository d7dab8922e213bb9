"""second_core: halves on two threads only when that is safe, and the same results either way."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import deltaw as dw
from deltaw import second_core

_SET_THREADS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                "openblas_set_num_threads")


def _blas_thread_setter():
    """OpenBLAS's set_num_threads from the library second_core found, or None."""
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    for path in (p for p in paths if p.startswith("/")):
        lib = ctypes.CDLL(path)
        for name in _SET_THREADS:
            if hasattr(lib, name):
                setter = getattr(lib, name)
                setter.argtypes = [ctypes.c_int]
                return setter
    return None


@pytest.fixture
def two_cores():
    """The second core usable for the test. `dev.py test` runs with OPENBLAS_NUM_THREADS=1,
    which keeps second_core on one core; on a machine with two cores the test raises OpenBLAS
    to two threads and sets it back afterwards."""
    blas = second_core._openblas()
    if blas is None or second_core._cores() < 2:
        pytest.skip("second core not usable here (one core, or no OpenBLAS found)")
    before = blas["threads"]()
    setter = _blas_thread_setter() if before < 2 else None
    if setter is not None:
        setter(2)
    try:
        if not second_core.usable():
            pytest.skip("second core not usable here (BLAS threads fixed at one, or another "
                        "thread alive)")
        yield
    finally:
        if setter is not None:
            setter(before)


needs_two_cores = pytest.mark.usefixtures("two_cores")


def where_pieces_ran(pieces):
    seen = {}

    def work(lo, hi):
        seen[(lo, hi)] = threading.get_ident()
        return hi - lo
    return second_core.run(work, pieces), seen


@needs_two_cores
def test_halves_run_on_two_threads():
    pieces = second_core.halves(10)
    assert pieces == [(0, 5), (5, 10)]
    sizes, seen = where_pieces_ran(pieces)
    assert sizes == [5, 5]
    assert seen[(0, 5)] == threading.get_ident() != seen[(5, 10)]


@needs_two_cores
def test_another_thread_alive_keeps_everything_here():
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not second_core.usable()
        assert second_core.halves(10) == [(0, 10)]
        # pieces chosen earlier (a forward pass) still run, in order, on this thread
        sizes, seen = where_pieces_ran([(0, 5), (5, 10)])
        assert sizes == [5, 5] and set(seen.values()) == {threading.get_ident()}
    finally:
        release.set()
        other.join()


@needs_two_cores
def test_an_error_in_either_half_reaches_the_caller():
    def work(lo, hi):
        if lo == 5:
            raise ValueError("second half failed")
        return lo
    with pytest.raises(ValueError, match="second half failed"):
        second_core.run(work, [(0, 5), (5, 10)])


def test_one_blas_thread_means_one_core():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", "from deltaw import second_core as s; "
                          "print(s.usable(), s.halves(8))"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "[(0,", "8)]"]


@needs_two_cores
@pytest.mark.parametrize("case", ["plain", "mask", "causal", "dropout"])
def test_split_attention_is_bitwise_the_one_thread_result(case, monkeypatch):
    # 8 x 4 heads x 128^2 scores: above packed_self_attention's threshold for splitting
    b, n, heads, depth = 8, 128, 4, 16
    rng = np.random.default_rng(0)
    qkv = rng.standard_normal((b, n, 3 * heads * depth)).astype(np.float32)
    grad = rng.standard_normal((b, n, heads, depth)).astype(np.float32)
    kw = {"mask": {"mask": rng.random((b, 1, n, n)) > 0.3}, "causal": {"is_causal": True},
          "dropout": {"dropout_rate": 0.2, "seed": 3}, "plain": {}}[case]

    def run():
        x = dw.tensor(qkv, requires_grad=True)
        out = dw.nn.packed_self_attention(x, heads, depth, **kw)
        out.backward(dw.tensor(grad))
        return out.numpy(), x.grad.numpy()

    calls = []
    real_run = second_core.run
    monkeypatch.setattr(second_core, "run", lambda *a: calls.append(len(a[1])) or real_run(*a))
    split = run()
    assert calls == [2, 2]                       # forward and backward each in two halves
    monkeypatch.setattr(second_core, "usable", lambda: False)
    one = run()
    assert calls == [2, 2, 1, 1]
    for a, b_ in zip(split, one):
        np.testing.assert_array_equal(a, b_)


@needs_two_cores
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_starts_its_own_worker():
    second_core.run(lambda lo, hi: hi, [(0, 1), (1, 2)])       # the parent's worker exists
    pid = os.fork()
    if pid == 0:        # the child: its halves must finish (exit 0), not wait on a dead thread
        try:
            os._exit(0 if second_core.run(lambda lo, hi: hi, [(0, 1), (1, 2)]) == [1, 2] else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child's split run did not finish in 30 s")
