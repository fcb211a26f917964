"""Tests of the client runtime (templates/runtime/_runtime.py) against a real local HTTP server.

The runtime is copied into a throw-away package, imported from there (as a generated package
would), and exercised sync and async over real sockets. A scripted server answers from a queue
of canned responses and records every request.
"""

from __future__ import annotations

import ast
import asyncio
import gzip
import importlib
import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pydantic
import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "templates" / "runtime" / "_runtime.py"

# ----------------------------------------------------------------------------------------------
# Scripted HTTP server
# ----------------------------------------------------------------------------------------------

_UNSET: Any = object()


@dataclass
class Canned:
    status: int = 200
    json: Any = _UNSET
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    drop: bool = False  # close the connection without answering


@dataclass
class Recorded:
    method: str
    raw_path: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        data = self.body
        if self.headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return json.loads(data)


class ScriptedServer:
    def __init__(self) -> None:
        self.script: deque[Canned] = deque()
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                with server.lock:
                    server.requests.append(
                        Recorded(
                            method=self.command,
                            raw_path=self.path,
                            path=split.path,
                            query=parse_qsl(split.query, keep_blank_values=True),
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                        )
                    )
                    canned = server.script.popleft() if server.script else None
                if canned is None:
                    canned = Canned(status=418, body=b"no canned response left")
                if canned.drop:
                    self.close_connection = True
                    return
                payload = canned.body
                headers = dict(canned.headers)
                if canned.json is not _UNSET:
                    payload = json.dumps(canned.json).encode()
                    headers.setdefault("Content-Type", "application/json")
                if canned.gzip:
                    payload = gzip.compress(payload)
                    headers["Content-Encoding"] = "gzip"
                self.send_response(canned.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *canned: Canned) -> None:
        with self.lock:
            self.script.extend(canned)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    try:
        yield srv
    finally:
        srv.close()


# ----------------------------------------------------------------------------------------------
# The runtime, imported from a temporary package like a generated client would
# ----------------------------------------------------------------------------------------------

PKG = f"rtpkg_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def pkg_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runtime")
    pkg = root / PKG
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    shutil.copy(RUNTIME, pkg / "_runtime.py")
    return root


@pytest.fixture(scope="module")
def rt(pkg_dir: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(pkg_dir))
    try:
        yield importlib.import_module(f"{PKG}._runtime")
    finally:
        sys.path.remove(str(pkg_dir))


