"""keep_freed_memory: applied once, never against the user's own allocator settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deltaw import host_memory

PROBE = ("import deltaw.host_memory as m; first = m.keep_freed_memory(); "
         "print(first); assert m.keep_freed_memory() is first")


def probe(**env):
    full = {k: v for k, v in os.environ.items()
            if k not in host_memory._USER_SETTINGS and k != "DELTAW_SYSTEM_MALLOC"}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_opt_out_leaves_the_allocator_alone():
    assert probe(DELTAW_SYSTEM_MALLOC="1") == "unchanged: DELTAW_SYSTEM_MALLOC is set"


def test_user_settings_win():
    assert probe(MALLOC_TRIM_THRESHOLD_="131072") == (
        "unchanged: the user set MALLOC_TRIM_THRESHOLD_")


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's mallopt is Linux-only")
def test_applied_on_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert probe() == ("glibc keeps freed memory: mmap threshold 32 MiB, "
                       "trim threshold 256 MiB")


def test_fit_applies_it():
    code = ("import numpy as np, deltaw.host_memory as m\n"
            "from deltaw.keras import layers, models\n"
            "assert m._state is None\n"
            "model = models.Sequential([layers.Dense(1, input_shape=(2,))])\n"
            "model.compile(optimizer='sgd', loss='mse')\n"
            "model.fit(np.zeros((4, 2), 'float32'), np.zeros((4, 1), 'float32'), verbose=0)\n"
            "print(m._state is not None)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"
