"""The breast cancer MLP trained on 2 MPI ranks: the same test accuracy as one process.

Runs the seed example (breast_cancer.py) once in this process, then launches
`mpiexec -n 2 python -m deltaw.examples.distributed --rank` where each rank sets Keras'
`DataParallel` distribution and runs the same program: every global batch of 32 rows is split
16/16 between the ranks, their gradients are averaged in one allreduce, and the two trainings
end with the same weights up to float32 rounding. Needs `pip install deltaw[mpi]`.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

RANKS = 2


def _mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("deltaw.examples.distributed: no mpiexec found next to this Python or on PATH; "
                 "install it with `pip install deltaw[mpi]` (mpi4py and the mpich wheel).")
    return found


def rank_main() -> None:
    """One rank of the launch: the seed example under DataParallel; rank 0 alone prints."""
    from deltaw import distributed
    from deltaw.examples import breast_cancer
    from deltaw.keras import distribution

    distribution.set_distribution(distribution.DataParallel())
    quiet = distributed.rank() != 0
    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
        accuracy = breast_cancer.main(verbose=0)
    if not quiet:
        print(f"ACCURACY {accuracy!r}", flush=True)


def main() -> None:
    from deltaw.examples import breast_cancer

    print("1 process:", flush=True)
    with contextlib.redirect_stdout(io.StringIO()):
        single = breast_cancer.main(verbose=0)
    print(f"  test accuracy {single:.4f}", flush=True)
    print(f"{RANKS} MPI ranks (mpiexec -n {RANKS}), each on its half of every batch of 32:",
          flush=True)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([_mpiexec(), "-n", str(RANKS), sys.executable, "-m",
                           "deltaw.examples.distributed", "--rank"], env=env,
                          capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("ACCURACY ")]
    if proc.returncode or not lines:
        sys.exit(f"deltaw.examples.distributed: the MPI run failed (exit {proc.returncode}):\n"
                 f"{proc.stdout}{proc.stderr}")
    parallel = float(lines[0].split()[1])
    print(f"  test accuracy {parallel:.4f}")
    verdict = "the same" if parallel == single else "DIFFERENT"
    print(f"{verdict} test accuracy on {RANKS} ranks as on 1 process.")


if __name__ == "__main__":
    rank_main() if "--rank" in sys.argv[1:] else main()
