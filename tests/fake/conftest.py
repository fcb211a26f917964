"""Live fake servers on 127.0.0.1 (uvicorn in a background thread) and clients whose every
exchange is checked against the spec with the contract engine."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.contract import Contract
from generator.fake.app import SHIPPED, build_app
from tests.conftest import LiveServer as SharedLiveServer

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


class LiveServer(SharedLiveServer):
    """The shared live server, closing the fake's SQLite store once uvicorn has stopped."""

    def __init__(self, app: Any) -> None:
        store = getattr(app.state, "fake_store", None)
        super().__init__(app, on_close=store.close if store is not None else None)


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
