#!/usr/bin/env python3
"""Set up deltaw's environment and run its main job or its tests.

    python3 dev.py demo     # train the seed network on the shipped breast cancer set
    python3 dev.py test     # run the whole test suite
    python3 dev.py examples # list the shipped examples (python3 dev.py example NAME runs one)

Creates (or reuses) a virtual environment in .venv and installs deltaw into it with its test
dependencies. Needs only Python 3.10+ and access to PyPI.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".deltaw-installed"


def _requirements_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    """Create .venv and install deltaw[test] unless pyproject.toml is unchanged since last time."""
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py itself may be run by an older python3
        sys.exit(f"dev.py: deltaw needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"dev.py: creating a virtual environment in {VENV}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # ensurepip missing on some distributions
            sys.exit(f"dev.py: could not create {VENV} ({exc}). Hint: install your distribution's "
                     "python3-venv package.")
    if STAMP.exists() and STAMP.read_text() == _requirements_hash():
        return
    print("dev.py: installing deltaw and its test dependencies into .venv (a few minutes the "
          "first time)", flush=True)
    pip_install("--upgrade", "pip")
    pip_install("-e", f"{ROOT}[test]")
    STAMP.write_text(_requirements_hash())


def pip_install(*args) -> None:
    """pip install, its output shown only when it fails (a machine's pip configuration can
    print pages of warnings that say nothing about deltaw)."""
    done = subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", *args], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"dev.py: pip install {' '.join(args)} failed (exit {done.returncode}); "
                 "its output is above.")


def run(cmd, **kwargs) -> int:
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT, **kwargs)
    if code:
        sys.exit(code)
    return code


def main(argv: list[str]) -> None:
    command, rest = (argv[0], argv[1:]) if argv else ("demo", [])
    ensure_environment()
    if command == "demo":
        run([PYTHON, "-m", "deltaw.examples.breast_cancer", *rest])
    elif command == "test":
        # Tests time nothing; one BLAS thread per process avoids oversubscribing small machines.
        env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **os.environ}
        run([PYTHON, "-m", "pytest", "tests", *rest], env=env)
    elif command == "examples":
        run([PYTHON, "-m", "deltaw.examples", *rest])
    elif command == "example":
        run([PYTHON, "-m", "deltaw.examples", *rest])
    else:
        sys.exit(f"dev.py: unknown command {command!r}; expected demo, test, examples or example.")


if __name__ == "__main__":
    main(sys.argv[1:])
