"""The generated client's limits, driven through the real generated package (`generated/`)
against a real HTTP server on 127.0.0.1: a maximum decompressed response size (a gzip bomb
raises a typed error without being inflated), a total deadline across retries beside the
per-attempt timeout, and the cap on `Retry-After` waits as a client option."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FULFILLMENT = {
    "id": "8ad08ccf8437067601843a7af4e64rq3",
    "order_line_item_id": "8ad085e287142db601872469b9ec0944",
    "fulfillment_date": "2024-03-01",
    "quantity": 2,
    "state": "accepted",
}
BOMB_SIZE = 256 * 1024 * 1024  # inflated; about 250 KB on the wire


def _bomb() -> bytes:
    """A gzip member that inflates to BOMB_SIZE zero bytes (a valid JSON prefix would not
    matter: the client must stop long before it could parse anything)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1024 * 1024)
    parts = [packer.compress(block) for _ in range(BOMB_SIZE // len(block))]
    return b"".join(parts) + packer.flush()


Handler = Callable[[BaseHTTPRequestHandler, int], None]


class Server:
    """Answers every request with `handler(request, attempt number)`; records arrival times."""

    def __init__(self, handler: Handler) -> None:
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        outer = self

        class Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with outer.lock:
                    outer.arrivals.append(time.monotonic())
                    attempt = len(outer.arrivals)
                try:
                    handler(self, attempt)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Request)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], Server]]:
    started: list[Server] = []

    def start(handler: Handler) -> Server:
        server = Server(handler)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="module")
def quickstart() -> Iterator[ModuleType]:
    sys.path.insert(0, str(ROOT / "generated"))
    try:
        yield importlib.import_module("zuora_quickstart")
    finally:
        sys.path.remove(str(ROOT / "generated"))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb()


