#!/usr/bin/env python3
"""Set up `.venv` and run the main job or the test suite. Needs only Python 3.11+ and pip.

    python3 dev.py run     # create/update .venv, lint every spec, regenerate generated/
    python3 dev.py test    # create/update .venv, then run the whole test suite
    python3 dev.py lock    # re-resolve every dependency and rewrite requirements.lock

Installs go through `requirements.lock`, a pip constraints file holding every direct and
transitive dependency (runtime, test and optional extras) at an exact version, so every machine
resolves the same versions whatever its package index offers today. pyproject.toml keeps the
compatible ranges that `pip install apicontract` users get. The install step is skipped while
pyproject.toml and the lock are unchanged since the last one.

The HTML report is tested in a real headless Chromium. `dev.py test` looks for one
(APICONTRACT_CHROMIUM, then chromium / chromium-browser / google-chrome on PATH); when there is
none it installs Debian's `chromium` package if it can (apt-get as root, or passwordless
sudo), else Playwright's own build, and says so. If neither works, the browser tests fail with
a message saying what to install: they never pass or skip without a browser.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".apicontract-installed"
LOCK = ROOT / "requirements.lock"
#: the extras the lock covers (and `dev.py test` installs)
EXTRAS = "test"
PIP = ["-m", "pip", "--disable-pip-version-check"]


def _python_bin(folder: Path) -> Path:
    return folder / ("Scripts" if os.name == "nt" else "bin") / PYTHON.name


def _check_python() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may run on an older python3
        sys.exit(f"Python 3.11 or newer is required (this is {sys.version.split()[0]})")


def ensure_venv(extras: str) -> None:
    _check_python()
    if not LOCK.is_file():
        sys.exit(f"{LOCK.name} is missing: run `python3 dev.py lock` to create it")
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    hasher = hashlib.sha256()
    for part in ((ROOT / "pyproject.toml").read_bytes(), LOCK.read_bytes(), extras.encode()):
        hasher.update(hashlib.sha256(part).digest())
    wanted = hasher.hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    print(f"installing apicontract into .venv (versions from {LOCK.name})", flush=True)
    subprocess.run(
        [str(PYTHON), *PIP, "install", "--quiet", "-c", str(LOCK), "-e", target],
        check=True,
    )
    STAMP.write_text(wanted + "\n")


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    configured = os.environ.get("APICONTRACT_CHROMIUM")
    if configured:
        return configured
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _apt_prefix() -> list[str] | None:
    """How to run apt-get here without a password prompt, or None."""
    if shutil.which("apt-get") is None:
        return None
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return []
    if (
        shutil.which("sudo")
        and subprocess.call(["sudo", "-n", "true"], stderr=subprocess.DEVNULL) == 0
    ):
        return ["sudo", "-n"]
    return None


def ensure_browser() -> None:
    """A Chromium for the HTML report tests: found, else installed, else a loud warning."""
    if find_browser():
        return
    prefix = _apt_prefix()
    if prefix is not None:
        print(
            "no Chromium found: installing Debian's chromium for the HTML report tests "
            "(apt-get install -y chromium)",
            flush=True,
        )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [*prefix, "apt-get", "install", "-y", "-q", "chromium"]
        if subprocess.call(install, env=env) != 0:
            subprocess.call([*prefix, "apt-get", "update", "-q"], env=env)
            subprocess.call(install, env=env)
        if find_browser():
            return
    print(
        "no Chromium found: trying Playwright's own build (python -m playwright install chromium)",
        flush=True,
    )
    if subprocess.call([str(PYTHON), "-m", "playwright", "install", "chromium"]) == 0:
        return
    print(
        "WARNING: no Chromium could be installed; the HTML report tests will fail. Install "
        "one (Debian: apt-get install chromium) or set APICONTRACT_CHROMIUM=/path/to/chrome",
        file=sys.stderr,
        flush=True,
    )


def lock() -> int:
    """Resolve pyproject's ranges afresh in a throw-away environment and pin what pip chose."""
    _check_python()
    with tempfile.TemporaryDirectory(prefix="apicontract-lock-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.EnvBuilder(with_pip=True).create(env_dir)
        python = str(_python_bin(env_dir))
        print(f"resolving apicontract[{EXTRAS}] in a fresh environment", flush=True)
        subprocess.run([python, *PIP, "install", "--quiet", f"{ROOT}[{EXTRAS}]"], check=True)
        frozen = subprocess.run(
            [python, *PIP, "freeze", "--exclude-editable"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    pins = sorted(
        (line.strip() for line in frozen.splitlines() if "==" in line),
        key=lambda line: line.split("==")[0].lower(),
    )
    pins = [p for p in pins if p.split("==")[0].lower() != "apicontract"]
    header = (
        "# Every dependency of apicontract (runtime, test and extras) at an exact version.\n"
        "# A pip constraints file: dev.py installs with `pip install -c requirements.lock`.\n"
        "# Regenerate with `python3 dev.py lock`; never edit by hand.\n"
    )
    LOCK.write_text(header + "\n".join(pins) + "\n")
    print(f"wrote {LOCK.name}: {len(pins)} pinned packages")
    return 0


def run(*args: str) -> int:
    return subprocess.call([str(PYTHON), *args], cwd=ROOT)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in ("run", "test", "lock"):
        print(__doc__)
        return 2
    try:
        if command == "lock":
            return lock()
        ensure_venv(EXTRAS if command == "test" else "")
    except subprocess.CalledProcessError as exc:
        print(f"installation failed (exit {exc.returncode})", file=sys.stderr)
        return 2
    if command == "run":
        return run("-m", "generator", "lint") or run("-m", "generator", "generate")
    ensure_browser()
    return run("-m", "pytest", *sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
