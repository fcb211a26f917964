"""Shared test helpers: the real CLI in a subprocess, with an isolated cache."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*/fulfillments.yaml"))

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def cli(cache_dir: Path) -> CliRunner:
    """Run `python -m generator ARGS...` as a user would; returns the completed process."""

    def run(
        *args: str | Path,
        cwd: Path | None = None,
        stdin: str | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "APICONTRACT_CACHE_DIR": str(cache_dir), "NO_COLOR": "1"}
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "generator", *map(str, args)],
            cwd=cwd or ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment,
        )

    return run
