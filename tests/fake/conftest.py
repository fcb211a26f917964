"""Live fake servers on 127.0.0.1 (uvicorn in a background thread) and clients whose every
exchange is checked against the spec with the contract engine."""

from __future__ import annotations

import importlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from generator.contract import Contract
from generator.fake.app import SHIPPED, build_app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token"


@pytest.fixture(scope="session")
def generated() -> Iterator[tuple[Any, Any]]:
    """The shipped generated packages (clients for the tests)."""
    sys.path.insert(0, str(ROOT / "generated"))
    try:
        yield (
            importlib.import_module("zuora_quickstart"),
            importlib.import_module("zuora_v1"),
        )
    finally:
        sys.path.remove(str(ROOT / "generated"))


@pytest.fixture(scope="session")
def contracts() -> dict[str, Contract]:
    return {style: Contract.load(path) for style, path in SHIPPED.items()}


class LiveServer:
    """uvicorn serving `app` in a background thread on a free port of 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        self.app = app
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
        if getattr(self.app.state, "fake_store", None) is not None:
            self.app.state.fake_store.close()


class Checked:
    """Collects contract findings of every exchange made through `hook`."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.findings: list[str] = []
        self.count = 0

    def check(self, response: httpx.Response) -> None:
        response.read()
        result = self.contract.check_httpx(response.request, response)
        self.count += 1
        for finding in result.findings:
            if finding.location == "request":
                continue  # tests send bad requests on purpose; the answers must still conform
            self.findings.append(
                f"{response.request.method} {response.request.url} -> "
                f"{response.status_code}: {finding}"
            )


@pytest.fixture
def serve(contracts: dict[str, Contract], tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """serve(style, **build_app options) -> (live server, checked httpx.Client factory)."""
    opened: list[tuple[LiveServer, list[httpx.Client]]] = []
    checkers: list[Checked] = []

    def start(style: str, **options: Any) -> Fake:
        options.setdefault("db", tmp_path / f"{style}-{len(opened)}.db")
        app = build_app(SHIPPED[style], style, **options)  # type: ignore[arg-type]
        live = LiveServer(app).__enter__()
        checked = Checked(contracts[style])
        checkers.append(checked)
        clients: list[httpx.Client] = []
        opened.append((live, clients))
        return Fake(live, checked, clients)

    yield start
    for live, clients in opened:
        for client in clients:
            client.close()
        live.__exit__()
    problems = [f for c in checkers for f in c.findings]
    assert not problems, "\n".join(problems)


class Fake:
    def __init__(self, live: LiveServer, checked: Checked, clients: list[httpx.Client]) -> None:
        self.live = live
        self.url = live.url
        self.checked = checked
        self._clients = clients

    def http(self, token: str | None = TOKEN, **headers: str) -> httpx.Client:
        """A raw httpx client whose every exchange is contract-checked."""
        base = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(
            base_url=self.url,
            headers={**base, **headers},
            event_hooks={"response": [self.checked.check]},
            timeout=10,
        )
        self._clients.append(client)
        return client

    def client(self, package: Any, token: str = TOKEN, **options: Any) -> Any:
        """The generated client of `package`, over a contract-checked httpx client."""
        http = httpx.Client(event_hooks={"response": [self.checked.check]}, timeout=10)
        self._clients.append(http)
        return package.Client(self.url, token=token, http_client=http, max_retries=0, **options)
