"""A harness for the two static runtimes: both copied into a throw-away package and imported
from there (as a generated package would hold them), and a FastAPI app built by the server
runtime from hand-written operation data, served by uvicorn on 127.0.0.1, that records what
each handler received and what came over the wire."""

from __future__ import annotations

import importlib
import logging
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import LiveServer

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "runtime"
PACKAGE = f"rtboth_{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Runtimes:
    client: ModuleType
    server: ModuleType


@pytest.fixture(scope="session")
def runtimes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtimes]:
    root = tmp_path_factory.mktemp("runtimes")
    package = root / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("_runtime.py", "_server_runtime.py"):
        shutil.copy(TEMPLATES / name, package / name)
    sys.path.insert(0, str(root))
    try:
        yield Runtimes(
            importlib.import_module(f"{PACKAGE}._runtime"),
            importlib.import_module(f"{PACKAGE}._server_runtime"),
        )
    finally:
        sys.path.remove(str(root))


@dataclass
class Seen:
    """What one request brought: the raw wire (ASGI scope) and the handler's parsed request."""

    raw_path: str
    query_string: str
    headers: list[tuple[str, str]]
    request: dict[str, Any] | None = None

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]


@dataclass
class Harness:
    """A live server for a set of operations plus a client class bound to it."""

    url: str
    seen: list[Seen] = field(default_factory=list)

    def last(self) -> Seen:
        assert self.seen, "the server saw no request"
        return self.seen[-1]


def error_body(
    status: int, problems: Sequence[Any], code: str | int | None = None
) -> dict[str, Any]:
    return {
        "errors": [
            {"code": code or p.code, "message": p.message, "parameter": p.parameter}
            for p in problems
        ]
    }


def build_spec(srt: ModuleType, operations: Sequence[Any]) -> Any:
    return srt.ServerSpec(
        title="runtime harness",
        version="1",
        bearer_auth=False,
        invalid_request_status=400,
        too_large_status=413,
        success_flag=None,
        idempotency_header=None,
        track_id_header=None,
        request_id_header=None,
        entity_header=None,
        error_body=error_body,
        operations=tuple(operations),
        logger=logging.getLogger("tests.runtime.harness"),
    )


def operation(
    srt: ModuleType,
    operation_id: str,
    method: str,
    path: str,
    *,
    params: Sequence[Any] = (),
    body: Any = None,
    answer: Callable[[dict[str, Any]], object] | None = None,
    responses: Mapping[str, Any] | None = None,
    media_types: Mapping[str, str] | None = None,
    harness: Harness,
) -> Any:
    """An operation whose handler records the parsed request (the request class is `dict`)
    and answers `answer(request)` (default: no body)."""

    async def call(handlers: object, request: dict[str, Any]) -> object:
        harness.seen[-1].request = request
        return None if answer is None else answer(request)

    return srt.Operation(
        operation_id,
        method,
        path,
        dict,
        call,
        params=tuple(params),
        body=body,
        responses=dict(responses or {"200": None}),
        media_types=dict(media_types or {}),
    )


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[[Any, Harness], Harness]]:
    """Serve an app on 127.0.0.1 (recording each request's raw wire into the harness) until
    the module's tests are done."""
    servers: list[LiveServer] = []

    def start(app: Any, harness: Harness) -> Harness:
        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                harness.seen.append(
                    Seen(
                        raw_path=scope["raw_path"].decode("latin-1"),
                        query_string=scope["query_string"].decode("latin-1"),
                        headers=[
                            (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                        ],
                    )
                )
            await app(scope, receive, send)

        live = LiveServer(recording)
        live.__enter__()
        servers.append(live)
        harness.url = live.url
        return harness

    yield start
    for live in servers:
        live.__exit__(None, None, None)


def client_class(rt: ModuleType) -> type[Any]:
    return type("HarnessClient", (rt.BaseClient,), {"_idempotency_header": None})


def async_client_class(rt: ModuleType) -> type[Any]:
    return type("AsyncHarnessClient", (rt.AsyncBaseClient,), {"_idempotency_header": None})
