"""Shared test helpers: the real CLI in a subprocess, with an isolated cache."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


class LiveServer:
    """uvicorn serving `app` in a background thread on a free port of 127.0.0.1; `on_close`
    runs after it stops (to close what the app holds, such as a database)."""

    def __init__(self, app: Any, on_close: Callable[[], None] | None = None) -> None:
        import uvicorn

        self.app = app
        self.on_close = on_close
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
        if self.on_close is not None:
            self.on_close()