class Fulfillment(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    id: str
    order_line_item_id: str | None = pydantic.Field(default=None, alias="orderLineItemId")
    quantity: int | None = None


class AsyncAccepted(pydantic.BaseModel):
    job_id: str
    status: str


class Account(pydantic.BaseModel):
    id: str


class AccountPage(pydantic.BaseModel):
    data: list[Account] | None = None
    next_page: str | None = None


@pytest.fixture(scope="module")
def clients(rt: ModuleType) -> tuple[type[Any], type[Any]]:
    settings = {
        "_servers": {"production": "https://prod.invalid", "sandbox": "https://sandbox.invalid"},
        "_default_server": "production",
        "_success_flag": "success",
        "_retryable_flag": "retryable",
        "_idempotency_header": "Idempotency-Key",
        "_track_id_header": "Zuora-Track-Id",
        "_request_id_header": "Zuora-Request-Id",
        "_accepted_model": AsyncAccepted,
    }
    sync_cls = type("Client", (rt.BaseClient,), dict(settings))
    async_cls = type("AsyncClient", (rt.AsyncBaseClient,), dict(settings))
    return sync_cls, async_cls


@pytest.fixture
def make_client(clients: tuple[type[Any], type[Any]], server: ScriptedServer) -> Iterator[Any]:
    """Build a sync client on the scripted server whose sleeps are recorded, not slept."""
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", server.url)
        client = clients[0](**kwargs)
        client.delays = []
        client._sleep = client.delays.append
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def make_async(clients: tuple[type[Any], type[Any]], **kwargs: Any) -> Any:
    client = clients[1](**kwargs)
    client.delays = []

    async def record(seconds: float) -> None:
        client.delays.append(seconds)

    client._sleep = record
    return client


FULFILLMENT_RESPONSES = {201: Fulfillment, 202: AsyncAccepted, 204: None}


def create(client: Any, **kwargs: Any) -> Any:
    params: dict[str, Any] = {
        "path_params": {"fulfillment_id": "F-1"},
        "body": Fulfillment(id="F-1", quantity=2),
        "responses": FULFILLMENT_RESPONSES,
        "idempotent": False,
        "operation_id": "createFulfillment",
    }
    params.update(kwargs)
    return client._request("POST", "/fulfillments/{fulfillment_id}", **params)


def get(client: Any, **kwargs: Any) -> Any:
    params: dict[str, Any] = {"responses": {200: Fulfillment}, "operation_id": "getFulfillment"}
    params.update(kwargs)
    return client._request("GET", "/fulfillments/F-1", **params)


# ----------------------------------------------------------------------------------------------
# Configuration, URL, query, headers
# ----------------------------------------------------------------------------------------------


def test_server_presets_and_base_url(clients: tuple[type[Any], type[Any]]) -> None:
    cls = clients[0]
    with cls() as c:
        assert c.base_url == "https://prod.invalid"
    with cls(server="sandbox") as c:
        assert c.base_url == "https://sandbox.invalid"
    with cls("https://custom.invalid/v1/", server="sandbox") as c:
        assert c.base_url == "https://custom.invalid/v1"
    with pytest.raises(ValueError, match="'production', 'sandbox'"):
        cls(server="staging")


def test_get_parses_model_and_sends_defaults(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(json={"id": "F-1", "orderLineItemId": "OLI-9"}))
    client = make_client(token="static-token", default_headers={"X-App": "demo"})
    result = get(client)
    assert result == Fulfillment(id="F-1", order_line_item_id="OLI-9")
    (req,) = server.requests
    assert req.method == "GET"
    assert req.path == "/fulfillments/F-1"
    assert req.headers["authorization"] == "Bearer static-token"
    assert req.headers["accept"] == "application/json"
    assert req.headers["accept-encoding"] == "gzip"
    assert req.headers["x-app"] == "demo"
    assert "idempotency-key" not in req.headers  # GET is idempotent: no key needed
    assert "content-type" not in req.headers
    assert req.body == b""


def test_callable_token_is_called_per_attempt(make_client: Any, server: ScriptedServer) -> None:
    tokens = iter(["tok-1", "tok-2", "tok-3"])
    server.push(Canned(status=503), Canned(json={"id": "F-1"}))
    client = make_client(token=lambda: next(tokens))
    assert get(client).id == "F-1"
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


def test_query_encoding(make_client: Any, server: ScriptedServer, rt: ModuleType) -> None:
    server.push(Canned(json={"id": "F-1"}))
    client = make_client()
    get(
        client,
        query={
            "fields[]": ["id", "state"],
            "page_size": 10,
            "flag": True,
            "other": False,
            "skipped": None,
            "text": "a b&c=d/é",
        },
    )
    (req,) = server.requests
    assert req.query == [
        ("fields[]", "id"),
        ("fields[]", "state"),
        ("page_size", "10"),
        ("flag", "true"),
        ("other", "false"),
        ("text", "a b&c=d/é"),
    ]
    assert "fields[]=id&fields[]=state" in req.raw_path  # brackets kept verbatim
    assert rt.encode_query({"a[]": [1, 2], "b": None, "c": True}) == [
        ("a[]", "1"),
        ("a[]", "2"),
        ("c", "true"),
    ]
    assert rt.encode_query(None) == []


def test_path_params_are_one_segment(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=204), Canned(status=204))
    client = make_client()
    for value in ("a/../b", ".."):
        client._request(
            "DELETE",
            "/fulfillments/{fulfillment_id}/items",
            path_params={"fulfillment_id": value},
            responses={204: None},
        )
    first, second = server.requests
    assert first.raw_path == "/fulfillments/a%2F..%2Fb/items"
    assert second.raw_path == "/fulfillments/%2E%2E/items"


