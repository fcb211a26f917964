#!/usr/bin/env python3
"""Set up `.venv` and run the main job or the test suite. Needs only Python 3.11+ and pip.

    python3 dev.py run     # create/update .venv, lint every spec, regenerate generated/
    python3 dev.py test    # create/update .venv, then run the whole test suite

The install step is skipped while pyproject.toml is unchanged since the last one.
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
STAMP = VENV / ".apicontract-installed"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may run on an older python3
        sys.exit(f"Python 3.11 or newer is required (this is {sys.version.split()[0]})")
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    print("installing apicontract and its test dependencies into .venv", flush=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[test]",
        ],
        check=True,
    )
    STAMP.write_text(wanted + "\n")


def run(*args: str) -> int:
    return subprocess.call([str(PYTHON), *args], cwd=ROOT)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in ("run", "test"):
        print(__doc__)
        return 2
    try:
        ensure_venv()
    except subprocess.CalledProcessError as exc:
        print(f"installation failed (exit {exc.returncode})", file=sys.stderr)
        return 2
    if command == "run":
        return run("-m", "generator", "lint") or run("-m", "generator", "generate")
    return run("-m", "pytest", *sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
