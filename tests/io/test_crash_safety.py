"""Crash safety: a writer SIGKILLed at random instants leaves the old file or the new one, whole.

A helper process (started with sys.executable) imports deltaw once, writes the two versions of a
file it will fight over to reference files, and then forks one writer per round, so each round
costs a fork instead of a fresh interpreter. Each writer saves the two versions alternately,
forever, to one target path: raw arrays through `deltaw.io.safetensors.save_file`, or two real
models through `model.save` and `model.save_weights` (all of them go through `atomic_write`). The
test SIGKILLs the writer after a random delay, waits until it is reaped, and checks that the
target equals one of the two versions byte for byte and loads, and that anything else in the
folder is one of atomic_write's temporary files, which no loader ever opens in the target's place.
"""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

import deltaw
from deltaw.io import is_temporary_file
from deltaw.io import safetensors as st

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"),
                                reason="needs POSIX fork and SIGKILL")

KILLS = 50
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(deltaw.__file__)))

# Each setup defines save_a(path) and save_b(path): two versions of different sizes and contents,
# so that a torn mix of the two could never pass for either.
ARRAYS = """
import numpy as np
from deltaw.io import safetensors as st

def version(tag):
    rng = np.random.default_rng(1 if tag == "A" else 2)
    n = 150_000 if tag == "A" else 230_000
    return {"weights/0000": rng.standard_normal(n).astype(np.float32),
            "weights/0001": rng.integers(0, 9, (tag == "A") + 7).astype(np.int64)}

a, b = version("A"), version("B")
save_a = lambda path: st.save_file(a, path, {"deltaw": '{"version": "A"}'})
save_b = lambda path: st.save_file(b, path, {"deltaw": '{"version": "B"}'})
"""

MODELS = """
import numpy as np
import deltaw as dw
from deltaw.keras import layers, models

def model(seed, width):
    dw.random.seed(seed)
    m = models.Sequential([layers.Input((200,)), layers.Dense(width), layers.Dense(200)])
    m.compile(optimizer="adam", loss="mse")
    x = np.ones((4, 200), np.float32)
    m.train_on_batch(x, x)
    return m

a, b = model(1, 300), model(2, 400)
save_a = lambda path: a.save(path)        # the whole model, with Adam's state
save_b = lambda path: b.save_weights(path)  # weights only
"""

HELPER = """
import os, sys, time
path, refs = sys.argv[1], sys.argv[2]
start = time.perf_counter()
suffix = os.path.splitext(path)[1]  # the same name as the target: '.keras' is Keras' zip
save_a(os.path.join(refs, "A" + suffix))
save_b(os.path.join(refs, "B" + suffix))
pair = time.perf_counter() - start  # how long one A-B round of saves takes
save_a(path)
print("ready", pair, flush=True)
for _ in sys.stdin:
    pid = os.fork()
    if pid == 0:  # the writer: B, A, B, A, ... until killed
        try:
            while True:
                save_b(path)
                save_a(path)
        finally:
            os._exit(1)
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


def check_loads(kind, target, tag):
    if kind == "arrays":
        assert st.load_file(target)[1] == {"deltaw": f'{{"version": "{tag}"}}'}
        return
    from deltaw.keras.models import load_model

    if tag == "A":
        assert load_model(target).optimizer is not None
    else:
        assert st.load_file(target)[0]["weights/0000"].shape == (200, 400)


@pytest.mark.parametrize("kind", ["arrays", "models"])
def test_sigkill_at_random_instants_leaves_a_whole_old_or_new_file(kind, tmp_path):
    folder, refs = tmp_path / "out", tmp_path / "refs"
    folder.mkdir()
    refs.mkdir()
    target = folder / "model.keras"
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = (ARRAYS if kind == "arrays" else MODELS) + HELPER
    start = time.perf_counter()
    helper = subprocess.Popen([sys.executable, "-c", code, str(target), str(refs)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                              cwd=tmp_path)
    rng = random.Random(0)
    seen = {"A": 0, "B": 0}
    torn_writes = 0  # kills that left a temporary file: the writer died mid-write
    try:
        ready, pair = helper.stdout.readline().split()
        assert ready == "ready"
        versions = {tag: (refs / (tag + target.suffix)).read_bytes() for tag in "AB"}
        assert len(versions["A"]) != len(versions["B"])
        for _ in range(KILLS):
            helper.stdin.write("go\n")
            helper.stdin.flush()
            pid = int(helper.stdout.readline())
            # somewhere within the first few rounds of saves (after fork, while writing, ...)
            time.sleep(rng.uniform(0, min(3 * float(pair), 0.1) + 0.002))
            os.kill(pid, signal.SIGKILL)
            assert helper.stdout.readline().strip() == "reaped"

            data = target.read_bytes()
            tag = next((t for t, v in versions.items() if v == data), None)
            assert tag is not None, f"a kill left a file that is neither version ({len(data)} B)"
            seen[tag] += 1
            check_loads(kind, target, tag)
            strays = [n for n in os.listdir(folder) if n != target.name]
            assert all(is_temporary_file(n, target) for n in strays), strays
            torn_writes += bool(strays)
            for name in strays:
                os.unlink(folder / name)
    finally:
        helper.kill()
        helper.wait()
        helper.stdin.close()
        helper.stdout.close()
    elapsed = time.perf_counter() - start
    print(f"\ncrash safety ({kind}): {KILLS} kills, final version A {seen['A']}x / B "
          f"{seen['B']}x, {torn_writes} kills mid-write, {elapsed:.1f} s")
    assert seen["B"] > 0, "no writer ever finished a save: the kills came too early to test"
    assert elapsed < 20