def test_build_url_helpers(rt: ModuleType) -> None:
    assert (
        rt.build_url("https://h/v1/", "/x/{id}", {"id": "a b?"}, {"q": ["1", "2"]})
        == "https://h/v1/x/a%20b%3F?q=1&q=2"
    )
    with pytest.raises(ValueError, match="missing path parameter"):
        rt.build_url("https://h", "/x/{id}", {})
    with pytest.raises(ValueError, match="empty"):
        rt.build_url("https://h", "/x/{id}", {"id": ""})


def test_headers_none_dropped_bools_lowercased(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(json={"id": "F-1"}))
    client = make_client()
    get(client, headers={"async": True, "x-none": None, "x-num": 3})
    (req,) = server.requests
    assert req.headers["async"] == "true"
    assert req.headers["x-num"] == "3"
    assert "x-none" not in req.headers


# ----------------------------------------------------------------------------------------------
# Bodies and gzip
# ----------------------------------------------------------------------------------------------


def test_json_body_by_alias_exclude_unset(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=201, json={"id": "F-1"}))
    client = make_client()
    body = Fulfillment(id="F-é", order_line_item_id="OLI-1")
    assert create(client, body=body) == Fulfillment(id="F-1")
    (req,) = server.requests
    assert req.headers["content-type"].startswith("application/json")
    assert req.body == '{"id":"F-é","orderLineItemId":"OLI-1"}'.encode()
    assert "content-encoding" not in req.headers


def test_dict_body_with_nested_model(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=201, json={"id": "F-1"}))
    client = make_client()
    create(client, body={"items": [Fulfillment(id="x")], "n": 1})
    assert server.requests[0].json() == {"items": [{"id": "x"}], "n": 1}


def test_gzip_request_and_response(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=201, json={"id": "F-2", "quantity": 5}, gzip=True))
    client = make_client(gzip_requests=True)
    result = create(client, body=Fulfillment(id="F-2", quantity=5))
    assert result == Fulfillment(id="F-2", quantity=5)
    (req,) = server.requests
    assert req.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(req.body)) == {"id": "F-2", "quantity": 5}


def test_accept_gzip_off(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(json={"id": "F-1"}))
    get(make_client(accept_gzip=False))
    assert server.requests[0].headers["accept-encoding"] == "identity"


# ----------------------------------------------------------------------------------------------
# Retries
# ----------------------------------------------------------------------------------------------


def test_retry_503_with_retry_after(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=503, headers={"Retry-After": "1"}), Canned(json={"id": "F-1"}))
    client = make_client()
    assert get(client).id == "F-1"
    assert client.delays == [1.0]
    assert len(server.requests) == 2


def test_retry_after_http_date_and_cap(rt: ModuleType) -> None:
    now = time.time()
    date = formatdate(now + 30, usegmt=True)
    delay = rt.retry_after_delay(httpx.Headers({"Retry-After": date}), now=lambda: now)
    assert 28 <= delay <= 31
    assert rt.retry_after_delay(httpx.Headers({"Retry-After": "3600"})) == 60.0
    assert rt.retry_after_delay(httpx.Headers({"RateLimit-Reset": "7"})) == 7.0
    assert rt.retry_after_delay(httpx.Headers({"Retry-After": "soon"})) is None
    assert rt.retry_after_delay(httpx.Headers({})) is None


def test_retry_429_with_ratelimit_reset(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=429, headers={"RateLimit-Reset": "2"}), Canned(json={"id": "F-1"}))
    client = make_client()
    assert get(client).id == "F-1"
    assert client.delays == [2.0]


