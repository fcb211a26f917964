"""`apicontract serve SPEC --proxy UPSTREAM [--record FILE [--keep-secrets]]`: forward every
request to UPSTREAM, check both directions with the contract engine (findings go to stderr) and
record the traffic as HAR 1.2 through the project's one HAR writer
(`generator.contract.traffic.record`), credentials redacted unless `keep_secrets`. The file is
rewritten (atomically) after every exchange, so it is complete whenever the proxy stops."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from generator.contract import Contract
from generator.contract.traffic.record import HarWriter, har_entry
from generator.contract.traffic.redact import Credentials, Redactor
from generator.fake.app import FakeSetupError

_HOP = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade",
     "proxy-connection", "te", "trailer"}
)  # fmt: skip


def _flush(recorder: HarWriter) -> None:
    try:
        recorder.write()
    except OSError as exc:
        print(f"apicontract proxy: cannot write {recorder.path}: {exc}", file=sys.stderr,
              flush=True)  # fmt: skip


def build_proxy_app(
    spec: Path,
    upstream: str,
    record: Path | None,
    *,
    keep_secrets: bool = False,
    allow_remote: tuple[str, ...] = (),
) -> Starlette:
    from generator.findings import InputError

    try:
        contract = Contract.load(spec, allow_remote=allow_remote)
    except InputError as exc:  # every finding, with its file, line and rule id
        raise FakeSetupError(f"{spec}: cannot load the spec for checking:\n{exc}") from None
    base = upstream.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise FakeSetupError(f"--proxy needs an http(s) URL, got {upstream!r}")
    recorder: HarWriter | None = None
    redactor = Redactor(Credentials.of_model(contract.model), keep=keep_secrets)
    if record is not None:
        recorder = HarWriter(record, "apicontract serve --proxy", durable=False)
        try:
            recorder.write()  # the file exists (an empty recording) from the start
        except OSError as exc:
            raise FakeSetupError(f"--record {record}: cannot write: {exc}") from None
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
            print(f"apicontract proxy: {request.method} {request.url.path}: upstream failed: "
                  f"{exc}", file=sys.stderr, flush=True)  # fmt: skip
            if recorder is not None:
                elapsed = (time.monotonic() - t0) * 1000
                failed = f"upstream failed: {exc}"
                recorder.add(
                    har_entry(outgoing, None, redactor=redactor, started=started,
                              elapsed_ms=elapsed, error=failed)
                )  # fmt: skip
                _flush(recorder)
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
            recorder.add(
                har_entry(outgoing, answer, redactor=redactor, started=started, elapsed_ms=elapsed)
            )
            _flush(recorder)
        reply = Response(answer.content, status_code=answer.status_code)
        for name, value in answer.headers.multi_items():  # every Set-Cookie, not the last
            if name.lower() not in _HOP and name.lower() != "content-encoding":
                reply.headers.append(name, value)
        return reply

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
    app.state.fake_store = None
    return app
