"""Data-parallel training under the mpich wheel's mpiexec (issue 14).

Each launch runs a script of scripts/ on N ranks (oversubscribing the cores is fine) and checks
what every rank printed: ranks bitwise identical, N ranks equal to one rank up to float32
rounding (SGD with momentum and Adam, with and without shuffling), global logs and predictions,
one progress bar, files written by rank 0 only, clear errors on bad input, and faults ending the
job instead of hanging it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="the MPI tests need mpi4py (pip install deltaw[mpi])")
MPIEXEC = Path(sys.executable).parent / "mpiexec"
if not MPIEXEC.exists():
    pytest.skip(f"no mpiexec next to {sys.executable} (pip install mpich)",
                allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
RUNS = ("sgd_ordered", "sgd_shuffle", "adam_ordered", "adam_shuffle")


def launch(n, script, *args, timeout=120, env=None):
    """`(returncode, stdout, stderr, seconds)` of `mpiexec -n n python scripts/<script>`."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
                   "OMP_NUM_THREADS": "1", **(env or {})}
    environment.pop("DELTAW_MPI", None)
    start = time.monotonic()
    proc = subprocess.run([str(MPIEXEC), "-n", str(n), sys.executable, str(SCRIPTS / script),
                           *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=environment, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Rank count -> (the ranks' results in rank order, stdout, output directory)."""
    out = {}
    for n in (1, 2, 3, 4):
        folder = tmp_path_factory.mktemp(f"ranks{n}")
        code, stdout, stderr, _ = launch(n, "train_check.py", folder)
        assert code == 0, stderr[-3000:]
        results = [json.loads((folder / f"result_rank{r}.json").read_text()) for r in range(n)]
        assert [r["rank"] for r in results] == list(range(n))
        out[n] = (results, stdout, folder)
    return out


@pytest.mark.parametrize("n", [2, 3, 4])
def test_ranks_hold_bitwise_identical_weights_and_logs(trained, n):
    results = trained[n][0]
    for run in RUNS:
        first = results[0][run]
        for other in results[1:]:
            assert other[run]["hash"] == first["hash"], (run, other["rank"])
            assert other[run]["history"] == first["history"], (run, other["rank"])
            assert other[run]["evaluate"] == first["evaluate"]
            assert other[run]["predict"] == first["predict"]
    assert len({r["dropout"]["hash"] for r in results}) == 1
    assert len({r["bn_sync"]["hash"] for r in results}) == 1


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("run", RUNS)
def test_n_ranks_train_what_one_process_trains(trained, n, run):
    one, many = trained[1][0][0][run], trained[n][0][0][run]
    for a, b in zip(one["weights"], many["weights"], strict=True):
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-6)
    for key, values in one["history"].items():
        np.testing.assert_allclose(many["history"][key], values, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(many["evaluate"], one["evaluate"], rtol=2e-5, atol=1e-6)
    assert len(many["predict"]) == 100            # every row, on every rank, in order
    np.testing.assert_allclose(many["predict"], one["predict"], rtol=2e-5, atol=1e-6)
    assert many["replayed"]                       # fit's compiled step ran under distribution
    # the model learns the task: training accuracy of the last epoch
    assert many["history"]["accuracy"][-1] >= 0.85


@pytest.mark.parametrize("n", [2, 3, 4])
def test_synchronized_batch_norm_uses_the_global_batch(trained, n):
    one, many = trained[1][0][0], trained[n][0][0]
    for a, b in zip(one["bn_sync"]["weights"], many["bn_sync"]["weights"], strict=True):
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-6)
    # the default (each rank's own rows) trains other weights: the check above has teeth
    local = np.concatenate(many["bn_local"]["weights"])
    assert np.abs(local - np.concatenate(one["bn_local"]["weights"])).max() > 1e-3


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_backup_and_restore_resumes_on_every_rank(trained, n):
    results = trained[n][0]
    for r in results:
        for case in ("resume", "resume_mid_epoch"):
            assert r[case]["resumed"] == r[case]["straight"]                # bit for bit
            for key, values in r[case]["straight_history"].items():        # global logs too
                np.testing.assert_allclose(r[case]["history"][key], values, rtol=1e-12)
    assert len({r["resume"]["resumed"] for r in results}) == 1
    assert not (trained[n][2] / "backup").exists()                           # deleted at the end


def test_collectives_and_devices(trained):
    for n in (1, 2, 3, 4):
        for r in trained[n][0]:
            c = r["collectives"]
            assert r["devices"] == [f"cpu:{k}" for k in range(n)]
            assert c["mean"] == [(n - 1) / 2, float(n - 1)]
            assert c["sum"] == n * (n + 1) // 2 and c["max"] == n - 1 and c["min"] == 0.0
            assert c["tensor"] == [(n + 1) / 2] * 3
            assert c["gather"] == [[k, k] for k in range(n) for _ in range(k + 1)]
            assert c["bcast"] == [0, 10, 20]


def test_dropout_masks_differ_between_ranks(trained):
    masks = [r["dropout"]["mask"] for r in trained[4][0]]
    assert len(set(masks)) == 4


def test_one_voice(trained):
    stdout, folder = trained[2][1], trained[2][2]
    assert stdout.count("Epoch 1/3") == 1                 # one progress bar
    assert stdout.count("Total params") == 1              # one summary
    written = sorted(p.name for p in folder.iterdir() if not p.name.startswith("result_"))
    assert written == ["ckpt_rank0.weights.h5", "log_rank0.csv"]
    rows = (folder / "log_rank0.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,accuracy,loss") and len(rows) == 4


@pytest.mark.parametrize("mode", ["raise", "early"])
def test_an_exception_on_one_rank_ends_the_job(mode):
    code, stdout, stderr, seconds = launch(3, "crash.py", mode, timeout=60)
    assert code != 0
    assert "deltaw.distributed: uncaught exception on rank 1; ending the job" in stderr
    message = "early boom on rank 1" if mode == "early" else "boom on rank 1"
    assert "Traceback" in stderr and f"RuntimeError: {message}" in stderr
    assert seconds < 30


def test_a_custom_train_step_without_averaging_is_caught(tmp_path):
    code, _, stderr, _ = launch(2, "custom_step.py", tmp_path, timeout=60)
    assert code == 0, stderr[-3000:]
    for r in range(2):
        forgot, averaged = (tmp_path / f"custom_rank{r}.txt").read_text().splitlines()
        assert forgot.startswith("fit: after epoch 1 rank 1's trainable weights differ from "
                                 "rank 0's")
        assert averaged == "trained"


def test_a_killed_rank_ends_the_job():
    code, stdout, stderr, seconds = launch(3, "crash.py", "kill", timeout=60)  # mpiexec's work
    assert code != 0 and "Killed" in stdout + stderr
    assert seconds < 30


def test_bad_input_is_a_clear_error_on_every_rank_and_a_stall_ends_the_job(tmp_path):
    code, stdout, stderr, seconds = launch(3, "mismatch.py", tmp_path, timeout=90,
                                           env={"DELTAW_MPI_TIMEOUT": "3"})
    per_rank = [dict(line.split(" ", 1) for line in
                     (tmp_path / f"errors_rank{r}.txt").read_text().splitlines())
                for r in range(3)]
    assert sorted(per_rank[0]) == ["batch", "data", "last_batch", "predict", "variables"]
    assert per_rank[1] == per_rank[0] and per_rank[2] == per_rank[0]   # the same on every rank
    errors = {case: [message] for case, message in per_rank[0].items()}
    assert "fit: rank 1 differs from rank 0: variable #0 is 'kernel' (3, 5) float32" in \
        errors["variables"][0]
    assert "fit: rank 2 differs from rank 0: its data is" in errors["data"][0]
    assert "predict: rank 1 differs from rank 0: its data is" in errors["predict"][0]
    assert "a global batch of 2 rows cannot give each of the 3 ranks a row" in errors["batch"][0]
    assert "a global batch of 1 row cannot give each of the 3 ranks a row" in \
        errors["last_batch"][0]
    # rank 2 sleeps instead of reaching the barrier: the stall check names it and ends the job
    assert code != 0
    assert "did not arrive within DELTAW_MPI_TIMEOUT=3 s" in stderr
    assert "for rank(s) [2]" in stderr
    assert seconds < 40


def test_the_distributed_example_matches_one_process():
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "deltaw.examples", "distributed"],
                          capture_output=True, text=True, timeout=120, env=environment, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    accuracies = [float(line.split()[-1]) for line in proc.stdout.splitlines()
                  if line.strip().startswith("test accuracy")]
    assert len(accuracies) == 2 and accuracies[0] == accuracies[1] >= 0.95, proc.stdout
    assert "the same test accuracy on 2 ranks as on 1 process." in proc.stdout