def test_backoff_is_exponential_with_full_jitter(rt: ModuleType) -> None:
    assert rt.backoff_delay(0, rand=lambda: 1.0) == 0.5
    assert rt.backoff_delay(1, rand=lambda: 1.0) == 1.0
    assert rt.backoff_delay(3, rand=lambda: 1.0) == 4.0
    assert rt.backoff_delay(10, rand=lambda: 1.0) == 8.0  # capped
    assert rt.backoff_delay(5, rand=lambda: 0.0) == 0.0
    assert all(0 <= rt.backoff_delay(2) <= 2.0 for _ in range(50))


def test_retry_on_dropped_connection(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(drop=True), Canned(drop=True), Canned(json={"id": "F-1"}))
    client = make_client()
    assert get(client).id == "F-1"
    assert len(server.requests) == 3
    assert len(client.delays) == 2
    assert 0 <= client.delays[0] <= 0.5 and 0 <= client.delays[1] <= 1.0


def test_connection_error_after_retries(make_client: Any, server: ScriptedServer, rt: Any) -> None:
    server.push(Canned(drop=True), Canned(drop=True), Canned(drop=True))
    client = make_client()
    with pytest.raises(rt.ApiConnectionError) as info:
        get(client)
    assert isinstance(info.value.__cause__, httpx.TransportError)
    assert "getFulfillment" in str(info.value) and "3 attempts" in str(info.value)
    assert len(server.requests) == 3


def test_timeout_raises_api_timeout_error(clients: Any, rt: ModuleType) -> None:
    def handler(request: Any) -> Any:
        raise httpx.ReadTimeout("slow", request=request)

    transport = httpx.MockTransport(handler)
    client = clients[0]("https://h.invalid", http_client=httpx.Client(transport=transport))
    client._sleep = lambda s: None
    with pytest.raises(rt.ApiTimeoutError) as info:
        get(client)
    assert isinstance(info.value, rt.ApiConnectionError)


def test_post_auto_idempotency_key_reused(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=503), Canned(drop=True), Canned(status=201, json={"id": "F-1"}))
    client = make_client()
    assert create(client).id == "F-1"
    keys = [r.headers.get("idempotency-key") for r in server.requests]
    assert len(keys) == 3 and keys[0] is not None and len(set(keys)) == 1
    uuid.UUID(keys[0])
    # a new logical call gets a new key
    server.push(Canned(status=201, json={"id": "F-2"}))
    create(client)
    assert server.requests[-1].headers["idempotency-key"] != keys[0]


def test_post_caller_key_reused(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=500), Canned(status=201, json={"id": "F-1"}))
    client = make_client()
    create(client, idempotency_key="my-key-1")
    assert [r.headers["idempotency-key"] for r in server.requests] == ["my-key-1", "my-key-1"]


def test_post_without_key_is_never_retried(
    make_client: Any, server: ScriptedServer, rt: Any
) -> None:
    server.push(Canned(status=503), Canned(status=201, json={"id": "F-1"}))
    client = make_client()
    with pytest.raises(rt.InternalServerError):
        create(client, auto_idempotency_key=False)
    assert len(server.requests) == 1
    assert "idempotency-key" not in server.requests[0].headers

    server.script.clear()  # drop the unused 201
    server.push(Canned(drop=True), Canned(status=201, json={"id": "F-1"}))
    with pytest.raises(rt.ApiConnectionError):
        create(client, auto_idempotency_key=False)
    assert len(server.requests) == 2


def test_retryable_false_body_not_retried(
    make_client: Any, server: ScriptedServer, rt: Any
) -> None:
    body = {"errors": [{"code": "server_busy", "message": "try later"}], "retryable": False}
    server.push(Canned(status=503, json=body), Canned(json={"id": "F-1"}))
    client = make_client()
    with pytest.raises(rt.InternalServerError) as info:
        get(client)
    assert info.value.body == body
    assert len(server.requests) == 1


