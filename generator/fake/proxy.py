"""`apicontract serve SPEC --proxy UPSTREAM [--record FILE]`: forward every request to
UPSTREAM, check both directions with the contract engine (findings go to stderr) and record
the traffic as HAR 1.2."""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from generator.atomic import write_text
from generator.contract import Contract
from generator.fake.app import FakeSetupError

_HOP = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade",
     "proxy-connection", "te", "trailer"}
)  # fmt: skip


class HarRecorder:
    """Keeps the entries in memory and rewrites FILE atomically after each exchange."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flush()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.entries.append(entry)
            self._flush()

    def _flush(self) -> None:
        har = {
            "log": {
                "version": "1.2",
                "creator": {"name": "apicontract serve --proxy", "version": "1"},
                "entries": self.entries,
            }
        }
        write_text(self.path, json.dumps(har, indent=1), durable=False)


def _content(body: bytes, mime: str) -> dict[str, Any]:
    try:
        return {"size": len(body), "mimeType": mime, "text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {
            "size": len(body),
            "mimeType": mime,
            "text": base64.b64encode(body).decode(),
            "encoding": "base64",
        }


def har_entry(
    request: httpx.Request, response: httpx.Response, started: datetime, elapsed_ms: float
) -> dict[str, Any]:
    req_body = request.content
    req: dict[str, Any] = {
        "method": request.method,
        "url": str(request.url),
        "httpVersion": "HTTP/1.1",
        "headers": [{"name": k, "value": v} for k, v in request.headers.multi_items()],
        "queryString": [{"name": k, "value": v} for k, v in request.url.params.multi_items()],
        "cookies": [],
        "headersSize": -1,
        "bodySize": len(req_body),
    }
    if req_body:
        content = _content(req_body, request.headers.get("content-type", ""))
        req["postData"] = {"mimeType": content["mimeType"], "text": content["text"]}
    headers = [
        {"name": k, "value": v}
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length")
    ]
    return {
        "startedDateTime": started.isoformat(timespec="milliseconds"),
        "time": elapsed_ms,
        "request": req,
        "response": {
            "status": response.status_code,
            "statusText": response.reason_phrase,
            "httpVersion": "HTTP/1.1",
            "headers": headers,
            "cookies": [],
            "content": _content(response.content, response.headers.get("content-type", "")),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(response.content),
        },
        "cache": {},
        "timings": {"send": 0, "wait": elapsed_ms, "receive": 0},
    }


def build_proxy_app(spec: Path, upstream: str, record: Path | None) -> Starlette:
    from generator.findings import InputError

    try:
        contract = Contract.load(spec)
    except InputError as exc:
        raise FakeSetupError(f"{spec}: cannot load the spec for checking: {exc}") from None
    base = upstream.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise FakeSetupError(f"--proxy needs an http(s) URL, got {upstream!r}")
    recorder = HarRecorder(record) if record is not None else None
    client = httpx.AsyncClient(timeout=60)
    counter = [0]

    async def forward(request: Request) -> Response:
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP]
        url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        outgoing = client.build_request(request.method, url, headers=headers, content=body)
        started = datetime.now(UTC)
        t0 = time.monotonic()
        try:
            answer = await client.send(outgoing)
        except httpx.HTTPError as exc:
            print(f"apicontract proxy: {request.method} {url}: upstream failed: {exc}",
                  file=sys.stderr, flush=True)  # fmt: skip
            return Response(
                json.dumps({"error": f"upstream unreachable: {exc}"}),
                status_code=502,
                media_type="application/json",
            )
        elapsed = (time.monotonic() - t0) * 1000
        counter[0] += 1
        try:
            result = contract.check_httpx(outgoing, answer, counter[0])
            for finding in result.findings:
                where = f"{finding.location} {finding.part.value} {finding.pointer}".rstrip()
                print(f"apicontract proxy: {request.method} {request.url.path} -> "
                      f"{answer.status_code}: {where}: {finding.message}",
                      file=sys.stderr, flush=True)  # fmt: skip
        except Exception as exc:
            print(f"apicontract proxy: cannot check {request.method} {request.url.path}: {exc}",
                  file=sys.stderr, flush=True)  # fmt: skip
        if recorder is not None:
            recorder.add(har_entry(outgoing, answer, started, elapsed))
        out_headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in _HOP and k.lower() != "content-encoding"
        }
        return Response(answer.content, status_code=answer.status_code, headers=out_headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
    app.state.fake_store = None
    return app