def answer(
    request: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    request.send_response(status)
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Connection", "close")
    request.end_headers()
    request.wfile.write(body)


def gzip_bomb(data: bytes) -> Handler:
    def handler(request: BaseHTTPRequestHandler, attempt: int) -> None:
        answer(request, 200, data, {"Content-Encoding": "gzip"})

    return handler


# -- maximum response size ---------------------------------------------------------------------
def test_gzip_bomb_raises_a_typed_error_without_inflating(
    quickstart: ModuleType, serve: Callable[[Handler], Server], bomb: bytes
) -> None:
    server = serve(gzip_bomb(bomb))
    limit = 1_000_000
    with quickstart.Client(base_url=server.url, token="t", max_response_size=limit) as client:
        tracemalloc.start()
        try:
            with pytest.raises(quickstart.ResponseTooLargeError) as caught:
                client.get_fulfillment("F-1")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    error = caught.value
    assert isinstance(error, quickstart.ApiError)
    assert error.limit == limit and error.status_code == 200
    assert error.operation_id == "getFulfillment"
    assert "max_response_size (1,000,000 bytes once decompressed)" in str(error)
    assert peak < 16 * limit, f"{peak:,} bytes allocated while reading"
    assert len(server.arrivals) == 1  # a too-large answer is not retried


def test_the_default_limit_stops_a_bomb_too(
    quickstart: ModuleType, serve: Callable[[Handler], Server], bomb: bytes
) -> None:
    server = serve(gzip_bomb(bomb))
    with quickstart.Client(base_url=server.url, token="t") as client:
        with pytest.raises(quickstart.ResponseTooLargeError) as caught:
            client.get_fulfillment("F-1")
    assert caught.value.limit == quickstart.DEFAULT_MAX_RESPONSE_SIZE == 64 * 1024 * 1024


def test_async_client_stops_a_bomb(
    quickstart: ModuleType, serve: Callable[[Handler], Server], bomb: bytes
) -> None:
    server = serve(gzip_bomb(bomb))

    async def call() -> None:
        async with quickstart.AsyncClient(
            base_url=server.url, token="t", max_response_size=100_000
        ) as client:
            await client.get_fulfillment("F-1")

    with pytest.raises(quickstart.ResponseTooLargeError):
        asyncio.run(call())


def test_answers_within_the_limit_are_read_compressed_or_not(
    quickstart: ModuleType, serve: Callable[[Handler], Server]
) -> None:
    body = json.dumps(FULFILLMENT).encode()
    packed = zlib.compressobj(6, zlib.DEFLATED, 31)
    gzipped = packed.compress(body) + packed.flush()

    def handler(request: BaseHTTPRequestHandler, attempt: int) -> None:
        if attempt == 1:
            answer(request, 200, gzipped, {"Content-Encoding": "gzip"})
        else:
            answer(request, 200, body)

    server = serve(handler)
    with quickstart.Client(base_url=server.url, token="t", max_response_size=len(body)) as c:
        assert c.get_fulfillment("F-1").quantity == 2
        assert c.get_fulfillment("F-1").quantity == 2
    with quickstart.Client(base_url=server.url, token="t", max_response_size=len(body) - 1) as c:
        with pytest.raises(quickstart.ResponseTooLargeError):
            c.get_fulfillment("F-1")
    with quickstart.Client(base_url=server.url, token="t", max_response_size=None) as c:
        assert c.get_fulfillment("F-1").quantity == 2


def test_a_corrupt_gzip_body_is_a_decoding_error_not_a_crash(
    quickstart: ModuleType, serve: Callable[[Handler], Server]
) -> None:
    import httpx

    def handler(request: BaseHTTPRequestHandler, attempt: int) -> None:
        answer(request, 200, b"\x1f\x8b\x08\x00not gzip at all", {"Content-Encoding": "gzip"})

    server = serve(handler)
    with quickstart.Client(base_url=server.url, token="t") as client:
        with pytest.raises(httpx.DecodingError):
            client.get_fulfillment("F-1")


# -- total deadline ----------------------------------------------------------------------------
def test_deadline_spans_retries_and_waits(
    quickstart: ModuleType, serve: Callable[[Handler], Server]
) -> None:
    """503 with `Retry-After: 0.3` forever: with 10 retries allowed the call would take 3 s;
    a 1 s deadline ends it after the attempts that fit, with the server's own error."""
    error = json.dumps({"type": "server_error", "errors": [], "retryable": True}).encode()

    def handler(request: BaseHTTPRequestHandler, attempt: int) -> None:
        answer(request, 503, error, {"Retry-After": "0.3"})

    server = serve(handler)
    started = time.monotonic()
    with quickstart.Client(base_url=server.url, token="t", max_retries=10, deadline=1.0) as c:
        with pytest.raises(quickstart.InternalServerError) as caught:
            c.get_fulfillment("F-1")
    elapsed = time.monotonic() - started
    assert caught.value.status_code == 503
    assert 3 <= len(server.arrivals) <= 4, server.arrivals
    assert elapsed < 1.5, elapsed


@pytest.mark.parametrize("mode", ["trickle", "stall"])
def test_deadline_cuts_an_attempt_the_per_attempt_timeout_allows(
    quickstart: ModuleType, serve: Callable[[Handler], Server], mode: str
) -> None:
    """A server that sends one byte every 50 ms (each read well within the 30 s timeout) or
    nothing at all after its headers: the 0.5 s deadline ends the call."""
    done = threading.Event()

    def handler(request: BaseHTTPRequestHandler, attempt: int) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", "100000")
        request.end_headers()
        request.wfile.flush()
        while not done.is_set():
            if mode == "trickle":
                request.wfile.write(b" ")
                request.wfile.flush()
            done.wait(0.05)

    server = serve(handler)
    started = time.monotonic()
    try:
        with quickstart.Client(
            base_url=server.url, token="t", timeout=30, max_retries=3, deadline=0.5
        ) as client:
            with pytest.raises(quickstart.ApiTimeoutError) as caught:
                client.get_fulfillment("F-1")
    finally:
        done.set()
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed
    assert "deadline of 0.5s" in str(caught.value)
    assert len(server.arrivals) == 1  # no time was left for another attempt


def test_deadline_must_be_positive(quickstart: ModuleType) -> None:
    with pytest.raises(ValueError, match="deadline"):
        quickstart.Client(base_url="http://127.0.0.1:9", deadline=0)


# -- Retry-After cap ---------------------------------------------------------------------------
def test_max_retry_after_caps_the_wait_a_server_asks_for(
    quickstart: ModuleType, serve: Callable[[Handler], Server]
) -> None:
    """`Retry-After: 3600` twice, then the answer: with `max_retry_after=0.2` the client waits
    0.2 s each time instead of an hour (the default cap is 60 s)."""
    error = json.dumps({"type": "rate_limit", "errors": [], "retryable": True}).encode()

    def handler(request: BaseHTTPRequestHandler, attempt: int) -> None:
        if attempt <= 2:
            answer(request, 429, error, {"Retry-After": "3600"})
        else:
            answer(request, 200, json.dumps(FULFILLMENT).encode())

    server = serve(handler)
    assert quickstart.MAX_RETRY_AFTER == 60.0
    with quickstart.Client(
        base_url=server.url, token="t", max_retries=2, max_retry_after=0.2
    ) as client:
        assert client.get_fulfillment("F-1").quantity == 2
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:], strict=False)]
    assert len(gaps) == 2
    assert all(0.18 <= gap < 1.0 for gap in gaps), gaps