def test_retryable_true_body_retries_other_status(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=409, json={"retryable": True}), Canned(json={"id": "F-1"}))
    client = make_client()
    assert get(client).id == "F-1"
    assert len(server.requests) == 2


def test_max_retries_exhausted_raises_typed(
    make_client: Any, server: ScriptedServer, rt: Any
) -> None:
    body = {"errors": [{"code": "too_many", "parameter": "x", "message": "slow down"}]}
    server.push(*[Canned(status=429, json=body, headers={"Zuora-Request-Id": "rid-1"})] * 3)
    client = make_client()
    with pytest.raises(rt.RateLimitError) as info:
        get(client)
    err = info.value
    assert isinstance(err, rt.ApiStatusError) and isinstance(err, rt.ApiError)
    assert err.status_code == 429
    assert err.body == body
    assert err.request_id == "rid-1"
    assert err.operation_id == "getFulfillment"
    assert "429" in str(err) and "[too_many] x: slow down" in str(err)
    assert len(server.requests) == 3 and len(client.delays) == 2


def test_max_retries_zero_disables(make_client: Any, server: ScriptedServer, rt: Any) -> None:
    server.push(Canned(status=503), Canned(json={"id": "F-1"}))
    client = make_client(max_retries=0)
    with pytest.raises(rt.InternalServerError):
        get(client)
    assert len(server.requests) == 1


# ----------------------------------------------------------------------------------------------
# Responses and errors
# ----------------------------------------------------------------------------------------------


def test_v1_success_false_raises_bad_request(
    make_client: Any, server: ScriptedServer, rt: Any
) -> None:
    body = {"success": False, "reasons": [{"code": 53100320, "message": "Invalid account."}]}
    server.push(Canned(status=200, json=body, headers={"Zuora-Request-Id": "rid-v1"}))
    client = make_client()
    with pytest.raises(rt.BadRequestError) as info:
        get(client)
    err = info.value
    assert err.status_code == 200
    assert err.body == body
    assert err.request_id == "rid-v1"
    assert "[53100320] Invalid account." in str(err)
    assert len(server.requests) == 1  # not retried


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (405, "MethodNotAllowedError"),
        (409, "ConflictError"),
        (422, "UnprocessableEntityError"),
        (418, "ApiStatusError"),
        (501, "InternalServerError"),
    ],
)
def test_status_error_mapping(
    make_client: Any, server: ScriptedServer, rt: Any, status: int, name: str
) -> None:
    server.push(Canned(status=status, body=b"plain failure text"))
    with pytest.raises(rt.ApiStatusError) as info:
        get(make_client())
    assert type(info.value) is getattr(rt, name)
    assert info.value.body is None
    assert info.value.text == "plain failure text"
    assert "plain failure text" in str(info.value)


def test_404_not_found(make_client: Any, server: ScriptedServer, rt: Any) -> None:
    body = {"reasons": [{"code": 50000040, "message": "Cannot find entity"}], "success": False}
    server.push(Canned(status=404, json=body))
    with pytest.raises(rt.NotFoundError) as info:
        get(make_client())
    assert info.value.status_code == 404 and info.value.body == body
    assert len(server.requests) == 1


def test_204_returns_none(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(status=204))
    assert create(make_client()) is None


def test_202_returns_accepted(make_client: Any, server: ScriptedServer, rt: Any) -> None:
    server.push(
        Canned(
            status=202,
            json={"job_id": "J-1", "status": "pending"},
            headers={"Zuora-Request-Id": "rid-202"},
        )
    )
    result = create(make_client(), headers={"async": True})
    assert isinstance(result, rt.Accepted)
    assert result == rt.Accepted(
        status_code=202, data=AsyncAccepted(job_id="J-1", status="pending"), request_id="rid-202"
    )
    assert server.requests[0].headers["async"] == "true"


def test_undocumented_2xx_raises(make_client: Any, server: ScriptedServer, rt: Any) -> None:
    server.push(Canned(status=200, json={"id": "F-1"}))
    with pytest.raises(rt.UnexpectedStatusError) as info:
        create(make_client())
    assert info.value.status_code == 200 and info.value.body == {"id": "F-1"}


