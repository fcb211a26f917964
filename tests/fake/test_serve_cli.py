"""`apicontract serve` as a user runs it: a real process, real signals, a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from generator.fake.serve import _Coalesced
from tests.fake.conftest import ROOT

AUTH = {"Authorization": "Bearer t"}


class Served:
    def __init__(self, *args: str | Path, cache: Path) -> None:
        env = {**os.environ, "APICONTRACT_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", *map(str, args), "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"listening on (http://\S+)", line)
        if not found:
            self.proc.kill()
            raise AssertionError(f"no URL printed: {line!r} {self.proc.stderr.read()!r}")
        self.url = found.group(1)
        self.stderr = ""

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            if self.proc.stderr is not None:
                self.stderr = self.proc.stderr.read()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        if served.proc.poll() is None:
            served.stop(signal.SIGKILL)


def _start(started: list[Served], tmp_path: Path, *args: str | Path) -> Served:
    served = Served(*args, cache=tmp_path / "cache")
    started.append(served)
    return served


def test_acknowledged_write_survives_kill_9(processes: list[Served], tmp_path: Path) -> None:
    db = tmp_path / "fake.db"
    first = _start(processes, tmp_path, "specs/quickstart/fulfillments.yaml", "--db", db)
    assert first.url.startswith("http://127.0.0.1:")
    body = {"order_line_item_id": "a" * 32, "fulfillment_date": "2025-01-01", "quantity": 4}
    made = httpx.post(first.url + "/fulfillments", json=body, headers=AUTH, timeout=10)
    assert made.status_code == 201
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    second = _start(processes, tmp_path, "--style", "quickstart", "--db", db)
    got = httpx.get(f"{second.url}/fulfillments/{made.json()['id']}", headers=AUTH, timeout=10)
    assert got.status_code == 200 and got.json()["quantity"] == 4
    assert second.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_cleanly(processes: list[Served], tmp_path: Path, sig: int) -> None:
    served = _start(processes, tmp_path, "--style", "v1", "--db", ":memory:", "--token", "t")
    answer = httpx.get(served.url + "/v1/fulfillments/F-00000001", headers=AUTH, timeout=10)
    assert answer.status_code == 404
    unauthorized = httpx.get(served.url + "/v1/fulfillments/F-00000001", timeout=10)
    assert unauthorized.status_code == 401
    assert served.stop(sig) == 0


def test_spec_without_operations_exits_2(tmp_path: Path) -> None:
    spec = tmp_path / "other.json"
    spec.write_text(
        json.dumps({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}}),
        "utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "generator", "serve", str(spec), "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "other.json" in done.stderr and "no operation" in done.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "generator", "serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2


def test_generated_from_a_copied_spec(processes: list[Served], tmp_path: Path) -> None:
    """A spec outside specs/ goes through build_package_cached; style detected by paths."""
    spec = tmp_path / "copy.yaml"
    spec.write_bytes((ROOT / "specs/v1/fulfillments.yaml").read_bytes())
    started = time.monotonic()
    served = _start(processes, tmp_path, spec, "--db", ":memory:")
    assert time.monotonic() - started < 60
    made = httpx.post(
        served.url + "/v1/fulfillments",
        json={
            "fulfillments": [
                {"orderLineItemId": "a" * 32, "fulfillmentDate": "2025-01-01", "quantity": 1}
            ]
        },
        headers=AUTH,
        timeout=10,
    )
    assert made.json()["fulfillments"][0]["fulfillmentNumber"] == "F-00000001"
    assert served.stop(signal.SIGINT) == 0


def test_proxy_mode_records_har(processes: list[Served], tmp_path: Path) -> None:
    upstream = _start(processes, tmp_path, "--style", "v1", "--db", ":memory:")
    har = tmp_path / "out.har"
    proxy = _start(processes, tmp_path, "--style", "v1", "--proxy", upstream.url, "--record", har)
    made = httpx.post(
        proxy.url + "/v1/fulfillments",
        json={"fulfillments": [{"orderLineItemId": "a" * 32, "fulfillmentDate": "2025-01-01"}]},
        headers=AUTH,
        timeout=10,
    )
    assert made.status_code == 400  # quantity is required: the upstream's answer, forwarded
    assert proxy.stop(signal.SIGTERM) == 0
    assert "apicontract proxy: POST /v1/fulfillments -> 400: request body" in proxy.stderr
    assert "quantity" in proxy.stderr
    entries = json.loads(har.read_text("utf-8"))["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [400]
    assert upstream.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("granted", [True, False])
def test_serve_allow_edit_booked(processes: list[Served], tmp_path: Path, granted: bool) -> None:
    """`apicontract serve --allow-edit-booked`: a booked fulfillment's fields stay editable,
    as for a tenant with "Allow Edit Of Booked Order Line Items"; without it they are not."""
    flags = ["--allow-edit-booked"] if granted else []
    served = Served("--style", "quickstart", "--db", ":memory:", *flags, cache=tmp_path / "c")
    processes.append(served)
    body = {"order_line_item_id": "a" * 32, "fulfillment_date": "2025-01-01", "quantity": 1}
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=10) as http:
        fid = http.post("/fulfillments", json=body).json()["id"]
        assert http.patch(f"/fulfillments/{fid}", json={"state": "booked"}).status_code == 200
        edited = http.patch(f"/fulfillments/{fid}", json={"carrier": "UPS"})
        if granted:
            assert edited.status_code == 200 and edited.json()["carrier"] == "UPS"
        else:
            assert edited.status_code == 400 and edited.json()["retryable"] is False
    assert served.stop(signal.SIGTERM) == 0


def test_coalesced_transport_joins_one_turn_of_writes() -> None:
    """What uvicorn writes for one answer (head, then body) goes out as one send."""

    class Transport:
        def __init__(self) -> None:
            self.sent: list[bytes] = []
            self.closed = False

        def write(self, data: bytes) -> None:
            self.sent.append(data)

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

        def get_write_buffer_size(self) -> int:
            return 0

        def get_extra_info(self, name: str) -> str:
            return f"info:{name}"

    async def scenario() -> Transport:
        inner = Transport()
        outer = _Coalesced(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        outer.write(b"HTTP/1.1 200 OK\r\n\r\n")
        outer.write(memoryview(b"{}"))
        assert inner.sent == [] and outer.get_write_buffer_size() == 21
        await asyncio.sleep(0)
        assert inner.sent == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
        outer.write(b"last")
        outer.close()  # flushes first
        assert inner.sent[-1] == b"last" and inner.closed
        assert outer.get_extra_info("peername") == "info:peername"
        return inner

    inner = asyncio.run(scenario())
    assert len(inner.sent) == 2


def test_idle_and_slow_connections_are_closed(processes: list[Served], tmp_path: Path) -> None:
    """Real sockets: 200 connections that never send a byte, one that trickles a request head
    (slowloris) and one left open after an answer are all closed by the server within the
    timeouts, while a client that sends its head in pieces within them is answered."""
    served = _start(
        processes,
        tmp_path,
        "--style", "quickstart", "--db", ":memory:",
        "--header-timeout", "1.5", "--keep-alive-timeout", "1",
    )  # fmt: skip
    address = ("127.0.0.1", int(served.url.rsplit(":", 1)[1]))
    head = b"GET /fulfillments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"

    def connect() -> socket.socket:
        sock = socket.create_connection(address, timeout=10)
        sock.setblocking(False)
        return sock

    started = time.monotonic()  # every connection below is accepted after this
    idle = [connect() for _ in range(200)]
    slow = connect()
    slow.send(b"GET /fulfillments HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    kept = connect()
    kept.send(head)
    pieces = connect()
    watched = [*idle, slow, kept]
    closed: dict[socket.socket, float] = {}
    answered = b""
    sent = 0
    while len(closed) < len(watched) and time.monotonic() - started < 8:
        if sent < len(head):  # the polite client: its head in pieces, 0.1 s apart
            pieces.send(head[sent : sent + 20])
            sent += 20
        if slow not in closed:
            with contextlib.suppress(OSError):
                slow.send(b"x")  # one more byte of a header value, never the end of the head
        waiting = [s for s in watched if s not in closed]
        readable, _, _ = select.select([*waiting, pieces], [], [], 0.1)
        for sock in readable:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if sock is pieces:
                answered += data
            elif not data:
                closed[sock] = time.monotonic() - started
        if not answered.startswith(b"HTTP/1.1 200 OK") or time.monotonic() - started < 0.5:
            time.sleep(0.1)
    for sock in [*watched, pieces]:
        sock.close()
    assert answered.startswith(b"HTTP/1.1 200 OK"), answered[:200]
    assert len(closed) == len(watched), f"{len(watched) - len(closed)} connections still open"
    assert all(1.4 <= closed[s] < 5 for s in idle), sorted({round(closed[s], 1) for s in idle})
    assert 1.4 <= closed[slow] < 5, closed[slow]
    assert 0.9 <= closed[kept] < 5, closed[kept]
    assert served.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "nesting-limit"),
        ('[{"id": "x", "quantity": 2}', "yaml-syntax"),
        ('{"id": "x"}', "must hold a JSON list"),
    ],
)
def test_a_bad_seed_file_exits_2_with_a_message(
    tmp_path: Path, content: str, expected: str
) -> None:
    """A deeply nested seed once ended in a RecursionError traceback."""
    seed = tmp_path / "seed.json"
    seed.write_text(content, "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "generator", "serve", "--style", "quickstart", "--seed", seed,
         "--db", ":memory:", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("apicontract serve: bad seed file: ")
    assert expected in done.stderr and "seed.json" in done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert "listening" not in done.stdout
