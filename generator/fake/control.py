"""The control API every fake carries under `/__apicontract/`, and the layer around the fake
that serves it: fault injection, reset, and the log of what the fake received.

* `POST /__apicontract/faults` `{"method", "path", "status", "times", "headers", "body",
  "delay_ms", "reset_connection"}`: the next `times` (default 1) requests matching `method`
  (`*` or absent: any) and `path` (a concrete path, or a template such as `/pets/{petId}`
  matching every request of that operation) fail that way: after `delay_ms`, the connection
  is dropped (`reset_connection`, a TCP reset) or answered with `status`, `headers` and
  `body` (absent: the API's own error body for that status, conforming to what the spec
  documents for it). A fault with only `delay_ms` delays the real answer. `GET` lists the
  faults left, `DELETE` clears them.
* `POST /__apicontract/reset` empties the fake's state (and clears faults and the log).
* `GET /__apicontract/requests` lists the requests received (method, path, query, headers,
  body, status, the operation and the contract findings of the request), credentials
  redacted as in recordings (`generator.contract.traffic.redact`).

With `--token` the control API needs the same bearer token (401 otherwise). The fake itself
never answers a 5xx of its own: an answer of 500 or more that no fault asked for is replaced
by 501 naming the operation (the generated server already answers 501 where the fake has no
answer; this catches anything left).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from generator.contract.check import Contract
from generator.contract.exchange import Request as ExchangeRequest
from generator.contract.operations import compile_template
from generator.contract.traffic.redact import Credentials, Redactor

PREFIX = "/__apicontract"
#: at most this many requests are kept in the log (the oldest go first)
MAX_LOGGED = 10_000
#: request bodies are logged up to this size
MAX_LOGGED_BODY = 256 * 1024


class FaultError(ValueError):
    """A fault description that cannot be used."""


@dataclass
class Fault:
    method: str | None
    path: str
    status: int | None
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    delay_ms: int = 0
    reset_connection: bool = False

    @classmethod
    def parse(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise FaultError("a fault is a JSON object")
        known = {"method", "path", "status", "times", "headers", "body", "delay_ms",
                 "reset_connection"}  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultError(f"unknown fault field(s): {', '.join(unknown)}")
        method = data.get("method")
        if method is not None and not isinstance(method, str):
            raise FaultError("method must be a string")
        path = data.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise FaultError("path must be a path starting with / (concrete or a template)")
        status = data.get("status")
        if status is not None and (
            not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599
        ):
            raise FaultError("status must be an HTTP status 100..599")
        times = data.get("times", 1)
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise FaultError("times must be a whole number of requests, 1 or more")
        headers = data.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int | float) for k, v in headers.items()
        ):
            raise FaultError("headers must be an object of header names to values")
        delay = data.get("delay_ms", 0)
        if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= 600_000:
            raise FaultError("delay_ms must be a whole number of milliseconds, 0..600000")
        reset = data.get("reset_connection", False)
        if not isinstance(reset, bool):
            raise FaultError("reset_connection must be true or false")
        if status is None and not reset and not delay:
            raise FaultError("a fault needs a status, reset_connection or delay_ms")
        return cls(
            None if method in (None, "*") else method.upper(),
            path,
            status,
            times,
            {k: str(v) for k, v in headers.items()},
            data.get("body"),
            "body" in data,
            delay,
            reset,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method or "*", "path": self.path,
                                "status": self.status, "times": self.times,
                                "headers": self.headers, "delay_ms": self.delay_ms,
                                "reset_connection": self.reset_connection}  # fmt: skip
        if self.has_body:
            data["body"] = self.body
        return data


@dataclass
class Mount:
    """One spec served by the fake: under `prefix`, checked by `contract`. `error_body(
    method, template, status, message, given)` gives the API's error body for a status of an
    operation, conforming to what the operation documents for it (`given` is kept when it
    already conforms)."""

    prefix: str
    contract: Contract
    error_body: Callable[[str, str, int, str, Any], Any]
    redactor: Redactor
    #: refuse requests the contract engine finds off-spec before the fake sees them (the
    #: generic fake; the Zuora styles word their own refusals)
    strict: bool = False


def mount(
    prefix: str,
    contract: Contract,
    error_body: Callable[[str, str, int, str, Any], Any],
    *,
    strict: bool = False,
) -> Mount:
    return Mount(
        prefix, contract, error_body, Redactor(Credentials.of_model(contract.model)), strict
    )


def _refusal(op: Any, findings: list[Any]) -> tuple[int, str] | None:
    """The documented status (and a message) refusing a request with these findings: 401 for
    missing credentials, else 400 or 422, whichever the operation documents (None: it
    documents neither, the fake answers as it would)."""
    if not findings:
        return None
    missing_credentials = [f for f in findings if str(f.expected).startswith("credentials for")]
    if missing_credentials and len(missing_credentials) == len(findings):
        if op.response_for(401) is not None:
            return 401, missing_credentials[0].message
        return None
    findings = [f for f in findings if f not in missing_credentials]
    message = "; ".join(f"{f.pointer or f.part}: {f.message}" for f in findings[:5])
    for status in (400, 422):
        response = op.response_for(status)
        if response is not None and response.status != "default":
            return status, message
    if op.response_for(400) is not None:
        return 400, message
    return None


class Control:
    """The control state of one fake (thread-safe: a test thread reads and changes it while
    the server's thread serves)."""

    def __init__(
        self, mounts: list[Mount], reset: Callable[[], None], token: str | None = None
    ) -> None:
        self.mounts = sorted(mounts, key=lambda m: -len(m.prefix))
        self.reset_state = reset
        self.token = token
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []

    # -- used by the API and by the pytest fixture -------------------------------------------
    def add_fault(self, data: Any) -> Fault:
        fault = Fault.parse(data)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.requests.clear()
        self.reset_state()

    def logged(self) -> list[dict[str, Any]]:
        """The log, each request checked against the spec (once, on first read: checking
        compiles validators, which must not hold up the answers)."""
        with self.lock:
            entries = list(self.requests)
        for entry in entries:
            if entry["_result"] is None:
                where: Mount = entry["_mount"]
                result = where.contract.check_pair(entry["_request"])
                findings = [f.to_json() for f in result.findings]
                entry["findings"] = entry["_redactor"].scrub(findings)
                entry["_result"] = result
        with self.lock:
            return [dict(r) for r in entries]

    # -- matching ----------------------------------------------------------------------------
    def mount_of(self, path: str) -> Mount:
        for found in self.mounts:
            if not found.prefix or path == found.prefix or path.startswith(found.prefix + "/"):
                return found
        return self.mounts[-1]

    def operation(self, method: str, path: str) -> tuple[Mount, Any]:
        where = self.mount_of(path)
        inner = path[len(where.prefix) :] or "/"
        op, _, _ = where.contract.operations.match(method, inner)
        return where, op

    def take_fault(self, method: str, path: str, template: str | None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method is not None and fault.method != method:
                    continue
                if not _path_matches(fault.path, path, template):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def log(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)
            if len(self.requests) > MAX_LOGGED:
                del self.requests[: len(self.requests) - MAX_LOGGED]


def _message_of(body: Any) -> str | None:
    """The human message of an error body in any of the generated server's shapes."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("message"), str):
        return str(body["message"])
    for key in ("errors", "reasons"):
        items = body.get(key)
        if isinstance(items, list):
            texts = [i.get("message") for i in items if isinstance(i, dict)]
            found = "; ".join(t for t in texts if isinstance(t, str))
            if found:
                return found
    return None


def _path_matches(wanted: str, path: str, template: str | None) -> bool:
    if "{" in wanted:
        if template is not None and wanted == template:
            return True
        regex = compile_template(wanted)[0]
        return regex.match(path) is not None
    return wanted.rstrip("/") == path.rstrip("/") or wanted == path


class ControlApp:
    """The ASGI layer around a fake: the control API, faults, the request log, and no 5xx
    of the fake's own."""

    def __init__(self, app: ASGIApp, control: Control, state: Any = None) -> None:
        self.app = app
        self.control = control
        self.state = state if state is not None else SimpleNamespace()
        self.state.fake_control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await self._control(scope, receive, send)
            return
        await self._fake(scope, receive, send)

    # -- the fake's traffic ------------------------------------------------------------------
    async def _fake(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        path = scope.get("path", "")
        where, op = self.control.operation(method, path)
        template = where.prefix + op.path if op is not None else None
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        raw = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        entry = self._entry(scope, where, op, raw)
        refusal = None
        if where.strict and op is not None:
            result = where.contract.check_pair(entry["_request"])
            entry["_result"] = result
            entry["findings"] = entry["_redactor"].scrub([f.to_json() for f in result.findings])
            refusal = _refusal(op, [f for f in result.findings if f.location == "request"])
        fault = self.control.take_fault(method, path, template)
        if fault is not None:
            entry["fault"] = fault.to_json()
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.reset_connection:
                entry["status"] = None
                self.control.log(entry)
                abort = scope.get("extensions", {}).get("apicontract.abort")
                if abort is not None:
                    abort()
                    for _ in range(3):
                        await asyncio.sleep(0)
                    return
                # not served by `apicontract serve` (no way to drop the connection): an
                # empty 502 says the same to a client
                await _send_bytes(send, 502, b"", "application/json", {})
                return
            if fault.status is not None:
                body = self._fault_body(where, method, op, fault)
                entry["status"] = fault.status
                self.control.log(entry)
                content = b"" if body is None else (
                    body.encode() if isinstance(body, str) and not fault.has_body
                    else json.dumps(body, separators=(",", ":")).encode()
                )  # fmt: skip
                await _send_bytes(send, fault.status, content, "application/json", fault.headers)
                return
        if refusal is not None and template is not None:
            refused, why = refusal
            answer = where.error_body(method, template[len(where.prefix) :] or "/", refused,
                                      why, None)  # fmt: skip
            entry["status"] = refused
            self.control.log(entry)
            content = json.dumps(answer, separators=(",", ":")).encode()
            await _send_bytes(send, refused, content, "application/json", {})
            return
        label = (op.operation_id or f"{op.method} {op.path}") if op is not None else None
        status_box: list[int] = []
        replaced = False
        held: Message | None = None
        held_body: list[bytes] = []

        async def watch(message: Message) -> None:
            nonlocal replaced, held
            if held is not None and template is not None:
                # a refusal of the generated server: its body in the shape the spec documents
                held_body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await self._send_refusal(send, where, method, template, held, b"".join(held_body))
                return
            if message["type"] == "http.response.start":
                if template is not None and 400 <= int(message["status"]) < 500:
                    held = message
                    status_box.append(int(message["status"]))
                    return
                status = int(message["status"])
                if status >= 500 and status != 501:
                    replaced = True
                    status_box.append(501)
                    why = (
                        f"The fake cannot answer {label or ''} ({method} {template or path}): "
                        f"it produced a {status} of its own."
                    )
                    content = where.error_body(method, template or path, 501, why, None)
                    data = json.dumps(
                        content if content is not None else {"message": why},
                        separators=(",", ":"),
                    ).encode()
                    await _send_bytes(send, 501, data, "application/json", {})
                    return
                status_box.append(status)
            elif replaced:
                return
            await send(message)

        try:
            await self.app(scope, replay, watch)
        finally:
            entry["status"] = status_box[0] if status_box else None
            self.control.log(entry)

    async def _send_refusal(
        self, send: Send, where: Mount, method: str, template: str, start: Message, raw: bytes
    ) -> None:
        status = int(start["status"])
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
        body: Any = None
        if raw and not encoded:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        if body is not None:
            message = _message_of(body) or f"HTTP {status}"
            fixed = where.error_body(method, template[len(where.prefix) :] or "/", status,
                                     message, body)  # fmt: skip
            if fixed is not body:
                raw = json.dumps(fixed, separators=(",", ":")).encode()
        headers.append((b"content-length", str(len(raw)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": raw, "more_body": False})

    def _fault_body(self, where: Mount, method: str, op: Any, fault: Fault) -> Any:
        if fault.has_body:
            return fault.body
        assert fault.status is not None
        if fault.status in (204, 304) or fault.status < 200:
            return None
        template = op.path if op is not None else fault.path
        message = f"Injected fault: {fault.status}."
        return where.error_body(method, template, fault.status, message, None)

    def _entry(self, scope: Scope, where: Mount, op: Any, raw: bytes) -> dict[str, Any]:
        redactor = where.redactor.for_entry()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        query = scope.get("query_string", b"").decode("latin-1")
        inner = scope.get("path", "")[len(where.prefix) :] or "/"
        url = inner + ("?" + query if query else "")
        text = raw[:MAX_LOGGED_BODY].decode("utf-8", "replace") if raw else None
        body: Any = None
        if text is not None:
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        safe_headers = {name: redactor.header(name, value) for name, value in headers}
        return {
            "method": scope["method"],
            "path": scope.get("path", ""),
            "query": redactor.url("?" + query)[1:] if query else "",
            "headers": safe_headers,
            "body": redactor.scrub(body),
            "operation": (op.operation_id or f"{op.method} {op.path}") if op else None,
            "findings": None,  # checked when the log is read, off the serving path
            "status": None,
            "_request": ExchangeRequest(
                headers=tuple(headers), text=text, method=scope["method"], url=url
            ),
            "_mount": where,
            "_redactor": redactor,
            "_result": None,
        }

    # -- the control API ---------------------------------------------------------------------
    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        control = self.control
        raw = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            raw += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(raw) > 1024 * 1024:
                await _json(send, 413, {"message": "control request body over 1 MiB"})
                return
        if control.token is not None:
            given = ""
            for name, value in scope.get("headers", []):
                if name.lower() == b"authorization":
                    scheme, _, credential = value.decode("latin-1").strip().partition(" ")
                    given = credential.strip() if scheme.lower() == "bearer" else ""
                    break
            if not hmac.compare_digest(given.encode(), control.token.encode()):
                await _json(send, 401, {"message": "the control API needs the fake's token"})
                return
        method = scope["method"]
        route = scope.get("path", "")[len(PREFIX) :].rstrip("/")
        if route == "/faults":
            if method == "POST":
                try:
                    data = json.loads(raw or b"null")
                    items = data if isinstance(data, list) else [data]
                    faults = [control.add_fault(item) for item in items]
                except (ValueError, FaultError) as exc:
                    await _json(send, 400, {"message": f"bad fault: {exc}"})
                    return
                await _json(send, 201, {"faults": [f.to_json() for f in faults]})
                return
            if method == "DELETE":
                control.clear_faults()
                await _json(send, 204, None)
                return
            if method == "GET":
                with control.lock:
                    listed = [f.to_json() for f in control.faults]
                await _json(send, 200, {"faults": listed})
                return
            await _json(
                send, 405, {"message": "faults: GET, POST or DELETE"}, allow="GET, POST, DELETE"
            )
            return
        if route == "/reset":
            if method != "POST":
                await _json(send, 405, {"message": "reset: POST"}, allow="POST")
                return
            control.reset()
            await _json(send, 204, None)
            return
        if route == "/requests":
            if method == "GET":
                listed = [
                    {k: v for k, v in r.items() if not k.startswith("_")} for r in control.logged()
                ]
                await _json(send, 200, {"requests": listed})
                return
            if method == "DELETE":
                with control.lock:
                    control.requests.clear()
                await _json(send, 204, None)
                return
            await _json(send, 405, {"message": "requests: GET or DELETE"}, allow="GET, DELETE")
            return
        await _json(
            send,
            404,
            {"message": f"no control endpoint {PREFIX}{route}; there are "
                        f"{PREFIX}/faults, {PREFIX}/reset and {PREFIX}/requests"},
        )  # fmt: skip


async def _json(send: Send, status: int, data: Any, allow: str | None = None) -> None:
    body = b"" if data is None else json.dumps(data, separators=(",", ":")).encode()
    headers = {"allow": allow} if allow else {}
    await _send_bytes(send, status, body, "application/json", headers)


async def _send_bytes(
    send: Send, status: int, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    pairs = [(b"content-length", str(len(body)).encode())]
    if body:
        pairs.append((b"content-type", content_type.encode("latin-1")))
    for name, value in headers.items():
        if name.lower() in ("content-length",):
            continue
        if name.lower() == "content-type":
            pairs = [p for p in pairs if p[0] != b"content-type"]
        pairs.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": pairs})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def quote_path(path: str) -> str:
    return urllib.parse.quote(path, safe="/{}")


__all__ = ["PREFIX", "Control", "ControlApp", "Fault", "FaultError", "Mount", "mount"]