def test_body_violating_model(make_client: Any, server: ScriptedServer, rt: Any) -> None:
    server.push(Canned(json={"id": 123, "quantity": "many"}), Canned(body=b"<html>oops</html>"))
    client = make_client()
    with pytest.raises(rt.ResponseValidationError) as info:
        get(client)
    assert "quantity" in str(info.value)
    assert isinstance(info.value.validation_error, pydantic.ValidationError)
    with pytest.raises(rt.ResponseValidationError, match="not valid JSON"):
        get(client)


def test_type_adapter_responses(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(json=[{"id": "a"}, {"id": "b"}]), Canned(body=b"id,name\n1,x\n"))
    client = make_client()
    accounts = client._request("GET", "/accounts", responses={200: list[Account]})
    assert accounts == [Account(id="a"), Account(id="b")]
    assert client._request("GET", "/export", responses={200: str}) == "id,name\n1,x\n"


# ----------------------------------------------------------------------------------------------
# Track id
# ----------------------------------------------------------------------------------------------


def test_track_id_client_level_and_per_call(make_client: Any, server: ScriptedServer) -> None:
    server.push(Canned(json={"id": "F-1"}), Canned(json={"id": "F-1"}))
    client = make_client(track_id="client-track")
    get(client)
    get(client, headers={"zuora-track-id": "call-track"})
    assert [r.headers["zuora-track-id"] for r in server.requests] == [
        "client-track",
        "call-track",
    ]


@pytest.mark.parametrize("bad", ["x" * 65, "has:colon", "semi;", 'quo"te', "apo'", "tab\t", "é"])
def test_track_id_validation(make_client: Any, server: ScriptedServer, bad: str) -> None:
    client = make_client()
    with pytest.raises(ValueError, match="track id"):
        get(client, headers={"zuora-track-id": bad})
    with pytest.raises(ValueError, match="track id"):
        make_client(track_id=bad)
    assert server.requests == []  # nothing sent


def test_track_id_valid_boundary(rt: ModuleType) -> None:
    assert rt.validate_track_id("a" * 64) == "a" * 64
    assert rt.validate_track_id("A-b_c.1 ~!") == "A-b_c.1 ~!"


# ----------------------------------------------------------------------------------------------
# Pagination
# ----------------------------------------------------------------------------------------------


def _list_accounts(client: Any, cursor: str | None) -> AccountPage:
    result: AccountPage = client._request(
        "GET", "/accounts", query={"cursor": cursor}, responses={200: AccountPage}
    )
    return result


def test_pagination_three_pages(make_client: Any, server: ScriptedServer) -> None:
    server.push(
        Canned(json={"data": [{"id": "1"}, {"id": "2"}], "next_page": "c2"}),
        Canned(json={"data": [{"id": "3"}], "next_page": "c3"}),
        Canned(json={"data": [{"id": "4"}], "next_page": None}),
    )
    client = make_client()
    ids = [a.id for a in client._paginate(lambda cursor: _list_accounts(client, cursor))]
    assert ids == ["1", "2", "3", "4"]
    assert [r.query for r in server.requests] == [[], [("cursor", "c2")], [("cursor", "c3")]]


def test_pagination_repeated_cursor_guard(
    make_client: Any, server: ScriptedServer, rt: Any
) -> None:
    server.push(
        Canned(json={"data": [{"id": "1"}], "next_page": "c2"}),
        Canned(json={"data": [{"id": "2"}], "next_page": "c2"}),
    )
    client = make_client()
    seen: list[str] = []
    with pytest.raises(rt.PaginationError, match="c2"):
        for account in rt.iter_pages(lambda cursor: _list_accounts(client, cursor)):
            seen.append(account.id)
    assert seen == ["1", "2"]
    assert len(server.requests) == 2


def test_pagination_empty_string_cursor_ends(rt: ModuleType) -> None:
    pages = {None: AccountPage(data=[Account(id="1")], next_page="")}
    assert [a.id for a in rt.iter_pages(lambda c: pages[c])] == ["1"]


# ----------------------------------------------------------------------------------------------
# Async client
# ----------------------------------------------------------------------------------------------


def test_async_client_end_to_end(clients: Any, server: ScriptedServer, rt: Any) -> None:
    server.push(
        Canned(status=503, headers={"Retry-After": "1"}),
        Canned(status=201, json={"id": "F-1"}),
        Canned(status=202, json={"job_id": "J", "status": "queued"}),
        Canned(json={"success": False, "reasons": [{"code": 1, "message": "bad"}]}),
        Canned(json={"data": [{"id": "1"}], "next_page": "c2"}),
        Canned(json={"data": [{"id": "2"}], "next_page": "c3"}),
        Canned(json={"data": [{"id": "3"}], "next_page": None}),
    )
    tokens = iter(["t1", "t2", "t3", "t4", "t5", "t6", "t7"])

    async def main() -> None:
        async with make_async(
            clients, base_url=server.url, token=lambda: next(tokens), gzip_requests=True
        ) as client:
            assert (await create(client)).id == "F-1"
            assert client.delays == [1.0]
            accepted = await create(client)
            assert isinstance(accepted, rt.Accepted) and accepted.data.job_id == "J"
            with pytest.raises(rt.BadRequestError):
                await get(client)

            async def fetch(cursor: str | None) -> AccountPage:
                result: AccountPage = await client._request(
                    "GET", "/accounts", query={"cursor": cursor}, responses={200: AccountPage}
                )
                return result

            assert [a.id async for a in client._paginate(fetch)] == ["1", "2", "3"]

    asyncio.run(main())
    first, second = server.requests[:2]
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert [r.headers["authorization"] for r in server.requests[:2]] == ["Bearer t1", "Bearer t2"]
    assert second.headers["content-encoding"] == "gzip"
    assert second.json() == {"id": "F-1", "quantity": 2}


def test_async_retries_dropped_connection_then_fails(
    clients: Any, server: ScriptedServer, rt: Any
) -> None:
    server.push(Canned(drop=True), Canned(drop=True))

    async def main() -> None:
        async with make_async(clients, base_url=server.url, max_retries=1) as client:
            with pytest.raises(rt.ApiConnectionError):
                await get(client)
            assert len(client.delays) == 1

    asyncio.run(main())
    assert len(server.requests) == 2


def test_async_pagination_repeated_cursor(rt: ModuleType) -> None:
    async def fetch(cursor: str | None) -> AccountPage:
        return AccountPage(data=[Account(id=cursor or "first")], next_page="same")

    async def main() -> list[str]:
        out: list[str] = []
        with pytest.raises(rt.PaginationError):
            async for account in rt.aiter_pages(fetch):
                out.append(account.id)
        return out

    assert asyncio.run(main()) == ["first", "same"]


# ----------------------------------------------------------------------------------------------
# Self-containment
# ----------------------------------------------------------------------------------------------


def test_runtime_imports_only_stdlib_httpx_pydantic() -> None:
    tree = ast.parse(RUNTIME.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "the runtime must not use relative imports"
            roots.add((node.module or "").split(".")[0])
    third_party = {r for r in roots if r not in sys.stdlib_module_names and r != "__future__"}
    assert third_party == {"httpx", "pydantic"}


def test_runtime_import_in_fresh_interpreter(pkg_dir: Path) -> None:
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        f"import {PKG}._runtime as r\n"
        "elapsed = time.perf_counter() - t\n"
        "bad = sorted(m for m in sys.modules if m == 'generator' or m.startswith('generator.'))\n"
        "assert not bad, bad\n"
        "assert r.BaseClient and r.AsyncBaseClient\n"
        "print(elapsed)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=pkg_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.strip()) < 5.0
